"""Redaction of the secret kinds that hide in their surroundings or their shape.

Passwords of letters alone, passwords given to command-line tools and in `.netrc`, base64 of a
secret, tokens wrapped across lines, URL passwords holding `@`, the hex-bodied provider keys;
each with its own test, and the ordinary text around such secrets left as it was. Then the
checks that no pattern can rescan a long run from each of its characters, and that a token in
a name a transcript gives (a tool input's key, the branch, a skill) is redacted when parsed.
"""

from __future__ import annotations

import base64
import json
import random
import re
import string

import pytest

from trajectory_miner.redaction import keys as secret_keys
from trajectory_miner.redaction import redactor as redaction
from trajectory_miner.redaction.redactor import Redactor, find_secrets, redact
from trajectory_miner.transcript.parser import TranscriptParser

_RNG = random.Random(20260122)


def _rand(alphabet: str, n: int) -> str:
    return "".join(_RNG.choice(alphabet) for _ in range(n))


def _hex(n: int) -> str:
    return _rand("0123456789abcdef", n)


def _password() -> str:
    return _rand(string.ascii_letters, 7) + _rand(string.digits, 3) + "Qx"


def _kinds(text: str) -> list[str]:
    return [f.kind for f in find_secrets(text)]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("password: correcthorsebatterystaple", "password: [REDACTED:env_secret]"),
        (
            "db:\n  password: correcthorsebatterystaple\n  host: db",
            "db:\n  password: [REDACTED:env_secret]\n  host: db",
        ),
        ("DB_PASSWORD=hunter", "DB_PASSWORD=[REDACTED:env_secret]"),
        ("db_password=hunter", "db_password=[REDACTED:env_secret]"),
        ("GET /login?user=dev&password=hunter&next=1", "GET /login?user=dev&password=[REDACTED:env_secret]&next=1"),
    ],
)
def test_a_password_of_letters_alone_is_redacted(text: str, expected: str) -> None:
    assert redact(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "the password field",
        "Set the password: it must be rotated.",
        "password: ${PASSWORD}",
        "password=<redacted>",
        "password: str",
        "token: string",
        "password = password",
        "login(user=user, password=password)",
        "password: changed",
        "def connect(password: str) -> None:",
        "auth: none\ncredentials: include",
        "password: hunter # the word after it keeps the line from being one setting",
        "styles = {\n    Token:         foreground,\n    Comment:       italic,\n}",
        "passwords given to tools (`mysql -p...`, `docker login -p`, `sshpass -p`)",
        "# `machine HOST login USER password SECRET`, on one line or several",
    ],
)
def test_code_and_prose_about_passwords_are_left_alone(text: str) -> None:
    assert redact(text) == text


def test_a_netrc_password_is_redacted_on_one_line_or_several() -> None:
    pw = _password()
    one = f"machine api.example.com login dev password {pw}"
    assert redact(one) == "machine api.example.com login dev password [REDACTED:netrc_password]"
    several = f"machine api.example.com\n  login dev\n  password {pw}\n"
    assert redact(several) == "machine api.example.com\n  login dev\n  password [REDACTED:netrc_password]\n"
    assert redact("default login anonymous password letmein") == (
        "default login anonymous password [REDACTED:netrc_password]"
    )


def test_words_around_netrc_keywords_in_prose_are_left_alone() -> None:
    text = "The machine learning model asks for a login and password before it starts."
    assert redact(text) == text


@pytest.mark.parametrize(
    ("command", "expected"),
    [
        ("mysql -u root -p{pw} app", "mysql -u root -p[REDACTED:cli_password] app"),
        ("mysqldump -uroot -p'{pw}' app > dump.sql", "mysqldump -uroot -p[REDACTED:cli_password] app > dump.sql"),
        (
            "docker login -u dev -p {pw} registry.example.com",
            "docker login -u dev -p [REDACTED:cli_password] registry.example.com",
        ),
        ("docker login --password={pw} ghcr.io", "docker login --password=[REDACTED:cli_password] ghcr.io"),
        (
            "podman login --username dev --password {pw} quay.io",
            "podman login --username dev --password [REDACTED:cli_password] quay.io",
        ),
        ("sshpass -p {pw} ssh dev@build", "sshpass -p [REDACTED:cli_password] ssh dev@build"),
        ("sshpass -p{pw} scp a b:", "sshpass -p[REDACTED:cli_password] scp a b:"),
    ],
)
def test_a_password_given_to_a_command_line_tool_is_redacted(command: str, expected: str) -> None:
    pw = _password()
    assert redact(command.format(pw=pw)) == expected


@pytest.mark.parametrize(
    "command",
    [
        "mysql -u root -p app",  # asks for the password; `app` is the database
        "mysql -u root -p$MYSQL_PWD app",
        "docker login --password-stdin ghcr.io",
        "echo done | docker login -u dev --password-stdin",
        "tar -p -xf archive.tar",
        "sshpass -f ~/.pw ssh dev@build",
    ],
)
def test_commands_without_a_written_password_are_left_alone(command: str) -> None:
    assert redact(command) == command


def test_base64_of_a_secret_line_is_redacted_and_base64_of_prose_is_not() -> None:
    encoded = base64.b64encode(f"db_password={_password()}\n".encode()).decode("ascii")
    assert redact(f"echo {encoded} | base64 -d >> .env") == "echo [REDACTED:encoded_secret] | base64 -d >> .env"
    token = "ghp_" + _rand(string.ascii_letters + string.digits, 36)
    url_safe = base64.urlsafe_b64encode(f"token {token}".encode()).decode("ascii").rstrip("=")
    assert _kinds(f"data {url_safe} end") == ["encoded_secret"]
    prose = base64.b64encode(b"the deploy script reads its settings from the environment").decode("ascii")
    assert redact(f"body {prose}") == f"body {prose}"


@pytest.mark.parametrize("newline", ["\n", "\r\n", "\\n", "\\r\\n"])
def test_a_token_wrapped_across_two_lines_is_redacted_whole(newline: str) -> None:
    token = "ghp_" + _rand(string.ascii_letters, 6) + "7" + _rand(string.ascii_letters + string.digits, 29)
    text = f"export GITHUB_TOKEN={token[:18]}{newline}{token[18:]}{newline}echo ok"
    assert redact(text) == f"export GITHUB_TOKEN=[REDACTED:github_token]{newline}echo ok"


def test_a_whole_token_at_a_line_end_keeps_the_next_line() -> None:
    token = "ghp_" + _rand(string.ascii_letters + string.digits, 36)
    assert redact(f"token {token}\nexport DEBUG=1") == "token [REDACTED:github_token]\nexport DEBUG=1"


def test_a_token_cut_short_at_the_end_of_a_line_is_redacted() -> None:
    # A message's first line, as an error signature keeps it.
    head = "glpat-" + _rand(string.ascii_letters, 8) + "42"
    assert redact(f"could not connect with {head}") == "could not connect with [REDACTED:gitlab_token]"


def test_lines_that_merely_touch_are_left_alone() -> None:
    text = "Parameters\n----------\nsettings_path\nAbstractSingletonProxyFactoryBean\nimport os"
    assert redact(text) == text


def test_a_url_password_holding_an_at_sign_is_hidden_whole() -> None:
    out = redact("DATABASE_URL=postgres://app:p@ss@w0rd!@db.internal:5432/app?ssl=1")
    assert out == "DATABASE_URL=postgres://app:[REDACTED:url_password]@db.internal:5432/app?ssl=1"
    assert redact("git clone git@github.com:team/app.git") == "git clone git@github.com:team/app.git"


@pytest.mark.parametrize(
    ("kind", "value"),
    [
        ("twilio_key", "AC" + _hex(32)),
        ("twilio_key", "SK" + _hex(32)),
        ("mailgun_key", "key-" + _hex(32)),
        ("shopify_token", "shpat_" + _hex(32)),
        ("shopify_token", "shpss_" + _hex(32)),
        ("shopify_token", "shpca_" + _hex(32)),
        ("databricks_token", "dapi" + _hex(32)),
        ("digitalocean_token", "dop_v1_" + _hex(64)),
        ("digitalocean_token", "doo_v1_" + _hex(64)),
    ],
)
def test_hex_bodied_provider_keys_are_redacted(kind: str, value: str) -> None:
    assert redact(f'{{"key": "{value}"}}') == f'{{"key": "[REDACTED:{kind}]"}}'
    assert redact(f"using {value}\n") == f"using [REDACTED:{kind}]\n"


@pytest.mark.parametrize(
    "text",
    [
        "commit ac" + _hex(38),  # a hash in lower case
        "BACK" + _hex(32),  # not at the start of a word
        "AC" + _hex(40),  # longer than the key: a hash with a prefix
        "key-value store, dapi-client, shpat_ prefix",
    ],
)
def test_hex_runs_that_are_not_keys_are_left_alone(text: str) -> None:
    assert redact(text) == text


# --- bounded work -------------------------------------------------------------------------


def test_no_token_pattern_starts_inside_a_run_of_token_characters() -> None:
    # A match may only start where a word starts: otherwise a long run holding the prefix
    # again and again would be read to its end from every occurrence, in quadratic time.
    token_kinds = set(redaction.KINDS[redaction.KINDS.index("anthropic_key") : redaction.KINDS.index("url_password")])
    token_rules = [r for r in redaction._RULES if r.kind in token_kinds - {"aws_secret_key", "slack_webhook"}]
    assert len(token_rules) > 30
    for rule in token_rules:
        for prefix in rule.triggers:
            glued = "x" + prefix + "a1B2" * 20
            for m in rule.pattern.finditer(glued):
                assert m.start() > 0 and glued[m.start() - 1] not in string.ascii_letters, (rule.kind, prefix)


def test_every_pattern_bounds_what_it_may_rescan() -> None:
    # An unbounded run of spaces or backslashes between optional parts can be split many ways.
    patterns = [rule.pattern.pattern for rule in redaction._RULES]
    patterns += [secret_keys._KEYED.pattern, secret_keys._SEPARATOR_AHEAD.pattern]
    for source in patterns:
        assert not re.search(r"\[ \\t\]\*|\\\\\*|\\s\*", source), source


def test_a_long_run_of_repeated_prefixes_is_redacted_once() -> None:
    text = "sk-ant-" + "a1B2sk-" * 2000
    assert redact(text) == "[REDACTED:anthropic_key]"


# --- where a parsed transcript carries names ----------------------------------------------


def _parsed(entries: list[dict[str, object]]) -> str:
    parser = TranscriptParser("/tmp/planted.jsonl", redact=Redactor())
    batch = parser.feed(json.dumps(e) for e in entries)
    return batch.model_dump_json() + str(parser.state.model_dump())


def _entry(kind: str, content: object, branch: str = "main", n: int = 0) -> dict[str, object]:
    return {
        "type": kind,
        "sessionId": "c64cc478-3430-40fe-8e9c-4ee9986e9754",
        "uuid": f"00000000-0000-4000-8000-00000000000{n}",
        "timestamp": f"2026-01-22T08:00:0{n}.000Z",
        "cwd": "/home/dev/app",
        "gitBranch": branch,
        "message": {"role": "assistant" if kind == "assistant" else "user", "content": content},
    }


def _tool_use(name: str, tool_input: dict[str, object]) -> dict[str, object]:
    return {"type": "tool_use", "id": "toolu_01" + "A" * 22, "name": name, "input": tool_input}


@pytest.mark.parametrize("place", ["input key", "branch", "skill name"])
def test_a_token_in_a_name_the_transcript_gives_is_redacted(place: str) -> None:
    token = "ghp_" + _rand(string.ascii_letters + string.digits, 36)
    branch = f"feature/{token}" if place == "branch" else "main"
    if place == "skill name":
        use = _tool_use("Skill", {"skill": f"deploy {token}"})
    else:
        key = f"Authorization: Bearer {token}" if place == "input key" else "command"
        use = _tool_use("Bash", {key: "ls", "description": "list"})
    entries = [_entry("user", "deploy it", branch, 1), _entry("assistant", [use], branch, 2)]
    out = _parsed(entries)
    assert token not in out
    assert "[REDACTED:github_token]" in out or "[REDACTED:auth_header]" in out


def test_redact_json_redacts_a_token_used_as_a_key() -> None:
    token = "ghp_" + _rand(string.ascii_letters + string.digits, 36)
    value = {"input": {token: 1, "password": "x"}, "n": [1, {f"DB_PASSWORD={_password()}": True}]}
    assert Redactor().redact_json(value) == {
        "input": {"[REDACTED:github_token]": 1, "password": "x"},
        "n": [1, {"DB_PASSWORD=[REDACTED:env_secret]": True}],
    }
