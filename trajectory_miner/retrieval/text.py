"""Text handling for retrieval: tokens for ranking, clean one-liners, and token estimates.

Tokens are lower-case words; identifiers are also split into their parts (`ModuleNotFoundError`
gives `modulenotfounderror`, `module`, `not`, `found`, `error`), so a description in prose
finds an error named in code. Words that are mostly digits (ids, hashes, ports) are dropped:
they differ between two runs of the same failure.
"""

from __future__ import annotations

import re
import unicodedata

from trajectory_miner.analysis.commands import parse

_WORD = re.compile(r"[A-Za-z][A-Za-z0-9_]{1,47}")
_CAMEL = re.compile(r"[A-Z]+(?=[A-Z][a-z])|[A-Z]?[a-z]+|[A-Z]+|[0-9]+")
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")

_STOPWORD_TEXT = """
    a an and are as at be been but by can did do does for from had has have he her his how i if in into is
    it its let me my no not of on or our out she so than that the their them then there these they this
    those to too up us was we were what when where which while who why will with would you your now just
    also only very again still here all any some more most other such own same few both each once over
    under about after before above below off ok okay lets see run ran try tried use used using
"""
STOPWORDS = frozenset(_STOPWORD_TEXT.split())
# Words that name parts of words in identifiers but say nothing alone.
_WEAK_PARTS = frozenset({"py", "js", "ts", "rs", "go", "md", "id"})

CHARS_PER_TOKEN = 4


def estimate_tokens(text: str) -> int:
    """A cheap estimate of how many model tokens a text costs (characters / 4)."""
    return (len(text) + CHARS_PER_TOKEN - 1) // CHARS_PER_TOKEN


def _keep(word: str) -> bool:
    digits = sum(ch.isdigit() for ch in word)
    return digits < 3 and word not in STOPWORDS


def tokens(text: str, limit: int = 20_000) -> list[str]:
    """The ranking tokens of a text (at most `limit` characters of it are read)."""
    out: list[str] = []
    for match in _WORD.finditer(text[:limit]):
        raw = match.group(0)
        word = raw.lower()
        if _keep(word):
            out.append(word)
        if "_" in raw or any(ch.isupper() for ch in raw[1:]):
            for part in _CAMEL.findall(raw.replace("_", " ")):
                low = part.lower()
                if len(low) > 1 and low != word and low not in _WEAK_PARTS and _keep(low):
                    out.append(low)
    return out


def clean(text: str) -> str:
    """The text without control characters (newlines and tabs kept) and in NFC form."""
    return _CONTROL.sub("", unicodedata.normalize("NFC", text))


def command_words(command: str) -> set[str]:
    """The words of a shell command that say what it does: for each part, the wrappers and
    runners it goes through, its program and first arguments (subcommand, flags, modules)."""
    words: set[str] = set()
    for simple in parse(command).commands:
        written = [w for wrapper in simple.wrappers for w in wrapper.split()]
        for word in [*written, *simple.words[:6]]:
            base = word.rsplit("/", 1)[-1].lower()
            if base and not base.isdigit() and len(base) <= 40:
                words.add(base)
    return words
