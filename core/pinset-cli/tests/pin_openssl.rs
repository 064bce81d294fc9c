//! `pinset pin` agrees with the openssl pipeline
//! (`openssl x509 -pubkey | openssl pkey -pubin -outform DER | openssl dgst -sha256 -binary | base64`)
//! on freshly generated RSA-2048/4096, P-256, P-384 and Ed25519 certificates, for PEM, DER and
//! multi-certificate PEM input.
#![allow(clippy::unwrap_used, clippy::panic)]

use std::path::Path;
use std::process::{Command, Stdio};

fn openssl(args: &[&str], dir: &Path) -> Vec<u8> {
    let out = Command::new("openssl")
        .args(args)
        .current_dir(dir)
        .output()
        .expect("openssl must be installed");
    assert!(
        out.status.success(),
        "openssl {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

/// The reference pipeline, run through a shell exactly as users run it.
fn openssl_pin(cert: &Path) -> String {
    let script = format!(
        "openssl x509 -in '{}' -pubkey -noout | openssl pkey -pubin -outform DER | openssl dgst -sha256 -binary | base64",
        cert.display()
    );
    let out = Command::new("sh").arg("-c").arg(script).output().unwrap();
    assert!(out.status.success());
    format!("sha256/{}", String::from_utf8(out.stdout).unwrap().trim())
}

fn pinset(args: &[&Path]) -> (bool, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_pinset"))
        .arg("pin")
        .args(args)
        .stdin(Stdio::null())
        .output()
        .unwrap();
    (
        out.status.success(),
        String::from_utf8(out.stdout).unwrap(),
        String::from_utf8(out.stderr).unwrap(),
    )
}

#[test]
fn pin_matches_openssl_for_every_key_type_and_encoding() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let keys: &[(&str, &[&str])] = &[
        (
            "rsa2048",
            &[
                "genpkey",
                "-algorithm",
                "RSA",
                "-pkeyopt",
                "rsa_keygen_bits:2048",
            ],
        ),
        (
            "rsa4096",
            &[
                "genpkey",
                "-algorithm",
                "RSA",
                "-pkeyopt",
                "rsa_keygen_bits:4096",
            ],
        ),
        (
            "p256",
            &[
                "genpkey",
                "-algorithm",
                "EC",
                "-pkeyopt",
                "ec_paramgen_curve:P-256",
            ],
        ),
        (
            "p384",
            &[
                "genpkey",
                "-algorithm",
                "EC",
                "-pkeyopt",
                "ec_paramgen_curve:P-384",
            ],
        ),
        ("ed25519", &["genpkey", "-algorithm", "ED25519"]),
    ];
    let mut expected_all = String::new();
    let mut bundle = String::new();
    for (name, genargs) in keys {
        let key = format!("{name}.key");
        let pem = format!("{name}.pem");
        let der = format!("{name}.der");
        let mut args = genargs.to_vec();
        args.extend(["-out", &key]);
        openssl(&args, d);
        let subj = format!("/CN={name}.example/O=pinset tests");
        openssl(
            &[
                "req", "-x509", "-new", "-key", &key, "-out", &pem, "-days", "30", "-subj", &subj,
            ],
            d,
        );
        openssl(&["x509", "-in", &pem, "-outform", "DER", "-out", &der], d);

        let expected = openssl_pin(&d.join(&pem));
        for input in [&pem, &der] {
            let (ok, out, err) = pinset(&[&d.join(input)]);
            assert!(ok, "{input}: {err}");
            let mut fields = out.trim_end().splitn(2, "  ");
            assert_eq!(fields.next(), Some(expected.as_str()), "{input}");
            assert_eq!(
                fields.next(),
                Some(format!("CN={name}.example, O=pinset tests").as_str()),
                "{input}"
            );
        }
        expected_all.push_str(&expected);
        expected_all.push('\n');
        bundle.push_str(&std::fs::read_to_string(d.join(&pem)).unwrap());
    }
    // One PEM file holding all five certificates: one line each, in file order.
    std::fs::write(d.join("bundle.pem"), &bundle).unwrap();
    let (ok, out, err) = pinset(&[&d.join("bundle.pem")]);
    assert!(ok, "{err}");
    let pins: String = out
        .lines()
        .map(|l| format!("{}\n", l.split("  ").next().unwrap()))
        .collect();
    assert_eq!(pins, expected_all);
}

#[test]
fn pin_rejects_garbage_truncated_and_huge_input_without_panicking() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let cert = pinset_tests::root("garbage test");
    let der = cert.der.to_vec();
    let cases: Vec<(&str, Vec<u8>)> = vec![
        ("empty", vec![]),
        ("text", b"hello, not a certificate\n".to_vec()),
        ("truncated-der", der[..der.len() / 2].to_vec()),
        ("trailing-der", [der.clone(), vec![0u8; 3]].concat()),
        (
            "bad-pem",
            b"-----BEGIN CERTIFICATE-----\n!!!!\n-----END CERTIFICATE-----\n".to_vec(),
        ),
        (
            "unterminated-pem",
            b"-----BEGIN CERTIFICATE-----\nMIIB\n".to_vec(),
        ),
        (
            "pem-of-garbage",
            pinset::certificate::pem_encode(b"\x30\x03\x02\x01\x00").into_bytes(),
        ),
        ("huge", vec![b'A'; 17 << 20]),
    ];
    for (name, bytes) in cases {
        let p = pinset_tests::write(d, name, &bytes);
        let (ok, out, err) = pinset(&[&p]);
        assert!(!ok, "{name} accepted: {out}");
        assert!(err.starts_with("pinset: "), "{name}: {err}");
        assert!(!err.contains("panicked"), "{name}: {err}");
    }
}
