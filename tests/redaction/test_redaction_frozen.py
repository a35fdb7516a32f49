"""Redaction gives the answers it gave when they were frozen in `fixtures/redaction_frozen.json`,
on every string of the shared corpus of real transcripts and on secret-laden texts made here.

Each transcript line is redacted whole (every string and key of its JSON), and so are the head
and the tail of each long string, since the parser redacts texts cut to a limit. What is frozen
is one digest of the outputs a file; a file whose bytes have changed since is not compared. Real
transcripts hold few secrets, so texts pieced together from a fixed seed out of the literals the
rules look for, secrets, lookalikes, line breaks and placeholders are frozen too.
When a change to redaction is meant to change its answers, write the file again with
`python tests/test_redaction_frozen.py` and say why in the change.
"""

from __future__ import annotations

import base64
import hashlib
import json
import random
import string
import sys
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

import pytest

from trajectory_miner.redaction.redactor import Redactor

CORPUS = Path(__file__).resolve().parents[2] / ".." / "shared" / "corpus"
FROZEN = Path(__file__).resolve().parents[1] / "fixtures" / "redaction_frozen.json"
_HEAD, _TAIL = 2000, 1000


def _strings(value: object) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _strings(key)
            yield from _strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)


def _outputs(data: bytes, redact: Callable[[str], str]) -> Iterator[str]:
    for line in data.decode("utf-8", errors="replace").splitlines():
        try:
            texts = list(_strings(json.loads(line)))
        except json.JSONDecodeError:
            texts = [line]
        for text in texts:
            yield redact(text)
            if len(text) > _HEAD:
                yield redact(text[:_HEAD])
                yield redact(text[-_TAIL:])


def _digest(parts: Iterable[str | bytes]) -> str:
    h = hashlib.sha256()
    for part in parts:
        h.update(part if isinstance(part, bytes) else part.encode("utf-8", errors="surrogatepass"))
        h.update(b"\0")
    return h.hexdigest()[:24]


def corpus_digests(redact: Callable[[str], str]) -> dict[str, dict[str, str]]:
    """For each transcript of the corpus, by its path there: a digest of its bytes and one of
    its redacted strings."""
    digests: dict[str, dict[str, str]] = {}
    for path in sorted(CORPUS.rglob("*.jsonl")):
        data = path.read_bytes()
        digests[path.relative_to(CORPUS).as_posix()] = {
            "input": _digest([data]),
            "output": _digest(_outputs(data, redact)),
        }
    return digests


# The literals the rules and the keyed values look for, as they stood when the answers were frozen.
_LITERALS = (  # noqa: SIM905
    ":// <private> ABIA AC ACCA AGPA AIDA AIPA AIza AKIA ANPA ANVA AROA ASIA Bearer GOCSPX- SK auth"
    " authorization buildah cred dapi default docker doo_v1_ dop_v1_ dor_v1_ eyJ gho_ ghp_ ghr_ ghs_ ghu_"
    " github_pat_ glpat- hf_ hooks.slack.com/services/ key key- machine mariadb mysql nerdctl npm_ oras pass"
    " podman priv pypi-AgE rk_live_ rk_test_ secret secret_access_key secretaccesskey shpat_ shpca_ shppa_"
    " shpss_ sk- sk-ant- sk_live_ sk_test_ skopeo sshpass token xoxa- xoxb- xoxo- xoxp- xoxr- xoxs-"
).split()
_PIECES = (
    "\n",
    "\\n",
    "\r\n",
    "\\r\\n",
    " ",
    "=",
    ": ",
    '"',
    "'",
    "/",
    "@",
    "-",
    "_",
    ".",
    "\t",
    "PRIVATE KEY",
    "helm registry",
    "[REDACTED:env_secret]",
    "[PRIVATE]",
    "</private>",
    "\u212a",
    "\u0130",
    "\u00df",
    "Authorization: ",
    "password=",
    "DB_PASSWORD=",
    "machine api.example.com login dev password ",
    "mysql -p",
    "docker login -p ",
    "-----BEGIN RSA PRIVATE KEY-----\n",
    "\n-----END RSA PRIVATE KEY-----",
    ".eyJ",
    "postgres://app:",
    "whiskey",
    "sacred",
    "skey",
    "def f(token: str) -> None:\n",
    "ACME-123456 ",
    "the ",
    "value ",
)
_TOKEN_CHARS = string.ascii_letters + string.digits + "+/_-"


def _piece(rng: random.Random) -> str:
    roll = rng.random()
    if roll < 0.3:
        literal = rng.choice(_LITERALS)
        return literal.upper() if roll < 0.05 else literal
    if roll < 0.5:
        return rng.choice(_PIECES)
    if roll < 0.8:
        return "".join(rng.choices(_TOKEN_CHARS, k=rng.randint(1, 60)))
    if roll < 0.9:
        return "".join(rng.choices("0123456789abcdef", k=rng.choice((8, 32, 40, 64))))
    if roll < 0.985:
        line = f"{rng.choice(('db_password', 'token', 'note'))}={rng.randint(0, 10**9)}x{rng.choice(_LITERALS)}\n"
        return base64.b64encode(line.encode()).decode("ascii")
    # Long runs, some of many kilobytes.
    alphabet = rng.choice((string.ascii_letters + string.digits + "+/", string.ascii_lowercase + string.digits))
    return "".join(rng.choices(alphabet, k=rng.randint(16, 5000)))


def made_texts(count: int = 1500, seed: int = 19) -> list[str]:
    """Texts of up to 25 pieces each, the same for the same seed."""
    rng = random.Random(seed)
    return ["".join(_piece(rng) for _ in range(rng.randint(1, 25))) for _ in range(count)]


def made_digests(make: Callable[[list[str]], Callable[[str], str]]) -> dict[str, str]:
    """Digests of the made texts' redactions, alone and with two user patterns; `make` builds
    a redactor from user patterns."""
    texts = made_texts()
    builtin, custom = make([]), make([r"ACME-\d{6}", r"internal\.acme\.example"])
    return {"builtin": _digest([builtin(t) for t in texts]), "custom": _digest([custom(t) for t in texts])}


def frozen_answers(make: Callable[[list[str]], Callable[[str], str]]) -> dict[str, object]:
    """What the fixture holds, from the redactors `make` builds."""
    answers: dict[str, object] = {"made texts": made_digests(make)}
    if CORPUS.is_dir():
        answers["transcripts"] = corpus_digests(make([]))
    return answers


def _frozen() -> dict[str, Any]:
    answers: dict[str, Any] = json.loads(FROZEN.read_text(encoding="utf-8"))
    return answers


def test_redaction_answers_as_frozen_on_made_texts() -> None:
    assert made_digests(Redactor) == _frozen()["made texts"]


def test_redaction_answers_as_frozen_on_every_real_transcript() -> None:
    if not CORPUS.is_dir():
        pytest.skip("the shared corpus is not beside the repository")
    frozen: dict[str, dict[str, str]] = _frozen()["transcripts"]
    now = corpus_digests(Redactor())
    same_input = [name for name, d in now.items() if frozen.get(name, {}).get("input") == d["input"]]
    assert len(same_input) >= len(frozen) // 2, "the corpus has changed: freeze the answers again"
    changed = [name for name in same_input if now[name]["output"] != frozen[name]["output"]]
    assert changed == []


if __name__ == "__main__":
    FROZEN.write_text(json.dumps(frozen_answers(Redactor), indent=1, sort_keys=True) + "\n", encoding="utf-8")
    sys.exit(0)
