"""File work done through the shell: the Bash calls that do what Read, Edit, Write, Grep or Glob do.

Routing accuracy counts them against the session (where the file tool exists), and the miner
reports sessions that keep doing it as a behaviour.
"""

from __future__ import annotations

from trajectory_miner.analysis.commands import Simple, operands, parse

_READERS = frozenset({"cat", "head", "tail", "nl", "less", "more"})
_SEARCHERS = frozenset({"grep", "egrep", "fgrep", "rg", "ag", "ack"})


def _misroute(simple: Simple) -> tuple[str, str] | None:
    """(the tool that should have been used, why) for one simple command, or None."""
    words = simple.words
    program = words[0]
    args = operands(words)
    first_in_pipe = simple.connector != "|"
    if program in ("cat", "echo", "printf") and simple.writes_to:
        return "Write", f"wrote a file with `{program} >`"
    if program in _READERS and first_in_pipe and args and "-f" not in words:
        return "Read", f"read a file with `{program}`"
    if program == "sed":
        if any(w.startswith("-i") or w == "--in-place" for w in words):
            return "Edit", "edited a file with `sed -i`"
        if "-n" in words and args:
            return "Read", "read lines with `sed -n`"
    if program == "perl" and any(w.startswith(("-pi", "-i")) for w in words):
        return "Edit", "edited a file with `perl -i`"
    if program in _SEARCHERS and first_in_pipe and len(args) >= 1:
        return "Grep", f"searched with `{program}`"
    if program == "find" and any(w in ("-name", "-iname", "-path", "-regex") for w in words):
        return "Glob", "looked for files with `find -name`"
    if program == "ls" and ("-R" in words or any("*" in a for a in args)):
        return "Glob", "looked for files with `ls`"
    return None


def file_work(command: str) -> list[tuple[str, str]]:
    """(the file tool that does it, what the command did) for each part of a command that reads,
    searches, writes or edits files through the shell."""
    found: list[tuple[str, str]] = []
    for simple in parse(command).commands:
        if simple.program and simple.context != "substitution":
            hit = _misroute(simple)
            if hit:
                found.append(hit)
    return found
