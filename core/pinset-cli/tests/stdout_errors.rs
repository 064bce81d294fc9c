//! Every printing subcommand when stdout cannot be written: `> /dev/full` and a pipe whose reader
//! has gone. Exit 2 with `pinset: writing to stdout: …`, never Rust's "failed printing to stdout"
//! panic (exit 101).
#![allow(clippy::unwrap_used)]

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::{Mutex, MutexGuard};

use pinset_tests::{Pki, manifest_for, write};

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// Each printing subcommand with arguments that succeed when stdout works.
fn invocations(dir: &Path) -> Vec<(&'static str, Vec<String>)> {
    let pki = Pki::new("stdout", &["api.example.com"]);
    let manifest = write(
        dir,
        "pins.toml",
        manifest_for("api.example.com", &[pki.leaf.pin(), pki.root.pin()], ""),
    );
    let chain = write(dir, "chain.pem", pki.served_chain_pem());
    let root = write(dir, "root.pem", pki.root.pem());
    let s = |p: &Path| p.display().to_string();
    let r = repo();
    vec![
        ("pin", vec!["pin".into(), s(&root), s(&chain)]),
        ("check", vec!["check".into(), s(&manifest)]),
        (
            "generate",
            vec![
                "generate".into(),
                "okhttp".into(),
                s(&r.join("samples/okhttp-compatible.toml")),
            ],
        ),
        (
            "import",
            vec![
                "import".into(),
                "android-nsc".into(),
                s(&r.join("samples/expected/pins.network_security_config.xml")),
            ],
        ),
        (
            "evaluate",
            vec![
                "evaluate".into(),
                s(&manifest),
                "--host".into(),
                "api.example.com".into(),
                "--chain".into(),
                s(&chain),
                "--ca".into(),
                s(&root),
            ],
        ),
    ]
}

fn run(args: &[String], stdout: Stdio) -> (Option<i32>, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_pinset"))
        .args(args)
        .stdout(stdout)
        .stderr(Stdio::piped())
        .output()
        .unwrap();
    (out.status.code(), String::from_utf8(out.stderr).unwrap())
}

/// The tests of this file run one at a time: a child forked by another test thread between
/// `closed_pipe`'s pipe creation and its close would hold the read end until it execs, and a
/// write in that window succeeds instead of failing with EPIPE (seen once on a loaded machine).
fn serial() -> MutexGuard<'static, ()> {
    static SERIAL: Mutex<()> = Mutex::new(());
    SERIAL
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// The write end of a pipe whose only reader has already exited.
fn closed_pipe() -> Stdio {
    let mut reader = Command::new("true").stdin(Stdio::piped()).spawn().unwrap();
    let writer = reader.stdin.take().unwrap();
    reader.wait().unwrap();
    Stdio::from(writer)
}

#[test]
fn the_invocations_succeed_with_a_working_stdout() {
    let _serial = serial();
    let dir = tempfile::tempdir().unwrap();
    for (name, args) in invocations(dir.path()) {
        let (code, err) = run(&args, Stdio::piped());
        assert_eq!(code, Some(0), "{name}: {err}");
    }
}

#[test]
fn full_stdout_exits_2_with_a_message() {
    let _serial = serial();
    let dir = tempfile::tempdir().unwrap();
    for (name, args) in invocations(dir.path()) {
        let full = std::fs::OpenOptions::new()
            .write(true)
            .open("/dev/full")
            .unwrap();
        let (code, err) = run(&args, Stdio::from(full));
        assert_eq!(code, Some(2), "{name}: {err}");
        assert!(
            err.contains("pinset: writing to stdout: No space left on device"),
            "{name}: {err}"
        );
        assert!(!err.contains("panicked"), "{name}: {err}");
    }
}

#[test]
fn closed_pipe_exits_2_without_a_panic() {
    let _serial = serial();
    let dir = tempfile::tempdir().unwrap();
    for (name, args) in invocations(dir.path()) {
        let (code, err) = run(&args, closed_pipe());
        assert_eq!(code, Some(2), "{name}: {err}");
        assert!(err.contains("pinset: writing to stdout:"), "{name}: {err}");
        assert!(!err.contains("panicked"), "{name}: {err}");
    }
}
