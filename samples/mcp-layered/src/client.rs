//! The MCP client: rmcp's streamable HTTP transport over a reqwest client whose TLS is pinset's
//! `PinningConfig` alone. The manifest's `spiffe` rule for the server's host decides who the
//! server is (its trust domain's bundle, the X.509-SVID rules, the expected SPIFFE ID, then the
//! pins on the validated chain); the client's own SVID is the mTLS certificate. An
//! [`rmcp::transport::streamable_http_client::StreamableHttpClient`] signs every request (POST,
//! GET stream, DELETE session) before reqwest sends it.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use futures::stream::BoxStream;
use http::{HeaderName, HeaderValue};
use pinset::Policy;
use pinset::signing::Signer;
use pinset::verifier::{PinningConfig, PinningVerifier, TrustMode};
use rmcp::model::ClientJsonRpcMessage;
use rmcp::service::RunningService;
use rmcp::transport::StreamableHttpClientTransport;
use rmcp::transport::streamable_http_client::{
    SseError, StreamableHttpClient, StreamableHttpClientTransportConfig, StreamableHttpError,
    StreamableHttpPostResponse, StreamableHttpResponseLimits,
};
use rmcp::{RoleClient, ServiceExt as _};
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls_pki_types::{CertificateDer, ServerName, UnixTime};

use crate::signing;
use crate::svid::Svid;

/// What the client needs: the pin manifest's policy for the server, its own SVID, its signing
/// key.
pub struct ClientOptions {
    /// The manifest's policy. The server host's rule is a `spiffe` rule (the expected SPIFFE
    /// ID, its trust domain's bundle as the only anchors, and pins); pinset enforces all of it.
    pub policy: Arc<Policy>,
    /// The client's X.509-SVID for mTLS; `None` connects without a certificate.
    pub svid: Option<Svid>,
    /// The request-signing key; its `keyid` is the client's SPIFFE ID.
    pub signer: Arc<dyn Signer>,
    /// The `keyid` to sign with (the client's SPIFFE ID).
    pub keyid: String,
}

impl std::fmt::Debug for ClientOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClientOptions")
            .field("keyid", &self.keyid)
            .finish_non_exhaustive()
    }
}

/// Errors building the client or opening the MCP session.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    /// pinset could not build the TLS configuration.
    #[error("pinset: {0}")]
    Pinset(#[from] pinset::verifier::VerifierError),
    /// The client's SVID is unusable.
    #[error("{0}")]
    Svid(#[from] crate::svid::SvidError),
    /// reqwest could not be built.
    #[error("http client: {0}")]
    Http(#[from] reqwest::Error),
    /// pinset refused the server's certificate, so the MCP session could not be initialized.
    /// `refusal` is pinset's own error, unchanged ([`pinset::chain::ChainError`] or
    /// [`pinset::verifier::PinViolation`] inside it); `mcp` is what rmcp reported.
    #[error("MCP: {mcp}: server certificate refused: {}", reason(.refusal))]
    ServerRefused {
        /// rmcp's error text.
        mcp: String,
        /// pinset's refusal, as its verifier returned it to rustls.
        refusal: rustls::Error,
    },
    /// The MCP session could not be initialized for another reason (TLS alert from the server,
    /// HTTP status, signature refusal).
    #[error("MCP: {0}")]
    Mcp(String),
    /// The server binary's Sigstore bundle did not verify: nothing was sent to the server.
    #[error("server binary refused at step \"{}\": {}", .0.step(), .0)]
    Attestation(pinset::attest::AttestError),
}

/// pinset's own message inside a rustls certificate error (rustls shows that part with `Debug`).
fn reason(e: &rustls::Error) -> String {
    match e {
        rustls::Error::InvalidCertificate(rustls::CertificateError::Other(o)) => o.0.to_string(),
        other => other.to_string(),
    }
}

/// A reqwest client with pinset's TLS. Also used by tests to send hand-made requests.
pub fn http_client(options: &ClientOptions) -> Result<reqwest::Client, ClientError> {
    http_client_with_log(options, Arc::default())
}

/// The last server certificate refusal (rmcp reports a failed request without its cause).
type RefusalLog = Arc<Mutex<Option<rustls::Error>>>;

fn http_client_with_log(
    options: &ClientOptions,
    refusal: RefusalLog,
) -> Result<reqwest::Client, ClientError> {
    // Anchors come from the manifest: a spiffe rule's are its trust domain's bundle file, read
    // beside the manifest; `WebPkiExtraOnly` adds no other roots for any host.
    let mut pinning =
        PinningConfig::new(options.policy.clone()).trust_mode(TrustMode::WebPkiExtraOnly);
    if let Some(svid) = &options.svid {
        pinning = pinning.client_auth_pem(&svid.chain_pem, &svid.key_pem)?;
    }
    let (mut tls, pins) = pinning.build_with_verifier()?;
    tls.dangerous()
        .set_certificate_verifier(Arc::new(LoggedVerifier { pins, refusal }));
    Ok(reqwest::Client::builder()
        .tls_backend_preconfigured(tls)
        .redirect(reqwest::redirect::Policy::none())
        .pool_max_idle_per_host(0)
        .build()?)
}

/// Connects, initializes the MCP session and returns it.
pub async fn connect(
    url: &str,
    options: &ClientOptions,
) -> Result<RunningService<RoleClient, ()>, ClientError> {
    let refusal = RefusalLog::default();
    let http = SigningClient {
        inner: http_client_with_log(options, refusal.clone())?,
        signer: options.signer.clone(),
        keyid: options.keyid.clone(),
    };
    let transport = StreamableHttpClientTransport::with_client(
        http,
        StreamableHttpClientTransportConfig::with_uri(url.to_owned()),
    );
    ().serve(transport).await.map_err(|e| {
        let mcp = error_chain(&e);
        match refusal.lock().ok().and_then(|mut r| r.take()) {
            Some(refusal) => ClientError::ServerRefused { mcp, refusal },
            None => ClientError::Mcp(mcp),
        }
    })
}

/// Verifies the server's release (its binary's Sigstore bundle) and only then connects; a build
/// that does not verify is refused before any connection is opened. Returns what the
/// verification established with the session.
pub async fn connect_attested(
    url: &str,
    options: &ClientOptions,
    release: &crate::attest::ServerRelease,
) -> Result<(pinset::attest::Verified, RunningService<RoleClient, ()>), ClientError> {
    let verified = release.verify().map_err(ClientError::Attestation)?;
    Ok((verified, connect(url, options).await?))
}

/// An error and its sources on one line.
pub fn error_chain(e: &dyn std::error::Error) -> String {
    let mut msg = e.to_string();
    let mut src = e.source();
    while let Some(s) = src {
        msg = format!("{msg}: {s}");
        src = s.source();
    }
    msg
}

/// pinset's verifier, unchanged, plus a record of its last refusal.
///
/// This decides nothing: every call goes to pinset's `PinningVerifier` and its result is
/// returned as is. It exists only because rmcp turns a failed request into an error without
/// the reqwest/rustls cause (its `StreamableHttpError::Client` keeps no `source`), so pinset's
/// reason (for example `SpiffeError::NotAuthorized` for another workload's SVID) would not reach
/// the caller; [`connect`] returns it as [`ClientError::ServerRefused`].
#[derive(Debug)]
struct LoggedVerifier {
    pins: Arc<PinningVerifier>,
    refusal: RefusalLog,
}

impl ServerCertVerifier for LoggedVerifier {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        let result = self.pins.verify_server_cert(
            end_entity,
            intermediates,
            server_name,
            ocsp_response,
            now,
        );
        if let (Err(e), Ok(mut log)) = (&result, self.refusal.lock()) {
            *log = Some(e.clone());
        }
        result
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &rustls::DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.pins.verify_tls12_signature(message, cert, dss)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &rustls::DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.pins.verify_tls13_signature(message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<rustls::SignatureScheme> {
        self.pins.supported_verify_schemes()
    }
}

/// rmcp's reqwest client with an RFC 9421 signature added to every request it sends.
#[derive(Clone)]
struct SigningClient {
    inner: reqwest::Client,
    signer: Arc<dyn Signer>,
    keyid: String,
}

type HttpError = StreamableHttpError<reqwest::Error>;

impl SigningClient {
    /// The one signing step every request goes through: `custom_headers` plus the signature
    /// fields (`content-digest` with a body, `signature-input`, `signature`) for this method,
    /// target URI and body.
    fn signed(
        &self,
        method: &str,
        uri: &str,
        body: Option<&[u8]>,
        mut headers: HashMap<HeaderName, HeaderValue>,
    ) -> Result<HashMap<HeaderName, HeaderValue>, HttpError> {
        // reqwest's `.json()` sends `application/json` and serde_json's bytes of the message:
        // the same bytes are signed here, and the server checks the digest against what came.
        let fields = signing::sign_request(
            self.signer.as_ref(),
            &self.keyid,
            method,
            uri,
            body.map(|b| ("application/json", b)),
        )
        .map_err(|e| StreamableHttpError::UnexpectedServerResponse(format!("sign: {e}").into()))?;
        for (name, value) in fields {
            let (Ok(name), Ok(value)) = (
                HeaderName::try_from(name),
                HeaderValue::try_from(value.as_str()),
            ) else {
                return Err(StreamableHttpError::UnexpectedServerResponse(
                    "sign: unusable field".into(),
                ));
            };
            headers.insert(name, value);
        }
        Ok(headers)
    }
}

// Each HTTP method is signed in one place: POST in `post_message_with_response_limits`, GET in
// `get_stream_with_max_sse_event_size`, DELETE in `delete_session`; the other entry points of
// the trait pass their defaults to those.
impl StreamableHttpClient for SigningClient {
    type Error = reqwest::Error;

    async fn post_message(
        &self,
        uri: Arc<str>,
        message: ClientJsonRpcMessage,
        session_id: Option<Arc<str>>,
        auth_header: Option<String>,
        custom_headers: HashMap<HeaderName, HeaderValue>,
    ) -> Result<StreamableHttpPostResponse, HttpError> {
        let limits = StreamableHttpResponseLimits::default();
        self.post_message_with_response_limits(
            uri,
            message,
            session_id,
            auth_header,
            custom_headers,
            limits,
        )
        .await
    }

    async fn post_message_with_max_sse_event_size(
        &self,
        uri: Arc<str>,
        message: ClientJsonRpcMessage,
        session_id: Option<Arc<str>>,
        auth_header: Option<String>,
        custom_headers: HashMap<HeaderName, HeaderValue>,
        max_sse_event_size: usize,
    ) -> Result<StreamableHttpPostResponse, HttpError> {
        let mut limits = StreamableHttpResponseLimits::default();
        limits.max_sse_event_size = max_sse_event_size;
        self.post_message_with_response_limits(
            uri,
            message,
            session_id,
            auth_header,
            custom_headers,
            limits,
        )
        .await
    }

    async fn post_message_with_response_limits(
        &self,
        uri: Arc<str>,
        message: ClientJsonRpcMessage,
        session_id: Option<Arc<str>>,
        auth_header: Option<String>,
        custom_headers: HashMap<HeaderName, HeaderValue>,
        limits: StreamableHttpResponseLimits,
    ) -> Result<StreamableHttpPostResponse, HttpError> {
        let body = serde_json::to_vec(&message).map_err(StreamableHttpError::Deserialize)?;
        let headers = self.signed("POST", &uri, Some(&body), custom_headers)?;
        self.inner
            .post_message_with_response_limits(
                uri,
                message,
                session_id,
                auth_header,
                headers,
                limits,
            )
            .await
    }

    async fn delete_session(
        &self,
        uri: Arc<str>,
        session_id: Arc<str>,
        auth_header: Option<String>,
        custom_headers: HashMap<HeaderName, HeaderValue>,
    ) -> Result<(), HttpError> {
        let headers = self.signed("DELETE", &uri, None, custom_headers)?;
        self.inner
            .delete_session(uri, session_id, auth_header, headers)
            .await
    }

    async fn get_stream(
        &self,
        uri: Arc<str>,
        session_id: Option<Arc<str>>,
        last_event_id: Option<String>,
        auth_header: Option<String>,
        custom_headers: HashMap<HeaderName, HeaderValue>,
    ) -> Result<BoxStream<'static, Result<sse_stream::Sse, SseError>>, HttpError> {
        let size = StreamableHttpResponseLimits::default().max_sse_event_size;
        self.get_stream_with_max_sse_event_size(
            uri,
            session_id,
            last_event_id,
            auth_header,
            custom_headers,
            size,
        )
        .await
    }

    async fn get_stream_with_max_sse_event_size(
        &self,
        uri: Arc<str>,
        session_id: Option<Arc<str>>,
        last_event_id: Option<String>,
        auth_header: Option<String>,
        custom_headers: HashMap<HeaderName, HeaderValue>,
        max_sse_event_size: usize,
    ) -> Result<BoxStream<'static, Result<sse_stream::Sse, SseError>>, HttpError> {
        let headers = self.signed("GET", &uri, None, custom_headers)?;
        self.inner
            .get_stream_with_max_sse_event_size(
                uri,
                session_id,
                last_event_id,
                auth_header,
                headers,
                max_sse_event_size,
            )
            .await
    }
}
