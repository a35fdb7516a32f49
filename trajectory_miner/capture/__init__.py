"""Capture: from the hooks' notes and the transcripts on disk to rows in the store.

A transcript line travels through these modules in this order:
- `spool`: the hooks' notes of session events, and how the ingester takes them over;
- `ingester`: the background loop that drains the spool, one process at a time, under the
  writer lock;
- `ingest`: reading each transcript from the byte offset where the last read stopped, parsing
  (see `trajectory_miner.transcript`) and redacting it, in worker processes for big loads;
- `forgotten`: the filter that keeps forgotten sessions from coming back;
- `batch_writer`: many files' records pooled into few transactions;
- `upkeep`: what follows new rows (scoring the sessions that changed, noting skill use);
- `catchup`: spool lines a busy ingester left, stored by the next command or MCP call;
- `quarantine`: lines and files that could not be read, recorded and passed over.

Nothing is imported here, so the hooks' ingester loads only what it uses.
"""

__all__: list[str] = []
