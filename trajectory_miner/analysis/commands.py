"""What a Bash command runs: its simple commands, read with a bash grammar.

A command line is read with tree-sitter-bash into the simple commands it is made of, in
order: each with its leading assignments, the program it runs seen through wrappers and
runners (`sudo`, `timeout 60`, `uv run`, `npx`, `python -m pytest` …), its arguments with
quotes removed, its redirections, the connector before it (`&&`, `||`, `;`, `|`, `&`, a
newline) and whether it runs in a subshell, a `$( )` or the body of `bash -c "…"`. Heredoc
bodies are kept aside, never read as commands.

Every reading here (programs, read-only, writes, the main program, the identity of a call)
comes from that one model. A command the grammar cannot read, or one too large to read
whole, gets a light reading by quote-aware splitting instead; nothing here raises.
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Iterable
from dataclasses import dataclass, replace
from functools import lru_cache

from trajectory_miner.analysis import bash

Connector = str  # '', '&&', '||', ';', '|', '&', '\n'

# --- what programs are ----------------------------------------------------------------------

# Wrappers that run another program, with their options that take a value.
WRAPPERS: dict[str, frozenset[str]] = {
    "sudo": frozenset({"-u", "-g", "-C", "-D", "-h", "-p", "-r", "-t", "-U", "-T"}),
    "env": frozenset({"-u", "-C", "-S", "--unset", "--chdir"}),
    "timeout": frozenset({"-s", "-k", "--signal", "--kill-after"}),
    "nice": frozenset({"-n", "--adjustment"}),
    "nohup": frozenset(),
    "time": frozenset({"-f", "-o"}),
    "command": frozenset(),
    "exec": frozenset({"-a"}),
    "xargs": frozenset({"-I", "-n", "-P", "-L", "-d", "-E", "-s", "-a", "--max-args", "--max-procs", "--delimiter"}),
    "stdbuf": frozenset({"-i", "-o", "-e"}),
}
# Runners named by two words (`uv run pytest`), with their options that take a value.
RUNNERS: dict[tuple[str, str], frozenset[str]] = {
    ("uv", "run"): frozenset({"--with", "--python", "-p", "--directory", "--project", "--env-file", "--group"}),
    ("poetry", "run"): frozenset({"-C", "--directory", "-P", "--project"}),
    ("pipenv", "run"): frozenset(),
    ("pdm", "run"): frozenset({"-p", "--project"}),
    ("hatch", "run"): frozenset(),
    ("bundle", "exec"): frozenset(),
    ("pnpm", "exec"): frozenset({"-C", "--dir", "--filter"}),
    ("yarn", "exec"): frozenset(),
    ("npm", "exec"): frozenset({"-p", "--package", "-w", "--workspace"}),
}
# Options of the JavaScript package managers that come before their subcommand
# (`pnpm --filter web exec vitest`), with a value.
_MANAGER_OPTIONS: dict[str, frozenset[str]] = {
    "pnpm": frozenset({"-C", "--dir", "--filter", "-F", "--workspace-dir"}),
    "yarn": frozenset({"--cwd"}),
    "npm": frozenset({"--prefix", "-w", "--workspace"}),
}
# Runners of one word that fetch or find the package they run (`npx tsc`).
PACKAGE_RUNNERS: dict[str, frozenset[str]] = {
    "npx": frozenset({"-p", "--package"}),
    "bunx": frozenset({"-p", "--package"}),
    "pnpx": frozenset({"-p", "--package"}),
}
# Python modules run with `-m` that are tools in their own right: `python -m pytest` runs pytest.
TOOL_MODULES = frozenset(
    {
        *("pytest", "unittest", "mypy", "ruff", "black", "flake8", "pylint", "pyright", "coverage", "tox"),
        *("nox", "pip", "isort", "build", "twine", "py_compile", "compileall", "doctest", "nose2", "venv"),
        *("http.server", "json.tool", "pdb", "timeit", "cProfile", "uvicorn", "django", "flask"),
    }
)
_PYTHON_VALUE_OPTIONS = frozenset({"-W", "-X"})
# Shells whose `-c` argument is a command line of its own.
SHELLS = frozenset({"bash", "sh", "zsh", "dash", "ksh"})

# Programs that only look at files or the repository: running them changes nothing.
READ_ONLY_PROGRAMS = frozenset(
    {
        *("cat", "head", "tail", "less", "more", "ls", "tree", "find", "fd", "grep", "egrep", "fgrep"),
        *("rg", "ag", "ack", "wc", "pwd", "echo", "printf", "which", "type", "file", "stat", "du", "df"),
        *("diff", "date", "env", "whoami", "uname", "awk", "sort", "uniq", "cut", "jq", "nl", "realpath"),
        *("dirname", "basename", "true", "sleep", "ps", "cd", "test", "[", "[[", "command"),
    }
)
# Git commands that leave the files of the working tree as they are.
_READ_ONLY_GIT = frozenset(
    {
        *("status", "diff", "log", "show", "branch", "blame", "remote", "rev-parse", "ls-files", "add"),
        *("commit", "push", "fetch", "tag", "ls-remote", "describe", "grep", "reflog", "shortlog", "init"),
        "config",
    }
)
# What surely rewrites files in the working tree (as opposed to what merely might).
_WRITING_PROGRAMS = frozenset({"rm", "mv", "cp", "touch", "mkdir", "rmdir", "ln", "patch", "tee", "truncate", "unzip"})
_WRITING_GIT = frozenset(
    {
        *("checkout", "restore", "reset", "merge", "rebase", "pull", "stash", "apply", "am", "cherry-pick"),
        *("revert", "switch", "clean", "mv", "rm"),
    }
)
# Parts that prepare the shell rather than run the work: they never count as the program.
SETUP_PROGRAMS = frozenset(
    {
        *("cd", "pushd", "popd", "export", "set", "unset", "source", ".", "alias", "ulimit", "umask"),
        *("declare", "local", "readonly", "typeset"),
    }
)
# Programs that, fed by a pipe, hide the exit status of what ran before them.
_FILTERS = frozenset(
    {"tail", "head", "grep", "egrep", "fgrep", "rg", "tee", "sort", "uniq", "wc", "cat", "less", "cut", "awk", "sed"}
)
# Listing and reading: `ls` and `ls -la` are one look.
_LOOKS = frozenset({"ls", "tree", "cat", "pwd", "head", "tail"})
# Redirections that only move or drop output: they do not make two calls different.
_QUIET_REDIRECTS = re.compile(r"^(?:\d*>&\d*-?|\d*<&\d*-?|(?:\d*|&)>>?/dev/null)$")
_OUTPUT_REDIRECT = re.compile(r"^(?:\d*|&)(?:>>?|>\|)(?!&)(.+)$")
_ASSIGNMENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*\+?=")
_PYTHON = re.compile(r"^python(?:\d+(?:\.\d+)*)?$")
_DURATION = re.compile(r"^\d+(?:\.\d+)?[smhd]?$")
_SHELL_C = re.compile(r"^-[a-zA-Z]*c[a-zA-Z]*$")

# --- the model ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Simple:
    """One simple command of a command line, read through wrappers and runners.

    `raw_words` are its words after the leading assignments as written (quotes kept,
    wrappers included); `program_at` is the index among them of the word the program is
    read from. `context` says where it runs: '' at the top, 'subshell' in `( )`,
    'substitution' in `$( )`, `` ` ` `` or `<( )`, 'shell' in the body of `bash -c`.
    """

    text: str
    assignments: tuple[str, ...]
    program: str
    args: tuple[str, ...]
    connector: Connector = ""
    wrappers: tuple[str, ...] = ()
    redirects: tuple[str, ...] = ()
    in_subshell: bool = False
    context: str = ""
    raw_words: tuple[str, ...] = ()
    program_at: int = 0

    @property
    def words(self) -> tuple[str, ...]:
        """The program and its arguments (as `argv` gives them)."""
        return (self.program, *self.args) if self.program else ()

    @property
    def is_setup(self) -> bool:
        """A part that prepares the shell (`cd`, `export`, a bare `VAR=value`), not the work."""
        return not self.program or self.program in SETUP_PROGRAMS

    @property
    def writes_to(self) -> tuple[str, ...]:
        """The files its output is redirected into (`/dev/null` and other descriptors left out)."""
        targets = (m.group(1) for r in self.redirects if (m := _OUTPUT_REDIRECT.match(r)))
        return tuple(t for t in targets if t != "/dev/null")

    @property
    def shell_body(self) -> str | None:
        """The command line a shell runs with `-c` (`bash -c "make test"`), if it is one."""
        if self.program not in SHELLS:
            return None
        for pos, arg in enumerate(self.args[:-1]):
            if _SHELL_C.match(arg):
                return self.args[pos + 1]
        return None


@dataclass(frozen=True, slots=True)
class CommandLine:
    """A whole Bash command as its simple commands, with what it does to the environment.

    `parsed` is False when the grammar could not read it and a light reading stands in.
    """

    text: str
    commands: tuple[Simple, ...]
    heredocs: tuple[str, ...] = ()
    parsed: bool = True

    @property
    def programs(self) -> tuple[str, ...]:
        return tuple(c.program for c in self.commands if c.program)

    @property
    def environment(self) -> tuple[str, ...]:
        """Environment changes, as `NAME=value` (exports, bare and leading assignments)."""
        found: list[str] = []
        for simple in self.commands:
            found.extend(simple.assignments)
            if simple.program == "export":
                found.extend(a for a in simple.args if "=" in a)
        return tuple(found)

    @property
    def directories(self) -> tuple[str, ...]:
        """The folders it changes into."""
        return tuple(c.args[0] for c in self.commands if c.program in ("cd", "pushd") and c.args)

    def work(self) -> tuple[Simple, ...]:
        """The simple commands that do the work: not setup, not a filter fed by a pipe, not a
        `$( )` that computes an argument, not a shell whose `-c` body is read in its place."""
        return tuple(
            c
            for c in self.commands
            if not c.is_setup
            and c.context != "substitution"
            and not (c.connector == "|" and c.program in _FILTERS)
            and c.shell_body is None
        )

    def hides_status(self) -> bool:
        """True when the command's exit status may not be that of its work: a pipeline ending in
        a filter (`| tail -3`, without `set -o pipefail`), or `|| true`, `; true`, `|| :`,
        `|| echo …`, `|| exit 0`."""
        parts = [c for c in self.commands if c.context != "substitution"]
        pipefail = False
        for pos, simple in enumerate(parts):
            if simple.program == "set" and "pipefail" in simple.args:
                pipefail = True
            ends_pipe = pos + 1 == len(parts) or parts[pos + 1].connector != "|"
            if simple.connector == "|" and simple.program in _FILTERS and ends_pipe and not pipefail:
                return True
            if simple.connector == "||" and _swallows(simple):
                return True
            if simple.connector in (";", "\n") and simple.program in ("true", ":") and pos + 1 == len(parts):
                return True
        return False


def _swallows(simple: Simple) -> bool:
    if simple.program in ("true", ":", "echo", "printf"):
        return True
    # A bare `exit` keeps the failing status; `exit 0` replaces it.
    return simple.program in ("exit", "return") and simple.args[:1] == ("0",)


# --- reading through wrappers ---------------------------------------------------------------


def _basename(word: str) -> str:
    return word.rstrip("/").rsplit("/", 1)[-1] or word


def _program_name(word: str) -> str:
    name = _basename(word)
    return "python" if _PYTHON.match(name) else name


def _skip_options(words: list[str], at: int, takes_value: frozenset[str]) -> int:
    """The index of the first word after the options that start at `at`."""
    while at < len(words) and words[at].startswith("-") and words[at] != "-":
        option = words[at]
        at += 1
        if option == "--":
            break
        if option in takes_value:
            at += 1
    return at


def _wrapper_end(words: list[str], at: int) -> int | None:
    """Where the program after the wrapper or runner at `at` starts; None when it is not one."""
    name = _basename(words[at])
    if name in WRAPPERS:
        end = _skip_options(words, at + 1, WRAPPERS[name])
        if name == "command" and any(w in ("-v", "-V") for w in words[at + 1 : end]):
            return None
        if name == "timeout" and end < len(words) and _DURATION.match(words[end]):
            end += 1
        return end
    if name in PACKAGE_RUNNERS:
        return _skip_options(words, at + 1, PACKAGE_RUNNERS[name])
    sub = _skip_options(words, at + 1, _MANAGER_OPTIONS[name]) if name in _MANAGER_OPTIONS else at + 1
    if sub < len(words) and (name, words[sub]) in RUNNERS:
        return _skip_options(words, sub + 1, RUNNERS[(name, words[sub])])
    return None


def _tool_module(words: list[str], at: int) -> int | None:
    """The index of the tool module in `python -m <tool>` at `at`, or None."""
    if not _PYTHON.match(_basename(words[at])):
        return None
    pos = at + 1
    while pos < len(words) and words[pos].startswith("-") and words[pos] != "-m":
        pos += 2 if words[pos] in _PYTHON_VALUE_OPTIONS else 1
    if pos + 1 < len(words) and words[pos] == "-m" and words[pos + 1] in TOOL_MODULES:
        return pos + 1
    return None


def resolve(words: list[str]) -> tuple[list[str], list[str], int]:
    """(assignments, wrappers, index of the program) for the words of a simple command with
    quotes removed; the index is len(words) when no program runs."""
    assignments: list[str] = []
    wrappers: list[str] = []
    at = 0
    while at < len(words):
        word = words[at]
        if _ASSIGNMENT.match(word):
            assignments.append(word)
            at += 1
            continue
        end = _wrapper_end(words, at)
        if end is not None and end < len(words):
            wrapper = " ".join([_basename(word), *words[at + 1 : end]])
            wrappers.append(wrapper.rstrip(" -") if wrapper.endswith(" --") else wrapper)
            at = end
            continue
        module = _tool_module(words, at)
        if module is not None:
            wrappers.append("python -m")
            return assignments, wrappers, module
        break
    return assignments, wrappers, at


def simple_from_words(
    text: str,
    assignments: Iterable[str],
    raw: list[str],
    connector: Connector = "",
    redirects: Iterable[str] = (),
    context: str = "",
) -> Simple:
    """A simple command from its leading assignments and its words as written."""
    words = [bash.unquote(w) for w in raw]
    more, wrappers, at = resolve(words)
    program = ""
    if at < len(words):
        program = _program_name(words[at])
        if wrappers and _basename(wrappers[-1].split(" ", 1)[0]) in PACKAGE_RUNNERS and "@" in program[1:]:
            program = program[: program.index("@", 1)]
    return Simple(
        text=text,
        assignments=(*assignments, *more),
        program=program,
        args=tuple(words[at + 1 :]),
        connector=connector,
        wrappers=tuple(wrappers),
        redirects=tuple(redirects),
        in_subshell=bool(context),
        context=context,
        raw_words=tuple(raw),
        program_at=at,
    )


# --- parse ----------------------------------------------------------------------------------

GRAMMAR_LIMIT = 128_000  # characters read with the grammar; longer commands get the light reading
_CACHED_LIMIT = 8_000  # longer commands go to a small cache of their own, to bound its memory


def parse(command: str) -> CommandLine:
    """A Bash command read into simple commands; never raises."""
    if len(command) <= _CACHED_LIMIT:
        return _parse_small(command)
    if len(command) <= GRAMMAR_LIMIT:
        return _parse_large(command)
    return _light(command)


@lru_cache(maxsize=16_384)
def _parse_small(command: str) -> CommandLine:
    return _read(command)


@lru_cache(maxsize=32)
def _parse_large(command: str) -> CommandLine:
    return _read(command)


def _read(command: str) -> CommandLine:
    try:
        found = bash.read(command, simple_from_words)
    except Exception:  # the grammar's reading is best effort: any surprise falls back
        found = None
    if found is None:
        return _light(command)
    commands, heredocs = found
    return CommandLine(command, tuple(commands), tuple(heredocs))


_PLACEHOLDER = re.compile(r"<([a-z]+)>")
_OPEN, _CLOSE = "\u2039", "\u203a"


def parse_pattern(text: str) -> CommandLine:
    """A generalised command (`python <file>.py`, `cd <dir> && make`) read like a command, its
    `<placeholders>` kept as words instead of read as redirections."""
    if not _PLACEHOLDER.search(text):
        return parse(text)
    line = parse(_PLACEHOLDER.sub(_OPEN + r"\1" + _CLOSE, text))
    return CommandLine(text, tuple(_unmarked(s) for s in line.commands), line.heredocs, line.parsed)


def _unmarked(simple: Simple) -> Simple:
    def fix(*words: str) -> tuple[str, ...]:
        return tuple(w.replace(_OPEN, "<").replace(_CLOSE, ">") for w in words)

    (text, program), assignments = fix(simple.text, simple.program), fix(*simple.assignments)
    args, redirects, raw = fix(*simple.args), fix(*simple.redirects), fix(*simple.raw_words)
    return replace(
        simple, text=text, program=program, assignments=assignments, args=args, redirects=redirects, raw_words=raw
    )


def _light(command: str) -> CommandLine:
    """A reading by quote-aware splitting, for when the grammar cannot read a command."""
    try:
        commands, heredocs = bash.light_read(command[:GRAMMAR_LIMIT], simple_from_words)
    except Exception:  # a reading of last resort: it may be empty, never raise
        return CommandLine(command, (), parsed=False)
    return CommandLine(command, tuple(commands), tuple(heredocs), parsed=False)


# --- what a command does --------------------------------------------------------------------


def segments(command: str) -> list[str]:
    """The simple commands a command line is made of, as written (heredoc bodies left out;
    commands inside `$( )` are part of the argument they compute)."""
    return [c.text for c in parse(command).commands if c.context != "substitution"]


def argv(segment: str) -> tuple[str, ...]:
    """The words of the first simple command of a segment from its program on: wrappers,
    runners and variable assignments before it are dropped, the program is reduced to its
    base name, and `python -m <tool>` becomes `<tool>`."""
    for simple in parse(segment).commands:
        return simple.words
    return ()


def programs(command: str) -> tuple[str, ...]:
    """The program of every simple command in a command line."""
    return parse(command).programs


_FIND_WRITES = frozenset({"-delete", "-fprint", "-fprint0", "-fprintf", "-fls"})
_FIND_EXEC = frozenset({"-exec", "-execdir", "-ok", "-okdir"})


def _git_sub(words: tuple[str, ...]) -> str:
    rest = list(words[1:])
    at = _skip_options(rest, 0, frozenset({"-C", "-c", "--git-dir", "--work-tree"}))
    return rest[at] if at < len(rest) else ""


def is_read_only(command: str) -> bool:
    """True when no part of the command can change a file in the working tree."""
    return all(_looks_only(simple) for simple in parse(command).commands)


def _looks_only(simple: Simple) -> bool:
    """Whether a simple command only looks: it writes nowhere and runs nothing that writes."""
    program = simple.program
    if simple.writes_to:
        return False
    if not program or simple.shell_body is not None:
        return True
    if program == "git":
        return _git_sub(simple.words) in _READ_ONLY_GIT
    if program == "sed":
        return not any(w.startswith("-i") or w == "--in-place" for w in simple.args)
    if program == "find":
        return _find_is_read_only(simple.args)
    return program in READ_ONLY_PROGRAMS


def _find_is_read_only(args: tuple[str, ...]) -> bool:
    """`find` only looks, unless it deletes, writes a list to a file, or runs a command that writes."""
    if _FIND_WRITES & set(args):
        return False
    for at, arg in enumerate(args):
        if arg in _FIND_EXEC:
            end = next((i for i in range(at + 1, len(args)) if args[i] in (";", "+", "\\;")), len(args))
            run = " ".join(shlex.quote(a) for a in args[at + 1 : end] if a != "{}")
            if run and not is_read_only(run):
                return False
    return True


def surely_writes(command: str) -> bool:
    """True when the command certainly changes files: a redirect into a file, `sed -i`, `rm`,
    `mv`, `cp`, a `git checkout` and the like."""
    for simple in parse(command).commands:
        program = simple.program
        if simple.writes_to or program in _WRITING_PROGRAMS:
            return True
        if program in ("sed", "perl") and any(w.startswith(("-i", "-pi")) for w in simple.args):
            return True
        if program == "git" and _git_sub(simple.words) in _WRITING_GIT:
            return True
    return False


def operands(words: tuple[str, ...]) -> list[str]:
    """The arguments of a simple command that are not options."""
    return [w for w in words[1:] if w and not w.startswith("-")]


def main_program(command: str) -> str | None:
    """The first program of a command that does more than set up or look around."""
    for simple in parse(command).work():
        # A redirect makes `echo … > .env` write, but what it sets up is for the program after it.
        looks = simple.program in READ_ONLY_PROGRAMS and (simple.program != "find" or _find_is_read_only(simple.args))
        if not looks:
            return simple.program
    return None


# --- identity -------------------------------------------------------------------------------

_JOINERS = {"": "", "&&": " && ", "||": " || ", "|": " | ", ";": " ; ", "\n": " ; ", "&": " & "}


_PLAIN_WORD = re.compile(r"^[^\s'\"\\]+$")


def _quoted(words: Iterable[str]) -> str:
    return " ".join(w if _PLAIN_WORD.match(w) else shlex.quote(w) for w in words)


def _part_key(simple: Simple) -> str:
    look = simple.program in _LOOKS and not simple.writes_to
    words = (simple.program, *operands(simple.words)) if look else simple.words
    redirects = () if look else tuple(r for r in simple.redirects if not _QUIET_REDIRECTS.match(r))
    pieces = (_quoted(simple.assignments), " ".join(simple.wrappers), _quoted(words), _quoted(redirects))
    return " ".join(p for p in pieces if p)


def identity(command: str) -> str:
    """The key under which two calls are the same call.

    The words of every part with its connector, its leading assignments, the wrappers and
    runners it runs through (`timeout 60`, `uv run`, `python -m`), the environment changes
    and folders before it (`export`, `cd`), its redirections into files and its heredoc
    bodies; whitespace, quoting, comments and redirections that only move output are
    normalised away, and listing or reading commands keep only their operands, so `ls` and
    `ls -la` are one look.
    """
    line = parse(command)
    parts: list[str] = []
    written: list[str] = []
    for simple in line.commands:
        if simple.context in ("substitution", "shell"):
            continue  # already part of the argument that holds it
        written.extend(simple.args)
        key = _part_key(simple)
        if key:
            parts.append((_JOINERS.get(simple.connector, " ; ") if parts else "") + key)
    key = "".join(parts)
    for body in line.heredocs:
        if not any(body in arg for arg in written):  # a heredoc in a `$( )` is in its argument
            key += " <<" + " ".join(body.split())
    return key


def command_key(command: str) -> str:
    """A key under which two runs of the same command are equal (the identity of the call)."""
    return identity(command)
