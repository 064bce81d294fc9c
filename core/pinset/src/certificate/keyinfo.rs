//! The key containers around the algorithms ring implements: SubjectPublicKeyInfo (RFC 5280),
//! PKCS#8 `OneAsymmetricKey` (RFC 5958) and SEC1 `ECPrivateKey` (RFC 5915), read with the same
//! strict DER walker as certificates. Only the outer structure is read here (which algorithm,
//! which curve, which bytes); ring parses and checks the key material itself.

use super::der::{CertDerError, tlv};

/// An `AlgorithmIdentifier`: the algorithm OID's contents, and the parameters' OID when the
/// parameters are an OID (EC keys name their curve that way).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct AlgorithmId<'a> {
    pub(crate) oid: &'a [u8],
    pub(crate) parameter_oid: Option<&'a [u8]>,
}

/// The parts of a DER `SubjectPublicKeyInfo`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct PublicKeyInfo<'a> {
    pub(crate) algorithm: AlgorithmId<'a>,
    /// The subjectPublicKey BIT STRING's bytes (a whole number of bytes).
    pub(crate) key: &'a [u8],
}

/// The parts of a DER PKCS#8 private key (v1 or v2).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct PrivateKeyInfo<'a> {
    pub(crate) algorithm: AlgorithmId<'a>,
    /// The privateKey OCTET STRING's contents (for RSA, a PKCS#1 `RSAPrivateKey`).
    pub(crate) private_key: &'a [u8],
}

/// The parts of a DER SEC1 `ECPrivateKey`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct EcPrivateKey<'a> {
    /// The private scalar's bytes.
    pub(crate) private_key: &'a [u8],
    /// The named curve's OID, when the key carries parameters.
    pub(crate) curve: Option<&'a [u8]>,
    /// The public point's bytes, when the key carries it.
    pub(crate) public_key: Option<&'a [u8]>,
}

/// An OID's dotted form for messages (hex when it does not decode).
pub(crate) fn oid_text(oid: &[u8]) -> String {
    super::name::dotted_oid(oid).unwrap_or_else(|| {
        oid.iter().fold(String::from("0x"), |mut s, b| {
            s.push_str(&format!("{b:02x}"));
            s
        })
    })
}

const SEQUENCE: u8 = 0x30;
const INTEGER: u8 = 0x02;
const BIT_STRING: u8 = 0x03;
const OCTET_STRING: u8 = 0x04;
const OID: u8 = 0x06;

/// Where `part` (a subslice of `whole`) starts inside `whole`, for error offsets.
fn at(whole: &[u8], part: &[u8]) -> usize {
    (part.as_ptr() as usize).saturating_sub(whole.as_ptr() as usize)
}

fn end(whole: &[u8], rest: &[u8], what: &'static str) -> Result<(), CertDerError> {
    if rest.is_empty() {
        Ok(())
    } else {
        Err(CertDerError {
            offset: at(whole, rest),
            reason: what,
        })
    }
}

/// One outer SEQUENCE filling all of `der`.
fn outer<'a>(der: &'a [u8], what: &'static str) -> Result<&'a [u8], CertDerError> {
    let (body, rest) = tlv(der, 0, SEQUENCE, what)?;
    end(der, rest, "data after the key")?;
    Ok(body)
}

fn algorithm<'a>(
    der: &'a [u8],
    input: &'a [u8],
) -> Result<(AlgorithmId<'a>, &'a [u8]), CertDerError> {
    let (alg, rest) = tlv(input, at(der, input), SEQUENCE, "AlgorithmIdentifier")?;
    let (oid, params) = tlv(alg, at(der, alg), OID, "algorithm OID")?;
    if oid.is_empty() {
        return Err(CertDerError {
            offset: at(der, alg),
            reason: "empty algorithm OID",
        });
    }
    let parameter_oid = match params.first() {
        Some(&OID) => {
            let (p, after) = tlv(params, at(der, params), OID, "parameters OID")?;
            end(der, after, "data after the parameters")?;
            Some(p)
        }
        // Absent, NULL or another structure (RSA-PSS parameters): not an OID.
        _ => None,
    };
    Ok((AlgorithmId { oid, parameter_oid }, rest))
}

/// Reads a DER `SubjectPublicKeyInfo`.
pub(crate) fn public_key_info(der: &[u8]) -> Result<PublicKeyInfo<'_>, CertDerError> {
    let body = outer(der, "SubjectPublicKeyInfo SEQUENCE")?;
    let (algorithm, rest) = algorithm(der, body)?;
    let (bits, rest) = tlv(
        rest,
        at(der, rest),
        BIT_STRING,
        "subjectPublicKey BIT STRING",
    )?;
    end(der, rest, "data after subjectPublicKey")?;
    let key = match bits.split_first() {
        Some((0, key)) => key,
        _ => {
            return Err(CertDerError {
                offset: at(der, bits),
                reason: "subjectPublicKey is not a whole number of bytes",
            });
        }
    };
    Ok(PublicKeyInfo { algorithm, key })
}

/// Reads a DER PKCS#8 `OneAsymmetricKey` (version 0, or 1 with an optional public key).
pub(crate) fn private_key_info(der: &[u8]) -> Result<PrivateKeyInfo<'_>, CertDerError> {
    let body = outer(der, "PKCS#8 SEQUENCE")?;
    let (version, rest) = tlv(body, at(der, body), INTEGER, "PKCS#8 version")?;
    let v2 = match version {
        [0] => false,
        [1] => true,
        _ => {
            return Err(CertDerError {
                offset: at(der, body),
                reason: "PKCS#8 version is neither 0 nor 1",
            });
        }
    };
    let (algorithm, rest) = algorithm(der, rest)?;
    let (private_key, mut rest) =
        tlv(rest, at(der, rest), OCTET_STRING, "privateKey OCTET STRING")?;
    // attributes [0] IMPLICIT, then (version 1 only) publicKey [1] IMPLICIT: read past, as
    // ring reads the public key itself where it needs it.
    if rest.first() == Some(&0xa0) {
        rest = tlv(rest, at(der, rest), 0xa0, "attributes")?.1;
    }
    if v2 && rest.first() == Some(&0x81) {
        rest = tlv(rest, at(der, rest), 0x81, "publicKey")?.1;
    }
    end(der, rest, "unexpected data in PKCS#8")?;
    Ok(PrivateKeyInfo {
        algorithm,
        private_key,
    })
}

/// Reads a DER SEC1 `ECPrivateKey` (version 1).
pub(crate) fn ec_private_key(der: &[u8]) -> Result<EcPrivateKey<'_>, CertDerError> {
    let body = outer(der, "ECPrivateKey SEQUENCE")?;
    let (version, rest) = tlv(body, at(der, body), INTEGER, "ECPrivateKey version")?;
    if version != [1] {
        return Err(CertDerError {
            offset: at(der, body),
            reason: "ECPrivateKey version is not 1",
        });
    }
    let (private_key, mut rest) =
        tlv(rest, at(der, rest), OCTET_STRING, "privateKey OCTET STRING")?;
    let mut curve = None;
    if rest.first() == Some(&0xa0) {
        let (params, after) = tlv(rest, at(der, rest), 0xa0, "parameters")?;
        // Only a namedCurve is accepted here; implicit or specified curves are not.
        let (oid, inner) = tlv(params, at(der, params), OID, "namedCurve OID")?;
        end(der, inner, "data after the namedCurve")?;
        curve = Some(oid);
        rest = after;
    }
    let mut public_key = None;
    if rest.first() == Some(&0xa1) {
        let (wrapped, after) = tlv(rest, at(der, rest), 0xa1, "publicKey")?;
        let (bits, inner) = tlv(
            wrapped,
            at(der, wrapped),
            BIT_STRING,
            "publicKey BIT STRING",
        )?;
        end(der, inner, "data after the publicKey")?;
        match bits.split_first() {
            Some((0, key)) => public_key = Some(key),
            _ => {
                return Err(CertDerError {
                    offset: at(der, bits),
                    reason: "publicKey is not a whole number of bytes",
                });
            }
        }
        rest = after;
    }
    end(der, rest, "unexpected data in ECPrivateKey")?;
    Ok(EcPrivateKey {
        private_key,
        curve,
        public_key,
    })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    // id-ecPublicKey, prime256v1.
    const EC: &[u8] = &[0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01];
    const P256: &[u8] = &[0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07];

    fn spki(alg: &[u8], bits: &[u8]) -> Vec<u8> {
        let mut v = vec![0x30, (alg.len() + bits.len()) as u8];
        v.extend_from_slice(alg);
        v.extend_from_slice(bits);
        v
    }

    #[test]
    fn spki_parts() {
        let alg = [&[0x30, 0x13, 0x06, 0x07][..], EC, &[0x06, 0x08], P256].concat();
        let der = spki(&alg, &[0x03, 0x03, 0x00, 0x04, 0x01]);
        let info = public_key_info(&der).unwrap();
        assert_eq!(info.algorithm.oid, EC);
        assert_eq!(info.algorithm.parameter_oid, Some(P256));
        assert_eq!(info.key, &[0x04, 0x01]);
    }

    #[test]
    fn spki_refusals_name_where() {
        let alg = [&[0x30, 0x13, 0x06, 0x07][..], EC, &[0x06, 0x08], P256].concat();
        for (der, what) in [
            (spki(&alg, &[0x03, 0x03, 0x01, 0x04, 0x01]), "whole number"),
            (spki(&alg, &[0x03, 0x01]), "truncated"),
            (spki(&alg, &[0x04, 0x02, 0x00, 0x01]), "BIT STRING"),
            (
                [spki(&alg, &[0x03, 0x02, 0x00, 0x04]), vec![0]].concat(),
                "after the key",
            ),
            (
                spki(&[0x30, 0x02, 0x06, 0x00], &[0x03, 0x01, 0x00]),
                "empty algorithm OID",
            ),
            (spki(&[0x30, 0x00], &[0x03, 0x01, 0x00]), "algorithm OID"),
        ] {
            let e = public_key_info(&der).unwrap_err();
            assert!(e.reason.contains(what), "{what}: {e:?}");
        }
    }

    #[test]
    fn sec1_requires_version_one_and_a_named_curve() {
        // version 2
        let der = [0x30, 0x06, 0x02, 0x01, 0x02, 0x04, 0x01, 0x07];
        assert!(ec_private_key(&der).unwrap_err().reason.contains("version"));
        // [0] holding a SEQUENCE (specifiedCurve) instead of an OID
        let der = [
            0x30, 0x0a, 0x02, 0x01, 0x01, 0x04, 0x01, 0x07, 0xa0, 0x02, 0x30, 0x00,
        ];
        assert!(
            ec_private_key(&der)
                .unwrap_err()
                .reason
                .contains("namedCurve")
        );
        let der = [0x30, 0x06, 0x02, 0x01, 0x01, 0x04, 0x01, 0x07];
        let k = ec_private_key(&der).unwrap();
        assert_eq!(
            (k.private_key, k.curve, k.public_key),
            (&[7u8][..], None, None)
        );
    }

    #[test]
    fn pkcs8_versions_and_trailing_fields() {
        let alg = [0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70];
        let make = |version: u8, tail: &[u8]| {
            let body = [&[0x02, 0x01, version][..], &alg, &[0x04, 0x01, 0x09], tail].concat();
            [&[0x30, body.len() as u8][..], &body].concat()
        };
        let v0 = make(0, &[]);
        let k = private_key_info(&v0).unwrap();
        assert_eq!(
            (k.algorithm.oid, k.private_key),
            (&[0x2b, 0x65, 0x70][..], &[9u8][..])
        );
        assert!(private_key_info(&make(1, &[0x81, 0x01, 0x00])).is_ok());
        // A public key is a version 1 field only.
        let e = private_key_info(&make(0, &[0x81, 0x01, 0x00])).unwrap_err();
        assert!(e.reason.contains("unexpected data"), "{e:?}");
        assert!(
            private_key_info(&make(2, &[]))
                .unwrap_err()
                .reason
                .contains("version")
        );
    }

    /// Keys as openssl writes them, read by this module and by the RustCrypto `pkcs8`, `sec1`
    /// and `spki` crates (the readers this module replaced): the same parts, and every proper
    /// prefix refused.
    #[test]
    fn agrees_with_the_reference_readers_on_openssl_keys() {
        use pkcs8::der::Decode as _;
        let dir = std::env::temp_dir().join(format!("pinset-keyinfo-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let openssl = |args: &[&str]| {
            let out = std::process::Command::new("openssl")
                .args(args)
                .output()
                .unwrap();
            assert!(out.status.success(), "openssl {args:?}: {out:?}");
            out.stdout
        };
        let mut seen = 0;
        for (name, genargs) in [
            ("ed25519", &["-algorithm", "ed25519"][..]),
            (
                "p256",
                &["-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256"],
            ),
            (
                "p384",
                &["-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-384"],
            ),
            (
                "rsa",
                &["-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048"],
            ),
            (
                "rsa-pss",
                &["-algorithm", "RSA-PSS", "-pkeyopt", "rsa_keygen_bits:2048"],
            ),
        ] {
            let pem = dir.join(format!("{name}.pem"));
            let pem = pem.to_str().unwrap();
            let key = dir.join(format!("{name}.der"));
            let key = key.to_str().unwrap();
            let mut args = vec!["genpkey"];
            args.extend_from_slice(genargs);
            args.extend_from_slice(&["-out", pem]);
            openssl(&args);
            // PKCS#8 DER (genpkey's DER output is the traditional form for EC keys).
            openssl(&[
                "pkcs8", "-topk8", "-nocrypt", "-in", pem, "-outform", "DER", "-out", key,
            ]);
            let der = std::fs::read(key).unwrap();
            let ours = private_key_info(&der).unwrap();
            let theirs = pkcs8::PrivateKeyInfo::from_der(&der).unwrap();
            assert_eq!(
                ours.algorithm.oid,
                theirs.algorithm.oid.as_bytes(),
                "{name}"
            );
            assert_eq!(
                ours.algorithm.parameter_oid.map(<[u8]>::to_vec),
                theirs
                    .algorithm
                    .parameters_oid()
                    .ok()
                    .map(|o| o.as_bytes().to_vec()),
                "{name}"
            );
            assert_eq!(ours.private_key, theirs.private_key, "{name}");

            let public = openssl(&[
                "pkey", "-inform", "DER", "-in", key, "-pubout", "-outform", "DER",
            ]);
            let ours = public_key_info(&public).unwrap();
            let theirs = spki::SubjectPublicKeyInfoRef::from_der(&public).unwrap();
            assert_eq!(
                ours.algorithm.oid,
                theirs.algorithm.oid.as_bytes(),
                "{name}"
            );
            assert_eq!(
                Some(ours.key),
                theirs.subject_public_key.as_bytes(),
                "{name}"
            );

            let mut forms = vec![der, public];
            if name.starts_with('p') {
                // SEC1, with and without the public key.
                for extra in [&[][..], &["-no_public"][..]] {
                    let mut a = vec!["ec", "-inform", "DER", "-in", key, "-outform", "DER"];
                    a.extend_from_slice(extra);
                    let sec = openssl(&a);
                    let ours = ec_private_key(&sec).unwrap();
                    let theirs = sec1::EcPrivateKey::from_der(&sec).unwrap();
                    assert_eq!(ours.private_key, theirs.private_key, "{name}");
                    assert_eq!(
                        ours.curve.map(<[u8]>::to_vec),
                        theirs
                            .parameters
                            .and_then(|p| p.named_curve())
                            .map(|o| o.as_bytes().to_vec()),
                        "{name}"
                    );
                    assert_eq!(ours.public_key, theirs.public_key, "{name}");
                    forms.push(sec);
                }
            }
            for (i, form) in forms.iter().enumerate() {
                for cut in 0..form.len() {
                    let prefix = &form[..cut];
                    assert!(
                        private_key_info(prefix).is_err()
                            && public_key_info(prefix).is_err()
                            && ec_private_key(prefix).is_err(),
                        "{name} form {i} prefix {cut}"
                    );
                }
                seen += 1;
            }
        }
        assert_eq!(seen, 5 * 2 + 2 * 2);
        let _ = std::fs::remove_dir_all(&dir);
    }
}
