//! The MCP client verifies the stdio server binary's Sigstore bundle before launching it: the
//! genuine build is launched and answers over MCP; a substituted binary is refused and never runs;
//! replacing the file after the check does not change what runs; a build by another workflow is
//! refused. The trusted root and the expected build identity come from a pin manifest's
//! `[[attestation]]` entry. Fixtures (Fulcio CA, Rekor key, log proofs) are made here.
#![allow(clippy::unwrap_used, clippy::panic)]

use std::path::{Path, PathBuf};

use mcp_attest::client::StdioClient;
use mcp_attest::launch::{LaunchError, verify_server_binary};
use pinset::attest::{Policy, TrustedRoot};
use pinset_tests::sigstore::{self, IDENTITY, ISSUER, RootWindows, Spec, World};
use serde_json::json;

struct Install {
    dir: tempfile::TempDir,
    /// The installed server binary the client is configured to launch.
    binary: PathBuf,
    world: World,
    t: i64,
}

fn install() -> Install {
    let t = sigstore::now() - 300;
    let world = World::new(t);
    let dir = tempfile::tempdir().unwrap();
    let binary = dir.path().join("mcp-tools-stdio");
    std::fs::copy(env!("CARGO_BIN_EXE_mcp-tools-stdio"), &binary).unwrap();
    std::fs::write(
        dir.path().join("trusted_root.json"),
        serde_json::to_vec(&world.trusted_root(&RootWindows::around(t))).unwrap(),
    )
    .unwrap();
    std::fs::write(
        dir.path().join("pins.toml"),
        format!(
            "version = 1\n[[domain]]\nname = \"tools.example.org\"\n\
             pins = [\"sha256/AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\", \"sha256/BBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBA=\"]\n\n\
             [[attestation]]\nsubject = \"mcp-tools-stdio\"\ntrusted_root = \"trusted_root.json\"\n\
             identity = \"{IDENTITY}\"\nissuer = \"{ISSUER}\"\nclaims = {{ source-repository-ref = \"refs/tags/v1.4.0\" }}\n"
        ),
    )
    .unwrap();
    Install {
        dir,
        binary,
        world,
        t,
    }
}

/// The manifest's policy and trusted root for the server (what the client ships with).
fn pinned(dir: &Path) -> (Policy, TrustedRoot) {
    let loaded = pinset::Manifest::load(&dir.join("pins.toml"), None).unwrap();
    let entry = loaded
        .manifest
        .attestations
        .iter()
        .find(|a| a.subject == "mcp-tools-stdio")
        .unwrap();
    let root =
        TrustedRoot::from_json(&std::fs::read(entry.trusted_root_path(dir)).unwrap()).unwrap();
    (entry.policy(dir).unwrap(), root)
}

/// The release pipeline: a bundle for these bytes, signed as `spec` says.
fn release(i: &Install, bytes: &[u8], spec: &Spec) -> Vec<u8> {
    serde_json::to_vec(&i.world.make(bytes, spec, |_| {}).bundle).unwrap()
}

fn evil_script(dir: &Path) -> (Vec<u8>, PathBuf) {
    let marker = dir.join("substitute-ran");
    (
        format!("#!/bin/sh\ntouch '{}'\n", marker.display()).into_bytes(),
        marker,
    )
}

#[test]
fn the_verified_server_is_launched_and_answers() {
    let i = install();
    let bundle = release(&i, &std::fs::read(&i.binary).unwrap(), &Spec::new(i.t));
    let (policy, root) = pinned(i.dir.path());
    let verified = verify_server_binary(&i.binary, &bundle, &root, &policy).unwrap();
    assert_eq!(verified.verified.identity.as_ref().unwrap().san, IDENTITY);
    let (mut client, init) = StdioClient::start(verified.command()).unwrap();
    assert_eq!(init["serverInfo"]["name"], "mcp-tools-stdio");
    let sum = client
        .request(
            "tools/call",
            json!({"name": "sum", "arguments": {"a": 2, "b": 3}}),
        )
        .unwrap();
    assert_eq!(sum["content"][0]["text"], "5");
}

#[test]
fn a_substituted_binary_is_refused_and_never_runs() {
    let i = install();
    let bundle = release(&i, &std::fs::read(&i.binary).unwrap(), &Spec::new(i.t));
    let (evil, marker) = evil_script(i.dir.path());
    std::fs::write(&i.binary, &evil).unwrap();
    let (policy, root) = pinned(i.dir.path());
    match verify_server_binary(&i.binary, &bundle, &root, &policy) {
        Err(LaunchError::Attestation(e)) => assert_eq!(e.step(), "log entry body", "{e}"),
        other => panic!("substituted binary not refused: {other:?}"),
    }
    assert!(!marker.exists());
    // Same with a DSSE (in-toto) attestation of the genuine build: the subject digest differs.
    let genuine = std::fs::read(env!("CARGO_BIN_EXE_mcp-tools-stdio")).unwrap();
    let dsse = release(
        &i,
        &genuine,
        &Spec {
            dsse: true,
            ..Spec::new(i.t)
        },
    );
    match verify_server_binary(&i.binary, &dsse, &root, &policy) {
        Err(LaunchError::Attestation(e)) => assert_eq!(e.step(), "signature", "{e}"),
        other => panic!("substituted binary not refused: {other:?}"),
    }
    assert!(!marker.exists());
}

#[test]
fn replacing_the_file_after_the_check_changes_nothing() {
    let i = install();
    let bundle = release(&i, &std::fs::read(&i.binary).unwrap(), &Spec::new(i.t));
    let (policy, root) = pinned(i.dir.path());
    let verified = verify_server_binary(&i.binary, &bundle, &root, &policy).unwrap();
    let (evil, marker) = evil_script(i.dir.path());
    std::fs::write(&i.binary, &evil).unwrap();
    let (_client, init) = StdioClient::start(verified.command()).unwrap();
    assert_eq!(init["serverInfo"]["name"], "mcp-tools-stdio");
    assert!(!marker.exists());
}

#[test]
fn a_build_by_another_workflow_is_refused() {
    let i = install();
    let mut spec = Spec::new(i.t);
    spec.leaf.sans = vec![
        "https://github.com/example/mcp-tools/.github/workflows/nightly.yml@refs/heads/main".into(),
    ];
    let bundle = release(&i, &std::fs::read(&i.binary).unwrap(), &spec);
    let (policy, root) = pinned(i.dir.path());
    match verify_server_binary(&i.binary, &bundle, &root, &policy) {
        Err(LaunchError::Attestation(e)) => assert_eq!(e.step(), "identity", "{e}"),
        other => panic!("another workflow's build not refused: {other:?}"),
    }
}
