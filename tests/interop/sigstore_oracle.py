"""Oracle for pinset's Sigstore bundle verification: sigstore-python (PyPI `sigstore`, pinned in
requirements.txt) verifies the same fixtures offline, against the same test-made trusted root.

Usage: python3 sigstore_oracle.py CASES_DIR
CASES_DIR/cases.json lists {"dir", "san", "issuer", "sct"?}; each dir holds artifact, bundle.json
and trusted_root.json. Prints one JSON object {dir: "accept" | "reject: <reason>"}.

One step is switched off unless a case sets "sct": true, and named: embedded SCT verification
(`verify_sct`), which pinset does not do in this phase (the test-made fixtures carry no SCTs; the
real public bundles of tests/data/sigstore-public do, and are checked with it on). For DSSE bundles sigstore-python returns the
payload and leaves the subject check to the caller (its docs say so); this harness does it the way
an in-toto consumer would: the statement must name the artifact's sha256.
"""

import hashlib
import json
import sys
from pathlib import Path

import sigstore.verify.verifier as verifier_mod
from sigstore.models import Bundle, TrustedRoot
from sigstore.verify import Verifier, policy

_verify_sct = verifier_mod.verify_sct
CHECK_SCT = False


def _sct(*args, **kwargs):
    if CHECK_SCT:
        _verify_sct(*args, **kwargs)


verifier_mod.verify_sct = _sct


def verify(d: Path, san: str, issuer: str) -> str:
    artifact = (d / "artifact").read_bytes()
    try:
        root = TrustedRoot.from_file(str(d / "trusted_root.json"))
        bundle = Bundle.from_json((d / "bundle.json").read_bytes())
        v = Verifier(trusted_root=root)
        pol = policy.Identity(identity=san, issuer=issuer)
        if bundle._dsse_envelope is not None:
            ptype, payload = v.verify_dsse(bundle, pol)
            if ptype != "application/vnd.in-toto+json":
                return f"reject: payload type {ptype}"
            st = json.loads(payload)
            want = hashlib.sha256(artifact).hexdigest()
            if not any(s.get("digest", {}).get("sha256") == want for s in st.get("subject", [])):
                return "reject: no in-toto subject names the artifact"
        else:
            v.verify_artifact(artifact, bundle, pol)
        return "accept"
    except Exception as e:  # every failure is a rejection; the reason is for the report
        return f"reject: {type(e).__name__}: {e}"


def main() -> None:
    global CHECK_SCT
    base = Path(sys.argv[1])
    cases = json.loads((base / "cases.json").read_text())
    out = {}
    for c in cases:
        CHECK_SCT = bool(c.get("sct", False))
        out[c["dir"]] = verify(base / c["dir"], c["san"], c["issuer"])
    print(json.dumps(out))


if __name__ == "__main__":
    main()
