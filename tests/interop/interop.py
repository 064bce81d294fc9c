#!/usr/bin/env python3
"""Interop with the independent Python implementation `http-message-signatures` (3.0.0).

  interop.py gen DIR      generate keys and requests; sign each request with Python for every
                          algorithm; write DIR/python-signed/*.http and DIR/index.json
  interop.py verify FILE  verify every request listed in FILE (JSON) with Python; prints
                          'N passed, N failed' and exits 1 on any failure

Requests vary methods, query strings (percent-encoded unicode), unicode bodies, empty and large
bodies. Keys are generated fresh on every run.
"""
import base64
import datetime
import json
import os
import pathlib
import secrets
import sys

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
from http_message_signatures import HTTPMessageSigner, HTTPMessageVerifier, HTTPSignatureKeyResolver, algorithms
from http_message_signatures.structures import CaseInsensitiveDict

ALGS = {
    "ed25519": algorithms.ED25519,
    "ecdsa-p256-sha256": algorithms.ECDSA_P256_SHA256,
    "ecdsa-p384-sha384": algorithms.ECDSA_P384_SHA384,
    "rsa-pss-sha512": algorithms.RSA_PSS_SHA512,
    "rsa-v1_5-sha256": algorithms.RSA_V1_5_SHA256,
    "hmac-sha256": algorithms.HMAC_SHA256,
}


class Msg:
    def __init__(self, method, url, headers, body):
        self.method, self.url, self.headers, self.body = method, url, headers, body


def requests():
    big = ("x" * 1000 + "\n") * 300  # ~300 KB
    return [
        ("GET", "/", "", {}, b""),
        ("GET", "/search", "q=caf%C3%A9&lang=fr&empty=", {"accept": "application/json"}, b""),
        ("POST", "/orders/42", "dry_run=1", {"content-type": "application/json"}, '{"item":"Grüße ✓","qty":3}'.encode()),
        ("PUT", "/%E2%9C%93/items", "", {"content-type": "text/plain; charset=utf-8"}, "ünïcödé body\n".encode()),
        ("DELETE", "/sessions/abc", "force=true", {}, b""),
        ("PATCH", "/profile", "", {"content-type": "application/octet-stream"}, big.encode()),
        ("POST", "/empty", "a=1&b=2", {"content-type": "application/json"}, b""),
    ]


def write_keys(d):
    keys = {}
    def pem_pair(name, priv):
        (d / f"{name}.key.pem").write_bytes(priv.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
        (d / f"{name}.pub.pem").write_bytes(priv.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo))
        keys[name] = {"private": str(d / f"{name}.key.pem"), "public": str(d / f"{name}.pub.pem")}
        return priv
    pem_pair("ed25519", ed25519.Ed25519PrivateKey.generate())
    pem_pair("ecdsa-p256-sha256", ec.generate_private_key(ec.SECP256R1()))
    pem_pair("ecdsa-p384-sha384", ec.generate_private_key(ec.SECP384R1()))
    rsa_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem_pair("rsa-pss-sha512", rsa_key)
    pem_pair("rsa-v1_5-sha256", rsa_key)
    secret = secrets.token_bytes(64)
    (d / "hmac.b64").write_text(base64.b64encode(secret).decode())
    keys["hmac-sha256"] = {"private": str(d / "hmac.b64"), "public": str(d / "hmac.b64")}
    return keys


def load_key(alg, entry, private):
    path = pathlib.Path(entry["private" if private else "public"])
    if alg == "hmac-sha256":
        return base64.b64decode(path.read_text())
    if private:
        return serialization.load_pem_private_key(path.read_bytes(), None)
    return serialization.load_pem_public_key(path.read_bytes())


class Resolver(HTTPSignatureKeyResolver):
    def __init__(self, alg, entry):
        self.alg, self.entry = alg, entry

    def resolve_private_key(self, key_id):
        return load_key(self.alg, self.entry, True)

    def resolve_public_key(self, key_id):
        return load_key(self.alg, self.entry, False)


def raw_http(method, target, headers, body):
    lines = [f"{method} {target} HTTP/1.1"] + [f"{k}: {v}" for k, v in headers.items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body


def gen(d):
    d = pathlib.Path(d)
    (d / "python-signed").mkdir(parents=True, exist_ok=True)
    keys = write_keys(d)
    index, plain = [], []
    for i, (method, path, query, extra, body) in enumerate(requests()):
        target = path + (f"?{query}" if query else "")
        headers = CaseInsensitiveDict({"host": "api.example.com", **extra})
        if body:
            headers["content-length"] = str(len(body))
        unsigned = d / f"request-{i}.http"
        unsigned.write_bytes(raw_http(method, target, headers, body))
        plain.append(str(unsigned))
        for alg, entry in keys.items():
            h = CaseInsensitiveDict(dict(headers))
            msg = Msg(method, f"https://api.example.com{target}", h, body)
            covered = ["@method", "@target-uri", "@authority", "@path", "@query"] + list(extra)
            if query:
                first = query.split("&")[0].split("=")[0]
                covered.append(f'"@query-param";name="{first}"')
            signer = HTTPMessageSigner(signature_algorithm=ALGS[alg], key_resolver=Resolver(alg, entry))
            signer.sign(msg, key_id=f"py-{alg}", label="py", nonce=secrets.token_urlsafe(12),
                        covered_component_ids=covered, body=body if body else None)
            out = d / "python-signed" / f"request-{i}-{alg}.http"
            out.write_bytes(raw_http(method, target, h, body))
            index.append({"file": str(out), "alg": alg, "key": entry["public"], "label": "py"})
    (d / "index.json").write_text(json.dumps({"keys": keys, "python_signed": index, "requests": plain}, indent=1))


def parse_raw(raw, scheme="https"):
    head, _, body = raw.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    method, target, _ = lines[0].split(" ", 2)
    headers = CaseInsensitiveDict()
    for line in lines[1:]:
        k, v = line.split(":", 1)
        headers[k.strip()] = v.strip() if k.lower() not in headers else headers[k] + ", " + v.strip()
    return Msg(method, f"{scheme}://{headers['host']}{target}", headers, body)


def verify(index_file):
    entries = json.loads(pathlib.Path(index_file).read_text())
    passed = failed = 0
    for e in entries:
        msg = parse_raw(pathlib.Path(e["file"]).read_bytes(), e.get("scheme", "https"))
        v = HTTPMessageVerifier(signature_algorithm=ALGS[e["alg"]], key_resolver=Resolver(e["alg"], {"public": e["key"], "private": e["key"]}))
        v.allow_label_only_selection = True
        try:
            import warnings
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                res = v.verify(msg, expect_label=e["label"], max_age=datetime.timedelta(minutes=10), body=msg.body)
            assert len(res) == 1
            passed += 1
        except Exception as ex:  # noqa: BLE001 - report every failure, then fail
            failed += 1
            print(f"FAIL {e['file']} ({e['alg']}): {type(ex).__name__}: {ex}")
    print(f"{passed} passed, {failed} failed")
    return 1 if failed or not passed else 0


if __name__ == "__main__":
    if len(sys.argv) != 3 or sys.argv[1] not in ("gen", "verify"):
        print(__doc__)
        sys.exit(2)
    if sys.argv[1] == "gen":
        gen(sys.argv[2])
    else:
        sys.exit(verify(sys.argv[2]))
