"""Quality and speed of `find_replay_for_stuck_step`, beside a plain BM25 baseline.

Writes stores of generated sessions straight into the steps table: 24 error families, each with
sessions that got past it with a known fix, sessions that stayed stuck (more attempts, so more
matching text), sessions that only talk about it, and background work with incidental errors.
Then asks, for fresh occurrences of every family, what got past it, and prints:

- hit@1 and hit@3 of the known fix, for retrieval and for a baseline that ranks single steps by
  BM25 over their text (summary, thought, result) and answers with each hit's next five steps;
- abstention: the share of questions about failures the store never saw (a Rust borrow error,
  a Docker daemon that is not running, a CORS error: `UNSEEN`, left out of the store) that get
  no hit, from `find_replay_for_stuck_step` and from `search_sessions` on their description,
  beside the share of the known families' questions that wrongly get none, with their error
  text and with only their description (in other words than the error's, the hardest case);
- p50/p95 of a question in process, and through a stdio MCP server, with the server's peak RSS,
  at each store size.

With `--corpus N`, it also builds (or reuses) a store from `corpus_gen.py` transcripts, ingested
and scored as `bench/mine.py` does, asks questions made of its own failing steps, and prints
the first answer after the server is spawned (spawn, handshake, index, answer) and the stdio
p50/p95: once with no kept retrieval documents (the index is worked out from the steps), once
after `mine` kept them, and once with the index `mine` saves beside the store (`saved`).

    python bench/retrieval.py [--sizes 1000 10000] [--queries 5] [--calls 200] [--seed 1] [--work DIR]
        [--corpus N]

Targets: hit@3 >= 0.9 and at least 0.15 above the baseline; abstention 1.0 on the unseen
failures and no known family unanswered; at 10,000 sessions p95 < 25 ms in process and
< 100 ms through stdio; server peak RSS < 150 MB. On the corpus-built store at 10,000 sessions:
first answer after spawn < 1 s and stdio p95 < 50 ms.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import sys
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import anyio  # noqa: E402
from mcp import Client  # noqa: E402
from mcp.client.stdio import StdioServerParameters  # noqa: E402

from trajectory_miner.analysis.signatures import error_signature  # noqa: E402
from trajectory_miner.retrieval import MemoryIndex, StuckQuery, find_replays, kept, search_sessions  # noqa: E402
from trajectory_miner.retrieval.bm25 import BM25  # noqa: E402
from trajectory_miner.retrieval.saved import current_index, saved_path  # noqa: E402
from trajectory_miner.retrieval.text import tokens  # noqa: E402
from trajectory_miner.store import open_store  # noqa: E402

# (key, failing command, error output, known fix, marker of the fix, dead ends, how a user says it)
# One error family a line: key ¦ failing command ¦ error output ¦ known fix ¦ marker of the fix
# ¦ dead ends (;; between them) ¦ how a user says it. {w} {v} {n} vary per occurrence.
_FAMILY_TABLE = r"""
py-module ¦ python scripts/{w}.py ¦ Traceback (most recent call last):\nModuleNotFoundError: No module named '{v}' ¦ python -m scripts.{w} ¦ python -m scripts. ¦ pip install {v} ;; cd scripts && python {w}.py ¦ the script cannot import the {v} package
port ¦ npm start ¦ Error: listen EADDRINUSE: address already in use :::{n} ¦ lsof -ti:{n} | xargs kill ¦ xargs kill ¦ npm run dev ;; npm start -- --port {n} ¦ the dev server will not start, port {n} busy
npm-script ¦ npm run {w} ¦ npm ERR! Missing script: "{w}" ¦ npx {v} {w} ¦ npx  ¦ npm install ;; npm run {w}:all ¦ npm says the {w} script is missing
git-push ¦ git push origin main ¦  ! [rejected] main -> main (fetch first)\nerror: failed to push some refs ¦ git pull --rebase origin main ¦ pull --rebase ¦ git push ;; git status ¦ my push to main is rejected
perm ¦ ./{w}.sh ¦ bash: ./{w}.sh: Permission denied ¦ chmod +x {w}.sh ¦ chmod +x ¦ sh {w}.sh --help ;; ls -l ¦ running the {w} shell script is denied
cmd-missing ¦ {v} --version ¦ bash: {v}: command not found ¦ uv tool install {v} ¦ uv tool install ¦ which {v} ;; echo $PATH ¦ the {v} tool is not installed
fixture ¦ python -m pytest tests/test_{w}.py ¦ E       fixture '{v}' not found ¦ pip install pytest-{v} ¦ pip install pytest- ¦ python -m pytest -x ;; python -m pytest --fixtures ¦ pytest cannot find the {v} fixture
ts-types ¦ npx tsc --noEmit ¦ src/{w}.ts(12,5): error TS7016: Could not find a declaration file for module '{v}'. ¦ npm install --save-dev @types/{v} ¦ @types/ ¦ npx tsc ;; npm install {v} ¦ typescript wants types for {v}
node-engine ¦ yarn install ¦ error {v}@2.{n}.0: The engine "node" is incompatible with this module. ¦ nvm use 20 ¦ nvm use ¦ yarn install --force ;; rm -rf node_modules ¦ yarn refuses my node version
pip-managed ¦ pip install {v} ¦ error: externally-managed-environment ¦ python -m venv .venv && .venv/bin/pip install {v} ¦ python -m venv .venv ¦ pip install --user {v} ;; pip3 install {v} ¦ pip will not install {v} into the system python
go-sum ¦ go build ./... ¦ missing go.sum entry for module providing package example.com/{v} ¦ go mod tidy ¦ go mod tidy ¦ go get example.com/{v} ;; go build ¦ go build complains about go.sum
eslint-esm ¦ npx eslint src ¦ Parsing error: 'import' and 'export' may appear only with 'sourceType: module' ¦ echo '{{"parserOptions": {{"sourceType": "module"}}}}' > .eslintrc.json ¦ sourceType ¦ npx eslint --fix src ;; npm run lint ¦ eslint fails to parse import statements
alembic ¦ alembic upgrade head ¦ FAILED: Multiple head revisions are present for given argument 'head' ¦ alembic merge heads -m merge ¦ alembic merge heads ¦ alembic history ;; alembic upgrade heads ¦ the migration upgrade sees several heads
psql ¦ psql -d {w} ¦ psql: error: connection to server on socket "/var/run/postgresql/.s.PGSQL.5432" failed: No such file or directory ¦ pg_ctlcluster 16 main start ¦ pg_ctlcluster ¦ psql -h localhost -d {w} ;; createdb {w} ¦ psql cannot connect to the local database
jest-esm ¦ npx jest ¦ SyntaxError: Cannot use import statement outside a module ¦ NODE_OPTIONS=--experimental-vm-modules npx jest ¦ experimental-vm-modules ¦ npx jest --clearCache ;; npm test ¦ jest chokes on import statements
yaml ¦ python deploy.py ¦ yaml.scanner.ScannerError: mapping values are not allowed here ¦ python -c 'import yaml,sys; yaml.safe_load(open("{w}.yaml"))' && sed -i 's/\t/  /g' {w}.yaml ¦ sed -i 's/\t/ ¦ python deploy.py --dry-run ;; cat {w}.yaml ¦ the deploy config yaml does not load
ssl ¦ pip install {v} ¦ SSL: CERTIFICATE_VERIFY_FAILED certificate verify failed: unable to get local issuer ¦ export SSL_CERT_FILE="$(python -m certifi)" ¦ python -m certifi ¦ pip install --upgrade pip ;; curl https://pypi.org ¦ pip fails on certificates behind the proxy
disk ¦ docker build . ¦ write /var/lib/docker/tmp/{v}: no space left on device ¦ docker system prune -af ¦ docker system prune ¦ df -h ;; docker build --no-cache . ¦ docker build runs out of disk
kube ¦ kubectl get pods ¦ error: context "{w}-staging" does not exist ¦ kubectl config use-context {w}-prod ¦ config use-context ¦ kubectl config get-contexts ;; kubectl get ns ¦ kubectl talks to a context that is gone
make ¦ make build ¦ Makefile:{n}: *** missing separator.  Stop. ¦ sed -i 's/^    /\t/' Makefile ¦ Makefile ¦ make -n build ;; make clean ¦ make stops with a separator error
tf-lock ¦ terraform apply ¦ Error: Error acquiring the state lock\nLock Info:\n  ID: {v} ¦ terraform force-unlock -force {v} ¦ force-unlock ¦ terraform plan ;; terraform init ¦ terraform cannot take the state lock
mypy-stubs ¦ mypy src ¦ src/{w}.py:3: error: Library stubs not installed for "{v}" ¦ pip install types-{v} ¦ pip install types- ¦ mypy --ignore-missing-imports src ;; mypy src/{w}.py ¦ mypy wants stubs for {v}
cargo-lock ¦ cargo build ¦ error: failed to select a version for the requirement `{v} = "^1.{n}"` ¦ cargo update -p {v} ¦ cargo update -p ¦ cargo clean ;; cargo build --offline ¦ cargo cannot pick a version of {v}
"""  # noqa: E501 - one family a line reads better than wrapped
FAMILIES: tuple[tuple[str, str, str, str, str, tuple[str, ...], str], ...] = tuple(
    (key, fail, error.replace("\\n", "\n"), fix, marker, tuple(dead.split(" ;; ")), said)
    for key, fail, error, fix, marker, dead, said in (line.split(" ¦ ") for line in _FAMILY_TABLE.strip().splitlines())
)
# Failures no generated session meets (same columns): asked to see that retrieval abstains.
_UNSEEN_TABLE = r"""
rust-borrow ¦ cargo build ¦ error[E0502]: cannot borrow `{w}` as mutable because it is also borrowed as immutable\n  --> src/{w}.rs:{n}:5 ¦ - ¦ - ¦ - ¦ the borrow checker rejects my {w} loop
docker ¦ docker compose up ¦ Cannot connect to the Docker daemon at unix:///var/run/docker.sock. Is the docker daemon running? ¦ - ¦ - ¦ - ¦ docker compose cannot reach the daemon
cors ¦ npm run dev ¦ Access to fetch at 'http://localhost:{n}/api/{w}' from origin 'http://localhost:3000' has been blocked by CORS policy: No 'Access-Control-Allow-Origin' header is present on the requested resource. ¦ - ¦ - ¦ - ¦ the browser blocks the {w} API call
"""  # noqa: E501
UNSEEN: tuple[tuple[str, str, str, str, str, tuple[str, ...], str], ...] = tuple(
    (key, fail, error.replace("\\n", "\n"), fix, marker, tuple(dead.split(" ;; ")), said)
    for key, fail, error, fix, marker, dead, said in (line.split(" ¦ ") for line in _UNSEEN_TABLE.strip().splitlines())
)
WORDS = ("report", "export", "billing", "sync", "ledger", "invoice", "search", "worker", "profile", "tenant")
PACKAGES = ("helpers", "common", "requests", "lodash", "yaml", "attrs", "serde", "chalk", "boto", "pytz")
FILLER = (
    ("Read", "src/{w}/service.py", "def {w}_total(items):\n    return sum(i.amount for i in items)"),
    ("Grep", "def {w} in src", "src/{w}/service.py:12:def {w}_total"),
    ("Edit", "src/{w}/service.py", "The file src/{w}/service.py has been updated successfully."),
    ("Bash", "python -m pytest -q tests/test_{w}.py", "12 passed in 0.4s"),
    ("Bash", "git diff --stat", " src/{w}/service.py | 4 ++--"),
)


class Gen:
    """Rows for the sessions, turns and steps tables."""

    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)
        self.sessions: list[tuple[Any, ...]] = []
        self.turns: list[tuple[Any, ...]] = []
        self.steps: list[tuple[Any, ...]] = []
        self.clock = datetime(2026, 6, 1)

    def fill(self, template: str) -> str:
        return template.format(w=self.rng.choice(WORDS), v=self.rng.choice(PACKAGES), n=self.rng.randint(3000, 9000))

    def session(self, prompt: str, calls: list[tuple[str, str, str, bool, str]]) -> str:
        sid = f"{self.rng.getrandbits(64):016x}-{len(self.sessions):06d}"
        self.clock += timedelta(minutes=self.rng.randint(5, 90))
        project = f"/work/{self.rng.choice(WORDS)}-app"
        self.sessions.append(
            (sid, project, project, "", None, None, False, "", self.clock, self.clock, "2.1", "main", self.clock)
        )
        self.turns.append((sid, f"{sid}-t", 1, "prompt", prompt, None, self.clock, self.clock, False, "Done."))
        for index, (tool, summary, result, failed, thought) in enumerate(calls):
            text = f"Exit code 1\n{result}" if failed and tool == "Bash" else result
            signature = error_signature(tool, text) if failed else None
            self.steps.append(
                (
                    sid,
                    f"{sid}-{index}",
                    index,
                    1,
                    tool,
                    "{}",
                    summary,
                    thought,
                    self.clock,
                    self.clock,
                    True,
                    text,
                    len(text),
                    failed,
                    signature,
                    1 if failed else 0,
                    100,
                    [],
                    None,
                    None,
                    None,
                )
            )
        return sid

    def filler(self, n: int) -> list[tuple[str, str, str, bool, str]]:
        return [(tool, self.fill(s), self.fill(r), False, "") for tool, s, r in self.rng.choices(FILLER, k=n)]

    def episode(self, family: tuple[Any, ...], fixed: bool, tries: int) -> list[tuple[str, str, str, bool, str]]:
        _, fail, error, fix, _, dead_ends, _ = family
        values = {"w": self.rng.choice(WORDS), "v": self.rng.choice(PACKAGES), "n": self.rng.randint(3000, 9000)}
        calls = [("Bash", fail.format(**values), error.format(**values), True, "")]
        for attempt in range(tries):
            calls.append(
                (
                    "Bash",
                    dead_ends[attempt % len(dead_ends)].format(**values),
                    error.format(**values),
                    True,
                    "Maybe this helps.",
                )
            )
            calls.append(("Bash", fail.format(**values), error.format(**values), True, ""))
        if fixed:
            calls.append(("Bash", fix.format(**values), "", False, "That is the usual cause; fixing it directly."))
            calls.append(("Bash", fail.format(**values), "ok", False, ""))
        return calls


def generate(database: Path, n_sessions: int, seed: int) -> None:
    """Write a store of `n_sessions` sessions (planted families first, then background work)."""
    gen = Gen(seed)
    for family in FAMILIES:
        for _ in range(4):
            gen.session(
                f"please {family[6]}",
                [*gen.filler(4), *gen.episode(family, True, gen.rng.randint(0, 1)), *gen.filler(3)],
            )
        for _ in range(4):
            gen.session(f"help: {family[6]}", [*gen.filler(2), *gen.episode(family, False, gen.rng.randint(2, 4))])
        for _ in range(2):
            mention = ("Read", "docs/TROUBLESHOOTING.md", gen.fill(f"If {family[6]}: {family[2]}"), False, "")
            gen.session(f"document {family[6]}", [*gen.filler(3), mention, *gen.filler(2)])
    while len(gen.sessions) < n_sessions:
        calls = gen.filler(gen.rng.randint(10, 30))
        for _ in range(gen.rng.choice((0, 0, 1, 2))):
            family = gen.rng.choice(FAMILIES)
            at = gen.rng.randrange(len(calls) + 1)
            calls[at:at] = gen.episode(family, gen.rng.random() < 0.5, gen.rng.randint(0, 2))[:-1]
        gen.session(gen.fill("work on the {w} module"), calls)
    with open_store(database) as store:
        for table, rows in (("sessions", gen.sessions), ("turns", gen.turns), ("steps", gen.steps)):
            width = len(rows[0])
            for start in range(0, len(rows), 50_000):
                chunk = rows[start : start + 50_000]
                columns = [[row[i] for row in chunk] for i in range(width)]
                holes = ", ".join(f"unnest(${i + 1})" for i in range(width))
                store.execute(f"INSERT INTO {table} SELECT {holes}", columns)


def queries(
    n_per_family: int, seed: int, families: tuple[tuple[Any, ...], ...] = FAMILIES
) -> list[tuple[StuckQuery, str]]:
    """Fresh occurrences of every family, each with the marker of its known fix."""
    rng = random.Random(seed + 1)
    out: list[tuple[StuckQuery, str]] = []
    for _key, fail, error, _fix, marker, _dead, said in families:
        for _ in range(n_per_family):
            values = {"w": rng.choice(WORDS), "v": rng.choice(PACKAGES), "n": rng.randint(3000, 9000)}
            out.append(
                (
                    StuckQuery(
                        description=said.format(**values),
                        error_text="Exit code 1\n" + error.format(**values),
                        recent_commands=[fail.format(**values)],
                    ),
                    marker,
                )
            )
    return out


class Baseline:
    """BM25 over single steps' text; a hit's answer is that step and the four after it."""

    def __init__(self, database: Path) -> None:
        self.bm25 = BM25()
        self.rows: list[tuple[str, int, str]] = []
        with open_store(database, read_only=True) as store:
            for sid, index, tool, summary, thought, result in store.query(
                "SELECT session_id, step_index, tool_name, summary, thought, left(result_text, 600) FROM steps "
                "ORDER BY session_id, step_index"
            ):
                self.bm25.add(tokens(f"{summary}\n{thought}\n{result}"))
                self.rows.append((sid, index, f"{tool}: {summary}"))
        self.position = {(sid, index): n for n, (sid, index, _) in enumerate(self.rows)}

    def answers(self, query: StuckQuery, k: int) -> list[list[str]]:
        text = "\n".join([query.description, query.error_text or "", *query.recent_commands])
        found = []
        for doc, _ in self.bm25.top(tokens(text), k):
            sid = self.rows[doc][0]
            window = [line for s, _, line in self.rows[doc : doc + 5] if s == sid]
            found.append(window)
        return found


def hit_rates(answers: list[list[list[str]]], markers: list[str]) -> tuple[float, float]:
    def hit(found: list[list[str]], marker: str, k: int) -> bool:
        return any(marker in line for lines in found[:k] for line in lines)

    n = len(markers)
    return (
        sum(hit(a, m, 1) for a, m in zip(answers, markers, strict=True)) / n,
        sum(hit(a, m, 3) for a, m in zip(answers, markers, strict=True)) / n,
    )


def percentiles(samples: list[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    return statistics.median(ordered), ordered[min(len(ordered) - 1, int(0.95 * len(ordered)))]


def in_process(database: Path, asked: list[tuple[StuckQuery, str]], calls: int) -> dict[str, Any]:
    started = time.perf_counter()
    with open_store(database, read_only=True) as store:
        index = MemoryIndex.build(store)
    build = time.perf_counter() - started
    answers = [[hit.worked_next for hit in find_replays(index, query).hits] for query, _ in asked]
    hit1, hit3 = hit_rates(answers, [marker for _, marker in asked])
    unanswered = sum(not found for found in answers) / len(answers)
    described = [[hit.worked_next for hit in find_replays(index, StuckQuery(q.description)).hits] for q, _ in asked]
    said1, said3 = hit_rates(described, [marker for _, marker in asked])
    said_unanswered = sum(not found for found in described) / len(described)
    unseen = queries(max(1, len(asked) // len(FAMILIES)), 7, UNSEEN)
    replay_abstained = sum(not find_replays(index, q).hits for q, _ in unseen) / len(unseen)
    search_abstained = sum(
        not search_sessions(index, q.description, None, None, 10, 1500).sessions for q, _ in unseen
    ) / len(unseen)
    samples = []
    for n in range(calls):
        query = asked[n % len(asked)][0]
        t = time.perf_counter()
        if n % 4 == 3:
            search_sessions(index, query.description, None, None, 10, 1500)
        else:
            find_replays(index, query)
        samples.append((time.perf_counter() - t) * 1000)
    p50, p95 = percentiles(samples)
    return {
        "build_s": round(build, 2),
        "hit@1": hit1,
        "hit@3": hit3,
        "known_unanswered": round(unanswered, 3),
        "described_hit@1": said1,
        "described_hit@3": said3,
        "described_unanswered": round(said_unanswered, 3),
        "unseen_questions": len(unseen),
        "abstained_replay": round(replay_abstained, 3),
        "abstained_search": round(search_abstained, 3),
        "p50_ms": round(p50, 2),
        "p95_ms": round(p95, 2),
        "episodes": len(index.items),
    }


def through_stdio(home: Path, asked: list[tuple[StuckQuery, str]], calls: int) -> dict[str, Any]:
    pid_file = home / "server.pid"
    script = f'echo $$ > "{pid_file}"; exec "{sys.executable}" -m mcp_server'

    async def run() -> dict[str, Any]:
        parameters = StdioServerParameters(
            command="sh",
            args=["-c", script],
            env={"TRAJECTORY_MINER_HOME": str(home), "PATH": os.environ.get("PATH", "")},
        )
        async with Client(parameters, read_timeout_seconds=300) as client:
            t = time.perf_counter()
            await client.call_tool("search_sessions", {"query": "warm up"})
            first = time.perf_counter() - t
            samples = []
            for n in range(calls):
                query = asked[n % len(asked)][0]
                arguments = {
                    "stuck_description": query.description,
                    "error_text": query.error_text,
                    "recent_commands": list(query.recent_commands),
                }
                t = time.perf_counter()
                result = await client.call_tool("find_replay_for_stuck_step", arguments)
                samples.append((time.perf_counter() - t) * 1000)
                assert not result.is_error, result.content
            status = Path(f"/proc/{pid_file.read_text().strip()}/status").read_text(encoding="utf-8")
            peak = next(int(line.split()[1]) for line in status.splitlines() if line.startswith("VmHWM"))
        p50, p95 = percentiles(samples)
        return {
            "first_call_s": round(first, 2),
            "p50_ms": round(p50, 2),
            "p95_ms": round(p95, 2),
            "server_peak_rss_mb": round(peak / 1024, 1),
        }

    return anyio.run(run)


def _arguments(query: StuckQuery) -> dict[str, Any]:
    return {
        "stuck_description": query.description,
        "error_text": query.error_text,
        "recent_commands": list(query.recent_commands),
    }


def corpus_questions(database: Path, n: int, seed: int) -> list[StuckQuery]:
    """Questions made of the store's own failing commands: their command and error output."""
    with open_store(database, read_only=True) as store:
        rows = store.query(
            "SELECT summary, right(result_text, 600) FROM steps WHERE is_error AND tool_name = 'Bash' "
            "ORDER BY hash(session_id || step_index::VARCHAR || ?) LIMIT ?",
            [str(seed), n],
        )
    return [
        StuckQuery(description=command[:200], error_text=error, recent_commands=[command]) for command, error in rows
    ]


def cold_stdio(home: Path, questions: list[StuckQuery], calls: int) -> dict[str, Any]:
    """Seconds from spawning the server to its first answer, then stdio p50/p95."""

    async def run() -> dict[str, Any]:
        # A PYTHONPATH given to the bench reaches the server: to time another checkout's server.
        passed = {k: os.environ[k] for k in ("PATH", "PYTHONPATH") if k in os.environ}
        parameters = StdioServerParameters(
            command=sys.executable, args=["-m", "mcp_server"], env={"TRAJECTORY_MINER_HOME": str(home), **passed}
        )
        spawned = time.perf_counter()
        async with Client(parameters, read_timeout_seconds=300) as client:
            ready = time.perf_counter() - spawned
            await client.call_tool("find_replay_for_stuck_step", _arguments(questions[0]))
            first = time.perf_counter() - spawned
            samples = []
            for n in range(calls):
                t = time.perf_counter()
                result = await client.call_tool("find_replay_for_stuck_step", _arguments(questions[n % len(questions)]))
                samples.append((time.perf_counter() - t) * 1000)
                assert not result.is_error, result.content
        p50, p95 = percentiles(samples)
        return {"handshake_s": round(ready, 2), "first_answer_s": round(first, 2), "p50_ms": p50, "p95_ms": p95}

    return anyio.run(run)


def corpus_bench(size: int, work: Path, calls: int, seed: int) -> dict[str, Any]:
    """Cold first answer and stdio p95 on a corpus-built store, without and with kept documents."""
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from mine import prepare

    home = work / f"corpus-n{size}"
    database = prepare(home, size, seed)
    questions = corpus_questions(database, 50, seed)
    figures: dict[str, Any] = {"sessions": size, "questions": len(questions)}
    with open_store(database, read_only=True) as store:
        figures["stored_sessions"] = store.scalar("SELECT count(*) FROM sessions")
    with open_store(database) as store:
        store.execute("DELETE FROM retrieval_docs")
    saved_path(database).unlink(missing_ok=True)
    figures["worked_out"] = cold_stdio(home, questions, calls)
    with open_store(database) as store:
        t = time.perf_counter()
        kept.refresh(store)
        figures["keep_s"] = round(time.perf_counter() - t, 2)
    saved_path(database).unlink(missing_ok=True)
    figures["kept"] = cold_stdio(home, questions, calls)
    with open_store(database) as store:  # as `mine` leaves it: the index saved beside the store
        current_index(store)
    figures["saved"] = cold_stdio(home, questions, calls)
    return figures


def print_corpus(figures: dict[str, Any]) -> None:
    for label in ("worked_out", "kept", "saved"):
        f = figures[label]
        print(
            f"corpus {figures['sessions']} ({figures['stored_sessions']} stored sessions), {label:>10}: "
            f"handshake {f['handshake_s']} s, first answer after spawn {f['first_answer_s']} s, "
            f"stdio p50 {f['p50_ms']:.1f} ms p95 {f['p95_ms']:.1f} ms",
            flush=True,
        )
    print(f"  keeping the documents of every session took {figures['keep_s']} s (once, at the first `mine`)")


def bench(size: int, work: Path, n_queries: int, calls: int, seed: int) -> dict[str, Any]:
    # A store kept from a run before the generated families changed would answer other questions.
    home = work / f"n{size}-f{len(FAMILIES)}"
    home.mkdir(parents=True, exist_ok=True)
    database = home / "miner.duckdb"
    if not database.exists():
        t = time.perf_counter()
        generate(database, size, seed)
        print(f"  generated {size} sessions in {time.perf_counter() - t:.1f} s", file=sys.stderr)
    with open_store(database):  # a store kept from an earlier run may need the newer migrations
        pass
    (home / "config.toml").write_text("live_hints = false\n", encoding="utf-8")
    asked = queries(n_queries, seed)
    baseline = Baseline(database)
    base1, base3 = hit_rates([baseline.answers(q, 3) for q, _ in asked], [m for _, m in asked])
    figures = {
        "sessions": size,
        "queries": len(asked),
        "in_process": in_process(database, asked, calls),
        "baseline_bm25": {"hit@1": base1, "hit@3": base3},
        "stdio": through_stdio(home, asked, calls),
    }
    return figures


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--sizes", type=int, nargs="*", default=[1000, 10000], help="synthetic store sizes (none: skip)"
    )
    parser.add_argument("--queries", type=int, default=5, help="fresh occurrences asked per error family")
    parser.add_argument("--calls", type=int, default=200, help="timed questions per size and path")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--work", type=Path, help="keep the generated stores here for the next run")
    parser.add_argument("--corpus", type=int, metavar="N", help="also time a store of N corpus-generated sessions")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="tm-retrieval-") as scratch:
        work = args.work or Path(scratch)
        if args.corpus:
            figures = corpus_bench(args.corpus, work, args.calls, args.seed)
            print(json.dumps(figures))
            print_corpus(figures)
        for size in args.sizes:
            figures = bench(size, work, args.queries, args.calls, args.seed)
            print(json.dumps(figures))
            ours, base, stdio = figures["in_process"], figures["baseline_bm25"], figures["stdio"]
            print(
                f"{size:>6} sessions: hit@1 {ours['hit@1']:.2f} hit@3 {ours['hit@3']:.2f} "
                f"(baseline {base['hit@1']:.2f} / {base['hit@3']:.2f}); known families unanswered "
                f"{ours['known_unanswered']:.2f}; described in other words only: hit@3 {ours['described_hit@3']:.2f}, "
                f"unanswered {ours['described_unanswered']:.2f}; abstained on {ours['unseen_questions']} unseen "
                "failures: replay "
                f"{ours['abstained_replay']:.2f}, search {ours['abstained_search']:.2f}; "
                f"in process p50 {ours['p50_ms']} ms "
                f"p95 {ours['p95_ms']} ms; stdio p50 {stdio['p50_ms']} ms p95 {stdio['p95_ms']} ms;"
                f" server peak RSS {stdio['server_peak_rss_mb']} MB",
                flush=True,
            )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
