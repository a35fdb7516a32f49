"""Headless Chromium for the report tests: load a page offline, dump its DOM or a screenshot.

Debian's `chromium` is what CI installs; the tests that need it skip when it is absent. As
root it must run without its sandbox. Every run gets a fresh profile folder and no network
features, so a page that tried to fetch anything would show it in its resource timings.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path

TIMEOUT_SECONDS = 60
FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--hide-scrollbars",
    "--mute-audio",
)


def find_chromium() -> str | None:
    """The path of a Chromium binary, or None."""
    for name in ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable"):
        found = shutil.which(name)
        if found:
            return found
    return None


def _run(binary: str, page: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    with tempfile.TemporaryDirectory(prefix="tm-chromium-") as profile:
        return subprocess.run(
            [binary, *FLAGS, f"--user-data-dir={profile}", *extra, page.resolve().as_uri()],
            capture_output=True,
            text=True,
            encoding="utf-8",
            errors="replace",
            timeout=TIMEOUT_SECONDS,
            check=False,
        )


def dump_dom(binary: str, page: Path, width: int = 1280, height: int = 2000) -> str:
    """The page's DOM after load, serialised as HTML."""
    done = _run(binary, page, f"--window-size={width},{height}", "--dump-dom")
    if done.returncode != 0 or "<html" not in done.stdout:
        raise RuntimeError(f"chromium failed ({done.returncode}): {done.stderr[-2000:]}")
    return done.stdout


def screenshot(binary: str, page: Path, out: Path, width: int = 1280, height: int = 4000) -> Path:
    """A PNG of the page's first `height` pixels at `width`."""
    done = _run(binary, page, f"--window-size={width},{height}", f"--screenshot={out.resolve()}")
    if done.returncode != 0 or not out.exists():
        raise RuntimeError(f"chromium failed ({done.returncode}): {done.stderr[-2000:]}")
    return out
