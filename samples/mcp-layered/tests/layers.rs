//! The layered stack end to end: a real rmcp server and client over streamable HTTP on
//! 127.0.0.1 with test PKIs made here (rcgen), and one attack per layer, each refused by the
//! layer that exists for it, before anything reaches rmcp.
#![allow(clippy::unwrap_used, clippy::panic, missing_docs)]

use std::sync::Arc;

use mcp_layered::attest::ServerRelease;
use mcp_layered::client::{self, ClientOptions};
use mcp_layered::server::{self, RunningServer, ServerOptions};
use mcp_layered::signing::{self, ClientKeys};
use pinset::attest::{IdentityPolicy, Matcher, Policy as AttestPolicy, TrustedRoot};
use pinset::signing::verify::KeyEntry;
use pinset::signing::{KeySigner, SigningKey};
use pinset::spiffe::{Bundle, BundleSet, IdMatcher, TrustDomain};
use pinset::{Manifest, Policy};
use pinset_tests::svid::{LeafSpec, svid, svid_ca, svid_leaf};
use pinset_tests::{Cert, manifest_for, rcgen, root, sigstore, write};
use rmcp::model::CallToolRequestParams;
use rustls_pki_types::PrivateKeyDer;
use rustls_pki_types::pem::PemObject as _;

const TD: &str = "mcp.example.org";
const SERVER_ID: &str = "spiffe://mcp.example.org/ns/prod/sa/tools";
const OTHER_WORKLOAD: &str = "spiffe://mcp.example.org/ns/prod/sa/billing";
const CLIENT_ID: &str = "spiffe://mcp.example.org/ns/prod/sa/agent";

/// A server SVID (interim: with the DNS name the host rule matches too).
fn server_svid(ca: &Cert, id: &str) -> Cert {
    let mut spec = LeafSpec::new(id);
    spec.dns = vec!["localhost".into()];
    svid_leaf(ca, &spec)
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

struct World {
    _dir: tempfile::TempDir,
    ca: Cert,
    /// A second CA for the same trust domain that is in the trust anchors (a bundle with an
    /// authority injected, or a CA issued in error) but not pinned.
    rogue: Cert,
    client: Cert,
    policy: Arc<Policy>,
    signer: Arc<KeySigner>,
    /// The request-signing key of another registered workload.
    other_signer: Arc<KeySigner>,
    keys: ClientKeys,
}

impl World {
    fn new() -> Self {
        let ca = svid_ca(TD);
        let rogue = svid_ca(TD);
        let client = svid(&ca, CLIENT_ID);
        let dir = tempfile::tempdir().unwrap();
        write(dir.path(), "anchors.pem", ca.pem() + &rogue.pem());
        let manifest = write(
            dir.path(),
            "pins.toml",
            manifest_for(
                "localhost",
                &[ca.pin(), root("backup").pin()],
                "trust_anchors = [\"anchors.pem\"]",
            ),
        );
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

    async fn server(&self, svid: &Cert) -> RunningServer {
        let mut bundles = BundleSet::new();
        let td = TrustDomain::parse(TD).unwrap();
        bundles
            .insert(Bundle::parse_pem(td, self.ca.pem().as_bytes()).unwrap())
            .unwrap();
        server::serve(ServerOptions {
            svid_chain: vec![svid.der.clone()],
            svid_key: PrivateKeyDer::from_pem_slice(svid.key_pem().as_bytes()).unwrap(),
            client_bundles: bundles,
            allowed_clients: IdMatcher::id(CLIENT_ID).unwrap(),
            client_keys: self.keys.clone(),
        })
        .await
        .unwrap()
    }

    fn client(&self, svid: Option<&Cert>) -> ClientOptions {
        ClientOptions {
            policy: self.policy.clone(),
            server_id: IdMatcher::id(SERVER_ID).unwrap(),
            svid: svid.map(|c| (c.pem().into_bytes(), c.key_pem().into_bytes())),
            signer: self.signer.clone(),
            keyid: CLIENT_ID.to_owned(),
        }
    }
}

fn url(server: &RunningServer) -> String {
    server.url()
}

/// Connects and expects a refusal; nothing may have reached rmcp.
async fn refused(server: &RunningServer, client: ClientOptions) -> String {
    let err = client::connect(&url(server), &client).await.err();
    let err = err.expect("the connection must be refused").to_string();
    assert_eq!(server.admitted(), 0, "nothing may reach rmcp: {err}");
    err
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn happy_path_a_signed_tool_call_over_mtls_reaches_the_tool_with_the_callers_identity() {
    let w = World::new();
    let server = w.server(&server_svid(&w.ca, SERVER_ID)).await;
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
    let server = w.server(&server_svid(&w.ca, OTHER_WORKLOAD)).await;
    let err = refused(&server, w.client(Some(&w.client))).await;
    assert!(err.contains("is not the expected workload"), "{err}");
    assert!(err.contains(OTHER_WORKLOAD), "{err}");
    server.stop();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pinning_a_rogue_ca_in_the_anchors_issuing_the_right_id_is_refused() {
    let w = World::new();
    // The rogue CA is a trust anchor (the chain validates) and the ID is right: only the pins,
    // which name the real CA, refuse it.
    let server = w.server(&server_svid(&w.rogue, SERVER_ID)).await;
    let err = refused(&server, w.client(Some(&w.client))).await;
    assert!(err.contains("Certificate pinning failure"), "{err}");
    server.stop();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mtls_a_client_without_a_certificate_or_with_another_workloads_svid_is_refused() {
    let w = World::new();
    let server = w.server(&server_svid(&w.ca, SERVER_ID)).await;
    refused(&server, w.client(None)).await;
    let refusals = server.refusals();
    assert!(
        refusals
            .iter()
            .any(|r| r.starts_with("tls:") && r.contains("certificate")),
        "{refusals:?}"
    );
    // A valid SVID of the trust domain, but not a workload the server accepts.
    let intruder = svid(&w.ca, OTHER_WORKLOAD);
    refused(&server, w.client(Some(&intruder))).await;
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
    let server = w.server(&server_svid(&w.ca, SERVER_ID)).await;
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
    let server = w.server(&server_svid(&w.ca, SERVER_ID)).await;
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
