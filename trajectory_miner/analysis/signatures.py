"""Error signatures: the same failure in two sessions gets the same string, two failures do not.

A signature is `<tool>|<exit class>|<specific>`. The specific signature is the most telling
line of the error output (the final exception of a traceback, the compiler's error, the
shell's complaint; never version or progress output) reduced to what tells two failures
apart: the exception type and its message words, the missing module or command, the key of
a KeyError, an error code. What differs between two runs of one failure goes: paths in any
form, line and column numbers, addresses, hashes, temp names, times, test ids and quoted
free text. A key line that says little on its own ("FAIL", a bare exit code) is followed by
` @ <program>`, the program of the part of the command that failed.

`family` names the kind of failure (`ModuleNotFoundError`, `command not found`, `assertion
failed`, `TypeScript error`, `exit status`, …) and `is_generic` tells a signature that says
no more than "it failed", which nothing should key on.

Standard library only: the live-hint hook loads this file under `python3 -S`. Every pattern
runs in time linear in its input: lines and signatures are cut to `_MAX_LINE`, only the last
`_MAX_TEXT` characters of an output are read, and no pattern nests quantifiers that can backtrack.
`SIGNATURE_VERSION` changes whenever a rule here changes what a signature is.
"""

from __future__ import annotations

import re

SIGNATURE_VERSION = 2

_MAX_TEXT = 20_000
_MAX_LINE = 1_000
_MAX_KEY = 160
_MAX_PROGRAM = 40
_SHELL_TOOLS = frozenset({"Bash", "PowerShell"})

_EXIT_CODE = re.compile(r"\bexit(?:ed with)?(?: code|\s+status)?[:\s]+(\d+)", re.IGNORECASE)
_EXIT_LINE = re.compile(r"\s*Exit code -?\d+\s*")
_ANSI = re.compile(r"\x1b\[[0-9;?]*[ -/]*[@-~]")
_TAGS = re.compile(r"</?(?:tool_use_error|error|stderr|stdout)>")

# Lines a tool prints on its way (versions, progress, hints, separators, echoed commands and
# source lines): never the key line.
_NOISE = re.compile(
    r"\s*(?:"
    r"v?\d+(?:\.\d+)+[\w.+-]*\s*$"
    r"|(?:Node\.js|node|Python|python\d?|npm|pnpm|yarn|bun|deno|go version|rustc|cargo|pip|uv)\s+v?\d+(?:\.\d+)+"
    r"|(?:Progress|Packages|Lockfile is up to date|Done in|Resolving|Downloading|Downloaded|Collecting|Installing"
    r"|Fetching|Using cached|Requirement already|Preparing|Building wheel|Compiling|Checking|Running|Finished)\b"
    r"|(?:npm|yarn|pnpm) (?:warn|WARN|notice|info|http|timing|verb)\b"
    r"|(?:hint|note|help|warning):"
    r"|[-=_*~#.!+\s|]+$"
    r"|>"
    r")"
)

# Key lines, by kind: the first kind that has a line in the output names the key line.
_COMPILER = re.compile(
    r"(?:fatal )?error(?:\[[A-Z]?\d+\])?:|error (?:TS|CS|FS)?\d+:|error [A-Z]{1,3}\d{2,5}:|error TS\d+",
    re.IGNORECASE,
)
_LOCATED = re.compile(r"(?<!\S)\S+?:\d+:\d+:? (?:(?:fatal )?error|undefined|cannot|[A-Z]{1,3}\d{3,4}\b)")
_TOOLING = re.compile(
    r"(?:npm ERR!|npm error |ERR_PNPM_|error Command failed|fatal:|panic:|Segmentation fault|make(?:\[\d+\])?: \*\*\*)"
)
_PANIC = re.compile(r"panicked at")
_SHELL = re.compile(
    r"command not found|: not found\s*$|No such file or directory|Permission denied|Operation not permitted"
    r"|is not recognized as|\bE[A-Z]{3,}:"
)
_TEST = re.compile(r"^\s*(?:FAILED|FAIL|ERROR|--- FAIL)\b|\b[1-9]\d* (?:failed|errors?)\b|test result: FAILED|^\s*● ")
_TROUBLE = re.compile(
    r"\b(?:cannot|can't|could not|couldn't|unable to|not found|invalid|denied|failed|failure|refused"
    r"|timed out|not allowed|missing|unknown|does not exist|doesn't exist|no such|error)\b",
    re.IGNORECASE,
)
_EXPECT = re.compile(r"^\s*expect\(")
_KINDS: tuple[re.Pattern[str], ...] = (_EXPECT, _COMPILER, _LOCATED, _TOOLING, _PANIC, _SHELL, _TEST, _TROUBLE)

# A line's prefixes that say where or which test, not what went wrong.
_RAW_PREFIXES = re.compile(
    r"^\s*(?:E {2,}|E\t|(?:FAILED|ERROR) \S+ - |Uncaught (?:\(in promise\) )?|thrown: |Caused by: |\[ERROR\]\s*)"
)
_EXCEPTION = re.compile(r"(?:[A-Za-z_]\w*\.)*([A-Z]\w*)(?:: ?(.*))?$")
_EXCEPTION_SUFFIXES = ("Error", "Exception", "Exit", "Interrupt", "Failure", "Fault", "Timeout", "Iteration")
_TRACEBACK = "Traceback (most recent call last)"
_ASSERT_MESSAGE = re.compile(r"assert\b")

# What differs between two runs of one failure, replaced in this order.
_URL = re.compile(r"(?<![\w+.-])[A-Za-z][\w+.-]{0,20}://[^\s'\"`<>)\]]+")
# A value set to a name (`DB_PASSWORD=…`): the name tells, the value is this run's (and may be a secret).
_ASSIGNED = re.compile(r"(?<![\w.-])([A-Za-z_]\w{0,60})=(?!=)[^\s'\"`,;)\]]+")
_QUOTED = re.compile(r"(?<![\w])(['\"`])([^'\"`\n]{0,200})\1")
_NAMED = re.compile(r"[\w.@:/\\+~$\[\]-]{1,80}")
_PATH = re.compile(
    r"(?<![\w.@+/\\-])(?:(?:[A-Za-z]:|~|[\w.@+-]+)(?:[/\\][\w.@+-]*)+|[/\\][/\\]*[\w.@+-]+(?:[/\\][\w.@+-]*)*)"
)
_FILE = re.compile(
    r"(?<![\w.@+~/\\-])[\w.-]*\.(?:py|pyi|js|mjs|cjs|ts|tsx|jsx|rs|go|rb|java|kt|swift|c|h|cc|cpp|hpp|cs|php"
    r"|json|toml|yaml|yml|md|txt|sh|lock|cfg|ini|html|css|scss|vue|svelte|sql|log|xml|gradle)(?![\w.-])"
)
_TEST_ID = re.compile(r"(?:(?<=<path>)|(?<=<file>))::[\w\[\].,:<>=-]+")
_UUID = re.compile(r"(?<![\w-])[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}(?![\w-])", re.IGNORECASE)
_HEX = re.compile(r"(?<![\w])(?:0x[0-9a-f]+|(?=[0-9a-f]*\d)(?=[0-9a-f]*[a-f])[0-9a-f]{7,})(?![\w])", re.IGNORECASE)
_TEMP = re.compile(r"(?<![\w])tmp(?=[\w-]*\d)[\w-]{3,}(?![\w])")
_TOKEN = re.compile(r"(?<![\w-])[\w-]{16,}(?![\w-])")
_NUMBER = re.compile(r"(?<![\w.])(?:v\d+(?:\.\d+)+|\d+(?:[.,]\d+)*)|\d{5,}")
_STATUS = re.compile(r"(?:status(?: code)?|HTTP(?:/[\d.]+)?)[: ]+$", re.IGNORECASE)
_SPACES = re.compile(r"\s+")

# After placeholders: locations in front of a message, and the shell's own prefix.
_LOCATION = re.compile(r"^(?:<path>|<file>|<url>)(?:::<test>)?(?::<n>)*(?:\(<n>(?:,<n>)?\))?:\s*")
_LOCATION_SUFFIX = re.compile(r"(<path>|<file>|<url>)(?::<n>){1,3}|(<path>|<file>)\(<n>(?:,<n>)?\)")
_SHELL_PREFIX = re.compile(r"^(?:<path>|(?:ba|z|da|k|fi|c|tc)?sh|\(eval\))(?:: line <n>)?(?:: ?<n>)?: ")
_DASH_NOT_FOUND = re.compile(r"^([^\s:]+): not found$")
_ZSH_NOT_FOUND = re.compile(r"^command not found: (\S+)$")
_WINDOWS_NOT_FOUND = re.compile(r"^'?([^\s']+)'? is not recognized as an internal or external command.*")
_NPM = re.compile(r"^npm (?:ERR!|error)\s*")
_PANIC_PREFIX = re.compile(r"^thread (?:'[^']*'|<q>) panicked at [^:]*:?\s*")
_GO_FAIL = re.compile(r"^--- FAIL: \S+.*")
_JEST_EXPECT = re.compile(r"^expect\((\w*)\)\.(\w+)\((\w*)\).*")

# Words that say only that something failed.
_GENERIC_WORD = re.compile(
    r"exit|code|status|errors?|err|fail(?:ed|ures?)?|command|returned|with|non|zero|the|process|npm|yarn|pnpm"
    r"|e?lifecycle|errno|script|tests?|suites|passed|skipped|total|assert(?:ion(?:error)?)?|expect(?:ed)?|received"
    r"|tobe|to(?:strict)?equal|panicked|left|right|see|above|details"
)
_WORDS = re.compile(r"[A-Za-z][A-Za-z']+")
_PLACEHOLDER = re.compile(r"<\w+>")
_PROGRAM_SUFFIX = re.compile(r" @ [^ ]+$")

# Kinds of failure, read from the specific signature; the first match names it. Compiled on
# first use (by `re`'s cache): the hook, which never asks for a kind, does not pay for them.
_FAMILIES: tuple[tuple[str, str], ...] = (
    ("no such tool", r"No such tool available"),
    ("ModuleNotFoundError", r"ModuleNotFoundError|No module named|Cannot find (?:module|package)|MODULE_NOT_FOUND"),
    ("ImportError", r"\bImportError\b|cannot import name"),
    ("command not found", r"command not found"),
    ("assertion failed", r"^AssertionError\b|^assert\b|^expect\(|assertion\b.*\bfailed"),
    ("TypeScript error", r"\berror TS\d+"),
    ("Rust error", r"^error\[E\d+\]"),
    ("SyntaxError", r"SyntaxError|IndentationError|TabError|JSONDecodeError|Unexpected token|parse error"),
    ("npm ERR!", r"^npm ERR!"),
    ("pnpm error", r"ERR_PNPM_"),
    ("yarn error", r"^error Command failed"),
    ("git error", r"^fatal:|failed to push|\[rejected\]|not a git repository|CONFLICT"),
    ("edit mismatch", r"String to replace not found|has not been read yet|modified since|Found <n> matches"),
    ("panic", r"^panicked|panic:"),
    ("segmentation fault", r"Segmentation fault|SIGSEGV|core dumped"),
    ("usage error", r"the following arguments are required|unrecognized arguments|invalid choice|^usage: "),
    ("exception", r"^(?:[A-Za-z_]\w*\.)*[A-Z]\w*(?:Error|Exception|Exit|Interrupt|Failure|Fault|Timeout)\b"),
    ("file not found", r"No such file or directory|ENOENT|File does not exist|does not exist"),
    ("permission denied", r"Permission denied|EACCES|EPERM|Operation not permitted"),
    ("network error", r"ECONNREFUSED|Connection refused|Could not resolve host|ENOTFOUND|EADDRINUSE"),
    ("network error", r"status code|^HTTP <?\d"),
    ("timeout", r"timed out|ETIMEDOUT|[Tt]imeout"),
    ("compile error", r"^undefined: |cannot find symbol|could not compile|^(?:fatal )?error: .*\bexpected\b"),
    ("lint error", r"^[A-Z]{1,3}\d{3,4}\b"),
    ("test failed", r"^--- FAIL|^FAIL(?:ED)?\b|^● |test result: FAILED|(?:^|\s)<n> failed\b"),
    ("exit status", r"^Exit code <n>$|^$"),
)
_EXCEPTION_NAME = re.compile(r"^(?:[A-Za-z_]\w*\.)*([A-Z]\w*)")

# For choosing the program a failure belongs to: a light reading of a shell command.
_HEREDOC = re.compile(r"<<-?\s*['\"]?(\w+)['\"]?")
_ASSIGNMENT = re.compile(r"[A-Za-z_]\w*=")
_WRAPPERS = frozenset({"sudo", "time", "nice", "env", "command", "exec", "nohup", "xargs", "timeout", "stdbuf"})
_RUNNERS = frozenset(
    {
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
)
_ONE_WORD_RUNNERS = frozenset({"npx", "bunx", "pnpx"})
_SETUP = frozenset({"cd", "pushd", "popd", "export", "set", "unset", "source", ".", "alias", "ulimit", "umask"})
_FILTERS = frozenset({"tail", "head", "grep", "egrep", "rg", "tee", "sort", "uniq", "wc", "cat", "less", "cut", "awk"})
_REPORTERS = frozenset({"echo", "printf", "true", ":", "exit", "sleep", "false"})
_PYTHON = re.compile(r"python(?:\d+(?:\.\d+)*)?$")
_KEYWORDS = frozenset({"if", "then", "else", "elif", "fi", "do", "done", "while", "until", "!", "{", "}", "(", ")"})
_NOT_NAME = re.compile(r"[^\w.+-]")


def exit_code(text: str) -> int | None:
    """The exit code a tool result reports, when it reports one."""
    match = _EXIT_CODE.search(text[:200])
    return int(match.group(1)) if match else None


def _lines(text: str) -> list[str]:
    text = _ANSI.sub("", _TAGS.sub("", text[-_MAX_TEXT:]))
    return [line[:_MAX_LINE].rstrip() for line in text.splitlines() if line.strip()]


def _exception(line: str) -> tuple[str, str] | None:
    """The exception a line names, with its message (pytest's `E   assert …` and `FAILED … -
    assert …` lines are AssertionErrors; an `assert` of quoted source is not)."""
    body = _RAW_PREFIXES.sub("", line).strip()
    if _ASSERT_MESSAGE.match(body) and body != line.strip():
        return "AssertionError", body
    match = _EXCEPTION.match(body)
    if match is None:
        # A location in front (`inventory.py:7: KeyError`) only says where it was raised.
        head, sep, rest = body.rpartition(": ")
        if not sep or " " in head:
            return None
        match = _EXCEPTION.match(rest)
        if match is None or match.group(2):
            return None
    name = match.group(1)
    if not name.endswith(_EXCEPTION_SUFFIXES):
        return None
    return name, (match.group(2) or "").strip()


def key_line(text: str) -> str:
    """The most telling line of an error output.

    A traceback's final exception wins (the last exception with a message, else the last
    bare one); otherwise the first line of the most telling kind: a compiler error, a
    located diagnostic, a package manager's or git's complaint, a panic, the shell's
    complaint, a test failure, a line with a word of trouble. Version, progress and
    separator lines are never chosen.
    """
    lines = _lines(text)
    if not lines:
        return ""
    telling = [line for line in lines if not _EXIT_LINE.fullmatch(line) and not _NOISE.match(line)]
    bare = cut = ""
    for line in reversed(telling):
        found = _exception(line)
        if found is not None:
            # pytest's summary cuts a long message with `...`; the `E` line above holds it whole.
            if found[1] and not found[1].endswith("..."):
                return line.strip()
            if found[1]:
                cut = cut or line.strip()
            bare = bare or line.strip()
    if cut or bare:
        return cut or bare
    traceback = next((i for i, line in enumerate(telling) if line.startswith(_TRACEBACK)), None)
    if traceback is not None:
        # An exception of any name ends a traceback: its one line that is not indented.
        last = next((line for line in reversed(telling[traceback + 1 :]) if not line[:1].isspace()), "")
        if last:
            return last.strip()
    for kind in _KINDS:
        for position, line in enumerate(telling):
            if kind.search(line):
                if kind is _PANIC and line.rstrip().endswith(":") and position + 1 < len(telling):
                    return f"{line.strip()} {telling[position + 1].strip()}"
                return line.strip()
    if telling:
        return telling[0].strip()
    return lines[0].strip()


def _quoted(match: re.Match[str]) -> str:
    content = match.group(2)
    if not _NAMED.fullmatch(content):
        return "<q>"
    return "'" + _plain(content) + "'"


def _number(match: re.Match[str]) -> str:
    text = match.string
    # An HTTP status names the failure; every other number is this run's.
    if _STATUS.search(text[max(0, match.start() - 16) : match.start()]) and len(match.group(0)) == 3:
        return match.group(0)
    return "<n>"


def _token(match: re.Match[str]) -> str:
    """A long run of letters and digits: an id, key or token of this run, unless it reads as a name."""
    token = match.group(0)
    digits = sum(ch.isdigit() for ch in token)
    if not digits or digits == len(token):
        return token
    if len(token) >= 24 or (digits >= 2 and ("_" not in token or digits >= 4)):
        return "<id>"
    return token


def _plain(text: str) -> str:
    text = _URL.sub("<url>", text)
    text = _ASSIGNED.sub(r"\1=<v>", text)
    text = _PATH.sub("<path>", text)
    text = _FILE.sub("<file>", text)
    text = _TEST_ID.sub("::<test>", text)
    text = _UUID.sub("<id>", text)
    text = _HEX.sub("<hex>", text)
    text = _TEMP.sub("<tmp>", text)
    text = _TOKEN.sub(_token, text)
    return _NUMBER.sub(_number, text)


def normalise(line: str) -> str:
    """A line with what differs between two runs of one failure replaced by placeholders.

    Paths (`<path>`, `<file>`) and their line numbers, URLs, ids, hashes, temp names and
    numbers go; a quoted value that names something (a module, a key, a command) is kept,
    quoted free text becomes `<q>`. A location in front of a message is dropped.
    """
    line = _ANSI.sub("", line[:_MAX_LINE])
    parts: list[str] = []
    start = 0
    for match in _QUOTED.finditer(line):
        parts.append(_plain(line[start : match.start()]))
        parts.append(_quoted(match))
        start = match.end()
    parts.append(_plain(line[start:]))
    text = _SPACES.sub(" ", "".join(parts)).strip()
    text = _LOCATION_SUFFIX.sub(lambda m: m.group(1) or m.group(2), text)
    shell = _SHELL_PREFIX.match(text)
    if shell:
        # `bash: line 1: x: …`, `/bin/bash: line 1: x: …` and dash's `sh: 1: x: not found` alike.
        text = _DASH_NOT_FOUND.sub(r"\1: command not found", text[shell.end() :])
    text = _ZSH_NOT_FOUND.sub(r"\1: command not found", text)
    text = _LOCATION.sub("", text)
    return text.replace("|", "¦")[:_MAX_KEY]


def _reduce(line: str) -> str:
    """The specific signature of a key line."""
    found = _exception(line)
    if found is not None and found[0] == "AssertionError":
        # What pytest's introspection compared belongs to the test; a message of words is kept.
        message = found[1]
        if _ASSERT_MESSAGE.match(message) or not _informative(normalise(message)):
            return "AssertionError"
        return "AssertionError: " + normalise(message)
    text = normalise(_RAW_PREFIXES.sub("", line))
    text = _WINDOWS_NOT_FOUND.sub(r"\1: command not found", text)
    text = _NPM.sub("npm ERR! ", text)
    text = _PANIC_PREFIX.sub("panicked: ", text)
    text = _GO_FAIL.sub("--- FAIL", text)
    text = _JEST_EXPECT.sub(r"expect(\1).\2(\3)", text)
    return text.strip()


def _informative(specific: str) -> list[str]:
    words = _WORDS.findall(_PLACEHOLDER.sub(" ", specific))
    return [w for w in words if not _GENERIC_WORD.fullmatch(w.lower().strip("'"))]


def _weak(specific: str) -> bool:
    """A key line with fewer than two words of its own needs its program to mean anything."""
    return len([w for w in _informative(specific) if len(w) >= 3]) < 2


def _words(segment: str) -> list[str]:
    return [w.strip("'\"") for w in segment.split()]


def _program(words: list[str]) -> str:
    """The program a simple command runs, through assignments, wrappers and runners."""
    i = 0
    while i < len(words):
        word = words[i]
        if word in ("[", "[["):
            return "test"
        name = _NOT_NAME.sub("", word.rstrip("/").replace("\\", "/").rsplit("/", 1)[-1])
        if _ASSIGNMENT.match(word) or name in _WRAPPERS or word in _KEYWORDS or not name:
            i += 1
            if name == "timeout" and i < len(words) and words[i][:1].isdigit():
                i += 1
            elif name == "command" and i < len(words) and words[i] in ("-v", "-V"):
                return "command"
            continue
        if name in _ONE_WORD_RUNNERS:
            i += 1
            continue
        if i + 1 < len(words) and (name, words[i + 1]) in _RUNNERS:
            i += 2
            continue
        if _PYTHON.match(name):
            rest = words[i + 1 :]
            module = _NOT_NAME.sub("", rest[1]) if len(rest) > 1 and rest[0] == "-m" else ""
            return module or "python"
        return name
    return ""


def _without_heredocs(command: str) -> str:
    """The command with the bodies of its here-documents left out."""
    while "<<" in command:
        match = _HEREDOC.search(command)
        if match is None:
            break
        body = command.find("\n", match.end())
        if body < 0:
            break
        end = command.find("\n" + match.group(1), body)
        close = command.find("\n", end + 1) if end >= 0 else -1
        command = command[: match.start()] + (command[close:] if close >= 0 else "")
    return command


def _segments(command: str) -> list[tuple[str, str]]:
    """The simple commands of a command line, each with the connector before it (quotes and
    redirections like `2>&1` respected)."""
    found: list[tuple[str, str]] = []
    connector = ""
    start = 0
    quote = ""
    i = 0
    while i < len(command):
        char = command[i]
        if char == "\\":
            i += 2
            continue
        if quote:
            quote = "" if char == quote else quote
        elif char in "'\"`":
            quote = char
        elif char in "|&;\n":
            pair = command[i : i + 2]
            if char == "&" and (command[i - 1 : i] in (">", "<") or pair == "&>"):
                i += 1
                continue
            joined = pair if pair in ("&&", "||") else char
            found.append((connector, command[start:i]))
            connector, start = joined, i + len(joined)
            i = start
            continue
        i += 1
    found.append((connector, command[start:]))
    return [(c, piece) for c, piece in found if piece.strip()]


def failing_program(command: str) -> str:
    """The program of the part of a shell command that failed, as far as a light reading tells.

    The last part that does the work: not a setup (`cd`, `export`, `VAR=value`), not a filter
    at the end of a pipe (`| tail`), not a report (`&& echo OK`) when something else ran.
    A command of one word is taken as the program itself.
    """
    work: list[str] = []
    for connector, piece in _segments(_without_heredocs(command[-2_000:])):
        program = _program(_words(piece))
        if program and program not in _SETUP and not (connector == "|" and program in _FILTERS):
            work.append(program)
    chosen = next((p for p in reversed(work) if p not in _REPORTERS), work[-1] if work else "")
    return re.sub(r"\d{5,}", "<n>", chosen[:_MAX_PROGRAM])


def error_signature(tool_name: str, text: str, command: str = "") -> str:
    """The signature of a failed tool call from its tool name, error output and (for Bash)
    the command it ran, whose failing part names the program of a weak key line."""
    code = exit_code(text)
    exit_class = f"exit{code}" if code is not None else "error"
    specific = _reduce(key_line(text))
    names = _failed_tests(text) if family(specific) in ("assertion failed", "test failed") else []
    if names:
        # Which tests failed is what tells one failing assertion from another.
        specific = f"{specific} in {', '.join(names)}"
    elif tool_name in _SHELL_TOOLS and command and _weak(specific):
        program = failing_program(command)
        if program:
            specific = f"{specific} @ {program}"
    return f"{tool_name}|{exit_class}|{specific}"


_FAILED_TEST = re.compile(
    r"^(?:FAILED|ERROR) [^\s:]*::(?:[\w.]+::)?(\w+)|^_{3,} (?:[\w.]+\.)?(test\w*) _{3,}$"
    r"|^(?:FAIL|ERROR): (test\w*) \(|^--- FAIL: (Test\w*)",
)
_MAX_TESTS = 3


def _failed_tests(text: str) -> list[str]:
    """The names of the tests an output says failed (no paths, no parameters), at most three."""
    found: set[str] = set()
    for line in _lines(text):
        match = _FAILED_TEST.match(line)
        if match is not None:
            found.add(next(g for g in match.groups() if g))
    return sorted(found)[:_MAX_TESTS]


def signature_family(signature: str) -> str:
    """The specific signature: the signature without its tool and exit class, for matching
    one failure across tools. (The name is historical: the kind of failure is `family`.)"""
    parts = signature.split("|", 2)
    return parts[2] if len(parts) == 3 else signature


def family(signature: str) -> str:
    """What kind of failure a signature (or a specific signature) is: `ModuleNotFoundError`,
    `KeyError`, `command not found`, `assertion failed`, `TypeScript error`, `exit status`, …"""
    specific = _PROGRAM_SUFFIX.sub("", signature_family(signature[:_MAX_LINE])).strip()
    for name, pattern in _FAMILIES:
        if re.search(pattern, specific):
            if name == "exception":
                found = _EXCEPTION_NAME.match(specific)
                exception = found.group(1) if found else ""
                if exception and exception != "Error":
                    return exception
                continue
            return name
    return "error"


def is_generic(signature: str) -> bool:
    """True when a signature (or a specific signature) says no more than that something failed
    (a bare exit code, `error`, `FAIL`, only placeholders): too little to match two failures
    on, or to hint a fix from, whatever program it came from."""
    specific = _PROGRAM_SUFFIX.sub("", signature_family(signature[:_MAX_LINE]))
    return not _informative(specific)
