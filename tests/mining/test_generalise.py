import pytest

from trajectory_miner.mining import generalise as gen


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("/tmp/venv/bin/python3.12 scripts/report_sales.py", "python <file>.py"),
        ("cd scripts && python report_sales.py", "cd <dir> && python <file>.py"),
        ("/usr/bin/python -m scripts.sync_stock", "python -m <module>"),
        ("python -m pytest -q tests/test_cart.py::test_total", "python -m pytest -q <file>.py::<test>"),
        ("npm test -- cart --watch=false", "npm test -- <args> <args>"),
        ('git commit -m "Fix the cart total"', "git commit -m <str>"),
        ("sed -i 's/+ 23/+ 32/' units.py", "sed -i <str> <file>.py"),
        ("head -n 40 src/app/api.py > /tmp/out.txt", "head -n <n> <file>.py > <file>.txt"),
        ("git show 3f9a2c1d", "git show <id>"),
        ("curl https://example.com/api/v1", "curl <url>"),
        ("go test ./...", "go test ./..."),
        ("grep -rn pattern --include=*.py .", "grep -rn pattern --include=*.py ."),
        ("python manage.py check_orders --since 3", "python <file>.py <name> --since <n>"),
    ],
)
def test_commands_lose_what_is_specific_to_one_session(raw: str, expected: str) -> None:
    assert gen.command(raw) == expected


@pytest.mark.parametrize(
    ("raw", "head"),
    [
        ("python scripts/report.py --verbose", "python"),
        ("cd jobs && python export.py", "python"),
        ("python -m pytest -q", "python -m pytest"),
        ("python manage.py migrate", "python <file>.py migrate"),
        ("npm run test:unit", "npm run test:unit"),
        ("git push origin HEAD", "git push"),
        ("cargo test --lib", "cargo test"),
    ],
)
def test_a_command_head_names_what_runs_without_where(raw: str, head: str) -> None:
    assert gen.command_head(raw) == head


def test_test_commands_are_told_from_other_checks_and_other_commands() -> None:
    assert gen.is_test_command("python -m pytest -q") and gen.is_test_command("npm run test")
    assert not gen.is_test_command("npx tsc --noEmit")
    assert gen.is_check_command("npx tsc --noEmit") and gen.is_check_command("cargo build")
    assert not gen.is_check_command("ls -la")


@pytest.mark.parametrize(
    ("path", "glob"),
    [
        ("src/app/models.py", "src/**/*.py"),
        ("tests/test_api.py", "tests/*.py"),
        ("calc.py", "*.py"),
        ("web/package.json", "package.json"),
        ("/etc/hosts", "*"),
    ],
)
def test_files_become_patterns_of_their_kind_and_place(path: str, glob: str) -> None:
    assert gen.file_glob(path) == glob


def test_paths_inside_the_working_directory_become_relative() -> None:
    assert gen.relative("/home/dev/shop/src/cart.js", "/home/dev/shop") == "src/cart.js"
    assert gen.relative("/etc/hosts", "/home/dev/shop") == "/etc/hosts"


def test_steps_are_described_without_names_and_bookkeeping_is_dropped() -> None:
    assert gen.step("Read", "/home/dev/shop/src/cart.js", ["/home/dev/shop/src/cart.js"]) == "Read <file>.js"
    assert gen.step("Edit", "x", ["/home/dev/shop/package.json"]) == "Edit package.json"
    assert gen.step("Bash", "python scripts/a.py", []) == "Run `python <file>.py`"
    assert gen.step("Grep", "def total in /home/dev", []) == "Search the code (Grep)"
    assert gen.step("TodoWrite", "{}", []) == ""


def test_path_operands_skip_programs_flags_and_globs() -> None:
    found = gen.path_operands("cd scripts && /opt/py/bin/python report.py --out a/b.csv *.txt ./...")
    assert found == ("report.py", "a/b.csv")


@pytest.mark.parametrize(
    ("prompt", "kind"),
    [
        ("Make the slug tests pass.", "fix failing tests"),
        ("The mean() in calc.py gives wrong answers. Fix it.", "fix a bug"),
        ("Add a currency field to the cart summary.", "add a feature"),
        ("Refactor the parser module.", "refactor code"),
        ("Run scripts/sync_stock.py.", "run a task"),
        ("hello", ""),
    ],
)
def test_requests_are_sorted_into_kinds_by_their_wording(prompt: str, kind: str) -> None:
    assert gen.request_kind(prompt) == kind


def test_snake_case_names_of_the_project_are_hidden_but_error_names_kept() -> None:
    text = "django.db.utils.OperationalError: no such table: orders_order"
    assert gen.names(text) == "django.db.utils.OperationalError: no such table: <name>"
    assert gen.names("ModuleNotFoundError: No module named <q>") == "ModuleNotFoundError: No module named <q>"
