"""The quarantine log: private, bounded, tolerant of damage, and read by `doctor`."""

from __future__ import annotations

import os
import stat
from datetime import UTC, datetime, timedelta
from pathlib import Path

from trajectory_miner.admin.doctor import check_quarantine
from trajectory_miner.capture import quarantine
from trajectory_miner.capture.quarantine import Quarantined


def _line(n: int, at: str = "") -> Quarantined:
    return Quarantined(file=f"/p/{n}.jsonl", offset=n * 10, reason="ValueError: bad", at=at or quarantine.now())


def test_records_are_kept_private_in_order_and_the_oldest_dropped_past_the_bound(tmp_path: Path) -> None:
    log = quarantine.log_path(tmp_path / "miner.duckdb")
    old_umask = os.umask(0)
    try:
        quarantine.record(log, [_line(n) for n in range(quarantine.MAX_RECORDS - 1)])
        quarantine.record(log, [_line(n) for n in range(quarantine.MAX_RECORDS - 1, quarantine.MAX_RECORDS + 4)])
    finally:
        os.umask(old_umask)
    found = quarantine.read(log)
    assert len(found) == quarantine.MAX_RECORDS
    assert [r.offset for r in found[:2]] == [40, 50] and found[-1] == _line(quarantine.MAX_RECORDS + 3, found[-1].at)
    assert stat.S_IMODE(log.stat().st_mode) == 0o600


def test_a_damaged_log_keeps_the_records_it_can_read(tmp_path: Path) -> None:
    log = tmp_path / quarantine.LOG_NAME
    quarantine.record(log, [_line(1)])
    with log.open("ab") as handle:
        handle.write(b'{"torn": \n[1, 2]\n{"file": "/p/x", "offset": 3, "reason": "r", "surprise": 1}\n')
    quarantine.record(log, [_line(2)])
    assert [r.offset for r in quarantine.read(log)] == [10, 20]


def test_only_files_quarantined_whole_are_held_with_their_last_size() -> None:
    records = [
        _line(1),
        Quarantined(file="/p/a.jsonl", offset=0, reason="r", whole_file=True, size=100),
        Quarantined(file="/p/a.jsonl", offset=0, reason="r", whole_file=True, size=250),
    ]
    assert quarantine.held_files(records) == {"/p/a.jsonl": 250}


def test_doctor_says_what_was_skipped_and_what_to_do_and_settles_to_a_note(tmp_path: Path) -> None:
    log = tmp_path / quarantine.LOG_NAME
    now = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
    assert check_quarantine(log, now).level == "ok"

    quarantine.record(log, [_line(7, at=(now - timedelta(hours=1)).isoformat())])
    fresh = check_quarantine(log, now)
    assert fresh.level == "problem"
    assert "1 transcript line(s) and 0 file(s)" in fresh.summary and "byte 70 of /p/7.jsonl" in fresh.summary
    assert str(log) in fresh.fix and "delete the log" in fresh.fix

    assert check_quarantine(log, now + timedelta(days=2)).level == "note"
