//! The fuzz entry for the JVM fast path's input decoder (`core/fuzz` target `fast_decode`),
//! also run by the stable corpus replay (`tests/fast_decode_corpus.rs`). It must never panic;
//! the `assert!`s are the invariants a fuzzer reports.
#![allow(
    clippy::panic,
    clippy::unwrap_used,
    clippy::indexing_slicing,
    missing_docs
)]

use crate::fast::{MAX_CERTS, decode};

/// Decodes `data`; a decoded input re-encodes to exactly `data`.
pub fn fast_decode(data: &[u8]) {
    let Some(input) = decode(data) else {
        return;
    };
    let host_len = usize::from(u16::from_be_bytes([data[0], data[1]]));
    let port = u16::from_be_bytes([data[2], data[3]]);
    assert_eq!(input.host.len(), host_len);
    assert_eq!(input.port, (port != 0).then_some(port));
    let path = input.path();
    assert!(!path.is_empty() && path.len() <= MAX_CERTS);
    let mut again = data[..4].to_vec();
    again.extend_from_slice(input.host.as_bytes());
    for cert in path {
        assert_eq!(cert.first(), Some(&0x30), "a certificate is a DER SEQUENCE");
        again.extend_from_slice(cert);
    }
    assert_eq!(again, data, "decoding loses or invents bytes");
}
