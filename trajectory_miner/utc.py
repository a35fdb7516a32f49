"""Times as the store keeps them, and back: the store holds UTC without a zone.

DuckDB's TIMESTAMP has no zone, so every time goes in as naive UTC (`stored`) and comes out
marked as UTC (`aware`). A naive time handed in is taken to be UTC already.
"""

from __future__ import annotations

from datetime import UTC, datetime


def stored(at: datetime | None = None) -> datetime:
    """`at` (now when None) as the store keeps it: UTC without a zone."""
    moment = at or datetime.now(UTC)
    return moment.astimezone(UTC).replace(tzinfo=None) if moment.tzinfo else moment


def stored_or_none(at: datetime | None) -> datetime | None:
    """`stored(at)` for a time that may be missing: None stays None (not now)."""
    return None if at is None else stored(at)


def aware(at: datetime) -> datetime:
    """A time read from the store (or any naive UTC time) marked as UTC; an aware one as it is."""
    return at if at.tzinfo else at.replace(tzinfo=UTC)


def aware_or_none(at: datetime | None) -> datetime | None:
    """`aware(at)`, with None kept."""
    return None if at is None else aware(at)
