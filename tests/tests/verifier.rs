//! The rustls pinning verifier end to end over 127.0.0.1 against an in-process rustls server:
//! pin positions, misses, wrong host, expiry, report-only, subdomains and exemptions, the
//! CVE-2016-2402 shape, session resumption, mTLS; in webpki and platform modes.
#![allow(clippy::unwrap_used, clippy::panic)]

use std::sync::{Arc, Mutex};

use pinset::report::{PinReporter, Report};
use pinset::verifier::{PinningConfig, Resumption, TrustMode};
use pinset::{Manifest, Pin, Policy};
use pinset_tests::tls::{Server, ServerSpec, connect};
use pinset_tests::{Cert, Pki, root};
use rustls::{CertificateError, ClientConfig, HandshakeKind};

#[derive(Debug, Default)]
struct Collect(Mutex<Vec<Report>>);

impl PinReporter for Collect {
    fn report(&self, report: &Report) {
        self.0.lock().unwrap().push(report.clone());
    }
}

fn policy(src: &str) -> Arc<Policy> {
    Arc::new(Policy::new(Manifest::parse(src, None).unwrap().manifest))
}

fn one(host: &str, pins: &[Pin], extra: &str) -> Arc<Policy> {
    policy(&pinset_tests::manifest_for(host, pins, extra))
}

fn config(
    policy: Arc<Policy>,
    roots: &[&Cert],
    mode: TrustMode,
) -> (Arc<ClientConfig>, Arc<Collect>) {
    let reports = Arc::new(Collect::default());
    let cfg = PinningConfig::new(policy)
        .trust_mode(mode)
        .extra_roots(roots.iter().map(|c| c.der.clone()))
        .reporter(reports.clone())
        .build()
        .unwrap();
    (Arc::new(cfg), reports)
}

fn serve(pki: &Pki, n: usize) -> Server {
    Server::start(ServerSpec::new(&pki.leaf, &[&pki.intermediate]), n)
}

fn pin_message(r: &Result<(), rustls::Error>) -> String {
    match r {
        Err(rustls::Error::InvalidCertificate(CertificateError::Other(o))) => o.0.to_string(),
        other => panic!("expected a pin failure, got {other:?}"),
    }
}

const MODES: [TrustMode; 2] = [TrustMode::WebPkiExtraOnly, TrustMode::Platform];

#[test]
fn pin_positions_backup_and_miss_in_both_modes() {
    let pki = Pki::new("pos", &["api.example.com"]);
    let backup = root("backup").pin();
    for mode in MODES {
        for (what, pins, ok) in [
            ("leaf", vec![pki.leaf.pin(), backup], true),
            ("intermediate", vec![pki.intermediate.pin(), backup], true),
            ("root not sent", vec![pki.root.pin(), backup], true),
            (
                "backup only",
                vec![root("old").pin(), pki.intermediate.pin()],
                true,
            ),
            ("miss", vec![root("x").pin(), root("y").pin()], false),
        ] {
            let server = serve(&pki, 1);
            let (cfg, _) = config(one("api.example.com", &pins, ""), &[&pki.root], mode);
            let r = connect(&cfg, "api.example.com", server.addr);
            assert_eq!(r.result.is_ok(), ok, "{mode:?} {what}: {:?}", r.result);
            if !ok {
                let msg = pin_message(&r.result);
                assert!(msg.starts_with("Certificate pinning failure!"), "{msg}");
                assert!(
                    msg.contains(&format!("{}: CN=api.example.com", pki.leaf.pin())),
                    "{msg}"
                );
                for p in &pins {
                    assert!(msg.contains(&p.to_string()), "{msg}");
                }
            }
        }
    }
}

#[test]
fn wrong_host_and_untrusted_fail_even_when_pinned() {
    let pki = Pki::new("host", &["api.example.com"]);
    for mode in MODES {
        let server = serve(&pki, 2);
        let pins = [pki.leaf.pin(), pki.intermediate.pin()];
        let (cfg, _) = config(one("www.example.com", &pins, ""), &[&pki.root], mode);
        let r = connect(&cfg, "www.example.com", server.addr);
        assert!(
            matches!(
                r.result,
                Err(rustls::Error::InvalidCertificate(
                    CertificateError::NotValidForName
                        | CertificateError::NotValidForNameContext { .. }
                ))
            ),
            "{mode:?}: {:?}",
            r.result
        );
        // A pinned key under a root the client does not trust.
        let (cfg, _) = config(
            one("api.example.com", &pins, ""),
            &[&root("unrelated")],
            mode,
        );
        let r = connect(&cfg, "api.example.com", server.addr);
        assert!(r.result.is_err(), "{mode:?}");
    }
}

#[test]
fn expired_pin_set_is_not_enforced_and_reported_once() {
    let pki = Pki::new("exp", &["api.example.com"]);
    let server = serve(&pki, 2);
    let (cfg, reports) = config(
        one(
            "api.example.com",
            &[root("a").pin(), root("b").pin()],
            "expires = \"2001-01-01\"",
        ),
        &[&pki.root],
        TrustMode::WebPkiExtraOnly,
    );
    assert!(connect(&cfg, "api.example.com", server.addr).result.is_ok());
    assert!(connect(&cfg, "api.example.com", server.addr).result.is_ok());
    let reports = reports.0.lock().unwrap();
    assert_eq!(reports.len(), 1, "expiry is reported once");
    assert_eq!(reports[0].validation_result, "expired");
    assert_eq!(
        reports[0].effective_expiration_date.as_deref(),
        Some("2001-01-01")
    );
}

#[test]
fn repeated_violations_are_reported_once_per_throttle_key() {
    // The core's one reporting policy (`report::Throttle`): the same host, rule, outcome and
    // path is reported once per 24 h, on this surface as in the FFI.
    let pki = Pki::new("rep", &["api.example.com"]);
    for (extra, outcome) in [("", "violation"), ("enforce = false", "report-only")] {
        let server = serve(&pki, 3);
        let (cfg, reports) = config(
            one(
                "api.example.com",
                &[root("a").pin(), root("b").pin()],
                extra,
            ),
            &[&pki.root],
            TrustMode::WebPkiExtraOnly,
        );
        for _ in 0..3 {
            let _ = connect(&cfg, "api.example.com", server.addr);
        }
        let reports = reports.0.lock().unwrap();
        assert_eq!(reports.len(), 1, "{outcome}: {reports:?}");
        assert_eq!(reports[0].validation_result, outcome);
    }
}

#[test]
fn report_only_reports_and_connects() {
    let pki = Pki::new("ro", &["api.example.com"]);
    for mode in MODES {
        let server = serve(&pki, 1);
        let (cfg, reports) = config(
            one(
                "api.example.com",
                &[root("a").pin(), root("b").pin()],
                "enforce = false",
            ),
            &[&pki.root],
            mode,
        );
        assert!(
            connect(&cfg, "api.example.com", server.addr).result.is_ok(),
            "{mode:?}"
        );
        let reports = reports.0.lock().unwrap();
        assert_eq!(reports.len(), 1, "{mode:?}");
        let r = &reports[0];
        assert_eq!(
            (
                r.validation_result.as_str(),
                r.enforce_pinning,
                r.hostname.as_str()
            ),
            ("report-only", false, "api.example.com")
        );
        assert_eq!(r.served_certificate_chain.len(), 2);
        assert!(r.known_pins.iter().all(|p| p.starts_with("pin-sha256=\"")));
    }
}

#[test]
fn subdomains_and_exemptions() {
    let pki = Pki::new("sub", &["a.b.example.com", "cdn.example.com"]);
    let miss = [root("m1").pin(), root("m2").pin()];
    let m = format!(
        "version = 1\n[[domain]]\nname = \"example.com\"\ninclude_subdomains = true\npins = [\"{}\", \"{}\"]\n\
         [[domain]]\nname = \"cdn.example.com\"\npins = []\n",
        miss[0], miss[1]
    );
    let server = serve(&pki, 2);
    let (cfg, _) = config(policy(&m), &[&pki.root], TrustMode::WebPkiExtraOnly);
    assert!(
        connect(&cfg, "a.b.example.com", server.addr)
            .result
            .is_err(),
        "deep subdomain is pinned"
    );
    assert!(
        connect(&cfg, "cdn.example.com", server.addr).result.is_ok(),
        "exempted subdomain"
    );
}

#[test]
fn appended_pinned_intermediate_does_not_rescue_a_rogue_leaf() {
    // CVE-2016-2402: both roots are trusted; the attacker's leaf chains to the rogue root and the
    // genuine pinned intermediate is appended to the chain it sends.
    let genuine = Pki::new("genuine", &["api.example.com"]);
    let rogue = Pki::new("rogue", &["api.example.com"]);
    let pins = [genuine.intermediate.pin(), genuine.root.pin()];
    for mode in MODES {
        let attack = Server::start(
            ServerSpec::new(
                &rogue.leaf,
                &[&rogue.intermediate, &genuine.intermediate, &genuine.root],
            ),
            1,
        );
        let (cfg, _) = config(
            one("api.example.com", &pins, ""),
            &[&genuine.root, &rogue.root],
            mode,
        );
        let r = connect(&cfg, "api.example.com", attack.addr);
        assert!(
            pin_message(&r.result).starts_with("Certificate pinning failure!"),
            "{mode:?}"
        );
        let real = serve(&genuine, 1);
        assert!(
            connect(&cfg, "api.example.com", real.addr).result.is_ok(),
            "{mode:?}: control"
        );
    }
}

#[test]
fn private_ca_domain_does_not_accept_other_roots() {
    let corp = Pki::new("corp", &["build.corp.example"]);
    let public = Pki::new("public", &["build.corp.example"]);
    let dir = tempfile::tempdir().unwrap();
    pinset_tests::write(dir.path(), "corp.pem", corp.root.pem());
    let m = pinset_tests::manifest_for(
        "build.corp.example",
        &[corp.root.pin(), public.root.pin()],
        "trust_anchors = [\"corp.pem\"]",
    );
    let path = pinset_tests::write(dir.path(), "pins.toml", m);
    let policy = Arc::new(Policy::new(Manifest::load(&path, None).unwrap().manifest));
    // The public root is trusted by the config and pinned, but the domain trusts only corp.pem.
    let (cfg, _) = config(policy, &[&public.root], TrustMode::WebPkiExtraOnly);
    let s1 = serve(&public, 1);
    assert!(connect(&cfg, "build.corp.example", s1.addr).result.is_err());
    let s2 = serve(&corp, 1);
    assert!(connect(&cfg, "build.corp.example", s2.addr).result.is_ok());
}

#[test]
fn resumption_never_skips_the_pin_decision_for_pinned_hosts() {
    // Two servers for the same name share a session ticketer (one operator, one ticket key);
    // the second presents a key that is not pinned.
    let good = Pki::new("good", &["api.example.com"]);
    let swapped = good.intermediate.leaf(&["api.example.com"]);
    let ticketer = rustls::crypto::ring::Ticketer::new().unwrap();
    let pins = [good.leaf.pin(), root("backup").pin()];
    let run = |resumption: Resumption| {
        let cfg = Arc::new(
            PinningConfig::new(one("api.example.com", &pins, ""))
                .trust_mode(TrustMode::WebPkiExtraOnly)
                .extra_roots([good.root.der.clone()])
                .resumption(resumption)
                .build()
                .unwrap(),
        );
        let s1 = Server::start(
            ServerSpec {
                ticketer: Some(ticketer.clone()),
                ..ServerSpec::new(&good.leaf, &[&good.intermediate])
            },
            1,
        );
        let first = connect(&cfg, "api.example.com", s1.addr);
        assert!(first.result.is_ok());
        let s2 = Server::start(
            ServerSpec {
                ticketer: Some(ticketer.clone()),
                ..ServerSpec::new(&swapped, &[&good.intermediate])
            },
            1,
        );
        connect(&cfg, "api.example.com", s2.addr)
    };
    // What rustls does on its own: the session resumes and the new key is never looked at.
    let allowed = run(Resumption::Allow);
    assert_eq!(allowed.kind, Some(HandshakeKind::Resumed));
    assert!(allowed.result.is_ok());
    // pinset's default: no resumable session is kept for pinned hosts, so the second
    // connection is a full handshake and the unpinned key is rejected.
    let default = run(Resumption::FullHandshakeForPinned);
    assert_ne!(default.kind, Some(HandshakeKind::Resumed));
    pin_message(&default.result);
}

#[test]
fn resumption_still_works_for_unpinned_hosts() {
    let pki = Pki::new("unpinned", &["other.example.com"]);
    let (cfg, _) = config(
        one("api.example.com", &[root("a").pin(), root("b").pin()], ""),
        &[&pki.root],
        TrustMode::WebPkiExtraOnly,
    );
    let server = serve(&pki, 2);
    assert_eq!(
        connect(&cfg, "other.example.com", server.addr).kind,
        Some(HandshakeKind::Full)
    );
    assert_eq!(
        connect(&cfg, "other.example.com", server.addr).kind,
        Some(HandshakeKind::Resumed)
    );
}

#[test]
fn mtls_with_and_without_client_certificate() {
    let pki = Pki::new("mtls", &["api.example.com"]);
    let client_root = root("client root");
    let client = client_root.leaf_with(&["client.example.com"], |p| {
        p.extended_key_usages = vec![pinset_tests::rcgen::ExtendedKeyUsagePurpose::ClientAuth];
    });
    let pins = [pki.intermediate.pin(), root("b").pin()];
    let spec = || ServerSpec {
        client_ca: Some(client_root.der.clone()),
        ..ServerSpec::new(&pki.leaf, &[&pki.intermediate])
    };
    let server = Server::start(spec(), 2);
    let with = Arc::new(
        PinningConfig::new(one("api.example.com", &pins, ""))
            .trust_mode(TrustMode::WebPkiExtraOnly)
            .extra_roots([pki.root.der.clone()])
            .client_auth_pem(client.pem().as_bytes(), client.key_pem().as_bytes())
            .unwrap()
            .build()
            .unwrap(),
    );
    assert!(
        connect(&with, "api.example.com", server.addr)
            .result
            .is_ok()
    );
    let (without, _) = config(
        one("api.example.com", &pins, ""),
        &[&pki.root],
        TrustMode::WebPkiExtraOnly,
    );
    let r = connect(&without, "api.example.com", server.addr);
    // TLS 1.3: the client finishes its side before the server's alert arrives; the first read fails.
    let mut failed = r.result.is_err();
    if !failed {
        failed = connect_and_read_fails(&without, server.addr);
    }
    assert!(
        failed,
        "server requiring a client certificate accepted a client without one"
    );
    // Key formats: SEC1 and PKCS#1 are accepted too; garbage is a clear error.
    let err = PinningConfig::new(one("api.example.com", &pins, ""))
        .client_auth_pem(client.pem().as_bytes(), b"garbage")
        .unwrap_err();
    assert!(err.to_string().contains("private key"), "{err}");
}

fn connect_and_read_fails(cfg: &Arc<ClientConfig>, addr: std::net::SocketAddr) -> bool {
    use std::io::{Read as _, Write as _};
    let name = rustls_pki_types::ServerName::try_from("api.example.com").unwrap();
    let mut conn = rustls::ClientConnection::new(cfg.clone(), name).unwrap();
    let Ok(mut tcp) = std::net::TcpStream::connect(addr) else {
        return true;
    };
    tcp.set_read_timeout(Some(std::time::Duration::from_secs(5)))
        .ok();
    let mut tls = rustls::Stream::new(&mut conn, &mut tcp);
    if tls.write_all(b"ping\n").is_err() {
        return true;
    }
    let mut buf = [0u8; 16];
    !matches!(tls.read(&mut buf), Ok(n) if n > 0)
}
