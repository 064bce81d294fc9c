//! `pinset update` end to end: `init`, `publish`, `rotate-root` build a repository from
//! openssl-generated keys (Ed25519 and P-256); the client runs against it as a directory and
//! over HTTP on 127.0.0.1; tampering is rejected with the stored state byte-identical.
#![allow(clippy::unwrap_used, clippy::panic)]

use std::io::{BufRead as _, BufReader, Write as _};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::Command;

const NOW: i64 = 1_800_000_000;
const PIN_A: &str = "sha256/YLh1dUR9y6Kja30RrAn7JKnbQG/uEtLMkBgFF2Fuihg=";
const PIN_B: &str = "sha256/sRHdihwgkaib1P1gxX8HFszlM+4hMvCalm+9a+bI2lg=";

fn manifest(serial: u64) -> String {
    format!(
        "version = 1\nserial = {serial}\n\n[[domain]]\nname = \"api.example.com\"\npins = [\"{PIN_A}\", \"{PIN_B}\"]\n"
    )
}

fn pinset(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_pinset"))
        .args(args)
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8(out.stdout).unwrap(),
        String::from_utf8(out.stderr).unwrap(),
    )
}

fn genkey(dir: &Path, name: &str, ec: bool) -> PathBuf {
    let path = dir.join(format!("{name}.pem"));
    let mut cmd = Command::new("openssl");
    cmd.arg("genpkey");
    if ec {
        cmd.args(["-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256"]);
    } else {
        cmd.args(["-algorithm", "ed25519"]);
    }
    let out = cmd
        .arg("-out")
        .arg(&path)
        .output()
        .expect("openssl must be installed");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    path
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// Every file under `dir`, path and bytes, sorted.
fn tree(dir: &Path) -> Vec<(PathBuf, Vec<u8>)> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            out.extend(tree(&p));
        } else {
            out.push((p.clone(), std::fs::read(&p).unwrap()));
        }
    }
    out.sort();
    out
}

/// A static file server on 127.0.0.1 for `connections` requests; 404 for missing files.
fn serve(root: PathBuf, connections: usize) -> (String, std::thread::JoinHandle<()>) {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/", l.local_addr().unwrap());
    let h = std::thread::spawn(move || {
        for stream in l.incoming().take(connections) {
            let mut stream = stream.unwrap();
            let mut rd = BufReader::new(stream.try_clone().unwrap());
            let mut line = String::new();
            rd.read_line(&mut line).unwrap();
            let path = line.split_whitespace().nth(1).unwrap_or("/").to_owned();
            loop {
                let mut h = String::new();
                if rd.read_line(&mut h).unwrap() == 0 || h == "\r\n" {
                    break;
                }
            }
            let file = root.join(path.trim_start_matches('/'));
            match std::fs::read(&file) {
                Ok(body) if !path.contains("..") => {
                    write!(
                        stream,
                        "HTTP/1.1 200 OK\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                        body.len()
                    )
                    .unwrap();
                    stream.write_all(&body).unwrap();
                }
                _ => {
                    write!(
                        stream,
                        "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
                    )
                    .unwrap();
                }
            }
        }
    });
    (url, h)
}

#[test]
fn init_publish_rotate_and_update_over_a_directory_and_loopback_http() {
    let tmp = tempfile::tempdir().unwrap();
    let keys = tmp.path().join("keys");
    let repo = tmp.path().join("repo");
    let state = tmp.path().join("state");
    std::fs::create_dir_all(&keys).unwrap();
    let root_k = genkey(&keys, "root", false);
    let targets_k = genkey(&keys, "targets", true);
    let snap_k = genkey(&keys, "snapshot", false);
    let ts_k = genkey(&keys, "timestamp", false);
    let now = NOW.to_string();
    let (code, out, err) = pinset(&[
        "update",
        "init",
        "--repository",
        s(&repo),
        "--root-key",
        s(&root_k),
        "--targets-key",
        s(&targets_k),
        "--snapshot-key",
        s(&snap_k),
        "--timestamp-key",
        s(&ts_k),
        "--now",
        &now,
    ]);
    assert_eq!(code, 0, "{out}{err}");
    let root = repo.join("metadata/1.root.json");
    let base = tmp.path().join("baseline.toml");
    std::fs::write(&base, manifest(1)).unwrap();
    let m2 = tmp.path().join("m2.toml");
    std::fs::write(&m2, manifest(2)).unwrap();
    let (code, out, err) = pinset(&[
        "update",
        "publish",
        "--keys",
        s(&keys),
        "--repository",
        s(&repo),
        s(&m2),
        "--now",
        &now,
    ]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(repo.join("metadata/1.targets.json").exists());

    let client = |repository: &str, at: i64| {
        pinset(&[
            "update",
            "--root",
            s(&root),
            "--repository",
            repository,
            "--state",
            s(&state),
            "--baseline",
            s(&base),
            "--now",
            &at.to_string(),
        ])
    };
    let (code, out, err) = client(s(&repo), NOW + 60);
    assert_eq!((code, out.trim()), (0, "updated: serial 2"), "{err}");
    assert_eq!(
        std::fs::read_to_string(state.join("manifest.toml")).unwrap(),
        manifest(2)
    );
    let (code, out, _) = client(s(&repo), NOW + 120);
    assert_eq!((code, out.trim()), (0, "no-change"));

    // The publisher refuses a serial that clients would reject.
    let m1 = tmp.path().join("m1.toml");
    std::fs::write(&m1, manifest(1)).unwrap();
    let (code, _, err) = pinset(&[
        "update",
        "publish",
        "--keys",
        s(&keys),
        "--repository",
        s(&repo),
        s(&m1),
        "--now",
        &now,
    ]);
    assert_eq!(code, 2);
    assert!(
        err.contains("serial 1 must be above the published 2"),
        "{err}"
    );

    // Rotate the root key and the timestamp key, publish serial 3 with the new keys.
    let old_keys = tmp.path().join("old");
    std::fs::create_dir_all(&old_keys).unwrap();
    std::fs::rename(&root_k, old_keys.join("root.pem")).unwrap();
    std::fs::rename(&ts_k, old_keys.join("timestamp.pem")).unwrap();
    let root2_k = genkey(&keys, "root2", true);
    let ts2_k = genkey(&keys, "timestamp2", false);
    let (code, out, err) = pinset(&[
        "update",
        "rotate-root",
        "--repository",
        s(&repo),
        "--old-key",
        s(&old_keys.join("root.pem")),
        "--root-key",
        s(&root2_k),
        "--timestamp-key",
        s(&ts2_k),
        "--now",
        &now,
    ]);
    assert_eq!(code, 0, "{out}{err}");
    // Without a current root key, a rotation is refused (it would not meet the threshold).
    let stranger = genkey(tmp.path(), "stranger", false);
    let (code, _, err) = pinset(&[
        "update",
        "rotate-root",
        "--repository",
        s(&repo),
        "--old-key",
        s(&stranger),
        "--root-key",
        s(&stranger),
        "--now",
        &now,
    ]);
    assert_eq!(code, 2);
    assert!(err.contains("current root threshold"), "{err}");
    let m3 = tmp.path().join("m3.toml");
    std::fs::write(&m3, manifest(3)).unwrap();
    let (code, out, err) = pinset(&[
        "update",
        "publish",
        "--keys",
        s(&keys),
        "--repository",
        s(&repo),
        s(&m3),
        "--now",
        &now,
    ]);
    assert_eq!(code, 0, "{out}{err}");

    // Over HTTP on loopback: 2.root.json, 3.root.json (404), timestamp, snapshot, targets, target.
    let (url, h) = serve(repo.clone(), 6);
    let (code, out, err) = client(&url, NOW + 180);
    assert_eq!((code, out.trim()), (0, "updated: serial 3"), "{err}");
    h.join().unwrap();
    assert!(
        std::fs::read_to_string(state.join("state.json"))
            .unwrap()
            .contains("\\\"version\\\": 2")
    );

    // Tampering with the published manifest: rejected, state byte-identical, LKG kept.
    let m4 = tmp.path().join("m4.toml");
    std::fs::write(&m4, manifest(4)).unwrap();
    let (code, _, err) = pinset(&[
        "update",
        "publish",
        "--keys",
        s(&keys),
        "--repository",
        s(&repo),
        s(&m4),
        "--now",
        &now,
    ]);
    assert_eq!(code, 0, "{err}");
    let target = std::fs::read_dir(repo.join("targets/pinset"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| std::fs::read_to_string(p).unwrap() == manifest(4))
        .unwrap();
    std::fs::write(
        &target,
        manifest(4).replace(PIN_B, PIN_A.replace('Y', "Z").as_str()),
    )
    .unwrap();
    let before = tree(&state);
    let (code, out, _) = client(s(&repo), NOW + 240);
    assert_eq!(code, 1);
    assert!(out.starts_with("rejected: hash"), "{out}");
    assert_eq!(tree(&state), before);
    // An unreachable repository is stale, exit 1.
    let (code, out, _) = client("http://127.0.0.1:9/", NOW + 300);
    assert_eq!(code, 1);
    assert!(out.starts_with("stale: offline"), "{out}");
    assert_eq!(tree(&state), before);
}

#[test]
fn plain_http_only_on_loopback() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().join("root.json");
    std::fs::write(&root, "{}").unwrap();
    let (code, _, err) = pinset(&[
        "update",
        "--root",
        s(&root),
        "--repository",
        "http://pins.example.com/",
        "--state",
        s(tmp.path()),
    ]);
    assert_eq!(code, 2);
    assert!(err.contains("loopback only"), "{err}");
    let (code, _, err) = pinset(&[
        "update",
        "--root",
        s(&root),
        "--repository",
        "ftp://x/",
        "--state",
        s(tmp.path()),
    ]);
    assert_eq!(code, 2, "{err}");
}
