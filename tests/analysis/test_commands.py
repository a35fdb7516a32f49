"""The bash reading of commands: the command table, the rules it rests on, and its bounds.

`command_table.json` holds real Bash commands from the transcript corpus and the test
fixtures, and commands written by hand (`source: "hand"`) in the same shapes, each with its
expected simple commands as [connector, program, leading assignments, context], its programs,
main program, whether it hides its exit status, whether the grammar read it, and its
identity. A command from a corpus source not licensed for redistribution is kept as a
reference into ../shared/corpus (see `table_rows`), with the count of its assignments in
place of their values and no identity. The expectations were read and checked by hand.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from analysis.table_rows import command_rows, corpus_commands, params
from hypothesis import given, settings
from hypothesis import strategies as st

from trajectory_miner.analysis.commands import (
    GRAMMAR_LIMIT,
    argv,
    command_key,
    identity,
    is_read_only,
    main_program,
    parse,
    parse_pattern,
    programs,
    segments,
    surely_writes,
)
from trajectory_miner.mining.generalise import command_head
from trajectory_miner.retrieval.text import command_words

TABLE = command_rows()
CORPUS = Path(__file__).resolve().parents[2].parent / "shared" / "corpus"


def test_segments_split_on_shell_operators_and_leave_heredoc_bodies_out() -> None:
    command = "cd app && cat > notes.txt <<'EOF'\nrm -rf /\nEOF\nls | wc -l; echo done"
    assert segments(command) == ["cd app", "cat > notes.txt", "ls", "wc -l", "echo done"]


@pytest.mark.parametrize(
    ("segment", "expected"),
    [
        ("FOO=1 BAR=2 pytest -q", ("pytest", "-q")),
        ("/usr/bin/python3.12 -m pytest", ("pytest",)),
        ("python -m scripts.sync", ("python", "-m", "scripts.sync")),
        ("sudo timeout 60 npm test", ("npm", "test")),
        ("uv run mypy src", ("mypy", "src")),
        ("npx tsc --noEmit", ("tsc", "--noEmit")),
        ("./node_modules/.bin/jest", ("jest",)),
    ],
)
def test_argv_reduces_a_command_to_the_program_that_runs(segment: str, expected: tuple[str, ...]) -> None:
    assert argv(segment) == expected


def test_programs_lists_every_part() -> None:
    assert programs("git status && python -m pytest | tail -5") == ("git", "pytest", "tail")


@pytest.mark.parametrize(
    ("command", "read_only"),
    [
        ("ls -la && cat a.py | grep x", True),
        ("git status; git diff HEAD", True),
        ("git add -A && git commit -m wip", True),
        ("sed -n '1,20p' a.py", True),
        ("sed -i 's/a/b/' a.py", False),
        ("echo hi > out.txt", False),
        ("ls src 2>&1 >/dev/null", True),
        ("git checkout -- a.py", False),
        ("npm install", False),
        ("grep -n 'a > b' notes.md", True),
        ("bash -c 'ls && pwd'", True),
        ("echo $(rm -rf build)", False),
    ],
)
def test_is_read_only_tells_looking_from_changing(command: str, read_only: bool) -> None:
    assert is_read_only(command) is read_only


@pytest.mark.parametrize(
    ("command", "writes"),
    [
        ("rm build.log", True),
        ("echo x >> .env", True),
        ("git restore src/a.py", True),
        ("perl -pi -e 's/a/b/' a.py", True),
        ("ls 2>/dev/null", False),
        ("npm install", False),
        ("git commit -m done", False),
        ("cat > notes.md <<'EOF'\nrm -rf /\nEOF", True),
        ("cat <<'EOF'\nrm -rf build\nEOF", False),
        ("pytest 2>errors.log", True),
    ],
)
def test_surely_writes_only_for_commands_that_certainly_change_files(command: str, writes: bool) -> None:
    assert surely_writes(command) is writes


def test_command_key_treats_listing_flags_as_the_same_look() -> None:
    assert command_key("ls") == command_key("ls -la") != command_key("ls src")
    assert command_key("pytest -q") != command_key("pytest -x")


# --- the command table ----------------------------------------------------------------------


def test_the_table_holds_at_least_150_real_commands() -> None:
    assert sum(1 for row in TABLE if row["source"] != "hand") >= 150


def test_at_least_150_commands_of_the_table_run_without_the_corpus() -> None:
    assert sum(1 for row in TABLE if "corpus" not in row) >= 150


@pytest.mark.parametrize("row", params(TABLE, [f"{i}-{row['source']}" for i, row in enumerate(TABLE)]))
def test_each_command_of_the_table_reads_as_checked(row: dict[str, Any]) -> None:
    command = row["command"]
    line = parse(command)
    quoted = "corpus" not in row  # a row read from the corpus keeps only the count of assignments
    got = [[c.connector, c.program, list(c.assignments), c.context] for c in line.commands]
    if not quoted:
        got = [[connector, program, len(assigned), context] for connector, program, assigned, context in got]
    assert got == row["segments"]
    assert list(line.programs) == row["programs"]
    assert main_program(command) == row["main_program"]
    assert line.hides_status() is row["hides_status"]
    assert line.parsed is row["parsed"]
    if quoted:
        assert identity(command) == row["identity"]


# --- what the rules say ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("command", "main"),
    [
        ("export DATABASE_URL=x && python app.py", "python"),
        ("printf 'A=1' > .env && python app.py", "python"),
        ("cd app && source .venv/bin/activate && uv run pytest", "pytest"),
        ("bash -c 'cd app && make test'", "make"),
        ("git log -3 | cat", "git"),
        ("ls -la && cat README.md", None),
    ],
)
def test_the_main_program_is_the_first_work_past_setup_and_looks(command: str, main: str | None) -> None:
    assert main_program(command) == main


@pytest.mark.parametrize(
    ("command", "program", "wrappers", "assignments"),
    [
        ("sudo -E timeout 60 npm test", "npm", ("sudo -E", "timeout 60"), ()),
        ("env -u HOME A=1 B=2 node server.js", "node", ("env -u HOME",), ("A=1", "B=2")),
        ("nice -n 10 nohup python worker.py", "python", ("nice -n 10", "nohup"), ()),
        ("uv run --with rich python -m pytest -q", "pytest", ("uv run --with rich", "python -m"), ()),
        ("poetry run mypy src", "mypy", ("poetry run",), ()),
        ("npm exec -- jest --ci", "jest", ("npm exec",), ()),
        ("npx -y @biomejs/biome@1.9 check .", "biome", ("npx -y",), ()),
        ("xargs -I{} -n 1 rm {}", "rm", ("xargs -I{} -n 1",), ()),
        ("stdbuf -oL python -u app.py", "python", ("stdbuf -oL",), ()),
        ("PYTHONPATH=src python3.12 -X dev -m pytest", "pytest", ("python -m",), ("PYTHONPATH=src",)),
        ("command -v gh", "command", (), ()),
        ("timeout", "timeout", (), ()),
    ],
)
def test_wrappers_and_runners_are_seen_through(
    command: str, program: str, wrappers: tuple[str, ...], assignments: tuple[str, ...]
) -> None:
    (simple,) = parse(command).commands
    assert (simple.program, simple.wrappers, simple.assignments) == (program, wrappers, assignments)


def test_arguments_lose_their_quotes_and_keep_their_words() -> None:
    (simple,) = parse("""git commit -m "fix: handle \\"quoted\\" names" --author='A B' a\\ b $'x\\ty'""").commands
    assert simple.args == ("commit", "-m", 'fix: handle "quoted" names', "--author=A B", "a b", "x\ty")


def test_redirections_are_kept_apart_from_the_arguments() -> None:
    (simple,) = parse("echo > out.txt hi 2>/dev/null there").commands
    assert simple.args == ("hi", "there")
    assert simple.redirects == (">out.txt", "2>/dev/null")
    assert simple.writes_to == ("out.txt",)


def test_a_heredoc_is_kept_as_text_and_its_command_keeps_its_arguments() -> None:
    line = parse("python3 - <<'PY' > out.txt\nimport os\nos.remove('x')\nPY\nls")
    assert [(c.program, c.args, c.redirects) for c in line.commands] == [
        ("python", ("-",), ("<<PY", ">out.txt")),
        ("ls", (), ()),
    ]
    assert line.heredocs == ("import os\nos.remove('x')\n",)


def test_a_redirection_after_a_list_belongs_to_its_last_command() -> None:
    first, last = parse("cd build && make > make.log").commands
    assert first.redirects == ()
    assert last.redirects == (">make.log",)


def test_the_rest_of_a_heredoc_line_is_read_after_the_heredoc() -> None:
    line = parse("cat <<EOF | python3 - && echo ok\nprint(1)\nEOF\nls")
    assert [(c.connector, c.program) for c in line.commands] == [
        ("", "cat"),
        ("|", "python"),
        ("&&", "echo"),
        ("\n", "ls"),
    ]


def test_shell_bodies_subshells_and_substitutions_are_read_with_where_they_run() -> None:
    line = parse('(cd web && npm ci) && bash -c "make -C api test" && echo $(git rev-parse HEAD)')
    assert [(c.program, c.context, c.in_subshell) for c in line.commands] == [
        ("cd", "subshell", True),
        ("npm", "subshell", True),
        ("bash", "", False),
        ("make", "shell", True),
        ("echo", "", False),
        ("git", "substitution", True),
    ]
    assert [c.program for c in line.work()] == ["npm", "make", "echo"]


def test_the_environment_and_folders_a_command_sets_up() -> None:
    line = parse("export A=1 B='x y' && cd api && PYTHONPATH=src pytest; C=3")
    assert line.environment == ("A=1", "B=x y", "PYTHONPATH=src", "C=3")
    assert line.directories == ("api",)
    assert [c.is_setup for c in line.commands] == [True, True, False, True]


@pytest.mark.parametrize(
    ("command", "hidden"),
    [
        ("python app.py 2>&1 | tail -3", True),
        ("pytest | tee test.log", True),
        ("pytest || true", True),
        ("pytest; true", True),
        ("pytest || :", True),
        ("make || echo 'build failed'", True),
        ("make || exit 0", True),
        ("make || exit 1", False),
        ("make || exit", False),
        ("set -o pipefail; pytest | tail -5", False),
        ("pytest | tail -5 | python summarize.py", False),
        ("pytest && echo done", False),
        ("x=$(grep -c foo f || true) && python app.py", False),
    ],
)
def test_hides_status_is_read_from_the_tree(command: str, hidden: bool) -> None:
    assert parse(command).hides_status() is hidden


@pytest.mark.parametrize(
    ("one", "other"),
    [
        ("PYTHONPATH=src python -m pytest", "python -m pytest"),
        ("export X=1 && python app.py", "python app.py"),
        ("cd a && make", "cd b && make"),
        ("pytest", "python -m pytest"),
        ("timeout 60 npm test", "npm test"),
        ("python app.py > out.txt", "python app.py"),
        ("python - <<'PY'\nprint(1)\nPY", "python - <<'PY'\nprint(2)\nPY"),
    ],
)
def test_identity_keeps_what_changes_the_call(one: str, other: str) -> None:
    assert identity(one) != identity(other)


@pytest.mark.parametrize(
    ("one", "other"),
    [
        ("ls", "ls -la"),
        ("git  commit -m 'a b'", 'git commit -m "a b"'),
        ("pytest -q 2>&1 | tail -5", "pytest -q | tail -30"),
        ("npm test  # again", "npm test"),
        ("cat -n a.py", "cat a.py"),
    ],
)
def test_identity_drops_what_does_not(one: str, other: str) -> None:
    assert identity(one) == identity(other)


def test_a_command_the_grammar_cannot_read_gets_the_light_reading() -> None:
    line = parse("cat <<EOF; echo ok\nbody\nEOF")
    assert not line.parsed
    assert [(c.connector, c.program) for c in line.commands] == [("", "cat"), (";", "echo")]
    assert line.heredocs == ("body",)


def test_a_generalised_command_keeps_its_placeholders_as_words() -> None:
    (simple,) = parse_pattern("python <file>.py migrate > <file>.txt").commands
    assert simple.words == ("python", "<file>.py", "migrate")
    assert simple.redirects == (">" + "<file>.txt",)


# --- bounds ---------------------------------------------------------------------------------


def test_huge_commands_are_read_in_part_without_the_grammar() -> None:
    line = parse("echo '" + "a" * (GRAMMAR_LIMIT * 8) + "' && ls")
    assert not line.parsed
    assert line.commands[0].program == "echo"


def test_a_large_heredoc_is_read_by_the_grammar() -> None:
    body = "x = 1  # $(rm -rf /)\n" * 2_500
    line = parse(f"cat > big.py <<'EOF'\n{body}EOF\npython big.py")
    assert line.parsed
    assert line.programs == ("cat", "python")
    assert line.heredocs == (body,)


@pytest.mark.parametrize(
    "command",
    ["$(" * 5_000 + "ls" + ")" * 5_000, "echo " + "${a:-" * 5_000 + "}" * 5_000, "bash -c 'bash -c \"" * 40 + "ls"],
)
def test_deep_nesting_is_read_without_raising(command: str) -> None:
    assert isinstance(parse(command).programs, tuple)
    assert isinstance(identity(command), str)


_BRACE_CRASH = """
from trajectory_miner.analysis.bash import read
from trajectory_miner.analysis.commands import simple_from_words
for point in (0x31860, 0xA823F, 0xE0001, 0xF0000, 0x10FFFD, 0x4E2D):
    for text in ("{%s\\xac", "{1..%s", "{12%s", "echo {%s}"):
        for _ in range(200):
            read(text % chr(point), simple_from_words)
"""


def test_a_wide_character_after_a_brace_does_not_crash_the_grammar() -> None:
    # The grammar's scanner reads the character after `{` with C's `isdigit`: past U+00FF that
    # reads outside its table, and the process dies of a segmentation fault, not an exception.
    done = subprocess.run([sys.executable, "-c", _BRACE_CRASH], capture_output=True, timeout=120)
    assert done.returncode == 0, done.stderr.decode(errors="replace")[-500:]
    (simple,) = parse("echo {\U0001f600} {1..\u4e2d}").commands
    assert simple.args == ("{\U0001f600}", "{1..\u4e2d}")


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=300))
def test_parse_never_raises_on_any_text(text: str) -> None:
    line = parse(text)
    assert line.text == text
    identity(text)
    main_program(text)


_SHELLISH = st.lists(
    st.sampled_from(
        [*"ab -'\"\\$()`<>|&;{}[]\n#=*!0", "<<EOF\n", "\nEOF\n", "bash -c ", "$(", "&&", "||", "2>&1", "sudo ", "cd "]
    ),
    max_size=40,
).map("".join)


@settings(max_examples=300, deadline=None)
@given(_SHELLISH)
def test_parse_never_raises_on_shell_like_text(text: str) -> None:
    line = parse(text)
    line.hides_status()
    segments(text)
    is_read_only(text)
    surely_writes(text)


_KEYWORDS = frozenset(
    {"if", "then", "else", "elif", "fi", "for", "while", "until", "do", "done", "case", "esac", "in", "function"}
    | {"select", "time", "coproc", "export", "declare", "local", "readonly", "typeset", "unset"}
)
_NAME = st.from_regex(r"[A-Z_][A-Z0-9_]{0,8}", fullmatch=True)
_VALUE = st.from_regex(r"[A-Za-z0-9_./:,@%+-]{0,12}", fullmatch=True)
_PROGRAM = st.from_regex(r"[a-z][a-z0-9_-]{1,8}", fullmatch=True).filter(lambda p: p not in _KEYWORDS)
_ARG = st.from_regex(r"[A-Za-z0-9_./-]{1,10}", fullmatch=True)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(_NAME, _VALUE), min_size=1, max_size=4), _PROGRAM, st.lists(_ARG, max_size=4))
def test_identity_never_loses_an_assignment(assignments: list[tuple[str, str]], program: str, args: list[str]) -> None:
    written = [f"{name}={value}" for name, value in assignments]
    key = identity(" ".join([*written, program, *args]))
    for assignment in written:
        assert assignment in key


# --- the corpus -----------------------------------------------------------------------------


@pytest.mark.skipif(not CORPUS.is_dir(), reason="the shared corpus is not beside the repository")
def test_every_bash_command_of_the_corpus_is_read_by_the_grammar() -> None:
    commands = corpus_commands()
    assert len(commands) > 100
    light = [c for c in commands if not parse(c).parsed]
    assert len(light) <= len(commands) // 100
    assert all(parse(c).commands for c in commands if c.strip())


# --- readers built on this model ------------------------------------------------------------


@pytest.mark.parametrize(
    ("command", "head"),
    [
        ("export X=1 && python app.py", "python"),
        ("PYTHONPATH=src python -m pytest", "python -m pytest"),
        ("cd web && sudo timeout 60 npm test", "npm test"),
        ("python -u -m pytest -q", "python -m pytest"),
        ("python <file>.py migrate", "python <file>.py migrate"),
        ("cd <dir> && npm run <name>", "npm run <name>"),
    ],
)
def test_a_command_head_sees_through_setup_and_wrappers(command: str, head: str) -> None:
    assert command_head(command) == head


def test_command_words_come_from_every_part_and_its_wrappers() -> None:
    words = command_words("cd api && timeout 60 python3 -m pytest -q tests/unit 2>&1 | tail -5")
    assert {"cd", "api", "timeout", "python", "-m", "pytest", "-q", "unit", "tail", "-5"} <= words
    assert "2>&1" not in words


@pytest.mark.parametrize(
    ("command", "read_only", "main"),
    [
        ('find . -name "*.pyc" -delete', False, "find"),
        ("find . -name __pycache__ -prune -exec rm -rf {} +", False, "find"),
        ("find . -name '*.py' -exec grep -l TODO {} \\;", True, None),
        ("find . -name '*.log' -fprint found.txt", False, "find"),
        ("find src -type f -name '*.ts'", True, None),
    ],
)
def test_find_only_looks_unless_it_deletes_writes_or_runs_a_writer(
    command: str, read_only: bool, main: str | None
) -> None:
    assert is_read_only(command) is read_only
    assert main_program(command) == main


@pytest.mark.parametrize(
    ("command", "program"),
    [
        ("pnpm --filter web exec vitest run", "vitest"),
        ("pnpm -F web exec tsc --noEmit", "tsc"),
        ("npm --prefix web exec jest", "jest"),
        ("pnpm --filter web test", "pnpm"),
    ],
)
def test_package_manager_options_before_exec_do_not_hide_the_program(command: str, program: str) -> None:
    assert main_program(command) == program
