//! `pinset check`: exit codes, `file:line:col` errors on stderr, warnings, hostile files.
#![allow(clippy::unwrap_used)]

use std::path::Path;
use std::process::Command;

fn check(path: &Path) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_pinset"))
        .arg("check")
        .arg(path)
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8(out.stdout).unwrap(),
        String::from_utf8(out.stderr).unwrap(),
    )
}

#[test]
fn sample_manifest_is_valid() {
    let sample = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../samples/pins.toml");
    let (code, out, err) = check(&sample);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("ok (6 domains, 11 pins)"), "{out}");
}

#[test]
fn errors_carry_file_line_col_and_exit_1() {
    let dir = tempfile::tempdir().unwrap();
    let p = pinset_tests::write(
        dir.path(),
        "bad.toml",
        "version = 1\n[[domain]]\nname = \"a.example\"\nexpires = \"24-01-01\"\npins = [\"sha256/AAAA\"]\n",
    );
    let (code, _, err) = check(&p);
    assert_eq!(code, 1);
    let file = p.display().to_string();
    assert!(
        err.contains(&format!("{file}:4:11: error: invalid date '24-01-01'")),
        "{err}"
    );
    assert!(
        err.contains(&format!("{file}:5:9: error: pin digest is 3 bytes")),
        "{err}"
    );
    // Sorted by position, and no cascading error about the (dropped) pin.
    assert_eq!(err.lines().count(), 2, "{err}");
    assert!(err.lines().next().unwrap().contains(":4:11:"), "{err}");
}

#[test]
fn trust_anchor_files_are_checked_relative_to_the_manifest() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let pins = [pinset_tests::root("a").pin(), pinset_tests::root("b").pin()];
    let m = pinset_tests::manifest_for("corp.example", &pins, "trust_anchors = [\"certs/ca.pem\"]");
    let p = pinset_tests::write(d, "pins.toml", &m);
    let (code, _, err) = check(&p);
    assert_eq!(code, 1);
    assert!(
        err.contains("cannot read trust anchor file 'certs/ca.pem'"),
        "{err}"
    );
    std::fs::create_dir(d.join("certs")).unwrap();
    pinset_tests::write(&d.join("certs"), "ca.pem", "not a certificate");
    let (code, _, err) = check(&p);
    assert_eq!(code, 1);
    assert!(err.contains("trust anchor file 'certs/ca.pem'"), "{err}");
    pinset_tests::write(&d.join("certs"), "ca.pem", pinset_tests::root("corp").pem());
    assert_eq!(check(&p).0, 0);
}

#[test]
fn hostile_files_are_errors_not_panics() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let cases: Vec<(&str, Vec<u8>)> = vec![
        ("binary", (0u8..=255).cycle().take(4096).collect()),
        ("not-utf8", b"version = 1\n\xff\xfe\n".to_vec()),
        (
            "deep-nesting",
            format!("version = 1\nx = {}{}", "[".repeat(5000), "]".repeat(5000)).into_bytes(),
        ),
        ("huge", vec![b'#'; 9 << 20]),
    ];
    for (name, bytes) in cases {
        let p = pinset_tests::write(d, name, &bytes);
        let (code, _, err) = check(&p);
        assert!(code == 1 || code == 2, "{name}: {code} {err}");
        assert!(!err.contains("panicked"), "{name}: {err}");
        assert!(err.contains(&p.display().to_string()), "{name}: {err}");
    }
    let (code, _, err) = check(&d.join("missing.toml"));
    assert_eq!(code, 1, "{err}");
}
