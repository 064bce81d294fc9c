//! Delivery to the manifest's `report_uris`: an HTTP/1.1 POST of the report JSON from a
//! background thread, as TrustKit does.
//!
//! - Off the handshake thread: [`PinReporter::report`] only queues; one worker thread posts.
//! - Bounded: at most the configured number of reports wait ([`MAX_QUEUED_REPORTS`] by default);
//!   beyond that a report is dropped and counted ([`UriReporter::dropped`]), never blocking the
//!   handshake. Rate-limiting is the [`super::Throttle`]'s job, before a report gets here.
//! - System trust: the upload's TLS uses the OS root store (`rustls-native-certs`) and no pins,
//!   so a pin failure of the reported host cannot block its own report.
//! - `https://` only, except plain `http://` to a loopback address (the manifest's rule for
//!   `report_uris`, and `pinset update`'s for repositories); checked again on the resolved
//!   address before anything is sent. A URL with credentials is refused.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{IpAddr, TcpStream, ToSocketAddrs};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{Receiver, SyncSender, TrySendError, sync_channel};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use super::{PinReporter, Report};

/// Reports that may wait for upload by default; more are dropped (and counted).
pub const MAX_QUEUED_REPORTS: usize = 64;

const TIMEOUT: Duration = Duration::from_secs(10);
const MAX_HEADER_BYTES: u64 = 16 * 1024;

/// Why the uploader could not be built, or one upload failed.
#[derive(Debug, thiserror::Error)]
pub enum UploadError {
    /// The TLS configuration could not be built.
    #[error("report upload TLS: {0}")]
    Tls(String),
    /// The background thread could not be started.
    #[error("report upload thread: {0}")]
    Thread(String),
    /// A report URI is not `https://` (or `http://` on loopback), or has credentials.
    #[error("report URI {uri}: {why}")]
    Uri {
        /// The URI.
        uri: String,
        /// What is wrong with it.
        why: String,
    },
    /// The connection or the exchange failed.
    #[error("report upload to {uri}: {why}")]
    Io {
        /// The URI.
        uri: String,
        /// What failed.
        why: String,
    },
    /// The server answered with a status other than 2xx.
    #[error("report upload to {uri}: HTTP {status}")]
    Status {
        /// The URI.
        uri: String,
        /// The status code.
        status: u16,
    },
}

struct Upload {
    uris: Vec<String>,
    body: String,
}

/// A [`PinReporter`] that POSTs each report to its rule's `report_uris` (see the module doc).
/// Reports without `report_uris` are not sent.
pub struct UriReporter {
    tx: SyncSender<Upload>,
    dropped: Arc<AtomicU64>,
    delivered: Arc<AtomicU64>,
    failures: Arc<Mutex<Vec<UploadError>>>,
}

impl std::fmt::Debug for UriReporter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("UriReporter")
            .field("delivered", &self.delivered())
            .field("dropped", &self.dropped())
            .finish_non_exhaustive()
    }
}

impl UriReporter {
    /// An uploader trusting the OS root store, with the default queue bound.
    pub fn new() -> Result<Self, UploadError> {
        let mut roots = rustls::RootCertStore::empty();
        for c in rustls_native_certs::load_native_certs().certs {
            let _ = roots.add(c);
        }
        Self::with_roots(roots, MAX_QUEUED_REPORTS)
    }

    /// An uploader trusting `roots` (for a private report collector), queueing at most `queue`
    /// reports (at least one).
    pub fn with_roots(roots: rustls::RootCertStore, queue: usize) -> Result<Self, UploadError> {
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let tls = rustls::ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map_err(|e| UploadError::Tls(e.to_string()))?
            .with_root_certificates(roots)
            .with_no_client_auth();
        let (tx, rx) = sync_channel(queue.max(1));
        let reporter = Self {
            tx,
            dropped: Arc::new(AtomicU64::new(0)),
            delivered: Arc::new(AtomicU64::new(0)),
            failures: Arc::new(Mutex::new(Vec::new())),
        };
        let worker = Worker {
            tls: Arc::new(tls),
            delivered: reporter.delivered.clone(),
            failures: reporter.failures.clone(),
        };
        std::thread::Builder::new()
            .name("pinset-reports".into())
            .spawn(move || worker.run(&rx))
            .map_err(|e| UploadError::Thread(e.to_string()))?;
        Ok(reporter)
    }

    /// Reports dropped because the queue was full.
    pub fn dropped(&self) -> u64 {
        self.dropped.load(Ordering::Relaxed)
    }

    /// Uploads that got a 2xx answer.
    pub fn delivered(&self) -> u64 {
        self.delivered.load(Ordering::Relaxed)
    }

    /// The failed uploads since the last call (at most the last 16 are kept).
    pub fn take_failures(&self) -> Vec<UploadError> {
        self.failures
            .lock()
            .map(|mut f| std::mem::take(&mut *f))
            .unwrap_or_default()
    }
}

impl PinReporter for UriReporter {
    fn report(&self, report: &Report) {
        if report.report_uris.is_empty() {
            return;
        }
        let upload = Upload {
            uris: report.report_uris.clone(),
            body: report.to_json(),
        };
        if let Err(TrySendError::Full(_) | TrySendError::Disconnected(_)) = self.tx.try_send(upload)
        {
            self.dropped.fetch_add(1, Ordering::Relaxed);
        }
    }
}

struct Worker {
    tls: Arc<rustls::ClientConfig>,
    delivered: Arc<AtomicU64>,
    failures: Arc<Mutex<Vec<UploadError>>>,
}

impl Worker {
    /// Runs until the [`UriReporter`] (the sender) is dropped.
    fn run(&self, rx: &Receiver<Upload>) {
        while let Ok(upload) = rx.recv() {
            for uri in &upload.uris {
                match post(&self.tls, uri, &upload.body) {
                    Ok(()) => {
                        self.delivered.fetch_add(1, Ordering::Relaxed);
                    }
                    Err(e) => {
                        if let Ok(mut f) = self.failures.lock() {
                            if f.len() >= 16 {
                                f.remove(0);
                            }
                            f.push(e);
                        }
                    }
                }
            }
        }
    }
}

trait ReadWrite: Read + Write {}
impl<T: Read + Write> ReadWrite for T {}

/// One POST; `Ok` on a 2xx status.
pub(crate) fn post(
    tls: &Arc<rustls::ClientConfig>,
    uri: &str,
    body: &str,
) -> Result<(), UploadError> {
    let bad = |why: String| UploadError::Uri {
        uri: uri.to_owned(),
        why,
    };
    let io = |why: String| UploadError::Io {
        uri: uri.to_owned(),
        why,
    };
    let url = url::Url::parse(uri).map_err(|e| bad(e.to_string()))?;
    if !url.username().is_empty() || url.password().is_some() {
        return Err(bad("credentials in the URL are refused".into()));
    }
    let tls_on = match url.scheme() {
        "https" => true,
        "http" => false,
        other => return Err(bad(format!("scheme '{other}'"))),
    };
    let host = match url.host() {
        Some(url::Host::Domain(d)) => d.to_owned(),
        Some(url::Host::Ipv4(ip)) => ip.to_string(),
        Some(url::Host::Ipv6(ip)) => ip.to_string(),
        None => return Err(bad("no host".into())),
    };
    let port = url.port_or_known_default().unwrap_or(443);
    let addr = (host.as_str(), port)
        .to_socket_addrs()
        .map_err(|e| io(e.to_string()))?
        .next()
        .ok_or_else(|| io("no address".into()))?;
    if !tls_on && !is_loopback(addr.ip()) {
        return Err(bad("plain http:// is allowed to loopback only".into()));
    }
    let tcp = TcpStream::connect_timeout(&addr, TIMEOUT).map_err(|e| io(e.to_string()))?;
    tcp.set_read_timeout(Some(TIMEOUT))
        .and_then(|()| tcp.set_write_timeout(Some(TIMEOUT)))
        .map_err(|e| io(e.to_string()))?;
    let mut stream: Box<dyn ReadWrite> = if tls_on {
        let name =
            rustls_pki_types::ServerName::try_from(host.clone()).map_err(|e| bad(e.to_string()))?;
        let conn =
            rustls::ClientConnection::new(tls.clone(), name).map_err(|e| io(e.to_string()))?;
        Box::new(rustls::StreamOwned::new(conn, tcp))
    } else {
        Box::new(tcp)
    };
    let authority = match url.port() {
        Some(p) => format!("{}:{p}", url.host_str().unwrap_or_default()),
        None => url.host_str().unwrap_or_default().to_owned(),
    };
    let target = match url.query() {
        Some(q) => format!("{}?{q}", url.path()),
        None => url.path().to_owned(),
    };
    let head = format!(
        "POST {target} HTTP/1.1\r\nHost: {authority}\r\nUser-Agent: pinset-report\r\n\
         Content-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    stream
        .write_all(head.as_bytes())
        .and_then(|()| stream.write_all(body.as_bytes()))
        .and_then(|()| stream.flush())
        .map_err(|e| io(e.to_string()))?;
    let mut line = String::new();
    BufReader::new(stream.take(MAX_HEADER_BYTES))
        .read_line(&mut line)
        .map_err(|e| io(e.to_string()))?;
    let status: u16 = line
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| io(format!("malformed status line {:?}", line.trim_end())))?;
    if (200..300).contains(&status) {
        Ok(())
    } else {
        Err(UploadError::Status {
            uri: uri.to_owned(),
            status,
        })
    }
}

fn is_loopback(ip: IpAddr) -> bool {
    ip.is_loopback()
}
