"""Feedback: a user's own verdicts on sessions and mined items, from the CLI and from MCP.

- `verdicts`: recording a verdict (good or bad; helpful and harmful are read as those) and
  reading the latest one, the most trusted source of a session's outcome.

Nothing is imported here.
"""

__all__: list[str] = []
