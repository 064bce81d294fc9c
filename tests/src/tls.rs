//! TLS servers on 127.0.0.1 for the end-to-end tests: an in-process rustls server and
//! `openssl s_server` as an independent implementation. Bounded in connections and time.

use std::io::{Read as _, Write as _};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use rustls::server::{ProducesTickets, WebPkiClientVerifier};
use rustls::{ClientConfig, RootCertStore, ServerConfig};
use rustls_pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer, ServerName};

use crate::Cert;

/// What the in-process server presents and requires.
pub struct ServerSpec {
    /// The chain sent to clients, leaf first.
    pub chain: Vec<CertificateDer<'static>>,
    /// The leaf's key.
    pub key: PrivateKeyDer<'static>,
    /// Require a client certificate issued under this root (mTLS).
    pub client_ca: Option<CertificateDer<'static>>,
    /// Share a session ticketer between servers (to test resumption).
    pub ticketer: Option<Arc<dyn ProducesTickets>>,
}

impl ServerSpec {
    /// Serves `chain` (leaf first) with the leaf's key.
    pub fn new(leaf: &Cert, rest: &[&Cert]) -> Self {
        let mut chain = vec![leaf.der.clone()];
        chain.extend(rest.iter().map(|c| c.der.clone()));
        Self {
            chain,
            key: key_der(leaf),
            client_ca: None,
            ticketer: None,
        }
    }
}

/// The PKCS#8 DER key of a certificate.
pub fn key_der(c: &Cert) -> PrivateKeyDer<'static> {
    PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(c.key.serialize_der()))
}

/// A running in-process rustls server accepting up to `connections` clients within 20 s.
pub struct Server {
    /// Where it listens.
    pub addr: SocketAddr,
    handle: Option<JoinHandle<()>>,
}

impl Server {
    /// Starts the server on an ephemeral loopback port.
    pub fn start(spec: ServerSpec, connections: usize) -> Self {
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let builder = ServerConfig::builder_with_provider(provider.clone())
            .with_safe_default_protocol_versions()
            .unwrap();
        let builder = match &spec.client_ca {
            Some(ca) => {
                let mut roots = RootCertStore::empty();
                roots.add(ca.clone()).unwrap();
                builder.with_client_cert_verifier(
                    WebPkiClientVerifier::builder_with_provider(Arc::new(roots), provider)
                        .build()
                        .unwrap(),
                )
            }
            None => builder.with_no_client_auth(),
        };
        let mut config = builder.with_single_cert(spec.chain, spec.key).unwrap();
        if let Some(t) = spec.ticketer {
            config.ticketer = t;
        }
        let config = Arc::new(config);
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        listener.set_nonblocking(true).unwrap();
        let addr = listener.local_addr().unwrap();
        let handle = std::thread::spawn(move || {
            let deadline = Instant::now() + Duration::from_secs(20);
            let mut served = 0;
            while served < connections && Instant::now() < deadline {
                match listener.accept() {
                    Ok((mut tcp, _)) => {
                        served += 1;
                        tcp.set_nonblocking(false).ok();
                        tcp.set_read_timeout(Some(Duration::from_secs(5))).ok();
                        let Ok(mut conn) = rustls::ServerConnection::new(config.clone()) else {
                            continue;
                        };
                        let mut tls = rustls::Stream::new(&mut conn, &mut tcp);
                        let mut buf = [0u8; 64];
                        // Handshake happens on first I/O; reply once, then close.
                        if tls.read(&mut buf).is_ok() {
                            let _ = tls.write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 5\r\nconnection: close\r\n\r\npong\n");
                        }
                        conn.send_close_notify();
                        let _ = conn.complete_io(&mut tcp);
                    }
                    Err(ref e) if e.kind() == std::io::ErrorKind::WouldBlock => {
                        std::thread::sleep(Duration::from_millis(5))
                    }
                    Err(_) => break,
                }
            }
        });
        Self {
            addr,
            handle: Some(handle),
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        // Unblock the accept loop by connecting once, then join.
        let _ = TcpStream::connect_timeout(&self.addr, Duration::from_millis(200));
        if let Some(h) = self.handle.take() {
            let _ = h.join();
        }
    }
}

/// How a client connection ended.
#[derive(Debug)]
pub struct ClientResult {
    /// The handshake outcome.
    pub result: Result<(), rustls::Error>,
    /// Full or resumed.
    pub kind: Option<rustls::HandshakeKind>,
}

/// Connects with `config` to `addr`, SNI `host`, sends one line and reads the reply.
pub fn connect(config: &Arc<ClientConfig>, host: &str, addr: SocketAddr) -> ClientResult {
    let name = ServerName::try_from(host.to_owned()).unwrap();
    let mut conn = rustls::ClientConnection::new(config.clone(), name).unwrap();
    let mut tcp = TcpStream::connect_timeout(&addr, Duration::from_secs(5)).unwrap();
    tcp.set_read_timeout(Some(Duration::from_secs(5))).ok();
    let mut result = Ok(());
    while conn.is_handshaking() {
        if let Err(e) = conn.complete_io(&mut tcp) {
            result = Err(e
                .get_ref()
                .and_then(|i| i.downcast_ref::<rustls::Error>())
                .cloned()
                .unwrap_or_else(|| rustls::Error::General(e.to_string())));
            break;
        }
    }
    if result.is_ok() {
        let mut tls = rustls::Stream::new(&mut conn, &mut tcp);
        let _ = tls.write_all(b"ping\n");
        let mut buf = [0u8; 16];
        let _ = tls.read(&mut buf);
    }
    ClientResult {
        result,
        kind: conn.handshake_kind(),
    }
}

/// `openssl s_server` serving `leaf.pem`/`leaf.key` (+ `chain.pem`) from `dir` on a free
/// loopback port, for at most `connections` clients. Killed on drop.
pub struct OpensslServer {
    /// Where it listens.
    pub addr: SocketAddr,
    child: Child,
}

impl OpensslServer {
    /// Starts it and waits until the port accepts connections (5 s at most).
    pub fn start(dir: &Path, connections: usize) -> Self {
        let port = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let addr: SocketAddr = ([127, 0, 0, 1], port).into();
        let child = Command::new("openssl")
            .current_dir(dir)
            .args(["s_server", "-quiet", "-accept"])
            .arg(addr.to_string())
            .args([
                "-cert",
                "leaf.pem",
                "-key",
                "leaf.key",
                "-cert_chain",
                "chain.pem",
                "-naccept",
            ])
            .arg((connections + 1).to_string()) // +1: the readiness probe below
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("openssl must be installed");
        let deadline = Instant::now() + Duration::from_secs(5);
        while TcpStream::connect_timeout(&addr, Duration::from_millis(100)).is_err() {
            assert!(Instant::now() < deadline, "openssl s_server did not start");
            std::thread::sleep(Duration::from_millis(20));
        }
        Self { addr, child }
    }
}

impl Drop for OpensslServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
