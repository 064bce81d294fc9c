//! Table-driven manifest tests: every validation error with its `line:col`, warnings, and the
//! evaluation semantics (normalisation, suffix boundaries, most specific wins, exemptions,
//! expiry at the boundary).
#![allow(clippy::unwrap_used, clippy::panic)]

use pinset::manifest::Severity;
use pinset::{Decision, Manifest, Pin, Policy};

const P1: &str = "sha256/YLh1dUR9y6Kja30RrAn7JKnbQG/uEtLMkBgFF2Fuihg=";
const P2: &str = "sha256/sRHdihwgkaib1P1gxX8HFszlM+4hMvCalm+9a+bI2lg=";
const P3: &str = "sha256/r/mIkG3eEpVdm+u/ko/cwxzOMo1bk4TyHIlByibiA5E=";

fn domain(name: &str, extra: &str) -> String {
    format!("[[domain]]\nname = \"{name}\"\npins = [\"{P1}\", \"{P2}\"]\n{extra}\n")
}

/// (description, manifest, expected line, expected column, message fragment)
fn error_cases() -> Vec<(&'static str, String, usize, usize, &'static str)> {
    let v = "version = 1\n";
    vec![
        (
            "unknown top-level key",
            format!("{v}verison = 2\n{}", domain("a.example", "")),
            2,
            1,
            "unknown field `verison`",
        ),
        (
            "unknown domain key",
            format!("{v}{}", domain("a.example", "pin = []")),
            5,
            1,
            "unknown field `pin`",
        ),
        (
            "unknown defaults key",
            format!(
                "{v}[defaults]\nenforced = true\n{}",
                domain("a.example", "")
            ),
            3,
            1,
            "unknown field `enforced`",
        ),
        (
            "wrong version",
            format!("version = 2\n{}", domain("a.example", "")),
            1,
            11,
            "unsupported manifest version 2",
        ),
        (
            "missing version",
            domain("a.example", ""),
            1,
            1,
            "missing field `version`",
        ),
        ("no domains", v.to_owned(), 1, 1, "no [[domain]]"),
        (
            "missing pins",
            format!("{v}[[domain]]\nname = \"a.example\"\n"),
            2,
            1,
            "missing field `pins`",
        ),
        (
            "bad base64",
            format!("{v}[[domain]]\nname = \"a.example\"\npins = [\"sha256/!!!\", \"{P2}\"]\n"),
            4,
            9,
            "not valid base64",
        ),
        (
            "short digest",
            format!("{v}[[domain]]\nname = \"a.example\"\npins = [\"{P2}\", \"sha256/AAAA\"]\n"),
            4,
            64,
            "3 bytes; a SHA-256 pin is exactly 32 bytes",
        ),
        (
            "sha1 pin",
            format!(
                "{v}[[domain]]\nname = \"a.example\"\npins = [\"sha1/2jmj7l5rSw0yVb/vlWAYkK/YBwk=\", \"{P2}\"]\n"
            ),
            4,
            9,
            "must start with 'sha256/'",
        ),
        (
            "non-canonical base64",
            format!(
                "{v}[[domain]]\nname = \"a.example\"\npins = [\"sha256/YLh1dUR9y6Kja30RrAn7JKnbQG/uEtLMkBgFF2Fuihh=\", \"{P2}\"]\n"
            ),
            4,
            9,
            "not canonical; write it as 'sha256/YLh1dUR9y6Kja30RrAn7JKnbQG/uEtLMkBgFF2Fuihg='",
        ),
        (
            "unpadded base64",
            format!(
                "{v}[[domain]]\nname = \"a.example\"\npins = [\"sha256/YLh1dUR9y6Kja30RrAn7JKnbQG/uEtLMkBgFF2Fuihg\", \"{P2}\"]\n"
            ),
            4,
            9,
            "not valid base64",
        ),
        (
            "empty-input digest",
            format!(
                "{v}[[domain]]\nname = \"a.example\"\npins = [\"sha256/47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=\", \"{P2}\"]\n"
            ),
            4,
            9,
            "SHA-256 of empty input",
        ),
        (
            "duplicate pin",
            format!("{v}[[domain]]\nname = \"a.example\"\npins = [\"{P1}\", \"{P1}\"]\n"),
            4,
            64,
            "duplicate pin",
        ),
        (
            "single pin",
            format!("{v}[[domain]]\nname = \"a.example\"\npins = [\"{P1}\"]\n"),
            4,
            8,
            "needs at least 2 distinct pins",
        ),
        (
            "duplicate domain",
            format!("{v}{}{}", domain("a.example", ""), domain("A.Example.", "")),
            7,
            8,
            "already defined at line 3",
        ),
        (
            "wildcard",
            format!("{v}{}", domain("*.example.com", "")),
            3,
            8,
            "wildcard",
        ),
        // Without the compiled list (the mobile build) no name is a public suffix.
        #[cfg(feature = "public-suffix")]
        (
            "public suffix",
            format!("{v}{}", domain("co.uk", "")),
            3,
            8,
            "is a public suffix",
        ),
        #[cfg(feature = "public-suffix")]
        (
            "public suffix com",
            format!("{v}{}", domain("com", "")),
            3,
            8,
            "is a public suffix",
        ),
        (
            "empty label",
            format!("{v}{}", domain("a..example", "")),
            3,
            8,
            "empty label",
        ),
        (
            "port",
            format!("{v}{}", domain("a.example:443", "")),
            3,
            8,
            "contains a port",
        ),
        (
            "url",
            format!("{v}{}", domain("https://a.example/", "")),
            3,
            8,
            "looks like a URL",
        ),
        (
            "ip with subdomains",
            format!("{v}{}", domain("10.0.0.1", "include_subdomains = true")),
            3,
            8,
            "IP literal",
        ),
        (
            "two-digit year",
            format!("{v}{}", domain("a.example", "expires = \"24-01-01\"")),
            5,
            11,
            "invalid date '24-01-01'",
        ),
        (
            "unpadded date",
            format!("{v}{}", domain("a.example", "expires = \"2027-6-1\"")),
            5,
            11,
            "zero-padded YYYY-MM-DD",
        ),
        (
            "impossible date",
            format!("{v}{}", domain("a.example", "expires = \"2027-02-30\"")),
            5,
            11,
            "invalid date",
        ),
        (
            "bad default date",
            format!(
                "{v}[defaults]\nexpires = \"2027/06/01\"\n{}",
                domain("a.example", "")
            ),
            3,
            11,
            "invalid date",
        ),
        (
            "empty pin set without parent",
            format!("{v}[[domain]]\nname = \"a.example\"\npins = []\n"),
            3,
            8,
            "no parent domain with include_subdomains",
        ),
        (
            "report-only without pins",
            format!("{v}[[domain]]\nname = \"a.example\"\nenforce = false\npins = []\n"),
            5,
            8,
            "report-only with no pins",
        ),
        (
            "http report uri",
            format!(
                "{v}{}",
                domain("a.example", "report_uris = [\"http://r.example/\"]")
            ),
            5,
            16,
            "must be an https:// URL",
        ),
        (
            // A prefix test passed this; the URL's host is evil.example.
            "http report uri with loopback userinfo",
            format!(
                "{v}{}",
                domain(
                    "a.example",
                    "report_uris = [\"http://localhost:80@evil.example/\"]"
                )
            ),
            5,
            16,
            "hide the real host",
        ),
        (
            "http report uri with a loopback-looking host",
            format!(
                "{v}{}",
                domain(
                    "a.example",
                    "report_uris = [\"http://127.0.0.1.evil.example/\"]"
                )
            ),
            5,
            16,
            "non-loopback host",
        ),
        (
            "https report uri with credentials",
            format!(
                "{v}{}",
                domain(
                    "a.example",
                    "report_uris = [\"https://reports.example@evil.example/\"]"
                )
            ),
            5,
            16,
            "credentials",
        ),
        (
            "user anchors",
            format!("{v}{}", domain("a.example", "trust_anchors = [\"user\"]")),
            5,
            18,
            "'user' CAs",
        ),
        (
            "wrong type",
            format!("{v}{}", domain("a.example", "include_subdomains = \"yes\"")),
            5,
            22,
            "invalid type",
        ),
        (
            "toml syntax",
            format!("{v}[[domain]\nname = 1\n"),
            2,
            10,
            "unclosed array table",
        ),
    ]
}

#[test]
fn every_error_has_its_location() {
    for (what, src, line, col, fragment) in error_cases() {
        let err = match Manifest::parse_with(&src, "pins.toml", None, None) {
            Ok(_) => panic!("{what}: accepted:\n{src}"),
            Err(e) => e,
        };
        let d = err
            .diagnostics()
            .iter()
            .find(|d| d.message.contains(fragment))
            .unwrap_or_else(|| panic!("{what}: no diagnostic containing {fragment:?}: {err}"));
        assert_eq!((d.line, d.col), (line, col), "{what}: {d}");
        assert_eq!(d.severity, Severity::Error);
        assert!(
            d.to_string()
                .starts_with(&format!("pins.toml:{line}:{col}: error: ")),
            "{what}: {d}"
        );
    }
}

#[test]
fn all_errors_are_reported_not_just_the_first() {
    let src = format!(
        "version = 1\n{}{}",
        domain("*.a.example", ""),
        domain("b.example", "expires = \"24-01-01\"")
    );
    let err = Manifest::parse(&src, None).unwrap_err();
    assert_eq!(err.diagnostics().len(), 2, "{err}");
}

#[test]
fn all_shape_errors_are_reported_at_their_keys() {
    // Three shape errors in three tables, plus a missing key: all four, in file order.
    let src = format!(
        "version = 1\n[defaults]\nenforce = \"yes\"\n{}{}[[domain]]\nname = \"c.example\"\n",
        domain("a.example", "pinz = []"),
        domain("b.example", "expires = 2027-01-01"),
    );
    let err = Manifest::parse(&src, None).unwrap_err();
    let got: Vec<(usize, usize, &str)> = err
        .diagnostics()
        .iter()
        .map(|d| (d.line, d.col, d.message.as_str()))
        .collect();
    assert_eq!(got.len(), 4, "{err}");
    assert_eq!((got[0].0, got[0].1), (3, 11), "{err}");
    assert!(
        got[0]
            .2
            .starts_with("invalid type: string \"yes\", expected a boolean"),
        "{err}"
    );
    assert_eq!((got[1].0, got[1].1), (7, 1), "{err}");
    assert!(
        got[1]
            .2
            .starts_with("unknown field `pinz`, expected one of `name`"),
        "{err}"
    );
    assert_eq!((got[2].0, got[2].1), (11, 11), "{err}");
    assert!(
        got[2]
            .2
            .contains("datetime `2027-01-01` (write dates as strings"),
        "{err}"
    );
    assert_eq!((got[3].0, got[3].1), (12, 1), "{err}");
    assert_eq!(got[3].2, "missing field `pins`");
}

#[test]
fn valid_manifests_and_opt_outs() {
    let v = "version = 1\n";
    for (what, src) in [
        ("localhost", format!("{v}{}", domain("localhost", ""))),
        (
            "internal single label",
            format!("{v}{}", domain("buildbox", "")),
        ),
        ("ipv4", format!("{v}{}", domain("10.0.0.1", ""))),
        ("ipv6", format!("{v}{}", domain("[fd00::1]", ""))),
        (
            "report-only single pin",
            format!("{v}[[domain]]\nname = \"a.example\"\nenforce = false\npins = [\"{P1}\"]\n"),
        ),
        (
            "backup opt-out",
            format!(
                "{v}[[domain]]\nname = \"a.example\"\nrequire_backup_pin = false\npins = [\"{P1}\"]\n"
            ),
        ),
        (
            "exemption",
            format!(
                "{v}{}[[domain]]\nname = \"cdn.a.example\"\npins = []\n",
                domain("a.example", "include_subdomains = true")
            ),
        ),
        (
            "loopback http reports",
            format!(
                "{v}{}",
                domain("a.example", "report_uris = [\"http://127.0.0.1:8080/r\"]")
            ),
        ),
    ] {
        assert!(
            Manifest::parse(&src, None).is_ok(),
            "{what}: {:?}",
            Manifest::parse(&src, None).err()
        );
    }
}

#[test]
fn expiry_warnings() {
    let src = format!(
        "version = 1\n{}{}",
        domain("a.example", "expires = \"2030-01-20\""),
        domain("b.example", "expires = \"2029-12-01\"")
    );
    let now = pinset::Date::parse("2030-01-01").unwrap().midnight_utc();
    let loaded = Manifest::parse_with(&src, "m.toml", None, Some(now)).unwrap();
    let msgs: Vec<String> = loaded.warnings.iter().map(ToString::to_string).collect();
    assert_eq!(msgs.len(), 2, "{msgs:?}");
    assert!(
        msgs[0].starts_with("m.toml:5:11: warning:") && msgs[0].contains("within 30 days"),
        "{msgs:?}"
    );
    assert!(msgs[1].contains("expired on 2029-12-01"), "{msgs:?}");
    // 31 days ahead: no warning.
    let later = pinset::Date::parse("2029-12-20").unwrap().midnight_utc() - 86_400 * 20;
    let src = format!(
        "version = 1\n{}",
        domain("a.example", "expires = \"2030-01-20\"")
    );
    assert!(
        Manifest::parse(&src, Some(later))
            .unwrap()
            .warnings
            .is_empty()
    );
}

fn policy(src: &str) -> Policy {
    Policy::new(Manifest::parse(src, None).unwrap().manifest)
}

fn pins(s: &[&str]) -> Vec<Pin> {
    s.iter().map(|p| Pin::parse(p).unwrap()).collect()
}

#[test]
fn host_spellings_select_the_same_rule() {
    let p = policy(&format!(
        "version = 1\n{}{}",
        domain("API.Example.com.", ""),
        domain("bücher.example", "")
    ));
    for host in [
        "api.example.com",
        "API.EXAMPLE.COM",
        "api.example.com.",
        "Api.Example.Com.",
    ] {
        assert!(
            matches!(
                p.decide(host, 0, pins(&[P3])),
                Ok(Decision::Violation {
                    rule: 0,
                    enforced: true
                })
            ),
            "{host}"
        );
    }
    for host in ["bücher.example", "BÜCHER.example.", "xn--bcher-kva.example"] {
        assert!(
            matches!(
                p.decide(host, 0, pins(&[P3])),
                Ok(Decision::Violation { rule: 1, .. })
            ),
            "{host}"
        );
    }
    assert_eq!(
        p.decide("api.example.com..", 0, pins(&[P3]))
            .map_err(|_| ()),
        Err(())
    );
}

#[test]
fn suffix_boundaries_and_most_specific_wins() {
    let p = policy(&format!(
        "version = 1\n{}[[domain]]\nname = \"pay.example.com\"\npins = [\"{P3}\", \"{P2}\"]\n\
         {}[[domain]]\nname = \"cdn.example.com\"\npins = []\n",
        domain("example.com", "include_subdomains = true"),
        domain("exact.example.org", ""),
    ));
    let rule = |h: &str| p.rule_index_for(&pinset::host::canonical_host(h).unwrap());
    assert_eq!(rule("example.com"), Some(0));
    assert_eq!(rule("a.b.c.example.com"), Some(0));
    assert_eq!(rule("anotherexample.com"), None);
    assert_eq!(rule("example.com.evil.net"), None);
    assert_eq!(rule("pay.example.com"), Some(1));
    assert_eq!(
        rule("x.pay.example.com"),
        Some(0),
        "pay.example.com has no include_subdomains; the parent rule applies"
    );
    assert_eq!(rule("exact.example.org"), Some(2));
    assert_eq!(rule("sub.exact.example.org"), None);
    // Pins never union: the parent's pin P1 does not satisfy the more specific rule.
    assert!(matches!(
        p.decide("pay.example.com", 0, pins(&[P1])),
        Ok(Decision::Violation { rule: 1, .. })
    ));
    assert!(matches!(
        p.decide("pay.example.com", 0, pins(&[P1, P3])),
        Ok(Decision::Trusted {
            rule: 1,
            cert_index: 1,
            pin_index: 0
        })
    ));
    // Exemption.
    assert_eq!(
        p.decide("cdn.example.com", 0, pins(&[P3])),
        Ok(Decision::Exempt { rule: 3 })
    );
    assert!(matches!(
        p.decide("img.cdn.example.com", 0, pins(&[P3])),
        Ok(Decision::Violation { rule: 0, .. })
    ));
}

#[test]
fn expiry_boundary_is_midnight_utc() {
    let p = policy(&format!(
        "version = 1\n{}",
        domain("a.example", "expires = \"2030-01-02\"")
    ));
    let midnight = pinset::Date::parse("2030-01-02").unwrap().midnight_utc();
    assert!(matches!(
        p.decide("a.example", midnight - 1, pins(&[P3])),
        Ok(Decision::Violation { .. })
    ));
    assert_eq!(
        p.decide("a.example", midnight, pins(&[P3])),
        Ok(Decision::Expired { rule: 0 })
    );
    // `expires_at` is that boundary (what the FFI fast path's "trusted all day" reads); none for a
    // rule without `expires` or a rule that does not exist.
    assert_eq!(p.expires_at(0), Some(midnight));
    assert_eq!(p.expires_at(1), None);
    let q = policy(&format!("version = 1\n{}", domain("a.example", "")));
    assert_eq!(q.expires_at(0), None);
}

#[test]
fn serial_is_a_positive_integer_and_round_trips() {
    let ok = format!("version = 1\nserial = 42\n{}", domain("a.example", ""));
    let m = Manifest::parse(&ok, None).unwrap().manifest;
    assert_eq!(m.serial, Some(42));
    let again = Manifest::parse(&m.to_toml(""), None).unwrap().manifest;
    assert_eq!(again.serial, Some(42));
    let none = format!("version = 1\n{}", domain("a.example", ""));
    assert_eq!(Manifest::parse(&none, None).unwrap().manifest.serial, None);
    for (bad, fragment) in [
        ("serial = 0", "positive"),
        ("serial = -3", "positive"),
        ("serial = \"7\"", "invalid type"),
        ("serial = 1.5", "invalid type"),
    ] {
        let src = format!("version = 1\n{bad}\n{}", domain("a.example", ""));
        let err = Manifest::parse_with(&src, "pins.toml", None, None).unwrap_err();
        let d = &err.diagnostics()[0];
        assert!(d.message.contains(fragment), "{bad}: {err}");
        assert_eq!((d.line, d.col), (2, 10), "{bad}: {d}");
    }
}

/// A `spiffe` rule parses only in a build that can verify it. Without the `spiffe` feature (the
/// build the mobile library ships, `-p pinset --no-default-features`) the manifest is refused at
/// parse, at the rule's location, with a message saying why; never accepted with the rule dropped.
#[test]
fn a_spiffe_rule_needs_the_spiffe_feature() {
    let src = format!(
        "version = 1\n[[trust_domain]]\nname = \"mcp.example.org\"\nbundle = \"mcp.pem\"\n\
         [[domain]]\nname = \"tools.example.org\"\nspiffe = {{ id = \"spiffe://mcp.example.org/sa/tools\" }}\n{}",
        domain("other.example.org", "")
    );
    let parsed = Manifest::parse(&src, None);
    if cfg!(feature = "spiffe") {
        let m = parsed.unwrap().manifest;
        assert!(m.domains[0].spiffe.is_some());
    } else {
        let e = parsed.unwrap_err().to_string();
        assert!(e.contains(":7:10:"), "{e}");
        assert!(
            e.contains("cannot verify SPIFFE X.509-SVIDs (built without the `spiffe` feature")
                && e.contains("refused rather than enforced partly"),
            "{e}"
        );
    }
}
