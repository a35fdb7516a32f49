"""Health checks of a data home: what works, and one line of what to do for each thing that does not.

`diagnose` looks at the store (reachable, busy with the ingester, corrupt, schema behind or
ahead of this version), the spool backlog and its age, the last ingest, the hooks' error log,
disk use, the permissions of the data home and its files, and the Python environment the
hooks start the ingester with. It only reads: nothing it does changes the data home, and it
never waits long for a store another process holds.
"""

from __future__ import annotations

from trajectory_miner.admin.doctor.activity import check_quarantine
from trajectory_miner.admin.doctor.diagnosis import diagnose
from trajectory_miner.admin.doctor.findings import Check, Diagnosis, Level
from trajectory_miner.admin.doctor.home import check_permissions
from trajectory_miner.admin.doctor.install import Interpreters
from trajectory_miner.admin.doctor.store import OTHER_DUCKDB_ADVICE, ingester_running, written_by_another_duckdb

__all__ = [
    "OTHER_DUCKDB_ADVICE",
    "Check",
    "Diagnosis",
    "Interpreters",
    "Level",
    "check_permissions",
    "check_quarantine",
    "diagnose",
    "ingester_running",
    "written_by_another_duckdb",
]
