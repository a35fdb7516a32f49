"""The lesson of a fix, in words: what kind of fix it was, why it worked, and its concrete steps.

A fix (`features.Fix`) records what changed between a failure and the step that got past it:
edits with the class of the file and a short before/after, environment changes, installs,
flags added to the failed command, and the agent's stated reason. From the fixes of one
failure this module says what kind of fix they were (env var, install, config edit, source
edit, test edit, command flag), the cause in a sentence, and the steps with their concrete
content: generalised only where the sessions differ, so that a variable's name or a flag
that every session used stays in the lesson.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

from trajectory_miner.analysis.signatures import is_generic
from trajectory_miner.mining.features import Fix

FIX_KINDS = (
    "install",
    "env_var",
    "config_edit",
    "source_edit",
    "test_edit",
    "command_flag",
    "setup_step",
    "edit",
    "rerun",
)
_KIND_WORDS = {
    "install": "installing what was missing",
    "env_var": "setting {names} in the environment",
    "config_edit": "correcting the configuration in {paths}",
    "source_edit": "fixing the code in {paths}",
    "test_edit": "changing the tests in {paths}",
    "command_flag": "running the command with {flags}",
    "setup_step": "running {steps} first",
    "edit": "editing {paths}",
    "rerun": "running it again after looking into it",
}
_MAX_STEPS = 8


def fix_kind(fix: Fix) -> str:
    """The kind of a fix, by the most telling change it made."""
    kinds = {c[0] for c in fix.changes}
    edits = [c for c in fix.changes if c[0] == "edit"]
    classes = {c[3] for c in edits}
    if "install" in kinds or "dependencies" in classes:
        return "install"
    if "environment" in kinds or any(_is_env_file(c[2]) for c in edits):
        return "env_var"
    if "config" in classes:
        return "config_edit"
    if "source" in classes:
        return "source_edit"
    if "tests" in classes:
        return "test_edit"
    if "command" in kinds:
        return "command_flag"
    if "step" in kinds:
        return "setup_step"
    return "edit" if edits else "rerun"


def merged_command(fixes: Sequence[Fix]) -> str:
    """The command that ran clean, as the sessions ran it, generalised only where they differ:
    word by word when their commands have the same shape, else the most common generalised one."""
    raws = [f.raw_command for f in fixes if f.raw_command]
    if not raws:
        return _common([f.command for f in fixes if f.command])
    if len(set(raws)) == 1:
        return raws[0]
    split = [r.split() for r in raws]
    general = [f.command.split() for f in fixes if f.raw_command]
    if len({len(w) for w in split}) == 1 and all(len(g) == len(split[0]) for g in general):
        words = [
            column[0] if len(set(column)) == 1 else _common([g[i] for g in general])
            for i, column in enumerate(zip(*split, strict=True))
        ]
        return " ".join(words)
    return _common([f.command for f in fixes if f.command])


def _is_env_file(path: str) -> bool:
    return path.rsplit("/", 1)[-1].startswith(".env")


def _common(values: Sequence[str]) -> str:
    """One value if every session agrees, else the most common one."""
    if not values:
        return ""
    return Counter(values).most_common(1)[0][0]


def env_names(fixes: Sequence[Fix]) -> list[str]:
    """The names of the variables the fixes set, those every fix set first."""
    counts = Counter(n for f in fixes for n in {c[1].split("=", 1)[0] for c in f.changes if c[0] == "environment"})
    return [name for name, _ in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))]


def _env_assignment(name: str, fixes: Sequence[Fix]) -> str:
    values = [
        c[1].split("=", 1)[1] for f in fixes for c in f.changes if c[0] == "environment" and c[1].startswith(name + "=")
    ]
    value = values[0] if values and len(set(values)) == 1 else "<value>"
    return f"{name}={value}"


def _edits(fixes: Sequence[Fix], wanted: set[str]) -> list[tuple[str, str, str]]:
    """The edits of a class, as (path, class, before → after), most common first."""
    counts = Counter((c[2], c[3], c[1]) for f in fixes for c in f.changes if c[0] == "edit" and c[3] in wanted)
    return [edit for edit, _ in counts.most_common()]


def cause(fixes: Sequence[Fix], kind: str) -> str:
    """Why the fixes worked, in a sentence built from what they changed."""
    names = ", ".join(f"`{n}`" for n in env_names(fixes)[:3]) or "the variable it needs"
    paths = ", ".join(dict.fromkeys(f"`{e[0]}`" for e in _edits(fixes, {"config", "source", "tests", "other"})[:2]))
    flags = ", ".join(
        f"`{c[1]}`" for c in dict.fromkeys(c for f in fixes for c in map(tuple, f.changes) if c[0] == "command")
    )
    steps = ", ".join(f"`{c}`" for c in dict.fromkeys(c[1] for f in fixes for c in f.changes if c[0] == "step"))
    words = _KIND_WORDS.get(kind, "changing what it needed").format(
        names=names, paths=paths or "the project", flags=flags or "the right options", steps=steps or "a step"
    )
    reasons = [f.reason for f in fixes if f.reason]
    said = f" In the session's words: “{_common(reasons)}”" if reasons else ""
    return f"Got past by {words}.{said}"


def failure_words(signature: str, family: str) -> str:
    """The error as a user sees it, or nothing when the signature says no more than 'it failed'."""
    return "" if is_generic(signature) else family


def steps(fixes: Sequence[Fix], kind: str, error: str, is_check: bool) -> list[str]:
    """The procedure with concrete content: the change, the command as it worked, the check."""
    out: list[str] = []
    for name in env_names(fixes)[:3]:
        assignment = _env_assignment(name, fixes)
        out.append(f"Set `{assignment}` for the command (`export {assignment}` or a `.env` file it loads)")
    installs = [c[1] for f in fixes for c in f.changes if c[0] == "install"]
    if installs:
        out.append(f"Install what is missing: `{_common(installs)}`")
    classes = {"config", "source", "tests", "dependencies", "other"} if kind != "env_var" else {"config"}
    for path, path_class, detail in _edits(fixes, classes)[:2]:
        where = f"`{path}` ({path_class})" if path else f"the {path_class} file"
        out.append(f"Edit {where}: {detail}" if detail else f"Edit {where}")
    flags = [c[1] for f in fixes for c in f.changes if c[0] == "command"]
    command = merged_command(fixes)
    if flags and kind == "command_flag":
        out.append(f"Pass `{_common(flags)}` to the command")
    prepared = [c[1] for f in fixes for c in f.changes if c[0] == "step"]
    if prepared and kind == "setup_step" and not all(p in command for p in prepared):
        out.append(f"First run `{_common(prepared)}`")
    if command and is_check:
        out.append(f"Run `{command}` to confirm: it passes now")
    elif command:
        out.append(f"Run `{command}`" + (f": it runs without `{error}` now" if error else ""))
    return out[:_MAX_STEPS]


def lesson_key(fix: Fix) -> str:
    """What a fix teaches, with the names of its own session left out; '' when it teaches too
    little to tell two failures apart by (a rerun, an install, an edit of the tests).

    Two failures of one family whose fixes share a lesson are one cause met twice (the package
    under `src/` not importable, whatever the package is called)."""
    kind = fix_kind(fix)
    if kind == "env_var":
        found = {c[1] for c in fix.changes if c[0] == "environment"}
    elif kind == "command_flag":
        found = {" ".join(_shape(w) for w in c[1].split()) for c in fix.changes if c[0] == "command"}
    elif kind == "setup_step":
        found = {" ".join(_shape(w) for w in c[1].split()) for c in fix.changes if c[0] == "step"}
    elif kind in ("config_edit", "source_edit"):
        wanted = "config" if kind == "config_edit" else "source"
        found = {f"{c[2]}: {c[1]}" for c in fix.changes if c[0] == "edit" and c[3] == wanted}
    else:
        found = set()
    return f"{kind}: " + " | ".join(sorted(found)) if found else ""


def _shape(word: str) -> str:
    """A command word with what names the session's own files and modules left out."""
    if word.startswith("-"):
        flag, sep, _ = word.partition("=")
        return f"{flag}=<arg>" if sep else flag
    return "<arg>" if "/" in word or "." in word else word
