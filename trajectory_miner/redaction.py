"""Redaction: secrets and private spans are replaced before any text is stored or exported.

A `Redactor` finds API keys and tokens of the common providers, private key blocks, JWTs,
passwords in URLs, `Authorization` headers, values of secret-looking keys (`DB_PASSWORD=...`,
`"api_key": "..."`), long random-looking tokens, `<private>...</private>` spans and whatever
extra patterns the user configured. Each finding is replaced by a typed placeholder such as
`[REDACTED:github_token]`, so the text stays readable; around a keyed value, a URL password or
a header only the secret part is replaced (`DB_PASSWORD=[REDACTED:env_secret]`).

Redaction is idempotent and placeholders never match again. It runs over every stored string,
so each family of patterns first checks for a literal that its matches must contain; clean
text costs a few substring searches and two regular-expression scans.

The rules for providers, private spans and keyed values are here; telling random-looking tokens
from ids, hashes and paths is left to `secret_tokens`.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from trajectory_miner.config import compile_redact_pattern
from trajectory_miner.secret_tokens import has_digit, mixed_case, random_token_spans

PRIVATE_PLACEHOLDER = "[PRIVATE]"

# Order is priority: when findings overlap they merge into one span named by the earliest kind.
KINDS: tuple[str, ...] = tuple(
    "private private_key anthropic_key openai_key aws_access_key_id aws_secret_key github_token"  # noqa: SIM905
    " gitlab_token slack_token slack_webhook stripe_key google_api_key google_oauth_secret npm_token"
    " pypi_token huggingface_token jwt url_password auth_header env_secret custom high_entropy".split()
)
_RANK = {kind: rank for rank, kind in enumerate(KINDS)}


@dataclass(frozen=True, slots=True)
class Finding:
    """One secret in a text: its kind and the half-open character span it covers."""

    kind: str
    start: int
    end: int

    @property
    def placeholder(self) -> str:
        """The text that replaces the span."""
        return placeholder(self.kind)


def placeholder(kind: str) -> str:
    """The typed placeholder written in place of a secret of this kind."""
    return PRIVATE_PLACEHOLDER if kind == "private" else f"[REDACTED:{kind}]"


@dataclass(frozen=True, slots=True)
class _Rule:
    kind: str
    pattern: re.Pattern[str]
    # The rule only runs when one of these literals occurs (in the lower-cased text if `folded`).
    triggers: tuple[str, ...]
    folded: bool = False
    group: str | int = 0
    accept: Callable[[str], bool] | None = None
    # The match must not continue a longer word (`task-...` is not an OpenAI key).
    bounded: bool = False


_WORD_CHARS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-")


def _at_boundary(text: str, i: int) -> bool:
    # After an escaped newline or tab counts as a boundary: texts are often JSON or log output.
    if i == 0 or text[i - 1] not in _WORD_CHARS:
        return True
    return i >= 2 and text[i - 2] == "\\" and text[i - 1] in "nrt"


_PEM_LABEL = r"-----(?:BEGIN|END)[A-Z0-9 ]{0,40}PRIVATE KEY(?: BLOCK)?-----"
_PEM_BEGIN = _PEM_LABEL.replace("(?:BEGIN|END)", "BEGIN")
_PEM_END = _PEM_LABEL.replace("(?:BEGIN|END)", "END")
# Between the lines of a key: newlines, escaped newlines, and the line numbers of Read output.
_PEM_GAP = r"(?:\s|\\[nrt])+(?:\d+(?:\u2192|\t|\\t))?"


def _openai_ok(token: str) -> bool:
    # A key body is one long random run; slugs such as `sk-learn-tutorial-2024` are not.
    return _LONG_RUN.search(token) is not None and has_digit(token)


_LONG_RUN = re.compile(r"[A-Za-z0-9]{16}")


def _tokenish(token: str) -> bool:
    # Prose such as "Authorization: Bearer header" names the scheme without holding a token.
    return len(token) >= 24 or has_digit(token) or mixed_case(token)


def _token(kind: str, pattern: str, *triggers: str, accept: Callable[[str], bool] | None = None) -> _Rule:
    return _Rule(kind, re.compile(pattern), triggers, accept=accept, bounded=True)


# Patterns start with a literal or a one-character class rather than case-insensitive groups,
# so the regular-expression engine skips quickly to candidate positions.
_RULES: tuple[_Rule, ...] = (
    _Rule("private", re.compile(r"<private>.*?(?:</private>|\Z)", re.S | re.I), ("<private>",), folded=True),
    _Rule(
        "private_key",
        re.compile(
            # A dash may not start a run of five, so the body stops at the next BEGIN or END line.
            rf"{_PEM_BEGIN}(?:(?:[A-Za-z0-9+/=\s:,.\\\u2192]|-(?!----))*?{_PEM_END}"
            rf"|{_PEM_GAP}[A-Za-z0-9+/=]{{16,}}(?:{_PEM_GAP}[A-Za-z0-9+/=]+)*+)"
        ),
        ("PRIVATE KEY",),
    ),
    _token("anthropic_key", r"sk-ant-[A-Za-z0-9_\-]{20,}", "sk-ant-"),
    _token("openai_key", r"sk-(?!ant-)[A-Za-z0-9_\-]{20,}", "sk-", accept=_openai_ok),
    _token(
        "aws_access_key_id",
        r"(?:AKIA|ASIA|AIDA|AROA|AGPA|ANPA|ANVA|AIPA|ABIA|ACCA)[A-Z0-9]{16}(?![A-Z0-9])",
        *("AKIA", "ASIA", "AIDA", "AROA", "AGPA", "ANPA", "ANVA", "AIPA", "ABIA", "ACCA"),
    ),
    _Rule(
        "aws_secret_key",
        re.compile(
            r"[Ss](?:ecret_?[Aa]ccess_?[Kk]ey|ECRET_?ACCESS_?KEY)(?:\\*[\"'])?\s*(?::=|=>|[=:])\s*(?:\\*[\"'])?"
            r"(?P<s>[A-Za-z0-9/+]{40})(?![A-Za-z0-9/+=])"
        ),
        ("secret_access_key", "secretaccesskey"),
        folded=True,
        group="s",
    ),
    _token(
        "github_token",
        r"(?:gh[pousr]_[A-Za-z0-9]{30,}|github_pat_[A-Za-z0-9_]{22,})",
        *("ghp_", "gho_", "ghu_", "ghs_", "ghr_", "github_pat_"),
    ),
    _token("gitlab_token", r"glpat-[A-Za-z0-9_\-]{20,}", "glpat-"),
    _token("slack_token", r"xox[abposr]-[A-Za-z0-9\-]{10,}", "xox"),
    _Rule(
        "slack_webhook",
        re.compile(r"hooks\.slack\.com/(?:services|workflows|triggers)/(?P<s>[A-Za-z0-9_/\-]{16,})"),
        ("hooks.slack.com",),
        group="s",
    ),
    _token("stripe_key", r"[sr]k_(?:live|test)_[A-Za-z0-9]{16,}", "_live_", "_test_"),
    _token("google_api_key", r"AIza[A-Za-z0-9_\-]{35}", "AIza"),
    _token("google_oauth_secret", r"GOCSPX-[A-Za-z0-9_\-]{20,}", "GOCSPX-"),
    _token("npm_token", r"npm_[A-Za-z0-9]{36,}", "npm_"),
    _token("pypi_token", r"pypi-AgE[A-Za-z0-9_\-]{50,}", "pypi-AgE"),
    _token("huggingface_token", r"hf_[A-Za-z0-9]{30,}", "hf_", accept=has_digit),
    _Rule("jwt", re.compile(r"eyJ[A-Za-z0-9_\-]{8,}\.eyJ[A-Za-z0-9_\-]{8,}\.[A-Za-z0-9_\-]*"), ("eyJ",)),
    _Rule(
        "url_password",
        re.compile(r"://[^\s:/?#@\"'<>\\]*:(?P<s>[^\s/?#@\"'<>\\]+)@"),
        ("://",),
        group="s",
        accept=lambda value: not value.startswith(("$", "{", "%(", "<")),
    ),
    _Rule(
        "auth_header",
        re.compile(
            r"[Aa](?:uthorization|UTHORIZATION)(?:\\*[\"'])?\s*[:=]\s*(?:\\*[\"'])?"
            r"(?i:bearer|basic|token|bot|apikey)\s+(?P<s>[A-Za-z0-9\-._~+/]+=*)"
        ),
        ("authorization",),
        folded=True,
        group="s",
        accept=_tokenish,
    ),
    _Rule(
        "auth_header",
        re.compile(r"Bearer\s+(?P<s>[A-Za-z0-9\-._~+/]{16,}=*)"),
        ("Bearer",),
        group="s",
        accept=has_digit,
        bounded=True,
    ),
)

# (literal, whether to look in the lower-cased text, rule index), flat so that clean text costs
# one pass of substring searches.
_TRIGGERS = tuple((t, rule.folded, i) for i, rule in enumerate(_RULES) for t in rule.triggers)

# --- values of secret-looking keys --------------------------------------------------------

_KEYWORDS = ("pass", "secret", "token", "key", "auth", "priv", "cred")
_KEYWORD = re.compile("|".join(_KEYWORDS), re.I)
_KEY_TAIL = re.compile(r"[A-Za-z0-9_.\-]*")
_SEPARATOR_AHEAD = re.compile(r"(?:\\*[\"'])?[ \t]*[=:]")
_KEY_CHARS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.-")
_KEYED = re.compile(
    r"""
    (?P<key>[A-Za-z_][A-Za-z0-9_.\-]{0,100})
    (?:\\*["'])?                                        # the key's closing quote
    (?:[ \t]*:[ \t]*[A-Za-z_][\w\[\]., |]{0,60}?(?=[ \t]*=[^=]))?   # a type annotation
    (?P<sp1>[ \t]*)(?P<sep>:=|=>|[=:])?(?P<sp2>[ \t]*)
    (?:(?P<q>\\*["'])(?P<qv>[^"'\\\r\n]*)(?P=q)|(?P<uv>[^\s"'`\\]+))
    """,
    re.X,
)
_COMPONENT = re.compile(r"[A-Z]+(?![a-z])|[A-Z]?[a-z]+|\d+")
_SECRET_WORDS = frozenset(
    {"pass", "passphrase", "auth", "authorization", "credential", "credentials", "creds", "private"}
)
_SECRET_ENDINGS = ("password", "passwd", "secret", "token", "apikey", "privatekey", "secretkey", "accesskey")
_KEY_QUALIFIERS = frozenset(
    {"api", "access", "signing", "encryption", "master", "app", "client", "account", "service", "webhook"}
    | {"jwt", "hmac", "license", "consumer", "deploy"}
)
# Names such as TOKEN_URL or password_help describe a secret without holding one.
_NOT_SECRET_LAST = frozenset(
    "type types url uri endpoint path file filename dir name id ids method mode length len size count"  # noqa: SIM905
    " limit max min ttl timeout expiry expires expiration enabled disabled required field header prefix"
    " suffix format scheme provider algorithm policy help message msg label prompt hint description"
    " text title placeholder error errors env var version kind index usage strategy backend class"
    " module manager handler validator factory pattern regex ref cls store cache keys".split()
)
_NON_VALUES = frozenset(
    "true false null none nil yes no on off undefined required optional str string bytes int float"  # noqa: SIM905
    " bool dict list tuple set object any secretstr".split()
)
_NUMBER = re.compile(r"[-+]?\d+(?:\.\d+)?")
_NAME = re.compile(r"[A-Za-z_][A-Za-z_.\-]*")
_ENV_NAME = re.compile(r"[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+")
_VERSION = re.compile(r"[\^~]?v?\d+(?:\.\d+)+\S*")


def _secret_key_name(key: str) -> bool:
    parts = [p.lower() for p in _COMPONENT.findall(key)]
    if not parts or parts[-1] in _NOT_SECRET_LAST:
        return False
    for i, part in enumerate(parts):
        if part in _SECRET_WORDS or part.endswith(_SECRET_ENDINGS):
            return True
        if part == "key" and i > 0 and parts[i - 1] in _KEY_QUALIFIERS:
            return True
    return False


def _literal_secret(m: re.Match[str], value: str, flag: bool) -> bool:
    """Whether a key's value is a literal worth hiding rather than a name, type or reference."""
    key, sep = m["key"], m["sep"]
    if sep is None and not flag:
        return False
    if not value or value.startswith(("[REDACTED:", PRIVATE_PLACEHOLDER, "$", "{", "%(", "<", "=")):
        return False
    if value.lower() in _NON_VALUES or _NUMBER.fullmatch(value) or _VERSION.fullmatch(value):
        return False
    if _ENV_NAME.fullmatch(value):
        # The name of the variable that holds the secret: `apiKey: "OPENAI_API_KEY"`.
        return False
    if not any(c.isalnum() for c in value) or value.startswith(("/", "./", "../", "~/")):
        return False
    if m["qv"] is not None:
        return True
    if any(c in value for c in "()[]{}<>"):
        return False
    upper_key = key.upper() == key
    spaced = bool(m["sp1"] or m["sp2"])
    if (flag and sep is not None) or (upper_key and (sep == ":" or (sep == "=" and not spaced))):
        return True
    # Otherwise a bare value is usually code (`password = password`, `token: str`,
    # `apiKey = options?.apiKey`) unless it is a literal such as `password=hunter2`.
    if sep in ("=", ":=", "=>") and spaced and not flag:
        return False
    return _NAME.fullmatch(value) is None and not any(c in value for c in "?|")


def _keyword_hits(text: str, folded: str) -> list[int]:
    if len(folded) != len(text):  # a few characters change length when lower-cased
        return [m.start() for m in _KEYWORD.finditer(text)]
    hits: list[int] = []
    for word in _KEYWORDS:
        pos = folded.find(word)
        while pos != -1:
            hits.append(pos)
            pos = folded.find(word, pos + 1)
    return sorted(hits)


def _keyed_findings(text: str, folded: str) -> list[tuple[int, int, int]]:
    found: list[tuple[int, int, int]] = []
    resume = 0
    rank = _RANK["env_secret"]
    for hit in _keyword_hits(text, folded):
        if hit < resume:
            continue
        tail = _KEY_TAIL.match(text, hit)
        start, end = hit, tail.end() if tail else hit
        resume = end
        while start > 0 and text[start - 1] in _KEY_CHARS:
            start -= 1
        if start > 0 and text[start - 1] == "\\" and text[start] in "nrt":
            start += 1
        elif start > 0 and text[start - 1] in "/@":
            continue  # a package or a path (`@scope/spl-token`), not a key
        dashes = 0
        while start < hit and text[start] in "-.":
            dashes += text[start] == "-"
            start += 1
        flag = dashes == 2
        # Most hits are names in code or prose; only a following separator makes them keys.
        if not (_SEPARATOR_AHEAD.match(text, end) or (flag and text[end : end + 1] in (" ", "\t"))):
            continue
        m = _KEYED.match(text, start)
        if m is None or not _secret_key_name(m["key"]):
            continue
        group = "qv" if m["qv"] is not None else "uv"
        s, e = m.span(group)
        if group == "uv":
            amp = text.find("&", s, e)
            if amp != -1 and text[start - 1 : start] in ("?", "&"):  # a query parameter ends at the next
                e = amp
            while e > s and text[e - 1] in ",;":
                e -= 1
        if e > s and _literal_secret(m, text[s:e], flag):
            found.append((s, e, rank))
            resume = m.end()
    return found


# --- assembling findings ------------------------------------------------------------------

_PLACEHOLDER = re.compile(r"\[(?:REDACTED:[a-z0-9_]+|PRIVATE)\]")


def _clip(raw: list[tuple[int, int, int]], text: str) -> list[tuple[int, int, int]]:
    """Drop the parts of findings that fall on placeholders, so placeholders never match again."""
    if "[REDACTED:" not in text and PRIVATE_PLACEHOLDER not in text:
        return raw
    holes = [m.span() for m in _PLACEHOLDER.finditer(text)]
    clipped: list[tuple[int, int, int]] = []
    for start, end, rank in raw:
        pos = start
        for hole_start, hole_end in holes:
            if hole_end <= pos or hole_start >= end:
                continue
            if hole_start > pos:
                clipped.append((pos, hole_start, rank))
            pos = max(pos, hole_end)
        if pos < end:
            clipped.append((pos, end, rank))
    return clipped


def _merge(raw: list[tuple[int, int, int]]) -> list[Finding]:
    merged: list[list[int]] = []
    for start, end, rank in sorted(raw):
        if merged and start < merged[-1][1]:
            last = merged[-1]
            last[1], last[2] = max(last[1], end), min(last[2], rank)
        else:
            merged.append([start, end, rank])
    return [Finding(KINDS[rank], start, end) for start, end, rank in merged]


_MEMO_TEXT = 512
_MEMO_ENTRIES = 16_384


class Redactor:
    """Finds and replaces secrets; built once with the user's extra patterns, then called."""

    def __init__(self, extra_patterns: Iterable[str] = ()) -> None:
        """Compile the extra patterns.

        Raises:
            ValueError: a pattern is not a valid regular expression or matches empty text.
        """
        self._user = tuple(compile_redact_pattern(p) for p in extra_patterns)
        self._memo: dict[str, str] = {}

    def __call__(self, text: str) -> str:
        """The text with every secret replaced by its placeholder."""
        # Transcripts repeat their short strings (paths, commands, summaries of the same call)
        # many times over, so answers for short texts are kept; the bound keeps memory small.
        if len(text) > _MEMO_TEXT:
            return self._redact(text)
        done = self._memo.get(text)
        if done is None:
            if len(self._memo) >= _MEMO_ENTRIES:
                self._memo.clear()
            done = self._memo[text] = self._redact(text)
        return done

    def _redact(self, text: str) -> str:
        # Each pass turns at least one character outside placeholders into a placeholder, so
        # the loop ends; repeating until nothing is found is what makes redaction idempotent.
        while findings := self.find_secrets(text):
            parts: list[str] = []
            pos = 0
            for f in findings:
                parts += (text[pos : f.start], f.placeholder)
                pos = f.end
            parts.append(text[pos:])
            text = "".join(parts)
        return text

    def find_secrets(self, text: str) -> list[Finding]:
        """Non-overlapping findings in text order; placeholders already present are skipped."""
        if not text:
            return []
        raw: list[tuple[int, int, int]] = []
        folded = text.lower()
        triggered = {i for trigger, in_folded, i in _TRIGGERS if trigger in (folded if in_folded else text)}
        for index in sorted(triggered):
            rule = _RULES[index]
            rank = _RANK[rule.kind]
            for m in rule.pattern.finditer(text):
                start, end = m.span(rule.group)
                if start >= end or (rule.bounded and not _at_boundary(text, m.start())):
                    continue
                if rule.accept is None or rule.accept(text[start:end]):
                    raw.append((start, end, rank))
        raw += _keyed_findings(text, folded)
        high_entropy = _RANK["high_entropy"]
        raw += [(start, end, high_entropy) for start, end in random_token_spans(text)]
        custom = _RANK["custom"]
        for pattern in self._user:
            raw += [(m.start(), m.end(), custom) for m in pattern.finditer(text) if m.end() > m.start()]
        return _merge(_clip(raw, text)) if raw else []

    def redact_json(self, value: object) -> object:
        """A copy of a JSON-like value with every string value redacted; keys are kept."""
        if isinstance(value, str):
            return self(value)
        if isinstance(value, dict):
            return {k: self.redact_json(v) for k, v in value.items()}
        if isinstance(value, list):
            return [self.redact_json(v) for v in value]
        return value


DEFAULT_REDACTOR = Redactor()


def redact(text: str) -> str:
    """Redact with the built-in patterns only."""
    return DEFAULT_REDACTOR(text)


def find_secrets(text: str) -> list[Finding]:
    """Scan with the built-in patterns only."""
    return DEFAULT_REDACTOR.find_secrets(text)
