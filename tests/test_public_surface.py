"""Each package says what it offers in `__all__`, and offers nothing else by accident.

In the manner of httpx's exported-members test: every public name a package's `__init__`
holds is in its `__all__` (the tools it imports for its own use aside), every name in
`__all__` resolves, and the list is sorted.
"""

from __future__ import annotations

import importlib
import inspect
import re
from pathlib import Path

import pytest

PACKAGES = [
    "mcp_server",
    "trajectory_miner.analysis",
    "trajectory_miner.cli",
    "trajectory_miner.admin.doctor",
    "trajectory_miner.export",
    "trajectory_miner.feedback",
    "trajectory_miner.hints",
    "trajectory_miner.mining",
    "trajectory_miner.redaction",
    "trajectory_miner.report",
    "trajectory_miner.retrieval",
    "trajectory_miner.scoring",
    "trajectory_miner.skills",
    "trajectory_miner.store",
    "trajectory_miner.transcript",
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


def test_only_the_store_touches_its_connection() -> None:
    """DuckDB's connection is the store's own: everything else goes through `Store`'s methods."""
    root = Path(__file__).resolve().parents[1]
    reaching = re.compile(r"\._?con\b(?!\w)")
    found = [
        f"{path.relative_to(root)}:{number}"
        for folder in ("trajectory_miner", "mcp_server")
        for path in sorted((root / folder).rglob("*.py"))
        if "store" not in path.relative_to(root / folder).parts[:1]
        for number, line in enumerate(path.read_text().splitlines(), 1)
        if reaching.search(line)
    ]
    assert found == []
