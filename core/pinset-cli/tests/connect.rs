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

const SPIFFE_HOST: &str = "tools.internal.example.org";
const SPIFFE_ID: &str = "spiffe://mcp.example.org/ns/prod/sa/tools";

/// A manifest with the trust domain `mcp.example.org` (bundle file beside it) and `rule` for
/// SPIFFE_HOST.
fn spiffe_manifest(rule: &str) -> String {
    format!(
        "version = 1\n\n[[trust_domain]]\nname = \"mcp.example.org\"\nbundle = \"mcp.pem\"\n\n\
         [[domain]]\nname = \"{SPIFFE_HOST}\"\n{rule}\n"
    )
}

/// `pinset connect` to a server presenting an X.509-SVID: the output names the presented ID and
/// the rule that authorized it; an impostor workload (a valid SVID of the same trust domain) is
/// refused with its ID, the reason and the rule.
#[test]
fn spiffe_id_and_rule_are_printed() {
    use pinset_tests::svid::{svid, svid_ca};
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let ca = svid_ca("mcp.example.org");
    write(d, "mcp.pem", ca.pem());
    // `--ca`: an unrelated root (a spiffe rule never uses it).
    write(d, "root.pem", root("unrelated").pem());
    let run = |leaf: &pinset_tests::Cert, rule: &str| {
        let server = Server::start(ServerSpec::new(leaf, &[]), 1);
        connect(
            d,
            &format!("{SPIFFE_HOST}:{}", server.addr.port()),
            Some(&spiffe_manifest(rule)),
            &[],
        )
    };
    let good = svid(&ca, SPIFFE_ID);

    // An exact ID, no pins.
    let (c, out, err) = run(&good, &format!("spiffe = {{ id = \"{SPIFFE_ID}\" }}"));
    assert_eq!(c, 0, "{out}{err}");
    assert!(
        out.contains(&format!(
            "spiffe: presented {SPIFFE_ID}; authorized by rule '{SPIFFE_HOST}' \
             (spiffe = {{ id = \"{SPIFFE_ID}\" }}, chain checked against trust domain 'mcp.example.org' only)"
        )),
        "{out}"
    );
    assert!(
        out.contains(&format!(
            "trusted: {SPIFFE_HOST} by its SPIFFE ID; the rule lists no pins"
        )),
        "{out}"
    );
    assert!(
        out.contains(&format!("{}: CN=svid", good.pin())),
        "the validated chain is listed: {out}"
    );

    // A prefix with pins: the ID line names the prefix rule, the pin line the CA's pin.
    let backup = root("backup").pin();
    let (c, out, err) = run(
        &good,
        &format!(
            "spiffe = {{ prefix = \"spiffe://mcp.example.org/ns/prod\" }}\npins = [\"{}\", \"{backup}\"]",
            ca.pin()
        ),
    );
    assert_eq!(c, 0, "{out}{err}");
    assert!(
        out.contains(&format!(
            "spiffe: presented {SPIFFE_ID}; authorized by rule '{SPIFFE_HOST}' \
             (spiffe = {{ prefix = \"spiffe://mcp.example.org/ns/prod\" }}"
        )),
        "{out}"
    );
    assert!(
        out.contains(&format!("trusted: {SPIFFE_HOST} matched {}", ca.pin())),
        "{out}"
    );

    // An impostor: a valid SVID of another workload of the same trust domain.
    let impostor_id = "spiffe://mcp.example.org/ns/prod/sa/impostor";
    let (c, out, err) = run(
        &svid(&ca, impostor_id),
        &format!("spiffe = {{ id = \"{SPIFFE_ID}\" }}"),
    );
    assert_eq!(c, 1, "{out}{err}");
    assert!(
        out.contains(&format!(
            "untrusted: SPIFFE ID '{impostor_id}' is not authorized: the rule expects id = \"{SPIFFE_ID}\""
        )),
        "{out}"
    );
    assert!(
        out.contains(&format!(
            "  spiffe rule '{SPIFFE_HOST}': spiffe = {{ id = \"{SPIFFE_ID}\" }}"
        )),
        "{out}"
    );
    assert!(!out.contains("spiffe: presented"), "{out}");

    // A rogue CA for the same trust domain issuing the right ID: refused by the bundle.
    let rogue = svid_ca("mcp.example.org");
    let (c, out, err) = run(
        &svid(&rogue, SPIFFE_ID),
        &format!("spiffe = {{ id = \"{SPIFFE_ID}\" }}"),
    );
    assert_eq!(c, 1, "{out}{err}");
    assert!(
        out.contains(&format!(
            "untrusted: SVID '{SPIFFE_ID}' does not chain to the bundle of its trust domain"
        )),
        "{out}"
    );
}
