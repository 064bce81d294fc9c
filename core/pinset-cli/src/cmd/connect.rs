//! `pinset connect HOST[:PORT] [--manifest FILE] [--ca ROOT.pem]... [--addr IP] [--client-cert F --client-key F]`

use std::io::Write as _;
use std::net::{SocketAddr, TcpStream, ToSocketAddrs};
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use pinset::report::StderrReporter;
use pinset::verifier::{PinningConfig, Resumption, TrustMode};
use pinset::{Manifest, Pin, Policy};
use rustls_pki_types::ServerName;

use crate::input::{CliError, now_secs, read_bounded, read_certificates};
use crate::output::{out, outln};

/// Arguments of `pinset connect`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The host (SNI and pinning name), optionally with `:PORT` (default 443).
    target: String,
    /// The pin manifest; without it the server's pins are printed and nothing is enforced.
    #[arg(long)]
    manifest: Option<PathBuf>,
    /// Roots trusted in addition to the platform's (PEM or DER).
    #[arg(long = "ca")]
    cas: Vec<PathBuf>,
    /// Connect to this IP address instead of resolving HOST.
    #[arg(long)]
    addr: Option<std::net::IpAddr>,
    /// Client certificate chain for mTLS (PEM).
    #[arg(long, requires = "client_key")]
    client_cert: Option<PathBuf>,
    /// Client private key for mTLS (PEM: PKCS#8, SEC1 or PKCS#1).
    #[arg(long, requires = "client_cert")]
    client_key: Option<PathBuf>,
    /// Validate with webpki against the system roots (rustls-native-certs) instead of the OS verifier.
    #[arg(long)]
    webpki: bool,
    /// Connect and handshake timeout, in seconds.
    #[arg(long, default_value_t = 10)]
    timeout: u64,
}

fn split_target(target: &str) -> Result<(String, u16), CliError> {
    if let Some(rest) = target.strip_prefix('[') {
        let (host, port) = rest
            .split_once(']')
            .ok_or_else(|| CliError(format!("'{target}': missing ']'")))?;
        let port = match port.strip_prefix(':') {
            Some(p) => p
                .parse()
                .map_err(|_| CliError(format!("'{target}': bad port")))?,
            None => 443,
        };
        return Ok((host.to_owned(), port));
    }
    match target.rsplit_once(':') {
        Some((h, p)) if !h.contains(':') => Ok((
            h.to_owned(),
            p.parse()
                .map_err(|_| CliError(format!("'{target}': bad port '{p}'")))?,
        )),
        _ => Ok((target.to_owned(), 443)),
    }
}

/// Connects, validates, pins; prints the validated chain with pins and subjects, the matched
/// pin and the negotiated protocol; for a host with a spiffe rule, the presented SPIFFE ID and
/// the rule that authorized it (or, on a refusal, the rule next to the reason). Exit 0 when trusted, 1 with the reason otherwise.
pub fn run(args: &Args) -> Result<ExitCode, CliError> {
    let (host, port) = split_target(&args.target)?;
    let manifest = match &args.manifest {
        Some(p) => {
            let loaded =
                Manifest::load(p, Some(now_secs())).map_err(|e| CliError(e.to_string()))?;
            for w in &loaded.warnings {
                eprintln!("{w}");
            }
            loaded.manifest
        }
        None => Manifest {
            origin: "<none>".into(),
            serial: None,
            domains: Vec::new(),
            debug_overrides: None,
            attestations: Vec::new(),
            certificate_transparency: None,
            trust_domains: Vec::new(),
        },
    };
    let policy = Arc::new(Policy::new(manifest));
    let mut extra = Vec::new();
    for ca in &args.cas {
        extra.extend(read_certificates(ca)?);
    }
    let mut builder = PinningConfig::new(policy.clone())
        .trust_mode(if args.webpki {
            TrustMode::WebPkiSystem
        } else {
            TrustMode::Platform
        })
        .extra_roots(extra)
        .reporter(Arc::new(StderrReporter))
        .resumption(Resumption::Disabled)
        .record_outcomes(true);
    if let (Some(cert), Some(key)) = (&args.client_cert, &args.client_key) {
        builder = builder
            .client_auth_pem(&read_bounded(cert)?, &read_bounded(key)?)
            .map_err(|e| CliError(e.to_string()))?;
    }
    let (config, verifier) = builder
        .build_with_verifier()
        .map_err(|e| CliError(e.to_string()))?;

    let server_name = ServerName::try_from(host.clone())
        .map_err(|_| CliError(format!("'{host}' is not a valid server name")))?;
    let addr: SocketAddr = match args.addr {
        Some(ip) => SocketAddr::new(ip, port),
        None => (host.as_str(), port)
            .to_socket_addrs()
            .map_err(|e| CliError(format!("resolving {host}: {e}")))?
            .next()
            .ok_or_else(|| CliError(format!("{host} resolves to no address")))?,
    };
    let timeout = Duration::from_secs(args.timeout.max(1));
    let mut tcp = TcpStream::connect_timeout(&addr, timeout)
        .map_err(|e| CliError(format!("connecting to {addr}: {e}")))?;
    tcp.set_read_timeout(Some(timeout)).ok();
    tcp.set_write_timeout(Some(timeout)).ok();
    let mut conn = rustls::ClientConnection::new(Arc::new(config), server_name)
        .map_err(|e| CliError(e.to_string()))?;
    outln!("connected to {addr} (SNI {host})")?;
    let handshake = loop {
        if !conn.is_handshaking() {
            break Ok(());
        }
        if let Err(e) = conn.complete_io(&mut tcp) {
            break Err(e);
        }
    };
    let outcome = verifier.last_outcome();
    // The host's spiffe rule, if it has one: named in the output whatever the outcome.
    let spiffe_rule = pinset::host::canonical_host(&host)
        .ok()
        .and_then(|h| policy.rule_index_for(&h))
        .and_then(|i| policy.rule(i))
        .and_then(|r| r.spiffe.as_ref().map(|s| (r, s)));
    if let Err(e) = handshake {
        let reason = e
            .get_ref()
            .and_then(|i| i.downcast_ref::<rustls::Error>())
            .map_or_else(|| e.to_string(), describe_tls_error);
        outln!("untrusted: {reason}")?;
        if let Some((rule, spiffe)) = spiffe_rule {
            outln!(
                "  spiffe rule '{}': {}",
                rule.name,
                describe_spiffe(&spiffe.matcher, spiffe.dns)
            )?;
        }
        return Ok(ExitCode::from(1));
    }
    let presented: Vec<_> = conn
        .peer_certificates()
        .map(<[_]>::to_vec)
        .unwrap_or_default();
    outln!(
        "protocol: {:?}, cipher suite: {:?}",
        conn.protocol_version()
            .map_or_else(|| "?".into(), |v| format!("{v:?}")),
        conn.negotiated_cipher_suite()
            .map_or_else(|| "?".into(), |s| format!("{:?}", s.suite()))
    )?;
    if let (Some((rule, spiffe)), Some(id)) = (
        spiffe_rule,
        outcome.as_ref().and_then(|o| o.spiffe_id.as_deref()),
    ) {
        outln!(
            "spiffe: presented {id}; authorized by rule '{}' ({})",
            rule.name,
            describe_spiffe(&spiffe.matcher, spiffe.dns)
        )?;
    }
    let (decision, path) = match outcome {
        Some(o) if !o.path.is_empty() => (o.decision, o.path),
        Some(o) => (
            o.decision,
            presented.iter().map(|c| c.clone().into_owned()).collect(),
        ),
        None => (
            pinset::Decision::NotPinned,
            presented.iter().map(|c| c.clone().into_owned()).collect(),
        ),
    };
    let verdict = policy.explain(&host, decision, &path);
    if spiffe_rule.is_some() && matches!(decision, pinset::Decision::Exempt { .. }) {
        // A spiffe rule without pins is not an exemption: the ID and the bundle decided.
        outln!(
            "trusted: {} by its SPIFFE ID; the rule lists no pins",
            verdict.host
        )?;
        outln!("  Validated chain:")?;
        for e in &verdict.chain {
            outln!("    {}: {}", e.pin, e.subject)?;
        }
    } else {
        out!("{verdict}")?;
    }
    if args.manifest.is_none() {
        outln!("  Server's certificate chain as sent (pins for a manifest):")?;
        for c in &presented {
            let pin = Pin::of_certificate(c).map_or_else(|e| format!("<{e}>"), |p| p.to_string());
            outln!("    {pin}: {}", pinset::certificate::subject_of(c))?;
        }
    }
    // Close politely; errors here do not change the verdict.
    conn.send_close_notify();
    let _ = conn.complete_io(&mut tcp);
    let _ = std::io::stdout().flush();
    Ok(if verdict.allows_connection() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

/// `spiffe = { id = "…" }` as written in the manifest, plus what `dns = true` adds.
fn describe_spiffe(matcher: &pinset::spiffe::IdMatcher, dns: bool) -> String {
    let dns = if dns {
        ", dns = true: the host name is checked too"
    } else {
        ""
    };
    format!(
        "spiffe = {{ {matcher} }}, chain checked against trust domain '{}' only{dns}",
        matcher.trust_domain()
    )
}

fn describe_tls_error(e: &rustls::Error) -> String {
    match e {
        rustls::Error::InvalidCertificate(rustls::CertificateError::Other(o)) => o.0.to_string(),
        other => other.to_string(),
    }
}
