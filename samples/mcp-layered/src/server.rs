//! The MCP server: rustls with a mandatory client certificate (an X.509-SVID checked by
//! pinset's `verify_svid`), then a gate that verifies every request's RFC 9421 signature
//! (nonce store, `keyid` bound to the client certificate's SPIFFE ID), then rmcp's streamable
//! HTTP service. Nothing reaches rmcp before both checks pass.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use bytes::Bytes;
use http_body_util::{BodyExt as _, Full, Limited, combinators::BoxBody};
use hyper::body::Incoming;
use hyper_util::rt::TokioIo;
use pinset::signing::{HttpMessage, MemoryNonceStore, NonceStore};
use pinset::spiffe::{BundleSet, IdMatcher, SpiffeId, SvidUsage};
use rmcp::model::{
    CallToolRequestParams, CallToolResponse, CallToolResult, ContentBlock, ListToolsResult,
    PaginatedRequestParams, ServerCapabilities, ServerConfig, Tool,
};
use rmcp::service::RequestContext;
use rmcp::transport::streamable_http_server::session::local::LocalSessionManager;
use rmcp::transport::{StreamableHttpServerConfig, StreamableHttpService};
use rmcp::{ErrorData, RoleServer, ServerHandler};
use rustls::DistinguishedName;
use rustls::client::danger::HandshakeSignatureValid;
use rustls::crypto::WebPkiSupportedAlgorithms;
use rustls::server::danger::{ClientCertVerified, ClientCertVerifier};
use rustls_pki_types::{CertificateDer, UnixTime};
use tokio::net::TcpListener;
use tokio_rustls::TlsAcceptor;

use crate::signing::{self, ClientKeys};
use crate::svid::Svid;

/// Largest request body the gate reads before verifying it.
pub const MAX_BODY_BYTES: usize = 1 << 20;

/// What the server needs: its own SVID, whom it accepts, and their request-signing keys.
#[derive(Debug)]
pub struct ServerOptions {
    /// The server's X.509-SVID (no DNS name needed: the client's rule matches its SPIFFE ID).
    pub svid: Svid,
    /// Trust bundles for client SVIDs.
    pub client_bundles: BundleSet,
    /// Which client workloads may connect.
    pub allowed_clients: IdMatcher,
    /// Request-signing keys by `keyid` (each a client SPIFFE ID).
    pub client_keys: ClientKeys,
}

/// A running server. Dropping it does not stop it; [`RunningServer::stop`] does.
#[derive(Debug)]
pub struct RunningServer {
    /// Where it listens.
    pub addr: SocketAddr,
    /// Every refusal so far, one line each (`tls: …`, `signature: …`), for logs and tests.
    pub refusals: Arc<Mutex<Vec<String>>>,
    /// Requests that passed the gate and went to rmcp.
    pub admitted: Arc<Mutex<usize>>,
    task: tokio::task::JoinHandle<()>,
}

impl RunningServer {
    /// The MCP endpoint URL.
    pub fn url(&self) -> String {
        format!(
            "https://{}:{}{}",
            crate::HOST,
            self.addr.port(),
            crate::MCP_PATH
        )
    }

    /// A copy of the refusals so far.
    pub fn refusals(&self) -> Vec<String> {
        self.refusals.lock().map(|r| r.clone()).unwrap_or_default()
    }

    /// How many requests reached rmcp.
    pub fn admitted(&self) -> usize {
        self.admitted.lock().map(|a| *a).unwrap_or(0)
    }

    /// Stops accepting connections.
    pub fn stop(self) {
        self.task.abort();
    }
}

/// Errors starting the server.
#[derive(Debug, thiserror::Error)]
pub enum ServerError {
    /// The TLS configuration was refused.
    #[error("TLS configuration: {0}")]
    Tls(#[from] rustls::Error),
    /// The listener could not be bound.
    #[error("listen: {0}")]
    Io(#[from] std::io::Error),
    /// The server's SVID is unusable.
    #[error("{0}")]
    Svid(#[from] crate::svid::SvidError),
}

/// Binds 127.0.0.1 on an ephemeral port and serves until stopped, as
/// `https://localhost:PORT/mcp` (the authority every signature's `@target-uri` must name).
pub async fn serve(options: ServerOptions) -> Result<RunningServer, ServerError> {
    let listener = TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    let authority = format!("{}:{}", crate::HOST, addr.port());
    let (chain, key) = options.svid.to_der()?;
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let verifier = Arc::new(SvidClientVerifier {
        bundles: options.client_bundles,
        allowed: options.allowed_clients,
        algorithms: provider.signature_verification_algorithms,
    });
    let tls = rustls::ServerConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()?
        .with_client_cert_verifier(verifier)
        .with_single_cert(chain, key)?;
    let acceptor = TlsAcceptor::from(Arc::new(tls));
    let mcp: StreamableHttpService<Tools, LocalSessionManager> = StreamableHttpService::new(
        || Ok(Tools),
        Arc::default(),
        StreamableHttpServerConfig::default().with_allowed_hosts([authority.clone()]),
    );
    let gate = Arc::new(Gate {
        authority,
        keys: options.client_keys,
        nonces: MemoryNonceStore::new(100_000),
        refusals: Arc::default(),
        admitted: Arc::default(),
        mcp,
    });
    let (refusals, admitted) = (gate.refusals.clone(), gate.admitted.clone());
    let task = tokio::spawn(async move {
        loop {
            let Ok((tcp, _)) = listener.accept().await else {
                continue;
            };
            let (acceptor, gate) = (acceptor.clone(), gate.clone());
            tokio::spawn(async move { gate.connection(acceptor, tcp).await });
        }
    });
    Ok(RunningServer {
        addr,
        refusals,
        admitted,
        task,
    })
}

/// The verified caller, put into the request's extensions for the MCP handlers.
#[derive(Debug, Clone)]
pub struct Caller {
    /// The SPIFFE ID of the client certificate (which is also the signature's `keyid`).
    pub id: SpiffeId,
}

struct Gate {
    authority: String,
    keys: ClientKeys,
    nonces: MemoryNonceStore,
    refusals: Arc<Mutex<Vec<String>>>,
    admitted: Arc<Mutex<usize>>,
    mcp: StreamableHttpService<Tools, LocalSessionManager>,
}

type Response = http::Response<BoxBody<Bytes, Infallible>>;

impl Gate {
    fn refuse(&self, line: String) {
        if let Ok(mut r) = self.refusals.lock() {
            r.push(line);
        }
    }

    async fn connection(self: Arc<Self>, acceptor: TlsAcceptor, tcp: tokio::net::TcpStream) {
        let tls = match acceptor.accept(tcp).await {
            Ok(tls) => tls,
            Err(e) => return self.refuse(format!("tls: {e}")),
        };
        // The verifier accepted the chain, so the leaf is there and carries a valid ID.
        let caller = tls
            .get_ref()
            .1
            .peer_certificates()
            .and_then(|c| c.first())
            .and_then(|leaf| pinset::spiffe::leaf_spiffe_id(leaf).ok());
        let Some(caller) = caller else {
            return self.refuse("tls: no client SPIFFE ID after the handshake".into());
        };
        let gate = self.clone();
        let service = hyper::service::service_fn(move |req| {
            let (gate, caller) = (gate.clone(), caller.clone());
            async move { Ok::<_, Infallible>(gate.handle(req, caller).await) }
        });
        if let Err(e) = hyper::server::conn::http1::Builder::new()
            .serve_connection(TokioIo::new(tls), service)
            .await
        {
            self.refuse(format!("http: {e}"));
        }
    }

    async fn handle(&self, req: http::Request<Incoming>, caller: SpiffeId) -> Response {
        let (mut parts, body) = req.into_parts();
        let body = match Limited::new(body, MAX_BODY_BYTES).collect().await {
            Ok(b) => b.to_bytes(),
            Err(e) => {
                return self.reject(http::StatusCode::PAYLOAD_TOO_LARGE, format!("body: {e}"));
            }
        };
        if let Err(e) = self.verify(&parts, &body, &caller) {
            return self.reject(http::StatusCode::UNAUTHORIZED, format!("signature: {e}"));
        }
        if let Ok(mut a) = self.admitted.lock() {
            *a += 1;
        }
        parts.extensions.insert(Caller { id: caller });
        let req = http::Request::from_parts(parts, Full::new(body));
        let mut mcp = self.mcp.clone();
        match tower_service::Service::call(&mut mcp, req).await {
            Ok(resp) => resp,
            Err(never) => match never {},
        }
    }

    /// The request as pinset's message model: the target URI is built from this server's own
    /// authority (never the `Host` field), so a request signed for another server fails.
    fn verify(
        &self,
        parts: &http::request::Parts,
        body: &Bytes,
        caller: &SpiffeId,
    ) -> Result<(), String> {
        let path = parts.uri.path_and_query().map_or("/", |p| p.as_str());
        let target = format!("https://{}{}", self.authority, path);
        let mut msg =
            HttpMessage::request(parts.method.as_str(), &target).map_err(|e| e.to_string())?;
        for (name, value) in &parts.headers {
            let value = value
                .to_str()
                .map_err(|_| format!("field {name} is not visible ASCII"))?;
            msg.add_field(name.as_str(), value)
                .map_err(|e| e.to_string())?;
        }
        let msg = msg.with_body(body.to_vec());
        let verified = pinset::signing::verify::verify(
            &msg,
            None,
            &self.keys,
            &signing::policy(!body.is_empty()),
            Some(&self.nonces as &dyn NonceStore),
            signing::now(),
        )
        .map_err(|e| e.to_string())?;
        // Bind the key to the connection: the signer must be the workload that did mTLS.
        for v in &verified {
            if v.keyid.as_deref() != Some(caller.as_str()) {
                return Err(format!(
                    "keyid {:?} is not the client certificate's SPIFFE ID {caller}",
                    v.keyid
                ));
            }
        }
        Ok(())
    }

    fn reject(&self, status: http::StatusCode, reason: String) -> Response {
        self.refuse(reason.clone());
        let mut resp = http::Response::new(Full::new(Bytes::from(reason)).boxed());
        *resp.status_mut() = status;
        resp
    }
}

/// mTLS: the client's certificate must be an X.509-SVID of an allowed workload, verified by
/// pinset against the bundle of its trust domain (chain only, leaf rules, ID match).
#[derive(Debug)]
struct SvidClientVerifier {
    bundles: BundleSet,
    allowed: IdMatcher,
    algorithms: WebPkiSupportedAlgorithms,
}

impl ClientCertVerifier for SvidClientVerifier {
    fn root_hint_subjects(&self) -> &[DistinguishedName] {
        &[]
    }

    fn verify_client_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        now: UnixTime,
    ) -> Result<ClientCertVerified, rustls::Error> {
        let mut chain = vec![end_entity.clone()];
        chain.extend(intermediates.iter().cloned());
        pinset::spiffe::verify_svid(
            &chain,
            &self.bundles,
            &self.allowed,
            SvidUsage::Client,
            now,
            None,
        )
        .map(|_| ClientCertVerified::assertion())
        .map_err(|e| rustls::Error::General(format!("client SVID: {e}")))
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &rustls::DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(message, cert, dss, &self.algorithms)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &rustls::DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(message, cert, dss, &self.algorithms)
    }

    fn supported_verify_schemes(&self) -> Vec<rustls::SignatureScheme> {
        self.algorithms.supported_schemes()
    }
}

/// The MCP tools: `whoami` answers with the verified caller's SPIFFE ID, showing that the
/// identity the lower layers proved reaches the MCP handler.
#[derive(Debug, Clone, Copy)]
pub struct Tools;

impl ServerHandler for Tools {
    fn get_info(&self) -> ServerConfig {
        ServerConfig::new(ServerCapabilities::builder().enable_tools().build())
    }

    async fn list_tools(
        &self,
        _request: Option<PaginatedRequestParams>,
        _context: RequestContext<RoleServer>,
    ) -> Result<ListToolsResult, ErrorData> {
        let schema = serde_json::json!({"type": "object", "properties": {}});
        let serde_json::Value::Object(schema) = schema else {
            return Err(ErrorData::internal_error("schema", None));
        };
        Ok(ListToolsResult::with_all_items(vec![Tool::new(
            "whoami",
            "The caller's SPIFFE ID, as proven by mTLS and the request signature",
            Arc::new(schema),
        )]))
    }

    async fn call_tool(
        &self,
        request: CallToolRequestParams,
        context: RequestContext<RoleServer>,
    ) -> Result<CallToolResponse, ErrorData> {
        if request.name != "whoami" {
            return Err(ErrorData::invalid_params("unknown tool", None));
        }
        let caller = context
            .extensions
            .get::<http::request::Parts>()
            .and_then(|p| p.extensions.get::<Caller>())
            .ok_or_else(|| ErrorData::internal_error("no verified caller", None))?;
        Ok(CallToolResult::success(vec![ContentBlock::text(caller.id.to_string())]).into())
    }
}
