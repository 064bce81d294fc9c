//! Property tests: host normalisation is idempotent and rule matching is invariant under case,
//! trailing dot and IDN (U-label vs A-label) spelling; manifest → NSC → import round trips.
#![allow(clippy::unwrap_used)]

use pinset::host::canonical_host;
use pinset::{Manifest, Pin, Policy};
use proptest::prelude::*;

fn label() -> impl Strategy<Value = String> {
    prop_oneof![
        "[a-z][a-z0-9-]{0,8}[a-z0-9]".prop_map(|s| s),
        Just("bücher".to_owned()),
        Just("münchen".to_owned()),
        Just("exämple".to_owned()),
    ]
}

fn name() -> impl Strategy<Value = String> {
    (
        proptest::collection::vec(label(), 1..3),
        prop_oneof![Just("example"), Just("com"), Just("co.uk"), Just("corp")],
    )
        .prop_map(|(labels, tld)| format!("{}.{tld}", labels.join(".")))
}

fn respell(s: &str, upper: &[bool], dot: bool) -> String {
    let mut out: String = s
        .chars()
        .enumerate()
        .map(|(i, c)| {
            if upper.get(i % upper.len().max(1)).copied().unwrap_or(false) {
                c.to_uppercase().next().unwrap_or(c)
            } else {
                c
            }
        })
        .collect();
    if dot {
        out.push('.');
    }
    out
}

proptest! {
    #[test]
    fn normalisation_is_idempotent(n in name(), upper in proptest::collection::vec(any::<bool>(), 1..8), dot: bool) {
        let spelled = respell(&n, &upper, dot);
        let once = canonical_host(&spelled).unwrap().into_owned();
        let twice = canonical_host(&once).unwrap().into_owned();
        prop_assert_eq!(&once, &twice);
        prop_assert_eq!(once, canonical_host(&n).unwrap().into_owned());
    }

    #[test]
    fn matching_is_invariant_under_spelling(
        rule in name(),
        sub in proptest::option::of(label()),
        upper in proptest::collection::vec(any::<bool>(), 1..8),
        dot: bool,
        a_label: bool,
    ) {
        let pins = [Pin::of_spki(b"a"), Pin::of_spki(b"b")];
        let src = format!(
            "version = 1\n[[domain]]\nname = \"{rule}\"\ninclude_subdomains = true\npins = [\"{}\", \"{}\"]\n",
            pins[0], pins[1]
        );
        let Ok(loaded) = Manifest::parse(&src, None) else { return Ok(()) }; // e.g. a public suffix
        let policy = Policy::new(loaded.manifest);
        let host = match &sub { Some(s) => format!("{s}.{rule}"), None => rule.clone() };
        let canonical = canonical_host(&host).unwrap().into_owned();
        let spelled = if a_label { canonical.clone() } else { respell(&host, &upper, dot) };
        let reference = policy.decide(&canonical, 0, [Pin::of_spki(b"x")]).unwrap();
        prop_assert_eq!(policy.decide(&spelled, 0, [Pin::of_spki(b"x")]).unwrap(), reference);
        prop_assert_eq!(policy.decide(&respell(&canonical, &upper, dot), 0, [pins[1]]).unwrap(), policy.decide(&canonical, 0, [pins[1]]).unwrap());
        // A look-alike suffix without the label boundary never matches.
        let lookalike = format!("x{}", canonical_host(&rule).unwrap());
        prop_assert_eq!(policy.rule_index_for(&lookalike), None);
    }

    #[cfg(feature = "generate")]
    #[test]
    fn manifest_to_nsc_to_manifest(
        names in proptest::collection::btree_set("[a-z]{1,6}", 1..5),
        subs: bool,
        days in 1u8..28,
    ) {
        let mut src = String::from("version = 1\n");
        for (i, n) in names.iter().enumerate() {
            let (a, b) = (Pin::of_spki(format!("{n}a").as_bytes()), Pin::of_spki(format!("{n}b").as_bytes()));
            src.push_str(&format!(
                "[[domain]]\nname = \"{n}.example\"\ninclude_subdomains = {}\npins = [\"{a}\", \"{b}\"]\n{}",
                subs && i % 2 == 0,
                if i % 2 == 1 { format!("expires = \"2031-02-{days:02}\"\n") } else { String::new() }
            ));
        }
        let original = Manifest::parse(&src, None).unwrap().manifest;
        let xml = pinset::generate::nsc::generate(&original).unwrap();
        prop_assert!(xml.weaknesses.iter().all(|w| w.contains("local time zone")));
        let back = pinset::import::android_nsc(&xml.text, "gen").unwrap().manifest;
        let shape = |m: &Manifest| m.domains.iter().map(|d| (d.name.clone(), d.include_subdomains, d.pins.clone(), d.expires)).collect::<Vec<_>>();
        prop_assert_eq!(shape(&back), shape(&original));
        let reparsed = Manifest::parse(&back.to_toml(""), None).unwrap().manifest;
        prop_assert_eq!(shape(&reparsed), shape(&original));
    }
}
