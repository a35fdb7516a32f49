"""Redaction: every kind of secret disappears in every context, ordinary text stays as it was."""

from __future__ import annotations

import base64
import json
import random
import string
from collections.abc import Callable
from pathlib import Path
from unittest import mock

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from secrets_corpus import LOCATIONS, SECRET_KINDS, Secret, leaks_in, make_secret, scan_files, write_corpus

from trajectory_miner.redaction import keys as secret_keys
from trajectory_miner.redaction import tokens as secret_tokens
from trajectory_miner.redaction.redactor import Redactor, find_secrets, placeholder, redact

SHARED = Path(__file__).resolve().parents[2] / ".." / "shared"
CORPUS = SHARED / "corpus"

CONTEXTS: dict[str, Callable[[Secret], str]] = {
    "shell output": lambda s: (
        f"$ ./scripts/show-config.sh\nloading settings\n{s.snippet}\nsettings loaded\n$ echo $?\n0"
    ),
    "json string": lambda s: json.dumps({"stdout": json.dumps({"line": s.snippet}), "exit": 0}),
    "traceback": lambda s: (
        'Traceback (most recent call last):\n  File "/srv/app/deploy.py", line 12, in <module>\n'
        f"    connect(settings)\nRuntimeError: could not connect with {s.snippet!r}"
    ),
    "url": lambda s: f"GET {_URL_FORMS.get(s.kind, _query_param)(s)} 200 OK",
}


def _query_param(s: Secret) -> str:
    return f"https://api.example.com/v1/items?page=2&ref={s.value}"


# How each kind that needs its surroundings to be recognised shows up in a URL.
_URL_FORMS: dict[str, Callable[[Secret], str]] = {
    "env_secret": lambda s: f"https://app.example.com/login?user=dev&password={s.value}",
    "aws_secret_key": lambda s: f"https://s3.example.com/upload?aws_secret_access_key={s.value}&x=1",
    "auth_header": lambda s: f"https://api.example.com/v1/items?access_token={s.value}",
    "url_password": lambda s: f"{s.snippet}/settings",
    "slack_webhook": lambda s: s.snippet,
    "high_entropy": lambda s: f"https://cdn.example.com/file.tar.gz?sig={s.value}",
}
# A private key or a private span does not travel in a URL.
CASES = [(k, c) for k in SECRET_KINDS for c in CONTEXTS if not (c == "url" and k in ("private_key", "private"))]


def _secret(kind: str, seed: int = 1) -> Secret:
    return make_secret(kind, random.Random(f"{kind}-{seed}"))


@pytest.mark.parametrize(("kind", "context"), CASES)
def test_each_kind_of_secret_is_replaced_by_its_placeholder_in_each_context(kind: str, context: str) -> None:
    secret = _secret(kind)
    text = CONTEXTS[context](secret)
    assert secret.value in text

    out = redact(text)

    assert secret.value not in out
    # A bearer token passed as `access_token=` is found as a keyed value, not as a header.
    expected = "env_secret" if (context, kind) == ("url", "auth_header") else kind
    assert placeholder(expected) in out


def test_a_key_value_line_keeps_its_key() -> None:
    assert redact("DB_PASSWORD=hunter2x9\nDEBUG=true") == "DB_PASSWORD=[REDACTED:env_secret]\nDEBUG=true"
    assert redact('{"api_key": "abc123xyz"}') == '{"api_key": "[REDACTED:env_secret]"}'
    assert redact("POSTGRES_PASSWORD: example") == "POSTGRES_PASSWORD: [REDACTED:env_secret]"
    assert redact("mysql --password=s3cret -u root") == "mysql --password=[REDACTED:env_secret] -u root"


def test_a_query_parameter_ends_at_the_next_parameter_but_an_env_value_does_not() -> None:
    assert redact("GET /cb?api_key=abc123XYZ&page=2") == "GET /cb?api_key=[REDACTED:env_secret]&page=2"
    assert redact("DB_PASSWORD=abc&def9 ./run") == "DB_PASSWORD=[REDACTED:env_secret] ./run"


def test_a_url_keeps_its_scheme_user_and_host() -> None:
    out = redact("DATABASE_URL=postgres://app:s3cr3t-pw@db.internal:5432/app")
    assert out == "DATABASE_URL=postgres://app:[REDACTED:url_password]@db.internal:5432/app"


def test_an_authorization_header_keeps_its_scheme() -> None:
    token = _secret("auth_header").value
    out = redact(f'curl -H "Authorization: Bearer {token}" https://api.example.com')
    assert out == 'curl -H "Authorization: Bearer [REDACTED:auth_header]" https://api.example.com'
    basic = base64.b64encode(b"admin:hunter2").decode("ascii")
    assert redact(f"Authorization: Basic {basic}") == "Authorization: Basic [REDACTED:auth_header]"


def test_a_provider_token_in_a_secret_key_is_named_by_the_provider() -> None:
    token = _secret("github_token").value
    assert redact(f"export GITHUB_TOKEN={token}") == "export GITHUB_TOKEN=[REDACTED:github_token]"


def test_a_private_key_block_is_replaced_whole() -> None:
    secret = _secret("private_key")
    out = redact(f"key follows:\n{secret.snippet}\nend of file")
    assert out == "key follows:\n[REDACTED:private_key]\nend of file"


def test_a_private_key_cut_short_still_loses_its_body() -> None:
    lines = _secret("private_key").snippet.split("\n")
    truncated = "\n".join(lines[:4]) + "\n…[2000 characters cut]…"
    out = redact(truncated)
    assert all(line not in out for line in lines[1:4])


@pytest.mark.parametrize("number", ["{:>6}\u2192", "{}\t"])
def test_a_private_key_shown_with_line_numbers_is_replaced(number: str) -> None:
    lines = _secret("private_key").snippet.split("\n")
    shown = "\n".join(number.format(i) + line for i, line in enumerate(lines, start=1))
    out = redact(shown)
    assert all(line not in out for line in lines[1:-1])
    assert "[REDACTED:private_key]" in out


def test_a_private_key_header_in_code_is_left_alone() -> None:
    code = 'if line.startswith("-----BEGIN RSA PRIVATE KEY-----"):\n    keys.append(line)'
    assert redact(code) == code


def test_private_spans_are_hidden_even_across_lines() -> None:
    text = "before <private>my salary\nis 123456</private> middle <private>x</private> after"
    assert redact(text) == "before [PRIVATE] middle [PRIVATE] after"


def test_an_unclosed_private_tag_hides_everything_after_it() -> None:
    assert redact("keep this <private>hide this\nand this too") == "keep this [PRIVATE]"


def test_a_random_id_in_a_url_path_is_redacted_without_the_path() -> None:
    doc_id = _secret("high_entropy").value
    out = redact(f"see https://docs.example.com/document/d/{doc_id}/edit for details")
    assert out == "see https://docs.example.com/document/d/[REDACTED:high_entropy]/edit for details"


def test_a_random_token_with_slashes_is_redacted_whole() -> None:
    rng = random.Random(3)
    first, second = ("".join(rng.choice(string.ascii_letters + string.digits) for _ in range(18)) for _ in "ab")
    token = f"{first}/home/{second}"
    assert redact(f"cookie {token}") == "cookie [REDACTED:high_entropy]"


def test_find_secrets_reports_kind_and_span_of_each_secret() -> None:
    github = _secret("github_token").value
    aws = _secret("aws_access_key_id").value
    text = f"token {github} and key {aws}."
    findings = find_secrets(text)
    assert [(f.kind, text[f.start : f.end]) for f in findings] == [
        ("github_token", github),
        ("aws_access_key_id", aws),
    ]


ORDINARY_TEXTS = {
    "python code": (
        "def load(path: Path) -> dict[str, str]:\n"
        '    password = request.form["password"]\n'
        "    token: str | None = None\n"
        "    api_key = os.environ.get('API_KEY')\n"
        "    self.secret = secret\n"
        "    return {k: v for k, v in items if k != 'token'}"
    ),
    "javascript": "const apiKey = options?.apiKey ?? process.env.ANTHROPIC_API_KEY;\nconfig.token = getToken();",
    "file paths": (
        "/home/dev/projects/trajectory-miner/trajectory_miner/parsing/transcript_reader.py\n"
        "C:\\Users\\Dev\\AppData\\Local\\Programs\\Python\\Python311\\python.exe\n"
        "./node_modules/@typescript-eslint/parser/dist/parser.js"
    ),
    "uuids": "session c64cc478-3430-40fe-8e9c-4ee9986e9754 parent 1b4951f2-dc07-4bb4-9740-777baa85b06e",
    "iso timestamps": "2026-01-21T06:19:38.056Z 2026-01-21T06:19:40.612+00:00 20260121T061938Z",
    "git log": (
        "commit 3f2a9c1b8e7d6f5a4b3c2d1e0f9a8b7c6d5e4f3a\n"
        "Author: Dev <dev@example.com>\nDate:   Wed Jan 21 06:19:38 2026 +0000\n\n    Fix the parser\n\n"
        "e4f3a2b1c0d9e8f7a6b5c4d3e2f1a0b9c8d7e6f5 Add tests"
    ),
    "sha256 digests": "sha256:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
    "lock file integrity": (
        "integrity sha512-Fo8DvJ8HHUdJXb1WgmGd6sYRnR0PrG0ECsbZ4sdSaBp/hnAMc+eBY2ymOPdFX9l4ZqPMRmgALfbIJfnW3QHm5A=="
    ),
    "long camelcase identifier": "AbstractSingletonProxyFactoryBeanConfigurationProvider.getInstance()",
    "base64 of english": base64.b64encode(b"The quick brown fox jumps over the lazy dog again").decode("ascii"),
    "python traceback": (
        "Traceback (most recent call last):\n"
        '  File "/usr/lib/python3.11/json/decoder.py", line 337, in decode\n'
        "    obj, end = self.raw_decode(s, idx=_w(s, 0).end())\n"
        "json.decoder.JSONDecodeError: Expecting value: line 1 column 1 (char 0)"
    ),
    "message and tool ids": "msg_01FPWXTwsfd3wKFT1cfSakiA toolu_0173gGuN8G4FkjzEPrXPe2ea req_011CXL3BXxXpqshf6BAp1chN",
    "prose about secrets": (
        "Set the password: it must be rotated. Authorization: Bearer header is added.\n"
        "The token is stored in the keychain; see `OPENAI_API_KEY` in the docs."
    ),
    "config without secrets": (
        'TOKEN_URL=https://auth.example.com/token\nMAX_TOKENS=4096\n"private": true\nAUTH_ENABLED=false'
    ),
    "versions": '"@solana/spl-token": "^0.4.13",\n"jsonwebtoken": "9.0.2"',
    "alphabet constant": "ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789'",
}


@pytest.mark.parametrize("name", ORDINARY_TEXTS)
def test_ordinary_text_is_unchanged(name: str) -> None:
    text = ORDINARY_TEXTS[name]
    assert redact(text) == text
    assert find_secrets(text) == []


def test_user_patterns_are_redacted_as_custom() -> None:
    redactor = Redactor([r"ACME-\d{6}", r"internal\.acme\.example"])
    out = redactor("ticket ACME-123456 on internal.acme.example, build 42")
    assert out == "ticket [REDACTED:custom] on [REDACTED:custom], build 42"


@pytest.mark.parametrize("pattern", ["(unclosed", "[a-", "a{2,1}"])
def test_an_invalid_user_pattern_is_refused_with_its_text(pattern: str) -> None:
    with pytest.raises(ValueError, match="invalid redaction pattern") as raised:
        Redactor(["fine", pattern])
    assert repr(pattern) in str(raised.value)


def test_a_user_pattern_matching_empty_text_is_refused() -> None:
    with pytest.raises(ValueError, match="matches the empty string"):
        Redactor(["x*"])


def test_a_user_pattern_that_matches_placeholders_still_settles() -> None:
    redactor = Redactor([r"REDACTED", r"\S+"])
    once = redactor("plain words and ghp_" + "a1" * 20)
    assert redactor(once) == once
    assert "plain" not in once


def test_redact_json_redacts_values_and_keeps_keys_and_other_types() -> None:
    token = _secret("github_token").value
    value = {"password": "x", "nested": [{"cmd": f"use {token}"}, 3, None, True]}
    assert Redactor().redact_json(value) == {
        "password": "x",
        "nested": [{"cmd": "use [REDACTED:github_token]"}, 3, None, True],
    }


# --- properties -----------------------------------------------------------------------------

SAFE_WORDS = (  # noqa: SIM905
    "the parser reads each line and returns a session with turns and steps def class return import from "
    "pytest passed failed error warning main src tests README.md config.toml Session Turn Step "
    "ingest_file parse_entry TranscriptReader HTTPServer 200 404 3.11 0.4.2 2026-01-21 06:19:38 "
    "c64cc478-3430-40fe-8e9c-4ee9986e9754 3f2a9c1b8e7d6f5a4b3c2d1e0f9a8b7c6d5e4f3a"
).split()
SAFE_SEPARATORS = (" ", "\n", ", ", ". ", "/", "_", "(", ")", " = ", ": ", "-", "\t", '"')

safe_text = st.lists(st.tuples(st.sampled_from(SAFE_WORDS), st.sampled_from(SAFE_SEPARATORS)), max_size=60).map(
    lambda parts: "".join(w + s for w, s in parts)
)

secrets = st.builds(
    lambda kind, seed: make_secret(kind, random.Random(seed)),
    st.sampled_from(SECRET_KINDS),
    st.integers(0, 10_000),
)

fragments = st.one_of(
    st.text(max_size=20),
    st.sampled_from(SAFE_WORDS + list(SAFE_SEPARATORS)),
    st.sampled_from(["[REDACTED:", "]", "[PRIVATE]", "<private>", "</private>", "=", ":", "://", "@", "\\n"]),
    st.sampled_from(["PASSWORD=", "token: ", "Authorization: Bearer ", "-----BEGIN RSA PRIVATE KEY-----\n"]),
    secrets.map(lambda s: s.snippet),
    st.text(alphabet=string.ascii_letters + string.digits + "+/_-", min_size=20, max_size=60),
)


@settings(max_examples=300, deadline=None)
@given(st.lists(fragments, max_size=12).map("".join))
def test_redaction_is_idempotent(text: str) -> None:
    once = redact(text)
    assert redact(once) == once


@settings(max_examples=300, deadline=None)
@given(safe_text)
def test_text_without_secrets_is_unchanged(text: str) -> None:
    assert redact(text) == text


@settings(max_examples=300, deadline=None)
@given(safe_text, secrets, st.data())
def test_a_secret_inserted_anywhere_in_safe_text_is_removed(text: str, secret: Secret, data: st.DataObject) -> None:
    at = data.draw(st.integers(0, len(text)))
    out = redact(f"{text[:at]} {secret.snippet} {text[at:]}")
    assert secret.value not in out


@settings(max_examples=150, deadline=None)
@given(
    st.lists(st.lists(fragments, max_size=8).map("".join), min_size=1, max_size=6),
    st.lists(st.integers(0, 5), max_size=24),
)
def test_a_redactor_answers_each_text_as_a_fresh_one_does(texts: list[str], order: list[int]) -> None:
    # What a redactor keeps of the texts and runs it has seen never changes an answer, whatever
    # came before: the same runs recur in other texts, at other offsets, after escaped newlines.
    sequence = [texts[i % len(texts)] for i in order] + [f"x\\n{t}" for t in texts] + texts
    redactor = Redactor()
    assert [redactor(t) for t in sequence] == [Redactor()(t) for t in sequence]


_RUN_ALPHABETS = (
    string.ascii_letters + string.digits + "+/",
    string.ascii_lowercase + string.digits,
    string.ascii_lowercase + "-",
    string.ascii_uppercase + string.digits + "_",
    "0123456789abcdef-",
    string.ascii_letters + "-_/",
)


@st.composite
def long_runs(draw: st.DrawFn) -> str:
    """Runs of token characters up to several kilobytes, in stretches of different alphabets."""
    rng = random.Random(draw(st.integers(0, 2**32)))
    stretches = draw(st.lists(st.tuples(st.sampled_from(_RUN_ALPHABETS), st.integers(1, 1500)), min_size=1, max_size=6))
    return "".join("".join(rng.choices(alphabet, k=n)) for alphabet, n in stretches)


@settings(max_examples=400, deadline=None)
@given(long_runs())
def test_a_long_run_is_judged_from_its_head_as_from_the_whole(run: str) -> None:
    with mock.patch.object(secret_tokens, "_HEAD", len(run)):
        whole = secret_tokens.scan_runs(f" {run} ")
    assert secret_tokens.scan_runs(f" {run} ") == whole


# --- the planted-secrets corpus -----------------------------------------------------------


def test_the_corpus_is_the_same_for_the_same_seed(tmp_path: Path) -> None:
    first = write_corpus(tmp_path / "a")
    second = write_corpus(tmp_path / "b")
    assert [(p.kind, p.location, p.value) for p in first] == [(p.kind, p.location, p.value) for p in second]
    assert [p.path.read_bytes() for p in first] == [p.path.read_bytes() for p in second]
    assert write_corpus(tmp_path / "c", seed=7)[0].value != first[0].value


def test_the_corpus_plants_every_kind_in_every_location(tmp_path: Path) -> None:
    planted = write_corpus(tmp_path)
    assert {(p.kind, p.location) for p in planted} == {(k, loc) for k in SECRET_KINDS for loc in LOCATIONS}
    assert len({p.value for p in planted}) == len(planted)
    assert len({p.path for p in planted}) == len(planted)
    for p in planted:
        assert leaks_in(p.path.read_text(encoding="utf-8"), planted) == [p]


def test_corpus_transcripts_have_the_claude_code_shape(tmp_path: Path) -> None:
    planted = write_corpus(tmp_path)
    by_location = {p.location: p for p in planted if p.kind == "env_secret"}
    for p in by_location.values():
        entries = [json.loads(line) for line in p.path.read_text(encoding="utf-8").splitlines()]
        assert {e["sessionId"] for e in entries} == {p.session_id}
        assert [e["parentUuid"] for e in entries] == [None] + [e["uuid"] for e in entries[:-1]]
        assert {e["type"] for e in entries} == {"user", "assistant"}
        uses = [b for e in entries for b in _blocks(e) if b["type"] == "tool_use"]
        results = [b for e in entries for b in _blocks(e) if b["type"] == "tool_result"]
        assert [b["id"] for b in uses] == [b["tool_use_id"] for b in results]
    read = [json.loads(line) for line in by_location["file_content"].path.read_text(encoding="utf-8").splitlines()]
    assert any(isinstance(e.get("toolUseResult"), dict) and "file" in e["toolUseResult"] for e in read)
    failed = [json.loads(line) for line in by_location["error_message"].path.read_text(encoding="utf-8").splitlines()]
    assert any(b.get("is_error") for e in failed for b in _blocks(e))


def _blocks(entry: dict[str, object]) -> list[dict[str, object]]:
    message = entry["message"]
    content = message.get("content") if isinstance(message, dict) else None
    return [b for b in content if isinstance(b, dict)] if isinstance(content, list) else []


def test_redacting_every_string_of_the_corpus_removes_every_planted_secret(tmp_path: Path) -> None:
    planted = write_corpus(tmp_path / "in")
    redactor = Redactor()
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    for p in planted:
        entries = [json.loads(line) for line in p.path.read_text(encoding="utf-8").splitlines()]
        redacted = [redactor.redact_json(e) for e in entries]
        for before, after in zip(entries, redacted, strict=True):
            assert isinstance(after, dict)
            for field in ("uuid", "parentUuid", "sessionId", "timestamp", "cwd"):
                assert after[field] == before[field]
        (out_dir / p.path.name).write_text("\n".join(json.dumps(e) for e in redacted), encoding="utf-8")
    assert scan_files(sorted(out_dir.iterdir()), planted) == {}
    assert len(scan_files(sorted(p.path for p in planted), planted)) == len(planted)


def test_real_transcripts_keep_their_ids_and_paths() -> None:
    files = sorted(CORPUS.glob("claude-code__*/*.jsonl"))
    if not files:
        pytest.skip("the shared corpus is not beside the repository")
    redactor = Redactor()
    checked = 0
    for path in files:
        for line in path.read_text(encoding="utf-8").splitlines():
            entry = json.loads(line)
            after = redactor.redact_json(entry)
            assert isinstance(after, dict)
            for field in ("uuid", "parentUuid", "sessionId", "timestamp", "cwd", "requestId"):
                assert after.get(field) == entry.get(field)
            message, kept = entry.get("message"), after.get("message")
            if isinstance(message, dict) and isinstance(kept, dict):
                assert kept.get("id") == message.get("id")
            checked += 1
    assert checked > 1000


def _keyword_hits_one_by_one(text: str, folded: str) -> list[int]:
    """Where keywords start, found by one search per keyword: what the single scan must give."""
    if len(folded) != len(text):
        return [m.start() for m in secret_keys._KEYWORD.finditer(text)]
    hits: list[int] = []
    for word in secret_keys.KEYWORDS:
        pos = folded.find(word)
        while pos != -1:
            hits.append(pos)
            pos = folded.find(word, pos + 1)
    return sorted(hits)


# Keywords glued and overlapping (`passecret`, `tokenkey`), in other cases, and characters that
# change when lower-cased: the Kelvin sign folds to `k`, the long s does not fold, and a dotted
# capital I grows to two characters.
_KEYWORD_PIECES = st.one_of(
    st.text(max_size=12),
    st.sampled_from([*secret_keys.KEYWORDS, "PASS", "Secret", "TOKEN", "passecret", "tokenkey", "privkey", "credauth"]),
    st.sampled_from(["\u212aey", "pa\u017fs", "\u0130", "_", "-", "=", ": ", "\\n", " "]),
    secrets.map(lambda s: s.snippet),
)


@settings(max_examples=400, deadline=None)
@given(st.lists(_KEYWORD_PIECES, max_size=16).map("".join))
def test_the_keyword_scan_finds_what_a_search_per_keyword_finds(text: str) -> None:
    folded = text.lower()
    assert secret_keys.keyword_hits(text, folded) == _keyword_hits_one_by_one(text, folded)
