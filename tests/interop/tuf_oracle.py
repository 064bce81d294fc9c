#!/usr/bin/env python3
"""python-tuf as the oracle for pinset's TUF client (run by core/pinset-cli/tests/tuf_python.rs).

  tuf_oracle.py scenarios OUT   build every scenario repository with python-tuf's Metadata API
                                (one directory per step) and run python-tuf's ngclient.Updater
                                over the steps; print a JSON list of scenarios and outcomes.
  tuf_oracle.py client REPO ROOT STATE
                                one python-tuf refresh + target download against REPO (metadata/,
                                targets/) trusting ROOT, with STATE as its metadata directory;
                                print "accept" or "reject:<error>".

Fixtures are generated at test time: nothing here is a stored expected result.
"""

import copy
import datetime
import hashlib
import json
import os
import shutil
import sys

from securesystemslib.signer import CryptoSigner
from tuf.api.exceptions import DownloadHTTPError
from tuf.api.metadata import (
    DelegatedRole,
    Delegations,
    Metadata,
    MetaFile,
    Root,
    Snapshot,
    TargetFile,
    Targets,
    Timestamp,
)
from tuf.api.serialization.json import JSONSerializer
from tuf.ngclient import FetcherInterface, Updater

TARGET = "pinset/manifest.toml"
PIN_A = "sha256/YLh1dUR9y6Kja30RrAn7JKnbQG/uEtLMkBgFF2Fuihg="
PIN_B = "sha256/sRHdihwgkaib1P1gxX8HFszlM+4hMvCalm+9a+bI2lg="
BASE = "http://repo.invalid/"


def manifest(serial, pins=(PIN_A, PIN_B)):
    quoted = ", ".join(f'"{p}"' for p in pins)
    return (
        f'version = 1\nserial = {serial}\n\n[[domain]]\nname = "api.example.com"\npins = [{quoted}]\n'
    ).encode()


def now():
    return datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0)


class DirFetcher(FetcherInterface):
    """Serves BASE/... from a directory; a missing file is HTTP 404."""

    def __init__(self, root):
        self.root = root

    def _fetch(self, url):
        path = os.path.join(self.root, url[len(BASE):])
        if not url.startswith(BASE) or not os.path.isfile(path):
            raise DownloadHTTPError(f"{url} not found", 404)
        with open(path, "rb") as f:
            yield f.read()


def python_client(repo, root_bytes, state):
    """One refresh and target download; 'accept' or 'reject:<ErrorType>'."""
    os.makedirs(state, exist_ok=True)
    targets_dir = os.path.join(state, "_targets")
    os.makedirs(targets_dir, exist_ok=True)
    try:
        up = Updater(
            metadata_dir=state,
            metadata_base_url=BASE + "metadata/",
            target_dir=targets_dir,
            target_base_url=BASE + "targets/",
            fetcher=DirFetcher(repo),
            bootstrap=root_bytes,
        )
        up.refresh()
        info = up.get_targetinfo(TARGET)
        if info is None:
            return "reject:NoTarget"
        up.download_target(info)
        return "accept"
    except Exception as e:  # every failure is a refusal; the type is the detail
        return f"reject:{type(e).__name__}"


class Repo:
    """A repository built with python-tuf's Metadata API, written in the consistent-snapshot layout."""

    def __init__(self, keytype="ed25519", consistent=True):
        gen = {
            "ed25519": CryptoSigner.generate_ed25519,
            "ecdsa": CryptoSigner.generate_ecdsa,
            "rsa": CryptoSigner.generate_rsa,
        }[keytype]
        self.gen = gen
        self.signers = {r: [gen()] for r in ("root", "timestamp", "snapshot", "targets")}
        exp = now() + datetime.timedelta(days=30)
        self.root = Metadata(Root(expires=now() + datetime.timedelta(days=365), consistent_snapshot=consistent))
        for role, ss in self.signers.items():
            for s in ss:
                self.root.signed.add_key(s.public_key, role)
        self.targets = Metadata(Targets(expires=exp))
        self.snapshot = Metadata(Snapshot(expires=exp))
        self.timestamp = Metadata(Timestamp(expires=exp))
        self.targets.signed.version = 0
        self.snapshot.signed.version = 0
        self.timestamp.signed.version = 0
        self.files = {}
        self.consistent = consistent
        self.put_root()

    def sign(self, md, role, signers=None):
        md.signatures.clear()
        for s in signers if signers is not None else self.signers[role]:
            md.sign(s, append=True)
        return md.to_bytes(JSONSerializer(compact=False))

    def put_root(self, signers=None):
        v = self.root.signed.version
        self.files[f"metadata/{v}.root.json"] = self.sign(self.root, "root", signers)

    def rotate(self, role, new_threshold=None):
        """Root N+1 with a fresh key for `role`, signed by the old and the new root keys."""
        old_root = list(self.signers["root"])
        for s in self.signers[role]:
            self.root.signed.revoke_key(s.public_key.keyid, role)
        self.signers[role] = [self.gen()]
        for s in self.signers[role]:
            self.root.signed.add_key(s.public_key, role)
        if new_threshold:
            self.root.signed.roles[role].threshold = new_threshold
        self.root.signed.version += 1
        signers = old_root + [s for s in self.signers["root"] if s not in old_root]
        self.put_root(signers)

    def name(self, role, version):
        return f"metadata/{version}.{role}.json" if self.consistent else f"metadata/{role}.json"

    def put_targets(self):
        self.files[self.name("targets", self.targets.signed.version)] = self.sign(self.targets, "targets")

    def put_snapshot_timestamp(self, ts_hashes=False):
        data = self.sign(self.snapshot, "snapshot")
        self.files[self.name("snapshot", self.snapshot.signed.version)] = data
        self.timestamp.signed.version += 1
        meta = MetaFile(self.snapshot.signed.version)
        if ts_hashes:
            meta = MetaFile(self.snapshot.signed.version, len(data), {"sha256": hashlib.sha256(data).hexdigest()})
        self.timestamp.signed.snapshot_meta = meta
        self.files["metadata/timestamp.json"] = self.sign(self.timestamp, "timestamp")

    def publish(self, data, ts_hashes=False):
        self.targets.signed.version += 1
        tf = TargetFile.from_data(TARGET, data, ["sha256"])
        self.targets.signed.targets[TARGET] = tf
        sha = tf.hashes["sha256"]
        name = f"targets/pinset/{sha}.manifest.toml" if self.consistent else f"targets/{TARGET}"
        self.files[name] = data
        self.put_targets()
        self.snapshot.signed.version += 1
        self.snapshot.signed.meta["targets.json"] = MetaFile(self.targets.signed.version)
        self.put_snapshot_timestamp(ts_hashes)

    def write(self, path):
        for name, data in self.files.items():
            p = os.path.join(path, name)
            os.makedirs(os.path.dirname(p), exist_ok=True)
            with open(p, "wb") as f:
                f.write(data)


def edit_json(data, fn):
    doc = json.loads(data)
    fn(doc)
    return json.dumps(doc, indent=1).encode()


# ----- scenarios: each returns (repo, [step mutators]) ------------------------------------------
# A step mutator changes the repository before that step's client run. Serials rise with the step
# so pinset's serial rule never decides a TUF scenario.


def sc_basic(r):
    return [lambda: r.publish(manifest(2))]


def sc_no_change(r):
    return [lambda: r.publish(manifest(2)), lambda: None]


def sc_ecdsa_keys(r):
    return [lambda: r.publish(manifest(2))]


def sc_plain_names(r):
    return [lambda: r.publish(manifest(2))]


def sc_timestamp_rollback(r):
    saved = {}

    def s0():
        r.publish(manifest(2))
        saved["ts"] = r.files["metadata/timestamp.json"]

    def s2():
        r.files["metadata/timestamp.json"] = saved["ts"]

    return [s0, lambda: r.publish(manifest(3)), s2]


def sc_snapshot_version_rollback_in_timestamp(r):
    """A higher timestamp version listing a lower snapshot version (rust-tuf #294)."""

    def s2():
        r.timestamp.signed.version += 1
        r.timestamp.signed.snapshot_meta = MetaFile(1)
        r.files["metadata/timestamp.json"] = r.sign(r.timestamp, "timestamp")

    return [lambda: r.publish(manifest(2)), lambda: r.publish(manifest(3)), s2]


def sc_targets_rollback_in_snapshot(r):
    def s2():
        r.snapshot.signed.version += 1
        r.snapshot.signed.meta["targets.json"] = MetaFile(1)
        r.put_snapshot_timestamp()

    return [lambda: r.publish(manifest(2)), lambda: r.publish(manifest(3)), s2]


def sc_targets_removed_from_snapshot(r):
    def s1():
        r.snapshot.signed.version += 1
        r.snapshot.signed.meta = {}
        r.put_snapshot_timestamp()

    return [lambda: r.publish(manifest(2)), s1]


def expired(role):
    def sc(r):
        def s0():
            past = now() - datetime.timedelta(days=1)
            if role == "root":
                r.root.signed.expires = past
                r.root.signed.version += 1
                r.put_root()
            elif role == "targets":
                r.targets.signed.expires = past
            elif role == "snapshot":
                r.snapshot.signed.expires = past
            r.publish(manifest(2))
            if role == "timestamp":
                r.timestamp.signed.expires = past
                r.files["metadata/timestamp.json"] = r.sign(r.timestamp, "timestamp")

        return [s0]

    return sc


def sc_threshold_not_met(r):
    def s0():
        r.signers["targets"].append(r.gen())
        r.root.signed.add_key(r.signers["targets"][1].public_key, "targets")
        r.root.signed.roles["targets"].threshold = 2
        r.root.signed.version += 1
        r.put_root()
        r.publish(manifest(2))
        r.files[r.name("targets", r.targets.signed.version)] = r.sign(
            r.targets, "targets", r.signers["targets"][:1]
        )

    return [s0]


def sc_duplicate_signature_keyids(r):
    def s0():
        r.publish(manifest(2))
        r.files["metadata/timestamp.json"] = edit_json(
            r.files["metadata/timestamp.json"], lambda d: d["signatures"].append(d["signatures"][0])
        )

    return [s0]


def sc_duplicate_keys_under_two_keyids(r):
    """One targets key listed under two key ids, threshold 2, both 'signatures' by that key."""

    def s0():
        k = copy.deepcopy(r.signers["targets"][0].public_key)
        k.keyid = "deadbeef"
        r.root.signed.add_key(k, "targets")
        r.root.signed.roles["targets"].threshold = 2
        r.root.signed.version += 1
        r.put_root()
        r.publish(manifest(2))
        path = r.name("targets", r.targets.signed.version)

        def dup(d):
            s = dict(d["signatures"][0])
            s["keyid"] = "deadbeef"
            d["signatures"].append(s)

        r.files[path] = edit_json(r.files[path], dup)
        r.snapshot.signed.version += 1
        r.put_snapshot_timestamp()

    return [s0]


def sc_keytype_scheme_mismatch(r):
    def s0():
        kid = r.signers["timestamp"][0].public_key.keyid
        r.root.signed.keys[kid].scheme = "ecdsa-sha2-nistp256"
        r.root.signed.version += 1
        r.put_root()
        r.publish(manifest(2))

    return [s0]


def sc_one_bad_signature_among_good(r):
    def s0():
        r.signers["timestamp"].append(r.gen())
        r.root.signed.add_key(r.signers["timestamp"][1].public_key, "timestamp")
        r.root.signed.version += 1
        r.put_root()
        r.publish(manifest(2))

        def bad(d):
            d["signatures"][1]["sig"] = "00" * 64

        r.files["metadata/timestamp.json"] = edit_json(r.files["metadata/timestamp.json"], bad)

    return [s0]


def tamper_target(change):
    def sc(r):
        def s0():
            r.publish(manifest(2))
            name = [n for n in r.files if n.startswith("targets/")][0]
            r.files[name] = change(r.files[name])

        return [s0]

    return sc


def missing(kind):
    def sc(r):
        def s0():
            r.publish(manifest(2))
            name = {
                "timestamp": "metadata/timestamp.json",
                "snapshot": "metadata/1.snapshot.json",
                "targets": "metadata/1.targets.json",
            }.get(kind)
            if name is None:
                name = [n for n in r.files if n.startswith("targets/")][0]
            del r.files[name]

        return [s0]

    return sc


def sc_wrong_type(r):
    def s0():
        r.publish(manifest(2))
        # A snapshot signed by the timestamp key, served as timestamp.json.
        r.files["metadata/timestamp.json"] = r.sign(r.snapshot, "timestamp", r.signers["timestamp"])

    return [s0]


def sc_root_rotation_chain(r):
    def s0():
        r.rotate("root")
        r.rotate("timestamp")
        r.rotate("root")
        r.publish(manifest(2))

    return [s0]


def sc_root_version_skipped(r):
    def s0():
        r.root.signed.version = 3
        data = r.sign(r.root, "root")
        r.files["metadata/2.root.json"] = data
        r.publish(manifest(2))

    return [s0]


def sc_root_signed_by_new_keys_only(r):
    def s0():
        r.root.signed.revoke_key(r.signers["root"][0].public_key.keyid, "root")
        r.signers["root"] = [r.gen()]
        r.root.signed.add_key(r.signers["root"][0].public_key, "root")
        r.root.signed.version += 1
        r.put_root()
        r.publish(manifest(2))

    return [s0]


def sc_root_signed_by_old_keys_only(r):
    def s0():
        old = r.signers["root"]
        r.root.signed.revoke_key(old[0].public_key.keyid, "root")
        r.signers["root"] = [r.gen()]
        r.root.signed.add_key(r.signers["root"][0].public_key, "root")
        r.root.signed.version += 1
        r.put_root(old)
        r.publish(manifest(2))

    return [s0]


def sc_long_root_chain(r):
    def s0():
        for _ in range(259):
            r.root.signed.version += 1
            r.put_root()
        r.publish(manifest(2))

    return [s0]


def fast_forward(role):
    def sc(r):
        def s1():
            if role == "timestamp":
                r.timestamp.signed.version = 1000
            else:
                r.snapshot.signed.version = 1000
            r.publish(manifest(3))

        def s2():
            # The repository rotates the role's key and starts that role's versions again.
            r.rotate(role)
            if role == "timestamp":
                r.timestamp.signed.version = 0
            else:
                r.snapshot.signed.version = 0
            r.publish(manifest(4))

        return [lambda: r.publish(manifest(2)), s1, s2]

    return sc


def sc_mix_and_match(r):
    saved = {}

    def s0():
        r.publish(manifest(2))
        saved["snap"] = r.files["metadata/1.snapshot.json"]

    def s1():
        r.publish(manifest(3))
        r.files["metadata/2.snapshot.json"] = saved["snap"]

    return [s0, s1]


def sc_custom_fields(r):
    def s0():
        r.targets.signed.unrecognized_fields["x-pinset-note"] = {"rotated": True, "n": 3}
        r.publish(manifest(2))

    return [s0]


def sc_float_in_metadata(r):
    def s0():
        r.publish(manifest(2))
        text = r.files["metadata/timestamp.json"].decode()
        r.files["metadata/timestamp.json"] = text.replace('"version": 1', '"version": 1.0', 1).encode()

    return [s0]


def sc_duplicate_json_key(r):
    """Signed over version 2; the file says version 1 then 2 (Python keeps the last)."""

    def s0():
        r.publish(manifest(2))
        r.publish(manifest(3))
        text = r.files["metadata/timestamp.json"].decode()
        r.files["metadata/timestamp.json"] = text.replace(
            '"version": 2', '"version": 1,\n  "version": 2', 1
        ).encode()

    return [s0]


def sc_delegations(r):
    def s0():
        r.targets.signed.delegations = Delegations(keys={}, roles={})
        r.publish(manifest(2))

    return [s0]


def sc_manifest_fails_rules(r):
    return [lambda: r.publish(manifest(2, pins=(PIN_A,)))]


def sc_serial_below_baseline(r):
    return [lambda: r.publish(manifest(2))]


SCENARIOS = {
    "basic": (sc_basic, {}),
    "no_change": (sc_no_change, {}),
    "ecdsa_keys": (sc_ecdsa_keys, {"keytype": "ecdsa"}),
    "rsa_keys": (sc_ecdsa_keys, {"keytype": "rsa"}),
    "plain_names": (sc_plain_names, {"consistent": False}),
    "timestamp_rollback": (sc_timestamp_rollback, {}),
    "snapshot_version_rollback_in_timestamp": (sc_snapshot_version_rollback_in_timestamp, {}),
    "targets_rollback_in_snapshot": (sc_targets_rollback_in_snapshot, {}),
    "targets_removed_from_snapshot": (sc_targets_removed_from_snapshot, {}),
    "expired_root": (expired("root"), {}),
    "expired_timestamp": (expired("timestamp"), {}),
    "expired_snapshot": (expired("snapshot"), {}),
    "expired_targets": (expired("targets"), {}),
    "threshold_not_met": (sc_threshold_not_met, {}),
    "duplicate_signature_keyids": (sc_duplicate_signature_keyids, {}),
    "duplicate_keys_under_two_keyids": (sc_duplicate_keys_under_two_keyids, {}),
    "keytype_scheme_mismatch": (sc_keytype_scheme_mismatch, {}),
    "one_bad_signature_among_good": (sc_one_bad_signature_among_good, {}),
    "target_hash_mismatch": (tamper_target(lambda b: b.replace(b"api.", b"apx.")), {}),
    "target_length_mismatch": (tamper_target(lambda b: b + b"\n"), {}),
    "missing_timestamp": (missing("timestamp"), {}),
    "missing_snapshot": (missing("snapshot"), {}),
    "missing_targets": (missing("targets"), {}),
    "missing_target_file": (missing("target"), {}),
    "wrong_type": (sc_wrong_type, {}),
    "root_rotation_chain": (sc_root_rotation_chain, {}),
    "root_version_skipped": (sc_root_version_skipped, {}),
    "root_signed_by_new_keys_only": (sc_root_signed_by_new_keys_only, {}),
    "root_signed_by_old_keys_only": (sc_root_signed_by_old_keys_only, {}),
    "long_root_chain": (sc_long_root_chain, {}),
    "fast_forward_timestamp": (fast_forward("timestamp"), {}),
    "fast_forward_snapshot": (fast_forward("snapshot"), {}),
    "mix_and_match": (sc_mix_and_match, {}),
    "custom_fields": (sc_custom_fields, {}),
    "float_in_metadata": (sc_float_in_metadata, {}),
    "duplicate_json_key": (sc_duplicate_json_key, {}),
    "delegations": (sc_delegations, {}),
    "manifest_fails_rules": (sc_manifest_fails_rules, {}),
    "serial_below_baseline": (sc_serial_below_baseline, {"baseline": 5}),
}


def scenarios(out):
    results = []
    for name, (fn, opts) in SCENARIOS.items():
        baseline = opts.pop("baseline", 1) if "baseline" in opts else 1
        r = Repo(**opts)
        root_bytes = r.files["metadata/1.root.json"]
        d = os.path.join(out, name)
        os.makedirs(d)
        with open(os.path.join(d, "root.json"), "wb") as f:
            f.write(root_bytes)
        with open(os.path.join(d, "baseline.toml"), "wb") as f:
            f.write(manifest(baseline))
        state = os.path.join(d, "python-state")
        steps = []
        for i, step in enumerate(fn(r)):
            step()
            sd = os.path.join(d, f"step{i}")
            r.write(sd)
            steps.append({"dir": sd, "python": python_client(sd, root_bytes, state)})
        results.append({"name": name, "root": os.path.join(d, "root.json"),
                        "baseline": os.path.join(d, "baseline.toml"), "steps": steps})
    json.dump(results, sys.stdout, indent=1)


def main():
    if sys.argv[1] == "scenarios":
        scenarios(sys.argv[2])
    elif sys.argv[1] == "client":
        with open(sys.argv[3], "rb") as f:
            root = f.read()
        print(python_client(sys.argv[2], root, sys.argv[4]))
    else:
        sys.exit(f"unknown command {sys.argv[1]}")


if __name__ == "__main__":
    main()
