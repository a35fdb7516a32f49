"""The five questions put to every pattern, answered as far as the recorded data allows.

Each answer says what the data shows and points at the steps that show it. A question the
data cannot settle is answered `open`, for `/mine` to hand to Claude in the user's session.
"""

from __future__ import annotations

from collections import Counter

from trajectory_miner.mining.features import Failure, SessionFeatures
from trajectory_miner.mining.items import Answer, SelfQuestion, StepRef
from trajectory_miner.mining.patterns import Cluster, Population, step_ref

SYMPTOM = "Is it a symptom of an earlier failure rather than a root cause?"
CONTEXT = "Is missing context, rather than bad logic, behind it?"
FIX_LOCATION = "Does the fix lie in skill instructions (rather than code or architecture)?"
MODEL = "Would it disappear with another model?"
SIMPLER = "Is there a simpler explanation (compaction, truncated output, an API error just before)?"
QUESTIONS = (SYMPTOM, CONTEXT, FIX_LOCATION, MODEL, SIMPLER)

_MOSTLY = 0.6
_SOMETIMES = 0.2
_MAX_EVIDENCE = 5
_MIN_OTHER_MODEL_SESSIONS = 3
_CODE_KINDS = frozenset({"test_failure", "type_check", "build_error", "runtime_error", "syntax_error"})


def _share_answer(share: float) -> Answer:
    if share >= _MOSTLY:
        return "yes"
    return "partly" if share >= _SOMETIMES else "no"


def _refs(pairs: list[tuple[SessionFeatures, Failure]]) -> list[StepRef]:
    return [step_ref(f, sf.session_id) for sf, f in pairs[:_MAX_EVIDENCE]]


Places = dict[str, dict[tuple[int, int], Failure]]


def failure_at(sf: SessionFeatures, turn: int, step: int, places: Places) -> Failure | None:
    """The session's first failure at the turn and step; `places` keeps each session's lookup."""
    found = places.get(sf.session_id)
    if found is None:
        found = places[sf.session_id] = {}
        for failure in sf.failures:
            found.setdefault((failure.turn, failure.step), failure)
    return found.get((turn, step))


def symptom(cluster: Cluster, places: Places | None = None) -> SelfQuestion:
    """Did another failure come just before it in the same turn?"""
    places = {} if places is None else places
    preceded: list[tuple[SessionFeatures, Failure]] = []
    before: Counter[str] = Counter()
    for sf, failure in cluster.occurrences:
        if failure.preceded_by is None:
            continue
        turn, step = failure.preceded_by
        earlier = failure_at(sf, turn, step, places)
        if earlier is not None:
            preceded.append((sf, earlier))
            before[earlier.family] += 1
    total = len(cluster.occurrences)
    answer = _share_answer(len(preceded) / total)
    if preceded:
        common = before.most_common(1)[0][0]
        text = f"{len(preceded)} of {total} came after another failure in the turn, most often `{common}`."
    else:
        text = f"None of the {total} occurrences came after another failure in the same turn."
    return SelfQuestion(question=SYMPTOM, answer=answer, explanation=text, evidence=_refs(preceded))


def missing_context(cluster: Cluster) -> SelfQuestion:
    """Were the files the failing step named read before it failed?"""
    known = [(sf, f) for sf, f in cluster.occurrences if f.read_before is not None]
    if not known:
        text = "The failing steps name no files, so whether the right context was read cannot be told."
        return SelfQuestion(question=CONTEXT, answer="open", explanation=text)
    unread = [(sf, f) for sf, f in known if not f.read_before]
    text = f"In {len(unread)} of {len(known)} occurrences the files the step named had not been read first."
    answer = _share_answer(len(unread) / len(known))
    return SelfQuestion(question=CONTEXT, answer=answer, explanation=text, evidence=_refs(unread))


def fix_location(cluster: Cluster, kinds: list[str], fixes: int, skill_ids: list[str]) -> SelfQuestion:
    """Did other sessions get past it with a procedure, or does it point at the code?"""
    if fixes:
        named = f" (skill {', '.join(skill_ids)})" if skill_ids else ""
        text = f"{fixes} session(s) got past it with a procedure{named}; teaching that procedure is the fix."
        return SelfQuestion(question=FIX_LOCATION, answer="yes", explanation=text)
    if kinds[:1] == ["retry_loop"]:
        text = "Re-running a failing action unchanged is a habit: instructions should say to change something first."
        return SelfQuestion(question=FIX_LOCATION, answer="yes", explanation=text)
    events = sum(1 for _, f in cluster.occurrences if f.context_event)
    if events * 2 >= len(cluster.occurrences):
        text = "It mostly follows compaction, API errors or truncated output: fix how context is handled."
        return SelfQuestion(question=FIX_LOCATION, answer="no", explanation=text)
    if kinds and kinds[0] in _CODE_KINDS:
        text = f"It is a `{kinds[0]}` that no session got past with a procedure: it points at the code."
        return SelfQuestion(question=FIX_LOCATION, answer="no", explanation=text)
    text = "No session got past it, and its type does not say where the fix lies."
    return SelfQuestion(question=FIX_LOCATION, answer="open", explanation=text)


def model_dependence(cluster: Cluster, population: Population) -> SelfQuestion:
    """Does it occur across the models recorded, and not with models that were also used?"""
    members = {sf.session_id: sf for sf, _ in cluster.occurrences}
    seen = Counter(m for sf in members.values() for m in sf.models)
    if not seen:
        return SelfQuestion(question=MODEL, answer="open", explanation="The sessions record no model.")
    if len(seen) >= 2:
        names = ", ".join(m for m, _ in seen.most_common(4))
        return SelfQuestion(question=MODEL, answer="no", explanation=f"It occurs with several models: {names}.")
    model = next(iter(seen))
    # Every member that records a model records this one, so the others are the rest of those.
    others = population.with_models - population.per_model[model]
    if others < _MIN_OTHER_MODEL_SESSIONS:
        text = f"It was seen only with {model}, and too few sessions used another model to compare."
        return SelfQuestion(question=MODEL, answer="open", explanation=text)
    text = f"It was seen only with {model}; none of {others} sessions with other models hit it."
    return SelfQuestion(question=MODEL, answer="partly", explanation=text)


def simpler_explanation(cluster: Cluster) -> SelfQuestion:
    """Did a compaction, an API error or a truncated output come just before it?"""
    hit = [(sf, f) for sf, f in cluster.occurrences if f.context_event]
    total = len(cluster.occurrences)
    if not hit:
        text = f"No compaction, API error or truncated output came shortly before any of the {total}."
        return SelfQuestion(question=SIMPLER, answer="no", explanation=text)
    kinds = Counter(f.context_event for _, f in hit)
    named = ", ".join(f"{k} ({v})" for k, v in kinds.most_common())
    text = f"{len(hit)} of {total} occurrences came shortly after: {named}."
    answer: Answer = "yes" if len(hit) * 2 >= total else "partly"
    return SelfQuestion(question=SIMPLER, answer=answer, explanation=text, evidence=_refs(hit))


def ask(
    cluster: Cluster,
    population: Population,
    kinds: list[str],
    fixes: int,
    skill_ids: list[str],
    places: Places | None = None,
) -> list[SelfQuestion]:
    """The five answers for one pattern, in the design's order (`places`: see `failure_at`)."""
    return [
        symptom(cluster, places),
        missing_context(cluster),
        fix_location(cluster, kinds, fixes, skill_ids),
        model_dependence(cluster, population),
        simpler_explanation(cluster),
    ]
