//! SPIFFE trust bundles: a JWK Set with `x509-svid` keys (`SPIFFE_Trust_Domain_and_Bundle.md`
//! §4, `X509-SVID.md` §6) or a PEM list of CA certificates, and a set of bundles keyed by trust
//! domain with the `spiffe_sequence` ratchet.

use std::collections::BTreeMap;

use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use rustls_pki_types::CertificateDer;
use serde::Deserialize;

use super::{BundleRule, SpiffeError, TrustDomain};
use crate::certificate;
use crate::certificate::{spki_of_certificate, tlv};
use crate::roots::{BadRoot, Roots};

/// Largest bundle document accepted (4 MiB; a bundle with a few CAs is a few KiB).
pub const MAX_BUNDLE_BYTES: usize = 4 << 20;

/// How a bundle was written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BundleFormat {
    /// A SPIFFE bundle (JWK Set).
    Jwks,
    /// PEM `CERTIFICATE` blocks (or one DER certificate), as SPIRE's `bundle show -format pem`.
    Pem,
}

/// The X.509 authorities of one trust domain.
#[derive(Debug, Clone)]
pub struct Bundle {
    trust_domain: TrustDomain,
    roots: Roots,
    sequence: Option<u64>,
    refresh_hint: Option<u64>,
    format: BundleFormat,
}

#[derive(Deserialize)]
struct RawJwks {
    keys: Option<Vec<RawKey>>,
    spiffe_sequence: Option<u64>,
    spiffe_refresh_hint: Option<u64>,
}

#[derive(Deserialize)]
struct RawKey {
    kty: Option<String>,
    #[serde(rename = "use")]
    key_use: Option<String>,
    kid: Option<String>,
    x5c: Option<Vec<String>>,
    crv: Option<String>,
    x: Option<String>,
    y: Option<String>,
    n: Option<String>,
    e: Option<String>,
}

impl Bundle {
    /// Parses a bundle for `trust_domain`: a JWK Set when the first non-blank byte is `{`,
    /// otherwise PEM (or one DER certificate).
    pub fn parse(trust_domain: TrustDomain, bytes: &[u8]) -> Result<Self, SpiffeError> {
        let json = bytes
            .iter()
            .find(|b| !b.is_ascii_whitespace())
            .is_some_and(|&b| b == b'{');
        if json {
            Self::parse_jwks(trust_domain, bytes)
        } else {
            Self::parse_pem(trust_domain, bytes)
        }
    }

    /// Parses a SPIFFE bundle (JWK Set). `keys` must be present (an empty array yields a bundle
    /// that trusts nothing); `x509-svid` keys must carry exactly one certificate in `x5c`, no
    /// `kid`, and the key parameters of that certificate's key; `jwt-svid` keys must have a
    /// `kid` (they are otherwise unused); keys of an unknown `kty` or `use` are ignored.
    /// Repeated members are refused (the JSON key duplication of §6.3).
    pub fn parse_jwks(trust_domain: TrustDomain, bytes: &[u8]) -> Result<Self, SpiffeError> {
        let fail = |rule| SpiffeError::Bundle {
            trust_domain: trust_domain.to_string(),
            rule,
        };
        if bytes.len() > MAX_BUNDLE_BYTES {
            return Err(fail(BundleRule::TooLarge(bytes.len())));
        }
        let raw: RawJwks =
            serde_json::from_slice(bytes).map_err(|e| fail(BundleRule::Json(e.to_string())))?;
        let keys = raw.keys.ok_or_else(|| fail(BundleRule::KeysMissing))?;
        let mut certs = Vec::new();
        for (index, key) in keys.into_iter().enumerate() {
            let known_kty = matches!(key.kty.as_deref(), Some("EC" | "RSA" | "OKP"));
            match key.key_use.as_deref() {
                Some("x509-svid") if known_kty => {
                    if key.kid.is_some() {
                        return Err(fail(BundleRule::KidOnX509Key { index }));
                    }
                    let x5c = key.x5c.as_deref().unwrap_or_default();
                    let [b64] = x5c else {
                        return Err(fail(BundleRule::X5cCount {
                            index,
                            count: x5c.len(),
                        }));
                    };
                    let der = STANDARD
                        .decode(b64)
                        .map_err(|_| fail(BundleRule::Base64 { index }))?;
                    let at = format!("keys[{index}]");
                    let cert = one_certificate(&der, &at).map_err(fail)?;
                    check_key_matches(&key, &cert, index).map_err(fail)?;
                    certs.push(cert);
                }
                Some("jwt-svid") if known_kty && key.kid.as_deref().is_none_or(str::is_empty) => {
                    return Err(fail(BundleRule::JwtKeyWithoutKid { index }));
                }
                // jwt-svid keys are not used by pinset; unknown kty/use: ignored (§4.2.1, §4.2.2).
                _ => {}
            }
        }
        let roots = roots(certs).map_err(fail)?;
        Ok(Self {
            trust_domain,
            roots,
            sequence: raw.spiffe_sequence,
            refresh_hint: raw.spiffe_refresh_hint,
            format: BundleFormat::Jwks,
        })
    }

    /// Parses PEM `CERTIFICATE` blocks (or one DER certificate) as the trust domain's X.509
    /// authorities. A PEM bundle has no sequence number.
    pub fn parse_pem(trust_domain: TrustDomain, bytes: &[u8]) -> Result<Self, SpiffeError> {
        let fail = |rule| SpiffeError::Bundle {
            trust_domain: trust_domain.to_string(),
            rule,
        };
        if bytes.len() > MAX_BUNDLE_BYTES {
            return Err(fail(BundleRule::TooLarge(bytes.len())));
        }
        let certs = certificate::parse_certificates(bytes)
            .map_err(|e| fail(BundleRule::Pem(e.to_string())))?;
        let roots = roots(certs).map_err(fail)?;
        Ok(Self {
            trust_domain,
            roots,
            sequence: None,
            refresh_hint: None,
            format: BundleFormat::Pem,
        })
    }

    /// The trust domain.
    pub fn trust_domain(&self) -> &TrustDomain {
        &self.trust_domain
    }

    /// The X.509 authorities (CA certificates), in bundle order.
    pub fn x509_authorities(&self) -> &[CertificateDer<'static>] {
        self.roots.certificates()
    }

    /// The authorities as webpki trust anchors (with their certificates).
    pub fn roots(&self) -> &Roots {
        &self.roots
    }

    /// `spiffe_sequence`, when set.
    pub fn sequence(&self) -> Option<u64> {
        self.sequence
    }

    /// `spiffe_refresh_hint` in seconds, when set.
    pub fn refresh_hint(&self) -> Option<u64> {
        self.refresh_hint
    }

    /// How the bundle was written.
    pub fn format(&self) -> BundleFormat {
        self.format
    }

    /// Checks that `update` may replace this bundle: the same trust domain and, when this
    /// bundle has a `spiffe_sequence`, a larger one, or the same one with the same authorities
    /// (a re-fetch). A lower, missing or reused-for-other-keys sequence is refused.
    pub fn check_update(&self, update: &Bundle) -> Result<(), SpiffeError> {
        if update.trust_domain != self.trust_domain {
            return Err(SpiffeError::Bundle {
                trust_domain: self.trust_domain.to_string(),
                rule: BundleRule::OtherTrustDomain(update.trust_domain.to_string()),
            });
        }
        let Some(previous) = self.sequence else {
            return Ok(());
        };
        let same_keys = update.x509_authorities() == self.x509_authorities();
        match update.sequence {
            Some(new) if new > previous || (new == previous && same_keys) => Ok(()),
            new => Err(SpiffeError::SequenceRegression {
                trust_domain: self.trust_domain.to_string(),
                previous,
                new,
            }),
        }
    }
}

fn roots(certs: Vec<CertificateDer<'static>>) -> Result<Roots, BundleRule> {
    Roots::new(certs).map_err(|BadRoot { index, reason }| BundleRule::Certificate {
        at: format!("certificate #{index}"),
        reason: format!("cannot be used as a trust anchor: {reason}"),
    })
}

fn one_certificate(der: &[u8], at: &str) -> Result<CertificateDer<'static>, BundleRule> {
    let bad = |reason: String| BundleRule::Certificate {
        at: at.to_owned(),
        reason,
    };
    spki_of_certificate(der).map_err(|e| bad(e.to_string()))?;
    crate::certificate::parse(der).map_err(|e| bad(format!("X.509: {e}")))?;
    Ok(CertificateDer::from(der.to_vec()))
}

const OID_EC_PUBLIC_KEY: &[u8] = &[0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01];
const OID_P256: &[u8] = &[0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07];
const OID_P384: &[u8] = &[0x2b, 0x81, 0x04, 0x00, 0x22];
const OID_P521: &[u8] = &[0x2b, 0x81, 0x04, 0x00, 0x23];
const OID_RSA: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01];
const OID_ED25519: &[u8] = &[0x2b, 0x65, 0x70];

/// The JWK's key parameters must be present and describe the key of its certificate.
fn check_key_matches(
    key: &RawKey,
    cert: &CertificateDer<'_>,
    index: usize,
) -> Result<(), BundleRule> {
    let kty = key.kty.clone().unwrap_or_default();
    let params = || BundleRule::KeyParameters {
        index,
        kty: kty.clone(),
    };
    let mismatch = || BundleRule::KeyMismatch { index };
    let b64url = |v: &Option<String>| {
        v.as_deref()
            .and_then(|s| URL_SAFE_NO_PAD.decode(s).ok())
            .filter(|b| !b.is_empty())
    };
    let (alg_oid, alg_params, key_bits) = spki_parts(cert).ok_or_else(mismatch)?;
    match kty.as_str() {
        "EC" => {
            let (curve, size) = match key.crv.as_deref() {
                Some("P-256") => (OID_P256, 32),
                Some("P-384") => (OID_P384, 48),
                Some("P-521") => (OID_P521, 66),
                _ => return Err(params()),
            };
            let (x, y) = (
                b64url(&key.x).ok_or_else(params)?,
                b64url(&key.y).ok_or_else(params)?,
            );
            if x.len() != size || y.len() != size {
                return Err(params());
            }
            let oid_params = tlv(alg_params, 0, 0x06, "curve").ok().map(|(c, _)| c);
            let point = [&[0x04][..], &x, &y].concat();
            if alg_oid != OID_EC_PUBLIC_KEY || oid_params != Some(curve) || key_bits != point {
                return Err(mismatch());
            }
        }
        "RSA" => {
            let (n, e) = (
                b64url(&key.n).ok_or_else(params)?,
                b64url(&key.e).ok_or_else(params)?,
            );
            if alg_oid != OID_RSA {
                return Err(mismatch());
            }
            let (seq, _) = tlv(key_bits, 0, 0x30, "RSAPublicKey").map_err(|_| mismatch())?;
            let (cert_n, rest) = tlv(seq, 0, 0x02, "n").map_err(|_| mismatch())?;
            let (cert_e, _) = tlv(rest, 0, 0x02, "e").map_err(|_| mismatch())?;
            let strip =
                |b: &[u8]| -> Vec<u8> { b.iter().skip_while(|&&x| x == 0).copied().collect() };
            if strip(cert_n) != strip(&n) || strip(cert_e) != strip(&e) {
                return Err(mismatch());
            }
        }
        "OKP" => {
            let x = b64url(&key.x).ok_or_else(params)?;
            if key.crv.as_deref() != Some("Ed25519") {
                return Err(params());
            }
            if alg_oid != OID_ED25519 || key_bits != x.as_slice() {
                return Err(mismatch());
            }
        }
        _ => return Err(params()),
    }
    Ok(())
}

/// (algorithm OID contents, the rest of the AlgorithmIdentifier, the public key bits).
fn spki_parts<'a>(cert: &'a CertificateDer<'_>) -> Option<(&'a [u8], &'a [u8], &'a [u8])> {
    let spki = spki_of_certificate(cert).ok()?;
    let (body, _) = tlv(spki, 0, 0x30, "SPKI").ok()?;
    let (alg, rest) = tlv(body, 0, 0x30, "AlgorithmIdentifier").ok()?;
    let (oid, alg_params) = tlv(alg, 0, 0x06, "algorithm").ok()?;
    let (bits, _) = tlv(rest, 0, 0x03, "subjectPublicKey").ok()?;
    // BIT STRING: the unused-bits byte must be 0 for a key.
    let (&unused, key) = bits.split_first()?;
    (unused == 0).then_some((oid, alg_params, key))
}

/// Bundles keyed by trust domain name; a name appears once.
#[derive(Debug, Clone, Default)]
pub struct BundleSet {
    bundles: BTreeMap<String, Bundle>,
}

impl BundleSet {
    /// An empty set.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a bundle; a second bundle for a trust domain is refused (Bundle Maps must reject
    /// duplicate names, `SPIFFE_Trust_Domain_and_Bundle.md` §5.1.1).
    pub fn insert(&mut self, bundle: Bundle) -> Result<(), SpiffeError> {
        let name = bundle.trust_domain.to_string();
        if self.bundles.contains_key(&name) {
            return Err(SpiffeError::DuplicateTrustDomain(name));
        }
        self.bundles.insert(name, bundle);
        Ok(())
    }

    /// Replaces a trust domain's bundle with a newer one ([`Bundle::check_update`]), or adds it.
    pub fn update(&mut self, bundle: Bundle) -> Result<(), SpiffeError> {
        if let Some(held) = self.bundles.get(bundle.trust_domain.as_str()) {
            held.check_update(&bundle)?;
        }
        self.bundles.insert(bundle.trust_domain.to_string(), bundle);
        Ok(())
    }

    /// The bundle of a trust domain.
    pub fn get(&self, trust_domain: &str) -> Option<&Bundle> {
        self.bundles.get(trust_domain)
    }

    /// The bundles, by trust domain name.
    pub fn iter(&self) -> impl Iterator<Item = &Bundle> {
        self.bundles.values()
    }

    /// True when the set holds no bundle.
    pub fn is_empty(&self) -> bool {
        self.bundles.is_empty()
    }
}
