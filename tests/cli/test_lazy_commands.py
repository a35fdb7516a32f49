"""Each command loads only what it runs: the help and a command's parser from a light table."""

from __future__ import annotations

import argparse
import json
import subprocess
import sys

import pytest

from trajectory_miner.cli import COMMANDS, MODULES, build_parser, command_module, named_module

HEAVY = ("duckdb", "pydantic", "numpy", "trajectory_miner.store", "trajectory_miner.capture.ingest")


def _loaded_after(code: str) -> set[str]:
    """The modules a fresh interpreter holds after running `code`."""
    probe = f"import json, sys\n{code}\nprint(json.dumps(sorted(sys.modules)))"
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    return set(json.loads(out.stdout.strip().splitlines()[-1]))


def _subcommands(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    action = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))  # noqa: SLF001
    return dict(action.choices)


def test_help_loads_neither_the_store_nor_pydantic() -> None:
    code = (
        "import contextlib, io\nfrom trajectory_miner.cli import main\n"
        "with contextlib.suppress(SystemExit), contextlib.redirect_stdout(io.StringIO()):\n"
        "    main(['--help'])"
    )
    loaded = _loaded_after(code)
    assert [name for name in HEAVY if name in loaded] == []
    assert {f"trajectory_miner.cli.{m}" for m in MODULES} & loaded == set()


def test_a_command_loads_its_own_module_and_no_other_command_module() -> None:
    code = (
        "import contextlib, io\nfrom trajectory_miner.cli import main\n"
        "with contextlib.suppress(SystemExit), contextlib.redirect_stdout(io.StringIO()):\n"
        "    main(['hints', '--help'])"
    )
    commands = {f"trajectory_miner.cli.{m}" for m in MODULES}
    assert commands & _loaded_after(code) == {"trajectory_miner.cli.serve"}


def test_the_light_help_is_the_full_help() -> None:
    assert build_parser("").format_help() == build_parser().format_help()


def test_the_table_names_what_each_module_registers_with_the_same_help() -> None:
    for module in MODULES:
        parser = argparse.ArgumentParser()
        sub = parser.add_subparsers()
        command_module(module).register(sub)
        registered = [(a.dest, a.help) for a in sub._choices_actions]  # noqa: SLF001
        assert registered == [(name, text) for name, owner, text in COMMANDS if owner == module]


@pytest.mark.parametrize(("name", "module"), [(name, module) for name, module, _ in COMMANDS])
def test_a_named_command_gets_its_full_parser(name: str, module: str) -> None:
    assert named_module(["--version", name, "--json"]) == module
    lazy = _subcommands(build_parser(named_module([name])))[name]
    assert lazy.format_help() == _subcommands(build_parser())[name].format_help()


def test_words_that_name_no_command_name_no_module() -> None:
    assert named_module([]) == named_module(["--help"]) == named_module(["bogus", "mine"]) == ""
