"""Ingest throughput and peak memory at scale, beside ccusage reading the same corpus.

Generates (or reuses) a synthetic corpus of at least 500 MB with `corpus_gen.py`, warms the page
cache, then runs `trajectory-miner ingest --json` into a fresh data home and `ccusage claude
session --json --offline` over the same `CLAUDE_CONFIG_DIR`, and prints for each: seconds, MB/s
of JSONL read, the CPU seconds of the child and the worker processes it waited for (on a machine
that other work shares, these move less than the wall time), and the peak RSS of the child
process (from `wait4`, so per child). It also times
the capture alone (ingest without the scoring that follows it), the parse alone (every file read
and turned into rows in one process, nothing stored), a second ingest with nothing new, and sets
the counts ingest reports beside the corpus manifest. The target is twice the MB/s of the
TypeScript ccusage (18 and before); a native ccusage (20 on) is printed as a far anchor.
`--ccusage` may be repeated, e.g. to set the native ccusage 20 beside the TypeScript ccusage 18.

    python bench/ingest.py [--corpus DIR] [--target-mb 500 | --quick] [--seed 1] [--ccusage CMD ...]
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
import corpus_gen  # noqa: E402

MB = 1_000_000
RSS_TARGET_MB = 300
SPEED_TARGET = 2.0  # times the TypeScript ccusage's MB/s
NATIVE_CCUSAGE_MAJOR = 20
# ingest's report key -> the manifest total it should equal
COUNTERPARTS = {
    "files": "files",
    "bytes": "bytes",
    "steps": "tool_calls",
    "tool_errors": "error_results",
    "skipped_lines": "malformed_lines",
}


@dataclass
class Run:
    """One measured child process."""

    label: str
    seconds: float
    cpu_seconds: float
    peak_rss_mb: float
    exit_code: int
    stdout: str
    stderr: str

    def mb_per_s(self, corpus_bytes: int) -> float:
        return corpus_bytes / MB / self.seconds if self.seconds > 0 else 0.0


def measure(label: str, cmd: list[str], env: dict[str, str], workdir: Path) -> Run:
    """Run `cmd` to completion; wall time, and the CPU time and peak RSS of it and the children it
    waited for."""
    out_path, err_path = workdir / f"{label}.out", workdir / f"{label}.err"
    with out_path.open("wb") as out, err_path.open("wb") as err:
        start = time.perf_counter()
        proc = subprocess.Popen(cmd, env=env, stdout=out, stderr=err, stdin=subprocess.DEVNULL)
        _, status, usage = os.wait4(proc.pid, 0)
        seconds = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    rss_bytes = usage.ru_maxrss * (1 if sys.platform == "darwin" else 1024)  # Linux counts in KiB
    out_text = out_path.read_text(encoding="utf-8", errors="replace")
    err_text = err_path.read_text(encoding="utf-8", errors="replace")
    cpu = usage.ru_utime + usage.ru_stime
    return Run(label, seconds, cpu, rss_bytes / 2**20, proc.returncode, out_text, err_text)


def corpus_files(root: Path) -> list[Path]:
    return sorted((root / "projects").rglob("*.jsonl"))


def warm_cache(files: list[Path]) -> None:
    """Read the corpus once so neither tool pays for the first read from disk."""
    for path in files:
        with path.open("rb") as fh:
            while fh.read(1 << 20):
                pass


def ensure_corpus(root: Path, target_mb: float, seed: int) -> tuple[dict[str, Any], float | None]:
    """The corpus manifest, generating the corpus first if `root` has none; and how long that took."""
    manifest_path = root / corpus_gen.MANIFEST
    if manifest_path.exists():
        return json.loads(manifest_path.read_text(encoding="utf-8")), None
    start = time.perf_counter()
    corpus_gen.generate(root, 1, seed, target_bytes=int(target_mb * MB))
    seconds = time.perf_counter() - start
    return json.loads(manifest_path.read_text(encoding="utf-8")), seconds


def run_ccusage(command: list[str], corpus: Path, workdir: Path) -> Run | str:
    """ccusage's session report over the corpus, or why it could not run."""
    if shutil.which(command[0]) is None and not Path(command[0]).exists():
        return f"{command[0]} not found"
    home = workdir / "ccusage-home"  # keeps ccusage off the real ~/.claude and other agents' data
    home.mkdir(exist_ok=True)
    env = {**os.environ, "HOME": str(home), "CLAUDE_CONFIG_DIR": str(corpus), "NO_COLOR": "1"}
    probe = measure("ccusage-version", [*command, "--version"], env, workdir)
    if probe.exit_code != 0:
        return (probe.stderr.strip() or probe.stdout.strip() or "no output").splitlines()[0]
    version = probe.stdout.strip().splitlines()[-1] if probe.stdout.strip() else ""
    label = version if version.startswith("ccusage") else f"ccusage {version}".strip()
    run = measure(label, [*command, "claude", "session", "--json", "--offline"], env, workdir)
    if run.exit_code != 0:  # ccusage before the per-agent subcommands
        run = measure(label, [*command, "session", "--json", "--offline"], env, workdir)
    return run


# The same capture as `ingest`, without the scoring of the sessions it touched that follows it.
CAPTURE_ONLY = """
import sys
from pathlib import Path
from trajectory_miner.config import Config
from trajectory_miner.capture.ingest import ingest_paths
from trajectory_miner.store import open_store
with open_store(Path(sys.argv[1])) as store:
    ingest_paths(store, [Path(sys.argv[2])], Config())
"""


# The parse alone, in one process: what a worker does, without the store.
PARSE_ONLY = """
import sys
from pathlib import Path
from trajectory_miner.config import Config
from trajectory_miner.capture.ingest import IngestReport, _worker_redactor, find_transcripts, read_file
config, report = Config(), IngestReport()
redact = _worker_redactor(config)
for path in find_transcripts(Path(sys.argv[1])):
    for _ in read_file(None, path, config, redact, report):
        pass
"""


def _load() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def _major(label: str) -> int | None:
    """The major version in a label such as "ccusage 18.0.11"."""
    for word in label.split():
        head = word.split(".", 1)[0]
        if head.isdigit():
            return int(head)
    return None


def parse_json(run: Run) -> dict[str, Any]:
    try:
        data = json.loads(run.stdout)
    except json.JSONDecodeError:
        return {}
    return data if isinstance(data, dict) else {}


def print_runs(runs: list[Run], corpus_bytes: int) -> None:
    print(f"\n{'':32} {'seconds':>9} {'MB/s':>9} {'CPU s':>9} {'peak RSS MB':>12} {'exit':>5}")
    for run in runs:
        rate = f"{run.mb_per_s(corpus_bytes):9.1f}" if run.label != "re-ingest" else f"{'-':>9}"
        figures = f"{run.seconds:9.2f} {rate} {run.cpu_seconds:9.2f} {run.peak_rss_mb:12.1f} {run.exit_code:5d}"
        print(f"{run.label:32} {figures}")


def print_targets(ingest: Run, ccusages: list[Run | str], corpus_bytes: int) -> None:
    ours = ingest.mb_per_s(corpus_bytes)
    print("\ntargets")
    for ccusage in ccusages:
        if isinstance(ccusage, Run) and ccusage.exit_code == 0:
            theirs = ccusage.mb_per_s(corpus_bytes)
            major = _major(ccusage.label)
            if major is not None and major >= NATIVE_CCUSAGE_MAJOR:
                print(
                    f"  beside {ccusage.label} (native, an anchor): {ours:.1f} vs {theirs:.1f} ({ours / theirs:.2f}x)"
                )
                continue
            verdict = "met" if ours >= SPEED_TARGET * theirs else "NOT met"
            print(
                f"  ingest MB/s >= {SPEED_TARGET:g}x {ccusage.label} MB/s: {verdict}:"
                f" {ours:.1f} vs {theirs:.1f} ({ours / theirs:.2f}x)"
            )
        else:
            print(f"  ingest MB/s >= ccusage MB/s: not measured: ccusage did not run ({ccusage})")
    verdict = "met" if ingest.peak_rss_mb < RSS_TARGET_MB else "NOT met"
    print(f"  ingest peak RSS < {RSS_TARGET_MB} MB: {verdict}: {ingest.peak_rss_mb:.1f} MB")


def print_counts(report: dict[str, Any], manifest: dict[str, Any], ccusages: list[Run | str]) -> None:
    totals = manifest["totals"]
    print(f"\n{'ingest reported':30} {'value':>12} {'corpus truth':>14}")
    for key, value in report.items():
        if not isinstance(value, int | float) or isinstance(value, bool):
            continue
        truth = totals.get(COUNTERPARTS.get(key, ""), "")
        if key == "sessions":
            truth = totals["sessions"] + totals["subagent_runs"]  # a subagent run is a session of its own
        mark = "" if truth == "" or str(truth) == str(value) else "  <- differs"
        print(f"{key:30} {value:12} {truth!s:>14}{mark}")
    if report.get("unknown_entry_types"):
        print(f"{'unknown_entry_types':30} {json.dumps(report['unknown_entry_types'])}")
    for ccusage in ccusages:
        if isinstance(ccusage, Run) and isinstance(sessions := parse_json(ccusage).get("sessions"), list):
            print(f"{ccusage.label + ' sessions':30} {len(sessions):12}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Ingest throughput and memory, beside ccusage.")
    parser.add_argument("--corpus", type=Path, help="corpus root to reuse, or to generate into and keep")
    parser.add_argument("--target-mb", type=float, default=500.0)
    parser.add_argument("--quick", action="store_true", help="a 50 MB corpus")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--ccusage", action="append", help="ccusage command (default: on PATH); repeat to compare several"
    )
    parser.add_argument("--miner", default=f"{shlex.quote(sys.executable)} -m trajectory_miner")
    args = parser.parse_args(argv)
    target_mb = 50.0 if args.quick else args.target_mb
    with tempfile.TemporaryDirectory(prefix="tm-bench-") as tmp:
        work = Path(tmp)
        root = args.corpus or work / "corpus"
        manifest, gen_seconds = ensure_corpus(root, target_mb, args.seed)
        files = corpus_files(root)
        corpus_bytes = sum(p.stat().st_size for p in files)
        made = f"generated in {gen_seconds:.1f} s" if gen_seconds is not None else "reused"
        sessions, seed = manifest["totals"]["sessions"], manifest["seed"]
        print(f"corpus {root}: {corpus_bytes / MB:.1f} MB of JSONL in {len(files)} files")
        print(f"  {sessions} sessions, seed {seed} ({made})")
        # Wall times move with whatever else the machine runs; CPU seconds move less.
        print(f"  load average before: {_load()}")
        if corpus_bytes < target_mb * MB * 0.95:
            print(f"  note: smaller than the {target_mb:.0f} MB asked for")
        warm_cache(files)
        home = work / "miner-home"
        env = {**os.environ, "TRAJECTORY_MINER_HOME": str(home), "CLAUDE_CONFIG_DIR": str(root)}
        miner = [*shlex.split(args.miner), "ingest", "--json"]
        ingest = measure("trajectory-miner ingest", miner, env, work)
        again = measure("re-ingest", miner, env, work)
        capture_store = str(work / "capture-home" / "store.duckdb")
        capture_cmd = [sys.executable, "-c", CAPTURE_ONLY, capture_store, str(root / "projects")]
        capture = measure("  of which capture (no scoring)", capture_cmd, env, work)
        parse_cmd = [sys.executable, "-c", PARSE_ONLY, str(root / "projects")]
        parse = measure("  parse alone (one process)", parse_cmd, env, work)
        ccusages = [run_ccusage(shlex.split(command), root, work) for command in args.ccusage or ["ccusage"]]
        print_runs([ingest, capture, parse, again, *(run for run in ccusages if isinstance(run, Run))], corpus_bytes)
        for ccusage in ccusages:
            if not isinstance(ccusage, Run):
                print(f"{'ccusage':32} did not run: {ccusage}")
        store_mb = sum(p.stat().st_size for p in home.rglob("*") if p.is_file()) / MB if home.exists() else 0
        print(f"{'store size after ingest':30} {store_mb:9.1f} MB")
        print(f"load average after: {_load()}")
        print_targets(ingest, ccusages, corpus_bytes)
        print_counts(parse_json(ingest), manifest, ccusages)
        for run in (ingest, capture, parse, again):
            if run.exit_code != 0:
                print(f"\n{run.label} failed:\n{run.stderr[-2000:]}")
        return 0 if ingest.exit_code == 0 else 1


if __name__ == "__main__":
    raise SystemExit(main())
