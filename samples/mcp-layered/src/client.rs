//! The MCP client: rmcp's streamable HTTP transport over a reqwest client whose TLS is pinset's
//! `PinningConfig` (server identity and pins, the client's SVID for mTLS), and an
//! [`rmcp::transport::streamable_http_client::StreamableHttpClient`] that signs every request
//! (POST, GET stream, DELETE session) before reqwest sends it.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use futures::stream::BoxStream;
use http::{HeaderName, HeaderValue};
use pinset::Policy;
use pinset::signing::Signer;
use pinset::spiffe::{IdMatcher, SpiffeId};
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

/// What the client needs: the pin policy for the server, its own SVID, its signing key.
pub struct ClientOptions {
    /// The manifest's policy (rule for the server's host: anchors and pins).
    pub policy: Arc<Policy>,
    /// The SPIFFE IDs the server may present.
    pub server_id: IdMatcher,
    /// The client's X.509-SVID chain (PEM) for mTLS; `None` connects without a certificate.
    pub svid: Option<(Vec<u8>, Vec<u8>)>,
    /// The request-signing key; its `keyid` is the client's SPIFFE ID.
    pub signer: Arc<dyn Signer>,
    /// The `keyid` to sign with (the client's SPIFFE ID).
    pub keyid: String,
}

impl std::fmt::Debug for ClientOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClientOptions")
            .field("server_id", &self.server_id)
            .field("keyid", &self.keyid)
            .finish_non_exhaustive()
    }
}

/// Errors building the client.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    /// pinset could not build the TLS configuration.
    #[error("pinset: {0}")]
    Pinset(#[from] pinset::verifier::VerifierError),
    /// reqwest could not be built.
    #[error("http client: {0}")]
    Http(#[from] reqwest::Error),
    /// The MCP session could not be initialized (TLS, HTTP or signature refusal underneath).
    #[error("MCP: {0}")]
    Mcp(String),
    /// The server binary's Sigstore bundle did not verify: nothing was sent to the server.
    #[error("server binary refused at step \"{}\": {}", .0.step(), .0)]
    Attestation(pinset::attest::AttestError),
}

/// A reqwest client with pinset's TLS. Also used by tests to send hand-made requests.
pub fn http_client(options: &ClientOptions) -> Result<reqwest::Client, ClientError> {
    http_client_with_log(options, Arc::default())
}

/// The last server certificate refusal (rmcp reports a failed request without its cause).
type RefusalLog = Arc<Mutex<Option<String>>>;

fn http_client_with_log(
    options: &ClientOptions,
    refusal: RefusalLog,
) -> Result<reqwest::Client, ClientError> {
    let mut pinning = PinningConfig::new(options.policy.clone())
        .trust_mode(TrustMode::WebPkiExtraOnly)
        .record_outcomes(true);
    if let Some((chain, key)) = &options.svid {
        pinning = pinning.client_auth_pem(chain, key)?;
    }
    let (mut tls, pins) = pinning.build_with_verifier()?;
    tls.dangerous()
        .set_certificate_verifier(Arc::new(ServerIdentity {
            pins,
            server_id: options.server_id.clone(),
            refusal,
        }));
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
        let mut msg = error_chain(&e);
        if let Some(tls) = refusal.lock().ok().and_then(|r| r.clone()) {
            msg = format!("{msg}: server certificate refused: {tls}");
        }
        ClientError::Mcp(msg)
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

/// An error and its sources on one line (the TLS and pin failure text is in the sources).
pub fn error_chain(e: &dyn std::error::Error) -> String {
    let mut msg = e.to_string();
    let mut src = e.source();
    while let Some(s) = src {
        msg = format!("{msg}: {s}");
        src = s.source();
    }
    msg
}

/// The server's identity on top of pinset's chain and pin decision.
///
/// Interim: until the manifest's `spiffe` rule is in pinset's verifier, the rule for the host
/// validates the chain against the trust domain's CA and checks the pins, and this check adds
/// the X.509-SVID leaf rules and the SPIFFE ID match on the leaf pinset accepted.
#[derive(Debug)]
struct ServerIdentity {
    pins: Arc<PinningVerifier>,
    server_id: IdMatcher,
    refusal: RefusalLog,
}

impl ServerIdentity {
    fn check(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        self.pins
            .verify_server_cert(end_entity, intermediates, server_name, ocsp_response, now)?;
        let id: SpiffeId = pinset::spiffe::check_leaf_rules(end_entity)
            .map_err(|e| rustls::Error::General(format!("server SVID: {e}")))?;
        if !self.server_id.matches(&id) {
            return Err(rustls::Error::General(format!(
                "server SVID: {id} is not the expected workload ({})",
                self.server_id
            )));
        }
        Ok(ServerCertVerified::assertion())
    }
}

impl ServerCertVerifier for ServerIdentity {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        let result = self.check(end_entity, intermediates, server_name, ocsp_response, now);
        if let (Err(e), Ok(mut log)) = (&result, self.refusal.lock()) {
            *log = Some(e.to_string());
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
    /// `custom_headers` plus the signature fields for this request.
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
        self.post_message_with_response_limits(
            uri,
            message,
            session_id,
            auth_header,
            custom_headers,
            StreamableHttpResponseLimits::default(),
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
        let headers = self.signed("GET", &uri, None, custom_headers)?;
        self.inner
            .get_stream(uri, session_id, last_event_id, auth_header, headers)
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
