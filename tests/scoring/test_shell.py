import pytest

from trajectory_miner.scoring.shell import argv, command_key, is_read_only, programs, segments, surely_writes


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
    ],
)
def test_surely_writes_only_for_commands_that_certainly_change_files(command: str, writes: bool) -> None:
    assert surely_writes(command) is writes


def test_command_key_treats_listing_flags_as_the_same_look() -> None:
    assert command_key("ls") == command_key("ls -la") != command_key("ls src")
    assert command_key("pytest -q") != command_key("pytest -x")
