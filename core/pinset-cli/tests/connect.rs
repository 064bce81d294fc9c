//! `pinset connect` against `openssl s_server` (an independent TLS implementation) and the
//! in-process rustls server, over 127.0.0.1 only.
#![allow(clippy::unwrap_used, clippy::panic)]

use std::path::Path;
use std::process::Command;

use pinset::Pin;
use pinset_tests::tls::{OpensslServer, Server, ServerSpec};
use pinset_tests::{Pki, manifest_for, root, write};

fn connect(
    dir: &Path,
    target: &str,
    manifest: Option<&str>,
    extra: &[&str],
) -> (i32, String, String) {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_pinset"));
    cmd.arg("connect")
        .arg(target)
        .args(["--addr", "127.0.0.1", "--timeout", "5"]);
    cmd.arg("--ca").arg(dir.join("root.pem"));
    if let Some(m) = manifest {
        cmd.arg("--manifest").arg(write(dir, "pins.toml", m));
    }
    cmd.args(extra);
    let out = cmd.output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8(out.stdout).unwrap(),
        String::from_utf8(out.stderr).unwrap(),
    )
}

fn openssl_pki(dir: &Path, pki: &Pki) {
    write(dir, "leaf.pem", pki.leaf.pem());
    write(dir, "leaf.key", pki.leaf.key_pem());
    write(dir, "chain.pem", pki.intermediate.pem());
    write(dir, "root.pem", pki.root.pem());
}

#[test]
fn openssl_server_pin_positions_and_miss() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let pki = Pki::new("ossl", &["api.example.com"]);
    openssl_pki(d, &pki);
    let backup = root("backup").pin();
    let cases: [(&str, [Pin; 2], i32); 5] = [
        ("leaf", [pki.leaf.pin(), backup], 0),
        ("intermediate", [pki.intermediate.pin(), backup], 0),
        ("root not sent", [pki.root.pin(), backup], 0),
        (
            "backup only",
            [root("primary").pin(), pki.intermediate.pin()],
            0,
        ),
        ("miss", [root("x").pin(), root("y").pin()], 1),
    ];
    let server = OpensslServer::start(d, cases.len() * 2);
    let target = format!("api.example.com:{}", server.addr.port());
    for (what, pins, code) in cases {
        for mode in [&[][..], &["--webpki"][..]] {
            let (c, out, err) = connect(
                d,
                &target,
                Some(&manifest_for("api.example.com", &pins, "")),
                mode,
            );
            assert_eq!(c, code, "{what} {mode:?}: {out}{err}");
            if code == 0 {
                assert!(
                    out.contains("trusted: api.example.com matched"),
                    "{what}: {out}"
                );
                assert!(out.contains("protocol: \"TLSv1_3\""), "{what}: {out}");
            } else {
                assert!(
                    out.contains("Certificate pinning failure!"),
                    "{what}: {out}"
                );
                assert!(
                    out.contains(&format!("{}: CN=api.example.com", pki.leaf.pin())),
                    "{what}: {out}"
                );
            }
        }
    }
}

#[test]
fn learn_pins_without_manifest_and_wrong_host() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let pki = Pki::new("learn", &["api.example.com"]);
    openssl_pki(d, &pki);
    let server = OpensslServer::start(d, 2);
    let (c, out, _) = connect(
        d,
        &format!("api.example.com:{}", server.addr.port()),
        None,
        &[],
    );
    assert_eq!(c, 0, "{out}");
    assert!(out.contains("not pinned"), "{out}");
    assert!(
        out.contains(&format!("{}: CN=api.example.com", pki.leaf.pin())),
        "{out}"
    );
    assert!(
        out.contains(&format!(
            "{}: CN=learn Intermediate CA",
            pki.intermediate.pin()
        )),
        "{out}"
    );
    let pins = [pki.leaf.pin(), pki.intermediate.pin()];
    let (c, out, _) = connect(
        d,
        &format!("www.example.com:{}", server.addr.port()),
        Some(&manifest_for("www.example.com", &pins, "")),
        &[],
    );
    assert_eq!(c, 1, "{out}");
    assert!(
        out.starts_with("connected") && out.contains("untrusted:"),
        "{out}"
    );
}

#[test]
fn mtls_through_the_cli() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let pki = Pki::new("mtls-cli", &["api.example.com"]);
    write(d, "root.pem", pki.root.pem());
    let client_root = root("cli client root");
    let client = client_root.leaf_with(&["client"], |p| {
        p.extended_key_usages = vec![pinset_tests::rcgen::ExtendedKeyUsagePurpose::ClientAuth];
    });
    let cert = write(d, "client.pem", client.pem());
    let key = write(d, "client.key", client.key_pem());
    let server = Server::start(
        ServerSpec {
            client_ca: Some(client_root.der.clone()),
            ..ServerSpec::new(&pki.leaf, &[&pki.intermediate])
        },
        1,
    );
    let m = manifest_for(
        "api.example.com",
        &[pki.intermediate.pin(), root("b").pin()],
        "",
    );
    let (c, out, err) = connect(
        d,
        &format!("api.example.com:{}", server.addr.port()),
        Some(&m),
        &[
            "--client-cert",
            cert.to_str().unwrap(),
            "--client-key",
            key.to_str().unwrap(),
        ],
    );
    assert_eq!(c, 0, "{out}{err}");
}
