//! Differential against python-tuf 7.0.1 (PyPI `tuf`, installed by `.ci/run` from
//! `tests/interop/requirements.txt`): `tests/interop/tuf_oracle.py` builds every scenario
//! repository at test time with python-tuf's Metadata API and runs python-tuf's
//! `ngclient.Updater` over its steps; pinset's updater runs over the same directories and must
//! reach the same accept/reject verdict at every step, except where pinset is deliberately
//! stricter (listed in `EXPECTED_DIFFERENCES`, each with its reason). Then the other way:
//! repositories made by `pinset update init/publish/rotate-root` are accepted by python-tuf.
//! Fails, never skips, when Python or the package is missing.
#![allow(clippy::unwrap_used, clippy::panic)]

use std::path::{Path, PathBuf};
use std::process::Command;

use pinset::update::{DirStore, Fetched, Json, Outcome, Updater, UpdaterConfig, parse_json};

/// (scenario, step, python verdict, pinset verdict, why pinset differs)
const EXPECTED_DIFFERENCES: &[(&str, usize, &str, &str, &str)] = &[
    (
        "duplicate_keys_under_two_keyids",
        0,
        "accept",
        "reject",
        "one key listed under two key ids counts once toward a threshold (python-tuf counts key ids)",
    ),
    (
        "fast_forward_snapshot",
        2,
        "reject",
        "accept",
        "spec 5.3.11: a snapshot key rotation deletes the trusted timestamp and snapshot too; python-tuf keeps the timestamp",
    ),
    (
        "duplicate_json_key",
        0,
        "accept",
        "reject",
        "duplicate JSON keys are refused (a parser differential); Python keeps the last one",
    ),
    (
        "delegations",
        0,
        "accept",
        "reject",
        "pinset refuses delegations rather than half-reading them",
    ),
    (
        "manifest_fails_rules",
        0,
        "accept",
        "reject",
        "the target must pass every manifest rule (here the backup-pin rule)",
    ),
    (
        "serial_below_baseline",
        0,
        "accept",
        "reject",
        "the manifest serial must be above the embedded baseline's",
    ),
];

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn oracle(args: &[&str]) -> String {
    let out = Command::new("python3")
        .arg(repo_root().join("tests/interop/tuf_oracle.py"))
        .args(args)
        .output()
        .unwrap_or_else(|e| {
            panic!("python3 is required for the TUF oracle (.ci/run installs it): {e}")
        });
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "tuf_oracle.py {args:?} failed (pip install -r tests/interop/requirements.txt):\n{stderr}"
    );
    String::from_utf8(out.stdout).unwrap()
}

fn now() -> i64 {
    i64::try_from(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs(),
    )
    .unwrap()
}

fn dir_fetch(url: &str, max: u64) -> Fetched {
    use std::io::Read as _;
    match std::fs::File::open(url) {
        Ok(f) => {
            let mut b = Vec::new();
            f.take(max + 1).read_to_end(&mut b).unwrap();
            Fetched::Bytes(b)
        }
        Err(_) => Fetched::NotFound,
    }
}

/// One pinset cycle over `repo` with state in `state` (a new process each time).
fn pinset_cycle(root: &[u8], baseline: &str, repo: &str, state: &Path) -> Outcome {
    let mut up = Updater::new(
        root,
        Some(baseline),
        UpdaterConfig::new(&format!("{repo}/")),
        DirStore::new(state),
    )
    .unwrap();
    up.refresh(&dir_fetch, now())
}

fn verdict(o: &Outcome) -> &'static str {
    if o.is_success() { "accept" } else { "reject" }
}

fn field<'a>(v: &'a Json, k: &str) -> &'a Json {
    v.as_obj().unwrap().get(k).unwrap()
}

#[test]
fn pinset_and_python_tuf_agree_on_every_scenario() {
    let tmp = tempfile::tempdir().unwrap();
    let out = oracle(&["scenarios", tmp.path().to_str().unwrap()]);
    let Json::Arr(scenarios) = parse_json(out.as_bytes()).unwrap() else {
        panic!("oracle output is not a list")
    };
    assert!(scenarios.len() >= 35, "{} scenarios", scenarios.len());
    let mut differences_seen = Vec::new();
    let mut report = Vec::new();
    for sc in &scenarios {
        let name = field(sc, "name").as_str().unwrap();
        let root = std::fs::read(field(sc, "root").as_str().unwrap()).unwrap();
        let baseline = std::fs::read_to_string(field(sc, "baseline").as_str().unwrap()).unwrap();
        let state = tmp.path().join(format!("{name}-pinset-state"));
        let Json::Arr(steps) = field(sc, "steps") else {
            panic!()
        };
        for (i, step) in steps.iter().enumerate() {
            let python = field(step, "python").as_str().unwrap();
            let python_verdict = python.split(':').next().unwrap();
            let o = pinset_cycle(
                &root,
                &baseline,
                field(step, "dir").as_str().unwrap(),
                &state,
            );
            let ours = verdict(&o);
            let expected = EXPECTED_DIFFERENCES
                .iter()
                .find(|(n, s, ..)| *n == name && *s == i);
            match expected {
                Some((_, _, py, pin, why)) => {
                    assert_eq!(
                        (python_verdict, ours),
                        (*py, *pin),
                        "{name} step {i}: expected difference ({why}) did not occur: python {python}, pinset {o}"
                    );
                    differences_seen.push(name);
                }
                None => assert_eq!(
                    python_verdict, ours,
                    "{name} step {i}: python-tuf {python}, pinset {o}"
                ),
            }
            report.push(format!("{name}[{i}]: python {python} / pinset {o}"));
        }
    }
    assert_eq!(
        differences_seen.len(),
        EXPECTED_DIFFERENCES.len(),
        "every listed difference is exercised"
    );
    eprintln!("{}", report.join("\n"));
}

fn pinset_cli(args: &[&str]) -> (i32, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_pinset"))
        .args(args)
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr),
    )
}

fn genkey(path: &Path, ec: bool) {
    let mut cmd = Command::new("openssl");
    cmd.arg("genpkey");
    if ec {
        cmd.args(["-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256"]);
    } else {
        cmd.args(["-algorithm", "ed25519"]);
    }
    assert!(cmd.arg("-out").arg(path).status().unwrap().success());
}

#[test]
fn python_tuf_accepts_repositories_made_by_pinset() {
    let tmp = tempfile::tempdir().unwrap();
    let p = |n: &str| tmp.path().join(n);
    let s = |p: &Path| p.to_str().unwrap().to_owned();
    std::fs::create_dir_all(p("keys")).unwrap();
    std::fs::create_dir_all(p("old")).unwrap();
    genkey(&p("keys/root.pem"), true);
    genkey(&p("keys/targets.pem"), true);
    genkey(&p("keys/snapshot.pem"), false);
    genkey(&p("keys/timestamp.pem"), false);
    let repo = p("repo");
    let (code, out) = pinset_cli(&[
        "update",
        "init",
        "--repository",
        &s(&repo),
        "--root-key",
        &s(&p("keys/root.pem")),
        "--targets-key",
        &s(&p("keys/targets.pem")),
        "--snapshot-key",
        &s(&p("keys/snapshot.pem")),
        "--timestamp-key",
        &s(&p("keys/timestamp.pem")),
    ]);
    assert_eq!(code, 0, "{out}");
    let root = repo.join("metadata/1.root.json");
    let manifest = |serial: u64| {
        let path = p(&format!("m{serial}.toml"));
        std::fs::write(
            &path,
            format!(
                "version = 1\nserial = {serial}\n\n[[domain]]\nname = \"api.example.com\"\npins = [\"sha256/YLh1dUR9y6Kja30RrAn7JKnbQG/uEtLMkBgFF2Fuihg=\", \"sha256/sRHdihwgkaib1P1gxX8HFszlM+4hMvCalm+9a+bI2lg=\"]\n"
            ),
        )
        .unwrap();
        s(&path)
    };
    let publish = |serial: u64| {
        let (code, out) = pinset_cli(&[
            "update",
            "publish",
            "--keys",
            &s(&p("keys")),
            "--repository",
            &s(&repo),
            &manifest(serial),
        ]);
        assert_eq!(code, 0, "{out}");
    };
    let python = |state: &str| {
        oracle(&["client", &s(&repo), &s(&root), &s(&p(state))])
            .trim()
            .to_owned()
    };
    publish(2);
    assert_eq!(python("py"), "accept");
    // Rotate root and timestamp keys, publish again: python-tuf follows the chain.
    std::fs::rename(p("keys/root.pem"), p("old/root.pem")).unwrap();
    std::fs::rename(p("keys/timestamp.pem"), p("old/timestamp.pem")).unwrap();
    genkey(&p("keys/root2.pem"), false);
    genkey(&p("keys/timestamp2.pem"), true);
    let (code, out) = pinset_cli(&[
        "update",
        "rotate-root",
        "--repository",
        &s(&repo),
        "--old-key",
        &s(&p("old/root.pem")),
        "--root-key",
        &s(&p("keys/root2.pem")),
        "--timestamp-key",
        &s(&p("keys/timestamp2.pem")),
    ]);
    assert_eq!(code, 0, "{out}");
    publish(3);
    assert_eq!(python("py"), "accept", "with state from the first cycle");
    assert_eq!(python("py-fresh"), "accept", "from the embedded v1 root");
    // The pinset client agrees, and python-tuf refuses a tampered repository.
    let o = pinset_cycle(
        &std::fs::read(&root).unwrap(),
        &std::fs::read_to_string(manifest(1)).unwrap(),
        &s(&repo),
        &p("pinset-state"),
    );
    assert_eq!(o, Outcome::Updated { serial: 3 });
    let ts = repo.join("metadata/timestamp.json");
    let text = std::fs::read_to_string(&ts).unwrap();
    std::fs::write(&ts, text.replacen("\"version\": 2", "\"version\": 9", 1)).unwrap();
    assert!(python("py-tampered").starts_with("reject"));
}
