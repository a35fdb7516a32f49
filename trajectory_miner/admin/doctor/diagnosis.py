"""One run of every check on a data home, in the order `doctor` prints them."""

from __future__ import annotations

from datetime import UTC, datetime

from trajectory_miner.admin.doctor.activity import check_hook_errors, check_last_ingest, check_quarantine, check_spool
from trajectory_miner.admin.doctor.findings import Check, Diagnosis
from trajectory_miner.admin.doctor.home import check_config, check_disk, check_permissions
from trajectory_miner.admin.doctor.install import Interpreters, check_command, check_environment, check_plugin
from trajectory_miner.admin.doctor.store import (
    check_store,
)
from trajectory_miner.capture import quarantine
from trajectory_miner.paths import Paths


def diagnose(
    paths: Paths, interpreters: Interpreters, now: datetime | None = None, wait_seconds: float = 0.5
) -> Diagnosis:
    """Run every check on the data home in `paths`."""
    at = now or datetime.now(UTC)
    checks: list[Check] = []
    if not paths.home.exists():
        checks.append(
            Check(
                name="home",
                level="note",
                summary=f"no data home at {paths.home} yet: nothing has been captured",
                fix="the first hook or `trajectory-miner ingest` creates it",
            )
        )
    else:
        checks.append(check_permissions(paths.home, paths.database))
    store_check, facts = check_store(paths, wait_seconds)
    checks.append(store_check)
    checks.append(check_last_ingest(facts, at))
    checks.append(check_spool(paths, facts, at))
    checks.append(check_hook_errors(paths.hook_errors, at))
    checks.append(check_quarantine(quarantine.log_path(paths.database), at))
    checks.append(check_disk(paths.home))
    checks.append(check_config(paths.config_file))
    checks.append(check_environment(paths.home, interpreters))
    checks.append(check_command())
    checks.append(check_plugin(paths.projects.parent))
    return Diagnosis(home=str(paths.home), checked_at=at, checks=checks)
