//! The one home for certificate bytes: the strict DER reader (TLV headers, SPKI location,
//! splitting a concatenation), the structural X.509 check, RFC 4514 subject names, and PEM/DER
//! file parsing and PEM encoding, with their errors. Nothing here validates a path (that is
//! [`crate::chain`]) or decides on pins (that is [`crate::policy`]).
//!
//! Why not x509-parser (which this crate used first): pinset needs exactly two things from a
//! certificate beyond its SPKI — "is this well-formed X.509?" when a file is loaded, and a
//! readable subject for violation messages. x509-parser with its nom/asn1-rs/oid-registry stack
//! brought a large dependency tree into the mobile library for those two uses; this module is a
//! small DER reader. Signatures, validity and extensions are webpki's job (path validation)
//! and the platform's, never this module's. x509-parser stays the reference in the tests
//! (`tests/certificate_reference.rs`), the `der` crate for the SPKI walker
//! (`tests/spki_reference.rs`).

mod der;
pub(crate) mod keyinfo;
mod name;
mod pem;
mod x509;

#[cfg(any(feature = "tls", feature = "spiffe"))]
pub(crate) use der::sequence_header;
#[cfg(any(feature = "spiffe", feature = "attest"))]
pub(crate) use der::tlv;
pub use der::{CertDerError, spki_of_certificate, split_first_certificate};
pub use name::{format_name, subject_of};
#[cfg(feature = "attest")]
pub(crate) use pem::parse_one_pem_certificate;
pub(crate) use pem::pem_encode_block;
pub use pem::{CertError, MAX_INPUT_BYTES, parse_certificates, pem_encode};
pub use rustls_pki_types::CertificateDer;
pub use x509::{CertificateParts, Extension, extensions, parse};
