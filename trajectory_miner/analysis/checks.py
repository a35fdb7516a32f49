"""Test, build, lint and type-check runs read from Bash calls: what ran and whether it passed.

A command is a check when one of its parts runs a known test runner, build tool, linter or
type checker (pytest, unittest, npm/yarn/pnpm test, jest, vitest, go test, cargo test, tsc,
eslint, ruff, mypy, make …), or when its output holds an unmistakable test summary. The
result is read from the summary the tool prints (`2 failed, 5 passed`, `test result: ok`,
`Found 3 errors`) because pipes like `pytest | tail` hide the exit code; the exit code
decides only when no summary is found.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from typing import Literal

from trajectory_miner.analysis.commands import argv, segments
from trajectory_miner.model import Step

CheckKind = Literal["test", "build", "lint", "typecheck"]


@dataclass(frozen=True, slots=True)
class CheckRun:
    """One run of a check and its result (`passed` is None when the output does not say)."""

    turn_index: int
    step_index: int
    kind: CheckKind
    tool: str
    passed: bool | None
    summary: str


_TEST_SCRIPTS = re.compile(r"^(?:test|tests|unit|e2e|spec|check|ci)(?:[:_-].*)?$")
_BUILD_SCRIPTS = re.compile(r"^(?:build|compile|bundle)(?:[:_-].*)?$")
_LINT_SCRIPTS = re.compile(r"^(?:lint|format:check|fmt:check|check-format)(?:[:_-].*)?$")
_TYPE_SCRIPTS = re.compile(r"^(?:typecheck|type-check|types|tsc)(?:[:_-].*)?$")

_DIRECT: dict[str, tuple[CheckKind, str]] = {
    "pytest": ("test", "pytest"),
    "py.test": ("test", "pytest"),
    "unittest": ("test", "unittest"),
    "nose2": ("test", "unittest"),
    "tox": ("test", "tox"),
    "nox": ("test", "nox"),
    "jest": ("test", "jest"),
    "vitest": ("test", "vitest"),
    "mocha": ("test", "mocha"),
    "ava": ("test", "ava"),
    "rspec": ("test", "rspec"),
    "phpunit": ("test", "phpunit"),
    "ctest": ("test", "ctest"),
    "tsc": ("typecheck", "tsc"),
    "vue-tsc": ("typecheck", "tsc"),
    "mypy": ("typecheck", "mypy"),
    "pyright": ("typecheck", "pyright"),
    "eslint": ("lint", "eslint"),
    "ruff": ("lint", "ruff"),
    "flake8": ("lint", "flake8"),
    "pylint": ("lint", "pylint"),
    "rubocop": ("lint", "rubocop"),
    "shellcheck": ("lint", "shellcheck"),
    "golangci-lint": ("lint", "golangci-lint"),
    "biome": ("lint", "biome"),
    "py_compile": ("build", "python"),
    "compileall": ("build", "python"),
    "build": ("build", "build"),
}
_SUBCOMMANDS: dict[str, dict[str, tuple[CheckKind, str]]] = {
    "go": {"test": ("test", "go test"), "build": ("build", "go build"), "vet": ("lint", "go vet")},
    "cargo": {
        "test": ("test", "cargo test"),
        "nextest": ("test", "cargo test"),
        "build": ("build", "cargo build"),
        "check": ("build", "cargo build"),
        "clippy": ("lint", "cargo clippy"),
    },
    "dotnet": {"test": ("test", "dotnet test"), "build": ("build", "dotnet build")},
    "mvn": {"test": ("test", "maven"), "verify": ("test", "maven"), "compile": ("build", "maven")},
    "gradle": {"test": ("test", "gradle"), "build": ("build", "gradle"), "check": ("test", "gradle")},
    "gradlew": {"test": ("test", "gradle"), "build": ("build", "gradle"), "check": ("test", "gradle")},
    "mix": {"test": ("test", "mix test"), "compile": ("build", "mix")},
    "swift": {"test": ("test", "swift test"), "build": ("build", "swift build")},
    "deno": {
        "test": ("test", "deno test"),
        "check": ("typecheck", "deno check"),
        "lint": ("lint", "deno lint"),
    },
    "bun": {"test": ("test", "bun test")},
    "rails": {"test": ("test", "rails test")},
    "rake": {"test": ("test", "rake test"), "spec": ("test", "rspec")},
    "playwright": {"test": ("test", "playwright")},
    "black": {"--check": ("lint", "black")},
    "prettier": {"--check": ("lint", "prettier")},
    "vite": {"build": ("build", "vite")},
    "next": {"build": ("build", "next"), "lint": ("lint", "next")},
    "cmake": {"--build": ("build", "cmake")},
}
_PACKAGE_MANAGERS = frozenset({"npm", "yarn", "pnpm", "bun"})


_SCRIPT_KINDS: tuple[tuple[re.Pattern[str], CheckKind], ...] = (
    (_TEST_SCRIPTS, "test"),
    (_BUILD_SCRIPTS, "build"),
    (_LINT_SCRIPTS, "lint"),
    (_TYPE_SCRIPTS, "typecheck"),
)


def _script_kind(script: str) -> CheckKind | None:
    for pattern, kind in _SCRIPT_KINDS:
        if pattern.match(script):
            return kind
    return None


def _segment_kind(words: tuple[str, ...]) -> tuple[CheckKind, str] | None:
    program = words[0]
    if program in _DIRECT:
        if program == "ruff" and len(words) > 1 and words[1] == "format" and "--check" not in words:
            return None
        return _DIRECT[program]
    rest = [w for w in words[1:] if w not in ("-s", "--silent", "-q")]
    if program in _PACKAGE_MANAGERS and rest:
        script = rest[1] if rest[0] in ("run", "run-script") and len(rest) > 1 else rest[0]
        kind = _script_kind(script)
        return (kind, f"{program} {script}") if kind else None
    if program == "make":
        target = next((w for w in rest if not w.startswith("-") and "=" not in w), "")
        if not target or target in ("all", "build"):
            return ("build", "make")
        kind = _script_kind(target)
        return (kind, f"make {target}") if kind else None
    table = _SUBCOMMANDS.get(program)
    if table:
        for word in words[1:3]:
            if word in table:
                return table[word]
        joined = " ".join(words[1:3])
        return table.get(joined)
    return None


def check_kind(command: str) -> tuple[CheckKind, str] | None:
    """What kind of check a command runs, and with which tool; None when it runs none.

    When a command runs several checks, the first test run names it, else the first check.
    """
    found: list[tuple[CheckKind, str]] = []
    for part in segments(command):
        words = argv(part)
        if words:
            kind = _segment_kind(words)
            if kind:
                found.append(kind)
    if not found:
        return None
    return next((k for k in found if k[0] == "test"), found[0])


# --- reading results ----------------------------------------------------------------------

_COUNT = r"(\d+) (failed|passed|errors?|skipped|xfailed|xpassed|warnings?|deselected|rerun)"
_PYTEST = re.compile(rf"^[=\s]*((?:{_COUNT}(?:, )?)+) in [\d.]+\s*s", re.MULTILINE)
_PYTEST_NONE = re.compile(r"^[=\s]*no tests ran in", re.MULTILINE)
_UNITTEST_RAN = re.compile(r"^Ran (\d+) tests? in", re.MULTILINE)
_UNITTEST_FAILED = re.compile(r"^FAILED \((?:failures|errors)=\d+", re.MULTILINE)
_UNITTEST_OK = re.compile(r"^OK\b", re.MULTILINE)
_JEST = re.compile(r"^\s*Tests:?\s+(.*\d+ (?:passed|failed|total).*)$", re.MULTILINE)
_CARGO = re.compile(r"test result: (ok|FAILED)\. (\d+) passed; (\d+) failed")
_GO_FAIL = re.compile(r"^(?:--- FAIL|FAIL\s)", re.MULTILINE)
_GO_OK = re.compile(r"^(?:ok\s+\S+|PASS$)", re.MULTILINE)
_MINITEST = re.compile(r"(\d+) runs, (\d+) assertions, (\d+) failures, (\d+) errors")
_RSPEC = re.compile(r"(\d+) examples?, (\d+) failures?")
_MOCHA_PASS = re.compile(r"^\s*(\d+) passing\b", re.MULTILINE)
_MOCHA_FAIL = re.compile(r"^\s*(\d+) failing\b", re.MULTILINE)
_PHPUNIT_FAIL = re.compile(r"^(?:FAILURES!|ERRORS!)", re.MULTILINE)
_PHPUNIT_OK = re.compile(r"^OK \(\d+ tests?", re.MULTILINE)
_FOUND_ERRORS = re.compile(r"Found (\d+) errors?\b")
_NO_ISSUES = re.compile(r"Success: no issues found|All checks passed!|0 errors?, \d+ warnings?|^\s*0 errors\b", re.M)
_ESLINT = re.compile(r"✖ (\d+) problems? \((\d+) errors?")
_TS_ERROR = re.compile(r"error TS\d+:")
_COMPILE_ERROR = re.compile(r"^error(?:\[E\d+\])?:|could not compile|^make(?:\[\d+\])?: \*\*\* .*Error \d+", re.M)
_PACKAGE_ERROR = re.compile(r"npm ERR!|ERR_PNPM|error Command failed with exit code|^npm error ", re.MULTILINE)
_BUILD_OK = re.compile(r"BUILD SUCCESS(?:FUL)?|Finished .*target|Compiled successfully|built in [\d.]+\s*m?s")
_BUILD_FAIL = re.compile(r"BUILD FAIL(?:URE|ED)|Failed to compile|Build failed")


def _counts(text: str) -> dict[str, int]:
    counts: dict[str, int] = {}
    for number, word in re.findall(_COUNT, text):
        key = "errors" if word.startswith("error") else word
        counts[key] = counts.get(key, 0) + int(number)
    return counts


_SUMMARY_HINTS = ("passed", "failed", " error", "no tests ran", "test result:", "Tests", "Ran ")


def test_summary(text: str) -> tuple[bool | None, str] | None:
    """The verdict of an unmistakable test-runner summary in an output, if it has one."""
    if not any(hint in text for hint in _SUMMARY_HINTS):
        return None
    matches = list(_PYTEST.finditer(text))
    if matches:
        line = matches[-1].group(1)
        counts = _counts(line)
        if counts.get("failed", 0) or counts.get("errors", 0):
            return False, line
        return (True, line) if counts.get("passed", 0) else (None, line)
    if _PYTEST_NONE.search(text):
        return False, "no tests ran"
    cargo = list(_CARGO.finditer(text))
    if cargo:
        failed = any(m.group(1) == "FAILED" for m in cargo)
        return not failed, cargo[-1].group(0)
    jest = list(_JEST.finditer(text))
    if jest:
        line = jest[-1].group(1).strip()
        if re.search(r"[1-9]\d* failed", line):
            return False, line
        return (True, line) if re.search(r"\d+ passed", line) else (None, line)
    ran = _UNITTEST_RAN.search(text)
    if ran:
        if _UNITTEST_FAILED.search(text):
            return False, f"ran {ran.group(1)} tests, some failed"
        if _UNITTEST_OK.search(text):
            return True, f"ran {ran.group(1)} tests, OK"
    return None


def _other_summary(text: str) -> tuple[bool | None, str] | None:
    minitest = list(_MINITEST.finditer(text))
    if minitest:
        last = minitest[-1]
        return last.group(3) == "0" and last.group(4) == "0", last.group(0)
    rspec = _RSPEC.search(text)
    if rspec:
        return rspec.group(2) == "0", rspec.group(0)
    failing = _MOCHA_FAIL.search(text)
    if failing:
        return False, f"{failing.group(1)} failing"
    passing = _MOCHA_PASS.search(text)
    if passing:
        return True, f"{passing.group(1)} passing"
    if _PHPUNIT_FAIL.search(text):
        return False, "phpunit failures"
    if _PHPUNIT_OK.search(text):
        return True, "phpunit OK"
    if _GO_FAIL.search(text):
        return False, "go test FAIL"
    if _GO_OK.search(text):
        return True, "go test ok"
    return None


def _problem_summary(text: str) -> tuple[bool | None, str] | None:
    eslint = _ESLINT.search(text)
    if eslint:
        return int(eslint.group(2)) == 0, eslint.group(0)
    found = _FOUND_ERRORS.search(text)
    if found:
        return int(found.group(1)) == 0, found.group(0)
    if _TS_ERROR.search(text):
        return False, "TypeScript errors"
    for pattern, verdict, label in (
        (_COMPILE_ERROR, False, "compile error"),
        (_BUILD_FAIL, False, "build failed"),
        (_PACKAGE_ERROR, False, "package script failed"),
        (_NO_ISSUES, True, "no issues found"),
        (_BUILD_OK, True, "build succeeded"),
    ):
        match = pattern.search(text)
        if match:
            return verdict, match.group(0).strip()[:80] if verdict else label
    return None


def read_result(text: str, is_error: bool, exit_code: int | None) -> tuple[bool | None, str]:
    """Whether a check passed, and the summary line that says so."""
    for reader in (test_summary, _other_summary, _problem_summary):
        found = reader(text)
        if found is not None and found[0] is not None:
            return found
    if is_error:
        return False, f"exit code {exit_code}" if exit_code is not None else "failed"
    if exit_code == 0:
        return True, "exit code 0"
    return None, "no result"


_INTERRUPTED = ("Command timed out", "[Request interrupted", "doesn't want to proceed", "Interrupted by user")


def command_check(command: str, text: str, is_error: bool, exit_code: int | None) -> CheckRun | None:
    """The check a Bash command ran, read from its output (turn and step left at 0); None when
    it ran none."""
    found = check_kind(command)
    if found is None:
        # A script of the project's own (`./run_tests.sh`) still shows a runner's summary.
        shown = test_summary(text) if not _is_viewer(command) else None
        if shown is None or shown[0] is None:
            return None
        return CheckRun(0, 0, "test", "tests", shown[0], shown[1])
    kind, tool = found
    if any(marker in text[:300] for marker in _INTERRUPTED):
        return CheckRun(0, 0, kind, tool, None, "interrupted")
    passed, summary = read_result(text, is_error, exit_code)
    return CheckRun(0, 0, kind, tool, passed, summary)


def step_check(step: Step) -> CheckRun | None:
    """The check a Bash step ran, with its result; None when the step ran none."""
    if step.tool_name != "Bash" or not step.has_result:
        return None
    command = str(step.input.get("command") or step.summary)
    found = command_check(command, step.result_text, step.is_error, step.exit_code)
    return replace(found, turn_index=step.turn_index, step_index=step.step_index) if found else None


_VIEWERS = frozenset({"cat", "head", "tail", "less", "more", "grep", "rg", "echo", "printf", "sed", "awk", "jq"})


def _is_viewer(command: str) -> bool:
    parts = segments(command)
    first = argv(parts[0]) if parts else ()
    return bool(first) and first[0] in _VIEWERS
