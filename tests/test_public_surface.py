"""Each package says what it offers in `__all__`, and offers nothing else by accident.

In the manner of httpx's exported-members test: every public name a package's `__init__`
holds is in its `__all__` (the tools it imports for its own use aside), every name in
`__all__` resolves, and the list is sorted.
"""

from __future__ import annotations

import importlib
import inspect

import pytest

PACKAGES = [
    "mcp_server",
    "trajectory_miner.analysis",
    "trajectory_miner.cli",
    "trajectory_miner.doctor",
    "trajectory_miner.export",
    "trajectory_miner.mining",
    "trajectory_miner.report",
    "trajectory_miner.retrieval",
    "trajectory_miner.scoring",
    "trajectory_miner.skills",
    "trajectory_miner.store",
]


def _offered(package: str, member: str, value: object) -> bool:
    """Whether `member` is the package's own: defined in it, or a constant; not a tool it imported."""
    if member.startswith("_") or member in {"annotations", "TYPE_CHECKING"} or inspect.ismodule(value):
        return False
    home = getattr(value, "__module__", None)
    return home is None or home == package or home.startswith(package + ".")


@pytest.mark.parametrize("name", PACKAGES)
def test_a_package_exports_exactly_its_public_names(name: str) -> None:
    package = importlib.import_module(name)
    exported = list(package.__all__)
    for member in exported:
        getattr(package, member)  # a name that does not resolve raises here
    held = {member for member, value in vars(package).items() if _offered(name, member, value)}
    assert held <= set(exported), f"public in {name} but not in __all__: {sorted(held - set(exported))}"
    assert exported == sorted(set(exported), key=lambda m: (not m.isupper(), not m[:1].isupper(), m))
