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
use pinset_tests::{Pki, root};

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
            let Ok(mut stream) = stream else { return };
            let mut rd = BufReader::new(stream.try_clone().unwrap());
            let mut request_line = String::new();
            rd.read_line(&mut request_line).unwrap();
            let (mut length, mut content_type) = (0usize, String::new());
            loop {
                let mut line = String::new();
                rd.read_line(&mut line).unwrap();
                if line == "\r\n" || line.is_empty() {
                    break;
                }
                let (k, v) = line.split_once(':').unwrap();
                match k.to_ascii_lowercase().as_str() {
                    "content-length" => length = v.trim().parse().unwrap(),
                    "content-type" => v.trim().clone_into(&mut content_type),
                    _ => {}
                }
            }
            let mut body = vec![0; length];
            rd.read_exact(&mut body).unwrap();
            let _ = write!(stream, "HTTP/1.1 {status} X\r\nContent-Length: 0\r\n\r\n");
            let _ = tx.send(Received {
                request_line: request_line.trim_end().to_owned(),
                content_type,
                body: String::from_utf8(body).unwrap(),
            });
        }
    });
    (addr, rx)
}

fn pinned_config(extra: &str, reporter: Arc<UriReporter>, pki: &Pki) -> Arc<rustls::ClientConfig> {
    let src = pinset_tests::manifest_for(
        "api.example.com",
        &[root("a").pin(), root("b").pin()],
        extra,
    );
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
