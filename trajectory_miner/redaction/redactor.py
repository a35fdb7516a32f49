"""Redaction: secrets and private spans are replaced before any text is stored or exported.

A `Redactor` finds API keys and tokens of the common providers, private key blocks, JWTs,
passwords in URLs, `Authorization` headers, passwords given to command-line tools (`mysql -p...`,
`docker login -p`, `sshpass -p`) and in `.netrc` lines, values of secret-looking keys
(`DB_PASSWORD=...`, `"api_key": "..."`, `password: correcthorse`), long random-looking tokens,
base64 runs whose decoded text holds a secret, provider tokens that line breaks cut in pieces
or that a line's end cuts short, `<private>...</private>` spans and whatever extra patterns the
user configured. Each finding is replaced by a typed placeholder such as
`[REDACTED:github_token]`, so the text stays readable; around a keyed value, a URL password or a
header only the secret part is replaced (`DB_PASSWORD=[REDACTED:env_secret]`).

Redaction is idempotent and placeholders never match again. It runs over every stored string,
so each family of patterns first checks for a literal that its matches must contain: one
Aho-Corasick automaton finds all the literals in a single pass over the lower-cased text, and
a text that holds none of them and no long run of token characters costs little more than
that pass. A `Redactor` also keeps, within bounds, its answers for texts it has seen and its
verdicts on runs of token characters, since transcripts repeat both. Every pattern runs in time
linear in its input: runs of token characters are matched only from their first character and
quantifiers that could rescan a long line are bounded.

The rules for providers, command-line passwords and private spans are here; keyed values are
read by `secret_keys`; telling random-looking tokens from ids, hashes and paths, decoding base64
and rejoining wrapped lines is left to `secret_tokens`.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass

from ahocorasick_rs import AhoCorasick, MatchKind

from trajectory_miner.config import compile_redact_pattern
from trajectory_miner.redaction.keys import KEYWORDS, keyed_values
from trajectory_miner.redaction.tokens import Verdict, has_digit, mixed_case, scan_runs, wrapped_tokens

PRIVATE_PLACEHOLDER = "[PRIVATE]"

# Order is priority: when findings overlap they merge into one span named by the earliest kind.
KINDS: tuple[str, ...] = tuple(
    "private private_key anthropic_key openai_key aws_access_key_id aws_secret_key github_token"  # noqa: SIM905
    " gitlab_token slack_token slack_webhook stripe_key google_api_key google_oauth_secret npm_token"
    " pypi_token huggingface_token twilio_key mailgun_key shopify_token databricks_token digitalocean_token"
    " jwt url_password auth_header cli_password netrc_password env_secret encoded_secret custom"
    " high_entropy".split()
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


class _LazyPattern:
    """A regular expression compiled when first used.

    Most texts hold the literals of few rules, so most patterns are never needed in a process
    that stores one session; compiling them all would delay its first stored line.
    """

    __slots__ = ("_compiled", "flags", "pattern")

    def __init__(self, pattern: str, flags: int = 0) -> None:
        self.pattern = pattern
        self.flags = flags
        self._compiled: re.Pattern[str] | None = None

    def finditer(self, text: str) -> Iterator[re.Match[str]]:
        compiled = self._compiled
        if compiled is None:
            compiled = self._compiled = re.compile(self.pattern, self.flags)
        return compiled.finditer(text)


@dataclass(frozen=True, slots=True)
class _Rule:
    kind: str
    pattern: _LazyPattern
    # The rule only runs when one of these literals occurs (in any case).
    triggers: tuple[str, ...]
    group: str | int = 0
    accept: Callable[[str], bool] | None = None
    cut: bool = False  # finds a token cut short, not a whole one


def _starting(prefix: str) -> str:
    """The prefix, only where it starts a word.

    A token starts a word; after an escaped newline or tab counts as a start too, since texts
    are often JSON or log output. The check looks back from the end of the prefix, so the
    pattern still opens with a literal the regular-expression engine searches for quickly, and
    no match starts inside a long run (rescanning the rest of the run from each of its
    characters would be quadratic).
    """
    n = len(prefix)
    return re.escape(prefix) + rf"(?:(?<![A-Za-z0-9_\-](?s:.){{{n}}})|(?<=\\[nrt](?s:.){{{n}}}))"


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


def _randomish(token: str) -> bool:
    return has_digit(token) or mixed_case(token)


def _not_reference(value: str) -> bool:
    # Not a variable, a template or a placeholder: `$PW`, `<password>`, `...`, `SECRET`.
    if value.startswith(("$", "{", "%(", "<", "[REDACTED:", PRIVATE_PLACEHOLDER)):
        return False
    return any(c.isalnum() for c in value) and not (value.isalpha() and value.isupper())


# A token cut short where its line or text ends (a message's first line, a wrapped line): the
# prefix and at least 8 token characters with a digit or mixed case. Not for prefixes that start ordinary
# names too (`sk-learn-2`, `key-value`).
_CUT_BODY = r"[A-Za-z0-9_\-]{8,256}+(?=\r?\n|\\[rn]|\Z)"
_NOT_CUT = frozenset({"sk-", "key-", "dapi", "hf_", "npm_", "eyJ", "AC", "SK"})


def _token(kind: str, prefixes: str, body: str, accept: Callable[[str], bool] | None = None) -> tuple[_Rule, ...]:
    # One rule per prefix, so that each pattern opens with a literal.
    rules = [_Rule(kind, _LazyPattern(_starting(p) + body), (p,), accept=accept) for p in prefixes.split("|")]
    cut = [p for p in prefixes.split("|") if p not in _NOT_CUT]
    rules += [_Rule(kind, _LazyPattern(_starting(p) + _CUT_BODY), (p,), accept=_randomish, cut=True) for p in cut]
    return tuple(rules)


def _hex_token(kind: str, prefixes: str, digits: int) -> tuple[_Rule, ...]:
    # A fixed prefix and a hex body of a fixed length; a longer hex run is a hash.
    return _token(kind, prefixes, f"[0-9a-f]{{{digits}}}(?![0-9A-Za-z_])")


def _password_flag(kind: str, command: str, flag: str, triggers: tuple[str, ...]) -> _Rule:
    # The flag on the command's line, before any pipe or `;`; the value bare or quoted (the
    # quotes are replaced too). Bounded, so a long line costs a bounded look from each command.
    value = r"(?P<s>'[^'\n]{1,200}'|\"[^\"\n]{1,200}\"|[^\s'\"`|;&]{1,200})"
    pattern = _LazyPattern(command + r"(?![\w-])[^\n|;&]{0,200}?[ \t]" + flag + value)
    return _Rule(kind, pattern, triggers, group="s", accept=_not_reference)


_AWS_PREFIXES = "AKIA|ASIA|AIDA|AROA|AGPA|ANPA|ANVA|AIPA|ABIA|ACCA"
# `machine HOST login USER password SECRET`, on one line or several, as in `~/.netrc`.
_NETRC_TAIL = r"(?:\s{1,64}(?:login|account|port)\s{1,64}\S{1,256}){0,3}\s{1,64}password[ \t]+(?P<s>[^\s\\`'\"]{1,256})"

# Patterns start with a literal or a one-character class rather than case-insensitive groups,
# so the regular-expression engine skips quickly to candidate positions.
_RULES: tuple[_Rule, ...] = (
    _Rule("private", _LazyPattern(r"<private>.*?(?:</private>|\Z)", re.S | re.I), ("<private>",)),
    _Rule(
        "private_key",
        _LazyPattern(
            # A dash may not start a run of five, so the body stops at the next BEGIN or END line.
            rf"{_PEM_BEGIN}(?:(?:[A-Za-z0-9+/=\s:,.\\\u2192]|-(?!----))*?{_PEM_END}"
            rf"|{_PEM_GAP}[A-Za-z0-9+/=]{{16,}}(?:{_PEM_GAP}[A-Za-z0-9+/=]+)*+)"
        ),
        ("PRIVATE KEY",),
    ),
    *_token("anthropic_key", "sk-ant-", r"[A-Za-z0-9_\-]{20,}"),
    *_token("openai_key", "sk-", r"(?!ant-)[A-Za-z0-9_\-]{20,}", accept=_openai_ok),
    *_token("aws_access_key_id", _AWS_PREFIXES, r"[A-Z0-9]{16}(?![A-Z0-9])"),
    _Rule(
        "aws_secret_key",
        _LazyPattern(
            r"[Ss](?:ecret_?[Aa]ccess_?[Kk]ey|ECRET_?ACCESS_?KEY)(?:\\{0,8}[\"'])?[ \t]{0,64}(?::=|=>|[=:])"
            r"[ \t]{0,64}(?:\\{0,8}[\"'])?(?P<s>[A-Za-z0-9/+]{40})(?![A-Za-z0-9/+=])"
        ),
        ("secret_access_key", "secretaccesskey"),
        group="s",
    ),
    *_token("github_token", "ghp_|gho_|ghu_|ghs_|ghr_", r"[A-Za-z0-9]{30,}"),
    *_token("github_token", "github_pat_", r"[A-Za-z0-9_]{22,}"),
    *_token("gitlab_token", "glpat-", r"[A-Za-z0-9_\-]{20,}"),
    *_token("slack_token", "xoxa-|xoxb-|xoxp-|xoxo-|xoxs-|xoxr-", r"[A-Za-z0-9\-]{10,}"),
    _Rule(
        "slack_webhook",
        _LazyPattern(r"hooks\.slack\.com/(?:services|workflows|triggers)/(?P<s>[A-Za-z0-9_/\-]{16,})"),
        ("hooks.slack.com",),
        group="s",
    ),
    *_token("stripe_key", "sk_live_|sk_test_|rk_live_|rk_test_", r"[A-Za-z0-9]{16,}"),
    *_token("google_api_key", "AIza", r"[A-Za-z0-9_\-]{35}"),
    *_token("google_oauth_secret", "GOCSPX-", r"[A-Za-z0-9_\-]{20,}"),
    *_token("npm_token", "npm_", r"[A-Za-z0-9]{36,}"),
    *_token("pypi_token", "pypi-AgE", r"[A-Za-z0-9_\-]{50,}"),
    *_token("huggingface_token", "hf_", r"[A-Za-z0-9]{30,}", accept=has_digit),
    *_hex_token("twilio_key", "AC|SK", 32),
    *_hex_token("mailgun_key", "key-", 32),
    *_hex_token("shopify_token", "shpat_|shpss_|shpca_|shppa_", 32),
    *_hex_token("databricks_token", "dapi", 32),
    *_hex_token("digitalocean_token", "dop_v1_|doo_v1_|dor_v1_", 64),
    *_token("jwt", "eyJ", r"[A-Za-z0-9_\-]{8,}\.eyJ[A-Za-z0-9_\-]{8,}\.[A-Za-z0-9_\-]*"),
    _Rule(
        "url_password",
        # The user name stops at the first `:`; the password runs to the last `@` before the
        # host, so a password holding `@` is hidden whole.
        _LazyPattern(r"://[^\s:/?#@\"'<>\\]{0,256}:(?P<s>[^\s/?#\"'<>\\]{1,256})@"),
        ("://",),
        group="s",
        accept=_not_reference,
    ),
    _Rule(
        "auth_header",
        _LazyPattern(
            r"[Aa](?:uthorization|UTHORIZATION)(?:\\{0,8}[\"'])?[ \t]{0,64}[:=][ \t]{0,64}(?:\\{0,8}[\"'])?"
            r"(?i:bearer|basic|token|bot|apikey)[ \t]{1,64}(?P<s>[A-Za-z0-9\-._~+/]+=*)"
        ),
        ("authorization",),
        group="s",
        accept=_tokenish,
    ),
    _Rule(
        "auth_header",
        _LazyPattern(_starting("Bearer") + r"\s{1,64}(?P<s>[A-Za-z0-9\-._~+/]{16,}=*)"),
        ("Bearer",),
        group="s",
        accept=has_digit,
    ),
    # `mysql -pSECRET`: only attached, since `mysql -p NAME` asks for the password.
    _password_flag("cli_password", "(?:mysql[a-z]{0,6}|mariadb)", "-p", ("mysql", "mariadb")),
    *(
        _password_flag("cli_password", rf"{tool}[ \t]+login", r"(?:-p|--password)(?:[ \t]+|=)", (tool,))
        for tool in ("docker", "podman", "nerdctl", "buildah", "skopeo", "oras", "helm registry")
    ),
    _password_flag("cli_password", "sshpass", r"-p[ \t]{0,8}", ("sshpass",)),
    _Rule(
        "netrc_password",
        _LazyPattern(r"machine[ \t]+\S{1,256}" + _NETRC_TAIL),
        ("machine",),
        group="s",
        accept=_not_reference,
    ),
    _Rule("netrc_password", _LazyPattern(r"default" + _NETRC_TAIL), ("default",), group="s", accept=_not_reference),
)


def _trigger_scan(groups: list[set[str]]) -> tuple[AhoCorasick, dict[str, frozenset[int]]]:
    """One automaton over the lower-cased text that finds the literals of every group, and for
    each literal it reports, the groups that occur.

    The automaton reports the leftmost, longest literal and goes on after it, so each
    character is read once whatever the number of literals. A literal found stands for every
    literal that occurs with it: those it contains, and those that start inside it (the scan
    steps over them). Case-sensitive rules run on a case-insensitive hit and simply find
    nothing.
    """
    literals = sorted(set().union(*groups))

    def occurs_with(found: str, literal: str) -> bool:
        # Overlaps of one or two characters are left out: every literal ending in `s` would run
        # every rule whose literal starts with one, and a token glued that close to another
        # literal does not start a word, as token rules require.
        return literal in found or any(literal.startswith(found[i:]) for i in range(1, len(found) - 2))

    groups_of: dict[str, set[int]] = {literal: set() for literal in literals}
    for i, group in enumerate(groups):
        for literal in group:
            groups_of[literal].add(i)
    occurring = {
        found: frozenset().union(*(groups_of[x] for x in literals if occurs_with(found, x))) for found in literals
    }
    return AhoCorasick(literals, matchkind=MatchKind.LeftmostLongest), occurring


# The keywords of secret-looking key names are found in the same scan, as one more group.
_KEYED_GROUP = len(_RULES)
_TRIGGER_SCAN, _OCCURRING = _trigger_scan([{t.lower() for t in rule.triggers} for rule in _RULES] + [set(KEYWORDS)])


def _triggered(folded: str) -> tuple[list[int], bool]:
    """In order, the indexes of the rules whose literals occur; and whether a keyword does."""
    found: set[int] = set()
    for literal in set(_TRIGGER_SCAN.find_matches_as_strings(folded)):
        found |= _OCCURRING[literal]
    keyed = _KEYED_GROUP in found
    found.discard(_KEYED_GROUP)
    return sorted(found), keyed


# --- assembling findings ------------------------------------------------------------------


def _rule_findings(text: str, triggered: Iterable[int], *, whole: bool = False) -> list[tuple[int, int, int]]:
    # `whole`: whole tokens only, not tokens cut short.
    found: list[tuple[int, int, int]] = []
    for index in triggered:
        rule = _RULES[index]
        if whole and rule.cut:
            continue
        rank = _RANK[rule.kind]
        for m in rule.pattern.finditer(text):
            start, end = m.span(rule.group)
            if start < end and (rule.accept is None or rule.accept(text[start:end])):
                found.append((start, end, rank))
    return found


def _starts_cut_token(head: str) -> bool:
    # The token characters before a line break hold a rule's literal but no whole token.
    rules = _triggered(head.lower())[0]
    return bool(rules) and not any(e == len(head) for _, e, _ in _rule_findings(head, rules, whole=True))


_FULL_LINE = 32  # a wrapped line at least this long may go on to another
# Only a text holding the literal of a token rule can hold a wrapped token; the two-letter
# literals of Twilio keys occur in most texts and are left out of this gate.
_WRAP_GATE = frozenset(
    i for i, rule in enumerate(_RULES) if "(?<![A-Za-z0-9_" in rule.pattern.pattern and len(rule.triggers[0]) > 2
)


def _wrapped_findings(text: str, literals: set[str]) -> list[tuple[int, int, int]]:
    """Provider tokens that line breaks cut, each spanning its breaks; `literals` are those
    of the token rules the text holds.

    The token is read over as few lines as make it whole, going on to another line only while
    it fills the last one, so a short line after it is kept.
    """
    found: list[tuple[int, int, int]] = []

    def wanted(head: str) -> bool:
        folded = head.lower()
        return any(literal in folded for literal in literals) and _starts_cut_token(head)

    for pieces in wrapped_tokens(text, wanted):
        head = pieces[0][1] - pieces[0][0]
        best: list[tuple[int, int, int]] = []
        for lines in range(2, len(pieces) + 1):
            joined = "".join(text[a:b] for a, b in pieces[:lines])
            rules = _triggered(joined.lower())[0]
            crossing = [f for f in _rule_findings(joined, rules, whole=True) if f[0] < head < f[1]]
            if not crossing:
                break
            offsets = [i for a, b in pieces[:lines] for i in range(a, b)]
            best = [(offsets[start], offsets[end - 1] + 1, rank) for start, end, rank in crossing]
            last = pieces[lines - 1]
            if max(end for _, end, _ in crossing) < len(joined) or last[1] - last[0] < _FULL_LINE:
                break
        found += best
    return found


_PLACEHOLDER = re.compile(r"\[(?:REDACTED:[a-z0-9_]+|PRIVATE)\]")


def _clip(raw: list[tuple[int, int, int]], text: str) -> list[tuple[int, int, int]]:
    """Drop the parts of findings that fall on placeholders, so placeholders never match again."""
    if "[REDACTED:" not in text and PRIVATE_PLACEHOLDER not in text:
        return raw
    holes = [m.span() for m in _PLACEHOLDER.finditer(text)]
    ends = [hole_end for _, hole_end in holes]
    clipped: list[tuple[int, int, int]] = []
    for start, end, rank in raw:
        pos = start
        # Placeholders do not overlap, so only those from the first ending past `start` on can
        # fall on the finding: a text full of both costs no more than its findings and holes.
        i = bisect_right(ends, start)
        while i < len(holes) and holes[i][0] < end:
            hole_start, hole_end = holes[i]
            if hole_start > pos:
                clipped.append((pos, hole_start, rank))
            pos = max(pos, hole_end)
            i += 1
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


_MEMO_TEXT = 8192
_MEMO_ENTRIES = 16_384
_MEMO_CHARS = 2_000_000


class Redactor:
    """Finds and replaces secrets; built once with the user's extra patterns, then called."""

    def __init__(self, extra_patterns: Iterable[str] = ()) -> None:
        """Compile the extra patterns.

        Raises:
            ValueError: a pattern is not a valid regular expression or matches empty text.
        """
        self._user = tuple(compile_redact_pattern(p) for p in extra_patterns)
        self._memo: dict[str, str] = {}
        self._memo_chars = 0
        self._runs: dict[str, Verdict] = {}

    def __call__(self, text: str) -> str:
        """The text with every secret replaced by its placeholder."""
        # Transcripts repeat their texts (paths, commands, a tool's output in the message and
        # in its structured result) many times over, so answers are kept; the bounds keep
        # memory small.
        if len(text) > _MEMO_TEXT:
            return self._redact(text)
        done = self._memo.get(text)
        if done is None:
            if len(self._memo) >= _MEMO_ENTRIES or self._memo_chars >= _MEMO_CHARS:
                self._memo.clear()
                self._memo_chars = 0
            done = self._memo[text] = self._redact(text)
            self._memo_chars += len(text)
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
        raw = self._findings(text)
        return _merge(_clip(raw, text)) if raw else []

    def _findings(self, text: str, *, again: bool = True) -> list[tuple[int, int, int]]:
        # `again`: also decode base64 runs and rejoin wrapped lines (not within those views).
        folded = text.lower()
        triggered, keyed = _triggered(folded)
        raw = _rule_findings(text, triggered)
        if keyed:
            rank = _RANK["env_secret"]
            raw += [(start, end, rank) for start, end in keyed_values(text, folded)]
        random, encoded = scan_runs(text, self._runs)
        high_entropy = _RANK["high_entropy"]
        raw += [(start, end, high_entropy) for start, end in random]
        custom = _RANK["custom"]
        for pattern in self._user:
            raw += [(m.start(), m.end(), custom) for m in pattern.finditer(text) if m.end() > m.start()]
        if again:
            rank = _RANK["encoded_secret"]
            raw += [(start, end, rank) for start, end, decoded in encoded if self._findings(decoded, again=False)]
            if cuttable := {t.lower() for i in triggered if i in _WRAP_GATE for t in _RULES[i].triggers}:
                raw += _wrapped_findings(text, cuttable)
        return raw

    def redact_json(self, value: object) -> object:
        """A copy of a JSON-like value with every string redacted, keys too (a key can be a
        secret); other values are kept."""
        if isinstance(value, str):
            return self(value)
        if isinstance(value, dict):
            return {self(k) if isinstance(k, str) else k: self.redact_json(v) for k, v in value.items()}
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
