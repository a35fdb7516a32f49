"""A mined skill as a SKILL.md file, and the checks every such file must pass.

The format rules are those of the Agent Skills specification (the stricter of the limits
Claude Code accepts): frontmatter keys from a short list; `name` in kebab case, at most 64
characters, without "anthropic" or "claude"; `description` non-empty, at most 1,024
characters, with no `<` or `>`. The text is deterministic — no dates, no counters that change
with use — so exporting an unchanged skill twice writes the same bytes.
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Callable

from trajectory_miner.mining.items import Skill
from trajectory_miner.textcap import one_line

ALLOWED_KEYS = frozenset({"name", "description", "license", "allowed-tools", "metadata", "compatibility"})
MAX_NAME = 64
MAX_DESCRIPTION = 1024
MAX_COMPATIBILITY = 500
MAX_BODY_LINES = 500
RESERVED_WORDS = ("anthropic", "claude")
NAME_PATTERN = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")

# Room left under the limit for a collision suffix such as `-12`.
_BASE_NAME_LIMIT = MAX_NAME - 4
_NAME_WORDS = 6
_MAX_SOURCES_SHOWN = 10
_WORD = re.compile(r"[a-z0-9]+")
_STOP = frozenset("a an the to of for and or in on at with by from when it its is be this that request".split())  # noqa: SIM905
_PLACEHOLDER = re.compile(r"\[(?:REDACTED:[a-z_]+|PRIVATE)\]")
_KEY_LINE = re.compile(r"^([A-Za-z][A-Za-z0-9_-]*):(?:\s+(.*))?$")

_NO_DESCRIPTION = "A procedure that worked in past sessions"

Redact = Callable[[str], str]


def _ascii_words(text: str) -> list[str]:
    folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii").lower()
    return _WORD.findall(folded)


def slug(text: str, limit: int = _BASE_NAME_LIMIT) -> str:
    """Kebab case of the text's words, cut at a word boundary, without reserved words."""
    words = [w for w in _ascii_words(text) if not any(r in w for r in RESERVED_WORDS)]
    out = ""
    for word in words:
        candidate = f"{out}-{word}" if out else word
        if len(candidate) > limit:
            break
        out = candidate
    return out or (words[0][:limit] if words else "")


def _identity(text: str) -> str:
    return text


def base_name(skill: Skill, redact: Redact = _identity) -> str:
    """The name a skill's folder would get before any collision suffix.

    It is the miner's name when there is one, else the first words of the description or
    trigger; either way after redaction, and without the placeholders redaction leaves.
    """
    named = slug(_PLACEHOLDER.sub(" ", redact(skill.name)))
    if named:
        return named
    for source in (skill.description, skill.trigger):
        text = _PLACEHOLDER.sub(" ", redact(source))
        named = slug(" ".join([w for w in _ascii_words(text) if w not in _STOP][:_NAME_WORDS]))
        if named:
            return named
    return slug(f"mined skill {skill.id}") or "mined-skill"


def unique_name(base: str, taken: set[str]) -> str:
    """The base name, or the base with the smallest free `-N` suffix."""
    if base not in taken:
        return base
    number = 2
    while f"{base}-{number}" in taken:
        number += 1
    return f"{base}-{number}"


def no_angles(text: str) -> str:
    """Angle brackets turned into look-alikes the format allows (`<file>` reads `‹file›`)."""
    return text.replace("<", "‹").replace(">", "›")


def _cut(text: str, limit: int) -> str:
    if len(text) <= limit:
        return text
    head = text[: limit - 1]
    space = head.rfind(" ")
    return (head[:space] if space > limit // 2 else head).rstrip(" ,;:.") + "…"


def description_for(skill: Skill, redact: Redact) -> str:
    """What the skill does and when to use it, within the description limits."""
    what = no_angles(one_line(redact(skill.description))).rstrip(". ") or _NO_DESCRIPTION
    when = no_angles(one_line(redact(skill.trigger))).rstrip(". ")
    # A description that already says when (a fix skill's does) needs no second telling.
    tail = f" Use when: {_end(_cut(when, 300))}" if when and when not in what else ""
    return _end(_cut(what, MAX_DESCRIPTION - len(tail) - 1)) + tail


def _end(sentence: str) -> str:
    # A sentence that ends inside a quotation already has its stop: `“… set it first.”`.
    closed = sentence.endswith(("”", '"')) and sentence[:-1].endswith((".", "!", "?", "…"))
    return sentence if closed or sentence.endswith(("…", ".", "!", "?")) else sentence + "."


def _bullets(items: list[str], redact: Redact) -> list[str]:
    return [f"- {one_line(redact(item))}" for item in items if one_line(item)] or ["- none recorded"]


def render(skill: Skill, name: str, redact: Redact) -> str:
    """The SKILL.md text of a skill exported under `name`."""
    description = description_for(skill, redact)
    steps = [f"{i}. {one_line(redact(step))}" for i, step in enumerate(skill.steps, 1) if one_line(step)]
    sources = ", ".join(f"`{s}`" for s in skill.source_sessions[:_MAX_SOURCES_SHOWN]) or "none recorded"
    more = len(skill.source_sessions) - _MAX_SOURCES_SHOWN
    lines = [
        "---",
        f"name: {json.dumps(name)}",
        f"description: {json.dumps(description, ensure_ascii=False)}",
        "metadata:",
        '  mined-by: "trajectory-miner"',
        f"  skill-id: {json.dumps(skill.id)}",
        "---",
        "",
        f"# {name.replace('-', ' ').capitalize()}",
        "",
        one_line(redact(skill.description)) or _NO_DESCRIPTION + ".",
        "",
        "This skill was mined from past Claude Code sessions that went well. Check that each step",
        "fits the task at hand before following it; placeholders such as `<file>` stand for the",
        "task's own files, modules and commands.",
        "",
        "## When to use",
        "",
        one_line(redact(skill.trigger)) or "When the description above matches the task.",
        "",
        *(["## Why it works", "", one_line(redact(skill.why)), ""] if one_line(skill.why) else []),
        "## Steps",
        "",
        *(steps or ["1. No steps recorded: follow the description."]),
        "",
        "## Tools",
        "",
        *_bullets([f"`{t}`" for t in skill.tools_used], redact),
        "",
        "## Context it needs",
        "",
        *_bullets(skill.context_requirements, redact),
        "",
        "## Provenance",
        "",
        f"- skill id: `{skill.id}`",
        f"- support: {skill.support} session(s); success rate of its sessions {skill.success_rate:.0%}",
        f"- source sessions: {sources}" + (f" and {more} more" if more > 0 else ""),
    ]
    return "\n".join(lines) + "\n"


def split_frontmatter(text: str) -> tuple[list[str], str] | None:
    """The frontmatter lines and the body, or None when the text has no frontmatter block."""
    lines = text.split("\n")
    if not lines or lines[0].rstrip("\r") != "---":
        return None
    for index in range(1, len(lines)):
        if lines[index].rstrip("\r") == "---":
            return [ln.rstrip("\r") for ln in lines[1:index]], "\n".join(lines[index + 1 :])
    return None


def _scalar(raw: str) -> tuple[str | None, str]:
    """A YAML scalar's value, or None and the problem with it (the subset this exporter writes)."""
    value = raw.strip()
    if value.startswith('"'):
        try:
            decoded = json.loads(value)
        except json.JSONDecodeError:
            return None, "is not a valid double-quoted string"
        return (decoded, "") if isinstance(decoded, str) else (None, "is not a string")
    if value.startswith("'"):
        if len(value) < 2 or not value.endswith("'"):
            return None, "is not a valid single-quoted string"
        return value[1:-1].replace("''", "'"), ""
    if value[:1] in set("[]{}&*!|>%@`#,?") or ": " in value or " #" in value:
        return None, "needs quoting"
    return value, ""


def parse_frontmatter(lines: list[str]) -> tuple[dict[str, str | None], list[str]]:
    """Top-level keys with their scalar values (None for a nested mapping), and the problems."""
    fields: dict[str, str | None] = {}
    problems: list[str] = []
    for number, line in enumerate(lines, start=2):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        if line[0] in " \t":
            if fields and list(fields.values())[-1] is None:
                continue
            problems.append(f"line {number}: indented line outside a mapping")
            continue
        match = _KEY_LINE.match(line)
        if match is None:
            problems.append(f"line {number}: not a `key: value` line")
            continue
        key, raw = match.group(1), match.group(2)
        if key in fields:
            problems.append(f"line {number}: key {key!r} appears twice")
        if raw is None or not raw.strip():
            fields[key] = None
            continue
        value, problem = _scalar(raw)
        if value is None:
            problems.append(f"line {number}: the value of {key!r} {problem}")
        fields[key] = value if value is not None else ""
    return fields, problems


def _name_problems(name: str | None) -> list[str]:
    if not name:
        return ["frontmatter has no name"]
    problems: list[str] = []
    if not NAME_PATTERN.match(name):
        problems.append(
            f"name {name!r} is not kebab case (lowercase letters, digits, single hyphens, none at the ends)"
        )
    if len(name) > MAX_NAME:
        problems.append(f"name is {len(name)} characters long; at most {MAX_NAME} are allowed")
    problems += [f"name {name!r} contains the reserved word {w!r}" for w in RESERVED_WORDS if w in name]
    return problems


def _description_problems(description: str | None) -> list[str]:
    if not description or not description.strip():
        return ["frontmatter has no description"]
    problems: list[str] = []
    if len(description) > MAX_DESCRIPTION:
        problems.append(f"description is {len(description)} characters long; at most {MAX_DESCRIPTION}")
    if "<" in description or ">" in description:
        problems.append("description contains angle brackets (< or >)")
    return problems


def validate_skill_md(text: str) -> list[str]:
    """Every way the text breaks the SKILL.md rules; an empty list when it follows them all."""
    parts = split_frontmatter(text)
    if parts is None:
        return ["the file does not start with a `---` frontmatter block closed by `---`"]
    lines, body = parts
    fields, problems = parse_frontmatter(lines)
    problems += [f"frontmatter key {k!r} is not allowed" for k in sorted(set(fields) - ALLOWED_KEYS)]
    problems += _name_problems(fields.get("name"))
    problems += _description_problems(fields.get("description"))
    compatibility = fields.get("compatibility")
    if compatibility and len(compatibility) > MAX_COMPATIBILITY:
        problems.append(f"compatibility is longer than {MAX_COMPATIBILITY} characters")
    if not body.strip():
        problems.append("the body is empty")
    elif len(body.splitlines()) > MAX_BODY_LINES:
        problems.append(f"the body has more than {MAX_BODY_LINES} lines")
    return problems
