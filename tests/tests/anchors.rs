//! The trust-anchor model over real TLS on 127.0.0.1, against an in-process rustls server and
//! `openssl s_server`, in every trust mode: a rule's private CA is a root for that rule's hosts
//! only (never for a host of another rule or of no rule), `system` + private, private only, a rule
//! inheriting its anchors from `[defaults]`, debug anchors never trusted, and anchor files that
//! are not regular files or are too large refused with their manifest location.
#![allow(clippy::unwrap_used, clippy::panic)]

use std::path::Path;
use std::sync::Arc;

use pinset::verifier::{PinningConfig, TrustMode, VerifierError};
use pinset::{Manifest, Pin, Policy};
use pinset_tests::tls::{OpensslServer, Server, ServerSpec, connect};
use pinset_tests::{Cert, Pki, root, write};
use rustls::ClientConfig;

const MODES: [TrustMode; 3] = [
    TrustMode::WebPkiExtraOnly,
    TrustMode::WebPkiSystem,
    TrustMode::Platform,
];

/// The corporate PKI (its root goes into `corp.pem`) and a "public" PKI standing in for the
/// system store (its root is the config's extra root).
struct World {
    dir: tempfile::TempDir,
    corp: Cert,
    corp_int: Cert,
    public: Pki,
}

impl World {
    fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let corp = root("corp Root CA");
        let corp_int = corp.intermediate("corp Intermediate CA");
        write(dir.path(), "corp.pem", corp.pem());
        Self {
            dir,
            corp,
            corp_int,
            public: Pki::new("public", &["www.example.com"]),
        }
    }

    fn policy(&self, toml: &str) -> Arc<Policy> {
        let path = write(self.dir.path(), "pins.toml", toml);
        Arc::new(Policy::new(Manifest::load(&path, None).unwrap().manifest))
    }

    fn config(&self, policy: Arc<Policy>, mode: TrustMode) -> Arc<ClientConfig> {
        Arc::new(
            PinningConfig::new(policy)
                .trust_mode(mode)
                .extra_roots([self.public.root.der.clone()])
                .build()
                .unwrap(),
        )
    }

    /// A leaf for `host` issued by the corporate CA (what a holder of its key can mint).
    fn corp_server(&self, host: &str) -> Server {
        let leaf = self.corp_int.leaf(&[host]);
        Server::start(ServerSpec::new(&leaf, &[&self.corp_int]), 1)
    }

    /// A leaf for `host` issued by the public CA.
    fn public_server(&self, host: &str) -> Server {
        let leaf = self.public.intermediate.leaf(&[host]);
        Server::start(ServerSpec::new(&leaf, &[&self.public.intermediate]), 1)
    }
}

fn backup() -> Pin {
    root("backup").pin()
}

fn corp_rule(w: &World, anchors: &str) -> String {
    format!(
        "version = 1\n[[domain]]\nname = \"corp.example\"\ninclude_subdomains = true\n\
         pins = [\"{}\", \"{}\"]\ntrust_anchors = {anchors}\n",
        w.corp.pin(),
        backup()
    )
}

fn accepted(cfg: &Arc<ClientConfig>, host: &str, server: &Server) -> bool {
    connect(cfg, host, server.addr).result.is_ok()
}

#[test]
fn private_ca_of_one_rule_is_not_a_root_for_other_hosts() {
    let w = World::new();
    for anchors in ["[\"system\", \"corp.pem\"]", "[\"corp.pem\"]"] {
        // Host B has a report-only rule (pins never block it) and host C has no rule at all:
        // only validation stands between them and a certificate minted with the corp CA.
        let toml = corp_rule(&w, anchors)
            + &format!(
                "[[domain]]\nname = \"b.example.net\"\nenforce = false\npins = [\"{}\", \"{}\"]\n",
                backup(),
                root("b2").pin()
            );
        for mode in MODES {
            let cfg = w.config(w.policy(&toml), mode);
            for host in ["b.example.net", "c.example.org"] {
                let s = w.corp_server(host);
                assert!(
                    !accepted(&cfg, host, &s),
                    "{mode:?} {anchors}: corp CA accepted for {host}"
                );
            }
            // The rule's own hosts still validate with it.
            let s = w.corp_server("build.corp.example");
            assert!(
                accepted(&cfg, "build.corp.example", &s),
                "{mode:?} {anchors}"
            );
            // Hosts outside the corp rule still validate against the defaults.
            let s = w.public_server("c.example.org");
            assert!(accepted(&cfg, "c.example.org", &s), "{mode:?} {anchors}");
        }
    }
}

#[test]
fn system_plus_private_and_private_only() {
    let w = World::new();
    let public_pin = w.public.root.pin();
    for (anchors, public_ok) in [
        ("[\"system\", \"corp.pem\"]", true),
        ("[\"corp.pem\"]", false),
    ] {
        // Pin both roots, so only the anchors decide.
        let toml = format!(
            "version = 1\n[[domain]]\nname = \"corp.example\"\ninclude_subdomains = true\n\
             pins = [\"{}\", \"{public_pin}\"]\ntrust_anchors = {anchors}\n",
            w.corp.pin()
        );
        for mode in MODES {
            let cfg = w.config(w.policy(&toml), mode);
            let s = w.corp_server("git.corp.example");
            assert!(accepted(&cfg, "git.corp.example", &s), "{mode:?} {anchors}");
            let s = w.public_server("git.corp.example");
            assert_eq!(
                accepted(&cfg, "git.corp.example", &s),
                public_ok,
                "{mode:?} {anchors}: public chain"
            );
        }
    }
}

#[test]
fn anchors_inherited_from_defaults_stay_with_the_rules() {
    let w = World::new();
    let toml = format!(
        "version = 1\n[defaults]\ntrust_anchors = [\"corp.pem\"]\n\
         [[domain]]\nname = \"corp.example\"\ninclude_subdomains = true\npins = [\"{}\", \"{}\"]\n",
        w.corp.pin(),
        backup()
    );
    for mode in MODES {
        let cfg = w.config(w.policy(&toml), mode);
        let s = w.corp_server("ci.corp.example");
        assert!(accepted(&cfg, "ci.corp.example", &s), "{mode:?}");
        // The inherited list is private-only: the public CA is not trusted for the rule...
        let s = w.public_server("ci.corp.example");
        assert!(!accepted(&cfg, "ci.corp.example", &s), "{mode:?}");
        // ...and the corp CA is not trusted for a host without a rule.
        let s = w.corp_server("www.example.com");
        assert!(!accepted(&cfg, "www.example.com", &s), "{mode:?}");
    }
}

#[test]
fn debug_anchors_are_never_trusted_by_the_verifier() {
    let w = World::new();
    let debug = Pki::new("debug", &["api.example.com"]);
    write(w.dir.path(), "debug.pem", debug.root.pem());
    let toml = format!(
        "version = 1\n[[domain]]\nname = \"api.example.com\"\npins = [\"{}\", \"{}\"]\n\
         [debug_overrides]\ntrust_anchors = [\"debug.pem\"]\n",
        debug.root.pin(),
        w.public.root.pin()
    );
    for mode in MODES {
        let cfg = w.config(w.policy(&toml), mode);
        let s = Server::start(ServerSpec::new(&debug.leaf, &[&debug.intermediate]), 1);
        assert!(!accepted(&cfg, "api.example.com", &s), "{mode:?}");
        let s = w.public_server("api.example.com");
        assert!(accepted(&cfg, "api.example.com", &s), "{mode:?}");
    }
}

#[test]
fn platform_proof_never_uses_another_rules_anchor() {
    // Rule A (a.example.com) trusts the system store and pins the corp root, which is rule B's
    // private anchor. The server presents a leaf under an intermediate key certified twice:
    // by the public root (what the platform validates) and by the corp root (not sent). Before,
    // every rule's anchor file was a CA-pin proof candidate for every host, so the corp root
    // "proved" itself for A through the second certificate; now only A's own roots (the extra
    // roots) and the presented certificates are candidates, and the corp root is not A's anchor.
    let w = World::new();
    let shared = w.corp.intermediate("shared Intermediate CA");
    let public_int = w
        .public
        .root
        .intermediate_with_key("shared Intermediate CA", &shared);
    let leaf = shared.leaf(&["a.example.com"]);
    let toml = format!(
        "version = 1\n[[domain]]\nname = \"a.example.com\"\npins = [\"{}\", \"{}\"]\n\
         [[domain]]\nname = \"corp.example\"\npins = [\"{}\", \"{}\"]\ntrust_anchors = [\"corp.pem\"]\n",
        w.corp.pin(),
        backup(),
        w.corp.pin(),
        backup()
    );
    let cfg = w.config(w.policy(&toml), TrustMode::Platform);
    let s = Server::start(ServerSpec::new(&leaf, &[&public_int, &shared]), 1);
    let r = connect(&cfg, "a.example.com", s.addr);
    assert!(r.result.is_err(), "{:?}", r.result);
    // Control: pinning the public root (A's own anchor) on the same chain is accepted.
    let toml = format!(
        "version = 1\n[[domain]]\nname = \"a.example.com\"\npins = [\"{}\", \"{}\"]\n",
        w.public.root.pin(),
        backup()
    );
    let cfg = w.config(w.policy(&toml), TrustMode::Platform);
    let s = Server::start(ServerSpec::new(&leaf, &[&public_int, &shared]), 1);
    let r = connect(&cfg, "a.example.com", s.addr);
    assert!(r.result.is_ok(), "{:?}", r.result);
}

fn openssl_dir(dir: &Path, leaf: &Cert, chain: &[&Cert]) {
    write(dir, "leaf.pem", leaf.pem());
    write(dir, "leaf.key", leaf.key_pem());
    let pem: String = chain.iter().map(|c| c.pem()).collect();
    write(dir, "chain.pem", pem);
}

#[test]
fn openssl_server_private_ca_for_another_host_is_refused() {
    let w = World::new();
    let toml = corp_rule(&w, "[\"system\", \"corp.pem\"]");
    let served = tempfile::tempdir().unwrap();
    let leaf = w.corp_int.leaf(&["www.example.com"]);
    openssl_dir(served.path(), &leaf, &[&w.corp_int]);
    for mode in MODES {
        let cfg = w.config(w.policy(&toml), mode);
        let s = OpensslServer::start(served.path(), 1);
        let r = connect(&cfg, "www.example.com", s.addr);
        assert!(r.result.is_err(), "{mode:?}: {:?}", r.result);
    }
    // The same openssl server for a host of the corp rule is accepted.
    let served = tempfile::tempdir().unwrap();
    let leaf = w.corp_int.leaf(&["build.corp.example"]);
    openssl_dir(served.path(), &leaf, &[&w.corp_int]);
    for mode in MODES {
        let cfg = w.config(w.policy(&toml), mode);
        let s = OpensslServer::start(served.path(), 1);
        let r = connect(&cfg, "build.corp.example", s.addr);
        assert!(r.result.is_ok(), "{mode:?}: {:?}", r.result);
    }
}

fn build_error(w: &World, toml: &str) -> String {
    let path = write(w.dir.path(), "pins.toml", toml);
    // Parse without reading anchor files (the manifest loader has its own bounded check); the
    // verifier resolves them itself.
    let mut manifest = Manifest::parse(toml, None).unwrap().manifest;
    for rule in &mut manifest.domains {
        for a in &mut rule.trust_anchors {
            if let pinset::TrustAnchor::Pem { path: p, resolved } = a {
                *resolved = Some(path.parent().unwrap().join(p.as_str()));
            }
        }
    }
    manifest.origin = "pins.toml".into();
    match PinningConfig::new(Arc::new(Policy::new(manifest)))
        .trust_mode(TrustMode::WebPkiExtraOnly)
        .build()
    {
        Err(e @ VerifierError::Anchors(_)) => e.to_string(),
        Err(other) => panic!("unexpected error {other}"),
        Ok(_) => panic!("built with a bad anchor file"),
    }
}

#[test]
fn anchor_files_must_be_bounded_regular_files() {
    let w = World::new();
    let d = w.dir.path();
    let fifo = d.join("fifo.pem");
    let status = std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .unwrap();
    assert!(status.success());
    std::os::unix::fs::symlink("/dev/zero", d.join("zero.pem")).unwrap();
    std::fs::create_dir(d.join("dir.pem")).unwrap();
    let big = w.corp.pem().repeat((1 << 20) / w.corp.pem().len() + 1);
    write(d, "big.pem", big);
    for (file, expect) in [
        ("fifo.pem", "not a regular file (a FIFO)"),
        ("zero.pem", "not a regular file (a character device)"),
        ("dir.pem", "not a regular file (a directory)"),
        ("big.pem", "larger than 1048576 bytes"),
        ("missing.pem", "cannot read"),
    ] {
        let toml = corp_rule(&w, &format!("[\"{file}\"]"));
        let msg = build_error(&w, &toml);
        assert!(
            msg.starts_with("pins.toml:3: domain 'corp.example': trust anchor '"),
            "{msg}"
        );
        assert!(msg.contains(expect), "{file}: {msg}");
    }
}

#[test]
fn verify_pinned_refuses_a_store_without_the_rules_anchors() {
    use pinset::chain::{ChainError, TrustStore, verify_pinned};
    use pinset::roots::Roots;
    let w = World::new();
    let policy = w.policy(&corp_rule(&w, "[\"corp.pem\"]"));
    let leaf = w.corp_int.leaf(&["build.corp.example"]);
    let presented = [leaf.der.clone(), w.corp_int.der.clone()];
    let now = rustls_pki_types::UnixTime::now();
    // One store for every host, as a caller that forgot the rule's anchors would build it.
    let uniform = TrustStore::uniform(Roots::new(vec![w.corp.der.clone()]).unwrap());
    let r = verify_pinned(&policy, "build.corp.example", &presented, &uniform, now);
    assert!(matches!(r, Err(ChainError::TrustMismatch { .. })), "{r:?}");
    // Built from the manifest's anchors, the rule's own CA validates its host only.
    let anchors =
        pinset::trust::ManifestAnchors::load(policy.manifest(), &pinset::trust::AnchorFiles)
            .unwrap();
    let store = TrustStore::new(Roots::default(), &anchors).unwrap();
    let ok = verify_pinned(&policy, "build.corp.example", &presented, &store, now).unwrap();
    assert!(ok.decision.allows_connection());
    let other = w.corp_int.leaf(&["www.example.com"]);
    let r = verify_pinned(
        &policy,
        "www.example.com",
        &[other.der.clone(), w.corp_int.der.clone()],
        &store,
        now,
    );
    assert!(matches!(r, Err(ChainError::NotTrusted(_))), "{r:?}");
}
