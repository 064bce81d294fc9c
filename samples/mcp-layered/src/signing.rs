//! RFC 9421 for MCP requests: what the client signs and what the server requires.
//!
//! Covered: `@method`, `@target-uri`, and for requests with a body `content-type` and
//! `content-digest` (sha-256); parameters `created`, `nonce`, `keyid` (the client's SPIFFE
//! ID) and `alg`. The server requires all of them and keeps nonces until the signature
//! expires by age, so a captured request is refused when it is sent again.

use std::collections::HashMap;

use pinset::signing::{
    self, HttpMessage, ProfileOptions, SignatureSpec, Signer, SigningError, VerifyPolicy,
};

/// The signature label every request carries.
pub const LABEL: &str = "mcp";

/// Seconds a signature is accepted after `created` (and nonces are kept).
pub const MAX_AGE_SECS: u64 = 300;

/// The current Unix time in seconds.
pub fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

/// The fields a signed request adds: `content-digest` (with a body), `signature-input` and
/// `signature`, as (lowercase name, value).
pub fn sign_request(
    signer: &dyn Signer,
    keyid: &str,
    method: &str,
    target_uri: &str,
    content_type_and_body: Option<(&str, &[u8])>,
) -> Result<Vec<(String, String)>, SigningError> {
    let mut msg = HttpMessage::request(method, target_uri)?;
    if let Some((content_type, body)) = content_type_and_body {
        msg.add_field("content-type", content_type)?;
        msg = msg.with_body(body.to_vec());
    }
    let options = ProfileOptions {
        label: LABEL.to_owned(),
        keyid: keyid.to_owned(),
        created: now(),
        ..ProfileOptions::default()
    };
    let (spec, digest) = SignatureSpec::profile(&msg, signer.algorithm(), &options)?;
    signing::sign(&mut msg, None, &spec, digest, signer)?;
    let mut out = Vec::new();
    for name in ["content-digest", "signature-input", "signature"] {
        for value in msg.field_values(name) {
            out.push((name.to_owned(), value.to_owned()));
        }
    }
    Ok(out)
}

/// What the server requires of a request with (`has_body`) or without a body.
pub fn policy(has_body: bool) -> VerifyPolicy {
    let mut required = vec!["@method".to_owned(), "@target-uri".to_owned()];
    if has_body {
        required.push("content-type".to_owned());
        required.push("content-digest".to_owned());
    }
    VerifyPolicy {
        required_components: required,
        require_created: true,
        max_age: Some(MAX_AGE_SECS),
        require_nonce: true,
        label: Some(LABEL.to_owned()),
        require_digest_for_body: true,
        ..VerifyPolicy::default()
    }
}

/// Request-signing keys by `keyid` (the client workload's SPIFFE ID).
pub type ClientKeys = HashMap<String, signing::verify::KeyEntry>;
