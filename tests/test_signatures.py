from trajectory_miner.signatures import error_signature, exit_code, key_line, normalise, signature_family

TRACEBACK_A = """Exit code 1
Traceback (most recent call last):
  File "/tmp/a/run.py", line 3, in <module>
    import helpers
ModuleNotFoundError: No module named 'helpers'"""

TRACEBACK_B = """Exit code 1
Traceback (most recent call last):
  File "/home/someone/proj/main.py", line 17, in <module>
    import utils
ModuleNotFoundError: No module named 'utils'"""


def test_the_same_failure_in_two_sessions_gets_the_same_signature() -> None:
    assert error_signature("Bash", TRACEBACK_A) == error_signature("Bash", TRACEBACK_B)


def test_signature_names_tool_exit_class_and_exception() -> None:
    assert error_signature("Bash", TRACEBACK_A) == "Bash|exit1|ModuleNotFoundError: No module named <q>"


def test_different_failures_get_different_signatures() -> None:
    other = "Exit code 1\nImportError: cannot import name 'x' from 'y'"
    assert error_signature("Bash", TRACEBACK_A) != error_signature("Bash", other)


def test_paths_numbers_hashes_and_quotes_are_stripped() -> None:
    line = "error at /srv/app/src/main.rs:42:7 in build 9f3c2a1b 'value' took 3.5s"
    assert normalise(line) == "error at <path>:<n>:<n> in build <hex> <q> took <n>s"


def test_pytest_failure_keeps_the_assertion_not_the_test_name() -> None:
    one = "Exit code 1\nFAILED tests/test_calc.py::test_add - AssertionError: assert 3 == 4\n1 failed in 0.05s"
    two = "Exit code 1\nFAILED tests/test_math.py::test_sub - AssertionError: assert 1 == 2\n1 failed in 0.09s"
    assert error_signature("Bash", one) == error_signature("Bash", two)
    assert "AssertionError" in error_signature("Bash", one)


def test_exit_code_is_read_from_the_first_line() -> None:
    assert exit_code("Exit code 127\nbash: foo: command not found") == 127
    assert exit_code("all good") is None


def test_key_line_prefers_the_exception_over_the_exit_line() -> None:
    assert key_line("Exit code 2\nnpm ERR! code ELIFECYCLE\nnpm ERR! errno 2").startswith("npm ERR!")


def test_signature_without_known_markers_uses_first_meaningful_line() -> None:
    assert error_signature("Read", "File does not exist.") == "Read|error|File does not exist."


def test_signature_family_drops_tool_and_exit_class() -> None:
    assert signature_family("Bash|exit1|ModuleNotFoundError: x") == "ModuleNotFoundError: x"
    assert signature_family("plain") == "plain"
