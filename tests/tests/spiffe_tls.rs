//! SPIFFE rules in the manifest and in the rustls pinning verifier, over real TLS on 127.0.0.1
//! with rcgen-generated X.509-SVIDs: each rule of issue #18 has a test that fails when the rule
//! is removed (trust domain, bundle chain, leaf rules, ID match, pins, report-only, dns, mTLS).
#![allow(clippy::unwrap_used, clippy::panic)]

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use pinset::report::{PinReporter, Report};
use pinset::trust::{AnchorFiles, ManifestAnchors, SuppliedAnchors};
use pinset::verifier::{PinningConfig, TrustMode};
use pinset::{Manifest, Policy};
use pinset_tests::svid::{LeafSpec, jwks, svid, svid_ca, svid_leaf, x509_svid_jwk};
use pinset_tests::tls::{Server, ServerSpec, connect};
use pinset_tests::{Cert, root};
use rustls::{CertificateError, ClientConfig};

const TD: &str = "mcp.example.org";
const OTHER_TD: &str = "other.example.org";
const ID: &str = "spiffe://mcp.example.org/ns/prod/sa/tools";
const HOST: &str = "tools.internal.example.org";

#[derive(Debug, Default)]
struct Collect(Mutex<Vec<Report>>);

impl PinReporter for Collect {
    fn report(&self, report: &Report) {
        self.0.lock().unwrap().push(report.clone());
    }
}

fn bundle_json(cas: &[&Cert]) -> String {
    jwks(cas.iter().map(|c| x509_svid_jwk(c)).collect(), Some(1))
}

/// A manifest with both trust domains declared and one rule for HOST.
fn manifest(rule: &str) -> String {
    format!(
        r#"version = 1

[[trust_domain]]
name = "{TD}"
bundle = "bundles/mcp.json"

[[trust_domain]]
name = "{OTHER_TD}"
bundle = "bundles/other.pem"

[[domain]]
name = "{HOST}"
{rule}
"#
    )
}

struct World {
    ca: Cert,
    other_ca: Cert,
}

impl World {
    fn new() -> Self {
        Self {
            ca: svid_ca(TD),
            other_ca: svid_ca(OTHER_TD),
        }
    }

    fn anchors(&self, m: &Manifest) -> ManifestAnchors {
        let mut files = HashMap::new();
        files.insert(
            "bundles/mcp.json".to_owned(),
            bundle_json(&[&self.ca]).into_bytes(),
        );
        files.insert(
            "bundles/other.pem".to_owned(),
            self.other_ca.pem().into_bytes(),
        );
        ManifestAnchors::load(m, &SuppliedAnchors(files)).unwrap()
    }

    /// A client config for `rule`, in `mode`, with `extra` roots as the defaults.
    fn client(
        &self,
        rule: &str,
        mode: TrustMode,
        extra: &[&Cert],
    ) -> (
        Arc<ClientConfig>,
        Arc<pinset::verifier::PinningVerifier>,
        Arc<Collect>,
    ) {
        let m = Manifest::parse(&manifest(rule), None).unwrap().manifest;
        let anchors = self.anchors(&m);
        let reports = Arc::new(Collect::default());
        let (cfg, verifier) = PinningConfig::new(Arc::new(Policy::new(m)))
            .trust_mode(mode)
            .extra_roots(extra.iter().map(|c| c.der.clone()))
            .anchors(anchors)
            .reporter(reports.clone())
            .record_outcomes(true)
            .build_with_verifier()
            .unwrap();
        (Arc::new(cfg), verifier, reports)
    }
}

const MODES: [TrustMode; 2] = [TrustMode::WebPkiExtraOnly, TrustMode::Platform];

fn serve(leaf: &Cert) -> Server {
    Server::start(ServerSpec::new(leaf, &[]), 1)
}

fn failure(r: &Result<(), rustls::Error>) -> String {
    match r {
        Err(rustls::Error::InvalidCertificate(CertificateError::Other(o))) => o.0.to_string(),
        Err(rustls::Error::InvalidCertificate(e)) => format!("{e:?}"),
        other => panic!("expected a certificate failure, got {other:?}"),
    }
}

#[test]
fn the_expected_workload_is_accepted_in_every_mode() {
    let w = World::new();
    for mode in MODES {
        let (cfg, verifier, _) = w.client(&format!("spiffe = {{ id = \"{ID}\" }}"), mode, &[]);
        let server = serve(&svid(&w.ca, ID));
        let r = connect(&cfg, HOST, server.addr);
        assert!(r.result.is_ok(), "{mode:?}: {:?}", r.result);
        let outcome = verifier.last_outcome().unwrap();
        assert_eq!(outcome.spiffe_id.as_deref(), Some(ID));
        assert_eq!(outcome.path.len(), 2, "leaf and the bundle's CA");
        assert_eq!(outcome.path[1], w.ca.der);
    }
}

#[test]
fn another_workloads_valid_svid_is_refused() {
    let w = World::new();
    for mode in MODES {
        let (cfg, _, _) = w.client(&format!("spiffe = {{ id = \"{ID}\" }}"), mode, &[]);
        // Same trust domain, same CA, another workload: the identity layer catches it.
        let server = serve(&svid(&w.ca, "spiffe://mcp.example.org/ns/prod/sa/impostor"));
        let msg = failure(&connect(&cfg, HOST, server.addr).result);
        assert!(msg.contains("is not authorized"), "{mode:?}: {msg}");
    }
}

#[test]
fn member_of_and_prefix_match_at_a_segment_boundary() {
    let w = World::new();
    let cases = [
        (
            format!("spiffe = {{ member_of = \"{TD}\" }}"),
            "spiffe://mcp.example.org/anything",
            true,
        ),
        (
            "spiffe = { prefix = \"spiffe://mcp.example.org/ns/prod\" }".to_owned(),
            ID,
            true,
        ),
        (
            "spiffe = { prefix = \"spiffe://mcp.example.org/ns/prod\" }".to_owned(),
            "spiffe://mcp.example.org/ns/production",
            false,
        ),
    ];
    for (rule, id, ok) in cases {
        let (cfg, _, _) = w.client(&rule, TrustMode::WebPkiExtraOnly, &[]);
        let server = serve(&svid(&w.ca, id));
        let r = connect(&cfg, HOST, server.addr);
        assert_eq!(r.result.is_ok(), ok, "{rule} / {id}: {:?}", r.result);
    }
}

#[test]
fn an_svid_of_another_trust_domain_is_refused_even_with_its_bundle_configured() {
    let w = World::new();
    let (cfg, _, _) = w.client(
        &format!("spiffe = {{ member_of = \"{TD}\" }}"),
        TrustMode::WebPkiExtraOnly,
        &[],
    );
    // Valid in other.example.org (whose bundle the manifest has), not in the rule's domain.
    let server = serve(&svid(
        &w.other_ca,
        "spiffe://other.example.org/ns/prod/sa/tools",
    ));
    let msg = failure(&connect(&cfg, HOST, server.addr).result);
    assert!(
        msg.contains("the rule allows only 'mcp.example.org'"),
        "{msg}"
    );
}

#[test]
fn a_rogue_ca_for_the_same_trust_domain_is_refused() {
    let w = World::new();
    let rogue = svid_ca(TD);
    for mode in MODES {
        // The rogue CA is even a default root: a spiffe rule trusts its bundle only.
        let (cfg, _, _) = w.client(&format!("spiffe = {{ id = \"{ID}\" }}"), mode, &[&rogue]);
        let server = serve(&svid(&rogue, ID));
        let msg = failure(&connect(&cfg, HOST, server.addr).result);
        assert!(
            msg.contains("does not chain to the bundle"),
            "{mode:?}: {msg}"
        );
    }
}

#[test]
fn a_dns_certificate_from_the_default_roots_does_not_satisfy_a_spiffe_rule() {
    let w = World::new();
    let public = root("public");
    let leaf = public.leaf(&[HOST]);
    let (cfg, _, _) = w.client(
        &format!("spiffe = {{ id = \"{ID}\" }}"),
        TrustMode::WebPkiExtraOnly,
        &[&public],
    );
    let server = serve(&leaf);
    let msg = failure(&connect(&cfg, HOST, server.addr).result);
    assert!(msg.contains("URI SAN"), "{msg}");
}

#[test]
fn x509_svid_leaf_rules_are_enforced_by_the_verifier() {
    let w = World::new();
    let (cfg, _, _) = w.client(
        &format!("spiffe = {{ id = \"{ID}\" }}"),
        TrustMode::WebPkiExtraOnly,
        &[],
    );
    let mut spec = LeafSpec::new(ID);
    spec.key_usages.clear();
    let server = serve(&svid_leaf(&w.ca, &spec));
    let msg = failure(&connect(&cfg, HOST, server.addr).result);
    assert!(msg.contains("no keyUsage"), "{msg}");
}

#[test]
fn pins_are_checked_on_the_validated_svid_path() {
    let w = World::new();
    let leaf = svid(&w.ca, ID);
    let backup = root("backup").pin();
    for mode in MODES {
        // The CA's pin (with a backup): accepted.
        let (cfg, verifier, _) = w.client(
            &format!(
                "spiffe = {{ id = \"{ID}\" }}\npins = [\"{}\", \"{backup}\"]",
                w.ca.pin()
            ),
            mode,
            &[],
        );
        let server = Server::start(ServerSpec::new(&leaf, &[]), 1);
        let r = connect(&cfg, HOST, server.addr);
        assert!(r.result.is_ok(), "{mode:?}: {:?}", r.result);
        assert!(matches!(
            verifier.last_outcome().unwrap().decision,
            pinset::Decision::Trusted { cert_index: 1, .. }
        ));
        // Pins of other keys: refused although the SVID is valid and authorized.
        let (cfg, _, _) = w.client(
            &format!(
                "spiffe = {{ id = \"{ID}\" }}\npins = [\"{}\", \"{backup}\"]",
                root("other").pin()
            ),
            mode,
            &[],
        );
        let server = Server::start(ServerSpec::new(&leaf, &[]), 1);
        let msg = failure(&connect(&cfg, HOST, server.addr).result);
        assert!(msg.contains("pin"), "{mode:?}: {msg}");
    }
}

#[test]
fn report_only_pins_report_and_connect_but_the_id_is_always_enforced() {
    let w = World::new();
    let rule = format!(
        "spiffe = {{ id = \"{ID}\" }}\npins = [\"{}\", \"{}\"]\nenforce = false",
        root("x").pin(),
        root("y").pin()
    );
    let (cfg, _, reports) = w.client(&rule, TrustMode::WebPkiExtraOnly, &[]);
    let server = serve(&svid(&w.ca, ID));
    assert!(connect(&cfg, HOST, server.addr).result.is_ok());
    assert_eq!(
        reports.0.lock().unwrap().len(),
        1,
        "the pin miss is reported"
    );
    let (cfg, _, _) = w.client(&rule, TrustMode::WebPkiExtraOnly, &[]);
    let server = serve(&svid(&w.ca, "spiffe://mcp.example.org/ns/prod/sa/impostor"));
    let msg = failure(&connect(&cfg, HOST, server.addr).result);
    assert!(msg.contains("is not authorized"), "{msg}");
}

#[test]
fn expired_pins_stop_being_enforced_but_the_id_is_not() {
    let w = World::new();
    let rule = format!(
        "spiffe = {{ id = \"{ID}\" }}\npins = [\"{}\", \"{}\"]\nexpires = \"2001-01-01\"",
        root("x").pin(),
        root("y").pin()
    );
    let (cfg, _, _) = w.client(&rule, TrustMode::WebPkiExtraOnly, &[]);
    let server = serve(&svid(&w.ca, ID));
    assert!(connect(&cfg, HOST, server.addr).result.is_ok());
    let (cfg, _, _) = w.client(&rule, TrustMode::WebPkiExtraOnly, &[]);
    let server = serve(&svid(&w.ca, "spiffe://mcp.example.org/other"));
    assert!(connect(&cfg, HOST, server.addr).result.is_err());
}

#[test]
fn dns_true_also_requires_the_host_name() {
    let w = World::new();
    let rule = format!("spiffe = {{ id = \"{ID}\", dns = true }}");
    let (cfg, _, _) = w.client(&rule, TrustMode::WebPkiExtraOnly, &[]);
    let server = serve(&svid(&w.ca, ID));
    let r = connect(&cfg, HOST, server.addr);
    assert!(
        matches!(
            r.result,
            Err(rustls::Error::InvalidCertificate(
                CertificateError::NotValidForName
            ))
        ),
        "{:?}",
        r.result
    );
    let mut spec = LeafSpec::new(ID);
    spec.dns = vec![HOST.into()];
    let (cfg, _, _) = w.client(&rule, TrustMode::WebPkiExtraOnly, &[]);
    let server = serve(&svid_leaf(&w.ca, &spec));
    assert!(connect(&cfg, HOST, server.addr).result.is_ok());
}

#[test]
fn an_empty_bundle_refuses_every_svid_of_the_domain() {
    let w = World::new();
    let m = Manifest::parse(&manifest(&format!("spiffe = {{ id = \"{ID}\" }}")), None)
        .unwrap()
        .manifest;
    let mut files = HashMap::new();
    files.insert(
        "bundles/mcp.json".to_owned(),
        jwks(vec![], Some(2)).into_bytes(),
    );
    files.insert(
        "bundles/other.pem".to_owned(),
        w.other_ca.pem().into_bytes(),
    );
    let anchors = ManifestAnchors::load(&m, &SuppliedAnchors(files)).unwrap();
    let cfg = PinningConfig::new(Arc::new(Policy::new(m)))
        .trust_mode(TrustMode::WebPkiExtraOnly)
        .anchors(anchors)
        .build()
        .unwrap();
    let server = serve(&svid(&w.ca, ID));
    let msg = failure(&connect(&Arc::new(cfg), HOST, server.addr).result);
    assert!(msg.contains("no X.509 authorities"), "{msg}");
}

#[test]
fn a_spiffe_rule_without_its_bundle_as_anchors_is_refused_at_build() {
    let w = World::new();
    let m = Manifest::parse(&manifest(&format!("spiffe = {{ id = \"{ID}\" }}")), None)
        .unwrap()
        .manifest;
    let mut anchors = w.anchors(&m);
    assert!(anchors.set_rule(0, None));
    let err = PinningConfig::new(Arc::new(Policy::new(m)))
        .anchors(anchors)
        .build()
        .unwrap_err();
    assert!(
        err.to_string().contains("needs its trust domain's bundle"),
        "{err}"
    );
}

#[test]
fn mtls_client_presents_its_own_svid() {
    let w = World::new();
    let client_id = "spiffe://mcp.example.org/ns/prod/sa/client";
    let client = svid(&w.ca, client_id);
    let spec = ServerSpec {
        client_ca: Some(w.ca.der.clone()),
        ..ServerSpec::new(&svid(&w.ca, ID), &[])
    };
    let server = Server::start(spec, 1);
    let m = Manifest::parse(&manifest(&format!("spiffe = {{ id = \"{ID}\" }}")), None)
        .unwrap()
        .manifest;
    let anchors = w.anchors(&m);
    let cfg = PinningConfig::new(Arc::new(Policy::new(m)))
        .trust_mode(TrustMode::WebPkiExtraOnly)
        .anchors(anchors)
        .client_auth_pem(client.pem().as_bytes(), client.key_pem().as_bytes())
        .unwrap()
        .build()
        .unwrap();
    let cfg = Arc::new(cfg);
    let name = rustls_pki_types::ServerName::try_from(HOST).unwrap();
    let mut conn = rustls::ClientConnection::new(cfg, name).unwrap();
    let mut tcp = std::net::TcpStream::connect(server.addr).unwrap();
    tcp.set_read_timeout(Some(std::time::Duration::from_secs(5)))
        .ok();
    let mut tls = rustls::Stream::new(&mut conn, &mut tcp);
    use std::io::{Read as _, Write as _};
    tls.write_all(b"ping\n").unwrap();
    let mut buf = [0u8; 64];
    let n = tls.read(&mut buf).unwrap();
    assert!(n > 0, "the server accepted the client's SVID and answered");
}

/// Hosts of spiffe rules never resume a TLS session (default `Resumption::FullHandshakeForPinned`),
/// even a rule without pins: every connection is a full handshake whose SVID is verified again.
/// Two servers for HOST share a ticket key; the second presents another workload's valid SVID.
/// With resumption allowed, the second connection resumes and the impostor is never looked at;
/// with pinset's default it is a full handshake and is refused. A host without a rule in the same
/// config resumes (the test can tell a resumed handshake from a full one).
#[test]
fn hosts_of_spiffe_rules_never_resume_sessions() {
    use pinset::verifier::Resumption;
    use rustls::HandshakeKind;
    let w = World::new();
    let dns = pinset_tests::Pki::new("dns", &["api.example.com"]);
    let ticketer = rustls::crypto::ring::Ticketer::new().unwrap();
    let run = |resumption: Resumption| {
        let m = Manifest::parse(&manifest(&format!("spiffe = {{ id = \"{ID}\" }}")), None)
            .unwrap()
            .manifest;
        let anchors = w.anchors(&m);
        let cfg = PinningConfig::new(Arc::new(Policy::new(m)))
            .trust_mode(TrustMode::WebPkiExtraOnly)
            .extra_roots([dns.root.der.clone()])
            .anchors(anchors)
            .resumption(resumption)
            .build()
            .unwrap();
        let cfg = Arc::new(cfg);
        let spec = |leaf: &Cert| ServerSpec {
            ticketer: Some(ticketer.clone()),
            ..ServerSpec::new(leaf, &[])
        };
        let s1 = Server::start(spec(&svid(&w.ca, ID)), 1);
        let first = connect(&cfg, HOST, s1.addr);
        assert!(first.result.is_ok(), "{:?}", first.result);
        assert_eq!(first.kind, Some(HandshakeKind::Full));
        let impostor = svid(&w.ca, "spiffe://mcp.example.org/ns/prod/sa/impostor");
        let s2 = Server::start(spec(&impostor), 1);
        let second = connect(&cfg, HOST, s2.addr);
        // The host without a rule, same config: resumes on its second connection.
        let dns_server = Server::start(
            ServerSpec {
                ticketer: Some(ticketer.clone()),
                ..ServerSpec::new(&dns.leaf, &[&dns.intermediate])
            },
            2,
        );
        let d1 = connect(&cfg, "api.example.com", dns_server.addr);
        let d2 = connect(&cfg, "api.example.com", dns_server.addr);
        assert!(d1.result.is_ok() && d2.result.is_ok());
        assert_eq!(d2.kind, Some(HandshakeKind::Resumed), "{resumption:?}");
        second
    };
    // What rustls does on its own: the impostor's server resumes HOST's session.
    let allowed = run(Resumption::Allow);
    assert_eq!(allowed.kind, Some(HandshakeKind::Resumed));
    assert!(allowed.result.is_ok());
    // pinset's default: a full handshake, the impostor's SVID is verified and refused.
    let default = run(Resumption::FullHandshakeForPinned);
    assert_ne!(default.kind, Some(HandshakeKind::Resumed));
    let msg = failure(&default.result);
    assert!(
        msg.contains("'spiffe://mcp.example.org/ns/prod/sa/impostor' is not authorized"),
        "{msg}"
    );
}

// ----- the manifest --------------------------------------------------------------------------

fn errors(src: &str) -> String {
    match Manifest::parse(src, None) {
        Ok(_) => panic!("expected errors for:\n{src}"),
        Err(e) => e.to_string(),
    }
}

#[test]
fn manifest_spiffe_rule_shapes() {
    // Pins are optional with spiffe.
    let m = Manifest::parse(&manifest(&format!("spiffe = {{ id = \"{ID}\" }}")), None)
        .unwrap()
        .manifest;
    assert!(m.domains[0].pins.is_empty());
    assert!(!m.domains[0].is_exemption());
    assert_eq!(m.trust_domains.len(), 2);
    // [defaults] trust_anchors do not apply to a spiffe rule: its anchors are its bundle only.
    let src = format!(
        "{}\n[defaults]\ntrust_anchors = [\"system\"]\n",
        manifest(&format!("spiffe = {{ id = \"{ID}\" }}"))
    );
    let m = Manifest::parse(&src, None).unwrap().manifest;
    assert!(m.domains[0].trust_anchors.is_empty());
    let anchors = World::new().anchors(&m);
    assert!(!anchors.rule(0).unwrap().system);
    // Exactly one matcher.
    let e = errors(&manifest(&format!(
        "spiffe = {{ id = \"{ID}\", member_of = \"{TD}\" }}"
    )));
    assert!(e.contains("exactly one of"), "{e}");
    let e = errors(&manifest("spiffe = { dns = true }"));
    assert!(e.contains("needs one of"), "{e}");
    // Uppercase scheme refused (as go-spiffe does), with its location.
    let e = errors(&manifest(
        "spiffe = { id = \"SPIFFE://mcp.example.org/x\" }",
    ));
    assert!(
        e.contains(":13:") && e.contains("exactly 'spiffe://'"),
        "{e}"
    );
    // An `id` names a workload.
    let e = errors(&manifest("spiffe = { id = \"spiffe://mcp.example.org\" }"));
    assert!(e.contains("has no path"), "{e}");
    // The trust domain must be declared.
    let e = errors(&manifest(
        "spiffe = { member_of = \"nowhere.example.org\" }",
    ));
    assert!(e.contains("no [[trust_domain]] table"), "{e}");
    // spiffe excludes trust_anchors.
    let e = errors(&manifest(&format!(
        "spiffe = {{ id = \"{ID}\" }}\ntrust_anchors = [\"system\"]"
    )));
    assert!(e.contains("may not list trust_anchors"), "{e}");
    // The backup-pin rule applies when pins are listed.
    let e = errors(&manifest(&format!(
        "spiffe = {{ id = \"{ID}\" }}\npins = [\"{}\"]",
        root("x").pin()
    )));
    assert!(e.contains("needs at least 2 distinct pins"), "{e}");
    // Unknown keys in spiffe.
    let e = errors(&manifest(&format!("spiffe = {{ id = \"{ID}\", ids = 1 }}")));
    assert!(e.contains("unknown field `ids`"), "{e}");
    // Trust domain names: valid and distinct.
    let e = errors(
        "version = 1\n[[trust_domain]]\nname = \"MCP.example.org\"\nbundle = \"b.json\"\n\
         [[domain]]\nname = \"a.example.org\"\npins = [\"sha256/AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\", \"sha256/BBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBB=\"]\n",
    );
    assert!(e.contains(":3:") && e.contains("lowercase"), "{e}");
    let e = errors(
        "version = 1\n[[trust_domain]]\nname = \"a.org\"\nbundle = \"b.json\"\n[[trust_domain]]\nname = \"a.org\"\nbundle = \"c.json\"\n\
         [[domain]]\nname = \"a.example.org\"\nspiffe = { member_of = \"a.org\" }\n",
    );
    assert!(e.contains("already defined at line 3"), "{e}");
}

#[test]
fn manifest_bundle_files_are_checked_with_locations_and_round_trip() {
    let w = World::new();
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("bundles")).unwrap();
    let src = manifest(&format!(
        "spiffe = {{ prefix = \"spiffe://mcp.example.org/ns\", dns = true }}\npins = [\"{}\", \"{}\"]",
        w.ca.pin(),
        root("backup").pin()
    ));
    let path = pinset_tests::write(dir.path(), "pins.toml", &src);
    // Missing bundle files: an error at the bundle key's line.
    let e = Manifest::load(&path, None).unwrap_err().to_string();
    assert!(
        e.contains("pins.toml:5:") && e.contains("bundle file 'bundles/mcp.json'"),
        "{e}"
    );
    // A malformed JWKS (kid on an x509-svid key) is refused with the rule.
    let mut key = x509_svid_jwk(&w.ca);
    key["kid"] = serde_json::json!("k1");
    pinset_tests::write(dir.path(), "bundles/mcp.json", jwks(vec![key], Some(1)));
    pinset_tests::write(dir.path(), "bundles/other.pem", w.other_ca.pem());
    let e = Manifest::load(&path, None).unwrap_err().to_string();
    assert!(e.contains("pins.toml:5:") && e.contains("'kid'"), "{e}");
    // A valid bundle: loads, anchors come from the bundle files beside the manifest.
    pinset_tests::write(dir.path(), "bundles/mcp.json", bundle_json(&[&w.ca]));
    let m = Manifest::load(&path, None).unwrap().manifest;
    let anchors = ManifestAnchors::load(&m, &AnchorFiles).unwrap();
    assert_eq!(anchors.rule(0).unwrap().certs[0].1, w.ca.der);
    // Round trip through the manifest writer.
    let text = m.to_toml("round trip");
    let mut back = Manifest::parse_with(&text, &m.origin, Some(dir.path()), None)
        .unwrap()
        .manifest;
    let mut m = m;
    for x in [&mut m, &mut back] {
        x.domains.iter_mut().for_each(|d| d.line = 0);
        x.trust_domains.iter_mut().for_each(|t| t.line = 0);
    }
    assert_eq!(back.domains, m.domains);
    assert_eq!(back.trust_domains, m.trust_domains);
    assert!(
        text.contains("spiffe = { prefix = \"spiffe://mcp.example.org/ns\", dns = true }"),
        "{text}"
    );
}

/// NSC, OkHttp and ATS cannot check a SPIFFE ID or a trust-domain bundle: each generator refuses a
/// manifest with a spiffe rule (an error, not a stated weakness, so `--allow-weaker` cannot pass
/// it), naming the rule. Without the refusal the NSC/ATS output would trust the system CAs for the
/// host and drop the identity check.
#[test]
fn generators_refuse_a_manifest_with_a_spiffe_rule() {
    use pinset::generate::{GenerateError, ats, nsc, okhttp};
    let m = Manifest::parse(&manifest(&format!("spiffe = {{ id = \"{ID}\" }}")), None)
        .unwrap()
        .manifest;
    for (target, result) in [
        ("android-nsc", nsc::generate(&m)),
        ("okhttp", okhttp::generate(&m, "com.example.pins")),
        ("ios-ats", ats::generate(&m)),
    ] {
        match result {
            Err(GenerateError::Inexpressible { target: t, reason }) => {
                assert_eq!(t, target);
                assert!(reason.contains(HOST), "{target}: {reason}");
                assert!(reason.contains("SPIFFE"), "{target}: {reason}");
            }
            other => panic!("{target}: expected a refusal, got {other:?}"),
        }
    }
}
