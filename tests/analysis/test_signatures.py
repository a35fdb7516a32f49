"""Error signatures: one failure gets one signature wherever it happens, two failures get two."""

from __future__ import annotations

import random
import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from secrets_corpus import SECRET_KINDS, make_secret

from trajectory_miner.analysis.signatures import (
    error_signature,
    exit_code,
    failing_program,
    family,
    is_generic,
    key_line,
    normalise,
    signature_family,
)

TRACEBACK = """Exit code 1
Traceback (most recent call last):
  File "{path}", line {line}, in <module>
    import {module}
ModuleNotFoundError: No module named '{module}'"""

# A path: a name and a slash next to each other; a long digit run: five digits or more.
PATH = re.compile(r"[\w.@+-][/\\]|[/\\][\w.@+-]")
LONG_DIGITS = re.compile(r"\d{5,}")


def specific(tool: str, text: str, command: str = "") -> str:
    return signature_family(error_signature(tool, text, command))


def test_the_same_failure_in_two_sessions_gets_the_same_signature() -> None:
    one = TRACEBACK.format(path="/tmp/a/run.py", line=3, module="helpers")
    two = TRACEBACK.format(path="/home/someone/proj/main.py", line=17, module="helpers")
    assert error_signature("Bash", one) == error_signature("Bash", two)


def test_a_different_missing_module_is_a_different_signature() -> None:
    one = TRACEBACK.format(path="/tmp/a/run.py", line=3, module="helpers")
    two = TRACEBACK.format(path="/tmp/a/run.py", line=3, module="utils")
    assert error_signature("Bash", one) != error_signature("Bash", two)


def test_signature_names_tool_exit_class_and_the_exception_with_its_module() -> None:
    text = TRACEBACK.format(path="/tmp/a/run.py", line=3, module="helpers")
    assert error_signature("Bash", text) == "Bash|exit1|ModuleNotFoundError: No module named 'helpers'"


def test_quoted_names_are_kept_and_quoted_free_text_is_dropped() -> None:
    assert normalise("KeyError: 'DATABASE_URL'") == "KeyError: 'DATABASE_URL'"
    assert normalise('Error: Cannot find module "express"') == "Error: Cannot find module 'express'"
    assert normalise("ValueError: bad value 'not a number at all'") == "ValueError: bad value <q>"
    assert normalise("No such file: '/srv/app/config.json'") == "No such file: '<path>'"


def test_paths_line_numbers_hashes_temp_names_and_times_are_replaced() -> None:
    line = "error at /srv/app/src/main.rs:42:7 in build 9f3c2a1b of tmpk3j_2x9a took 3.5s at 16:08:42"
    assert normalise(line) == "error at <path> in build <hex> of <tmp> took <n>s at <n>:<n>:<n>"
    assert normalise(r"at C:\Users\dev\proj\x.py line 3") == "at <path> line <n>"
    assert normalise("see ~/proj/notes.txt and ./scripts/run.sh") == "see <path> and <path>"


def test_location_prefixes_go_whatever_form_the_location_takes() -> None:
    relative = "Exit code 1\ntest_calc.py:12: AssertionError: expected a total"
    absolute = "Exit code 1\n/home/dev/shop/tests/test_calc.py:98: AssertionError: expected a total"
    assert specific("Bash", relative) == specific("Bash", absolute) == "AssertionError: expected a total"
    tsc = "Exit code 2\nsrc/a/b.ts(12,5): error TS2322: Type 'string' is not assignable to type 'number'."
    assert specific("Bash", tsc) == "error TS2322: Type 'string' is not assignable to type 'number'."


def test_the_shell_prefix_does_not_split_a_missing_command() -> None:
    forms = [
        "Exit code 127\nbash: line 1: node: command not found",
        "Exit code 127\n/bin/bash: line 1: node: command not found",
        "Exit code 127\nsh: 1: node: not found",
        "Exit code 127\nzsh: command not found: node",
        "Exit code 127\nbash: node: command not found",
    ]
    assert {specific("Bash", text, "node app.js") for text in forms} == {"node: command not found"}
    assert specific("Bash", "Exit code 127\nbash: line 1: pnpm: command not found") == "pnpm: command not found"


def test_pytest_failure_keeps_the_failing_test_but_not_its_file_or_values() -> None:
    one = "Exit code 1\nFAILED tests/test_calc.py::test_add - AssertionError: assert 3 == 4\n1 failed in 0.05s"
    moved = "Exit code 1\nFAILED src/test_calc.py::test_add[1-2] - assert 7 == 9\n1 failed in 0.09s"
    other = "Exit code 1\nFAILED tests/test_math.py::test_sub - assert 1 == 2\n1 failed in 0.09s"
    assert (
        specific("Bash", one, "python -m pytest -q")
        == specific("Bash", moved, "pytest")
        == "AssertionError in test_add"
    )
    assert specific("Bash", other, "pytest") == "AssertionError in test_sub"


def test_a_cut_summary_line_gives_way_to_the_whole_exception_above_it() -> None:
    text = (
        "Exit code 1\nE   TypeError: unsupported operand type(s) for +: 'int' and 'str'\n"
        "FAILED tests/test_x.py::test_total - TypeError: unsuppo...\n1 failed in 0.1s"
    )
    assert specific("Bash", text, "pytest") == "TypeError: unsupported operand type(s) for +: 'int' and 'str'"


def test_a_traceback_names_its_final_exception_not_the_bare_location_line() -> None:
    text = (
        "Exit code 1\nE       KeyError: 'plum'\n\ninventory.py:7: KeyError\n"
        "During handling of the above exception, another exception occurred:\n"
        "E       LookupError: no stock for 'plum'\n\nshop.py:3: LookupError\n1 failed in 0.1s"
    )
    assert specific("Bash", text) == "LookupError: no stock for 'plum'"


def test_an_exception_of_any_name_ends_a_traceback_and_source_lines_are_not_assertions() -> None:
    frames = 'Exit code 1\nTraceback (most recent call last):\n  File "x.py", line 3, in f\n    assert ready\n'
    assert specific("Bash", frames + "StopIteration", "python x.py") == "StopIteration @ python"
    assert specific("Bash", frames + "shop.models.Order.DoesNotExist: no order 12") == (
        "shop.models.Order.DoesNotExist: no order <n>"
    )


def test_version_and_progress_lines_are_never_the_key_line() -> None:
    text = "Exit code 1\nv22.16.0\n9.15.0\nProgress: resolved 12, reused 12\nDownloading left-pad\nbroken lockfile"
    assert key_line(text) == "broken lockfile"
    assert key_line("Exit code 1\nnpm warn deprecated x@1\nnpm ERR! code E404\nnpm ERR! 404 Not Found") == (
        "npm ERR! code E404"
    )


def test_the_program_of_a_weak_key_line_is_the_part_that_failed() -> None:
    text = "Exit code 1\nFAIL"
    assert specific("Bash", text, "DEBUG=1 go test ./...") == "FAIL @ go"
    assert specific("Bash", text, "git checkout main && npm test") == "FAIL @ npm"
    assert specific("Bash", text, "cd web && export CI=1 && npx jest 2>&1 | tail -20") == "FAIL @ jest"
    assert specific("Bash", text, "make test && echo OK") == "FAIL @ make"
    assert specific("Read", "failed", "make") == "failed"


def test_failing_program_reads_through_setup_wrappers_runners_and_quotes() -> None:
    assert failing_program("uv run pytest -k 'a|b'") == "pytest"
    assert failing_program("timeout 30 python3 -m mypy src &>/dev/null") == "mypy"
    assert failing_program("echo 'a;b' | grep x") == "echo"
    assert failing_program("git commit -m \"$(cat <<'EOF'\nmsg; rm x\nEOF\n)\" && git push") == "git"
    assert failing_program("pytest") == "pytest"
    assert failing_program("") == ""


def test_exit_code_is_read_from_the_first_line() -> None:
    assert exit_code("Exit code 127\nbash: foo: command not found") == 127
    assert exit_code("all good") is None


def test_signature_without_known_markers_uses_the_first_telling_line() -> None:
    assert error_signature("Read", "File does not exist.") == "Read|error|File does not exist."


def test_signature_family_drops_tool_and_exit_class() -> None:
    assert signature_family("Bash|exit1|ModuleNotFoundError: x") == "ModuleNotFoundError: x"
    assert signature_family("plain") == "plain"


def test_family_names_the_kind_of_failure() -> None:
    assert family("Bash|exit1|ModuleNotFoundError: No module named 'x'") == "ModuleNotFoundError"
    assert family("Bash|exit1|Error: Cannot find module 'express'") == "ModuleNotFoundError"
    assert family("Bash|exit1|KeyError: 'plum'") == "KeyError"
    assert family("Bash|exit127|node: command not found") == "command not found"
    assert family("Bash|exit2|error TS2322: Type <q> is not assignable") == "TypeScript error"
    assert family("Bash|exit1|AssertionError @ pytest") == "assertion failed"
    assert family("Bash|exit1|Exit code <n> @ false") == "exit status"
    assert family("KeyError: 'x'") == "KeyError"


def test_is_generic_only_for_signatures_that_say_no_more_than_failed() -> None:
    generic = ["Bash|exit1|Exit code <n> @ make", "Bash|error|error", "Bash|exit1|FAIL <path> @ npm", "failed", ""]
    generic.append("Bash|exit1|npm ERR! code ELIFECYCLE @ npm")
    telling = ["Bash|exit127|node: command not found", "Bash|exit1|KeyError: 'plum'", "Read|error|File does not exist."]
    assert [is_generic(s) for s in generic] == [True] * len(generic)
    assert [is_generic(s) for s in telling] == [False] * len(telling)


@pytest.mark.parametrize("kind", SECRET_KINDS)
def test_a_secret_in_an_error_message_does_not_survive_into_its_signature(kind: str) -> None:
    # The store's redactor runs over signatures too; a half-normalised secret would escape it.
    for seed in range(5):
        secret = make_secret(kind, random.Random(seed))
        text = f"Exit code 1\nTraceback (most recent call last):\nRuntimeError: could not connect with {secret.snippet}"
        assert secret.value not in error_signature("Bash", text, "python deploy.py")


def test_huge_lines_are_read_in_linear_time() -> None:
    # No time is asserted (pytest-timeout bounds the run); bench/signatures.py prints the figures.
    hex_line = ("0123456789abcdef" * 1_250)[:20_000]
    assert specific("Bash", "Exit code 1\n" + hex_line, "python x.py") == "<hex> @ python"
    assert specific("Bash", "Exit code 1\n" + hex_line * 50, "python x.py") == "<hex> @ python"
    assert normalise(hex_line) == "<hex>"
    assert specific("Bash", "Exit code 1\n" + "/a" * 10_000, "ls") == "<path> @ ls"
    assert not LONG_DIGITS.search(specific("Bash", "Error: " + "'x 1234567 " * 20_000))


texts = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=400)
fragments = st.sampled_from(
    [
        "Exit code 1\n",
        "Traceback (most recent call last):\n",
        "/home/dev/proj/a.py:12:4: ",
        "C:\\Users\\me\\x.py",
        "~/x/y",
        "'quoted/path/x'",
        "KeyError: '1234567890'",
        " 0x7ffe1234 ",
        "9f3c2a1b7e",
        "bash: line 1: x: command not found\n",
        "E       ",
        "FAILED a.py::t - ",
        "\x1b[31m",
        "'",
        '"',
        "`",
        "|",
        "1234567",
    ]
)


@settings(max_examples=400, deadline=None)
@given(st.lists(st.one_of(texts, fragments), max_size=10).map("".join), st.one_of(texts, fragments))
def test_a_signature_never_raises_nor_keeps_a_path_or_a_long_digit_run(text: str, command: str) -> None:
    for tool in ("Bash", "Read", ""):
        signature = error_signature(tool, text, command)
        assert signature.count("|") >= 2
        kept = signature_family(signature)
        assert not PATH.search(kept), kept
        assert not LONG_DIGITS.search(kept), kept
        assert isinstance(family(signature), str) and isinstance(is_generic(signature), bool)
