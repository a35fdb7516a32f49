"""The store's notes: what is set reads back, a second set replaces the first, an unset key is None."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from trajectory_miner.store import open_store
from trajectory_miner.store.state import set_state, state_value

keys = st.text("abc:_", min_size=1, max_size=6)
values = st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=30)


@settings(max_examples=40, deadline=None)
@given(writes=st.lists(st.tuples(keys, values), max_size=8), probe=keys)
def test_each_key_reads_back_its_last_value(
    tmp_path_factory: pytest.TempPathFactory, writes: list[tuple[str, str]], probe: str
) -> None:
    path = tmp_path_factory.mktemp("state") / "miner.duckdb"
    with open_store(path) as store:
        for key, value in writes:
            set_state(store, key, value)
        latest = dict(writes)
        for key, value in latest.items():
            assert state_value(store, key) == value
        assert state_value(store, probe) == latest.get(probe)
    with open_store(path, read_only=True) as store:
        assert {key: state_value(store, key) for key in latest} == latest
