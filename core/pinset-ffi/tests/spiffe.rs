//! The FFI (the mobile library and the JVM) cannot verify an X.509-SVID: it applies pins to a
//! chain the platform validated. A manifest with a `spiffe` rule is therefore an error at every
//! constructor, never loaded with the rule's identity check dropped. This holds whether the core
//! is built without `spiffe` (the shipped library: refused at parse) or with it (a workspace build
//! unifies features: refused by the FFI's own check).
#![allow(clippy::unwrap_used, clippy::panic)]

use std::collections::HashMap;

use pinset_ffi::{Pinset, PinsetError};

fn ca_pem() -> String {
    let mut p = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
    p.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    p.subject_alt_names = vec![rcgen::SanType::URI(
        rcgen::string::Ia5String::try_from("spiffe://mcp.example.org").unwrap(),
    )];
    let key = rcgen::KeyPair::generate().unwrap();
    p.self_signed(&key).unwrap().pem()
}

const PINNED: &str = "[[domain]]\nname = \"api.example.com\"\n\
     pins = [\"sha256/YLh1dUR9y6Kja30RrAn7JKnbQG/uEtLMkBgFF2Fuihg=\", \
     \"sha256/sRHdihwgkaib1P1gxX8HFszlM+4hMvCalm+9a+bI2lg=\"]\n";

fn manifest(rule: &str) -> String {
    format!(
        "version = 1\n[[trust_domain]]\nname = \"mcp.example.org\"\nbundle = \"mcp.pem\"\n\
         {PINNED}[[domain]]\nname = \"tools.example.org\"\n{rule}\n"
    )
}

fn refused(r: Result<std::sync::Arc<Pinset>, PinsetError>) -> String {
    match r {
        Err(PinsetError::Manifest { reason }) => reason,
        Err(other) => panic!("expected PinsetError::Manifest, got {other:?}"),
        Ok(p) => panic!("a spiffe manifest was loaded: {p:?}"),
    }
}

#[test]
fn every_constructor_refuses_a_manifest_with_a_spiffe_rule() {
    let rules = [
        "spiffe = { id = \"spiffe://mcp.example.org/ns/prod/sa/tools\" }",
        "spiffe = { member_of = \"mcp.example.org\" }",
        // Pins alongside: loading would enforce the pins and silently drop the ID check.
        "spiffe = { prefix = \"spiffe://mcp.example.org/ns\" }\n\
         pins = [\"sha256/YLh1dUR9y6Kja30RrAn7JKnbQG/uEtLMkBgFF2Fuihg=\", \
         \"sha256/sRHdihwgkaib1P1gxX8HFszlM+4hMvCalm+9a+bI2lg=\"]",
    ];
    let mut bundle = HashMap::new();
    bundle.insert("mcp.pem".to_owned(), ca_pem().into_bytes());
    for rule in rules {
        let toml = manifest(rule);
        for reason in [
            refused(Pinset::from_toml(toml.clone())),
            refused(Pinset::from_bytes(toml.clone().into_bytes())),
            // Even with the bundle's bytes supplied.
            refused(Pinset::from_toml_with_anchors(toml.clone(), bundle.clone())),
        ] {
            assert!(
                reason.contains("cannot verify SPIFFE X.509-SVIDs")
                    && reason.contains("refused rather than enforced partly"),
                "{rule}: {reason}"
            );
        }
    }
    // The same manifest without the spiffe rule loads: the refusal is the rule's, not the file's.
    let plain = format!("version = 1\n{PINNED}");
    assert!(Pinset::from_toml(plain).is_ok());
}
