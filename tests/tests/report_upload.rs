//! Reports delivered to the manifest's `report_uris` (`report::UriReporter`): a real rustls
//! handshake against a pinned server on 127.0.0.1 that fails its pins, and a real HTTP server on
//! 127.0.0.1 receiving the POST. Plain `http://` is allowed to loopback only (the manifest's
//! rule for `report_uris`); the uploader checks it again on the resolved address.
#![allow(clippy::unwrap_used, clippy::panic)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener};
use std::sync::Arc;
use std::sync::mpsc::{Receiver, channel};
use std::time::Duration;

use pinset::report::{PinReporter, Report, UploadError, UriReporter};
use pinset::verifier::{PinningConfig, TrustMode};
use pinset::{Manifest, Policy};
use pinset_tests::tls::{Server, ServerSpec, connect};
use pinset_tests::{Cert, Pki, root};

/// A POST as the collector received it.
#[derive(Debug)]
struct Received {
    request_line: String,
    content_type: String,
    body: String,
}

/// An HTTP/1.1 collector on 127.0.0.1 answering `status` to every request.
fn collector(status: u16) -> (SocketAddr, Receiver<Received>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let (tx, rx) = channel();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(stream) = stream else { return };
            if let Some(r) = serve(stream, status) {
                let _ = tx.send(r);
            }
        }
    });
    (addr, rx)
}

/// An HTTPS collector on 127.0.0.1 (rustls) presenting `leaf` and `rest`, answering 204.
fn tls_collector(leaf: &Cert, rest: &[&Cert]) -> (SocketAddr, Receiver<Received>) {
    let spec = ServerSpec::new(leaf, rest);
    let config = Arc::new(
        rustls::ServerConfig::builder_with_provider(Arc::new(
            rustls::crypto::ring::default_provider(),
        ))
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(spec.chain, spec.key)
        .unwrap(),
    );
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let (tx, rx) = channel();
    std::thread::spawn(move || {
        for tcp in listener.incoming() {
            let Ok(tcp) = tcp else { return };
            tcp.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
            let conn = rustls::ServerConnection::new(config.clone()).unwrap();
            let stream = rustls::StreamOwned::new(conn, tcp);
            // A client that refuses the certificate ends the handshake: nothing is received.
            if let Some(r) = serve(stream, 204) {
                let _ = tx.send(r);
            }
        }
    });
    (addr, rx)
}

/// Reads one request from `stream` and answers `status`; `None` when the connection (or its TLS
/// handshake) fails before a whole request arrived.
fn serve(mut stream: impl Read + Write, status: u16) -> Option<Received> {
    let mut rd = BufReader::new(&mut stream);
    let mut request_line = String::new();
    rd.read_line(&mut request_line).ok()?;
    let (mut length, mut content_type) = (0usize, String::new());
    loop {
        let mut line = String::new();
        rd.read_line(&mut line).ok()?;
        if line == "\r\n" || line.is_empty() {
            break;
        }
        let (k, v) = line.split_once(':')?;
        match k.to_ascii_lowercase().as_str() {
            "content-length" => length = v.trim().parse().ok()?,
            "content-type" => v.trim().clone_into(&mut content_type),
            _ => {}
        }
    }
    let mut body = vec![0; length];
    rd.read_exact(&mut body).ok()?;
    drop(rd);
    let _ = write!(stream, "HTTP/1.1 {status} X\r\nContent-Length: 0\r\n\r\n");
    let _ = stream.flush();
    Some(Received {
        request_line: request_line.trim_end().to_owned(),
        content_type,
        body: String::from_utf8(body).ok()?,
    })
}

fn pinned_config(extra: &str, reporter: Arc<UriReporter>, pki: &Pki) -> Arc<rustls::ClientConfig> {
    pinned_config_for("api.example.com", extra, reporter, pki)
}

fn pinned_config_for(
    host: &str,
    extra: &str,
    reporter: Arc<UriReporter>,
    pki: &Pki,
) -> Arc<rustls::ClientConfig> {
    let src = pinset_tests::manifest_for(host, &[root("a").pin(), root("b").pin()], extra);
    let policy = Arc::new(Policy::new(Manifest::parse(&src, None).unwrap().manifest));
    Arc::new(
        PinningConfig::new(policy)
            .trust_mode(TrustMode::WebPkiExtraOnly)
            .extra_roots([pki.root.der.clone()])
            .reporter(reporter)
            .build()
            .unwrap(),
    )
}

fn wait_delivered(r: &UriReporter, n: u64) {
    for _ in 0..200 {
        if r.delivered() >= n {
            return;
        }
        std::thread::sleep(Duration::from_millis(25));
    }
    panic!("{n} deliveries expected: {r:?} {:?}", r.take_failures());
}

#[test]
fn a_pin_failure_is_posted_to_the_report_uri_once() {
    let pki = Pki::new("upload", &["api.example.com"]);
    let (addr, received) = collector(204);
    let uploader = Arc::new(UriReporter::new().unwrap());
    let extra = format!(
        "report_uris = [\"http://127.0.0.1:{}/pins?app=1\"]",
        addr.port()
    );
    let cfg = pinned_config(&extra, uploader.clone(), &pki);
    let server = Server::start(ServerSpec::new(&pki.leaf, &[&pki.intermediate]), 3);
    for _ in 0..3 {
        assert!(
            connect(&cfg, "api.example.com", server.addr)
                .result
                .is_err()
        );
    }
    wait_delivered(&uploader, 1);
    let got = received.recv_timeout(Duration::from_secs(5)).unwrap();
    assert_eq!(got.request_line, "POST /pins?app=1 HTTP/1.1");
    assert_eq!(got.content_type, "application/json");
    let json: serde_json::Value = serde_json::from_str(&got.body).unwrap();
    assert_eq!(json["hostname"], "api.example.com");
    assert_eq!(json["validation-result"], "violation");
    assert_eq!(
        json["served-certificate-chain"].as_array().unwrap().len(),
        2
    );
    // The throttle: the two identical failures after the first send nothing.
    std::thread::sleep(Duration::from_millis(300));
    assert!(received.try_recv().is_err());
    assert_eq!(uploader.delivered(), 1);
    assert_eq!(uploader.dropped(), 0);
}

fn report_to(uris: Vec<String>) -> Report {
    Report {
        date_time: "2026-01-01T00:00:00Z".into(),
        hostname: "a.example".into(),
        port: None,
        noted_hostname: "a.example".into(),
        include_subdomains: false,
        effective_expiration_date: None,
        served_certificate_chain: vec![],
        validated_certificate_chain: vec![],
        known_pins: vec![],
        enforce_pinning: true,
        validation_result: "violation".into(),
        report_uris: uris,
    }
}

#[test]
fn every_report_uri_gets_the_report_and_failures_are_recorded() {
    let (ok, ok_rx) = collector(200);
    let (bad, _bad_rx) = collector(500);
    let uploader = UriReporter::new().unwrap();
    uploader.report(&report_to(vec![
        format!("http://127.0.0.1:{}/a", ok.port()),
        format!("http://localhost:{}/b", bad.port()),
        "http://reports.example/c".into(),
        format!("http://u:p@127.0.0.1:{}/d", ok.port()),
    ]));
    wait_delivered(&uploader, 1);
    assert_eq!(
        ok_rx
            .recv_timeout(Duration::from_secs(5))
            .unwrap()
            .request_line,
        "POST /a HTTP/1.1"
    );
    let mut failures = Vec::new();
    for _ in 0..200 {
        failures.extend(uploader.take_failures());
        if failures.len() >= 3 {
            break;
        }
        std::thread::sleep(Duration::from_millis(25));
    }
    assert!(
        matches!(failures[0], UploadError::Status { status: 500, .. }),
        "{failures:?}"
    );
    // Plain http to a non-loopback host is never sent (refused before any connection, or the
    // name does not resolve here: either way nothing leaves the machine in clear).
    assert!(
        matches!(
            &failures[1],
            UploadError::Uri { .. } | UploadError::Io { .. }
        ),
        "{failures:?}"
    );
    assert!(
        matches!(&failures[2], UploadError::Uri { why, .. } if why.contains("credentials")),
        "{failures:?}"
    );
    assert!(
        ok_rx.try_recv().is_err(),
        "the URI with credentials was not posted"
    );
}

#[test]
fn the_queue_is_bounded_and_never_blocks_the_caller() {
    // A collector that accepts and never answers: the worker is stuck on the first upload.
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let held = std::thread::spawn(move || {
        let s = listener.accept().unwrap();
        std::thread::sleep(Duration::from_secs(3));
        drop(s);
    });
    let uploader = UriReporter::with_roots(rustls::RootCertStore::empty(), 4).unwrap();
    let report = report_to(vec![format!("http://127.0.0.1:{port}/slow")]);
    for _ in 0..100 {
        uploader.report(&report);
    }
    // One in flight, four queued: the other 95 dropped and counted, none waited.
    assert!(uploader.dropped() >= 95, "{uploader:?}");
    assert!(uploader.dropped() <= 96, "{uploader:?}");
    held.join().unwrap();
}

/// The collector is the pinned host itself (same name, same certificate), and its pins fail: the
/// report still arrives over TLS, validated with the uploader's roots and never with the pins.
/// With roots that do not include the collector's CA nothing is received: the upload's TLS does
/// validate.
#[test]
fn an_https_collector_that_is_the_failing_pinned_host_gets_the_report() {
    let pki = Pki::new("self-report", &["localhost"]);
    let (addr, received) = tls_collector(&pki.leaf, &[&pki.intermediate]);
    let mut roots = rustls::RootCertStore::empty();
    roots.add(pki.root.der.clone()).unwrap();
    let uploader = Arc::new(UriReporter::with_roots(roots, 8).unwrap());
    let extra = format!("report_uris = [\"https://localhost:{}/r\"]", addr.port());
    let cfg = pinned_config_for("localhost", &extra, uploader.clone(), &pki);
    let server = Server::start(ServerSpec::new(&pki.leaf, &[&pki.intermediate]), 1);
    let refused = connect(&cfg, "localhost", server.addr).result;
    assert!(refused.is_err(), "the pins must fail: {refused:?}");
    wait_delivered(&uploader, 1);
    let got = received.recv_timeout(Duration::from_secs(5)).unwrap();
    assert_eq!(got.request_line, "POST /r HTTP/1.1");
    let json: serde_json::Value = serde_json::from_str(&got.body).unwrap();
    assert_eq!(json["noted-hostname"], "localhost");
    assert_eq!(json["validation-result"], "violation");

    // Control: an uploader without the collector's CA is refused by the collector's certificate.
    let untrusting = UriReporter::with_roots(rustls::RootCertStore::empty(), 8).unwrap();
    untrusting.report(&report_to(vec![format!(
        "https://localhost:{}/r",
        addr.port()
    )]));
    let mut failures = Vec::new();
    for _ in 0..200 {
        failures.extend(untrusting.take_failures());
        if !failures.is_empty() {
            break;
        }
        std::thread::sleep(Duration::from_millis(25));
    }
    assert!(
        matches!(&failures[..], [UploadError::Io { why, .. }] if why.contains("certificate") || why.contains("issuer")),
        "{failures:?}"
    );
    assert_eq!(untrusting.delivered(), 0);
    assert!(received.recv_timeout(Duration::from_millis(300)).is_err());
}
