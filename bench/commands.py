"""Speed of the bash reading of commands, and how often it falls back to the light reading.

Reads every shell command in the shared corpus (Claude Code's Bash calls, and the shell calls
of the other agents recorded there) cold, with no cache, and prints:

- commands read per second and MB/s by the grammar, beside the light reading alone;
- the share of commands the grammar could not read (the fallback rate), with the first few;
- the time to read a few large commands: a 50 KB heredoc, a 1 MB quoted string, 5,000 nested
  `$( )`.

    python bench/commands.py [--corpus DIR] [--repeat 5]
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from trajectory_miner.analysis import commands  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "analysis"))
from table_rows import corpus_commands  # noqa: E402

CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus"


def _rate(read: Callable[[str], object], texts: list[str], repeat: int) -> float:
    """Commands per second, the best of `repeat` passes."""
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        for text in texts:
            read(text)
        best = min(best, time.perf_counter() - start)
    return len(texts) / best if best else float("inf")


def _once(read: Callable[[str], object], text: str) -> float:
    start = time.perf_counter()
    read(text)
    return (time.perf_counter() - start) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=CORPUS)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    if not args.corpus.is_dir():
        sys.exit(f"no corpus at {args.corpus}")
    texts = corpus_commands(args.corpus)
    size_mb = sum(len(t.encode()) for t in texts) / 1e6
    # `_read` is `parse` without its cache: every command is read from scratch.
    grammar = _rate(commands._read, texts, args.repeat)
    light = _rate(commands._light, texts, args.repeat)
    fallback = [t for t in texts if not commands._read(t).parsed]
    print(f"commands: {len(texts)} ({len(set(texts))} distinct), {size_mb:.2f} MB")
    print(f"grammar reading: {grammar:,.0f} commands/s, {grammar * size_mb / len(texts):.1f} MB/s (cold)")
    print(f"light reading:   {light:,.0f} commands/s")
    print(f"fallback to the light reading: {len(fallback)} of {len(texts)} ({len(fallback) / len(texts):.2%})")
    for text in fallback[:5]:
        print(f"  {text[:100]!r}")
    large = {
        "50 KB heredoc": "cat > big.py <<'EOF'\n" + "x = 1  # $(y) 'q'\n" * 2_800 + "EOF\npython big.py",
        "1 MB quoted string": "echo '" + "a" * 1_000_000 + "' && ls",
        "5,000 nested $( )": "$(" * 5_000 + "ls" + ")" * 5_000,
    }
    for name, text in large.items():
        how = "grammar" if commands.parse(text).parsed else "light reading"
        print(f"{name}: {_once(commands._read if how == 'grammar' else commands.parse, text):.1f} ms ({how})")


if __name__ == "__main__":
    main()
