"""Synthetic Claude Code transcripts at scale, laid out as Claude Code lays them out.

Writes `<root>/projects/<cwd with non-alphanumerics as '-'>/<session-id>.jsonl`, subagent runs in
`<session-id>/subagents/agent-<id>.jsonl` (+ `.meta.json`), some large outputs in
`<session-id>/tool-results/`, and `<root>/manifest.json`: the ground truth of what each file holds.
The same seed gives the same bytes. Sessions mix the shapes of real transcripts (split assistant
responses, failing and passing test runs, compaction, interrupts, API errors, skills, slash
commands, subagents, metadata entries, unknown types, malformed lines), and error families recur
across sessions so that mining has something to find. The first sessions each force one rare
shape, so even a small corpus holds every shape. What sessions say comes from `corpus_text.py`;
entries and files are shaped as Claude Code writes them in `corpus_entries.py`.

    python bench/corpus_gen.py OUT --sessions N --seed S [--target-mb M] [--projects P]
"""

from __future__ import annotations

import argparse
import base64
import json
import random
import sys
from dataclasses import asdict, dataclass
from pathlib import Path

# Tests load this file by path, so its directory may not be on the path yet.
sys.path.insert(0, str(Path(__file__).resolve().parent))
from corpus_entries import Chain, JsonlFile, Res, Session, bash, edit, family_call, read, write  # noqa: E402
from corpus_text import (  # noqa: E402
    CAVEAT,
    COMPACT_SUMMARY,
    PROMPTS,
    REJECTED,
    STACKS,
    UNKNOWN_TYPES,
    WORDS,
    Stack,
    code_lines,
    fill,
    pass_output,
    prose,
)

MANIFEST = "manifest.json"
# Rare shapes forced on the first sessions, in this order.
SHOWCASE: tuple[str, ...] = ("malformed", "compaction", "subagent", "api_error", "interrupt", "slash_command")
SHOWCASE += ("skill", "unknown_type", "persisted_output", "inline_sidechain", "image")
# The kind of cycle that shows a shape, for the showcase shapes a cycle can show.
_FORCED_CYCLE = {
    "persisted_output": "big",
    "skill": "skill",
    "subagent": "agent",
    "interrupt": "interrupt",
    "inline_sidechain": "agent",
}


@dataclass
class GenStats:
    """What a run of the generator wrote (JSONL files only)."""

    sessions: int = 0
    files: int = 0
    subagent_files: int = 0
    subagent_runs: int = 0  # in their own files, or inline in the main file (older versions)
    bytes: int = 0
    lines: int = 0
    tool_calls: int = 0
    error_results: int = 0
    malformed_lines: int = 0


class _Writer:
    """Writes one session: its main file, its subagents' files and its ground-truth records."""

    def __init__(self, s: Session, outcome: str, family: str) -> None:
        self.s, self.rng, self.outcome, self.family = s, s.rng, outcome, family
        self.main = JsonlFile(s.dir / f"{s.id}.jsonl", s.root, "main", s.id)
        self.c = Chain(s, self.main)

    def run(self) -> None:
        rng, s = self.rng, self.s
        turns = rng.choices((1, 2, 4, 8, 16), weights=(30, 30, 22, 12, 6))[0]
        turns = max(turns, 8) if s.force == "compaction" else turns
        cycles = rng.choices((2, 5, 10, 20), weights=(30, 35, 25, 10))[0]
        self.opening()
        for turn in range(turns):
            last = turn == turns - 1
            self.prompt(first=turn == 0)
            for _ in range(rng.randint(max(1, cycles // 2), cycles)):
                self.cycle()
            if turns >= 8 and turn == turns // 2:
                self.compact()
            if last or rng.random() < 0.3:
                self.test_phase(final=last)
            self.close_turn()
            if turn == 0 and s.wants("malformed", 0.04):
                self.malformed()
        s.records.append(self.main.close())

    def opening(self) -> None:
        c, s = self.c, self.s
        if s.version in ("2.0.69", "2.1.77"):
            hook = {"type": "hook_progress", "hookEvent": "SessionStart", "hookName": "SessionStart:startup"}
            c.emit("progress", data=hook | {"command": "python3 hooks/session_start.py"})
        if self.rng.random() < 0.5:
            c.meta("permission-mode", permissionMode=self.rng.choice(("default", "acceptEdits")))

    def prompt(self, first: bool) -> None:
        c, rng, s = self.c, self.rng, self.s
        c.prompt_id = s.uuid()
        log = "\n\n" + code_lines(rng, "log", rng.randint(20, 80))
        text = fill(rng, rng.choice(PROMPTS.split("\n")), f=rng.choice(s.files), t=s.stack.test_cmd, log=log)
        if rng.random() < 0.3:
            c.meta("queue-operation", operation="enqueue", timestamp=s.stamp(), content=text)
            c.meta("queue-operation", operation="dequeue", timestamp=s.stamp())
        snap_id = s.uuid()
        snap = {"messageId": snap_id, "trackedFileBackups": {}, "timestamp": s.stamp()}
        c.meta("file-history-snapshot", messageId=snap_id, snapshot=snap, isSnapshotUpdate=False)
        if s.wants("slash_command", 0.1):
            name = rng.choice(("review", "fix-tests", "deploy-check", "release-notes"))
            c.user(f"<command-message>{name}</command-message>\n<command-name>/{name}</command-name>")
            self.skill_body(name)
        elif s.wants("image", 0.03):
            image = {
                "type": "base64",
                "media_type": "image/png",
                "data": base64.b64encode(rng.randbytes(3000)).decode(),
            }
            c.user([{"type": "image", "source": image}, {"type": "text", "text": text}])
        else:
            c.user(text, **({"permissionMode": "default"} if first else {}))
        if first:
            listing = "\n".join(f"- {n}: {prose(rng, 1)}" for n in ("update-config", "review", "simplify"))
            c.emit("attachment", attachment={"type": "skill_listing", "content": listing})
            c.meta("ai-title", aiTitle=text.split("\n")[0][:60])
        if s.wants("api_error", 0.04):
            self.api_error()

    def skill_body(self, name: str) -> None:
        text = f"Base directory for this skill: /home/dev/.claude/skills/{name}\n\n{prose(self.rng, 12)}"
        self.c.user([{"type": "text", "text": text}], isMeta=True)

    def cycle(self) -> None:
        c, rng, s = self.c, self.rng, self.s
        path, lang = rng.choice(s.files), s.stack.lang
        kinds = (
            "read",
            "edit",
            "write",
            "search",
            "bash",
            "big",
            "todo",
            "skill",
            "agent",
            "incidental",
            "interrupt",
        )
        kind = rng.choices(kinds, weights=(30, 20, 3, 14, 12, 3, 4, 2, 3, 6, 2))[0]
        if s.force in _FORCED_CYCLE and s.force not in s.features:
            kind = _FORCED_CYCLE[s.force]
        say = prose(rng, rng.randint(1, 3)) if rng.random() < 0.5 else None
        think = rng.random() < 0.4
        if kind == "read":
            c.call(read(path, code_lines(rng, lang, rng.randint(20, 250))), say=say, think=think)
        elif kind == "edit":
            original = code_lines(rng, lang, rng.randint(30, 200))
            c.call(
                edit(path, original.split("\n")[0], code_lines(rng, lang, rng.randint(1, 12)), original),
                say=say,
            )
        elif kind == "write":
            c.call(write(f"{s.cwd}/src/{rng.choice(WORDS)}.{s.stack.ext}", code_lines(rng, lang, 60)), say=say)
        elif kind == "search":
            hits = rng.sample(s.files, rng.randint(0, len(s.files)))
            grep = Res(
                "Grep",
                {"pattern": rng.choice(WORDS), "output_mode": "files_with_matches"},
                f"Found {len(hits)} files\n" + "\n".join(hits),
                {"mode": "files_with_matches", "filenames": hits, "numFiles": len(hits)},
            )
            glob = Res(
                "Glob",
                {"pattern": f"**/*.{s.stack.ext}"},
                "\n".join(s.files),
                {"filenames": s.files, "durationMs": 12, "numFiles": len(s.files), "truncated": False},
            )
            c.call(grep, glob, say=say)
        elif kind == "bash":
            cmd, out = rng.choice(
                (
                    ("git status --short", f" M {path}"),
                    ("ls", "\n".join(s.files)),
                    ("git log --oneline -5", prose(rng, 3)),
                    ("git diff --stat", ""),
                )
            )
            c.call(bash(cmd, out, desc="Inspect the working tree"), say=say)
        elif kind == "todo":
            todos = [{"content": prose(rng, 1), "status": "pending", "activeForm": "Working"} for _ in range(4)]
            tur = {"oldTodos": [], "newTodos": todos}
            c.call(Res("TodoWrite", {"todos": todos}, "Todos have been modified successfully.", tur))
        elif kind == "incidental":
            family = rng.choice(("command-not-found", "edit-string-not-found", "read-missing-file"))
            c.call(family_call(rng, family, s.stack, s.cwd), think=think)
        else:
            {"big": self.big_output, "skill": self.skill, "agent": self.agent, "interrupt": self.interrupt}[kind]()

    def big_output(self) -> None:
        c, rng, s = self.c, self.rng, self.s
        out = code_lines(rng, "log", rng.randint(1000, 6000))
        if not s.wants("persisted_output", 0.5):
            c.call(read(f"{s.cwd}/build/output.log", out))
            return
        rel = f"{s.dir.name}/{s.id}/tool-results/{s.token('b', 8)}.txt"
        (s.root / "projects" / rel).parent.mkdir(parents=True, exist_ok=True)
        (s.root / "projects" / rel).write_text(out, encoding="utf-8", newline="\n")
        saved = f"/home/dev/.claude/projects/{rel}"  # as the user's machine would name it
        text = (
            f"<persisted-output>\nOutput too large ({len(out) // 1024}KB). Full output saved to: {saved}"
            f"\n\nPreview (first 2KB):\n{out[:2048]}\n...\n</persisted-output>"
        )
        tur = {"stdout": out, "stderr": "", "interrupted": False, "isImage": False, "noOutputExpected": False}
        c.call(Res("Bash", {"command": "npm install --verbose", "description": "Install"}, text, tur))

    def skill(self) -> None:
        name = self.rng.choice(("commit", "write-tests", "debug-flaky-test"))
        self.s.features.add("skill")
        self.c.call(Res("Skill", {"skill": name}, f"Launching skill: {name}", {"success": True, "commandName": name}))
        self.skill_body(name)

    def agent(self) -> None:
        c, rng, s = self.c, self.rng, self.s
        s.features.add("inline_sidechain" if s.inline_sidechains else "subagent")
        s.subagent_runs += 1
        agent_id = "a" + "".join(rng.choices("0123456789abcdef", k=16))
        agent_type, tool = rng.choice((("general-purpose", "Agent"), ("Explore", "Agent"), ("general-purpose", "Task")))
        prompt, tool_id, start = prose(rng, rng.randint(3, 10)), s.token("toolu_01", 22), s.clock
        args = {"description": prose(rng, 1)[:60], "subagent_type": agent_type, "prompt": prompt}
        if s.inline_sidechains:  # older versions kept sidechain lines in the main file
            sub = Chain(s, self.main, agent_id)
        else:
            path = s.dir / s.id / "subagents" / f"agent-{agent_id}.jsonl"
            sub = Chain(s, JsonlFile(path, s.root, "subagent", s.id), agent_id)
            meta = {
                "agentType": agent_type,
                "description": args["description"],
                "toolUseId": tool_id,
                "spawnDepth": 1,
                "model": s.model,
            }
            path.with_name(f"agent-{agent_id}.meta.json").write_text(json.dumps(meta), encoding="utf-8")
        sub.user(prompt)
        uses = rng.randint(2, 8)
        for _ in range(uses):
            text = code_lines(rng, s.stack.lang, rng.randint(20, 150))
            sub.call(read(rng.choice(s.files), text), think=rng.random() < 0.3)
        answer = self.summary()
        sub.say(answer)
        if sub.out is not self.main:
            s.records.append(sub.out.close())
        note = f"agentId: {agent_id} (use SendMessage with to: '{agent_id}' to continue this agent)"
        content = [{"type": "text", "text": answer}, {"type": "text", "text": note}]
        tur = {
            "status": "completed",
            "prompt": prompt,
            "agentId": agent_id,
            "agentType": agent_type,
            "content": content[:1],
            "totalDurationMs": s.clock - start,
            "totalTokens": rng.randint(5000, 60000),
            "totalToolUseCount": uses,
        }
        c.call(Res(tool, args, content, tur, tool_id=tool_id))

    def interrupt(self) -> None:
        c, rng = self.c, self.rng
        self.s.features.add("interrupt")
        if rng.random() < 0.5:
            cmd = rng.choice(("rm -rf node_modules dist", "git push --force", "git reset --hard HEAD~1"))
            c.call(Res("Bash", {"command": cmd}, REJECTED, "Error: " + REJECTED, True))
            c.user([{"type": "text", "text": "[Request interrupted by user for tool use]"}])
        else:
            c.say(prose(rng, 2))
            c.user([{"type": "text", "text": "[Request interrupted by user]"}])
            c.user(prose(rng, 1))

    def api_error(self) -> None:
        c, s = self.c, self.s
        status, error, text = self.rng.choice(
            (
                (529, "overloaded_error", "API Error: 529 Overloaded."),
                (500, "server_error", "API Error: 500 Internal server error."),
            )
        )
        usage = {
            "input_tokens": 0,
            "output_tokens": 0,
            "cache_creation_input_tokens": 0,
            "cache_read_input_tokens": 0,
        }
        msg = {
            "id": s.uuid(),
            "model": "<synthetic>",
            "role": "assistant",
            "stop_reason": "stop_sequence",
            "stop_sequence": "",
            "type": "message",
            "content": [{"type": "text", "text": text}],
            "usage": usage,
        }
        c.emit(
            "assistant",
            message=msg,
            requestId=s.token("req_011C", 20),
            error=error,
            isApiErrorMessage=True,
            apiErrorStatus=status,
        )

    def test_phase(self, final: bool) -> None:
        """Run the tests: a failing session loops on its error; a succeeding one fixes it and passes."""
        c, rng, s = self.c, self.rng, self.s
        failed = self.outcome == "failure" and final
        for attempt in range(rng.randint(3, 6) if failed else rng.choice((0, 0, 1, 2))):
            c.call(
                family_call(rng, self.family, s.stack, s.cwd),
                say=prose(rng, 1) if attempt else None,
                think=True,
            )
            original = code_lines(rng, s.stack.lang, rng.randint(30, 150))
            new = code_lines(rng, s.stack.lang, 3)
            c.call(edit(rng.choice(s.files), original.split("\n")[0], new, original), say=prose(rng, 2))
        if failed:
            c.call(family_call(rng, self.family, s.stack, s.cwd), say="Running the tests again.")
            c.say("I could not get this passing. " + prose(rng, 3))
        else:
            c.call(bash(s.stack.test_cmd, pass_output(rng, s.stack, s.cwd)), say="Now the tests.")
            c.say(self.summary())

    def summary(self) -> str:
        changes = "\n".join(f"- `{f}`: {prose(self.rng, 1)}" for f in self.rng.sample(self.s.files, 3))
        return f"Done. Summary of the changes:\n\n{changes}\n\n{prose(self.rng, 2)}"

    def compact(self) -> None:
        c, rng, s = self.c, self.rng, self.s
        s.features.add("compaction")
        manual = rng.random() < 0.4
        if manual:
            c.user("<command-name>/compact</command-name>\n<command-message>compact</command-message>")
            c.user(CAVEAT, isMeta=True)
        leaf, c.parent = c.parent, None
        meta = {
            "trigger": "manual" if manual else "auto",
            "preTokens": c.context,
            "durationMs": rng.randint(20_000, 99_000),
        }
        c.emit(
            "system",
            subtype="compact_boundary",
            content="Conversation compacted",
            isMeta=False,
            level="info",
            logicalParentUuid=leaf,
            compactMetadata=meta,
        )
        c.user(COMPACT_SUMMARY + prose(rng, 40), isCompactSummary=True, isVisibleInTranscriptOnly=True)
        if manual:
            c.user("<local-command-stdout>Compacted (ctrl+o to see full summary)</local-command-stdout>")
        c.context = rng.randint(8_000, 20_000)

    def close_turn(self) -> None:
        c, rng, s = self.c, self.rng, self.s
        if rng.random() < 0.2:
            c.emit("attachment", attachment={"type": "todo_reminder", "content": [], "itemCount": 0})
        c.meta("last-prompt", lastPrompt=prose(rng, 1)[:80], leafUuid=c.parent)
        if rng.random() < 0.5:
            c.emit("system", subtype="turn_duration", durationMs=rng.randint(2000, 400_000), isMeta=False)
        else:
            c.emit(
                "system",
                subtype="stop_hook_summary",
                hookCount=1,
                hookInfos=[{"command": "callback"}],
                hookErrors=[],
                preventedContinuation=False,
                stopReason="",
                level="suggestion",
            )
        if s.wants("unknown_type", 0.05):
            c.meta(rng.choice(UNKNOWN_TYPES), timestamp=s.stamp(), payload={"n": rng.randint(0, 9)})

    def malformed(self) -> None:
        """A line cut off mid-write (a crash), followed by more entries (the resumed session)."""
        c, rng = self.c, self.rng
        entry = c.base("progress", data={"type": "hook_progress", "hookEvent": "Stop", "hookName": "Stop"})
        line = json.dumps(entry, separators=(",", ":"))
        self.main.raw(line[: rng.randint(10, len(line) - 10)])
        self.main.rec["malformed_lines"] += 1
        c.user(prose(rng, 1))
        c.say(prose(rng, 2))


def _projects(seed: int, count: int) -> list[tuple[str, Stack, str]]:
    rng = random.Random(f"{seed}/projects")
    names = (
        "billing-api",
        "web-dashboard",
        "ingest-worker",
        "cli-tools",
        "auth-service",
        "data-pipeline",
        "mobile-app",
        "docs-site",
        "search-index",
        "payments",
        "infra",
        "ml-eval",
    )
    out = []
    for i in range(count):
        name = names[i % len(names)] + (f"-{i // len(names)}" if i >= len(names) else "")
        base = rng.choice(("/home/dev/work", "/Users/sam/code", "/home/ana/projects"))
        out.append((f"{base}/{name}", STACKS[i % len(STACKS)], rng.choice(("main", "develop", "fix/flaky-tests"))))
    return out


def generate(root: Path, n_sessions: int, seed: int, *, target_bytes: int | None = None, projects: int = 8) -> GenStats:
    """Write `n_sessions` sessions (more while the corpus is under `target_bytes`) and the manifest."""
    root = Path(root)
    if (root / "projects").exists() and any((root / "projects").iterdir()):
        raise FileExistsError(f"{root / 'projects'} is not empty")
    (root / "projects").mkdir(parents=True, exist_ok=True)
    plist, stats, files, sessions = _projects(seed, projects), GenStats(), [], []
    while stats.sessions < n_sessions or (target_bytes is not None and stats.bytes < target_bytes):
        rng = random.Random(f"{seed}/{stats.sessions}")  # each session its own stream: a prefix is stable
        cwd, stack, branch = plist[rng.randrange(len(plist))]
        force = SHOWCASE[stats.sessions] if stats.sessions < len(SHOWCASE) else None
        s = Session(rng, root, cwd, stack, branch, force)
        outcome, family = ("success" if rng.random() < 0.6 else "failure"), rng.choice(stack.families)
        _Writer(s, outcome, family).run()
        for rec in s.records:
            stats.files += 1
            stats.subagent_files += rec["kind"] == "subagent"
            for key in ("bytes", "lines", "tool_calls", "error_results", "malformed_lines"):
                setattr(stats, key, getattr(stats, key) + rec[key])
        stats.subagent_runs += s.subagent_runs
        files += s.records
        sessions.append(
            {
                "session_id": s.id,
                "project": s.dir.name,
                "stack": stack.lang,
                "version": s.version,
                "outcome": outcome,
                "error_family": family,
                "features": sorted(s.features),
                "subagent_runs": s.subagent_runs,
            }
        )
        stats.sessions += 1
    manifest = {"seed": seed, "totals": asdict(stats), "sessions": sessions, "files": files}
    (root / MANIFEST).write_text(json.dumps(manifest, indent=1) + "\n", encoding="utf-8")
    return stats


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Write a synthetic Claude Code transcript corpus.")
    parser.add_argument("out", type=Path, help="corpus root, to be used as CLAUDE_CONFIG_DIR")
    parser.add_argument("--sessions", type=int, default=20, help="sessions to write at least")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--target-mb", type=float, help="keep adding sessions until the JSONL reach this many MB")
    parser.add_argument("--projects", type=int, default=8)
    args = parser.parse_args(argv)
    target = int(args.target_mb * 1_000_000) if args.target_mb else None
    stats = generate(args.out, args.sessions, args.seed, target_bytes=target, projects=args.projects)
    print(json.dumps(asdict(stats)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
