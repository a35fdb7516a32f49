"""The recorded handshake the launcher answers with is the server's own, current answer."""

from __future__ import annotations

import json

import pytest

from mcp_server.handshake import HANDSHAKE_FILE, record, render


@pytest.mark.slow
def test_the_recorded_handshake_is_what_the_server_answers_now() -> None:
    recorded = json.loads(HANDSHAKE_FILE.read_text(encoding="utf-8"))

    live = record()

    # When this fails, the tools changed: run `python -m mcp_server.handshake` and commit the file.
    assert recorded == live
    assert HANDSHAKE_FILE.read_text(encoding="utf-8") == render(live)
