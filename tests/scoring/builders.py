"""Small sessions written inline, and helpers to read a card's evidence."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from trajectory_miner.analysis.signatures import error_signature
from trajectory_miner.model import Event, Session, Step, Turn
from trajectory_miner.scoring.card import Evidence, Scorecard

TRANSCRIPTS = Path(__file__).resolve().parents[1] / "fixtures" / "transcripts"


def evidence(scorecard: Scorecard, dimension: str, *, moving: bool = True) -> list[Evidence]:
    """The evidence of one dimension (only the items that moved the score, unless told)."""
    items = scorecard.dimensions[dimension].evidence
    return [e for e in items if e.effect] if moving else list(items)


def steps_of(items: list[Evidence]) -> list[int | None]:
    return [e.step_index for e in items]


# --- building sessions inline -------------------------------------------------------------


def bash(command: str, output: str = "", code: int = 0, turn: int = 0) -> Step:
    """A Bash step as the parser stores it: a failure carries `Exit code N` and a signature."""
    text = f"Exit code {code}\n{output}" if code else output
    return _step("Bash", {"command": command}, text, bool(code), turn, exit_code=code)


def tool(name: str, turn: int = 0, result: str = "", error: bool = False, **tool_input: Any) -> Step:
    """Any other tool call; file tools name their file with `file_path`."""
    return _step(name, tool_input, result, error, turn)


def _step(
    name: str, tool_input: dict[str, Any], text: str, error: bool, turn: int, exit_code: int | None = None
) -> Step:
    path = tool_input.get("file_path")
    return Step(
        session_id="s",
        tool_use_id="",
        step_index=-1,
        turn_index=turn,
        tool_name=name,
        input=tool_input,
        summary=str(tool_input.get("command") or path or tool_input.get("pattern") or name),
        has_result=True,
        result_text=text,
        result_size=len(text),
        is_error=error,
        error_signature=error_signature(name, text) if error else None,
        exit_code=exit_code if name == "Bash" else None,
        files=[path] if isinstance(path, str) else [],
    )


def session(
    *steps: Step,
    prompts: tuple[str, ...] = ("Fix it.",),
    events: tuple[Event, ...] = (),
    final: str = "Done.",
    sidechain: bool = False,
) -> Session:
    """A session of the given steps (numbered in order) over one turn per prompt."""
    turns = [
        Turn(
            session_id="s",
            turn_index=i,
            uuid=f"t{i}",
            prompt=text,
            final_text=final if i == len(prompts) - 1 else "",
        )
        for i, text in enumerate(prompts)
    ]
    for index, step in enumerate(steps):
        step.step_index = index
        step.tool_use_id = f"toolu_{index}"
        turns[step.turn_index].steps.append(step)
    return Session(
        session_id="s",
        cwd="/work/demo",
        is_sidechain=sidechain,
        turns=turns,
        events=list(events),
        n_steps=len(steps),
    )


def event(kind: str, turn: int = 0, step: int = -1, detail: str = "") -> Event:
    return Event(
        session_id="s",
        uuid=f"{kind}-{turn}-{step}",
        kind=kind,
        turn_index=turn,
        step_index=step,
        detail=detail,
    )  # type: ignore[arg-type]
