"""Recurring failures of the learning set, first batch: four failures seen across projects.

Each failure has sessions that stay stuck on it (role "failing"), each stuck in its own way,
and sessions that get past it (role "fixing"), each with a fix of a different form that
carries the same content: the variable set, the package installed, the setting changed, or
the code fixed instead of the test. The sessions are in `learning_env_install_a.py` and
`learning_config_tests_a.py`, their scratch projects in `learning_repos_a.py`.
"""

from __future__ import annotations

from .learning import Entry, Recurring
from .learning_config_tests_a import CONFIG, TESTS, config_sessions, weakened_test_sessions
from .learning_env_install_a import ENV, INSTALL, env_sessions, install_sessions

__all__ = ["CONFIG", "ENTRIES", "ENV", "INSTALL", "RECURRING", "TESTS"]

RECURRING: tuple[Recurring, ...] = (
    Recurring(
        ENV,
        "error",
        "A program reads a required environment variable (DATABASE_URL) and stops with KeyError "
        "when it is not set; fixed by setting the variable for the run or in the .env file it loads.",
    ),
    Recurring(
        INSTALL,
        "error",
        "A program imports a package the repo ships under vendor/ (slugkit) but that was never "
        "installed: ModuleNotFoundError; fixed by pip-installing the vendored package.",
    ),
    Recurring(
        CONFIG,
        "error",
        "A tool rejects one setting of its config file (log_level = 'verbose' is not a known "
        "level) and stops with ValueError; fixed by editing the config file, not the code.",
    ),
    Recurring(
        TESTS,
        "behaviour",
        "A failing test is made to pass by weakening the test (changing the expected value, "
        "loosening or skipping the assertion) while the bug in the code stays.",
    ),
)


ENTRIES: tuple[Entry, ...] = (
    *env_sessions(),
    *install_sessions(),
    *config_sessions(),
    *weakened_test_sessions(),
)
