#!/usr/bin/env python3
"""Python `http-message-signatures` as an RFC 9421 oracle for tests/tests/differential.rs.

  diff_peer.py sign JOBS.json OUT.json    sign each job; OUT lists the fields the signer added
  diff_peer.py verify JOBS.json OUT.json  verify each job; OUT lists ok / the error

A job carries the request as received: method, target URI, request-target, field lines in
order (repeated names kept) and the decoded body (base64). The library computes and covers
Content-Digest itself when given the body.
"""
import base64
import datetime
import json
import sys
import warnings

from cryptography.hazmat.primitives import serialization
from http_message_signatures import HTTPMessageSigner, HTTPMessageVerifier, HTTPSignatureKeyResolver, algorithms

ALGS = {"ed25519": algorithms.ED25519, "ecdsa-p256-sha256": algorithms.ECDSA_P256_SHA256}


class Fields:
    """Field lines in order, repeated names kept (what the library's resolver reads)."""

    def __init__(self, lines):
        self.lines = [(n, v) for n, v in lines]

    def items(self):
        return list(self.lines)

    def __iter__(self):
        return iter(dict.fromkeys(n for n, _ in self.lines))

    def __contains__(self, name):
        return any(n.lower() == name.lower() for n, _ in self.lines)

    def __setitem__(self, name, value):
        del self[name]
        self.lines.append((name, value))

    def __delitem__(self, name):
        self.lines = [(n, v) for n, v in self.lines if n.lower() != name.lower()]


class Msg:
    def __init__(self, job):
        self.method = job["method"]
        self.url = job["target_uri"]
        self.request_target = job["request_target"]
        self.headers = Fields(job["headers"])


class Key(HTTPSignatureKeyResolver):
    def __init__(self, job):
        self.job = job

    def resolve_private_key(self, key_id):
        with open(self.job["private_key"], "rb") as f:
            return serialization.load_pem_private_key(f.read(), None)

    def resolve_public_key(self, key_id):
        with open(self.job["public_key"], "rb") as f:
            return serialization.load_pem_public_key(f.read())


def sign(job):
    msg = Msg(job)
    before = list(msg.headers.items())
    body = base64.b64decode(job["body"])
    signer = HTTPMessageSigner(signature_algorithm=ALGS[job["alg"]], key_resolver=Key(job))
    signer.sign(msg, key_id=job["keyid"], label=job["label"], nonce=job["nonce"],
                covered_component_ids=job["components"], body=body if body else None)
    added = [list(kv) for kv in msg.headers.items() if kv not in before]
    return {"id": job["id"], "ok": True, "headers": added}


def verify(job):
    msg = Msg(job)
    body = base64.b64decode(job["body"])
    v = HTTPMessageVerifier(signature_algorithm=ALGS[job["alg"]], key_resolver=Key(job))
    v.allow_label_only_selection = True
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = v.verify(msg, expect_label=job["label"], max_age=datetime.timedelta(minutes=10),
                       require_components=job["components"], body=body)
    if len(res) != 1:
        raise ValueError(f"{len(res)} results")
    return {"id": job["id"], "ok": True}


def main():
    if len(sys.argv) != 4 or sys.argv[1] not in ("sign", "verify"):
        print(__doc__)
        sys.exit(2)
    with open(sys.argv[2]) as f:
        jobs = json.load(f)
    run = sign if sys.argv[1] == "sign" else verify
    out = []
    for job in jobs:
        try:
            out.append(run(job))
        except Exception as e:  # noqa: BLE001 - every failure is reported to the Rust side
            out.append({"id": job["id"], "ok": False, "error": f"{type(e).__name__}: {e}"})
    with open(sys.argv[3], "w") as f:
        json.dump(out, f)


if __name__ == "__main__":
    main()
