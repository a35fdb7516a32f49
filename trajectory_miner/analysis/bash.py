"""Shell text as simple commands: tree-sitter-bash's tree walked in order, or a light reading.

`read` walks the grammar's tree without recursion, so nesting depth costs no stack: every
simple command comes out in the order it is written, with the connector before it, its
redirections and where it runs; the commands in the body of `bash -c "…"` follow it, read
the same way (to a bounded depth). `read` returns None when the tree holds an error, and
`light_read` stands in: heredoc bodies cut out line by line, the rest split on connectors
outside quotes. Both are linear in their input; `commands` builds the model from them.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, NamedTuple

if TYPE_CHECKING:
    from tree_sitter import Node, Parser

    from trajectory_miner.analysis.commands import Simple

# (text, assignments, words as written, connector, redirections, context) -> Simple
Factory = Callable[[str, list[str], list[str], str, list[str], str], "Simple"]

SHELL_DEPTH = 3  # `bash -c` bodies read inside one another, at most
MAX_NESTING = 24  # words and substitutions entered inside one another, at most

_SIMPLE = frozenset(
    {"command", "declaration_command", "unset_command", "variable_assignment", "variable_assignments", "test_command"}
)
_STATEMENTS = _SIMPLE | frozenset(
    {
        *("program", "list", "pipeline", "redirected_statement", "subshell", "compound_statement", "if_statement"),
        *("elif_clause", "else_clause", "while_statement", "for_statement", "c_style_for_statement"),
        *("case_statement", "case_item", "function_definition", "negated_command", "do_group"),
    }
)
_SUBSTITUTIONS = frozenset({"command_substitution", "process_substitution"})
_REDIRECTS = frozenset({"file_redirect", "heredoc_redirect", "herestring_redirect"})
_OPERATORS = {"&&": "&&", "||": "||", "|": "|", "|&": "|", ";": ";", ";;": ";", ";&": ";", ";;&": ";", "&": "&"}
_RANK = {"": 0, "subshell": 1, "shell": 2, "substitution": 3}
_COMMAND_MARK = re.compile(rb"\$\(|`|[<>]\(")

_parser: Parser | None = None
_parser_lock = threading.Lock()  # one parser per process; a tree-sitter parser is not thread-safe


# tree-sitter-bash 0.25 reads the character after `{` (and after `{1..2`) with C's `isdigit`,
# which reads outside its table for characters past U+00FF and can crash the process. Such a
# character is shown to the grammar as as many `x` as its bytes: offsets and the shape of the
# tree stay the same, and the text is still read from the command itself.
_BRACE_HAZARD = re.compile(
    rb"(\{[0-9]*(?:\.\.[0-9]*)?)([\xc4-\xdf][\x80-\xbf]|[\xe0-\xef][\x80-\xbf]{2}|[\xf0-\xf7][\x80-\xbf]{3})"
)


def _defused(source: bytes) -> bytes:
    if b"{" not in source:
        return source
    return _BRACE_HAZARD.sub(lambda m: m.group(1) + b"x" * len(m.group(2)), source)


def _parse_tree(source: bytes) -> Node | None:
    global _parser
    with _parser_lock:
        if _parser is None:
            import tree_sitter
            import tree_sitter_bash

            _parser = tree_sitter.Parser(tree_sitter.Language(tree_sitter_bash.language()))
        root = _parser.parse(_defused(source)).root_node
    return None if root.has_error else root


# --- words ----------------------------------------------------------------------------------

_QUOTING = re.compile(r"""\$'((?:[^'\\]|\\.)*)'?|'([^']*)'?|"((?:[^"\\]|\\.)*)"?|\\(.)""", re.DOTALL)
_IN_DOUBLE = re.compile(r"""\\([\\"$`\n])""")
_ANSI = {"n": "\n", "t": "\t", "r": "\r", "\\": "\\", "'": "'", '"': '"', "e": "\x1b", "0": "\0"}


def _unquote_match(match: re.Match[str]) -> str:
    ansi, single, double, escaped = match.groups()
    if ansi is not None:
        return re.sub(r"\\(.)", lambda m: _ANSI.get(m.group(1), m.group(1)), ansi, flags=re.DOTALL)
    if single is not None:
        return single
    if double is not None:
        return _IN_DOUBLE.sub(lambda m: "" if m.group(1) == "\n" else m.group(1), double)
    return "" if escaped == "\n" else escaped


def unquote(word: str) -> str:
    """A shell word with its quoting removed (`"a b"`, `'c'`, `\\ `, `$'\\n'`); expansions stay as written."""
    if "'" not in word and '"' not in word and "\\" not in word:
        return word
    return _QUOTING.sub(_unquote_match, word)


_RAW_WORD = re.compile(r"""(?:[^\s'"\\]+|\\.|\$?'[^']*'?|"(?:[^"\\]|\\.)*"?)+""", re.DOTALL)


def split_words(text: str) -> list[str]:
    """The words of a piece of shell text as written, split on blanks outside quotes."""
    return _RAW_WORD.findall(text)


# --- the grammar's reading ------------------------------------------------------------------


class _Attach(NamedTuple):
    """Redirections of a statement, for the last simple command in it (`a && b > f` sends b's
    output to f, though the grammar hangs `> f` on the whole list)."""

    first: int  # where the statement's commands start among those found
    end: int
    context: str
    redirects: list[str]
    words: list[str]
    cut: int
    shown: list[str]


# (node, connector, context, statement?, nesting): statements emit commands, words only hold
# them; nesting counts the words and substitutions entered, to bound the work on deep input.
# An _Attach comes off the stack once the statement it belongs to has been read.
_Entry = tuple["Node | _Attach", str, str, bool, int]
# What a simple command was made from: (text, assignments, words, connector, redirects, context).
_Inputs = tuple[str, list[str], list[str], str, list[str], str]


class _Walk:
    """One walk over one tree, collecting simple commands and heredoc bodies."""

    def __init__(self, source: bytes, make: Factory, context: str, depth: int) -> None:
        self.source = source
        self.make = make
        self.depth = depth
        self.base = context
        self.found: list[Simple] = []
        # Where each command found lies and what it was made from; None for `bash -c` bodies.
        self.origins: list[tuple[int, int, _Inputs] | None] = []
        self.heredocs: list[str] = []
        self.stack: list[_Entry] = []
        self.level = 0

    def text(self, start: int, end: int) -> str:
        return self.source[start:end].decode("utf-8", "replace")

    def node_text(self, node: Node) -> str:
        return self.text(node.start_byte, node.end_byte)

    def holds_commands(self, node: Node) -> bool:
        return _COMMAND_MARK.search(self.source, node.start_byte, node.end_byte) is not None

    def run(self, root: Node) -> None:
        self.stack.append((root, "", self.base, True, 0))
        while self.stack:
            node, connector, context, statement, self.level = self.stack.pop()
            if isinstance(node, _Attach):
                self.apply(node)
                continue
            if self.level > MAX_NESTING:
                continue
            kind = node.type
            if kind in _SUBSTITUTIONS:
                self.container(node, "", _deeper(context, "substitution"), self.level + 1)
            elif not statement:
                if kind != "heredoc_body" and self.holds_commands(node):
                    self.push_all(node.children, context)
            elif kind in _SIMPLE:
                self.simple(node, connector, context)
            elif kind == "redirected_statement":
                self.redirected(node, connector, context)
            elif kind == "subshell":
                self.container(node, connector, _deeper(context, "subshell"), self.level)
            else:
                self.container(node, connector, context, self.level)

    def push_all(self, nodes: list[Node], context: str) -> None:
        for node in reversed(nodes):
            if node.is_named:
                self.stack.append((node, "", context, False, self.level + 1))

    def container(self, node: Node, connector: str, context: str, level: int) -> None:
        """Statements joined by operators and newlines: each gets the connector before it."""
        pushed: list[_Entry] = []
        pending: str | None = connector
        last_end = -1
        for child in node.children:
            if not child.is_named:
                op = _OPERATORS.get(child.type)
                if op is not None and (op != ";" or last_end >= 0):
                    pending = op
                continue
            if child.type in ("comment", "heredoc_body", "heredoc_start", "heredoc_end"):
                if child.type == "heredoc_body":
                    self.heredocs.append(self.node_text(child))
                continue
            if child.type in _STATEMENTS:
                if pending is None:
                    pending = "\n" if self.source.find(b"\n", last_end, child.start_byte) >= 0 else ";"
                pushed.append((child, pending, context, True, level))
                pending, last_end = None, child.end_byte
            else:
                pushed.append((child, "", context, False, level + 1))
        self.stack.extend(reversed(pushed))

    def redirected(self, node: Node, connector: str, context: str) -> None:
        body: Node | None = None
        redirects: list[str] = []
        words: list[str] = []
        extra_text: list[str] = []
        later: list[_Entry] = []
        cut = node.end_byte
        for child in node.children:
            if child.type in _REDIRECTS:
                if child.type == "heredoc_redirect" and cut == node.end_byte:
                    cut = child.start_byte
                self.redirect(child, context, redirects, words, later, extra_text if child.start_byte >= cut else None)
            elif child.is_named and child.type != "comment" and body is None:
                body = child
        if body is None:
            text = self.text(node.start_byte, cut).strip()
            self.emit(self.make(text, [], words, connector, redirects, context), None)
        else:
            first = min((c.start_byte for c in node.children if c.type in _REDIRECTS), default=cut)
            words = [*split_words(self.text(body.end_byte, first)), *words]
        self.stack.extend(reversed(later))
        if body is not None:
            attach = _Attach(len(self.found), body.end_byte, context, redirects, words, cut, extra_text)
            self.stack.append((attach, "", context, True, self.level))
            self.stack.append((body, connector, context, True, self.level))

    def apply(self, attach: _Attach) -> None:
        """Give a statement's redirections to the last simple command in it (the commands found
        since the statement began are its own)."""
        for pos in range(len(self.origins) - 1, attach.first - 1, -1):
            origin = self.origins[pos]
            if origin is None:
                continue
            start, end, (text, assignments, raw, connector, redirects, context) = origin
            if context == "substitution" and attach.context != "substitution":
                continue
            if end == attach.end:
                text = " ".join([self.text(start, attach.cut).strip(), *attach.shown])
            inputs = (text, assignments, [*raw, *attach.words], connector, [*redirects, *attach.redirects], context)
            self.found[pos] = self.make(*inputs)
            self.origins[pos] = (start, end, inputs)
            return

    def redirect(
        self,
        node: Node,
        context: str,
        redirects: list[str],
        words: list[str],
        later: list[_Entry],
        shown: list[str] | None,
    ) -> None:
        """Read one redirection: its text, the words the grammar hung on it, what it runs."""
        if node.type == "heredoc_redirect":
            self.heredoc(node, context, redirects, words, later, shown)
            return
        descriptor, operator, targets = "", "", []
        for child in node.children:
            if not child.is_named:
                operator = operator or child.type
            elif child.type == "file_descriptor":
                descriptor = self.node_text(child)
            else:
                targets.append(self.node_text(child))
                if self.holds_commands(child):
                    later.append((child, "", context, False, self.level + 1))
        target = unquote(targets[0]) if targets else ""
        redirects.append(f"{descriptor}{operator}{target}")
        words.extend(targets[1:])
        if shown is not None:
            shown.append(self.node_text(node))

    def heredoc(
        self,
        node: Node,
        context: str,
        redirects: list[str],
        words: list[str],
        later: list[_Entry],
        shown: list[str] | None,
    ) -> None:
        operator = "<<"
        pending: str | None = None
        for child in node.children:
            if not child.is_named:
                operator = child.type if child.type in ("<<", "<<-") else operator
                pending = _OPERATORS.get(child.type, pending)
            elif child.type == "heredoc_start":
                redirects.append(operator + unquote(self.node_text(child)))
            elif child.type == "heredoc_body":
                self.heredocs.append(self.node_text(child))
            elif child.type in _REDIRECTS:
                self.redirect(child, context, redirects, words, later, shown)
            elif child.type in _STATEMENTS:
                # The rest of the line after the heredoc's start (`| python3 -`, `&& echo ok`).
                later.append((child, pending or "", context, True, self.level))
                pending = None

    def simple(self, node: Node, connector: str, context: str) -> None:
        assignments: list[str] = []
        raw: list[str] = []
        redirects: list[str] = []
        later: list[_Entry] = []
        kind = node.type
        if kind in ("test_command", "variable_assignment"):
            if kind == "variable_assignment":
                assignments.append(unquote(self.node_text(node)))
            else:
                first, last = node.children[0], node.children[-1]
                raw = [first.type, *split_words(self.text(first.end_byte, last.start_byte)), last.type]
            if self.holds_commands(node):
                later.append((node, "", context, False, self.level + 1))
        for child in node.children if kind not in ("test_command", "variable_assignment") else ():
            if child.type == "variable_assignment" and not raw:
                assignments.append(unquote(self.node_text(child)))
            elif child.type in _REDIRECTS:
                self.redirect(child, context, redirects, raw, later, None)
                continue
            elif not child.is_named:
                if kind in ("declaration_command", "unset_command") and not raw:
                    raw.append(child.type)
                continue
            elif child.type == "comment":
                continue
            else:
                raw.append(self.node_text(child))
            if self.holds_commands(child):
                later.append((child, "", context, False, self.level + 1))
        inputs = (self.node_text(node), assignments, raw, connector, redirects, context)
        self.emit(self.make(*inputs), (node.start_byte, node.end_byte, inputs))
        self.stack.extend(reversed(later))

    def emit(self, simple: Simple, origin: tuple[int, int, _Inputs] | None) -> None:
        self.found.append(simple)
        self.origins.append(origin)
        body = simple.shell_body
        if body is None or self.depth >= SHELL_DEPTH:
            return
        inner = read(body, self.make, _deeper(simple.context, "shell"), self.depth + 1)
        if inner is None:
            inner = light_read(body, self.make, _deeper(simple.context, "shell"))
        self.found.extend(inner[0])
        self.origins.extend([None] * len(inner[0]))
        self.heredocs.extend(inner[1])


def _deeper(context: str, inner: str) -> str:
    return inner if _RANK[inner] > _RANK[context] else context


def read(text: str, make: Factory, context: str = "", depth: int = 0) -> tuple[list[Simple], list[str]] | None:
    """The simple commands and heredoc bodies of a command line by the grammar; None when the
    grammar finds an error in it."""
    source = text.encode("utf-8", "surrogatepass")
    root = _parse_tree(source)
    if root is None:
        return None
    walk = _Walk(source, make, context, depth)
    walk.run(root)
    return walk.found, walk.heredocs


# --- the light reading ----------------------------------------------------------------------

_HEREDOC_START = re.compile(r"(?<!<)<<(-?)\s*(?:'([^'\n]*)'|\"([^\"\n]*)\"|\\?([\w.-]+))")
_PIECE = re.compile(
    r"""\$?'[^']*'?|"(?:[^"\\]|\\.)*"?|\\.|[<>]&|&>>?|&&|\|\||\|&?|;;?|&|\n|[^'"\\<>&|;\n$]+|.""", re.DOTALL
)
_REDIRECT_WORD = re.compile(r"^(\d*|&)(>>|>\||>&|<&|<<<|<<-?|>|<)(.*)$", re.DOTALL)


def _cut_heredocs(text: str) -> tuple[str, list[str]]:
    """The text without its heredoc bodies, and the bodies."""
    if "<<" not in text:
        return text, []
    kept: list[str] = []
    bodies: list[str] = []
    waiting: list[tuple[str, bool]] = []
    body: list[str] = []
    for line in text.split("\n"):
        if waiting:
            delimiter, dash = waiting[0]
            if (line.lstrip("\t") if dash else line).rstrip() == delimiter:
                waiting.pop(0)
                bodies.append("\n".join(body))
                body = []
            else:
                body.append(line)
            continue
        kept.append(line)
        for match in _HEREDOC_START.finditer(line):
            delimiter = next(g for g in match.groups()[1:] if g is not None)
            waiting.append((delimiter, match.group(1) == "-"))
    if waiting:
        bodies.append("\n".join(body))
    return "\n".join(kept), bodies


def light_read(text: str, make: Factory, context: str = "") -> tuple[list[Simple], list[str]]:
    """The simple commands of a command line by splitting on connectors outside quotes."""
    body, heredocs = _cut_heredocs(text)
    found: list[Simple] = []
    piece: list[str] = []
    connector = ""
    for token in [*_PIECE.findall(body), ";"]:
        op = "\n" if token == "\n" else _OPERATORS.get(token)
        if op is None:
            piece.append(token)
            continue
        part = "".join(piece).replace("\\\n", " ").strip()
        piece = []
        if part:
            found.append(_light_simple(part, connector, make, context))
            connector = ""
        if found:
            connector = op if connector in ("", "\n") else connector
    return found, heredocs


def _light_simple(part: str, connector: str, make: Factory, context: str) -> Simple:
    words: list[str] = []
    redirects: list[str] = []
    raw = split_words(part)
    pos = 0
    while pos < len(raw):
        match = _REDIRECT_WORD.match(raw[pos]) if not raw[pos][:1].isalpha() else None
        if match:
            target = match.group(3)
            if not target and pos + 1 < len(raw):
                pos += 1
                target = raw[pos]
            redirects.append(match.group(1) + match.group(2) + unquote(target))
        else:
            words.append(raw[pos])
        pos += 1
    return make(part, [], words, connector, redirects, context)
