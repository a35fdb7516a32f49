"""Scripted sessions: what the user asks, what the model answers, and the repo it works in.

A scenario is run by `claude_runner.run_scenario` with the real CLI. The model's side is
a flat list of replies, one per main-conversation request across all prompts, in order
(the fake API picks a reply by how many assistant turns the history already holds).
Strings in tool inputs may use `{python}` for the interpreter running the harness and
`{repo}` for the scratch repository's absolute path; file tools take paths relative to
the repo and the builders below make them absolute.

The scratch repos at the end of this module are those of the labelled set, which is in
`labelled_set.py` and recorded into `tests/fixtures/scenarios/`.
"""

from __future__ import annotations

import sys
import textwrap
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from .fake_api import Block, Reply, Text, ToolCall

DEFAULT_TOOLS: tuple[str, ...] = ("Bash", "Read", "Edit", "Write")

Outcome = Literal["success", "failure", "partial"]
Dimension = Literal[
    "task_completion",
    "tool_efficiency",
    "error_recovery",
    "skill_adherence",
    "routing_accuracy",
    "context_health",
]


@dataclass(frozen=True)
class Label:
    """The expected judgement of a recorded session, for checking scorers and miners."""

    outcome: Outcome
    low_dimension: Dimension | None
    note: str


@dataclass(frozen=True)
class Scenario:
    """One scripted session.

    `interrupt_on` names a file (relative to the repo) that a scripted command creates;
    when it appears the runner sends SIGINT to `claude`, as a user pressing Ctrl-C would.
    """

    name: str
    prompts: tuple[str, ...]
    replies: tuple[Reply, ...]
    files: Mapping[str, str] = field(default_factory=dict)
    allowed_tools: tuple[str, ...] = DEFAULT_TOOLS
    interrupt_on: str | None = None
    label: Label | None = None


def turn(*blocks: Block) -> Reply:
    """One model response made of the given blocks."""
    return Reply(tuple(blocks))


def say(text: str) -> Reply:
    """A text-only response, which ends the model's turn."""
    return Reply((Text(text),))


def text(value: str) -> Text:
    return Text(value)


def bash(command: str, description: str = "Run a command") -> ToolCall:
    return ToolCall("Bash", {"command": command, "description": description})


def read(path: str) -> ToolCall:
    return ToolCall("Read", {"file_path": f"{{repo}}/{path}"})


def edit(path: str, old: str, new: str) -> ToolCall:
    return ToolCall("Edit", {"file_path": f"{{repo}}/{path}", "old_string": old, "new_string": new})


def write(path: str, content: str) -> ToolCall:
    return ToolCall("Write", {"file_path": f"{{repo}}/{path}", "content": content})


def call(name: str, **tool_input: Any) -> ToolCall:
    """A call to any tool by name, e.g. an MCP tool or one the session does not offer."""
    return ToolCall(name, dict(tool_input))


def fill(value: Any, *, repo: Path, python: str = sys.executable) -> Any:
    """`value` with the `{python}` and `{repo}` placeholders filled in, recursively."""
    if isinstance(value, str):
        return value.replace("{python}", python).replace("{repo}", str(repo))
    if isinstance(value, dict):
        return {k: fill(v, repo=repo, python=python) for k, v in value.items()}
    if isinstance(value, list):
        return [fill(v, repo=repo, python=python) for v in value]
    return value


def fill_reply(reply: Reply, *, repo: Path, python: str = sys.executable) -> Reply:
    """A reply whose text and tool inputs have their placeholders filled in."""
    blocks: list[Block] = []
    for block in reply.blocks:
        if isinstance(block, Text):
            blocks.append(Text(fill(block.text, repo=repo, python=python)))
        else:
            blocks.append(ToolCall(block.name, fill(block.input, repo=repo, python=python)))
    return Reply(tuple(blocks))


# After a Ctrl-C the CLI writes its own assistant turn, so the script needs a reply in that
# slot that is never requested.
UNSENT = say("(never sent: the CLI closes an interrupted turn itself)")


def source(body: str) -> str:
    """A file's text written as an indented triple-quoted block."""
    return textwrap.dedent(body).lstrip("\n")


# --- Scratch repos of the labelled set ------------------------------------------------

PYTEST = "{python} -m pytest -q"

CALC_BUG, CALC_FIX = "total(values) / (len(values) - 1)", "total(values) / len(values)"
CALC = {
    "calc.py": source(
        '''
        """Small statistics helpers."""


        def total(values):
            return sum(values)


        def mean(values):
            return total(values) / (len(values) - 1)
        '''
    ),
    "test_calc.py": source(
        """
        from calc import mean, total


        def test_total():
            assert total([1, 2, 3]) == 6


        def test_mean():
            assert mean([2, 4, 6]) == 4
        """
    ),
}

SLUG = {
    "slug.py": source(
        '''
        """Turn titles into URL slugs."""

        import re


        def slugify(title):
            words = re.split(r"\\s+", title.lower())
            return "-".join(words)
        '''
    ),
    "test_slug.py": source(
        """
        from slug import slugify


        def test_simple():
            assert slugify("Hello World") == "hello-world"


        def test_strips_outer_spaces():
            assert slugify("  Hello   World ") == "hello-world"
        """
    ),
}

INVENTORY = {
    "inventory.py": source(
        '''
        """Stock levels for the shop."""

        STOCK = {"apple": 3, "pear": 0}


        def in_stock(item):
            return STOCK[item] > 0
        '''
    ),
    "test_inventory.py": source(
        """
        from inventory import in_stock


        def test_known_item():
            assert in_stock("apple")


        def test_unknown_item_is_out_of_stock():
            assert in_stock("plum") is False
        """
    ),
}

PRICES = {
    "prices.py": source(
        '''
        """Price formatting."""


        def round_price(value):
            return round(value, 2)
        '''
    ),
    "test_prices.py": source(
        """
        from prices import round_price


        def test_rounds_half_up():
            assert round_price(2.675) == 2.68
        """
    ),
}

UNITS = {
    "units.py": source(
        '''
        """Temperature conversions."""


        def c_to_f(celsius):
            return celsius * 9 / 5 + 23
        '''
    ),
    "test_units.py": source(
        """
        from units import c_to_f


        def test_boiling():
            assert c_to_f(100) == 212


        def test_freezing():
            assert c_to_f(0) == 32
        """
    ),
}

GREETING = {
    "greeting.py": source(
        '''
        """Greetings for the welcome page."""


        def greet(name):
            return "Hello, " + name
        '''
    ),
    "test_greeting.py": source(
        """
        from greeting import greet


        def test_greet():
            assert greet("Ada") == "Hello, Ada!"
        """
    ),
}

WORDCOUNT = {
    "wordcount.py": source(
        '''
        """Count words in text."""


        def word_count(text):
            return len(text.split(" "))
        '''
    ),
    "test_wordcount.py": source(
        """
        from wordcount import word_count


        def test_double_spaces():
            assert word_count("one two  three") == 3


        def test_empty():
            assert word_count("") == 0
        """
    ),
}

TEXTSTATS = '''\
"""Simple statistics over words."""


def word_count(text):
    return len(text.split())


def longest_word(text):
    return max(text.split(), key=len, default="")
'''

SKILL_MD = source(
    """
    ---
    name: release-notes
    description: Prepare release notes for a new version. Use when asked to prepare or write release notes.
    ---

    1. Run `python -m pytest -q` and stop if anything fails.
    2. Add a `## <version>` section at the top of CHANGELOG.md listing the changes.
    3. Set `__version__ = "<version>"` in version.py.
    """
)


def helpers_repo(package: str, script: str) -> dict[str, str]:
    """A repo whose script imports a package at the repo root, so running it by path fails."""
    init = f'"""Shared formatting for the {package} scripts."""\n\n\ndef fmt_money(amount):\n'
    init += '    return f"${amount:,.2f}"\n'
    job = f'"""A reporting job."""\n\nfrom {package} import fmt_money\n\nAMOUNTS = [120.5, 99.99, 310.0]\n\n'
    job += 'if __name__ == "__main__":\n    print("Total:", fmt_money(sum(AMOUNTS)))\n'
    return {f"{package}/__init__.py": init, script: job}


def log_repo() -> dict[str, str]:
    def line(i: int) -> str:
        level, status = ("ERROR", 500) if i % 37 == 5 else ("INFO", 200)
        return f"2024-05-01T10:{i // 60:02d}:{i % 60:02d} {level} request id={i} status={status}\n"

    return {
        "app.log": "".join(line(i) for i in range(100)),
        "logscan.py": source(
            '''
            """Count error lines in a log."""


            def count_errors(lines):
                return sum(1 for line in lines if "error" in line)
            '''
        ),
        "test_logscan.py": source(
            """
            import pytest

            from logscan import count_errors


            @pytest.mark.parametrize("n", range(40))
            def test_info_lines_are_not_errors(n):
                assert count_errors([f"INFO request id={n}"]) == 0


            def test_counts_error_lines():
                with open("app.log", encoding="utf-8") as log:
                    assert count_errors(log) == 3, "expected three ERROR lines"
            """
        ),
    }
