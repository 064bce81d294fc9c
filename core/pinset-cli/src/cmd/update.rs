//! `pinset update`: one TUF refresh cycle of the pin manifest (client), and the repository
//! commands `init`, `publish` and `rotate-root`.

use std::collections::BTreeMap;
use std::io::{BufRead as _, BufReader, Read as _, Write as _};
use std::net::{IpAddr, TcpStream, ToSocketAddrs as _};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use pinset::Manifest;
use pinset::update::repository::{self, RepoKey, RoleSpec};
use pinset::update::{
    DEFAULT_TARGET, DirStore, Fetched, Fetcher, Role, Updater, UpdaterConfig, write_atomic,
};

use crate::input::{CliError, now_secs, read_bounded};

/// Arguments of `pinset update`.
#[derive(Debug, clap::Args)]
#[command(args_conflicts_with_subcommands = true)]
pub struct Args {
    #[command(subcommand)]
    command: Option<Repo>,
    #[command(flatten)]
    client: ClientArgs,
}

/// One refresh cycle: prints `updated:`, `no-change`, `stale:` or `rejected:`.
#[derive(Debug, clap::Args)]
struct ClientArgs {
    /// The root.json the app embeds (a root stored in STATE that is newer wins).
    #[arg(long)]
    root: Option<PathBuf>,
    /// The repository: a directory, an `https://` base URL, or `http://` on loopback.
    #[arg(long)]
    repository: Option<String>,
    /// The state directory (`state.json`, and the verified manifest as `manifest.toml`).
    #[arg(long)]
    state: Option<PathBuf>,
    /// Stands in for the manifest embedded in the app (used while STATE holds none, and
    /// whenever its serial is higher).
    #[arg(long)]
    baseline: Option<PathBuf>,
    /// The manifest's target name in the repository.
    #[arg(long, default_value = DEFAULT_TARGET)]
    target: String,
    /// Unix seconds to use as the current time.
    #[arg(long)]
    now: Option<i64>,
    /// Extra PEM root certificates for an `https://` repository (system trust otherwise).
    #[arg(long)]
    ca: Option<PathBuf>,
}

#[derive(Debug, clap::Subcommand)]
enum Repo {
    /// Create a repository: `metadata/1.root.json` (the file apps embed) from PEM keys.
    Init(InitArgs),
    /// Publish a manifest: new targets, snapshot and timestamp versions (consistent snapshots).
    Publish(PublishArgs),
    /// Publish root version N+1 with new keys, signed by the old and the new root keys.
    RotateRoot(RotateArgs),
}

/// Keys, thresholds and expiry per role.
#[derive(Debug, clap::Args)]
struct RoleKeyArgs {
    /// Root signing key (PKCS#8 PEM, Ed25519 or P-256); repeat for several.
    #[arg(long = "root-key")]
    root_key: Vec<PathBuf>,
    /// Targets signing key; repeat for several.
    #[arg(long = "targets-key")]
    targets_key: Vec<PathBuf>,
    /// Snapshot signing key; repeat for several.
    #[arg(long = "snapshot-key")]
    snapshot_key: Vec<PathBuf>,
    /// Timestamp signing key; repeat for several.
    #[arg(long = "timestamp-key")]
    timestamp_key: Vec<PathBuf>,
    /// Root threshold (default 1).
    #[arg(long)]
    root_threshold: Option<u64>,
    /// Targets threshold (default 1).
    #[arg(long)]
    targets_threshold: Option<u64>,
    /// Snapshot threshold (default 1).
    #[arg(long)]
    snapshot_threshold: Option<u64>,
    /// Timestamp threshold (default 1).
    #[arg(long)]
    timestamp_threshold: Option<u64>,
    /// Days until the new root expires.
    #[arg(long, default_value_t = 365)]
    root_expires: i64,
}

#[derive(Debug, clap::Args)]
struct InitArgs {
    /// The repository directory to create.
    #[arg(long)]
    repository: PathBuf,
    #[command(flatten)]
    keys: RoleKeyArgs,
    /// Unix seconds to use as the current time.
    #[arg(long)]
    now: Option<i64>,
}

#[derive(Debug, clap::Args)]
struct PublishArgs {
    /// A directory of PKCS#8 PEM keys (`*.pem`); each role signs with the ones root lists for it.
    #[arg(long)]
    keys: PathBuf,
    /// The repository directory.
    #[arg(long)]
    repository: PathBuf,
    /// The manifest's target name.
    #[arg(long, default_value = DEFAULT_TARGET)]
    target: String,
    /// Days until the new targets expire.
    #[arg(long, default_value_t = 90)]
    targets_expires: i64,
    /// Days until the new snapshot expires.
    #[arg(long, default_value_t = 30)]
    snapshot_expires: i64,
    /// Days until the new timestamp expires.
    #[arg(long, default_value_t = 7)]
    timestamp_expires: i64,
    /// Unix seconds to use as the current time.
    #[arg(long)]
    now: Option<i64>,
    /// The manifest to publish (must pass `pinset check` and carry a higher `serial`).
    manifest: PathBuf,
}

#[derive(Debug, clap::Args)]
struct RotateArgs {
    /// The repository directory.
    #[arg(long)]
    repository: PathBuf,
    /// A current root key (PKCS#8 PEM); repeat until the current threshold is met.
    #[arg(long = "old-key", required = true)]
    old_key: Vec<PathBuf>,
    /// New keys: roles given here are replaced, the others keep their keys and thresholds.
    #[command(flatten)]
    keys: RoleKeyArgs,
    /// Unix seconds to use as the current time.
    #[arg(long)]
    now: Option<i64>,
}

const DAY: i64 = 86_400;

fn err(m: impl Into<String>) -> CliError {
    CliError(m.into())
}

/// Runs `pinset update` or one of its repository commands.
pub fn run(args: &Args) -> Result<ExitCode, CliError> {
    match &args.command {
        Some(Repo::Init(a)) => init(a),
        Some(Repo::Publish(a)) => publish(a),
        Some(Repo::RotateRoot(a)) => rotate_root(a),
        None => client(&args.client),
    }
}

fn client(a: &ClientArgs) -> Result<ExitCode, CliError> {
    let need = |v: Option<&PathBuf>, flag: &str| {
        v.cloned()
            .ok_or_else(|| err(format!("pinset update needs {flag}")))
    };
    let root_path = need(a.root.as_ref(), "--root ROOT.json")?;
    let state = need(a.state.as_ref(), "--state DIR")?;
    let repo = a
        .repository
        .clone()
        .ok_or_else(|| err("pinset update needs --repository DIR|URL"))?;
    let root = read_bounded(&root_path)?;
    let baseline = a
        .baseline
        .as_ref()
        .map(|p| {
            let b = read_bounded(p)?;
            String::from_utf8(b).map_err(|_| err(format!("{}: not UTF-8", p.display())))
        })
        .transpose()?;
    let fetcher: Box<dyn Fetcher> = if repo.starts_with("https://") || repo.starts_with("http://") {
        Box::new(HttpFetcher::new(&repo, a.ca.as_deref())?)
    } else if repo.contains("://") {
        return Err(err(format!(
            "{repo}: a repository is a directory, an https:// URL, or http:// on loopback"
        )));
    } else {
        Box::new(DirFetcher)
    };
    let base = if repo.contains("://") {
        repo
    } else {
        let mut p = repo;
        if !p.ends_with('/') {
            p.push('/');
        }
        p
    };
    let mut config = UpdaterConfig::new(&base);
    config.target.clone_from(&a.target);
    let mut up = Updater::new(&root, baseline.as_deref(), config, DirStore::new(&state))
        .map_err(|e| err(e.to_string()))?;
    if let Some(why) = up.recovered() {
        eprintln!("pinset: stored state set aside ({why}); using the baseline");
    }
    let outcome = up.refresh(fetcher.as_ref(), a.now.unwrap_or_else(now_secs));
    if let Some(doc) = up.stored() {
        // Keep the manifest copy in step even when the last commit was interrupted.
        up.store().sync_manifest_copy(&doc.encode()).map_err(err)?;
    }
    println!("{outcome}");
    Ok(if outcome.is_success() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

/// Reads `BASE/metadata/…` and `BASE/targets/…` from a directory.
struct DirFetcher;

impl Fetcher for DirFetcher {
    fn fetch(&self, url: &str, max_len: u64) -> Fetched {
        match std::fs::File::open(url) {
            Ok(f) => {
                let mut buf = Vec::new();
                match f.take(max_len.saturating_add(1)).read_to_end(&mut buf) {
                    Ok(_) => Fetched::Bytes(buf),
                    Err(e) => Fetched::Error(e.to_string()),
                }
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Fetched::NotFound,
            Err(e) => Fetched::Error(e.to_string()),
        }
    }
}

/// HTTP/1.1 GET over `https://` (rustls, system roots plus `--ca`) or loopback `http://`.
struct HttpFetcher {
    tls: Arc<rustls::ClientConfig>,
}

const HTTP_TIMEOUT: Duration = Duration::from_secs(20);
const MAX_HEADER_BYTES: usize = 16 * 1024;

impl HttpFetcher {
    fn new(base: &str, ca: Option<&Path>) -> Result<Self, CliError> {
        if let Some(rest) = base.strip_prefix("http://") {
            let host = split_authority(rest)?.0;
            if !is_loopback(&host) {
                return Err(err(format!(
                    "{base}: plain http:// is allowed on loopback only; use https://"
                )));
            }
        }
        let mut roots = rustls::RootCertStore::empty();
        for c in rustls_native_certs::load_native_certs().certs {
            let _ = roots.add(c);
        }
        if let Some(ca) = ca {
            for c in crate::input::read_certificates(ca)? {
                roots
                    .add(c)
                    .map_err(|e| err(format!("{}: {e}", ca.display())))?;
            }
        }
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let tls = rustls::ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map_err(|e| err(e.to_string()))?
            .with_root_certificates(roots)
            .with_no_client_auth();
        Ok(Self { tls: Arc::new(tls) })
    }

    fn get(&self, url: &str, max_len: u64) -> Result<Option<Vec<u8>>, String> {
        let (tls, rest) = if let Some(r) = url.strip_prefix("https://") {
            (true, r)
        } else if let Some(r) = url.strip_prefix("http://") {
            (false, r)
        } else {
            return Err(format!("{url}: unsupported scheme"));
        };
        let (authority, path) = match rest.find('/') {
            Some(i) => (&rest[..i], &rest[i..]),
            None => (rest, "/"),
        };
        let (host, port) = split_authority(authority).map_err(|e| e.0)?;
        let port = port.unwrap_or(if tls { 443 } else { 80 });
        let addr = (host.as_str(), port)
            .to_socket_addrs()
            .map_err(|e| format!("{host}: {e}"))?
            .next()
            .ok_or_else(|| format!("{host}: no address"))?;
        if !tls && !addr.ip().is_loopback() {
            return Err(format!("{url}: plain http:// is allowed on loopback only"));
        }
        let tcp = TcpStream::connect_timeout(&addr, HTTP_TIMEOUT).map_err(|e| e.to_string())?;
        tcp.set_read_timeout(Some(HTTP_TIMEOUT))
            .map_err(|e| e.to_string())?;
        tcp.set_write_timeout(Some(HTTP_TIMEOUT))
            .map_err(|e| e.to_string())?;
        let req = format!(
            "GET {path} HTTP/1.1\r\nHost: {authority}\r\nUser-Agent: pinset-update\r\nAccept-Encoding: identity\r\nCache-Control: no-cache\r\nConnection: close\r\n\r\n"
        );
        let stream: Box<dyn ReadWrite> = if tls {
            let name = rustls_pki_types::ServerName::try_from(host.clone())
                .map_err(|e| format!("{host}: {e}"))?;
            let conn =
                rustls::ClientConnection::new(self.tls.clone(), name).map_err(|e| e.to_string())?;
            Box::new(rustls::StreamOwned::new(conn, tcp))
        } else {
            Box::new(tcp)
        };
        let mut rd = BufReader::new(stream);
        rd.get_mut()
            .write_all(req.as_bytes())
            .map_err(|e| e.to_string())?;
        read_response(&mut rd, max_len)
    }
}

trait ReadWrite: std::io::Read + std::io::Write {}
impl<T: std::io::Read + std::io::Write> ReadWrite for T {}

fn read_response(rd: &mut impl std::io::BufRead, max_len: u64) -> Result<Option<Vec<u8>>, String> {
    let mut head = Vec::new();
    loop {
        let mut line = Vec::new();
        let n = rd
            .by_ref()
            .take(MAX_HEADER_BYTES as u64)
            .read_until(b'\n', &mut line)
            .map_err(|e| e.to_string())?;
        if n == 0 {
            return Err("connection closed in the response header".into());
        }
        head.extend_from_slice(&line);
        if head.len() > MAX_HEADER_BYTES {
            return Err("response header too large".into());
        }
        if line == b"\r\n" || line == b"\n" {
            break;
        }
    }
    let head = String::from_utf8_lossy(&head);
    let mut lines = head.lines();
    let status: u16 = lines
        .next()
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|s| s.parse().ok())
        .ok_or("malformed status line")?;
    let mut chunked = false;
    let mut length: Option<u64> = None;
    for l in lines {
        if let Some((k, v)) = l.split_once(':') {
            let (k, v) = (k.trim().to_ascii_lowercase(), v.trim());
            if k == "transfer-encoding" && v.to_ascii_lowercase().contains("chunked") {
                chunked = true;
            } else if k == "content-length" {
                length = Some(v.parse().map_err(|_| "bad Content-Length")?);
            } else if k == "content-encoding" && !v.eq_ignore_ascii_case("identity") {
                return Err(format!("unexpected Content-Encoding {v}"));
            }
        }
    }
    if status == 404 || status == 403 {
        return Ok(None);
    }
    if status != 200 {
        return Err(format!("HTTP {status}"));
    }
    if length.is_some_and(|l| l > max_len) {
        return Err(format!(
            "Content-Length {} above the limit {max_len}",
            length.unwrap_or(0)
        ));
    }
    let mut body = Vec::new();
    if chunked {
        loop {
            let mut size = String::new();
            rd.by_ref()
                .take(64)
                .read_line(&mut size)
                .map_err(|e| e.to_string())?;
            let hex = size.split(';').next().unwrap_or("").trim();
            let n = u64::from_str_radix(hex, 16).map_err(|_| "bad chunk size")?;
            if n == 0 {
                break;
            }
            if body.len() as u64 + n > max_len {
                // One byte over is enough for the caller to refuse it.
                body.resize(usize::try_from(max_len + 1).unwrap_or(usize::MAX), 0);
                return Ok(Some(body));
            }
            let start = body.len();
            body.resize(
                start + usize::try_from(n).map_err(|_| "chunk too large")?,
                0,
            );
            rd.read_exact(&mut body[start..])
                .map_err(|e| e.to_string())?;
            let mut crlf = [0u8; 2];
            rd.read_exact(&mut crlf).map_err(|e| e.to_string())?;
        }
    } else {
        rd.take(max_len + 1)
            .read_to_end(&mut body)
            .map_err(|e| e.to_string())?;
        if let Some(l) = length {
            if (body.len() as u64) < l {
                return Err("connection closed before the end of the body".into());
            }
        }
    }
    Ok(Some(body))
}

impl Fetcher for HttpFetcher {
    fn fetch(&self, url: &str, max_len: u64) -> Fetched {
        match self.get(url, max_len) {
            Ok(Some(b)) => Fetched::Bytes(b),
            Ok(None) => Fetched::NotFound,
            Err(e) => Fetched::Error(e),
        }
    }
}

fn split_authority(a: &str) -> Result<(String, Option<u16>), CliError> {
    let a = a.split('/').next().unwrap_or(a);
    if a.contains('@') {
        return Err(err("credentials in the repository URL are not supported"));
    }
    let (host, port) = if let Some(rest) = a.strip_prefix('[') {
        let (h, p) = rest
            .split_once(']')
            .ok_or_else(|| err("bad IPv6 literal"))?;
        (h.to_owned(), p.strip_prefix(':'))
    } else {
        match a.rsplit_once(':') {
            Some((h, p)) => (h.to_owned(), Some(p)),
            None => (a.to_owned(), None),
        }
    };
    let port = port
        .map(|p| {
            p.parse::<u16>()
                .map_err(|_| err(format!("bad port in {a}")))
        })
        .transpose()?;
    Ok((host, port))
}

fn is_loopback(host: &str) -> bool {
    host.eq_ignore_ascii_case("localhost")
        || host.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

// ----- repository commands -----------------------------------------------------------------

fn load_keys(paths: &[PathBuf]) -> Result<Vec<RepoKey>, CliError> {
    paths
        .iter()
        .map(|p| {
            RepoKey::from_pem(&read_bounded(p)?).map_err(|e| err(format!("{}: {e}", p.display())))
        })
        .collect()
}

struct RoleKeys {
    keys: BTreeMap<Role, (Vec<RepoKey>, u64)>,
}

impl RoleKeys {
    fn read(a: &RoleKeyArgs) -> Result<Self, CliError> {
        let mut keys = BTreeMap::new();
        for (role, paths, t) in [
            (Role::Root, &a.root_key, a.root_threshold),
            (Role::Targets, &a.targets_key, a.targets_threshold),
            (Role::Snapshot, &a.snapshot_key, a.snapshot_threshold),
            (Role::Timestamp, &a.timestamp_key, a.timestamp_threshold),
        ] {
            if !paths.is_empty() {
                keys.insert(role, (load_keys(paths)?, t.unwrap_or(1)));
            } else if t.is_some() {
                return Err(err(format!(
                    "--{}-threshold needs --{}-key",
                    role.name(),
                    role.name()
                )));
            }
        }
        Ok(Self { keys })
    }

    fn specs(&self) -> BTreeMap<Role, RoleSpec<'_>> {
        self.keys
            .iter()
            .map(|(r, (ks, t))| {
                (
                    *r,
                    RoleSpec {
                        keys: ks.iter().collect(),
                        threshold: *t,
                    },
                )
            })
            .collect()
    }
}

fn init(a: &InitArgs) -> Result<ExitCode, CliError> {
    let keys = RoleKeys::read(&a.keys)?;
    for r in [Role::Root, Role::Targets, Role::Snapshot, Role::Timestamp] {
        if !keys.keys.contains_key(&r) {
            return Err(err(format!("pinset update init needs --{}-key", r.name())));
        }
    }
    let meta = a.repository.join("metadata");
    let path = meta.join("1.root.json");
    if path.exists() {
        return Err(err(format!("{}: already exists", path.display())));
    }
    let now = a.now.unwrap_or_else(now_secs);
    let specs = keys.specs();
    let signed =
        repository::root_signed(1, now + a.keys.root_expires * DAY, &specs).map_err(err)?;
    let root_keys: Vec<&RepoKey> = specs[&Role::Root].keys.clone();
    let text = repository::sign(&signed, &root_keys).map_err(err)?;
    write_atomic(&path, text.as_bytes()).map_err(|e| err(format!("{}: {e}", path.display())))?;
    std::fs::create_dir_all(a.repository.join("targets"))
        .map_err(|e| err(format!("{}: {e}", a.repository.display())))?;
    println!(
        "{}: root version 1 (embed this file in the app)",
        path.display()
    );
    Ok(ExitCode::SUCCESS)
}

/// The newest `N.root.json` in `metadata/`: (version, text).
fn newest_root(repo: &Path) -> Result<(u64, String), CliError> {
    let meta = repo.join("metadata");
    let mut best: Option<u64> = None;
    for e in std::fs::read_dir(&meta).map_err(|e| err(format!("{}: {e}", meta.display())))? {
        let name = e.map_err(|e| err(e.to_string()))?.file_name();
        let name = name.to_string_lossy();
        if let Some(v) = name
            .strip_suffix(".root.json")
            .and_then(|v| v.parse::<u64>().ok())
        {
            best = best.max(Some(v));
        }
    }
    let v = best.ok_or_else(|| {
        err(format!(
            "{}: no N.root.json (run pinset update init)",
            meta.display()
        ))
    })?;
    let path = meta.join(format!("{v}.root.json"));
    let text = String::from_utf8(read_bounded(&path)?)
        .map_err(|_| err(format!("{}: not UTF-8", path.display())))?;
    Ok((v, text))
}

fn read_meta(path: &Path) -> Result<Option<Vec<u8>>, CliError> {
    match std::fs::read(path) {
        Ok(b) => Ok(Some(b)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(err(format!("{}: {e}", path.display()))),
    }
}

fn publish(a: &PublishArgs) -> Result<ExitCode, CliError> {
    let now = a.now.unwrap_or_else(now_secs);
    let manifest = read_bounded(&a.manifest)?;
    let text = std::str::from_utf8(&manifest)
        .map_err(|_| err(format!("{}: not UTF-8", a.manifest.display())))?;
    let loaded = Manifest::parse_with(text, &a.manifest.display().to_string(), None, Some(now))
        .map_err(|e| err(e.to_string()))?;
    let Some(serial) = loaded.manifest.serial else {
        return Err(err(format!(
            "{}: a published manifest needs a top-level `serial = N` (clients refuse it otherwise)",
            a.manifest.display()
        )));
    };
    let (_, root_text) = newest_root(&a.repository)?;
    let root = pinset::update::parse_json(root_text.as_bytes()).map_err(|e| err(e.to_string()))?;
    let mut keys = Vec::new();
    for e in std::fs::read_dir(&a.keys).map_err(|e| err(format!("{}: {e}", a.keys.display())))? {
        let p = e.map_err(|e| err(e.to_string()))?.path();
        if p.extension().is_some_and(|x| x == "pem") {
            keys.push(load_keys(std::slice::from_ref(&p))?.remove(0));
        }
    }
    let role_keys = |role: Role| -> Result<Vec<&RepoKey>, CliError> {
        let listed = repository::role_keyids(&root, role).map_err(err)?;
        let mine: Vec<&RepoKey> = keys.iter().filter(|k| listed.contains(&k.keyid)).collect();
        let threshold = repository::role_threshold(&root, role).map_err(err)?;
        if (mine.len() as u64) < threshold {
            return Err(err(format!(
                "{}: {} of the {threshold} {} keys root lists are here",
                a.keys.display(),
                mine.len(),
                role.name()
            )));
        }
        Ok(mine)
    };
    let meta = a.repository.join("metadata");
    // Current versions, from the published timestamp and its snapshot.
    let (ts_v, snap_v, targets_v, published) = match read_meta(&meta.join("timestamp.json"))? {
        None => (0, 0, 0, None),
        Some(ts) => {
            let ts_v = repository::version_of(&ts).map_err(err)?;
            let snap_v = repository::meta_version(&ts, "snapshot.json").map_err(err)?;
            let snap = read_bounded(&meta.join(format!("{snap_v}.snapshot.json")))?;
            let targets_v = repository::meta_version(&snap, "targets.json").map_err(err)?;
            let targets = read_bounded(&meta.join(format!("{targets_v}.targets.json")))?;
            (ts_v, snap_v, targets_v, Some(targets))
        }
    };
    if let Some(targets) = &published {
        if let Some((prev_serial, same)) =
            previous_serial(&a.repository, targets, &a.target, &manifest)?
        {
            if serial < prev_serial || (serial == prev_serial && !same) {
                return Err(err(format!(
                    "{}: serial {serial} must be above the published {prev_serial} (clients would reject it)",
                    a.manifest.display()
                )));
            }
        }
    }
    let targets = repository::targets_signed(
        targets_v + 1,
        now + a.targets_expires * DAY,
        &[(a.target.as_str(), &manifest)],
    );
    let targets_text = repository::sign(&targets, &role_keys(Role::Targets)?).map_err(err)?;
    let snapshot =
        repository::snapshot_signed(snap_v + 1, now + a.snapshot_expires * DAY, targets_v + 1);
    let snapshot_text = repository::sign(&snapshot, &role_keys(Role::Snapshot)?).map_err(err)?;
    let timestamp = repository::timestamp_signed(
        ts_v + 1,
        now + a.timestamp_expires * DAY,
        snap_v + 1,
        snapshot_text.as_bytes(),
    );
    let timestamp_text = repository::sign(&timestamp, &role_keys(Role::Timestamp)?).map_err(err)?;
    let w = |p: PathBuf, b: &[u8]| {
        write_atomic(&p, b).map_err(|e| err(format!("{}: {e}", p.display())))
    };
    // Targets and metadata first, timestamp.json last: a client never sees a half-published state.
    w(
        a.repository
            .join("targets")
            .join(repository::target_file_name(&a.target, &manifest)),
        &manifest,
    )?;
    w(
        meta.join(format!("{}.targets.json", targets_v + 1)),
        targets_text.as_bytes(),
    )?;
    w(
        meta.join(format!("{}.snapshot.json", snap_v + 1)),
        snapshot_text.as_bytes(),
    )?;
    w(meta.join("timestamp.json"), timestamp_text.as_bytes())?;
    println!(
        "published serial {serial}: targets v{}, snapshot v{}, timestamp v{}",
        targets_v + 1,
        snap_v + 1,
        ts_v + 1
    );
    Ok(ExitCode::SUCCESS)
}

/// The serial of the manifest currently published for `target`, and whether its bytes equal `new`.
fn previous_serial(
    repo: &Path,
    targets: &[u8],
    target: &str,
    new: &[u8],
) -> Result<Option<(u64, bool)>, CliError> {
    let Some(hash) = repository::target_sha256(targets, target).map_err(err)? else {
        return Ok(None);
    };
    let name = match target.rsplit_once('/') {
        Some((dir, base)) => format!("{dir}/{hash}.{base}"),
        None => format!("{hash}.{target}"),
    };
    let Some(old) = read_meta(&repo.join("targets").join(name))? else {
        return Ok(None);
    };
    let serial = std::str::from_utf8(&old)
        .ok()
        .and_then(|t| Manifest::parse(t, None).ok())
        .and_then(|l| l.manifest.serial);
    Ok(serial.map(|s| (s, old == new)))
}

fn rotate_root(a: &RotateArgs) -> Result<ExitCode, CliError> {
    let now = a.now.unwrap_or_else(now_secs);
    let (v, current) = newest_root(&a.repository)?;
    let old = load_keys(&a.old_key)?;
    let new = RoleKeys::read(&a.keys)?;
    if new.keys.is_empty() {
        return Err(err(
            "rotate-root needs at least one --<role>-key to replace",
        ));
    }
    let old_refs: Vec<&RepoKey> = old.iter().collect();
    let text = repository::rotate_root(
        &current,
        &new.specs(),
        now + a.keys.root_expires * DAY,
        &old_refs,
    )
    .map_err(err)?;
    let path = a
        .repository
        .join("metadata")
        .join(format!("{}.root.json", v + 1));
    write_atomic(&path, text.as_bytes()).map_err(|e| err(format!("{}: {e}", path.display())))?;
    println!(
        "{}: root version {} (publish again if timestamp, snapshot or targets keys changed)",
        path.display(),
        v + 1
    );
    Ok(ExitCode::SUCCESS)
}
