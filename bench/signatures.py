"""Time of error signatures and failure verdicts, on pathological lines and on real results.

Prints the CPU milliseconds `normalise` and `error_signature` take on a 20,000-character hex
line and on a 1 MB one (one line each, the shapes that once cost seconds), on a line of 10,000
path segments and on one of 20,000 quotes; then the results per second of `error_signature`
and of `judge` over the failure table of the tests and the error results of the shared
corpus (when it is beside the repository). CPU time keeps the figures steady on a busy
machine. Run it with `python bench/signatures.py`.
"""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path

from trajectory_miner.analysis.failures import judge
from trajectory_miner.analysis.signatures import error_signature, normalise

REPO = Path(__file__).resolve().parents[1]
TABLE = REPO / "tests" / "analysis" / "failure_table.json"
CORPUS = REPO / ".." / "shared" / "corpus"


def _cpu_ms(work: Callable[[], object], repeat: int = 3) -> float:
    best = float("inf")
    for _ in range(repeat):
        start = time.process_time()
        work()
        best = min(best, time.process_time() - start)
    return best * 1000


def _pathological() -> None:
    hex_line = ("0123456789abcdef" * 1_250)[:20_000]
    lines = {
        "hex line, 20,000 characters": hex_line,
        "hex line, 1 MB": hex_line * 50,
        "10,000 path segments": "/a" * 10_000,
        "20,000 quotes": "Error: " + "'x " * 20_000,
    }
    for name, line in lines.items():
        text = "Exit code 1\n" + line
        plain = _cpu_ms(partial(normalise, line))
        signed = _cpu_ms(partial(error_signature, "Bash", text, "python job.py"))
        print(f"{name:<30} normalise {plain:8.2f} ms   error_signature {signed:8.2f} ms")


def _results() -> list[tuple[str, str, bool, str]]:
    rows = json.loads(TABLE.read_text())["rows"]
    # Rows that point into the corpus carry no text; the corpus pass reads those results.
    found = [(r["tool"], r["output"], r["is_error"], r.get("command", "")) for r in rows if "output" in r]
    for path in sorted(CORPUS.glob("claude-code*/*.jsonl")) if CORPUS.is_dir() else []:
        commands: dict[str, tuple[str, str]] = {}
        for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
            try:
                entry = json.loads(line)
            except json.JSONDecodeError:
                continue
            message = entry.get("message") if isinstance(entry, dict) else None
            content = message.get("content") if isinstance(message, dict) else None
            for block in content if isinstance(content, list) else []:
                if not isinstance(block, dict):
                    continue
                if block.get("type") == "tool_use" and isinstance(block.get("input"), dict):
                    commands[str(block.get("id"))] = (str(block.get("name")), str(block["input"].get("command", "")))
                elif block.get("type") == "tool_result":
                    text = block.get("content")
                    if isinstance(text, list):
                        text = "\n".join(str(b.get("text", "")) for b in text if isinstance(b, dict))
                    tool, command = commands.get(str(block.get("tool_use_id")), ("", ""))
                    found.append((tool, str(text), block.get("is_error") is True, command))
    return found


def _throughput() -> None:
    results = _results()
    errors = [r for r in results if r[2]]
    signed = _cpu_ms(lambda: [error_signature(tool, text, command) for tool, text, _, command in errors])
    # Once only: `judge` reads each command with a cached parser, and a second pass would time the cache.
    judged = _cpu_ms(
        lambda: [judge(tool, text, is_error=error, command=command) for tool, text, error, command in results],
        repeat=1,
    )
    print(f"error_signature  {len(errors):6d} error results   {len(errors) / signed * 1000:10.0f} per second")
    print(f"judge            {len(results):6d} results         {len(results) / judged * 1000:10.0f} per second")


def main() -> int:
    _pathological()
    _throughput()
    return 0


if __name__ == "__main__":
    sys.exit(main())
