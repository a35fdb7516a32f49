"""The command-line program `trajectory-miner`.

Each command module registers its subcommands and stays thin: parse the arguments, call the
core with a store and paths chosen here, print the result. Errors of the user's input or of
the store's state are printed as one clear line on stderr with exit code 2 or 1.

A command pays only for what it runs: `COMMANDS` names every command with its module and
help line, so the top-level help is printed without importing any command module, and a
command line imports only the module of the command it names (the store, pydantic and the
scorer load with the commands that use them).
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Callable, Sequence
from types import ModuleType

from trajectory_miner import __version__

__all__ = [
    "COMMANDS",
    "MAX_ARGUMENT",
    "MODULES",
    "argument_problem",
    "build_parser",
    "command_module",
    "main",
    "named_module",
]

# (command, module under trajectory_miner.cli, help line), in the order `--help` lists them.
# Each module's `register` adds the same commands with the same help lines (a test holds them together).
COMMANDS: tuple[tuple[str, str, str], ...] = (
    ("ingest", "capture", "read new transcript lines into the store"),
    ("sessions", "capture", "list sessions"),
    ("show", "capture", "show a session's turns and steps"),
    ("search", "search", "find past sessions by words, ranked as the search_sessions tool ranks them"),
    ("serve", "serve", "run the miner MCP server over stdio (what Claude Code starts)"),
    ("hints", "serve", "write the live-hint file the PostToolUseFailure hook reads"),
    ("score", "scoring", "show a session's score card with its evidence"),
    ("rescore", "scoring", "recompute the score cards of all sessions"),
    ("feedback", "scoring", "record your verdict on a session"),
    ("mine", "mining", "mine failure patterns, skill candidates and replays"),
    ("skills", "skills", "review, approve and export mined skills"),
    ("report", "report", "write an HTML report of sessions, scores, patterns and skills"),
    ("export", "export", "export the store as Parquet or as a training dataset"),
    ("forget", "admin", "remove sessions, everything scored and mined from them, and their text from the store"),
    ("doctor", "admin", "check the store, spool, hooks, permissions and environment"),
)
MODULES: tuple[str, ...] = tuple(dict.fromkeys(module for _, module, _ in COMMANDS))


def command_module(name: str) -> ModuleType:
    """The command module `trajectory_miner.cli.<name>`, imported now."""
    return importlib.import_module(f"{__name__}.{name}")


def build_parser(only: str | None = None) -> argparse.ArgumentParser:
    """The argument parser with every command registered.

    With `only` given, the commands of that module of `MODULES` (none for "") are registered
    in full and the others by name and help line alone, so no other command module is imported.
    """
    parser = argparse.ArgumentParser(
        prog="trajectory-miner",
        description="Capture, score and mine Claude Code sessions into skills and replays.",
    )
    parser.add_argument("--version", action="version", version=f"trajectory-miner {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    for module in MODULES:
        if only is None or module == only:
            command_module(module).register(commands)
            continue
        for name, owner, help_text in COMMANDS:
            if owner == module:
                commands.add_parser(name, help=help_text)
    from trajectory_miner.cli.examples import describe

    describe(commands, {name: help_text for name, _, help_text in COMMANDS})
    return parser


def named_module(argv: Sequence[str]) -> str:
    """The module of the command a command line names ("" when it names none).

    The program's own options take no values, so the command is the first other word.
    """
    word = next((a for a in argv if not a.startswith("-")), "")
    return next((module for name, module, _ in COMMANDS if name == word), "")


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
        print(f"trajectory-miner: {problem}", file=sys.stderr)
        return 2
    parser = build_parser(named_module(arguments))
    args = parser.parse_args(arguments)
    handler = getattr(args, "handler", None)
    if handler is None:
        parser.print_help()
        return 2
    return _run(handler, args)


def _run(handler: Callable[[argparse.Namespace], int], args: argparse.Namespace) -> int:
    # Every command module imports `output` already; only `--help` and bad input do not need it.
    from trajectory_miner.cli.output import CommandError, disk_problem, fail, terminal_safe_stdout

    try:
        # Commands print transcript text; `serve` speaks the MCP protocol on stdout instead.
        with terminal_safe_stdout(enabled=getattr(args, "command", "") != "serve"):
            code: int = handler(args)
        return code
    except CommandError as exc:
        return fail(disk_problem(exc) or str(exc), exc.code)
    except KeyboardInterrupt:
        return fail("interrupted", 130)
    except BrokenPipeError:
        sys.stderr.close()
        return 0
    except Exception as exc:
        # A data home that cannot be written, or a full disk, is said in one line wherever it shows.
        problem = disk_problem(exc)
        if problem is None:
            raise
        return fail(problem, 1)
