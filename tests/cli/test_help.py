"""Every command's `--help`: a one-line description and examples that the parser accepts."""

from __future__ import annotations

import shlex

import pytest

from trajectory_miner.cli import COMMANDS, build_parser
from trajectory_miner.cli.examples import EXAMPLES


@pytest.mark.parametrize("name", [name for name, _, _ in COMMANDS])
def test_each_command_help_has_a_description_and_an_example(name: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as done:
        build_parser().parse_args([name, "--help"])
    text = capsys.readouterr().out

    assert done.value.code == 0
    description = " ".join(text.split("\n\n")[1].split())
    assert description.endswith(".") and description.count(". ") == 0
    assert "example" in text and f"  trajectory-miner {name}" in text


@pytest.mark.parametrize("example", [line for lines in EXAMPLES.values() for line in lines])
def test_every_example_is_a_command_line_the_parser_accepts(example: str) -> None:
    words = shlex.split(example)

    args = build_parser().parse_args(words[1:])

    assert words[0] == "trajectory-miner"
    assert callable(getattr(args, "handler", None))


def test_every_command_has_examples_and_no_example_names_an_unknown_command() -> None:
    assert set(EXAMPLES) == {name for name, _, _ in COMMANDS}
