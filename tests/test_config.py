"""The settings file: defaults when absent, and a message naming the setting when it is wrong."""

from __future__ import annotations

from pathlib import Path

import pytest

from trajectory_miner.config import Config, ConfigError, is_excluded, load_config


def _config(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "config.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_a_missing_file_means_the_defaults(tmp_path: Path) -> None:
    assert load_config(tmp_path / "absent.toml") == Config()


def test_every_setting_is_read(tmp_path: Path) -> None:
    path = _config(
        tmp_path,
        'excluded_projects = ["/w/secret"]\nredact_patterns = ["ACME-[0-9]{4}"]\n'
        "live_hints = false\nresult_cap = 900\n",
    )
    config = load_config(path)
    assert (config.excluded_projects, config.redact_patterns, config.live_hints, config.result_cap) == (
        ["/w/secret"],
        ["ACME-[0-9]{4}"],
        False,
        900,
    )


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("result_cap = 5\n", "result_cap: Input should be greater than or equal to 200"),
        ('redact_patterns = ["(open"]\n', "redact_patterns: invalid redaction pattern '(open'"),
        ('redact_patterns = ["x*"]\n', "matches the empty string"),
        ("live_hint = false\n", "live_hint: Extra inputs are not permitted"),
        ("live_hints = \n", "not valid TOML"),
    ],
)
def test_a_wrong_setting_is_named_in_the_error(tmp_path: Path, text: str, says: str) -> None:
    with pytest.raises(ConfigError, match="config.toml") as raised:
        load_config(_config(tmp_path, text))
    assert says in str(raised.value)


def test_an_excluded_project_covers_its_subfolders_but_not_its_namesakes() -> None:
    config = Config(excluded_projects=["/w/secret/"])
    assert is_excluded("/w/secret", config) and is_excluded("/w/secret/api", config)
    assert not is_excluded("/w/secret-other", config)
