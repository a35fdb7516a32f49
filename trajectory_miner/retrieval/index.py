"""The in-memory retrieval index: sessions, stuck episodes and mined items, ranked by BM25.

It is filled from the messages of `snapshot.read_changes`: once whole, then with only what
changed (sessions the ingester touched, and the small tables when they changed). A session
comes as its kept documents (`kept`) or as rows the index works them out from; one read
again replaces its documents. Queries never touch the store.

An index pickles compactly for `saved`: each item as its own small pickle, unpacked the first
time a query touches it, and the patterns as one, unpacked when listed. So loading a saved
index costs little more than its postings, and a question pays only for its candidates.

What ranking asks of every candidate is kept beside the items, one entry per document, so that
a broad question weighs thousands of candidates without unpacking them: what kind of item it
is (and how an episode ended), the signature it was stored under, and which fix it shares
with alike items (`fixes`). The fixes are worked out when first asked, and for every item
before a save, so that a saved index never works them out again.
"""

from __future__ import annotations

import pickle
from array import array
from collections import Counter
from collections.abc import Iterable, Iterator, MutableMapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt

from trajectory_miner.analysis.signatures import signature_family
from trajectory_miner.mining.items import Pattern, Replay, Skill
from trajectory_miner.retrieval.bm25 import BM25
from trajectory_miner.retrieval.episodes import Episode
from trajectory_miner.retrieval.fixes import shared_fix, tried_keys
from trajectory_miner.retrieval.kept import decode, interned, session_docs
from trajectory_miner.retrieval.snapshot import Marks, Message, SessionRow, read_changes
from trajectory_miner.retrieval.text import tokens
from trajectory_miner.store import Store

# Rebuild from scratch when this share of the documents has been replaced.
_REBUILD_DEAD_SHARE = 0.3
# What an item document is, by `kinds`: how an episode ended, or which mined item it is.
VERIFIED, LIKELY, STUCK, REPLAY, SKILL = range(5)
_RESOLUTIONS = {"verified": VERIFIED, "likely": LIKELY, "no": STUCK}
# In `fix_groups`: not worked out yet. Below it, an item that is a fix of its own (-2 - doc).
UNKNOWN_FIX = -1


class NeedsRebuild(Exception):
    """The store changed in a way only a fresh build follows (sessions were deleted)."""


@dataclass(slots=True)
class SessionInfo:
    """What the index keeps of a session."""

    session_id: str
    project: str
    title: str
    started: float | None
    ended: float | None
    steps: int = 0
    errors: int = 0
    outcome: str = "unknown"
    doc: int = -1
    episode_docs: list[int] = field(default_factory=list)


Item = Episode | Replay | Skill


class Items(MutableMapping[int, Item]):
    """The index's items by document id; those of a saved index are unpacked on first use.

    Each packs with what `fix_keys` (the index's, by item identity) holds for it, so
    that work done once for an item is not done again after a save. Iteration runs in
    document order, the order the items were added in.
    """

    def __init__(self, packed: dict[int, bytes] | None = None) -> None:
        self._open: dict[int, Item] = {}
        self._packed: dict[int, bytes] = packed or {}
        self.fix_keys: dict[int, str] = {}

    def __getitem__(self, doc: int) -> Item:
        item = self._open.get(doc)
        if item is None:
            item, key = pickle.loads(self._packed.pop(doc))
            self._open[doc] = item
            if key is not None:
                self.fix_keys[id(item)] = key
        return item

    def __contains__(self, doc: object) -> bool:
        return doc in self._open or doc in self._packed

    def present(self, docs: Iterable[int]) -> list[int]:
        """Those of `docs` that name an item."""
        opened, packed = self._open, self._packed
        return [doc for doc in docs if doc in opened or doc in packed]

    def __setitem__(self, doc: int, item: Item) -> None:
        self._packed.pop(doc, None)
        self._open[doc] = item

    def __delitem__(self, doc: int) -> None:
        if self._open.pop(doc, None) is None:
            del self._packed[doc]

    def __len__(self) -> int:
        return len(self._open) + len(self._packed)

    def __iter__(self) -> Iterator[int]:
        if not self._packed:
            return iter(sorted(self._open))
        return iter(sorted([*self._open, *self._packed]))

    def __reduce__(self) -> tuple[Any, ...]:
        packed = dict(self._packed)
        keys = self.fix_keys
        packed.update(
            (doc, pickle.dumps((item, keys.get(id(item))), protocol=pickle.HIGHEST_PROTOCOL))
            for doc, item in self._open.items()
        )
        return (Items, (packed,))


class MemoryIndex:
    """Everything retrieval answers from."""

    def __init__(self, with_terms: bool = True) -> None:
        # Without terms the index holds no text to rank by: enough for the hint table.
        self.with_terms = with_terms
        self._reset()

    def _reset(self) -> None:
        self.sessions: dict[str, SessionInfo] = {}
        self.items = Items()
        self.item_bm25 = BM25()
        self.session_bm25 = BM25()
        self.session_of_doc: dict[int, str] = {}
        self.families: dict[str, set[int]] = {}
        # Episodes a later step got past, with what worked: all the hint table reads.
        self.verified: set[int] = set()
        self.replays: dict[str, Replay] = {}
        self.skills: dict[str, Skill] = {}
        self.patterns = []
        self.feedback: dict[str, tuple[int, int]] = {}
        self.outcomes: dict[str, str] = {}
        self.marks: Marks | None = None
        self.newest: float | None = None
        # Normalised fixes of items, by the item's identity (filled while ranking).
        self.fix_keys: dict[int, str] = {}
        self.items.fix_keys = self.fix_keys
        # By item document: its kind, the signature it answers (None for a skill, which has
        # several) and the number of the fix it shares with alike items.
        self.kinds = bytearray()
        self.signatures: list[str | None] = []
        self.fix_groups: array[int] = array("q")
        self._fix_numbers: dict[str, int] = {}
        self._mined_docs: list[int] = []
        # Token counts of the mined items' text: mining again mostly rewrites the same items.
        self._mined_terms: dict[str, dict[str, int]] = {}
        self._strings: dict[str, str] = {}

    _patterns: list[Pattern] | bytes

    @property
    def patterns(self) -> list[Pattern]:
        """The mined failure patterns (unpacked on first use when the index was saved)."""
        if isinstance(self._patterns, bytes):
            unpacked: list[Pattern] = pickle.loads(self._patterns)
            self._patterns = unpacked
            return unpacked
        return self._patterns

    @patterns.setter
    def patterns(self, patterns: list[Pattern]) -> None:
        self._patterns = patterns

    def __getstate__(self) -> dict[str, Any]:
        self._settle_fixes()
        state = dict(self.__dict__)
        # Caches: the interned strings, and fix keys by object identity, which a copy changes.
        state["_strings"], state["fix_keys"] = {}, {}
        if not isinstance(self._patterns, bytes):
            state["_patterns"] = pickle.dumps(self._patterns, protocol=pickle.HIGHEST_PROTOCOL)
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        self.items.fix_keys = self.fix_keys

    # -- building --------------------------------------------------------------------------

    @classmethod
    def build(cls, store: Store, with_terms: bool = True) -> MemoryIndex:
        """Read the whole store into a fresh index (without terms: not for ranking, see `snapshot`)."""
        index = cls(with_terms)
        index.apply(read_changes(store, None, with_terms))
        return index

    @classmethod
    def from_messages(cls, messages: Iterable[Message]) -> MemoryIndex:
        index = cls()
        index.apply(messages)
        return index

    @property
    def needs_rebuild(self) -> bool:
        """True when so many documents were replaced that a fresh build is cheaper to query."""
        return max(self.item_bm25.dead_share, self.session_bm25.dead_share) > _REBUILD_DEAD_SHARE

    def update(self, store: Store) -> bool:
        """Bring the index up to date with the store; False when only a rebuild can do that."""
        try:
            self.apply(read_changes(store, self.marks))
        except NeedsRebuild:
            return False
        return not self.needs_rebuild

    def apply(self, messages: Iterable[Message]) -> None:
        """Apply a stream of `snapshot` messages in order.

        Raises:
            NeedsRebuild: sessions were deleted from the store since the last read.
        """
        marks: Marks | None = None
        for kind, body in messages:
            if kind == "marks":
                marks = body
            elif kind == "full":
                self._reset()
            elif kind == "changed":
                self._changed(*body)
            elif kind == "sessions":
                for row in body:
                    self._add_session(row)
            elif kind == "outcomes":
                self.outcomes = body
                for sid, info in self.sessions.items():
                    info.outcome = body.get(sid, "unknown")
            elif kind == "mined":
                self._load_mined(*body)
            elif kind == "feedback":
                self.feedback = body
        if marks is not None:
            self.marks = marks

    def _changed(self, ids: list[str], total: int) -> None:
        new = sum(1 for sid in ids if sid not in self.sessions)
        if total != len(self.sessions) + new:
            raise NeedsRebuild(f"the store holds {total} sessions, the index expected {len(self.sessions) + new}")
        for sid in ids:
            self._drop_session(sid)

    def _intern(self, text: str) -> str:
        return self._strings.setdefault(text, text) if len(text) < 400 else text

    def _drop_session(self, sid: str) -> None:
        info = self.sessions.pop(sid, None)
        if info is None:
            return
        if info.doc >= 0:
            self.session_bm25.remove(info.doc)
            self.session_of_doc.pop(info.doc, None)
        for doc in info.episode_docs:
            self._remove_item(doc)

    def _add_session(self, row: SessionRow | tuple[Any, ...]) -> None:
        if isinstance(row, SessionRow):
            docs = session_docs(row)
            episodes = [(interned(episode, self._intern), counts) for episode, counts in docs.episodes]
        else:
            docs = decode(row, self._intern)
            episodes = list(docs.episodes)
        self._drop_session(docs.session_id)
        info = SessionInfo(
            session_id=docs.session_id,
            project=self._intern(docs.project),
            title=docs.title,
            started=docs.started,
            ended=docs.ended,
            steps=docs.steps,
            errors=docs.errors,
            outcome=self.outcomes.get(docs.session_id, "unknown"),
        )
        self.sessions[docs.session_id] = info
        stamp = docs.ended or docs.started
        if stamp is not None and (self.newest is None or stamp > self.newest):
            self.newest = stamp
        info.doc = self.session_bm25.add_counts(docs.terms)
        self.session_of_doc[info.doc] = docs.session_id
        for episode, counts in episodes:
            doc = self.item_bm25.add_counts(counts)
            self._add_item(doc, episode, [episode.family])
            info.episode_docs.append(doc)
            if episode.resolution == "verified" and episode.worked_next:
                self.verified.add(doc)

    def _add_item(self, doc: int, item: Item, families: Iterable[str]) -> None:
        self.items[doc] = item
        grow = doc + 1 - len(self.kinds)
        if grow > 0:
            self.kinds.extend(bytes(grow))
            self.signatures.extend([None] * grow)
            self.fix_groups.extend([UNKNOWN_FIX] * grow)
        if isinstance(item, Episode):
            self.kinds[doc], self.signatures[doc] = _RESOLUTIONS[item.resolution], item.signature
        elif isinstance(item, Replay):
            self.kinds[doc], self.signatures[doc] = REPLAY, item.signature
        else:
            self.kinds[doc], self.signatures[doc] = SKILL, None
        self.fix_groups[doc] = UNKNOWN_FIX
        for family in families:
            if family:
                self.families.setdefault(family, set()).add(doc)

    def _remove_item(self, doc: int) -> None:
        item = self.items.pop(doc, None)
        self.item_bm25.remove(doc)
        self.verified.discard(doc)
        if item is None:
            return
        self.fix_keys.pop(id(item), None)
        for family in item_families(item):
            docs = self.families.get(family)
            if docs is not None:
                docs.discard(doc)
                if not docs:
                    del self.families[family]

    def _load_mined(self, replays: list[Replay], skills: list[Skill], patterns: list[Pattern]) -> None:
        for doc in self._mined_docs:
            self._remove_item(doc)
        self._mined_docs = []
        self.replays = {r.id: r for r in replays}
        self.skills = {s.id: s for s in skills}
        self.patterns = patterns
        known, self._mined_terms = self._mined_terms, {}
        for replay in replays:
            parts = [replay.stuck_reason, replay.signature, *replay.next_steps, replay.expected_improvement]
            self._add_mined(replay, "\n".join(parts), known)
        for skill in skills:
            self._add_mined(skill, "\n".join([skill.name, skill.description, skill.trigger, *skill.steps]), known)

    def _add_mined(self, item: Replay | Skill, text: str, known: dict[str, dict[str, int]]) -> None:
        counts: dict[str, int] = {}
        if self.with_terms:
            found = known.get(text)
            counts = found if found is not None else dict(Counter(tokens(text)))
            self._mined_terms[text] = counts
        doc = self.item_bm25.add_counts(counts)
        self._add_item(doc, item, item_families(item))
        self._mined_docs.append(doc)

    def _settle_fixes(self) -> None:
        """Work out the fix of every item, and what every stuck episode tried, not known yet."""
        unknown = [doc for doc in self.items if self.fix_groups[doc] == UNKNOWN_FIX]
        self.fix_group(unknown)
        for doc in unknown:
            item = self.items[doc]
            if isinstance(item, Episode) and item.resolution == "no":
                tried_keys(item, self.fix_keys)

    # -- reading ---------------------------------------------------------------------------

    def fix_group(self, docs: Sequence[int]) -> npt.NDArray[np.int64]:
        """The number of the fix each item document shares with alike items (equal numbers,
        equal `fixes.fix_key`), worked out for those not asked before."""
        numbers = np.frombuffer(self.fix_groups, dtype=np.int64)[np.array(docs, dtype=np.int64)]
        for at in np.flatnonzero(numbers == UNKNOWN_FIX).tolist():
            doc = docs[at]
            key = shared_fix(self.items[doc], self.fix_keys)
            number = -2 - doc if key is None else self._fix_numbers.setdefault(key, len(self._fix_numbers))
            self.fix_groups[doc] = numbers[at] = number
        return numbers

    def votes(self, *targets: str) -> tuple[int, int]:
        """Good and bad verdicts (those that helped, those that harmed) given to any of the targets."""
        helpful = harmful = 0
        for target in targets:
            h, x = self.feedback.get(target, (0, 0))
            helpful, harmful = helpful + h, harmful + x
        return helpful, harmful


def item_families(item: Item) -> list[str]:
    """The error families an item answers."""
    if isinstance(item, Episode):
        return [item.family]
    if isinstance(item, Replay):
        return [signature_family(item.signature)] if item.signature else []
    return [signature_family(s) for s in item.signatures if s]
