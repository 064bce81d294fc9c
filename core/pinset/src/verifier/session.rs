//! The session store that never resumes a session to a host with an enforced pin rule.

use std::sync::Arc;

use rustls::NamedGroup;
use rustls::client::{
    ClientSessionMemoryCache, ClientSessionStore, Tls12ClientSessionValue, Tls13ClientSessionValue,
};
use rustls_pki_types::ServerName;

use super::verify::PinningVerifier;
use crate::host;
use crate::policy::Policy;

/// A session store that keeps no resumable session for hosts with an enforced pin rule.
#[derive(Debug)]
pub(super) struct PinAwareSessionStore {
    pub(super) policy: Arc<Policy>,
    pub(super) inner: ClientSessionMemoryCache,
}

impl PinAwareSessionStore {
    fn pinned(&self, server_name: &ServerName<'_>) -> bool {
        let host = PinningVerifier::host_of(server_name);
        let Ok(canonical) = host::canonical_host(&host) else {
            return true;
        };
        self.policy
            .rule_index_for(&canonical)
            .and_then(|i| self.policy.rule(i))
            .is_some_and(|r| (r.enforce && !r.pins.is_empty()) || r.spiffe.is_some())
    }
}

impl ClientSessionStore for PinAwareSessionStore {
    fn set_kx_hint(&self, server_name: ServerName<'static>, group: NamedGroup) {
        self.inner.set_kx_hint(server_name, group);
    }

    fn kx_hint(&self, server_name: &ServerName<'_>) -> Option<NamedGroup> {
        self.inner.kx_hint(server_name)
    }

    fn set_tls12_session(&self, server_name: ServerName<'static>, value: Tls12ClientSessionValue) {
        if !self.pinned(&server_name) {
            self.inner.set_tls12_session(server_name, value);
        }
    }

    fn tls12_session(&self, server_name: &ServerName<'_>) -> Option<Tls12ClientSessionValue> {
        if self.pinned(server_name) {
            None
        } else {
            self.inner.tls12_session(server_name)
        }
    }

    fn remove_tls12_session(&self, server_name: &ServerName<'static>) {
        self.inner.remove_tls12_session(server_name);
    }

    fn insert_tls13_ticket(
        &self,
        server_name: ServerName<'static>,
        value: Tls13ClientSessionValue,
    ) {
        if !self.pinned(&server_name) {
            self.inner.insert_tls13_ticket(server_name, value);
        }
    }

    fn take_tls13_ticket(
        &self,
        server_name: &ServerName<'static>,
    ) -> Option<Tls13ClientSessionValue> {
        if self.pinned(server_name) {
            None
        } else {
            self.inner.take_tls13_ticket(server_name)
        }
    }
}
