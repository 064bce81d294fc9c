//! The fast path's input format: `host length (u16, big-endian) ‖ port (u16, big-endian;
//! 0 = unknown) ‖ host (UTF-8) ‖ certificate DER ‖ certificate DER …`, leaf first.

use pinset::certificate::split_first_certificate;

/// Longest path accepted (Android and webpki limit paths far below this).
pub const MAX_CERTS: usize = 16;

/// A decoded input, borrowing the caller's bytes.
#[derive(Debug)]
pub struct Input<'a> {
    /// The host as sent (not yet canonical).
    pub host: &'a str,
    /// The port, when the caller knows it.
    pub port: Option<u16>,
    parts: [&'a [u8]; MAX_CERTS],
    n: usize,
}

impl<'a> Input<'a> {
    /// The certificates' DER, leaf first (at least one, at most [`MAX_CERTS`]).
    pub fn path(&self) -> &[&'a [u8]] {
        &self.parts[..self.n]
    }
}

/// Splits `input` into host, port and certificates; `None` for a short or inconsistent header,
/// a host that is not UTF-8, a certificate whose outer DER header does not fit, no certificate
/// or more than [`MAX_CERTS`].
pub fn decode(input: &[u8]) -> Option<Input<'_>> {
    let ([h0, h1, p0, p1], rest) = input.split_first_chunk::<4>().map(|(h, r)| (*h, r))?;
    let port = std::num::NonZeroU16::new(u16::from_be_bytes([p0, p1])).map(u16::from);
    let (host, mut certs) = rest.split_at_checked(usize::from(u16::from_be_bytes([h0, h1])))?;
    let host = std::str::from_utf8(host).ok()?;
    // Each certificate is one DER SEQUENCE: its outer header gives its length.
    let mut parts: [&[u8]; MAX_CERTS] = [&[]; MAX_CERTS];
    let mut n = 0;
    while !certs.is_empty() {
        let (Some(slot), Ok((cert, tail))) = (parts.get_mut(n), split_first_certificate(certs))
        else {
            return None;
        };
        *slot = cert;
        n += 1;
        certs = tail;
    }
    (n > 0).then_some(Input {
        host,
        port,
        parts,
        n,
    })
}
