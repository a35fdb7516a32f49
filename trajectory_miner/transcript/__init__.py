"""Claude Code transcripts: the JSONL a session leaves, read into records.

- `parser`: the streaming, tolerant reader of transcript lines, resumable from a byte offset.
- `records`: what it reads into (turns, steps, events, API responses, session facts) and the
  parser state stored with each file's offset;
- `kinds`: the kinds of turns and events, shared with the trajectory model.

Nothing is imported here, so the hooks' ingester loads only what it uses.
"""

__all__: list[str] = []
