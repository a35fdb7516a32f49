"""Reading shell commands well enough to score them: their parts, programs and intent.

Scoring looks at thousands of Bash calls per second, so this is a light reading by regular
expressions, not a shell parser: a command is split into the simple commands joined by
`&&`, `||`, `;`, `|` and newlines, and each part is reduced to the program it runs.
"""

from __future__ import annotations

import re
from functools import lru_cache

_SPLIT = re.compile(r"\s*(?:&&|\|\||;|\||\n)\s*")
_ASSIGNMENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*=\S*$")
_PYTHON = re.compile(r"^python(?:\d+(?:\.\d+)*)?$")
_HEREDOC = re.compile(r"<<-?\s*['\"]?(\w+)['\"]?.*?\n.*?\n\1\b", re.DOTALL)

# Wrappers that run another program: the program that counts is the one after them.
_WRAPPERS = frozenset({"sudo", "time", "nice", "env", "command", "exec", "nohup", "xargs", "timeout", "stdbuf"})
_RUNNERS = {
    ("uv", "run"),
    ("poetry", "run"),
    ("pipenv", "run"),
    ("pdm", "run"),
    ("hatch", "run"),
    ("bundle", "exec"),
    ("pnpm", "exec"),
    ("yarn", "exec"),
    ("npm", "exec"),
}
_ONE_WORD_RUNNERS = frozenset({"npx", "bunx", "pnpx"})

# Python modules run with `-m` that are tools in their own right.
_TOOL_MODULES = frozenset(
    {
        "pytest",
        "unittest",
        "mypy",
        "ruff",
        "black",
        "flake8",
        "pylint",
        "pyright",
        "coverage",
        "tox",
        "nox",
        "pip",
        "isort",
        "build",
        "py_compile",
        "compileall",
        "doctest",
        "nose2",
    }
)

# Programs that only look at files or the repository: running them changes nothing.
READ_ONLY_PROGRAMS = frozenset(
    {
        "cat",
        "head",
        "tail",
        "less",
        "more",
        "ls",
        "tree",
        "find",
        "fd",
        "grep",
        "egrep",
        "fgrep",
        "rg",
        "ag",
        "ack",
        "wc",
        "pwd",
        "echo",
        "printf",
        "which",
        "type",
        "file",
        "stat",
        "du",
        "df",
        "diff",
        "date",
        "env",
        "whoami",
        "uname",
        "awk",
        "sort",
        "uniq",
        "cut",
        "jq",
        "nl",
        "realpath",
        "dirname",
        "basename",
        "true",
        "sleep",
        "ps",
        "cd",
    }
)
# Git commands that leave the files of the working tree as they are.
_READ_ONLY_GIT = frozenset(
    {
        "status",
        "diff",
        "log",
        "show",
        "branch",
        "blame",
        "remote",
        "rev-parse",
        "ls-files",
        "add",
        "commit",
        "push",
        "fetch",
        "tag",
        "ls-remote",
        "describe",
        "grep",
        "reflog",
        "shortlog",
        "init",
        "config",
    }
)
# What surely rewrites files in the working tree (as opposed to what merely might).
_WRITING_PROGRAMS = frozenset({"rm", "mv", "cp", "touch", "mkdir", "rmdir", "ln", "patch", "tee", "truncate", "unzip"})
_WRITING_GIT = frozenset(
    {
        "checkout",
        "restore",
        "reset",
        "merge",
        "rebase",
        "pull",
        "stash",
        "apply",
        "am",
        "cherry-pick",
        "revert",
        "switch",
        "clean",
        "mv",
        "rm",
    }
)
_REDIRECT = re.compile(r"(?<![0-9&<])>{1,2}\s*(?!/dev/null|&)[^\s|&;]")


def segments(command: str) -> list[str]:
    """The simple commands a command line is made of (heredoc bodies left out)."""
    if "<<" in command:
        command = _HEREDOC.sub("", command)
    return [part for part in _SPLIT.split(command.strip()) if part]


def _basename(word: str) -> str:
    return word.rstrip("/").rsplit("/", 1)[-1]


@lru_cache(maxsize=8192)
def argv(segment: str) -> tuple[str, ...]:
    """The words of a simple command from its program on: wrappers, runners and variable
    assignments before it are dropped, the program is reduced to its base name, and
    `python -m <tool>` becomes `<tool>`."""
    words = [w.strip("'\"") for w in segment.split()]
    i = 0
    while i < len(words):
        word = words[i]
        name = _basename(word)
        if _ASSIGNMENT.match(word) or name in _WRAPPERS:
            i += 1
            if name == "timeout" and i < len(words) and words[i][:1].isdigit():
                i += 1
            continue
        if name in _ONE_WORD_RUNNERS:
            i += 1
            continue
        if i + 1 < len(words) and (name, words[i + 1]) in _RUNNERS:
            i += 2
            continue
        break
    rest = words[i:]
    if not rest:
        return ()
    program = _basename(rest[0])
    if _PYTHON.match(program):
        program = "python"
        if len(rest) > 2 and rest[1] == "-m" and rest[2] in _TOOL_MODULES:
            return (rest[2], *rest[3:])
    return (program, *rest[1:])


def programs(command: str) -> tuple[str, ...]:
    """The program of every simple command in a command line."""
    found: list[str] = []
    for part in segments(command):
        words = argv(part)
        if words:
            found.append(words[0])
    return tuple(found)


def is_read_only(command: str) -> bool:
    """True when no part of the command can change a file in the working tree (as far as a
    quick reading tells)."""
    if ">" in command.replace("2>&1", "").replace(">/dev/null", "").replace("> /dev/null", ""):
        return False
    for part in segments(command):
        words = argv(part)
        if not words:
            continue
        program = words[0]
        if program == "git":
            sub = next((w for w in words[1:] if not w.startswith("-")), "")
            if sub not in _READ_ONLY_GIT:
                return False
        elif program == "sed":
            if any(w.startswith("-i") or w == "--in-place" for w in words[1:]):
                return False
        elif program not in READ_ONLY_PROGRAMS:
            return False
    return True


def surely_writes(command: str) -> bool:
    """True when the command certainly changes files: a redirect into a file, `sed -i`, `rm`,
    `mv`, `cp`, a `git checkout` and the like."""
    if _REDIRECT.search(_HEREDOC.sub("", command)):
        return True
    for part in segments(command):
        words = argv(part)
        if not words:
            continue
        program = words[0]
        if program in _WRITING_PROGRAMS:
            return True
        if program in ("sed", "perl") and any(w.startswith(("-i", "-pi")) for w in words[1:]):
            return True
        if program == "git" and next((w for w in words[1:] if not w.startswith("-")), "") in _WRITING_GIT:
            return True
    return False


def operands(words: tuple[str, ...]) -> list[str]:
    """The arguments of a simple command that are not options."""
    return [w for w in words[1:] if w and not w.startswith("-")]


def command_key(command: str) -> str:
    """A key under which two runs of the same command are equal.

    Listing and reading commands are keyed by program and operands, so `ls` and `ls -la`
    count as the same look; every other command is keyed by its words.
    """
    parts: list[str] = []
    for part in segments(command):
        words = argv(part)
        if not words:
            continue
        if words[0] in ("ls", "tree", "cat", "pwd", "head", "tail"):
            parts.append(" ".join([words[0], *operands(words)]))
        else:
            parts.append(" ".join(words))
    return " && ".join(parts)
