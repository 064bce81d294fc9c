//! The layered stack end to end: a real rmcp server and client over streamable HTTP on
//! 127.0.0.1 with test PKIs made here (rcgen), and one attack per layer, each refused by the
//! layer that exists for it, before anything reaches rmcp.
#![allow(clippy::unwrap_used, clippy::panic, missing_docs)]

use std::sync::Arc;

use mcp_layered::attest::ServerRelease;
use mcp_layered::client::{self, ClientError, ClientOptions};
use mcp_layered::server::{self, RunningServer, ServerOptions};
use mcp_layered::signing::{self, ClientKeys};
use mcp_layered::svid::Svid;
use pinset::attest::{IdentityPolicy, Matcher, Policy as AttestPolicy, TrustedRoot};
use pinset::chain::ChainError;
use pinset::signing::verify::KeyEntry;
use pinset::signing::{KeySigner, SigningKey};
use pinset::spiffe::{Bundle, BundleSet, IdMatcher, SpiffeError, TrustDomain};
use pinset::verifier::PinViolation;
use pinset::{Manifest, Policy};
use pinset_tests::svid::{jwks, svid, svid_ca, x509_svid_jwk};
use pinset_tests::{Cert, rcgen, root, sigstore, write};
use rmcp::model::CallToolRequestParams;
use rustls::CertificateError;

const TD: &str = "mcp.example.org";
const SERVER_ID: &str = "spiffe://mcp.example.org/ns/prod/sa/tools";
const OTHER_WORKLOAD: &str = "spiffe://mcp.example.org/ns/prod/sa/billing";
const CLIENT_ID: &str = "spiffe://mcp.example.org/ns/prod/sa/agent";

/// The rule the client's manifest has for the server's host: exactly the tools workload.
fn expected_server() -> String {
    format!("spiffe = {{ id = \"{SERVER_ID}\" }}")
}

/// A workload's SVID as both sides take it (chain and key PEM, no DNS name: the client's rule
/// matches the SPIFFE ID).
fn svid_of(cert: &Cert) -> Svid {
    Svid {
        chain_pem: cert.pem().into_bytes(),
        key_pem: cert.key_pem().into_bytes(),
    }
}

/// A SPIFFE bundle (JWKS, one `x509-svid` key per CA) for the trust domain.
fn bundle_json(cas: &[&Cert]) -> String {
    jwks(cas.iter().map(|c| x509_svid_jwk(c)).collect(), Some(1))
}

fn signer() -> (Arc<KeySigner>, KeyEntry) {
    let pair = rcgen::KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).unwrap();
    let key = SigningKey::from_pem(pair.serialize_pem().as_bytes()).unwrap();
    let entry = KeyEntry {
        key: key.verifying_key(),
        allowed: Vec::new(),
    };
    (Arc::new(KeySigner::new(key, None).unwrap()), entry)
}

/// The test PKI and both sides' configuration, made here and nowhere else: the trust domain's
/// CA, the SVIDs it issues, the bundles, the client's pin manifest and the signing keys.
struct World {
    _dir: tempfile::TempDir,
    ca: Cert,
    /// A second CA for the same trust domain that is in the client's bundle (an authority
    /// injected into the bundle, or a CA issued in error) but not pinned.
    rogue: Cert,
    client: Svid,
    policy: Arc<Policy>,
    signer: Arc<KeySigner>,
    /// The request-signing key of another registered workload.
    other_signer: Arc<KeySigner>,
    keys: ClientKeys,
}

impl World {
    fn new() -> Self {
        Self::with_rule(&expected_server())
    }

    /// The client's manifest: the trust domain with its bundle file, and for the server's host
    /// the `spiffe` rule `rule` with pins on the trust domain's CA plus a backup pin.
    fn with_rule(rule: &str) -> Self {
        let ca = svid_ca(TD);
        let rogue = svid_ca(TD);
        let client = svid_of(&svid(&ca, CLIENT_ID));
        let dir = tempfile::tempdir().unwrap();
        write(
            dir.path(),
            "mcp.example.org.json",
            bundle_json(&[&ca, &rogue]),
        );
        let manifest = format!(
            r#"version = 1

[[trust_domain]]
name = "{TD}"
bundle = "mcp.example.org.json"

[[domain]]
name = "{host}"
{rule}
pins = ["{ca_pin}", "{backup}"]
"#,
            host = mcp_layered::HOST,
            ca_pin = ca.pin(),
            backup = root("backup").pin(),
        );
        let manifest = write(dir.path(), "pins.toml", manifest);
        let policy = Arc::new(Policy::new(
            Manifest::load(&manifest, None).unwrap().manifest,
        ));
        let (signer, entry) = self::signer();
        let (other_signer, other_entry) = self::signer();
        let keys = ClientKeys::from([
            (CLIENT_ID.to_owned(), entry),
            (OTHER_WORKLOAD.to_owned(), other_entry),
        ]);
        Self {
            _dir: dir,
            ca,
            rogue,
            client,
            policy,
            signer,
            other_signer,
            keys,
        }
    }

    /// A server SVID for `id` issued by `issuer` (no DNS SAN, as SVIDs usually have).
    fn server_svid(issuer: &Cert, id: &str) -> Svid {
        svid_of(&svid(issuer, id))
    }

    /// The server with `svid`; it accepts client SVIDs of the trust domain's CA (the real one
    /// only) for the client workload.
    async fn server(&self, svid: Svid) -> RunningServer {
        let mut bundles = BundleSet::new();
        let td = TrustDomain::parse(TD).unwrap();
        bundles
            .insert(Bundle::parse(td, bundle_json(&[&self.ca]).as_bytes()).unwrap())
            .unwrap();
        server::serve(ServerOptions {
            svid,
            client_bundles: bundles,
            allowed_clients: IdMatcher::id(CLIENT_ID).unwrap(),
            client_keys: self.keys.clone(),
        })
        .await
        .unwrap()
    }

    fn client(&self, svid: Option<&Svid>) -> ClientOptions {
        ClientOptions {
            policy: self.policy.clone(),
            svid: svid.cloned(),
            signer: self.signer.clone(),
            keyid: CLIENT_ID.to_owned(),
        }
    }
}

fn url(server: &RunningServer) -> String {
    server.url()
}

/// pinset's refusal of the server certificate, as its verifier returned it: the core's
/// [`ChainError`] (chain, SPIFFE rules) or [`PinViolation`] (pins) inside the rustls error.
fn server_refusal(err: &ClientError) -> &(dyn std::error::Error + Send + Sync + 'static) {
    match err {
        ClientError::ServerRefused {
            refusal: rustls::Error::InvalidCertificate(CertificateError::Other(other)),
            ..
        } => other.0.as_ref(),
        other => panic!("expected pinset to refuse the server certificate, got: {other}"),
    }
}

/// Connects and expects a refusal; nothing may have reached rmcp.
async fn refused(server: &RunningServer, client: ClientOptions) -> ClientError {
    let err = client::connect(&url(server), &client).await.err();
    let err = err.expect("the connection must be refused");
    assert_eq!(server.admitted(), 0, "nothing may reach rmcp: {err}");
    err
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn happy_path_a_signed_tool_call_over_mtls_reaches_the_tool_with_the_callers_identity() {
    let w = World::new();
    let server = w.server(World::server_svid(&w.ca, SERVER_ID)).await;
    let mcp = client::connect(&url(&server), &w.client(Some(&w.client)))
        .await
        .unwrap();
    let tools = mcp.list_all_tools().await.unwrap();
    let names = tools.iter().map(|t| t.name.as_ref()).collect::<Vec<_>>();
    assert_eq!(names, ["whoami"]);
    let result = mcp
        .call_tool(CallToolRequestParams::new("whoami"))
        .await
        .unwrap();
    let result = serde_json::to_value(&result).unwrap();
    assert_eq!(result["content"][0]["text"], CLIENT_ID, "{result}");
    // initialize, initialized, tools/list, tools/call at least: each signed and verified.
    assert!(server.admitted() >= 4, "{}", server.admitted());
    mcp.cancel().await.unwrap();
    let refusals = server.refusals();
    assert!(
        refusals.iter().all(|r| !r.starts_with("signature")),
        "{refusals:?}"
    );
    server.stop();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn identity_an_impostor_with_a_valid_svid_of_another_workload_is_refused() {
    let w = World::new();
    // Same CA, pinned CA, valid chain: only the SPIFFE ID is wrong.
    let server = w.server(World::server_svid(&w.ca, OTHER_WORKLOAD)).await;
    let err = refused(&server, w.client(Some(&w.client))).await;
    match server_refusal(&err).downcast_ref::<ChainError>() {
        Some(ChainError::Spiffe(e)) => match e.as_ref() {
            SpiffeError::NotAuthorized { id, expected } => {
                assert_eq!(id, OTHER_WORKLOAD, "{err}");
                assert!(expected.contains(SERVER_ID), "{err}");
            }
            other => panic!("refused by another SPIFFE rule: {other}"),
        },
        _ => panic!("not refused by pinset's spiffe rule: {err}"),
    }
    let shown = format!("SPIFFE ID '{OTHER_WORKLOAD}' is not authorized");
    assert!(err.to_string().contains(&shown), "{err}");
    server.stop();

    // Control: with the rule relaxed to any workload of the trust domain, the same server is
    // accepted, so nothing but the ID match refused it above.
    let relaxed = World::with_rule(&format!("spiffe = {{ member_of = \"{TD}\" }}"));
    let server = relaxed
        .server(World::server_svid(&relaxed.ca, OTHER_WORKLOAD))
        .await;
    let mcp = client::connect(&url(&server), &relaxed.client(Some(&relaxed.client)))
        .await
        .unwrap();
    mcp.cancel().await.unwrap();
    server.stop();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pinning_a_rogue_ca_in_the_bundle_issuing_the_right_id_is_refused() {
    let w = World::new();
    // The rogue CA is in the trust domain's bundle (the chain validates) and the ID is right:
    // only the pins, which name the real CA, refuse it.
    let server = w.server(World::server_svid(&w.rogue, SERVER_ID)).await;
    let err = refused(&server, w.client(Some(&w.client))).await;
    let violation = server_refusal(&err).downcast_ref::<PinViolation>();
    let violation = violation.unwrap_or_else(|| panic!("not a pin violation: {err}"));
    assert!(
        violation.0.starts_with("Certificate pinning failure"),
        "{violation}"
    );
    assert!(violation.0.contains(&w.ca.pin().to_string()), "{violation}");
    server.stop();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mtls_a_client_without_a_certificate_or_with_another_workloads_svid_is_refused() {
    let w = World::new();
    let server = w.server(World::server_svid(&w.ca, SERVER_ID)).await;
    // The server's certificate passes the client's checks; the server ends the handshake.
    let err = refused(&server, w.client(None)).await;
    assert!(matches!(err, ClientError::Mcp(_)), "{err}");
    let refusals = server.refusals();
    assert!(
        refusals
            .iter()
            .any(|r| r.starts_with("tls:") && r.contains("peer sent no certificates")),
        "{refusals:?}"
    );
    // A valid SVID of the trust domain, but not a workload the server accepts.
    let intruder = svid_of(&svid(&w.ca, OTHER_WORKLOAD));
    let err = refused(&server, w.client(Some(&intruder))).await;
    assert!(matches!(err, ClientError::Mcp(_)), "{err}");
    let refusals = server.refusals();
    assert!(
        refusals
            .iter()
            .any(|r| r.contains("client SVID") && r.contains(OTHER_WORKLOAD)),
        "{refusals:?}"
    );
    server.stop();
}

const INITIALIZE: &str = r#"{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-03-26","capabilities":{},"clientInfo":{"name":"raw","version":"1.0"}}}"#;

/// A POST of `body` with the given signature fields, over the client's mTLS connection.
async fn post(
    http: &reqwest::Client,
    url: &str,
    fields: &[(String, String)],
    body: &str,
) -> (u16, String) {
    let mut req = http
        .post(url)
        .header("content-type", "application/json")
        .header("accept", "application/json, text/event-stream")
        .body(body.to_owned());
    for (k, v) in fields {
        req = req.header(k, v);
    }
    let resp = req.send().await.unwrap();
    (
        resp.status().as_u16(),
        resp.text().await.unwrap_or_default(),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn signing_tampered_unsigned_misbound_and_replayed_requests_are_refused_before_rmcp() {
    let w = World::new();
    let server = w.server(World::server_svid(&w.ca, SERVER_ID)).await;
    let url = url(&server);
    // Real mTLS and pins: only the signature differs between these requests.
    let http = client::http_client(&w.client(Some(&w.client))).unwrap();
    let sign = |signer: &KeySigner, keyid: &str, uri: &str| {
        signing::sign_request(
            signer,
            keyid,
            "POST",
            uri,
            Some(("application/json", INITIALIZE.as_bytes())),
        )
        .unwrap()
    };

    // Unsigned.
    let (status, text) = post(&http, &url, &[], INITIALIZE).await;
    assert_eq!(
        (status, text.contains("no Signature-Input")),
        (401, true),
        "{text}"
    );

    // Tampered body: the signature and digest were made for another body.
    let fields = sign(&w.signer, CLIENT_ID, &url);
    let tampered = INITIALIZE.replace("\"raw\"", "\"evil\"");
    let (status, text) = post(&http, &url, &fields, &tampered).await;
    assert_eq!((status, text.contains("digest")), (401, true), "{text}");

    // Tampered target: signed for another path of this server.
    let fields = sign(&w.signer, CLIENT_ID, &format!("{url}/admin"));
    let (status, text) = post(&http, &url, &fields, INITIALIZE).await;
    assert_eq!(
        (status, text.contains("bad signature")),
        (401, true),
        "{text}"
    );

    // A valid signature by another registered workload's key, sent on this client's
    // connection: the key is not the one mTLS proved.
    let fields = sign(&w.other_signer, OTHER_WORKLOAD, &url);
    let (status, text) = post(&http, &url, &fields, INITIALIZE).await;
    assert_eq!(
        (
            status,
            text.contains("is not the client certificate's SPIFFE ID")
        ),
        (401, true),
        "{text}"
    );
    assert_eq!(server.admitted(), 0);

    // Replay: the same signed request twice. The first is admitted, the second refused.
    let fields = sign(&w.signer, CLIENT_ID, &url);
    let (status, text) = post(&http, &url, &fields, INITIALIZE).await;
    assert_eq!(status, 200, "{text}");
    assert_eq!(server.admitted(), 1);
    let (status, text) = post(&http, &url, &fields, INITIALIZE).await;
    assert_eq!(
        (status, text.contains("replayed nonce")),
        (401, true),
        "{text}"
    );
    assert_eq!(server.admitted(), 1);
    server.stop();
}

/// The server release for the attestation layer: `binary` signed by the test-made Sigstore
/// "Fulcio" and logged by its "Rekor" (`pinset_tests::sigstore`) as the release workflow
/// `sigstore::IDENTITY`, with `expected` as the identity the client requires.
fn release(binary: &[u8], signed: &[u8], expected: &str) -> ServerRelease {
    let t = sigstore::now() - 100;
    let w = sigstore::World::new(t);
    let bundle = w.make(signed, &sigstore::Spec::new(t), |_| {}).bundle;
    ServerRelease {
        binary: binary.to_vec(),
        bundle: serde_json::to_vec(&bundle).unwrap(),
        trusted_root: TrustedRoot::from_json(
            &serde_json::to_vec(&w.trusted_root(&sigstore::RootWindows::around(t))).unwrap(),
        )
        .unwrap(),
        policy: AttestPolicy::Identity(IdentityPolicy::new(
            Matcher::Exact(expected.into()),
            Matcher::Exact(sigstore::ISSUER.into()),
        )),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn attestation_a_substituted_server_binary_is_refused_before_connecting() {
    let w = World::new();
    let server = w.server(World::server_svid(&w.ca, SERVER_ID)).await;
    let genuine = b"\x7fELF mcp tools server 1.4.0".as_slice();
    let options = w.client(Some(&w.client));

    let (verified, mcp) = client::connect_attested(
        &url(&server),
        &options,
        &release(genuine, genuine, sigstore::IDENTITY),
    )
    .await
    .unwrap();
    assert_eq!(
        verified.identity.unwrap().san,
        sigstore::IDENTITY,
        "the release workflow signed it"
    );
    assert!(!mcp.list_all_tools().await.unwrap().is_empty());
    mcp.cancel().await.unwrap();
    let admitted = server.admitted();
    assert!(admitted > 0);

    // Another binary than the one the bundle signs, and the genuine binary with a build
    // identity the client does not expect: refused before any request is sent.
    let substituted = b"\x7fELF mcp tools server 1.4.0 (patched)".as_slice();
    for (rel, step) in [
        (
            release(substituted, genuine, sigstore::IDENTITY),
            "log entry body",
        ),
        (
            release(
                genuine,
                genuine,
                "https://github.com/example/other/.github/workflows/release.yml@refs/tags/v1.4.0",
            ),
            "identity",
        ),
    ] {
        let Err(err) = client::connect_attested(&url(&server), &options, &rel).await else {
            panic!("a release that does not verify must be refused");
        };
        match &err {
            client::ClientError::Attestation(e) => assert_eq!(e.step(), step, "{err}"),
            other => panic!("refused by another layer: {other}"),
        }
        assert!(err.to_string().contains("server binary refused"), "{err}");
        assert_eq!(server.admitted(), admitted, "nothing was sent: {err}");
    }
    server.stop();
}
