//! The sample binary against a local HTTPS server: the pinned server answers, a server with
//! another key is refused before any HTTP bytes are sent.
#![allow(clippy::unwrap_used)]

use std::process::Command;

use pinset_tests::tls::{Server, ServerSpec};
use pinset_tests::{Pki, manifest_for, root, write};

#[test]
fn reqwest_with_pinned_config() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let pki = Pki::new("reqwest", &["localhost"]);
    let ca = write(d, "root.pem", pki.root.pem());
    let manifest = write(
        d,
        "pins.toml",
        manifest_for("localhost", &[pki.intermediate.pin(), root("b").pin()], ""),
    );
    let run = |server: &Server| {
        let url = format!("https://localhost:{}/", server.addr.port());
        Command::new(env!("CARGO_BIN_EXE_pinset-sample-reqwest"))
            .arg(&manifest)
            .arg(url)
            .arg(&ca)
            .output()
            .unwrap()
    };
    let good = Server::start(ServerSpec::new(&pki.leaf, &[&pki.intermediate]), 1);
    let out = run(&good);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(String::from_utf8_lossy(&out.stdout), "pong\n");
    // Another key under the same trusted root, not pinned.
    let other = Pki {
        leaf: pki.root.leaf(&["localhost"]),
        ..Pki::new("unused", &["x"])
    };
    let bad = Server::start(ServerSpec::new(&other.leaf, &[]), 1);
    let out = run(&bad);
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("Certificate pinning failure!"), "{err}");
}
