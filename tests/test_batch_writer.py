from pathlib import Path

from trajectory_miner.batch_writer import BatchWriter, FileRow
from trajectory_miner.store import open_store
from trajectory_miner.transcript import ParsedBatch, SessionFacts


def test_text_that_is_not_valid_unicode_is_stored_escaped_with_the_rest_of_its_batch(tmp_path: Path) -> None:
    batch = ParsedBatch()
    batch.sessions["s"] = SessionFacts(session_id="s", title="bad \udcff byte", project="p")
    batch.sessions["t"] = SessionFacts(session_id="t", title="fine", project="p")
    with open_store(tmp_path / "m.duckdb") as store:
        writer = BatchWriter(store)
        writer.add("/t/s.jsonl", FileRow(offset=10, size=10), batch, 10)
        writer.flush()
        rows = store.query("SELECT session_id, title FROM sessions ORDER BY session_id")
        offsets = store.query("SELECT path, offset_bytes FROM files")
    assert rows == [("s", "bad \\udcff byte"), ("t", "fine")]
    assert offsets == [("/t/s.jsonl", 10)]
