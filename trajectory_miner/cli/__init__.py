"""The command-line program `trajectory-miner`.

Each command module registers its subcommands and stays thin: parse the arguments, call the
core with a store and paths chosen here, print the result. Errors of the user's input or of
the store's state are printed as one clear line on stderr with exit code 2 or 1.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from types import ModuleType

from trajectory_miner import __version__
from trajectory_miner.cli import admin, capture, mining, scoring, serve
from trajectory_miner.cli import export as export_command
from trajectory_miner.cli import report as report_command
from trajectory_miner.cli import skills as skill_commands
from trajectory_miner.cli.output import CommandError, fail

COMMAND_MODULES: list[ModuleType] = [
    capture,
    serve,
    scoring,
    mining,
    skill_commands,
    report_command,
    export_command,
    admin,
]


def build_parser() -> argparse.ArgumentParser:
    """The argument parser with every command registered."""
    parser = argparse.ArgumentParser(
        prog="trajectory-miner",
        description="Capture, score and mine Claude Code sessions into skills and replays.",
    )
    parser.add_argument("--version", action="version", version=f"trajectory-miner {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    for module in COMMAND_MODULES:
        module.register(commands)
    return parser


MAX_ARGUMENT = 4096
_CONTROL = frozenset(chr(c) for c in (*range(32), 127)) - {"\t", "\n"}


def argument_problem(argv: Sequence[str]) -> str | None:
    """What is wrong with a command line no command could mean, or None.

    Checked before parsing, so that no command echoes megabytes or terminal escapes back.
    """
    for position, argument in enumerate(argv, 1):
        if len(argument) > MAX_ARGUMENT:
            return f"argument {position} is {len(argument):,} characters long; at most {MAX_ARGUMENT} are accepted"
        if any(char in _CONTROL for char in argument):
            return f"argument {position} contains control characters"
    return None


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command; the return value is the exit code."""
    arguments = list(sys.argv[1:] if argv is None else argv)
    problem = argument_problem(arguments)
    if problem is not None:
        return fail(problem, 2)
    parser = build_parser()
    args = parser.parse_args(arguments)
    handler = getattr(args, "handler", None)
    if handler is None:
        parser.print_help()
        return 2
    try:
        code: int = handler(args)
        return code
    except CommandError as exc:
        return fail(str(exc), exc.code)
    except KeyboardInterrupt:
        return fail("interrupted", 130)
    except BrokenPipeError:
        sys.stderr.close()
        return 0
