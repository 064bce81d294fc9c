//! Generators: what each writes is weaker only where it says so (`weaknesses`, which need
//! `--allow-weaker`) and differs otherwise only in stated notes. Android's own parser reads
//! every generated NSC in `tests/android-nsc`; these tests pin the generator's side.
#![allow(clippy::unwrap_used, clippy::panic)]

use pinset::Manifest;
use pinset::generate::{ats, nsc};

const A: &str = "sha256/ypeBEsobvcr6wjGzmiPcTaeG7/gUfE5yuYB3ha/uSLs=";
const B: &str = "sha256/PiPoFgA5WUoziU9lZOGxNIu9egCI1CxKy3PurtWcAJ0=";
const C: &str = "sha256/Ln0sA6lQeuJl7PW1NWiFpTOTogKdJBOUmXJloaJa78Y=";

fn manifest(src: &str) -> Manifest {
    Manifest::parse(src, None).unwrap().manifest
}

#[test]
fn nsc_debug_override_anchors_never_skip_pins() {
    // Inside <debug-overrides> Android defaults overridePins to true.
    let m = manifest(&format!(
        "version = 1\n[[domain]]\nname = \"api.example.com\"\npins = [\"{A}\", \"{B}\"]\n\
         trust_anchors = [\"system\", \"certs/corp.pem\"]\n[debug_overrides]\ntrust_anchors = [\"certs/debug.pem\"]\n"
    ));
    let out = nsc::generate(&m).unwrap();
    let certs: Vec<&str> = out
        .text
        .lines()
        .filter(|l| l.contains("<certificates"))
        .collect();
    assert_eq!(certs.len(), 3, "{}", out.text);
    for l in certs {
        assert!(l.contains("overridePins=\"false\""), "{l}");
    }
}

#[test]
fn nsc_anchor_resource_names_are_unique_per_file() {
    let m = manifest(&format!(
        "version = 1\n[[domain]]\nname = \"a.example\"\npins = [\"{A}\", \"{B}\"]\ntrust_anchors = [\"one/corp.pem\"]\n\
         [[domain]]\nname = \"b.example\"\npins = [\"{A}\", \"{B}\"]\ntrust_anchors = [\"two/corp.pem\"]\n"
    ));
    let out = nsc::generate(&m).unwrap();
    let dests: Vec<&str> = out.extra_files.iter().map(|(d, _)| d.as_str()).collect();
    assert_eq!(dests.len(), 2, "{:?}", out.extra_files);
    assert_ne!(dests[0], dests[1], "two CAs merged into one resource");
    for (dest, src) in &out.extra_files {
        let res = dest.trim_start_matches("res/raw/").trim_end_matches(".pem");
        assert!(
            out.text.contains(&format!("@raw/{res}\"")),
            "{src} -> {dest}"
        );
    }
}

#[test]
fn nsc_local_time_expiry_is_a_note_not_a_weakness() {
    let m = manifest(&format!(
        "version = 1\n[[domain]]\nname = \"a.example\"\npins = [\"{A}\", \"{B}\"]\nexpires = \"2027-06-01\"\n"
    ));
    let out = nsc::generate(&m).unwrap();
    assert!(out.weaknesses.is_empty(), "{:?}", out.weaknesses);
    assert!(
        out.notes.iter().any(|n| n.contains("local time zone")),
        "{:?}",
        out.notes
    );
}

#[test]
fn ats_report_only_child_of_an_enforced_parent_is_stricter_not_unpinned() {
    let m = manifest(&format!(
        "version = 1\n[[domain]]\nname = \"example.com\"\ninclude_subdomains = true\npins = [\"{A}\", \"{B}\"]\n\
         [[domain]]\nname = \"api.example.com\"\nenforce = false\npins = [\"{A}\", \"{C}\"]\n\
         [[domain]]\nname = \"deep.api.example.com\"\nenforce = false\npins = [\"{A}\", \"{C}\"]\n"
    ));
    let out = ats::generate(&m).unwrap();
    assert!(
        !out.weaknesses
            .iter()
            .any(|w| w.contains("'api.example.com' is report-only")),
        "{:?}",
        out.weaknesses
    );
    assert!(
        out.notes
            .iter()
            .any(|n| n.contains("'api.example.com'") && n.contains("stricter")),
        "{:?}",
        out.notes
    );
    // Two labels down, ATS's one-label NSIncludesSubdomains does not reach: really unpinned.
    assert!(
        out.weaknesses
            .iter()
            .any(|w| w.contains("'deep.api.example.com' is report-only")),
        "{:?}",
        out.weaknesses
    );
}

#[test]
fn nsc_certificate_transparency_per_rule_and_in_defaults() {
    let m = manifest(&format!(
        "version = 1\n[defaults]\ncertificate_transparency = true\n\
         [[domain]]\nname = \"example.com\"\ninclude_subdomains = true\npins = [\"{A}\", \"{B}\"]\n\
         [[domain]]\nname = \"api.example.com\"\npins = [\"{A}\", \"{C}\"]\n\
         [[domain]]\nname = \"legacy.example.com\"\npins = [\"{A}\", \"{C}\"]\ncertificate_transparency = false\n"
    ));
    assert_eq!(m.certificate_transparency, Some(true));
    assert!(
        m.domains
            .iter()
            .take(2)
            .all(|d| d.certificate_transparency == Some(true))
    );
    assert_eq!(m.domains[2].certificate_transparency, Some(false));
    let out = nsc::generate(&m).unwrap();
    let t = &out.text;
    // [defaults] is app-wide: base-config; a rule states its own only where NSC would inherit another.
    let base = t.find("<base-config>").unwrap();
    assert!(
        t[base..].starts_with("<base-config>\n        <certificateTransparency enabled=\"true\"/>"),
        "{t}"
    );
    assert_eq!(
        t.matches("<certificateTransparency enabled=\"true\"/>")
            .count(),
        1,
        "{t}"
    );
    let legacy = t.find("legacy.example.com").unwrap();
    let off = t
        .find("<certificateTransparency enabled=\"false\"/>")
        .unwrap();
    assert!(off > legacy, "{t}");
    assert!(out.weaknesses.is_empty(), "{:?}", out.weaknesses);
    assert!(
        out.notes.iter().any(|n| n.contains("Android 16")),
        "{:?}",
        out.notes
    );
}

#[test]
fn nsc_certificate_transparency_inherited_by_a_child_is_stated() {
    // No [defaults]: a child without a value gets its parent's in NSC.
    let src = |v: bool| {
        format!(
            "version = 1\n[[domain]]\nname = \"example.com\"\ninclude_subdomains = true\npins = [\"{A}\", \"{B}\"]\n\
             certificate_transparency = {v}\n[[domain]]\nname = \"api.example.com\"\npins = [\"{A}\", \"{C}\"]\n"
        )
    };
    let on = nsc::generate(&manifest(&src(true))).unwrap();
    assert!(on.weaknesses.is_empty(), "{:?}", on.weaknesses);
    assert!(
        on.notes
            .iter()
            .any(|n| n.contains("'api.example.com'") && n.contains("stricter")),
        "{:?}",
        on.notes
    );
    let off = nsc::generate(&manifest(&src(false))).unwrap();
    assert!(
        off.weaknesses
            .iter()
            .any(|n| n.contains("'api.example.com'")),
        "{:?}",
        off.weaknesses
    );
    assert!(!off.text.contains("<base-config>"), "{}", off.text);
}

#[test]
fn certificate_transparency_must_be_a_boolean() {
    let e = Manifest::parse(
        &format!("version = 1\n[[domain]]\nname = \"a.example\"\npins = [\"{A}\", \"{B}\"]\ncertificate_transparency = \"yes\"\n"),
        None,
    )
    .unwrap_err();
    assert!(
        e.to_string()
            .contains(":5:28: error: invalid type: string \"yes\", expected a boolean"),
        "{e}"
    );
}

#[test]
fn nsc_certificate_transparency_is_explicit_for_private_anchors() {
    // Android 16 turns CT off for a config whose own trust-anchors name a private CA unless the
    // config sets it: the generator must write the manifest's `true` there, not rely on base-config.
    let m = manifest(&format!(
        "version = 1\n[defaults]\ncertificate_transparency = true\n\
         [[domain]]\nname = \"build.corp.example\"\npins = [\"{A}\", \"{B}\"]\ntrust_anchors = [\"certs/corp.pem\"]\n"
    ));
    let t = nsc::generate(&m).unwrap().text;
    assert_eq!(
        t.matches("<certificateTransparency enabled=\"true\"/>")
            .count(),
        2,
        "{t}"
    );
}
