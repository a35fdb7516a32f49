"""Task-specific strings out, the shape of an action in: commands, files, steps and requests.

Two sessions that ran `python scripts/report.py` and `python tools/export.py` did the same
thing; both become `python <file>.py`. Mined items hold only these generalised forms, so a
skill carries no paths, ids, names or numbers from the session it came from. Commands are
read by `analysis.commands` (the bash grammar); this module only generalises what it reads.
"""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import PurePosixPath

from trajectory_miner.analysis.bash import unquote
from trajectory_miner.analysis.checks import check_kind
from trajectory_miner.analysis.commands import TOOL_MODULES, Simple, parse_pattern

_MAX_COMMAND = 300
# Commands are read no further than this: the bash grammar's parser can take time quadratic
# in what it cannot parse, and stored commands are capped below it anyway.
_MAX_READ = 4000

# Programs whose first argument says what they do (`git push`, `npm test`).
_SUBCOMMAND_PROGRAMS = frozenset(
    {
        "git",
        "npm",
        "npx",
        "yarn",
        "pnpm",
        "bun",
        "cargo",
        "go",
        "docker",
        "kubectl",
        "uv",
        "poetry",
        "pip",
        "make",
        "gh",
        "dotnet",
        "mvn",
        "gradle",
        "terraform",
        "helm",
        "brew",
        "apt",
        "apt-get",
        "rustup",
        "deno",
    }
)
_SCRIPT_RUNNERS = frozenset({"python", "node", "ruby", "php", "bash", "sh", "deno", "bun"})
# Files every project of a kind has: their names say something general, so they are kept.
_COMMON_FILES = frozenset(
    {
        "package.json",
        "package-lock.json",
        "tsconfig.json",
        "pyproject.toml",
        "setup.py",
        "setup.cfg",
        "requirements.txt",
        "requirements-dev.txt",
        "Cargo.toml",
        "Cargo.lock",
        "go.mod",
        "go.sum",
        "Makefile",
        "Dockerfile",
        "docker-compose.yml",
        ".gitignore",
        "README.md",
        "CHANGELOG.md",
        "CLAUDE.md",
        "SKILL.md",
        "conftest.py",
        "__init__.py",
        "tox.ini",
        "pytest.ini",
        ".env.example",
        "settings.json",
        "config.toml",
        "jest.config.js",
        "vite.config.ts",
        "eslint.config.js",
        ".eslintrc.json",
    }
)
_EXTENSION = re.compile(r"\.([A-Za-z][A-Za-z0-9]{0,5})$")
_NUMBER = re.compile(r"^[+-]?\d+(?:\.\d+)*[a-z]{0,2}$")
_HEX = re.compile(r"^(?:[0-9a-f]{7,64}|[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$", re.I)
_PYTHON = re.compile(r"^python(?:\d+(?:\.\d+)*)?$")
_QUOTING = ("'", '"', "$(", "`")
_REDIRECT = re.compile(r"^(\d*|&)(>>|>\||>&|<&|<<<|<<-?|&>>|&>|>|<)(.*)$", re.DOTALL)
_CONNECTORS = {"&&": "&&", "||": "||", "|": "|", ";": ";", "&": "&"}
_DECLARING = frozenset({"export", "env", "declare", "local", "readonly", "typeset"})
_ASSIGNMENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*=")


_SNAKE_NAME = re.compile(r"\b[a-z][a-z0-9]*(?:_[a-z0-9]+)+\b")


def names(text: str) -> str:
    """Text with the project's own snake_case names (tables, functions, variables) as `<name>`."""
    return _SNAKE_NAME.sub("<name>", text)


def _program(token: str) -> str:
    name = token.rsplit("/", 1)[-1]
    return "python" if _PYTHON.match(name) else name


def _argument(token: str, previous: str, program: str = "") -> str:
    if previous == "-m" and program == "python":
        return token if token in TOOL_MODULES else "<module>"
    if token.startswith("<") and token.endswith(">"):
        return token
    if token.startswith(("http://", "https://")):
        return "<url>"
    if token.startswith("-"):
        flag, sep, value = token.partition("=")
        return f"{flag}=<v>" if sep and (value[:1].isdigit() or "/" in value) else token
    if "*" in token or not token.strip("./"):
        return token
    if _NUMBER.match(token):
        return "<n>"
    if _HEX.match(token):
        return "<id>"
    head, sep, tail = token.partition("::")
    if sep:
        return f"{_argument(head, '')}::<test>"
    base = token.rstrip("/").rsplit("/", 1)[-1]
    if base in _COMMON_FILES:
        return base
    extension = _EXTENSION.search(base)
    if extension and not token.startswith("."):
        return f"<file>.{extension.group(1)}"
    if "/" in token:
        return "<dir>"
    return names(token)


def _parts(text: str) -> list[Simple]:
    """The simple commands of a command (or of generalised text) not inside another's argument."""
    return [s for s in parse_pattern(text[:_MAX_READ]).commands if s.context not in ("substitution", "shell")]


def _line(text: str) -> list[Simple]:
    """The simple commands of a command's first line (a heredoc or a quoted newline does not
    end it)."""
    parts = _parts(text)
    end = next((i for i, s in enumerate(parts) if i and s.connector == "\n"), len(parts))
    return parts[:end]


def _quoted(raw: str) -> str:
    flag, sep, value = raw.partition("=")
    if raw.startswith("-") and sep and not any(mark in flag for mark in _QUOTING):
        return f"{flag}=<str>"
    return "<str>"


def _words(raw_words: tuple[str, ...]) -> list[str]:
    """Words as written, generalised: the first is the program, quoted text is `<str>`."""
    out: list[str] = []
    program = previous = ""
    for raw in raw_words:
        if previous == "--":
            # Whatever follows `--` is passed through to the tool: filters and names of this task.
            out.append("<args>")
            continue
        word = unquote(raw)
        if not program:
            program = _program(word)
            out.append(program)
        elif any(mark in raw for mark in _QUOTING):
            out.append(_quoted(raw))
        elif program == "cd":
            out.append("<dir>")
        elif program in _DECLARING and _ASSIGNMENT.match(word):
            out.append(word.split("=", 1)[0] + "=<v>")
        else:
            out.append(_argument(word, previous, program))
        previous = word
    return out


def _redirect(redirect: str) -> list[str]:
    match = _REDIRECT.match(redirect)
    if match is None:
        return []
    descriptor, operator, target = match.groups()
    if operator in (">&", "<&"):
        return [redirect]
    if operator in ("<<", "<<-", "<<<"):
        return [operator, "<str>"]
    return [descriptor + operator, target if target == "/dev/null" else _argument(unquote(target), "")]


def _simple(simple: Simple) -> list[str]:
    env = sum(1 for w in simple.raw_words[: simple.program_at] if "=" in w and not w.startswith("-"))
    leading = simple.assignments[: len(simple.assignments) - env]
    out = [a.split("=", 1)[0] + "=<v>" for a in leading]
    out.extend(_words(simple.raw_words))
    for redirect in simple.redirects:
        out.extend(_redirect(redirect))
    return out


@lru_cache(maxsize=65_536)
def command(text: str) -> str:
    """A shell command's first line with its paths, module names, numbers, ids and quoted
    text replaced."""
    out: list[str] = []
    for simple in _line(text):
        if out:
            out.append(_CONNECTORS.get(simple.connector, ";"))
        out.extend(_simple(simple))
        if sum(len(w) + 1 for w in out) > _MAX_COMMAND:
            break
    return " ".join(out)


@lru_cache(maxsize=65_536)
def command_head(text: str) -> str:
    """What a command runs, without where: `python`, `python -m pytest`, `git push`, `npm test`.

    Setup before the work (`cd <dir> &&`, `export X=1 &&`, `PYTHONPATH=src`, `X=$(…)` on a
    line of its own) and wrappers (`sudo`, `timeout 60`) say how, not what: the head is that
    of the first part doing work.
    """
    parts = _parts(text)
    simple = next((s for s in parts if not s.is_setup), parts[0] if parts else None)
    if simple is None:
        return ""
    if simple.wrappers[-1:] == ("python -m",):
        return f"python -m {simple.program}"
    words = _words(simple.raw_words[simple.program_at :])
    if not words:
        return ""
    program = words[0]
    if program == "python" and len(words) >= 3 and words[1] == "-m":
        return f"python -m {words[2]}"
    if program in _SCRIPT_RUNNERS and len(words) >= 3 and words[1].startswith("<file>") and words[2].isidentifier():
        # `python manage.py migrate`: the script's own subcommand says what runs.
        return f"{program} {words[1]} {words[2]}"
    if program in _SUBCOMMAND_PROGRAMS and len(words) >= 2 and not words[1].startswith(("-", "<")):
        second = words[1]
        if program in ("npm", "yarn", "pnpm", "bun") and second == "run" and len(words) >= 3:
            return f"{program} run {words[2]}"
        return f"{program} {second}"
    return program


@lru_cache(maxsize=65_536)
def is_test_command(text: str) -> bool:
    """Whether a shell command runs a test suite."""
    found = check_kind(text[:_MAX_READ])
    return found is not None and found[0] == "test"


@lru_cache(maxsize=65_536)
def is_check_command(text: str) -> bool:
    """Whether a shell command runs a test suite, a type checker, a linter or a build."""
    return check_kind(text[:_MAX_READ]) is not None


def relative(path: str, cwd: str) -> str:
    """A path relative to the session's working directory when it lies inside it."""
    if cwd and path.startswith(cwd.rstrip("/") + "/"):
        return path[len(cwd.rstrip("/")) + 1 :]
    return path


@lru_cache(maxsize=65_536)
def file_glob(path: str) -> str:
    """A file as a pattern that matches its kind and place: `src/**/*.py`, `tests/*.py`, `package.json`."""
    parts = PurePosixPath(path).parts
    if not parts:
        return ""
    name = parts[-1]
    if name in _COMMON_FILES:
        return name
    extension = _EXTENSION.search(name)
    leaf = f"*.{extension.group(1)}" if extension else "*"
    folders = [p for p in parts[:-1] if p not in ("/", ".")]
    if not folders or path.startswith("/"):
        return leaf
    return f"{folders[0]}/{leaf}" if len(folders) == 1 else f"{folders[0]}/**/{leaf}"


def file_placeholder(path: str) -> str:
    """A file as a placeholder for a step: `<file>.py`, or the name of a common project file."""
    name = path.rstrip("/").rsplit("/", 1)[-1]
    if name in _COMMON_FILES:
        return name
    extension = _EXTENSION.search(name)
    return f"<file>.{extension.group(1)}" if extension else "<file>"


@lru_cache(maxsize=65_536)
def path_operands(text: str) -> tuple[str, ...]:
    """Words of a command's first line that name files (they have an extension or a slash)."""
    found: list[str] = []
    for simple in _line(text):
        targets = [m.group(3) for r in simple.redirects if (m := _REDIRECT.match(r)) and m.group(2) in (">", ">>", "<")]
        for raw in [*simple.raw_words[1:], *targets]:
            if any(mark in raw for mark in _QUOTING) or raw.startswith("-") or raw == "/dev/null":
                continue
            token = unquote(raw)
            if "*" in token or not token.strip("./"):
                continue
            if _EXTENSION.search(token) or ("/" in token and not token.startswith(("http://", "https://"))):
                found.append(token.split("::", 1)[0])
    return tuple(found)


_SKIPPED_TOOLS = frozenset({"TodoWrite", "TodoRead", "ExitPlanMode", "TaskCreate", "TaskUpdate", "TaskList"})


def step(tool: str, summary: str, files: list[str]) -> str:
    """One step of a procedure in words, with nothing specific to its session; '' for bookkeeping."""
    return _step(tool, summary if tool in ("Bash", "Skill") else "", files[0] if files else "")


@lru_cache(maxsize=65_536)
def _step(tool: str, summary: str, first_file: str) -> str:
    if tool in _SKIPPED_TOOLS:
        return ""
    if tool == "Bash":
        return f"Run `{command(summary)}`"
    target = file_placeholder(first_file) if first_file else "<file>"
    if tool == "Read":
        return f"Read {target}"
    if tool in ("Edit", "MultiEdit", "NotebookEdit"):
        return f"Edit {target}"
    if tool == "Write":
        return f"Write {target}"
    if tool in ("Grep", "Glob", "LS"):
        return f"Search the code ({tool})"
    if tool in ("Task", "Agent"):
        return "Delegate the search to a subagent"
    if tool == "Skill":
        return f"Load the skill `{summary}`" if summary and " " not in summary else "Load the matching skill"
    if tool in ("WebFetch", "WebSearch"):
        return f"Look it up on the web ({tool})"
    return f"Call {tool}"


@lru_cache(maxsize=65_536)
def action_class(tool: str, summary: str) -> str:
    """A coarse kind of step, for comparing the shape of two procedures."""
    if tool in _SKIPPED_TOOLS:
        return ""
    if tool == "Bash":
        if is_test_command(summary):
            return "test"
        if is_check_command(summary):
            return "check"
        head = command_head(summary)
        if head.startswith("git "):
            return "vcs"
        if head in ("cat", "head", "tail", "less", "sed -n", "bat"):
            return "read"
        if head in ("grep", "rg", "find", "ls", "fd", "tree"):
            return "search"
        return "run"
    return {
        "Read": "read",
        "Edit": "edit",
        "MultiEdit": "edit",
        "NotebookEdit": "edit",
        "Write": "write",
        "Grep": "search",
        "Glob": "search",
        "LS": "search",
        "Task": "delegate",
        "Agent": "delegate",
        "Skill": "skill",
        "WebFetch": "web",
        "WebSearch": "web",
    }.get(tool, "other")


_REQUEST_KINDS: tuple[tuple[str, re.Pattern[str]], ...] = (
    (
        "fix failing tests",
        re.compile(r"\b(?:tests?|ci|build)\b.*\b(?:fail\w*|red|broken|pass)\b|\bmake .* pass\b", re.I),
    ),
    ("fix a bug", re.compile(r"\b(?:fix|bug|wrong|broken|error|crash\w*|doesn'?t work|incorrect)\b", re.I)),
    ("add a feature", re.compile(r"\b(?:add|implement|create|support|introduce|new)\b", re.I)),
    ("refactor code", re.compile(r"\b(?:refactor|clean ?up|restructure|rename|move|simplify)\b", re.I)),
    ("release or version", re.compile(r"\b(?:release|version|changelog|publish|bump)\b", re.I)),
    ("review code", re.compile(r"\b(?:review|audit|check)\b", re.I)),
    ("run a task", re.compile(r"\b(?:run|start|execute|export|build|deploy|sync)\b", re.I)),
    ("explain code", re.compile(r"\b(?:why|how|what|where|explain)\b", re.I)),
)


def request_kind(prompt: str) -> str:
    """The kind of request a prompt makes, by its wording; '' when none fits."""
    text = prompt[:600]
    for kind, pattern in _REQUEST_KINDS:
        if pattern.search(text):
            return kind
    return ""
