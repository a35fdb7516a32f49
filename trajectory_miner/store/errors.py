"""What can go wrong with the store, as callers catch it."""

from __future__ import annotations


class StoreError(RuntimeError):
    """The database cannot be used (corrupt, unreadable, or from a newer version)."""


class StoreBusy(StoreError):
    """Another process holds the database lock."""


class StoreMissing(StoreError):
    """There is no database yet."""


class StoreOutdated(StoreError):
    """The database has migrations to apply, and this process could not apply them."""
