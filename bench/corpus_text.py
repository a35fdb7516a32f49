"""The text of the synthetic corpus: what its sessions say and what their commands print.

Word lists and line templates for code, logs, prose and user prompts, drawn from fixed pools so
that generation stays fast; the stacks projects are built on; the error families, each a command,
an exit code and output whose wording stays stable while names and numbers vary; and the fixed
messages Claude Code writes (a rejected tool use, a compaction summary, a local-command caveat).
Every pool is built from its own seed, so importing this module draws nothing from a session's
random stream.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

# --- What sessions talk about ----------------------------------------------------------------------

WORDS: tuple[str, ...] = (
    "user",
    "order",
    "invoice",
    "cache",
    "config",
    "parser",
    "token",
    "session",
    "report",
    "payment",
)
WORDS += ("account", "client", "worker", "queue", "schema", "router", "handler", "metric", "event", "retry")
WORDS += ("batch", "export", "index", "search", "profile", "webhook", "ledger", "refund", "limit", "tenant")
CODE = {
    "python": """\
def {a}_{b}(self, {c}: {A}) -> {B} | None:
    return self._{a}.get({c}, {N})
from {a}.{b} import {A}, {B}
class {A}{B}({A}Base):
    \"\"\"Return the {a} for {b}.\"\"\"
    if not {a}_{b}:
        raise ValueError(f"unknown {a}: {{{b}!r}}")
    for {a} in self.{b}s:
        {a}_{b}[{c}.id] = {c}
@pytest.mark.parametrize("{a}", [{N}, {M}])
def test_{a}_{b}_{c}({a}: {A}) -> None:
    assert {a}.{b}({c}) == {N}

    # {a} {b} {c}
    {a} = await self.{b}.fetch_{c}(timeout={N})""",
    "ts": """\
export function {a}{B}({c}: {A}): {B} {{
  return {c}.{a}.map((x) => x.{b});
}}
import {{ {A}, {B} }} from './{a}/{b}';
export interface {A}{B} {{
  {a}: {A};
  {b}?: number;
const {a}{B} = await fetch{A}({c}, {{ retries: {N} }});
describe('{A}', () => {{
  it('{b}s the {c}', async () => {{
    expect({a}.{b}).toBe({N});

  if (!{a}) throw new Error(`missing {b}: ${{{c}}}`);""",
    "rust": """\
pub fn {a}_{b}(&self, {c}: &{A}) -> Result<{B}, Error> {{
    let {a} = self.{b}.get(&{c})?;
}}
use crate::{a}::{{{A}, {B}}};
#[derive(Debug, Clone, PartialEq)]
pub struct {A}{B} {{
    pub {a}: Vec<{A}>,
    fn {a}_{b}() {{
        assert_eq!({a}.{b}(), {N});

    Ok({A}::new({c}, {N}))""",
    "go": """\
func (s *{A}) {B}{A}(ctx context.Context, {c} string) (*{B}, error) {{
\treturn s.{a}.Get({c})
}}
import "example.com/{a}/{b}"
type {A}{B} struct {{
\tif err != nil {{
\t\treturn nil, fmt.Errorf("{a} {b}: %w", err)
func Test{A}{B}(t *testing.T) {{

\tfor _, {a} := range s.{b}s {{""",
    "log": """\
npm http fetch GET 200 https://registry.npmjs.org/{a}-{b} {N}ms (cache revalidated)
  Downloading {a}_{b}-1.{N}.{M}-py3-none-any.whl ({N} kB)
[INFO] {a}.{b}: processed {N} records in {M}ms
   Compiling {a}-{b} v0.{N}.{M}
[DEBUG] {A}{B} cache miss for key {a}:{b}:{N}
WARN deprecated {a}-{b}@{N}.0.{M}: use @{a}/{b} instead""",
}
PROSE = """\
I'll look at how {a} {b}s are handled in the {c} module.
The {a} is built before the {b} is validated.
That explains why the {a} {b} comes back empty.
Let me check the {a} handler first.
The {A}{B} type is used in {N} places.
Next I'll update the {a} path and rerun the checks.
The fix belongs in the {a} layer, not in the {b} client.
This keeps the {a} {b} stable across retries.
I'm going to read the tests for {a} {b}s before changing anything.
The {c} config sets a limit of {N}.
Good, the {a} {b} now round-trips.
I need to see where {a} is created."""
PROMPTS = """\
The tests in {f} started failing after I bumped {a}. Can you fix them?
Add a {a} {b} endpoint and cover it with tests.
Refactor the {a} module so {b} handling lives in one place.
Why does `{t}` fail? It passed yesterday.
Can you make the {a} {b} retry on timeouts?
Please review {f} and clean up the {a} logic.
CI is red on {a}, here is the log:{log}"""


def fill(rng: random.Random, template: str, **extra: str) -> str:
    a, b, c = rng.choice(WORDS), rng.choice(WORDS), rng.choice(WORDS)
    n, m = rng.randint(1, 400), rng.randint(1, 400)
    return template.format(a=a, b=b, c=c, A=a.title(), B=b.title(), N=n, M=m, **extra)


def _pool(templates: str, size: int, seed: str) -> tuple[str, ...]:
    rng, lines = random.Random(seed), templates.split("\n")
    return tuple(fill(rng, rng.choice(lines)) for _ in range(size))


# Fixed pools: text is drawn line by line from them, which keeps generation fast.
CODE_POOL = {lang: _pool(t, 600, "code/" + lang) for lang, t in CODE.items()}
_PROSE_POOL = _pool(PROSE, 400, "prose")


def code_lines(rng: random.Random, lang: str, n: int) -> str:
    return "\n".join(rng.choices(CODE_POOL[lang], k=n))


def prose(rng: random.Random, n: int) -> str:
    return " ".join(rng.choices(_PROSE_POOL, k=n))


@dataclass(frozen=True)
class Stack:
    """A project's language, files, test command and the error families it tends to hit."""

    lang: str
    ext: str
    test_cmd: str
    files: tuple[str, ...]
    families: tuple[str, ...]


STACKS = (
    Stack(
        "python",
        "py",
        "python -m pytest -q",
        (
            "src/app/models.py",
            "src/app/service.py",
            "src/app/api.py",
            "tests/test_service.py",
            "pyproject.toml",
        ),
        (
            "py-module-not-found",
            "py-assertion",
            "py-attribute-none",
            "command-not-found",
            "git-push-rejected",
        ),
    ),
    Stack(
        "ts",
        "ts",
        "npm test",
        (
            "src/index.ts",
            "src/api/client.ts",
            "src/components/Table.tsx",
            "src/api/client.test.ts",
            "package.json",
        ),
        ("ts-type-error", "ts-jest-fail", "node-undefined-map", "npm-missing-script", "command-not-found"),
    ),
    Stack(
        "rust",
        "rs",
        "cargo test",
        ("src/lib.rs", "src/parser.rs", "src/store.rs", "tests/integration.rs", "Cargo.toml"),
        ("rust-borrow", "rust-test-panic", "command-not-found"),
    ),
    Stack(
        "go",
        "go",
        "go test ./...",
        ("main.go", "internal/store/store.go", "internal/api/handler.go", "internal/api/handler_test.go"),
        ("go-undefined", "go-test-fail", "command-not-found", "git-push-rejected"),
    ),
)

_PYTEST = """\
============================= test session starts ==============================
platform linux -- Python 3.12.3, pytest-8.3.4, pluggy-1.5.0
rootdir: {cwd}
"""
# Error families: "## name | command | exit code", then the output. Wording is stable; names and
# numbers vary, as they do between real occurrences.
_FAMILY_SPEC = """\
## py-module-not-found | python -m pytest -q | 2
{pytest}collected 0 items / 1 error

==================================== ERRORS ====================================
_____________________ ERROR collecting tests/test_{a}.py ______________________
ImportError while importing test module '{cwd}/tests/test_{a}.py'.
Traceback:
tests/test_{a}.py:3: in <module>
    from app.{a} import {A}
src/app/{a}.py:5: in <module>
    import {mod}
E   ModuleNotFoundError: No module named '{mod}'
=========================== short test summary info ============================
ERROR tests/test_{a}.py
!!!!!!!!!!!!!!!!!!!! Interrupted: 1 error during collection !!!!!!!!!!!!!!!!!!!!
1 error in 0.{N}s
## py-assertion | python -m pytest -q | 1
{pytest}collected {N} items

tests/test_{a}.py ..F.. [100%]

=================================== FAILURES ===================================
    def test_{a}_{b}():
>       assert {a}.{b}() == {N}
E       AssertionError: assert {M} == {N}

tests/test_{a}.py:{M}: AssertionError
FAILED tests/test_{a}.py::test_{a}_{b} - AssertionError: assert {M} == {N}
1 failed, {N} passed in 0.{M}s
## py-attribute-none | python -m pytest -q | 1
{pytest}collected {N} items

    def {a}_{b}(self):
>       return self.{c}.get('{a}')
E       AttributeError: 'NoneType' object has no attribute 'get'

src/app/{a}.py:{N}: AttributeError
FAILED tests/test_{a}.py::test_{b} - AttributeError: 'NoneType' object has no attribute 'get'
1 failed in 0.{M}s
## ts-type-error | npx tsc --noEmit | 2
src/{a}/{b}.ts({N},{M}): error TS2339: Property '{c}' does not exist on type '{A}{B}'.
src/{a}/index.ts({M},5): error TS2345: Argument of type 'string' is not assignable to type 'number'.

Found 2 errors in 2 files.
## ts-jest-fail | npm test | 1
> jest

FAIL src/{a}/{b}.test.ts
  ● {A} › {b}s the {c}

    expect(received).toBe(expected) // Object.is equality

    Expected: {N}
    Received: {M}

      at Object.<anonymous> (src/{a}/{b}.test.ts:{N}:{M})

Test Suites: 1 failed, 3 passed, 4 total
Tests:       1 failed, {N} passed, {N} total
## node-undefined-map | node dist/index.js | 1
file://{cwd}/dist/{a}.js:{N}
    return {a}.items.map((x) => x.{b});
                     ^

TypeError: Cannot read properties of undefined (reading 'map')
    at {A}.render (file://{cwd}/dist/{a}.js:{N}:{M})
    at process.processTicksAndRejections (node:internal/process/task_queues:105:5)

Node.js v22.11.0
## npm-missing-script | npm run test:unit | 1
npm error Missing script: "test:unit"
npm error
npm error To see a list of scripts, run:
npm error   npm run
npm error A complete log of this run can be found in: /home/dev/.npm/_logs/2026-04-01T10_{M}-debug-0.log
## rust-borrow | cargo test | 101
   Compiling {a}-{b} v0.1.0 ({cwd})
error[E0382]: borrow of moved value: `{a}`
  --> src/{b}.rs:{N}:{M}
   |
{N} |     let {c} = {a};
   |               - value moved here
{M} |     println!("{{:?}}", {a}.{b});
   |                     ^^^^^ value borrowed here after move

error: could not compile `{a}-{b}` (lib) due to 1 previous error
## rust-test-panic | cargo test | 101
running {N} tests
test {a}::tests::{b}_{c} ... FAILED

failures:

---- {a}::tests::{b}_{c} stdout ----
thread '{a}::tests::{b}_{c}' panicked at src/{a}.rs:{N}:{M}:
assertion `left == right` failed
  left: {M}
 right: {N}

test result: FAILED. {N} passed; 1 failed; 0 ignored; 0 measured; 0 filtered out; finished in 0.0{M}s
## go-undefined | go build ./... | 1
# example.com/{a}/internal/{b}
internal/{b}/{c}.go:{N}:{M}: undefined: {A}{B}
internal/{b}/{c}.go:{M}:2: undefined: {a}Client
## go-test-fail | go test ./... | 1
--- FAIL: Test{A}{B} (0.00s)
    {b}_test.go:{N}: got {M}, want {N}
FAIL
FAIL\texample.com/{a}/internal/{b}\t0.0{M}s
ok  \texample.com/{a}/internal/store\t0.0{N}s
FAIL
## command-not-found | {tool} run check | 127
/bin/bash: line 1: {tool}: command not found
## git-push-rejected | git push origin HEAD | 1
To github.com:acme/{a}-{b}.git
 ! [rejected]        HEAD -> main (fetch first)
error: failed to push some refs to 'github.com:acme/{a}-{b}.git'
hint: Updates were rejected because the remote contains work that you do not
hint: have locally. Integrate the remote changes (e.g.
hint: 'git pull ...') before pushing again."""


def _families(spec: str) -> dict[str, tuple[str, int, str]]:
    out = {}
    for chunk in spec.split("## ")[1:]:
        head, _, body = chunk.partition("\n")
        name, command, code = (part.strip() for part in head.split("|"))
        out[name] = (command, int(code), body.rstrip("\n").replace("{pytest}", _PYTEST))
    return out


FAMILIES = _families(_FAMILY_SPEC)
MODULES = ("pydantic_settings", "httpx", "yaml", "dateutil")
TOOLS = ("poetry", "pnpm", "cargo-nextest", "golangci-lint", "uv")


def pass_output(rng: random.Random, stack: Stack, cwd: str) -> str:
    n, words = rng.randint(5, 400), rng.sample(WORDS, 5)
    if stack.lang == "python":
        dots = "\n".join(f"tests/test_{w}.py {'.' * rng.randint(3, 40)}" for w in words)
        return _PYTEST.format(cwd=cwd) + f"collected {n} items\n\n{dots}\n\n{n} passed in 1.{n}s"
    if stack.lang == "ts":
        suites = "\n".join(f"PASS src/{w}.test.ts" for w in words)
        return f"> jest\n\n{suites}\n\nTest Suites: 5 passed, 5 total\nTests:       {n} passed, {n} total"
    if stack.lang == "rust":
        tests = "\n".join(f"test {w}::tests::works ... ok" for w in words)
        return f"running {n} tests\n{tests}\n\ntest result: ok. {n} passed; 0 failed; 0 ignored"
    return "\n".join(f"ok  \texample.com/app/internal/{w}\t0.0{rng.randint(10, 99)}s" for w in words)


# --- What Claude Code writes itself ----------------------------------------------------------------

REJECTED = (
    "The user doesn't want to proceed with this tool use. The tool use was rejected (eg. if it was a "
    "file edit, the new_string was NOT written to the file). STOP what you are doing and wait for the "
    "user to tell you how to proceed."
)
CAVEAT = (
    "<local-command-caveat>Caveat: The messages below were generated by the user while running local "
    "commands. DO NOT respond to these messages or otherwise consider them in your response unless the "
    "user explicitly asks you to.</local-command-caveat>"
)
COMPACT_SUMMARY = (
    "This session is being continued from a previous conversation that ran out of context. "
    "The summary below covers the earlier portion of the conversation.\n\nSummary:\n"
)
# Entry types a reader does not know yet, as a newer Claude Code version may add them.
UNKNOWN_TYPES = ("tools-used", "cost-state", "atis-latch", "workspace-trust", "x-session-marker")
