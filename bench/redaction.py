"""Throughput of `redact` on realistic transcript text, in MB of text per CPU second.

Inputs: every string of the real Claude Code transcripts in the shared corpus (when it is
present beside the repository), synthetic clean tool output (code, paths, ids, git log), and
the same synthetic text with a secret on every twentieth line, without and with two user
patterns. With `--corpus DIR` (transcripts such as `bench/corpus_gen.py` writes), also the texts
the transcript parser hands to redaction as it ingests the first `--mb` MB of them (50 by
default). Each repeat uses a fresh `Redactor`, so what it remembers of texts and runs helps only
within one pass, as in one ingest. CPU time rather than wall time keeps the figures steady on a
busy machine.

Then the time for single 1 MB lines that would make a careless pattern quadratic: hex, letters,
`a=` repeated, `@` repeated, runs of the prefixes the patterns start with, and lines that make
the redactor decode, rejoin or clip at every step. Each should take about as long as a MB of
clean text, never minutes. Run it with `python bench/redaction.py [--corpus DIR] [--mb N]
[--no-pathological]`.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
from collections.abc import Iterator
from pathlib import Path

from trajectory_miner.redaction.redactor import Redactor

CORPUS = Path(__file__).resolve().parents[1] / ".." / "shared" / "corpus"

_CLEAN_LINES = (
    "def parse_session(path: Path) -> Session:",
    '    """Read a transcript and return its turns."""',
    "    for line in path.read_text(encoding='utf-8').splitlines():",
    "/home/user/project/src/trajectory_miner/parsing/transcript_reader.py:142: in _read_entry",
    'Traceback (most recent call last):\n  File "/usr/lib/python3.11/json/decoder.py", line 337',
    "commit 3f2a9c1b8e7d6f5a4b3c2d1e0f9a8b7c6d5e4f3a\nAuthor: Dev <dev@example.com>",
    '{"sessionId": "c64cc478-3430-40fe-8e9c-4ee9986e9754", "timestamp": "2026-01-21T06:19:38.056Z"}',
    "tests/test_store.py::test_migrations_apply_in_order PASSED                       [ 42%]",
    "AbstractSingletonProxyFactoryBeanConfigurationProvider.getInstance().configure()",
    "  const apiKey = options?.apiKey ?? process.env.ANTHROPIC_API_KEY;",
    "npm WARN deprecated inflight@1.0.6: This module is not supported, and leaks memory.",
    "drwxr-xr-x  5 user user  4096 Jan 21 06:19 node_modules",
)


def _secret_lines(rng: random.Random) -> list[str]:
    alnum = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"

    def rand(n: int) -> str:
        return "".join(rng.choice(alnum) for _ in range(n))

    return [
        f"export GITHUB_TOKEN=ghp_{rand(36)}",
        f"DB_PASSWORD={rand(14)}",
        f"postgres://app:{rand(12)}@db.internal:5432/app",
        f'curl -H "Authorization: Bearer {rand(40)}" https://api.example.com',
        f'{{"api_key": "sk-proj-{rand(48)}"}}',
        f"session cookie {rand(40)}",
    ]


def _synthetic(n_lines: int, with_secrets: bool) -> list[str]:
    rng = random.Random(7)
    secrets = _secret_lines(rng)
    lines = []
    for i in range(n_lines):
        if with_secrets and i % 20 == 0:
            lines.append(rng.choice(secrets))
        else:
            lines.append(rng.choice(_CLEAN_LINES))
    # Stored strings are tool results and messages of a few kilobytes each.
    return ["\n".join(lines[i : i + 40]) for i in range(0, len(lines), 40)]


def _strings(value: object) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from _strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)


def _corpus_texts() -> list[str]:
    texts: list[str] = []
    for path in sorted(CORPUS.glob("claude-code__*/*.jsonl")):
        for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
            try:
                entry = json.loads(line)
            except json.JSONDecodeError:
                continue
            message = entry.get("message") if isinstance(entry, dict) else None
            texts.extend(_strings(message))
            texts.extend(_strings(entry.get("toolUseResult")))
    return texts


def _parser_texts(root: Path, megabytes: float) -> list[str]:
    """The texts the parser redacts, in order, over a seeded choice of transcripts under root."""
    from trajectory_miner.transcript.parser import TranscriptParser

    files = sorted(root.rglob("*.jsonl"))
    random.Random(1).shuffle(files)
    texts: list[str] = []

    def record(text: str) -> str:
        texts.append(text)
        return text

    read = 0
    for path in files:
        if read >= megabytes * 1e6:
            break
        data = path.read_bytes()
        read += len(data)
        TranscriptParser(str(path), redact=record).feed(data.splitlines())
    return texts


def _measure(name: str, texts: list[str], patterns: tuple[str, ...] = (), repeat: int = 3) -> None:
    size = sum(len(t.encode("utf-8")) for t in texts)
    best = float("inf")
    for _ in range(repeat):
        redactor = Redactor(patterns)
        start = time.process_time()
        for text in texts:
            redactor(text)
        best = min(best, time.process_time() - start)
    print(f"{name:<40} {size / 1e6:7.2f} MB  {len(texts):6d} strings  {size / 1e6 / best:7.1f} MB/s")


_MB = 1_000_000
PATHOLOGICAL = {
    "hex": "0123456789abcdef" * (_MB // 16),
    "letters": "abcdefghij" * (_MB // 10),
    "a= repeated": "a=" * (_MB // 2),
    "@ repeated": "@" * _MB,
    "key prefixes": "sk-ghp_eyJxoxb-glpat-" * (_MB // 21),
    "keyed values": "password=(" * (_MB // 10),
    "url userinfo": "://a:" * (_MB // 5),
    "wrapped lines": "abcdefghijklmnopqrstuvwxyz\n" * (_MB // 27),
    "wrapped token heads": "x ghp_abcdefgh12\n" * (_MB // 17),
    "base64 of key=value": "ZGJfcGFzc3dvcmQ9aHVudGVyMngK " * (_MB // 29),
    "placeholders": "DB_PASSWORD=[REDACTED:env_secret] " * (_MB // 34),
}


def _pathological() -> None:
    for name, line in PATHOLOGICAL.items():
        start = time.process_time()
        Redactor()(line)
        took = time.process_time() - start
        print(f"1 MB line: {name:<24} {took:7.3f} s")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, help="transcripts to take the parser's texts from")
    parser.add_argument("--mb", type=float, default=50.0, help="MB of those transcripts to read")
    parser.add_argument("--no-pathological", action="store_true", help="skip the 1 MB lines")
    args = parser.parse_args(argv)
    if CORPUS.is_dir():
        _measure("real Claude Code transcripts", _corpus_texts())
    else:
        print(f"shared corpus not found at {CORPUS}; skipping the real-transcript figure")
    if args.corpus:
        _measure(f"parser's texts, {args.mb:g} MB of transcripts", _parser_texts(args.corpus, args.mb))
    _measure("synthetic clean tool output", _synthetic(40_000, with_secrets=False))
    _measure("synthetic, a secret every 20 lines", _synthetic(40_000, with_secrets=True))
    _measure(
        "same, with two user patterns",
        _synthetic(40_000, with_secrets=True),
        (r"ACME-\d{6}", r"internal\.acme\.example"),
    )
    if not args.no_pathological:
        _pathological()
    return 0


if __name__ == "__main__":
    sys.exit(main())
