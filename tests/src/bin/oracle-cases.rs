//! Writes the cases the platform oracles run: `oracle-cases okhttp DIR [SEED]` for
//! `tests/okhttp-oracle`, `oracle-cases nsc DIR [SEED]` for `tests/android-nsc`.
//!
//! Each case is a source the platform reads (Kotlin/Java for OkHttp, NSC XML for Android) plus
//! what pinset decided about it, written to `DIR/expected.tsv`: per probe host, the pins (and
//! for NSC the expiry and trust anchors) pinset's manifest applies, or pinset's refusal. The JVM
//! side asks the real platform code and compares. Random cases come from a fixed seed (printed;
//! pass another to explore).
#![allow(clippy::unwrap_used, clippy::panic)]

use std::collections::BTreeSet;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use pinset::generate;
use pinset::import::{self, Language};
use pinset::manifest::TrustAnchor;
use pinset::{Manifest, Pin, Policy};

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        // xorshift64*
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    fn chance(&mut self, percent: usize) -> bool {
        self.below(100) < percent
    }
    fn pick<'a, T>(&mut self, v: &'a [T]) -> &'a T {
        &v[self.below(v.len())]
    }
}

fn pool() -> Vec<Pin> {
    (0..6u8)
        .map(|i| {
            let d = ring::digest::digest(&ring::digest::SHA256, &[b'p', i]);
            Pin::from_digest(d.as_ref().try_into().unwrap())
        })
        .collect()
}

/// Canonical names the random cases draw from (nested on purpose).
const NAMES: [&str; 7] = [
    "example.com",
    "api.example.com",
    "b.example.com",
    "a.b.example.com",
    "x.api.example.com",
    "other.org",
    "xn--bcher-kva.example",
];

fn probe_hosts() -> Vec<String> {
    let mut set = BTreeSet::new();
    for n in NAMES {
        set.insert(n.to_owned());
        set.insert(format!("zz.{n}"));
        set.insert(format!("zz.yy.{n}"));
    }
    set.insert("example.org".into());
    set.into_iter().collect()
}

fn pins_field(pins: &[Pin]) -> String {
    if pins.is_empty() {
        return "-".into();
    }
    let mut v: Vec<String> = pins.iter().map(Pin::to_base64).collect();
    v.sort();
    v.join(",")
}

fn one_line(s: &str) -> String {
    s.replace(['\t', '\n', '\r'], " ")
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let (Some(kind), Some(dir)) = (args.get(1), args.get(2)) else {
        eprintln!("usage: oracle-cases okhttp|nsc DIR [SEED]");
        std::process::exit(2);
    };
    let seed: u64 = args
        .get(3)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0x5EED_2026_1202);
    let dir = PathBuf::from(dir);
    std::fs::create_dir_all(&dir).unwrap();
    eprintln!("oracle-cases {kind}: seed {seed}");
    let mut rng = Rng(seed | 1);
    let expected = match kind.as_str() {
        "okhttp" => okhttp_cases(&dir, &mut rng),
        "nsc" => nsc_cases(&dir, &mut rng),
        other => panic!("unknown oracle {other}"),
    };
    std::fs::write(dir.join("expected.tsv"), expected).unwrap();
}

// ----- OkHttp --------------------------------------------------------------------------------

const NOW_MILLIS: i64 = 1_798_761_600_000; // 2027-01-01T00:00:00Z

fn spell_host(rng: &mut Rng, name: &str, lang: Language, raw_ok: &mut bool) -> String {
    let mut out = String::new();
    let base = if name == "xn--bcher-kva.example" && rng.chance(50) {
        "bücher.example"
    } else {
        name
    };
    for c in base.chars() {
        match c {
            '.' if rng.chance(15) => {
                *raw_ok = false;
                let java: &[&str] = &["\\056", "\\u002e", "\\u002E", "\\56"];
                let esc: &str = match lang {
                    Language::Kotlin => "\\u002e",
                    Language::Java => rng.pick::<&str>(java),
                };
                out.push_str(esc);
            }
            'ü' if rng.chance(50) => {
                *raw_ok = false;
                out.push_str("\\u00fc");
            }
            c if c.is_ascii_lowercase() && rng.chance(10) => out.push(c.to_ascii_uppercase()),
            c => out.push(c),
        }
    }
    out
}

fn literal(rng: &mut Rng, body: &str, lang: Language, raw_ok: bool) -> String {
    if lang == Language::Kotlin && raw_ok && rng.chance(20) {
        format!("\"\"\"{body}\"\"\"")
    } else {
        format!("\"{body}\"")
    }
}

fn decoy(rng: &mut Rng, lang: Language, pins: &[Pin]) -> String {
    let add = format!(".add(\"decoy.example.com\", \"{}\")", rng.pick(pins));
    match (rng.below(3), lang) {
        (0, _) => format!("        // {add}\n"),
        (1, Language::Kotlin) => format!("        /* {add} /* nested {add} */ {add} */\n"),
        _ => format!("        /* {add}\n        {add} */\n"),
    }
}

fn okhttp_cases(dir: &Path, rng: &mut Rng) -> String {
    let src_dir = dir.join("src/dev/pinset/oracle");
    std::fs::create_dir_all(&src_dir).unwrap();
    let pool = pool();
    let hosts = probe_hosts();
    let mut out = format!("now\t{NOW_MILLIS}\n");
    // Import: random pinner sources, compiled by kotlinc/javac on the JVM side.
    for n in 0..120 {
        let lang = if n % 3 == 2 {
            Language::Java
        } else {
            Language::Kotlin
        };
        let class = format!("Import{n}");
        let mut calls = String::new();
        for _ in 0..1 + rng.below(5) {
            if rng.chance(30) {
                calls.push_str(&decoy(rng, lang, &pool));
            }
            let name = *rng.pick(&NAMES);
            let prefix = *rng.pick(&["", "", "**.", "*."]);
            let mut raw_ok = true;
            let host = spell_host(rng, name, lang, &mut raw_ok);
            let mut args = vec![literal(rng, &format!("{prefix}{host}"), lang, raw_ok)];
            let k = 1 + rng.below(3);
            let start = rng.below(pool.len());
            for j in 0..k {
                let p = pool[(start + j * (1 + rng.below(2))) % pool.len()];
                args.push(format!("\"{p}\""));
            }
            let dot = if lang == Language::Java && rng.chance(10) {
                "\\u002e"
            } else {
                "."
            };
            calls.push_str(&format!("            {dot}add({})\n", args.join(", ")));
        }
        let (file, text) = match lang {
            Language::Kotlin => (
                format!("{class}.kt"),
                format!(
                    "package dev.pinset.oracle\n\nimport okhttp3.CertificatePinner\n\nobject {class} {{\n    @JvmStatic\n    \
                     fun pinner(): CertificatePinner = CertificatePinner.Builder()\n{calls}            .build()\n}}\n"
                ),
            ),
            Language::Java => (
                format!("{class}.java"),
                format!(
                    "package dev.pinset.oracle;\n\nimport okhttp3.CertificatePinner;\n\npublic final class {class} {{\n    \
                     public static CertificatePinner pinner() {{\n        return new CertificatePinner.Builder()\n{calls}            .build();\n    }}\n}}\n"
                ),
            ),
        };
        std::fs::write(src_dir.join(&file), &text).unwrap();
        match import::okhttp_source(&text, &file, lang) {
            Ok(imported) => {
                writeln!(out, "import\t{class}\tok").unwrap();
                let policy = Policy::new(imported.manifest.clone());
                for h in &hosts {
                    let rule = policy.rule_index_for(h).and_then(|i| policy.rule(i));
                    let pins = rule.map(|r| r.pins.clone()).unwrap_or_default();
                    let name = rule.map_or("-", |r| r.name.as_str());
                    let noted = rule.is_some_and(|r| {
                        imported
                            .notes
                            .iter()
                            .any(|n| n.contains(&format!("'{}'", r.name)) && n.contains("stricter"))
                    });
                    writeln!(
                        out,
                        "ihost\t{class}\t{h}\t{}\t{name}\t{}",
                        pins_field(&pins),
                        u8::from(noted)
                    )
                    .unwrap();
                }
            }
            Err(e) => {
                let name = e
                    .message
                    .split("rule for '")
                    .nth(1)
                    .and_then(|r| r.split('\'').next())
                    .unwrap_or("-");
                writeln!(
                    out,
                    "import\t{class}\trefused\t{name}\t{}",
                    one_line(&e.to_string())
                )
                .unwrap();
            }
        }
    }
    // Generate: random manifests through `pinset generate okhttp`.
    let mut generated = 0;
    for n in 0..120 {
        let toml = random_manifest(rng, &pool, false);
        let Ok(loaded) = Manifest::parse(&toml, None) else {
            continue;
        };
        let m = loaded.manifest;
        let case = format!("g{n}");
        match generate::okhttp::generate(&m, &format!("dev.pinset.oracle.{case}")) {
            Ok(o) => {
                generated += 1;
                std::fs::write(src_dir.join(format!("Gen{n}.kt")), &o.text).unwrap();
                writeln!(out, "gen\t{case}\tok").unwrap();
                let policy = Policy::new(m.clone());
                for h in &hosts {
                    let rule = policy.rule_index_for(h).and_then(|i| policy.rule(i));
                    let (pins, stated) = match rule {
                        None => (Vec::new(), false),
                        Some(r)
                            if r.expires
                                .is_some_and(|d| d.midnight_utc() * 1000 <= NOW_MILLIS) =>
                        {
                            (Vec::new(), false)
                        }
                        Some(r) if !r.enforce => (
                            Vec::new(),
                            o.weaknesses
                                .iter()
                                .any(|w| w.contains(&format!("'{}'", r.name))),
                        ),
                        Some(r) => (r.pins.clone(), false),
                    };
                    // Report-only: the manifest reports these pins; OkHttp cannot, as stated.
                    let meaning = rule
                        .filter(|_| stated)
                        .map(|r| r.pins.clone())
                        .unwrap_or(pins.clone());
                    writeln!(
                        out,
                        "ghost\t{case}\t{h}\t{}\t{}\t{}",
                        pins_field(&pins),
                        pins_field(&meaning),
                        u8::from(stated)
                    )
                    .unwrap();
                }
            }
            Err(e) => writeln!(out, "gen\t{case}\trefused\t{}", one_line(&e.to_string())).unwrap(),
        }
    }
    eprintln!("oracle-cases okhttp: 120 import sources, {generated} generated pinners");
    // Host spellings: what pinset's host rules refuse; the JVM side checks OkHttp refuses or
    // maps each differently.
    for h in [
        "a@b.example",
        "a%b.example",
        "a[b].example",
        "a\\b.example",
        "a b.example",
        "a#b.example",
        "a/b.example",
        "a?b.example",
        "a:b.example",
        "faß.example",
        "ς.example",
        "a\u{200d}b.example",
        "0x7f.0.0.1",
        "127.1",
        "api.example.com",
    ] {
        let ok = pinset::host::canonical_host(h).is_ok();
        writeln!(out, "hostrule\t{h}\t{}", if ok { "ok" } else { "refused" }).unwrap();
    }
    out
}

/// A random manifest over [`NAMES`]; `anchors` adds private trust anchors and debug overrides.
fn random_manifest(rng: &mut Rng, pool: &[Pin], anchors: bool) -> String {
    let mut names: Vec<&str> = NAMES.to_vec();
    let mut toml = String::from("version = 1\n");
    if anchors && rng.chance(20) {
        let v = rng.chance(50);
        let _ = writeln!(toml, "[defaults]\ncertificate_transparency = {v}");
    }
    let k = 1 + rng.below(5);
    let mut chosen: Vec<(String, bool, Vec<Pin>)> = Vec::new();
    for _ in 0..k {
        let name = names.remove(rng.below(names.len()));
        let include = rng.chance(50);
        let parent = chosen
            .iter()
            .filter(|(p, inc, _)| *inc && pinset::host::is_same_or_subdomain(name, p) && p != name)
            .max_by_key(|(p, _, _)| p.len())
            .cloned();
        let mut pins: Vec<Pin> = Vec::new();
        if let Some((_, _, parent_pins)) = &parent {
            if rng.chance(50) {
                pins.extend(parent_pins.iter().copied());
            }
        }
        let exempt = parent.is_some() && rng.chance(15);
        if !exempt {
            while pins.len() < 2 + rng.below(2) {
                let p = *rng.pick(pool);
                if !pins.contains(&p) {
                    pins.push(p);
                }
            }
        } else {
            pins.clear();
        }
        let _ = write!(
            toml,
            "\n[[domain]]\nname = \"{name}\"\ninclude_subdomains = {include}\npins = ["
        );
        toml.push_str(
            &pins
                .iter()
                .map(|p| format!("\"{p}\""))
                .collect::<Vec<_>>()
                .join(", "),
        );
        toml.push_str("]\n");
        if !exempt && rng.chance(10) {
            toml.push_str("enforce = false\n");
        }
        if !exempt && rng.chance(30) {
            let _ = writeln!(
                toml,
                "expires = \"{}\"",
                rng.pick(&["2026-06-01", "2028-01-01", "2027-03-15"])
            );
        }
        if anchors && rng.chance(25) {
            let v = rng.chance(50);
            let _ = writeln!(toml, "certificate_transparency = {v}");
        }
        if anchors && rng.chance(30) {
            let list = rng.pick(&[
                "[\"certs/corp-root.pem\"]",
                "[\"system\", \"certs/corp-root.pem\"]",
                "[\"other/corp-root.pem\"]",
            ]);
            let _ = writeln!(toml, "trust_anchors = {list}");
        }
        chosen.push((name.to_owned(), include, pins));
    }
    if anchors && rng.chance(40) {
        toml.push_str("\n[debug_overrides]\ntrust_anchors = [\"certs/debug-proxy-ca.pem\"]\n");
    }
    toml
}

// ----- Android NSC ---------------------------------------------------------------------------

/// One NSC case directory: `res/xml/network_security_config.xml` and `res/raw/*`.
fn write_nsc(dir: &Path, case: &str, xml: &str, raw: &[String]) {
    let base = dir.join(case).join("res");
    std::fs::create_dir_all(base.join("xml")).unwrap();
    std::fs::create_dir_all(base.join("raw")).unwrap();
    std::fs::write(base.join("xml/network_security_config.xml"), xml).unwrap();
    let pem = include_str!("../../../samples/certs/corp-root.pem");
    for r in raw {
        std::fs::write(base.join("raw").join(format!("{r}.pem")), pem).unwrap();
    }
}

/// Per probe host: pins, expiry (ms, UTC midnight; `-` for none), anchors and debug anchors as
/// the manifest means them (`system` or `raw:NAME`, each with `:override` when it skips pins).
fn nsc_expectations(
    out: &mut String,
    case: &str,
    m: &Manifest,
    raw_name: &dyn Fn(&str) -> String,
    weaknesses: &[String],
    notes: &[String],
) {
    let policy = Policy::new(m.clone());
    let anchor = |a: &TrustAnchor| match a {
        TrustAnchor::System => "system".to_owned(),
        TrustAnchor::Pem { path, .. } => format!("raw:{}", raw_name(path)),
    };
    let debug: Vec<String> = m
        .debug_overrides
        .as_ref()
        .map(|d| d.trust_anchors.iter().map(anchor).collect())
        .unwrap_or_default();
    for d in &m.domains {
        writeln!(out, "domain\t{case}\t{}\t{}", d.name, d.include_subdomains).unwrap();
    }
    for h in probe_hosts() {
        let rule = policy.rule_index_for(&h).and_then(|i| policy.rule(i));
        let stated = rule.is_some_and(|r| {
            !r.enforce
                && weaknesses
                    .iter()
                    .any(|w| w.contains(&format!("'{}'", r.name)))
        });
        let pins = rule
            .filter(|r| r.enforce || !stated)
            .map(|r| r.pins.clone())
            .unwrap_or_default();
        let expiry = rule
            .filter(|_| !pins.is_empty())
            .and_then(|r| r.expires)
            .map_or("-".to_owned(), |d| (d.midnight_utc() * 1000).to_string());
        let mut anchors: BTreeSet<String> = match rule {
            Some(r) if !r.trust_anchors.is_empty() => r.trust_anchors.iter().map(anchor).collect(),
            _ => BTreeSet::from(["system".to_owned()]),
        };
        let plain = anchors.iter().cloned().collect::<Vec<_>>().join(",");
        anchors.extend(debug.iter().cloned());
        let with_debug = anchors.into_iter().collect::<Vec<_>>().join(",");
        // Certificate Transparency as the manifest means it (`-`: the platform default), and
        // whether the generator stated a CT difference for that rule.
        let ct = rule.map_or(m.certificate_transparency, |r| r.certificate_transparency);
        let ct = ct.map_or("-".to_owned(), |v| v.to_string());
        let ct_stated = rule.is_some_and(|r| {
            weaknesses.iter().chain(notes).any(|w| {
                w.contains(&format!("'{}'", r.name)) && w.contains("certificate_transparency")
            })
        });
        writeln!(
            out,
            "host\t{case}\t{h}\t{}\t{expiry}\t{plain}\t{with_debug}\t{}\t{ct}\t{}",
            pins_field(&pins),
            u8::from(stated),
            u8::from(ct_stated)
        )
        .unwrap();
    }
}

fn nsc_cases(dir: &Path, rng: &mut Rng) -> String {
    let pool = pool();
    let mut out = String::new();
    // Generate: the samples and random manifests through `pinset generate android-nsc`.
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let mut manifests: Vec<(String, Manifest)> = Vec::new();
    for s in ["samples/pins.toml", "samples/okhttp-compatible.toml"] {
        let m = Manifest::load(&root.join(s), None).unwrap().manifest;
        manifests.push((
            format!(
                "sample-{}",
                s.trim_start_matches("samples/").trim_end_matches(".toml")
            ),
            m,
        ));
    }
    for n in 0..100 {
        if let Ok(l) = Manifest::parse(&random_manifest(rng, &pool, true), None) {
            manifests.push((format!("gen{n}"), l.manifest));
        }
    }
    for (case, m) in &manifests {
        match generate::nsc::generate(m) {
            Ok(o) => {
                let raw: Vec<String> = o
                    .extra_files
                    .iter()
                    .map(|(dest, _)| {
                        dest.trim_start_matches("res/raw/")
                            .trim_end_matches(".pem")
                            .to_owned()
                    })
                    .collect();
                write_nsc(dir, case, &o.text, &raw);
                writeln!(out, "case\t{case}\tgenerate\tok").unwrap();
                let files = o.extra_files.clone();
                let lookup = move |path: &str| {
                    files
                        .iter()
                        .find(|(_, src)| src == path)
                        .map(|(dest, _)| {
                            dest.trim_start_matches("res/raw/")
                                .trim_end_matches(".pem")
                                .to_owned()
                        })
                        .unwrap_or_else(|| format!("missing-{path}"))
                };
                nsc_expectations(&mut out, case, m, &lookup, &o.weaknesses, &o.notes);
            }
            Err(e) => writeln!(
                out,
                "case\t{case}\tgenerate\trefused\t{}",
                one_line(&e.to_string())
            )
            .unwrap(),
        }
    }
    // Import: random and hand-written NSC files, read by the importer and by Android.
    let mut sources: Vec<(String, String)> = hand_written_nsc(&pool);
    for n in 0..120 {
        sources.push((format!("imp{n}"), random_nsc(rng, &pool)));
    }
    for (case, xml) in &sources {
        let raw: Vec<String> = xml
            .split("@raw/")
            .skip(1)
            .filter_map(|r| r.split('"').next())
            .map(str::to_owned)
            .collect();
        write_nsc(dir, case, xml, &raw);
        match import::android_nsc(xml, "network_security_config.xml") {
            Ok(i) => {
                writeln!(out, "case\t{case}\timport\tok").unwrap();
                let lookup = |path: &str| {
                    path.trim_start_matches("res/raw/")
                        .trim_end_matches(".pem")
                        .to_owned()
                };
                nsc_expectations(&mut out, case, &i.manifest, &lookup, &[], &[]);
            }
            Err(e) => writeln!(
                out,
                "case\t{case}\timport\trefused\t{}",
                one_line(&e.to_string())
            )
            .unwrap(),
        }
    }
    out
}

fn pin_set(pins: &[Pin], attrs: &str, pad: bool) -> String {
    let mut s = format!("<pin-set{attrs}>");
    for p in pins {
        let b = p.to_base64();
        if pad {
            let _ = write!(s, "<pin digest=\"SHA-256\">\n   {b}  \n</pin>");
        } else {
            let _ = write!(s, "<pin digest=\"sha-256\">{b}</pin>");
        }
    }
    s + "</pin-set>"
}

fn random_nsc(rng: &mut Rng, pool: &[Pin]) -> String {
    let mut names: Vec<&str> = NAMES.to_vec();
    let mut body = String::new();
    match rng.below(8) {
        0 => body.push_str("<base-config cleartextTrafficPermitted=\"false\"><trust-anchors><certificates src=\"system\"/></trust-anchors></base-config>\n"),
        1 => body.push_str("<base-config><certificateTransparency enabled=\"true\"/></base-config>\n"),
        2 => body.push_str("<base-config><certificateTransparency enabled=\"false\"/></base-config>\n"),
        _ => {}
    }
    fn config(rng: &mut Rng, pool: &[Pin], names: &mut Vec<&str>, depth: usize) -> String {
        let mut s = String::from("<domain-config>");
        for _ in 0..1 + rng.below(2) {
            if names.is_empty() {
                break;
            }
            let name = names.remove(rng.below(names.len()));
            let inc = match rng.below(4) {
                0 => " includeSubdomains=\"true\"",
                1 => " includeSubdomains=\"false\"",
                2 => " x:includeSubdomains=\"true\"",
                _ => "",
            };
            let _ = write!(s, "<domain{inc}>{name}</domain>");
        }
        if rng.chance(25) {
            let src = rng.pick(&["@raw/corp", "system", "@raw/corp_b"]);
            let ov = rng.pick(&["", " overridePins=\"false\"", " overridePins=\"true\""]);
            let _ = write!(
                s,
                "<trust-anchors><certificates src=\"{src}\"{ov}/></trust-anchors>"
            );
        }
        match rng.below(5) {
            0 => {}
            1 => s.push_str("<pin-set/>"),
            _ => {
                let mut pins = Vec::new();
                while pins.len() < 1 + rng.below(3) {
                    let p = *rng.pick(pool);
                    if !pins.contains(&p) {
                        pins.push(p);
                    }
                }
                let attrs = *rng.pick(&[
                    "",
                    " expiration=\"2028-01-01\"",
                    " x:expiration=\"2020-01-01\"",
                ]);
                s.push_str(&pin_set(&pins, attrs, rng.chance(20)));
            }
        }
        match rng.below(8) {
            0 => s.push_str("<certificateTransparency enabled=\"true\"/>"),
            1 => s.push_str("<certificateTransparency enabled=\"false\"/>"),
            2 => s.push_str("<certificateTransparency/>"),
            _ => {}
        }
        if depth < 3 && rng.chance(40) && !names.is_empty() {
            s.push_str(&config(rng, pool, names, depth + 1));
        }
        s + "</domain-config>\n"
    }
    for _ in 0..1 + rng.below(3) {
        if names.is_empty() {
            break;
        }
        body.push_str(&config(rng, pool, &mut names, 0));
    }
    if rng.chance(20) {
        body.push_str("<debug-overrides><trust-anchors><certificates src=\"@raw/debug_ca\"/></trust-anchors></debug-overrides>\n");
    }
    format!(
        "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<network-security-config xmlns:x=\"urn:x\">\n{body}</network-security-config>\n"
    )
}

fn hand_written_nsc(pool: &[Pin]) -> Vec<(String, String)> {
    let two = pin_set(&pool[..2], "", false);
    let wrap = |b: &str| {
        format!(
            "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<network-security-config>\n{b}\n</network-security-config>\n"
        )
    };
    let p = pool[0].to_base64();
    let cases = [
        ("bad-digest", format!("<domain-config><domain>a.example</domain><pin-set><pin digest=\"SHA-1\">{p}</pin></pin-set></domain-config>")),
        ("no-digest", format!("<domain-config><domain>a.example</domain><pin-set><pin>{p}</pin></pin-set></domain-config>")),
        ("short-pin", "<domain-config><domain>a.example</domain><pin-set><pin digest=\"SHA-256\">AAAA</pin></pin-set></domain-config>".to_owned()),
        ("bad-b64", "<domain-config><domain>a.example</domain><pin-set><pin digest=\"SHA-256\">!!notbase64!!</pin></pin-set></domain-config>".to_owned()),
        ("bad-date", format!("<domain-config><domain>a.example</domain><pin-set expiration=\"2027-13-45\"><pin digest=\"SHA-256\">{p}</pin></pin-set></domain-config>")),
        ("no-domain", format!("<domain-config>{two}</domain-config>")),
        ("empty-domain", format!("<domain-config><domain></domain>{two}</domain-config>")),
        ("dup-domain", format!("<domain-config><domain>a.example</domain>{two}</domain-config><domain-config><domain>A.example</domain>{two}</domain-config>")),
        ("two-pinsets", format!("<domain-config><domain>a.example</domain>{two}{two}</domain-config>")),
        ("pinset-in-base", format!("<base-config>{two}</base-config>")),
        ("two-base", "<base-config/><base-config/>".to_owned()),
        ("no-src", "<domain-config><domain>a.example</domain><trust-anchors><certificates/></trust-anchors></domain-config>".to_owned()),
        ("bad-src", "<domain-config><domain>a.example</domain><trust-anchors><certificates src=\"bundled\"/></trust-anchors></domain-config>".to_owned()),
        ("pin-child", format!("<domain-config><domain>a.example</domain><pin-set><pin digest=\"SHA-256\">{p}<b/></pin></pin-set></domain-config>")),
        ("ct-in-debug", "<debug-overrides><certificateTransparency enabled=\"true\"/></debug-overrides>".to_owned()),
        ("ct-inherit", format!("<base-config><certificateTransparency enabled=\"true\"/></base-config><domain-config><domain includeSubdomains=\"true\">example.com</domain>{two}<certificateTransparency enabled=\"false\"/><domain-config><domain>api.example.com</domain>{two}</domain-config></domain-config><domain-config><domain>a.example</domain>{two}</domain-config>")),
        ("ct-last-wins", format!("<domain-config><domain>example.com</domain>{two}<certificateTransparency enabled=\"false\"/><certificateTransparency enabled=\"true\"/></domain-config>")),
        ("ct-only", format!("<domain-config><domain>a.example</domain>{two}</domain-config><domain-config><domain>b.example</domain><certificateTransparency enabled=\"true\"/></domain-config>")),
        ("padded-pins", format!("<domain-config><domain>a.example</domain>{}</domain-config>", pin_set(&pool[..2], "", true))),
        ("ns-expiry", format!("<domain-config xmlns:x=\"urn:x\"><domain>a.example</domain>{}</domain-config>", pin_set(&pool[..2], " x:expiration=\"2020-01-01\"", false))),
        ("private-ca-no-pins", format!("<domain-config><domain>a.example</domain>{two}</domain-config><domain-config><domain>build.corp.example</domain><trust-anchors><certificates src=\"@raw/corp\"/></trust-anchors></domain-config>")),
        ("base-private", format!("<base-config><trust-anchors><certificates src=\"@raw/corp\"/></trust-anchors></base-config><domain-config><domain>a.example</domain>{two}</domain-config>")),
        ("pinless-child", format!("<domain-config><domain includeSubdomains=\"true\">example.com</domain>{two}<domain-config><domain>cdn.example.com</domain><pin-set/></domain-config></domain-config>")),
        ("inherit-anchors", format!("<domain-config><domain includeSubdomains=\"true\">example.com</domain><trust-anchors><certificates src=\"@raw/corp\"/></trust-anchors>{two}<domain-config><domain>api.example.com</domain></domain-config></domain-config>")),
        ("debug-override-default", format!("<domain-config><domain>a.example</domain>{two}</domain-config><debug-overrides><trust-anchors><certificates src=\"@raw/debug_ca\"/></trust-anchors></debug-overrides>")),
    ];
    let mut v: Vec<(String, String)> = cases
        .into_iter()
        .map(|(n, b)| (format!("hand-{n}"), wrap(&b)))
        .collect();
    v.push((
        "hand-bad-root".into(),
        "<?xml version=\"1.0\"?>\n<network-security>\n</network-security>\n".into(),
    ));
    v.push(("hand-unclosed".into(), "<?xml version=\"1.0\"?>\n<network-security-config><domain-config>\n</network-security-config>\n".into()));
    v
}
