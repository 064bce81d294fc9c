//! The decision on a decoded input, and what is left to do once the caller's bytes are released.

use std::sync::Arc;

use pinset::{Decision, Policy};

use super::decode::decode;
use super::{FAST_ERROR, FAST_FULL_PATH, FAST_PROCEED, FAST_TRUSTED};
use crate::{PinVerdict, Pinset};

/// What [`decide_in_place`] found. Reporting is a separate step because it may call back into
/// the app (the reporter), which must not happen while the JVM's array is held in a critical
/// region.
pub(crate) enum Outcome {
    /// The answer, nothing else to do.
    Answer(i32),
    /// A report-only violation or an expired pin-set: the connection proceeds once the report is
    /// handed to the reporter (if an identical one was not sent within 24 h).
    ReportThenProceed(Reportable),
    /// An enforced violation: the connection must be refused.
    Refuse(Reportable),
}

/// A reportable decision with what reporting and explaining it needs (owned: the JVM array is
/// released before the reporter may be called).
pub(crate) struct Reportable {
    pinset: Arc<Pinset>,
    host: String,
    chain: Vec<Vec<u8>>,
    decision: Decision,
    port: Option<u16>,
}

impl Reportable {
    /// The full verdict, reported to the reporter if due (same as the UniFFI `enforce`).
    fn explain_and_report(&self, now_unix: i64) -> PinVerdict {
        self.pinset
            .explain_and_report(&self.host, self.decision, &self.chain, now_unix, self.port)
    }
}

impl Outcome {
    pub(crate) fn finish(self, now_unix: i64) -> i32 {
        match self {
            Self::Answer(a) => a,
            Self::ReportThenProceed(r) => {
                r.pinset
                    .report_if_due(&r.host, r.decision, &r.chain, now_unix, r.port, None);
                FAST_PROCEED
            }
            // The caller asks for the verdict next ([`super::refusal`]) or takes the UniFFI path.
            Self::Refuse(_) => FAST_FULL_PATH,
        }
    }
}

/// Decides for an already resolved object without calling anything outside this library.
pub(crate) fn decide_in_place(pinset: Arc<Pinset>, input: &[u8], now_unix: i64) -> Outcome {
    use Outcome::Answer;
    let Some(input) = decode(input) else {
        return Answer(FAST_ERROR);
    };
    let path = input.path();
    match pinset
        .policy
        .check_path_cached(input.host, now_unix, path, &pinset.pins)
    {
        Ok(Decision::Trusted { rule, .. }) if trusted_all_day(&pinset.policy, rule, now_unix) => {
            Answer(FAST_TRUSTED)
        }
        Ok(Decision::Trusted { .. } | Decision::NotPinned | Decision::Exempt { .. }) => {
            Answer(FAST_PROCEED)
        }
        Ok(decision) => {
            let reportable = Reportable {
                host: input.host.to_owned(),
                chain: path.iter().map(|c| c.to_vec()).collect(),
                decision,
                port: input.port,
                pinset,
            };
            // Report-only and expired: reported here, without the UniFFI round trip, so a
            // report-only rollout or an expired pin-set does not tax every handshake. An enforced
            // violation: refused.
            if decision.allows_connection() {
                Outcome::ReportThenProceed(reportable)
            } else {
                Outcome::Refuse(reportable)
            }
        }
        Err(_) => Answer(FAST_ERROR),
    }
}

/// Whether a [`Decision::Trusted`] for `rule` at `now` holds for every time of the same UTC day:
/// the only input of the decision that changes with time is the rule's expiry, and it is not
/// before the next 00:00 UTC (see [`FAST_TRUSTED`]).
fn trusted_all_day(policy: &Policy, rule: usize, now: i64) -> bool {
    const DAY: i64 = 86_400;
    let Some(day_end) = now
        .div_euclid(DAY)
        .checked_add(1)
        .and_then(|d| d.checked_mul(DAY))
    else {
        return false;
    };
    policy.rule(rule).is_some() && policy.expires_at(rule).is_none_or(|t| t >= day_end)
}

/// The serialized verdict of a refusal (see [`super::refusal`]), `None` for any other outcome.
pub(crate) fn refusal_of(outcome: Outcome, now_unix: i64) -> Option<Vec<u8>> {
    let Outcome::Refuse(r) = outcome else {
        return None;
    };
    let mut buf = Vec::new();
    <PinVerdict as uniffi::Lower<crate::UniFfiTag>>::write(
        r.explain_and_report(now_unix),
        &mut buf,
    );
    Some(buf)
}
