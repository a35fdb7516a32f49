"""Token shapes: random-looking tokens, base64 runs and tokens wrapped across lines.

A run of at least 24 token characters is a secret when it looks random: mixed case that breaks
into short case runs and has high character entropy or, for single-case text, more length, a
digit and high entropy. Hex (hashes, UUIDs), message and tool-call ids, written-out alphabets and
base64 of ordinary text are not; in a path or URL each segment is judged on its own. `Redactor`
reports these spans as `high_entropy`, and its provider rules share the shape tests `has_digit`
and `mixed_case`.

Two views let `Redactor` look again where a secret hides its shape: `scan_runs` also gives the
decoded text of each base64 run (a `db_password=` line encoded), and `wrapped_tokens` gives each
run of token characters that a line break cuts, in pieces to join again. All of it runs in time linear in
the text: runs are found with `bytes.find` on a mask, and each is read a bounded number of times.
The verdict on a short run (a path, an id) can be kept in a memo the caller passes, since the
same runs recur from text to text; a run of many kilobytes is judged from its first kilobyte
where that tells as much as the whole.
"""

from __future__ import annotations

import base64
import binascii
import math
import re
from collections import Counter
from collections.abc import Callable, Iterator

_DIGIT = re.compile(r"\d")


def has_digit(token: str) -> bool:
    """Whether the token holds a digit."""
    return _DIGIT.search(token) is not None


def mixed_case(token: str) -> bool:
    """Whether the token holds both upper- and lower-case letters."""
    return token.lower() != token and token.upper() != token


_MIN_RANDOM = 24
_TOKEN_CHARS = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/_-"
# Maps each character of a latin-1 encoding to `a` (token character) or a space, so runs of
# token characters can be found with bytes.find, which is many times faster than a regex scan.
_TOKEN_MASK = bytes(0x61 if chr(i) in _TOKEN_CHARS else 0x20 for i in range(256))
_MIN_RUN = b"a" * _MIN_RANDOM
_SAMPLE = 256
_HEXISH = re.compile(r"[0-9a-fA-F_\-]+|0x[0-9a-fA-F]+")
_HEX = re.compile(r"[0-9a-fA-F]+")
# Message, request and tool-call ids fill transcripts and are not secrets; neither are
# subresource-integrity hashes in lock files.
_ID_PREFIX = re.compile(
    r"(?:toolu|srvtoolu|tooluse|msg|msgbatch|req|call|resp|file|chatcmpl|run|thread|asst)[_\-]|sha\d+-"
)
_SEPARATOR = re.compile(r"[-_/+]")
_PIECE = re.compile(r"[A-Z]?[a-z]+|[A-Z]+(?![a-z])")
_WORDY_SEGMENT = re.compile(r"[A-Za-z][a-z]{2,}[a-z0-9_.\-]*")


def _entropy(s: str) -> float:
    n = len(s)
    return -sum(c / n * math.log2(c / n) for c in Counter(s).values())


def _pieces_per_letter(s: str) -> float:
    # Words in identifiers are long (`Validator`, `Method`); random text breaks into one- and
    # two-letter case runs.
    pieces = _PIECE.findall(s)
    letters = sum(map(len, pieces))
    return len(pieces) / letters if letters else 0.0


def _sequential(s: str) -> bool:
    # Alphabets written out in code (`abcdefghijklmnopqrstuvwxyz0123456789`) are not secrets.
    head = s[:64]
    return sum(1 for a, b in zip(head, head[1:], strict=False) if ord(b) - ord(a) == 1) * 2 >= len(head)


def decode_text(run: str) -> str | None:
    """The text a base64 run (standard or URL-safe, padded or not) encodes, if it is printable
    UTF-8 text; else None."""
    core = run.rstrip("=")
    if len(core) % 4 == 1:
        return None
    urlsafe = "-" in core or "_" in core
    if urlsafe and ("+" in core or "/" in core):
        return None
    try:
        decoded = base64.b64decode(core + "=" * (-len(core) % 4), altchars=b"-_" if urlsafe else b"+/", validate=True)
        text = decoded.decode("utf-8")
    except (binascii.Error, ValueError):
        return None
    return text if text.replace("\n", " ").replace("\r", " ").replace("\t", " ").isprintable() else None


def _decodes_to_text(core: str) -> bool:
    """Base64 of ordinary text (a sentence, a JSON header) is data, not a secret."""
    text = decode_text(core)
    return text is not None and not any(_looks_random(text[s:e]) for s, e in _token_runs(text))


def _chunks(pieces: list[str]) -> list[str]:
    # Hex chunks (UUIDs, hashes, counters) inside a longer name say nothing about randomness.
    return [c for c in pieces if c and not _HEX.fullmatch(c)]


_HEAD = 1024


def _mixed_head(core: str) -> str:
    """For a run of many kilobytes, the head of its chunks when that head is mixed case and
    holds a whole sample; else "".

    The whole of the chunks is then mixed case and longer than a sample, and judging it reads
    no more than such a head: a long blob is judged without splitting all of it.
    """
    if len(core) <= 2 * _HEAD:
        return ""
    # The last piece may go on past the head: only whole pieces are kept.
    head = "".join(_chunks(_SEPARATOR.split(core[:_HEAD])[:-1]))
    return head if len(head) >= _SAMPLE and mixed_case(head) else ""


def _looks_random(token: str) -> bool:
    core = token.rstrip("=")
    if len(core) < _MIN_RANDOM or _HEXISH.fullmatch(core) or _ID_PREFIX.match(core):
        return False
    head = _mixed_head(core)
    chunks = [] if head else _chunks(_SEPARATOR.split(core))
    rest = head or "".join(chunks)
    if not rest:
        return False
    if head or mixed_case(rest):
        n = len(rest)
        sample = rest[:_SAMPLE]  # long blobs are uniform; a prefix tells as much as the whole
        threshold = min(4.5, 0.75 * math.log2(max(n, 2)) + 0.25)
        random_like = n >= 20 and _pieces_per_letter(sample) >= 0.3 and _entropy(sample) >= threshold
    else:
        # Single-case tokens (base32, base36) need more length to tell from names and ids.
        longest = max(chunks, key=len)
        n = len(longest)
        threshold = min(4.2, 0.7 * math.log2(n) + 0.15)
        random_like = n >= 32 and has_digit(longest) and _entropy(longest[:_SAMPLE]) >= threshold
    return random_like and not _sequential(rest) and not _decodes_to_text(core)


def _is_path(segments: list[str]) -> bool:
    """A path or URL has word-like segments; base64 split at its slashes has only short scraps."""
    if len(segments) < 2 or not any(_WORDY_SEGMENT.fullmatch(s) for s in segments):
        return False
    scraps = sum(len(s) for s in segments if len(s) < _MIN_RANDOM and not _WORDY_SEGMENT.fullmatch(s))
    return scraps < _MIN_RANDOM


def _mask(text: str) -> bytes:
    # "replace" turns each character outside latin-1 into one "?", so offsets stay aligned.
    return text.encode("latin-1", "replace").translate(_TOKEN_MASK)


def _token_runs(text: str, least: bytes = _MIN_RUN) -> Iterator[tuple[int, int]]:
    """Spans of maximal runs of at least 24 (or `len(least)`) token characters, with up to two
    `=` of padding."""
    mask = _mask(text)
    pos = mask.find(least)
    while pos != -1:
        end = mask.find(b" ", pos)
        end = len(mask) if end == -1 else end
        stop = end
        while stop < len(text) and stop - end < 2 and text[stop] == "=":
            stop += 1
        yield pos, stop
        pos = mask.find(least, end)


_MIN_ENCODED = 20  # 15 bytes: the shortest `key=value` worth decoding (`password=hunter`)
_ASCII_LEADS = re.compile("[A-Za-f]*")


def _encoded(run: str) -> str | None:
    # Base64 of ASCII text has a first character in A-Z or a-f in each group of four: a cheap
    # test that turns away most names and ids before decoding.
    return decode_text(run) if _ASCII_LEADS.fullmatch(run[::4]) else None


_TOKEN_CLASS = "[A-Za-z0-9+/_\\-]"
# A line break, real or escaped, between two token characters. Each alternative opens with the
# break and looks back past it, so the engine skips quickly from one break to the next.
_BREAK = re.compile(
    "|".join(rf"{brk}(?<={_TOKEN_CLASS}{brk})(?={_TOKEN_CLASS})" for brk in (r"\n", r"\r\n", r"\\n", r"\\r\\n"))
)
_WRAP_REACH = 256  # characters taken from each line
_WRAP_LINES = 8
_MIN_WRAPPED = 20


def wrapped_tokens(text: str, wanted: Callable[[str], bool]) -> Iterator[list[tuple[int, int]]]:
    """Runs of token characters cut by line breaks (real or escaped), as the spans of their
    pieces, one a line.

    A run is followed from each break whose first piece (the token characters before it) is
    `wanted`, over up to 8 lines and 256 characters of each; runs shorter than 20 characters
    are left out.
    """
    mask: bytes | None = None
    reached = 0
    for m in _BREAK.finditer(text):
        if m.start() < reached:
            continue
        mask = mask or _mask(text)
        floor = max(0, m.start() - _WRAP_REACH)
        left = mask.rfind(b" ", floor, m.start()) + 1 or floor
        if left > 0 and text[left - 1] == "\\" and text[left] in "nrt":
            left += 1
        if not wanted(text[left : m.start()]):
            continue
        pieces = [(left, m.start())]
        pos = m.end()
        while True:
            stop = mask.find(b" ", pos, pos + _WRAP_REACH)
            stop = min(len(text), pos + _WRAP_REACH) if stop == -1 else stop
            pieces.append((pos, stop))
            follow = _BREAK.match(text, stop) if len(pieces) < _WRAP_LINES else None
            if follow is None:
                break
            pos = follow.end()
        if sum(b - a for a, b in pieces) >= _MIN_WRAPPED:
            reached = pieces[-1][1]
            yield pieces


Verdict = tuple[str | None, tuple[tuple[int, int], ...]]
_MEMO_RUN = 512  # runs up to this long (paths, ids) recur from text to text
_MEMO_ENTRIES = 16_384


def _verdict(token: str) -> Verdict:
    """The text a run encodes, if any, and the spans of its random-looking parts, relative to
    the run."""
    decoded = _encoded(token)
    if len(token) < _MIN_RANDOM:
        return decoded, ()
    segments = token.split("/")
    if not _is_path(segments):
        return decoded, ((0, len(token)),) if _looks_random(token) else ()
    # Judge each segment, so `/docs/d/<random id>/edit` loses the id only.
    spans: list[tuple[int, int]] = []
    offset = 0
    for segment in segments:
        if len(segment) >= _MIN_RANDOM and _looks_random(segment):
            spans.append((offset, offset + len(segment)))
        offset += len(segment) + 1
    return decoded, tuple(spans)


def _kept_verdict(token: str, memo: dict[str, Verdict]) -> Verdict:
    if len(token) > _MEMO_RUN:
        return _verdict(token)
    known = memo.get(token)
    if known is None:
        if len(memo) >= _MEMO_ENTRIES:
            memo.clear()
        known = memo[token] = _verdict(token)
    return known


def scan_runs(
    text: str, memo: dict[str, Verdict] | None = None
) -> tuple[list[tuple[int, int]], list[tuple[int, int, str]]]:
    """One pass over the runs of token characters: the half-open spans of the random-looking
    tokens, and each base64 run of at least 20 characters that decodes to printable ASCII text,
    with that text; both in text order.

    `memo` keeps the verdicts on short runs from one call to the next (it is bounded).
    """
    random: list[tuple[int, int]] = []
    encoded: list[tuple[int, int, str]] = []
    if len(text) < _MIN_ENCODED:
        return random, encoded
    memo = {} if memo is None else memo
    for start, end in _token_runs(text, b"a" * _MIN_ENCODED):
        if start > 0 and text[start - 1] == "\\" and text[start] in "nrt":
            start += 1  # the run began with the letter of an escaped newline
        decoded, spans = _kept_verdict(text[start:end], memo)
        if decoded is not None:
            encoded.append((start, end, decoded))
        random += [(start + a, start + b) for a, b in spans]
    return random, encoded
