#!/usr/bin/env python3
"""Run the criterion benches, print the ratio table and write it into docs/performance.md.

Usage: python3 scripts/bench-report.py [--no-run] [--quick] [--jvm] [--no-write] [--bench NAME ...]

Reads criterion's `target/criterion/<group>/<function>/new/estimates.json` (median point
estimates), prints each target ratio against its floor or peer measured in the same run, the
stripped size of `libpinset_ffi.so` built with the `mobile` profile, and the CPU model.
Exit status 1 when a target is missed (a report, not a test: `cargo test` has no timing asserts).

Unless --no-write, the table also replaces the generated section of docs/performance.md (between
the `bench-report:begin` and `bench-report:end` markers, dated, with the command line), so the
measurements have one home; every hand-written section of that document is left as it is.

`--bench NAME` (repeatable) runs and reports only those criterion benches of core/pinset: no
peers, no JVM, no library size; the generated section then says which benches it holds.
"""
import argparse
import datetime
import io
import json
import os
import pathlib
import platform
import subprocess
import sys

ROOT = pathlib.Path(__file__).resolve().parent.parent
CRIT = ROOT / "target" / "criterion"
DOC = ROOT / "docs" / "performance.md"
BEGIN_MARK = "<!-- bench-report:begin"
BEGIN = BEGIN_MARK + " (written by scripts/bench-report.py; edits between the markers are lost) -->"
END = "<!-- bench-report:end -->"

# (bench, name, numerator id, denominator id, limit of the ratio or None)
TARGETS = [
    ("evaluate", "evaluate hit / floor", "evaluate/chain3_hit", "floor/sha256_spki_x3", 1.5),
    ("evaluate", "evaluate miss / floor", "evaluate/chain3_miss", "floor/sha256_spki_x3", None),
    ("evaluate", "evaluate hit, pin cache warm / floor", "evaluate/chain3_hit_cached", "floor/sha256_spki_x3", None),
    ("evaluate", "evaluate hit, pin cache cold / floor", "evaluate/chain3_hit_cache_cold", "floor/sha256_spki_x3", None),
    ("handshake", "handshake pinned / unpinned", "handshake/pinned", "handshake/unpinned", 1.05),
    ("sign", "sign ed25519 B.2.6 / floor", "sign/ed25519_b26", "floor/ed25519_sign_b26", 1.15),
    ("sign", "verify ed25519 B.2.6 / floor", "verify/ed25519_b26", "floor/ed25519_verify_b26", 1.15),
    # One TUF refresh cycle against the signature verifications that same cycle must do.
    ("update", "TUF cycle, nothing new (timestamp only) / its signature floor", "update/no_change",
     "floor/update_sigs/no_change", 1.5),
    ("update", "TUF cycle, new manifest accepted / its signature floor", "update/new_manifest",
     "floor/update_sigs/new_manifest", 1.5),
]
ABSOLUTE = [("evaluate", "manifest/parse_500_domains", 5e6)]  # ns
BENCHES = ["evaluate", "handshake", "sign", "update"]
SIZE_BUDGET = int(1.5 * 1024 * 1024)


def median_ns(bench_id):
    f = CRIT / bench_id / "new" / "estimates.json"
    if not f.exists():
        return None
    return json.loads(f.read_text())["median"]["point_estimate"]


def fmt_ns(ns):
    if ns is None:
        return "n/a"
    if ns >= 1e6:
        return f"{ns / 1e6:.2f} ms"
    if ns >= 1e3:
        return f"{ns / 1e3:.2f} µs"
    return f"{ns:.0f} ns"


def cpu_model():
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def so_size():
    """Stripped size of the library as shipped (scripts/build-mobile-lib.sh), and its path."""
    if not (ROOT / "core" / "pinset-ffi").exists():
        return None, None
    out = subprocess.run(["bash", str(ROOT / "scripts/build-mobile-lib.sh")], cwd=ROOT, check=True,
                         capture_output=True, text=True).stdout.strip()
    lib = pathlib.Path(out.splitlines()[-1])
    return (lib.stat().st_size if lib.exists() else None), lib


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--no-run", action="store_true", help="only read existing criterion results")
    ap.add_argument("--quick", action="store_true", help="shorter measurement (noisier)")
    ap.add_argument("--jvm", action="store_true", help="also run the JMH comparison (scripts/jvm-bench.sh)")
    ap.add_argument("--no-write", action="store_true", help="only print; leave docs/performance.md alone")
    ap.add_argument("--bench", action="append", choices=BENCHES, metavar="NAME",
                    help=f"only this criterion bench (repeatable; one of {', '.join(BENCHES)}): no peers, JVM or size")
    args = ap.parse_args()
    subset = args.bench is not None
    benches = args.bench or BENCHES
    extra = ["--warm-up-time", "1", "--measurement-time", "3"] if args.quick else []
    # Benches at a higher priority where allowed (root in CI/VMs): less scheduler noise.
    try:
        os.nice(-10)
    except OSError:
        pass
    if not args.no_run:
        for b in benches:
            if (ROOT / "core" / "pinset" / "benches" / f"{b}.rs").exists():
                subprocess.run(["cargo", "bench", "-p", "pinset", "--bench", b, "--", *extra], cwd=ROOT, check=True)
    ok = True
    print(f"CPU: {cpu_model()} ({os.cpu_count()} cores); load average {os.getloadavg()[0]:.1f} when this report was written")
    print()
    print("| ratio | numerator | denominator | ratio | target |")
    print("|---|---|---|---|---|")
    for bench, name, num, den, limit in TARGETS:
        if bench not in benches:
            continue
        n, d = median_ns(num), median_ns(den)
        ratio = n / d if n and d else None
        verdict = ""
        if limit is not None and ratio is not None:
            good = ratio <= limit
            ok &= good
            verdict = f"≤ {limit} {'✔' if good else '✘'}"
        r = f"{ratio:.2f}×" if ratio else "n/a"
        print(f"| {name} | `{num}` {fmt_ns(n)} | `{den}` {fmt_ns(d)} | {r} | {verdict} |")
    for bench, bench_id, limit in ABSOLUTE:
        if bench not in benches:
            continue
        v = median_ns(bench_id)
        good = v is not None and v <= limit
        ok &= good
        print(f"| {bench_id} | {fmt_ns(v)} | | | < {fmt_ns(limit)} {'✔' if good else '✘'} |")
    if subset:
        return 0 if ok else 1
    vectors = ROOT / "core" / "pinset" / "tests" / "data" / "rfc9421"
    py = subprocess.run([sys.executable, str(ROOT / "tests/interop/bench_sign.py"), str(vectors)], capture_output=True, text=True)
    pinset_sign = median_ns("sign/ed25519_b26")
    if py.returncode == 0 and pinset_sign:
        py_us = float(py.stdout.strip())
        print(f"| sign B.2.6: pinset / Python http-message-signatures | `sign/ed25519_b26` {fmt_ns(pinset_sign)} | Python {py_us:.0f} µs | {pinset_sign / 1000 / py_us:.3f}× | peer report |")
    else:
        print(f"| sign B.2.6 vs Python peer | not run: {py.stderr.strip()[-200:]} | | | |")
    # The Rust peer (httpsig crate), in its own crate and run (core/peer-bench).
    peer_dir = ROOT / "core" / "peer-bench"
    if not args.no_run and peer_dir.exists():
        subprocess.run(["cargo", "bench", "--bench", "peer", "--", *extra], cwd=peer_dir, check=True)
    peer_crit = peer_dir / "target" / "criterion"
    for what in ("sign", "verify"):
        f = lambda who: peer_crit / "peer" / f"{who}_{what}_b26" / "new" / "estimates.json"
        if f("pinset").exists() and f("httpsig").exists():
            p = json.loads(f("pinset").read_text())["median"]["point_estimate"]
            h = json.loads(f("httpsig").read_text())["median"]["point_estimate"]
            print(f"| {what} B.2.6: pinset / Rust httpsig 0.0.26 | `peer/pinset_{what}_b26` {fmt_ns(p)} | `peer/httpsig_{what}_b26` {fmt_ns(h)} | {p / h:.2f}× | peer report |")
    # The JVM comparison (JMH), from scripts/jvm-bench.sh: run with --jvm, else the last result.
    if args.jvm:
        subprocess.run(["bash", str(ROOT / "scripts/jvm-bench.sh")], cwd=ROOT, check=True)
    jmh = ROOT / "bindings-android" / "target" / "jmh" / "result.json"
    if jmh.exists():
        rows = {r["benchmark"].rsplit(".", 1)[1]: r["primaryMetric"]["score"] for r in json.loads(jmh.read_text())}
        for what, label, target in (("Hit", "hit, same path every call", True),
                                    ("HitFirstSight", "hit, path not seen in 64 calls", False),
                                    ("Miss", "miss", False)):
            p, o = rows.get(f"pinset{what}"), rows.get(f"okhttp{what}")
            if p and o:
                # The comparison is the same chain and host (the steady state of every
                # handshake with one server); first sight and misses are reported, not targets.
                if target:
                    ok &= p <= o
                verdict = f"≤ 1.0 {'✔' if p <= o else '✘'}" if target else "report"
                print(f"| JVM check {label}: pinset `Pinset.enforce` / OkHttp `CertificatePinner.check` (JMH) | {p:.0f} ns | {o:.0f} ns | {p / o:.2f}× | {verdict} |")
        for k in ("ffiFastPathJniCallOnly", "ffiFastPathCallOnly", "ffiRoundTripIsPinned", "encodeChain", "encodeChainFirstSight"):
            if k in rows:
                print(f"| JVM cost alone: `{k}` | {rows[k]:.0f} ns | | | report |")
    size, _ = so_size()
    if size is not None:
        good = size <= SIZE_BUDGET
        ok &= good
        print(f"| libpinset_ffi.so (x86_64 Linux, as shipped: profile mobile, stripped, packed relocs) | {size / 1024 / 1024:.2f} MiB | | | ≤ 1.5 MiB {'✔' if good else '✘'} |")
    return 0 if ok else 1


class Tee(io.TextIOBase):
    """Copies what main() prints (the report; cargo's output goes to the terminal directly)."""

    def __init__(self, real):
        self.real, self.buf = real, io.StringIO()

    def write(self, s):
        self.buf.write(s)
        return self.real.write(s)

    def flush(self):
        self.real.flush()


def generated_section(report, argv, rc, today):
    cmd = " ".join(["python3 scripts/bench-report.py", *argv])
    verdict = "every target met" if rc == 0 else "**a target was missed** (exit status 1)"
    source = ("medians as earlier runs left them in target/criterion (--no-run)" if "--no-run" in argv
              else "medians of this run; a ratio's two numbers come from the same run")
    if any(a.startswith("--bench") for a in argv):
        source += ("; only the benches named by --bench are reported (no peers, JVM rows or library"
                   " size: the last full run's numbers are in the dated sections below)")
    return "\n".join([
        BEGIN,
        f"## Benchmark report ({today}, generated)",
        "",
        f"`{cmd}`: {verdict}; {source}.",
        "",
        report.strip(),
        END,
    ])


def write_doc(doc, section):
    """Replaces the generated section of `doc`, or inserts it before the first `## ` heading."""
    text = doc.read_text() if doc.exists() else "# Performance measurements\n"
    if BEGIN_MARK in text and END in text:
        start = text.index(BEGIN_MARK)
        stop = text.index(END) + len(END)
        text = text[:start] + section + text[stop:]
    else:
        at = text.find("\n## ")
        at = len(text) if at < 0 else at + 1
        text = text[:at] + section + "\n\n" + text[at:]
    doc.write_text(text if text.endswith("\n") else text + "\n")


if __name__ == "__main__":
    tee = Tee(sys.stdout)
    sys.stdout = tee
    rc = main()
    sys.stdout = tee.real
    if "--no-write" in sys.argv[1:]:
        pass
    elif not CRIT.exists():
        print(f"no criterion results in {CRIT.relative_to(ROOT)}: {DOC.relative_to(ROOT)} left as it is", file=sys.stderr)
    else:
        write_doc(DOC, generated_section(tee.buf.getvalue(), sys.argv[1:], rc, datetime.date.today().isoformat()))
        print(f"wrote the generated section of {DOC.relative_to(ROOT)}")
    sys.exit(rc)
