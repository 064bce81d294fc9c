//! `pinset evaluate` on a root → intermediate → leaf chain built in the test: pins on the leaf,
//! the intermediate, the root (not sent by the server), backup-only, a miss, and the
//! CVE-2016-2402 shape (an unrelated pinned certificate appended to a leaf from another root).
#![allow(clippy::unwrap_used, clippy::panic)]

use std::path::Path;
use std::process::Command;

use pinset::Pin;
use pinset_tests::{Pki, manifest_for, write};

struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

fn evaluate(
    dir: &Path,
    manifest: &str,
    host: &str,
    chain_pem: &str,
    cas: &[&str],
    at: Option<&str>,
) -> Run {
    let m = write(dir, "pins.toml", manifest);
    let chain = write(dir, "chain.pem", chain_pem);
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_pinset"));
    cmd.arg("evaluate")
        .arg(&m)
        .args(["--host", host])
        .arg("--chain")
        .arg(&chain);
    for (i, ca) in cas.iter().enumerate() {
        cmd.arg("--ca").arg(write(dir, &format!("ca{i}.pem"), ca));
    }
    if let Some(at) = at {
        cmd.args(["--at", at]);
    }
    let out = cmd.output().unwrap();
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8(out.stdout).unwrap(),
        stderr: String::from_utf8(out.stderr).unwrap(),
    }
}

fn other_pin(tag: &str) -> Pin {
    pinset_tests::root(tag).pin()
}

#[test]
fn pin_positions_and_misses() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let pki = Pki::new("eval", &["api.example.com"]);
    let chain = pki.served_chain_pem();
    let root = pki.root.pem();
    let backup = other_pin("backup");
    let cases = [
        (
            "leaf",
            vec![pki.leaf.pin(), backup],
            0,
            Some(pki.leaf.pin()),
        ),
        (
            "intermediate",
            vec![pki.intermediate.pin(), backup],
            0,
            Some(pki.intermediate.pin()),
        ),
        (
            "root-not-sent",
            vec![pki.root.pin(), backup],
            0,
            Some(pki.root.pin()),
        ),
        (
            "backup-only",
            vec![other_pin("primary"), pki.intermediate.pin()],
            0,
            Some(pki.intermediate.pin()),
        ),
        ("miss", vec![other_pin("x"), other_pin("y")], 1, None),
    ];
    for (name, pins, code, matched) in cases {
        let r = evaluate(
            d,
            &manifest_for("api.example.com", &pins, ""),
            "api.example.com",
            &chain,
            &[&root],
            None,
        );
        assert_eq!(r.code, code, "{name}: {}{}", r.stdout, r.stderr);
        match matched {
            Some(pin) => {
                assert!(r.stdout.starts_with("trusted:"), "{name}: {}", r.stdout);
                assert!(
                    r.stdout.contains(&format!("matched {pin}")),
                    "{name}: {}",
                    r.stdout
                );
            }
            None => {
                assert!(r.stdout.starts_with("violation:"), "{name}: {}", r.stdout);
                // The message lists every certificate of the validated path with its pin and
                // subject (the root included although the server did not send it), and the pins.
                for (c, subject) in [
                    (&pki.leaf, "CN=api.example.com"),
                    (&pki.intermediate, "CN=eval Intermediate CA"),
                    (&pki.root, "CN=eval Root CA"),
                ] {
                    assert!(
                        r.stdout.contains(&format!("{}: {subject}", c.pin())),
                        "{name}: {}",
                        r.stdout
                    );
                }
                for p in &pins {
                    assert!(
                        r.stdout.contains(&format!("    {p}\n")),
                        "{name}: {}",
                        r.stdout
                    );
                }
            }
        }
    }
}

#[test]
fn appended_pinned_certificate_does_not_satisfy_pins() {
    // CVE-2016-2402: the attacker has a valid leaf from another trusted root and appends the
    // genuine pinned intermediate. It is not on the verified path, so it must not count.
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let genuine = Pki::new("genuine", &["api.example.com"]);
    let rogue = Pki::new("rogue", &["api.example.com"]);
    let pins = [genuine.intermediate.pin(), genuine.root.pin()];
    let manifest = manifest_for("api.example.com", &pins, "");
    let attack = rogue.leaf.pem()
        + &rogue.intermediate.pem()
        + &genuine.intermediate.pem()
        + &genuine.root.pem();
    let r = evaluate(
        d,
        &manifest,
        "api.example.com",
        &attack,
        &[&genuine.root.pem(), &rogue.root.pem()],
        None,
    );
    assert_eq!(r.code, 1, "{}", r.stdout);
    assert!(r.stdout.starts_with("violation:"), "{}", r.stdout);
    // Control: the genuine chain passes with the same roots.
    let r = evaluate(
        d,
        &manifest,
        "api.example.com",
        &genuine.served_chain_pem(),
        &[&genuine.root.pem(), &rogue.root.pem()],
        None,
    );
    assert_eq!(r.code, 0, "{}", r.stdout);
}

#[test]
fn untrusted_wrong_host_and_expired_certificates_fail_even_when_pinned() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let pki = Pki::new("strict", &["api.example.com"]);
    let manifest = manifest_for(
        "api.example.com",
        &[pki.leaf.pin(), pki.intermediate.pin()],
        "",
    );
    // Unknown root.
    let r = evaluate(
        d,
        &manifest,
        "api.example.com",
        &pki.served_chain_pem(),
        &[&pinset_tests::root("other").pem()],
        None,
    );
    assert_eq!(r.code, 1);
    assert!(r.stdout.starts_with("untrusted:"), "{}", r.stdout);
    // Wrong host: pinned key, valid chain, but not for this name.
    let m2 = manifest_for(
        "www.example.com",
        &[pki.leaf.pin(), pki.intermediate.pin()],
        "",
    );
    let r = evaluate(
        d,
        &m2,
        "www.example.com",
        &pki.served_chain_pem(),
        &[&pki.root.pem()],
        None,
    );
    assert_eq!(r.code, 1);
    assert!(r.stdout.contains("not valid for host"), "{}", r.stdout);
    // Expired certificate (validity ends in 2001), evaluated today.
    let old = pki.intermediate.leaf_with(&["api.example.com"], |p| {
        p.not_before = pinset_tests::rcgen::date_time_ymd(2000, 1, 1);
        p.not_after = pinset_tests::rcgen::date_time_ymd(2001, 1, 1);
    });
    let m3 = manifest_for("api.example.com", &[old.pin(), pki.intermediate.pin()], "");
    let r = evaluate(
        d,
        &m3,
        "api.example.com",
        &(old.pem() + &pki.intermediate.pem()),
        &[&pki.root.pem()],
        None,
    );
    assert_eq!(r.code, 1);
    assert!(r.stdout.starts_with("untrusted:"), "{}", r.stdout);
    // ... but it validates at a date inside its validity window.
    let r = evaluate(
        d,
        &m3,
        "api.example.com",
        &(old.pem() + &pki.intermediate.pem()),
        &[&pki.root.pem()],
        Some("2000-06-01"),
    );
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
}

#[test]
fn expiry_report_only_exemption_and_subdomains() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let pki = Pki::new(
        "sub",
        &["a.b.example.com", "cdn.example.com", "example.com"],
    );
    let chain = pki.served_chain_pem();
    let root = pki.root.pem();
    let miss = [other_pin("m1"), other_pin("m2")];
    let pins = |p: &[Pin]| {
        p.iter()
            .map(|p| format!("\"{p}\""))
            .collect::<Vec<_>>()
            .join(", ")
    };
    // Expiry boundary: enforced the day before, not enforced from 00:00 UTC on the date.
    let m = manifest_for("example.com", &miss, "expires = \"2030-01-02\"");
    assert_eq!(
        evaluate(d, &m, "example.com", &chain, &[&root], Some("2030-01-01")).code,
        1
    );
    let r = evaluate(d, &m, "example.com", &chain, &[&root], Some("2030-01-02"));
    assert_eq!(r.code, 0);
    assert!(r.stdout.starts_with("expired:"), "{}", r.stdout);
    assert!(r.stderr.contains("expired on 2030-01-02"), "{}", r.stderr);
    // Report-only: the violation is printed, the connection is allowed.
    let r = evaluate(
        d,
        &manifest_for("example.com", &miss, "enforce = false"),
        "example.com",
        &chain,
        &[&root],
        None,
    );
    assert_eq!(r.code, 0);
    assert!(
        r.stdout.starts_with("report-only violation:"),
        "{}",
        r.stdout
    );
    // include_subdomains covers any depth; an exemption under it is not pinned.
    let m = format!(
        "version = 1\n[[domain]]\nname = \"example.com\"\ninclude_subdomains = true\npins = [{}]\n\
         [[domain]]\nname = \"cdn.example.com\"\npins = []\n",
        pins(&miss)
    );
    assert_eq!(
        evaluate(d, &m, "a.b.example.com", &chain, &[&root], None).code,
        1
    );
    let r = evaluate(d, &m, "cdn.example.com", &chain, &[&root], None);
    assert_eq!(r.code, 0);
    assert!(r.stdout.starts_with("exempt:"), "{}", r.stdout);
}
