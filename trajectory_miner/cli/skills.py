"""Skill commands: `skills list|show|approve|reject|retire|reopen|export`."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from trajectory_miner.cli.output import (
    CommandError,
    load_user_config,
    print_json,
    print_table,
    reader,
    resolve_paths,
    writer,
)
from trajectory_miner.mining.items import Skill, SkillStatus, load_skills
from trajectory_miner.paths import claude_config_dir
from trajectory_miner.redaction.redactor import Redactor
from trajectory_miner.skills.absence import why_no_skills
from trajectory_miner.skills.export import ExportError, ExportReport, export_skills, skill_exports
from trajectory_miner.skills.lifecycle import (
    TRANSITIONS,
    SkillEvent,
    SkillNotFound,
    TransitionError,
    change_status,
    find_skill,
    retirement_proposed,
    retirement_reason,
    skill_events,
)
from trajectory_miner.skills.usage import skill_uses
from trajectory_miner.store import StoreMissing

_CHANGES: dict[str, tuple[SkillStatus, str]] = {
    "approve": ("approved", "approve a candidate so that `skills export` writes it"),
    "reject": ("rejected", "reject a candidate"),
    "retire": ("retired", "retire an approved or exported skill"),
    "reopen": ("candidate", "put a rejected or retired skill back among the candidates"),
}


def register(commands: Any) -> None:
    skills = commands.add_parser("skills", help="review, approve and export mined skills")
    skills.set_defaults(handler=lambda _args: _help(skills))
    sub = skills.add_subparsers(dest="skills_command", metavar="ACTION")

    listing = sub.add_parser("list", help="list skills, with those proposed for retirement marked")
    listing.add_argument("--status", choices=sorted(TRANSITIONS), help="only skills with this status")
    listing.add_argument("--json", action="store_true", help="print JSON")
    listing.set_defaults(handler=run_list)

    show = sub.add_parser("show", help="show one skill with its history")
    show.add_argument("skill", help="skill id (S-001) or exported name")
    show.add_argument("--json", action="store_true", help="print JSON")
    show.set_defaults(handler=run_show)

    for action, (_status, text) in _CHANGES.items():
        change = sub.add_parser(action, help=text)
        change.add_argument("skill", help="skill id (S-001) or exported name")
        change.add_argument("--reason", default="", help="why (kept in the skill's history)")
        change.add_argument("--json", action="store_true", help="print JSON")
        change.set_defaults(handler=run_change, action=action)

    export = sub.add_parser("export", help="write approved skills as SKILL.md files")
    export.add_argument("skills", nargs="*", help="only these skills (ids or names; default: all approved)")
    export.add_argument(
        "--scope",
        choices=("user", "project"),
        help="~/.claude/skills (user, the default) or <project>/.claude/skills (project)",
    )
    export.add_argument("--dir", type=Path, help="write into this folder instead")
    export.add_argument("--project", type=Path, help="the project folder for --scope project (default: here)")
    export.add_argument("--remove-retired", action="store_true", help="remove unedited files of retired skills")
    export.add_argument("--json", action="store_true", help="print JSON")
    export.set_defaults(handler=run_export)


def _help(parser: argparse.ArgumentParser) -> int:
    parser.print_help()
    return 2


def _skill_row(skill: Skill) -> dict[str, Any]:
    data = skill.model_dump(mode="json")
    proposed = retirement_proposed(skill)
    data["retirement_proposed"] = proposed
    data["retirement_reason"] = retirement_reason(skill) if proposed else ""
    return data


def run_list(args: argparse.Namespace) -> int:
    why = ""
    try:
        with reader(resolve_paths()) as store:
            skills = load_skills(store)
            if not skills and not args.status and not args.json:
                why = why_no_skills(store)
    except CommandError as exc:
        if not isinstance(exc.__cause__, StoreMissing):
            raise
        skills, why = [], why_no_skills(None)
    if args.status:
        skills = [s for s in skills if s.status == args.status]
    if args.json:
        print_json([_skill_row(s) for s in skills])
        return 0
    if not skills:
        print(f"no {args.status} skills" if args.status else why)
        return 0
    print_table(
        ["id", "status", "name", "support", "success", "uses", "successes", "description"],
        [
            (
                s.id,
                s.status + (" (retire?)" if retirement_proposed(s) else ""),
                s.name or "-",
                s.support,
                s.success_rate,
                s.uses,
                s.successes,
                _short(s.description, 60),
            )
            for s in skills
        ],
    )
    proposed = [s for s in skills if retirement_proposed(s)]
    for skill in proposed:
        print(f"\n{skill.id} is proposed for retirement: {retirement_reason(skill)}.")
        print(f"  retire it with `trajectory-miner skills retire {skill.id}` if you agree")
    return 0


def _short(text: str, limit: int) -> str:
    line = " ".join(text.split())
    return line if len(line) <= limit else line[: limit - 1] + "…"


def _lookup(store: Any, key: str) -> Skill:
    try:
        return find_skill(store, key)
    except SkillNotFound as exc:
        raise CommandError(str(exc), 2) from exc


def run_show(args: argparse.Namespace) -> int:
    with reader(resolve_paths()) as store:
        skill = _lookup(store, args.skill)
        events = skill_events(store, skill.id)
        exports = skill_exports(store, skill.id)
        uses = skill_uses(store, skill.id)
    if args.json:
        print_json(
            {
                **_skill_row(skill),
                "events": [_event(e) for e in events],
                "exports": [{"directory": d, "name": n, "exported_at": a} for d, n, a in exports],
                "used_in": [{"session_id": u.session_id, "how": u.how, "success": u.success} for u in uses],
            }
        )
        return 0
    _print_skill(skill)
    print("\nhistory:" if events else "\nhistory: none (mined as a candidate)")
    for event in events:
        print(f"  {event.occurred_at:%Y-%m-%d %H:%M}  {event.from_status} → {event.to_status}  {event.reason}")
    for directory, name, _at in exports:
        print(f"exported to {Path(directory) / name / 'SKILL.md'}")
    for use in uses:
        print(f"used in {use.session_id} ({use.how}; {'succeeded' if use.success else 'did not succeed'})")
    return 0


def _event(event: SkillEvent) -> dict[str, Any]:
    return {
        "occurred_at": event.occurred_at.isoformat(),
        "from": event.from_status,
        "to": event.to_status,
        "reason": event.reason,
    }


def _print_skill(skill: Skill) -> None:
    print(f"{skill.id}  {skill.name or '(no name yet)'}  [{skill.status}]")
    print(f"  {skill.description}")
    print(f"  trigger: {skill.trigger}")
    print(
        f"  support: {skill.support} session(s); success rate {skill.success_rate:.0%}; "
        f"used {skill.uses} times, {skill.successes} in sessions that succeeded"
    )
    if retirement_proposed(skill):
        print(f"  proposed for retirement: {retirement_reason(skill)}")
    if skill.tools_used:
        print(f"  tools: {', '.join(skill.tools_used)}")
    for need in skill.context_requirements:
        print(f"  needs: {need}")
    for number, step in enumerate(skill.steps, 1):
        print(f"  {number}. {step}")
    if skill.source_sessions:
        print(f"  from sessions: {', '.join(skill.source_sessions)}")


def run_change(args: argparse.Namespace) -> int:
    status, _text = _CHANGES[args.action]
    with writer(resolve_paths()) as store:
        try:
            skill, event = change_status(store, args.skill, status, args.reason)
        except SkillNotFound as exc:
            raise CommandError(str(exc), 2) from exc
        except TransitionError as exc:
            raise CommandError(str(exc), 1) from exc
    if args.json:
        print_json({"skill": _skill_row(skill), "event": _event(event)})
        return 0
    print(f"{skill.id}: {event.from_status} → {event.to_status}")
    if status == "approved":
        print("  write it with `trajectory-miner skills export`")
    return 0


def export_directory(args: argparse.Namespace) -> Path:
    """The folder an export writes into, from --dir, --scope and --project."""
    if args.dir is not None:
        return Path(args.dir).expanduser()
    if args.project is not None and args.scope == "user":
        raise CommandError("--project goes with --scope project", 2)
    if args.scope == "project" or args.project is not None:
        project = Path(args.project).expanduser() if args.project is not None else Path.cwd()
        if not project.is_dir():
            raise CommandError(f"no such project folder: {project}", 2)
        return project / ".claude" / "skills"
    return claude_config_dir() / "skills"


def run_export(args: argparse.Namespace) -> int:
    paths = resolve_paths()
    directory = export_directory(args)
    try:
        redact = Redactor(load_user_config(paths).redact_patterns)
    except ValueError as exc:
        raise CommandError(f"bad redact pattern in the config: {exc}", 2) from exc
    with writer(paths) as store:
        try:
            report = export_skills(
                store, directory, redact=redact, remove_retired=args.remove_retired, only=args.skills or None
            )
        except SkillNotFound as exc:
            raise CommandError(str(exc), 2) from exc
        except (TransitionError, ExportError) as exc:
            raise CommandError(str(exc), 1) from exc
    if args.json:
        print_json(report)
    else:
        _print_export(report)
    return 1 if report.count("refused") else 0


def _print_export(report: ExportReport) -> None:
    if not report.items:
        print("no approved skills to export: approve one with `trajectory-miner skills approve ID`")
        return
    print_table(["skill", "action", "name", "note"], [(i.skill_id, i.action, i.name, i.note) for i in report.items])
    counts = {action: report.count(action) for action in ("written", "updated", "unchanged", "removed")}
    summary = ", ".join(f"{n} {action}" for action, n in counts.items() if n) or "nothing written"
    print(f"\n{summary} in {report.directory}")
    if report.count("edited"):
        print(f"{report.count('edited')} file(s) edited by hand were left as they are")
