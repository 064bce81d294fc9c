//! The trust-anchor model through the CLI: `pinset evaluate` validates each host against its
//! rule's anchors (`--ca` standing in for `system`, the rule's own files from the manifest), and
//! `pinset connect` over 127.0.0.1 against `openssl s_server` never trusts a rule's private CA
//! for another host.
#![allow(clippy::unwrap_used, clippy::panic)]

use std::path::Path;
use std::process::Command;

use pinset_tests::tls::OpensslServer;
use pinset_tests::{Cert, Pki, write};

struct Run {
    code: i32,
    stdout: String,
}

fn pinset(args: &[&std::ffi::OsStr]) -> Run {
    let out = Command::new(env!("CARGO_BIN_EXE_pinset"))
        .args(args)
        .output()
        .unwrap();
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8(out.stdout).unwrap() + &String::from_utf8(out.stderr).unwrap(),
    }
}

/// corp.pem (a private CA) and public.pem (standing in for the system store) in `dir`.
struct World {
    dir: tempfile::TempDir,
    corp: Pki,
    public: Pki,
}

impl World {
    fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let corp = Pki::new("corp", &["build.corp.example"]);
        let public = Pki::new("public", &["build.corp.example"]);
        write(dir.path(), "corp.pem", corp.root.pem());
        write(dir.path(), "public.pem", public.root.pem());
        Self { dir, corp, public }
    }

    fn manifest(&self, anchors: &str) -> std::path::PathBuf {
        // Both roots pinned: only the anchors decide.
        let toml = format!(
            "version = 1\n[[domain]]\nname = \"corp.example\"\ninclude_subdomains = true\n\
             pins = [\"{}\", \"{}\"]\ntrust_anchors = {anchors}\n",
            self.corp.root.pin(),
            self.public.root.pin()
        );
        write(self.dir.path(), "pins.toml", toml)
    }

    fn evaluate(&self, anchors: &str, host: &str, leaf: &Cert, int: &Cert) -> Run {
        let m = self.manifest(anchors);
        let chain = write(self.dir.path(), "chain.pem", leaf.pem() + &int.pem());
        let ca = self.dir.path().join("public.pem");
        pinset(&[
            "evaluate".as_ref(),
            m.as_os_str(),
            "--host".as_ref(),
            host.as_ref(),
            "--chain".as_ref(),
            chain.as_os_str(),
            "--ca".as_ref(),
            ca.as_os_str(),
        ])
    }
}

#[test]
fn evaluate_private_only_rule_refuses_the_ca_roots() {
    let w = World::new();
    let r = w.evaluate(
        "[\"corp.pem\"]",
        "build.corp.example",
        &w.public.leaf,
        &w.public.intermediate,
    );
    assert_eq!(r.code, 1, "{}", r.stdout);
    assert!(r.stdout.contains("untrusted"), "{}", r.stdout);
}

#[test]
fn evaluate_trusts_the_rules_own_anchor_file() {
    let w = World::new();
    for anchors in ["[\"corp.pem\"]", "[\"system\", \"corp.pem\"]"] {
        let r = w.evaluate(
            anchors,
            "build.corp.example",
            &w.corp.leaf,
            &w.corp.intermediate,
        );
        assert_eq!(r.code, 0, "{anchors}: {}", r.stdout);
        assert!(r.stdout.contains("trusted"), "{}", r.stdout);
    }
    // `system` + file: the --ca roots stand in for `system`.
    let r = w.evaluate(
        "[\"system\", \"corp.pem\"]",
        "build.corp.example",
        &w.public.leaf,
        &w.public.intermediate,
    );
    assert_eq!(r.code, 0, "{}", r.stdout);
}

#[test]
fn evaluate_private_ca_is_not_a_root_for_other_hosts() {
    let w = World::new();
    let leaf = w.corp.intermediate.leaf(&["www.example.com"]);
    let r = w.evaluate(
        "[\"system\", \"corp.pem\"]",
        "www.example.com",
        &leaf,
        &w.corp.intermediate,
    );
    assert_eq!(r.code, 1, "{}", r.stdout);
    assert!(r.stdout.contains("untrusted"), "{}", r.stdout);
}

fn serve_dir(dir: &Path, leaf: &Cert, int: &Cert) {
    write(dir, "leaf.pem", leaf.pem());
    write(dir, "leaf.key", leaf.key_pem());
    write(dir, "chain.pem", int.pem());
}

#[test]
fn connect_refuses_a_private_ca_for_another_host_over_openssl() {
    let w = World::new();
    let m = w.manifest("[\"system\", \"corp.pem\"]");
    let ca = w.dir.path().join("public.pem");
    for (host, leaf, expect) in [
        (
            "www.example.com",
            w.corp.intermediate.leaf(&["www.example.com"]),
            1,
        ),
        (
            "build.corp.example",
            w.corp.intermediate.leaf(&["build.corp.example"]),
            0,
        ),
    ] {
        let served = tempfile::tempdir().unwrap();
        serve_dir(served.path(), &leaf, &w.corp.intermediate);
        for webpki in [false, true] {
            let server = OpensslServer::start(served.path(), 1);
            let target = format!("{host}:{}", server.addr.port());
            let mut args: Vec<&std::ffi::OsStr> = vec![
                "connect".as_ref(),
                target.as_ref(),
                "--addr".as_ref(),
                "127.0.0.1".as_ref(),
                "--timeout".as_ref(),
                "5".as_ref(),
                "--manifest".as_ref(),
                m.as_os_str(),
                "--ca".as_ref(),
                ca.as_os_str(),
            ];
            if webpki {
                args.push("--webpki".as_ref());
            }
            let r = pinset(&args);
            assert_eq!(r.code, expect, "{host} webpki={webpki}: {}", r.stdout);
        }
    }
}

/// Runs `pinset ARGS` and kills it after 20 s (a FIFO or device would otherwise hang the test).
fn pinset_bounded(args: &[&std::ffi::OsStr]) -> Run {
    use std::io::Read as _;
    let mut child = Command::new(env!("CARGO_BIN_EXE_pinset"))
        .args(args)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    let status = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break s;
        }
        if std::time::Instant::now() > deadline {
            child.kill().unwrap();
            panic!("pinset {args:?} did not finish in 20 s");
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    };
    let mut out = String::new();
    child
        .stdout
        .take()
        .unwrap()
        .read_to_string(&mut out)
        .unwrap();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut out)
        .unwrap();
    Run {
        code: status.code().unwrap_or(-1),
        stdout: out,
    }
}

#[test]
fn check_and_evaluate_refuse_anchor_files_that_are_not_bounded_regular_files() {
    let w = World::new();
    let d = w.dir.path();
    assert!(
        Command::new("mkfifo")
            .arg(d.join("fifo.pem"))
            .status()
            .unwrap()
            .success()
    );
    std::os::unix::fs::symlink("/dev/zero", d.join("zero.pem")).unwrap();
    let chain = write(d, "chain.pem", w.corp.leaf.pem());
    for (file, expect) in [
        ("fifo.pem", "not a regular file (a FIFO)"),
        ("zero.pem", "not a regular file (a character device)"),
    ] {
        let m = w.manifest(&format!("[\"{file}\"]"));
        for args in [
            vec!["check".as_ref(), m.as_os_str()],
            vec![
                "evaluate".as_ref(),
                m.as_os_str(),
                "--host".as_ref(),
                "build.corp.example".as_ref(),
                "--chain".as_ref(),
                chain.as_os_str(),
            ],
        ] {
            let r = pinset_bounded(&args);
            assert!(r.code == 1 || r.code == 2, "{args:?}: {}", r.stdout);
            assert!(r.stdout.contains(expect), "{args:?}: {}", r.stdout);
            assert!(r.stdout.contains("pins.toml:"), "{args:?}: {}", r.stdout);
        }
    }
}
