#!/usr/bin/env python3
"""Signs the RFC 9421 B.2.6 request (ed25519, same covered components and parameters) with the
Python peer `http-message-signatures`, many times; prints the median µs per signature.

  bench_sign.py RFC9421_DATA_DIR (core/pinset/tests/data/rfc9421)
"""
import datetime
import statistics
import sys
import time
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from http_message_signatures import HTTPMessageSigner, HTTPSignatureKeyResolver, algorithms
from http_message_signatures.structures import CaseInsensitiveDict


class Msg:
    def __init__(self):
        self.method, self.url = "POST", "https://example.com/foo?param=Value&Pet=dog"
        self.headers = CaseInsensitiveDict({
            "Host": "example.com", "Date": "Tue, 20 Apr 2021 02:07:55 GMT", "Content-Type": "application/json",
            "Content-Digest": "sha-512=:WZDPaVn/7XgHaAy8pmojAkGWoRx2UFChF41A2svX+TaPm+AbwAgBWnrIiYllu7BNNyealdVLvRwEmTHWXvJwew==:",
            "Content-Length": "18"})
        self.body = b'{"hello": "world"}'


def main(shared):
    key = serialization.load_pem_private_key((Path(shared) / "keys/test-key-ed25519.private.pem").read_bytes(), None)

    class R(HTTPSignatureKeyResolver):
        def resolve_private_key(self, key_id):
            return key

    signer = HTTPMessageSigner(signature_algorithm=algorithms.ED25519, key_resolver=R())
    created = datetime.datetime.fromtimestamp(1618884473, datetime.timezone.utc)
    comps = ("date", "@method", "@path", "@authority", "content-type", "content-length")

    def once():
        m = Msg()
        signer.sign(m, key_id="test-key-ed25519", created=created, include_alg=False, label="sig-b26", covered_component_ids=comps, use_existing_digest=True)
        return m

    m = once()
    expected = (Path(shared) / "messages/B.2.6-signed.http").read_text()
    assert m.headers["Signature"] in expected, "Python did not reproduce B.2.6"
    for _ in range(200):
        once()
    rounds = []
    for _ in range(15):
        t0 = time.perf_counter()
        for _ in range(300):
            once()
        rounds.append((time.perf_counter() - t0) / 300 * 1e6)
    print(f"{statistics.median(rounds):.1f}")


if __name__ == "__main__":
    main(sys.argv[1])
