"""The fix skills a pattern's questions name, looked up by family, are those a scan finds."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from trajectory_miner.mining.items import Skill
from trajectory_miner.mining.skills import by_family

NAMES = st.sampled_from(["a", "b", "sig:a", "seq:b", ""])


def plain(skills: list[Skill], cluster_key: str) -> list[Skill]:
    family = cluster_key.removeprefix("sig:")
    return [s for s in skills if s.cluster_key.startswith("fix:") and s.signatures[:1] == [family]]


@given(
    st.lists(st.tuples(st.sampled_from(["fix:", "flow:", ""]), st.lists(NAMES, max_size=3)), max_size=8),
    st.lists(st.sampled_from(["sig:a", "sig:b", "a", "seq:b", "sig:sig:a", "sig:"]), min_size=1, max_size=6),
)
def test_skills_by_family_are_the_ones_a_scan_finds(shapes: list[tuple[str, list[str]]], keys: list[str]) -> None:
    skills = [
        Skill(id=f"S-{n:03d}", cluster_key=f"{prefix}{n}", description="", trigger="", signatures=signatures)
        for n, (prefix, signatures) in enumerate(shapes)
    ]
    found = by_family(skills)
    for key in keys:
        assert found.get(key.removeprefix("sig:"), []) == plain(skills, key)
