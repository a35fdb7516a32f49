import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from skillkit import make_skill

from trajectory_miner.redaction.redactor import Redactor
from trajectory_miner.skills.skillmd import (
    base_name,
    parse_frontmatter,
    render,
    split_frontmatter,
    unique_name,
    validate_skill_md,
)

GOOD = '---\nname: "release-notes"\ndescription: "Write release notes. Use when: a release is due."\n---\n\n# Body\n'


def _with(front: str, body: str = "\n# Body\n") -> str:
    return f"---\n{front}\n---\n{body}"


def test_a_well_formed_file_has_no_problems() -> None:
    assert validate_skill_md(GOOD) == []


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("# no frontmatter\n", "frontmatter block"),
        ('---\nname: "a"\ndescription: "b"\n', "frontmatter block"),
        (_with('description: "d"'), "no name"),
        (_with('name: "a-b"'), "no description"),
        (_with('name: "Release_Notes"\ndescription: "d"'), "not kebab case"),
        (_with('name: "-release"\ndescription: "d"'), "not kebab case"),
        (_with('name: "release--notes"\ndescription: "d"'), "not kebab case"),
        (_with('name: "release-"\ndescription: "d"'), "not kebab case"),
        (_with(f'name: "{"a" * 65}"\ndescription: "d"'), "65 characters"),
        (_with('name: "claude-helper"\ndescription: "d"'), "reserved word 'claude'"),
        (_with('name: "my-anthropic-skill"\ndescription: "d"'), "reserved word 'anthropic'"),
        (_with(f'name: "a"\ndescription: "{"x" * 1025}"'), "1025 characters"),
        (_with('name: "a"\ndescription: "use <config> files"'), "angle brackets"),
        (_with('name: "a"\ndescription: "d"\nwhen_to_use: "always"'), "'when_to_use' is not allowed"),
        (_with('name: "a"\ndescription: "unterminated'), "not a valid double-quoted string"),
        (_with("name: a\ndescription: has: a colon"), "needs quoting"),
        (_with('name: "a"\ndescription: "d"\nname: "b"'), "appears twice"),
        (_with('name: "a"\ndescription: "d"', "\n"), "body is empty"),
        (_with('name: "a"\ndescription: "d"', "\n" + "line\n" * 501), "more than 500 lines"),
        (_with(f'name: "a"\ndescription: "d"\ncompatibility: "{"c" * 501}"'), "compatibility"),
    ],
)
def test_each_broken_rule_is_reported(text: str, problem: str) -> None:
    problems = validate_skill_md(text)
    assert any(problem in p for p in problems), problems


def test_allowed_keys_and_a_nested_metadata_mapping_pass() -> None:
    front = 'name: "a"\ndescription: "d"\nlicense: MIT\nallowed-tools: Read\nmetadata:\n  k: "v"\ncompatibility: x'
    assert validate_skill_md(_with(front)) == []


def test_frontmatter_values_are_read_plain_or_quoted() -> None:
    fields, problems = parse_frontmatter(["name: plain-name", "description: 'it''s'", 'license: "M\\u0049T"'])
    assert problems == []
    assert fields == {"name": "plain-name", "description": "it's", "license": "MIT"}


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        ({"name": "fix-modulenotfounderror-python"}, "fix-modulenotfounderror-python"),
        ({"name": "Claude Release Helper"}, "release-helper"),
        ({"name": "", "description": "To release: bump the version, then tag it."}, "release-bump-version-then-tag"),
        (
            {"name": "", "description": "", "trigger": "Über-große Dateien komprimieren"},
            "uber-groe-dateien-komprimieren",
        ),
        ({"name": "", "description": "<<<>>>", "trigger": "!!!"}, "mined-skill-s-001"),
        ({"name": "w" * 80}, "w" * 60),
    ],
)
def test_names_are_kebab_case_words_of_the_name_or_description(fields: dict[str, str], expected: str) -> None:
    assert base_name(make_skill(**fields)) == expected


def test_a_name_never_carries_a_secret_from_the_description() -> None:
    token = "ghp_" + "abcdefghijklmnopqrstuvwxyz0123456789"
    skill = make_skill(name="", description=f"Use {token} to push the release")
    name = base_name(skill, Redactor())
    assert name == "use-push-release" and "ghp" not in name


def test_a_taken_name_gets_the_smallest_free_suffix() -> None:
    assert unique_name("run-tests", set()) == "run-tests"
    assert unique_name("run-tests", {"run-tests", "run-tests-2"}) == "run-tests-3"


def test_rendering_is_deterministic_and_free_of_counters_that_change_with_use() -> None:
    skill = make_skill()
    used = skill.model_copy(update={"uses": 9, "successes": 2})
    assert render(skill, "release", Redactor()) == render(used, "release", Redactor())


_TEXT = st.text(st.characters(blacklist_categories=("Cs",)), max_size=1500)


@settings(max_examples=150, deadline=None)
@given(name=_TEXT, description=_TEXT, trigger=_TEXT, steps=st.lists(_TEXT, max_size=4))
def test_any_skill_renders_to_a_valid_file_whose_description_round_trips(
    name: str, description: str, trigger: str, steps: list[str]
) -> None:
    skill = make_skill(name=name, description=description, trigger=trigger, steps=steps)
    chosen = base_name(skill)
    text = render(skill, chosen, lambda t: t)
    assert validate_skill_md(text) == []
    parts = split_frontmatter(text)
    assert parts is not None
    line = next(ln for ln in parts[0] if ln.startswith("description: "))
    decoded = json.loads(line.removeprefix("description: "))
    assert len(decoded) <= 1024 and decoded.strip()
