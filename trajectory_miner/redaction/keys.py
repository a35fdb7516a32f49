"""Values of secret-looking keys: `DB_PASSWORD=...`, `"api_key": "..."`, `password: correcthorse`.

A key is secret-looking when one of its name's components is a secret word (`password`,
`token`, `credentials`, an `api` or `signing` key) and it does not merely describe one
(`TOKEN_URL`, `password_help`). Its value is hidden when it is a literal rather than code: not
a name, a type, a reference (`${PASSWORD}`, `<redacted>`), a number or a version. A value of
lower-case letters alone counts only where it stands last on its line, as a setting does.
`Redactor` reports these spans as `env_secret`. The quantifiers between a key and its value are
bounded, and a keyword inside a key or value already read is skipped, so the work is linear in
the text.
"""

from __future__ import annotations

import re

from ahocorasick_rs import AhoCorasick, MatchKind

KEYWORDS = ("pass", "secret", "token", "key", "auth", "priv", "cred")
_KEYWORD = re.compile("|".join(KEYWORDS), re.I)
# One pass over the lower-cased text finds them all, where a search per keyword takes seven.
_KEYWORD_SCAN = AhoCorasick(list(KEYWORDS), matchkind=MatchKind.Standard)
_KEY_TAIL = re.compile(r"[A-Za-z0-9_.\-]*")
_SEPARATOR_AHEAD = re.compile(r"(?:\\{0,8}[\"'])?[ \t]{0,64}[=:]")
_KEY_CHARS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.-")
_KEYED = re.compile(
    r"""
    (?P<key>[A-Za-z_][A-Za-z0-9_.\-]{0,100})
    (?:\\{0,8}["'])?                                   # the key's closing quote
    (?:[ \t]{0,64}:[ \t]{0,64}[A-Za-z_][\w\[\]., |]{0,60}?(?=[ \t]{0,64}=[^=]))?   # a type annotation
    (?P<sp1>[ \t]{0,64})(?P<sep>:=|=>|[=:])?(?P<sp2>[ \t]{0,64})
    (?:(?P<q>\\{0,8}["'])(?P<qv>[^"'\\\r\n]{0,4096})(?P=q)|(?P<uv>[^\s"'`\\]{1,4096}))
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
_VERSION = re.compile(r"[\^~]?v?\d++(?:\.\d+)++\S*")


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


# Words that say what became of a secret rather than being one (`password: changed`).
_STATUS_WORDS = frozenset(
    "changed updated removed deleted hidden masked redacted unset missing empty invalid expired"  # noqa: SIM905
    " done ok okay none ignored omitted include omit inherit default auto".split()
)
_WORD_VALUE = re.compile(r"[a-z]{4,}(?:-[a-z]+)*")


def _word_password(key: str, value: str, sep: str | None, after: str) -> bool:
    """Whether a value of lower-case letters alone is a password (`password: correcthorse`).

    In code such a value is a name (`password=password`, `token: str`) and in prose a word
    (`the password: it must be rotated`); a password written out stands last on its line.
    """
    if sep not in (":", "=") or not _WORD_VALUE.fullmatch(value):
        return False
    if value in _NON_VALUES or value in _STATUS_WORDS or value in key.lower():
        return False
    return after in ("", "\n", "\r", "\\") or (sep == "=" and after == "&")


def _literal_secret(m: re.Match[str], value: str, flag: bool, after: str) -> bool:
    """Whether a key's value is a literal worth hiding rather than a name, type or reference.

    `after` is the character that follows the value in the text, if any.
    """
    key, sep = m["key"], m["sep"]
    if sep is None and not flag:
        return False
    if not value or value.startswith(("[REDACTED:", "[PRIVATE]", "$", "{", "%(", "<", "=")):
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
    if _NAME.fullmatch(value) is None:
        return not any(c in value for c in "?|")
    return _word_password(key, value, sep, after)


def keyword_hits(text: str, folded: str) -> list[int]:
    """Where a keyword starts in the text, in order; every occurrence of each, overlapping ones too."""
    if len(folded) != len(text):  # a few characters change length when lower-cased
        return [m.start() for m in _KEYWORD.finditer(text)]
    return sorted(start for _, start, _ in _KEYWORD_SCAN.find_matches_as_indexes(folded, overlapping=True))


def keyed_values(text: str, folded: str) -> list[tuple[int, int]]:
    """Half-open spans of the values of secret-looking keys in the text; `folded` is the text
    lower-cased."""
    found: list[tuple[int, int]] = []
    resume = 0
    for hit in keyword_hits(text, folded):
        if hit < resume:
            continue
        tail = _KEY_TAIL.match(text, hit)
        start, end = hit, tail.end() if tail else hit
        resume = end
        floor = max(0, hit - 100)  # a key is at most 101 characters
        while start > floor and text[start - 1] in _KEY_CHARS:
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
        if e > s and _literal_secret(m, text[s:e], flag, text[e : e + 1]):
            found.append((s, e))
        # Keywords inside the value are not read again: each hit reads at most one value.
        resume = m.end()
    return found
