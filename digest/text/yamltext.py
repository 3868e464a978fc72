"""YAML loading that remembers where every key was written.

PyYAML alone gives values without positions; the composed node tree has them, so
errors about a field can point at its line. Dates are kept as strings: we parse
them ourselves in the site's timezone and report impossible ones with a line.

Front matter is whatever an author (or a pasted file) says, so loading is guarded:
libyaml recurses once per nesting level when composing (a few tens of thousands of
levels crash the process) and scans deep flow collections in quadratic time, and
aliases can make a small document expand without bound ("billion laughs"). Each of
these is refused with a line before it can cost more than a linear pass.
"""

from __future__ import annotations

import bisect
import contextlib
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from digest.errors import DigestError, Problem

_BaseLoader: type = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

MAX_DEPTH = 50
"""Collections inside collections, as the scanner counts them (a block sequence directly
under a mapping key adds a level it does not count, so values nest at most ~100 deep)."""
MAX_VALUES = 100_000
"""Values a document may expand to through its aliases."""
MAX_NUMBER_CHARS = 300

# What YAML 1.1 accepts in a stream; anything else (NUL, other C0 controls, lone
# surrogates, U+FFFE) would make the reader fail, or the C reader fail to encode it.
_NOT_PRINTABLE = re.compile(
    "[^\x09\x0a\x0d\x20-\x7e\x85\xa0-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]"
)
_OPENING = (
    yaml.BlockMappingStartToken,
    yaml.BlockSequenceStartToken,
    yaml.FlowMappingStartToken,
    yaml.FlowSequenceStartToken,
)
_CLOSING = (yaml.BlockEndToken, yaml.FlowMappingEndToken, yaml.FlowSequenceEndToken)
_CONVERSION_ERRORS = (ValueError, TypeError, LookupError, AttributeError, ArithmeticError)


class _Loader(_BaseLoader):
    """SafeLoader without the implicit timestamp type.

    An explicit tag (`!!int abc`, `!!timestamp 2026-13-45`, `!!bool maybe`) makes
    PyYAML's converters raise plain ValueError, KeyError, IndexError…; they become
    YAML errors at the value's line instead.
    """

    def construct_object(self, node: yaml.Node, deep: bool = False) -> Any:
        try:
            return super().construct_object(node, deep)
        except _CONVERSION_ERRORS as error:
            tag = node.tag.rsplit(":", 1)[-1]
            raise yaml.constructor.ConstructorError(
                None, None, f"this value cannot be read as {tag} ({error})", node.start_mark
            ) from None

    def construct_yaml_int(self, node: yaml.ScalarNode) -> int:
        """Numbers of sensible length only: `0x…` and `1:2:3…` (base 60) escape Python's
        limit on digits, and a long base-60 one takes quadratic time to compute."""
        if len(str(node.value)) > MAX_NUMBER_CHARS:
            raise yaml.constructor.ConstructorError(
                None, None, f"a number of more than {MAX_NUMBER_CHARS} digits", node.start_mark
            )
        return super().construct_yaml_int(node)


_Loader.add_constructor("tag:yaml.org,2002:int", _Loader.construct_yaml_int)
_Loader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}

KeyPath = tuple[str | int, ...]


@dataclass(frozen=True, slots=True)
class YamlDoc:
    """A loaded YAML document with the file line of each key."""

    data: Any
    lines: dict[KeyPath, int]
    path: Path
    first_line: int

    def line(self, *keys: str | int) -> int:
        """The line of the deepest known key along `keys` (the document start if none)."""
        for end in range(len(keys), 0, -1):
            if keys[:end] in self.lines:
                return self.lines[keys[:end]]
        return self.first_line


class _Lines:
    """File lines of character offsets. YAML also breaks lines at NEL, U+2028 and U+2029,
    which no editor does, so its own line numbers cannot be trusted; offsets can."""

    def __init__(self, text: str, first_line: int) -> None:
        self.breaks = [index for index, char in enumerate(text) if char == "\n"]
        self.first_line = first_line
        self.end = len(text) if text and not text.endswith("\n") else -1

    def at(self, offset: int) -> int:
        return self.first_line + bisect.bisect_left(self.breaks, offset)

    def of(self, mark: Any) -> int:
        return self.at(mark.index) if mark is not None else self.first_line

    def of_error(self, mark: Any) -> int:
        """An error at the end of the stream is on the line after the text, as libyaml
        says: for front matter, the closing '---' the document ran into."""
        if mark is not None and mark.index == self.end:
            return self.first_line + len(self.breaks) + 1
        return self.of(mark)


def load_yaml(text: str, path: Path, first_line: int = 1) -> YamlDoc:
    """Load one YAML document; `first_line` is the file line where `text` starts."""
    lines = _Lines(text, first_line)
    bad = _NOT_PRINTABLE.search(text)
    if bad:
        raise DigestError(
            Problem(
                path,
                lines.at(bad.start()),
                f"invalid YAML: the character U+{ord(bad.group()):04X} is not allowed in YAML "
                "(a control character or a broken one); delete it, it may be invisible",
            )
        )
    try:
        try:
            _check_depth(text, lines, path, _BaseLoader)
        except yaml.MarkedYAMLError:
            # libyaml (0.2.5 on) refuses 1,000 levels itself, in its own words, while
            # looking ahead for a key; the Python scanner has no such limit, so it
            # finds the depth at its real place. Any other mistake stays libyaml's.
            with contextlib.suppress(yaml.MarkedYAMLError):
                _check_depth(text, lines, path, yaml.SafeLoader)
            raise
        loader = _Loader(text)
        try:
            node = loader.get_single_node()
            line_of_key = _walk(node, lines, path) if node is not None else {}
            data = loader.construct_document(node) if node is not None else None
        finally:
            loader.dispose()
    except yaml.MarkedYAMLError as exc:
        what = exc.problem or exc.context or "invalid YAML"
        if not isinstance(exc, yaml.constructor.ConstructorError):  # the syntax, not a value
            what += "; check indentation, colons and quotes"
        raise DigestError(
            Problem(
                path, lines.of_error(exc.problem_mark or exc.context_mark), f"invalid YAML: {what}"
            )
        ) from None
    except yaml.YAMLError as exc:
        raise DigestError(Problem(path, first_line, f"invalid YAML: {exc}")) from None
    return YamlDoc(data, line_of_key, path, first_line)


def _check_depth(text: str, lines: _Lines, path: Path, scanner_class: type) -> None:
    """Refuse nesting deeper than MAX_DEPTH, scanning no further than where it starts.

    The scanner's cost per token grows with the flow depth and it looks ahead at
    most one line (1024 characters), so stopping at MAX_DEPTH keeps this linear.
    """
    scanner = scanner_class(text)
    depth = 0
    try:
        while scanner.check_token():
            token = scanner.get_token()
            if isinstance(token, _OPENING):
                depth += 1
                if depth > MAX_DEPTH:
                    raise DigestError(
                        Problem(
                            path,
                            lines.of(token.start_mark),
                            f"invalid YAML: lists and mappings nest more than {MAX_DEPTH} "
                            "levels deep here; front matter and site.yaml need only a few",
                        )
                    )
            elif isinstance(token, _CLOSING):
                depth -= 1
    finally:
        scanner.dispose()


def _walk(root: yaml.Node, lines: _Lines, path: Path) -> dict[KeyPath, int]:
    """The line of every key, without recursion; refuses recursive or exploding aliases.

    An alias makes one node a child of several parents (or of itself). Each node is
    entered once, so lines are recorded along its first path only, and the number of
    values the document expands to is counted per node from its children's counts.
    """
    line_of_key: dict[KeyPath, int] = {}
    problems: list[Problem] = []
    expanded: dict[int, int] = {}
    entered: set[int] = set()
    stack: list[tuple[yaml.Node, KeyPath, bool]] = [(root, (), False)]
    while stack:
        node, prefix, leaving = stack.pop()
        children = _children(node)
        if leaving:
            total = 1 + sum(expanded[id(child)] for _, child in children)
            if total > MAX_VALUES:
                raise DigestError(
                    Problem(
                        path,
                        lines.of(node.start_mark),
                        f"invalid YAML: the aliases (*name) here expand to more than "
                        f"{MAX_VALUES:,} values; write the values out instead",
                    )
                )
            expanded[id(node)] = total
            continue
        if id(node) in expanded:
            continue
        if id(node) in entered:
            raise DigestError(
                Problem(
                    path,
                    lines.of(node.start_mark),
                    "invalid YAML: an alias (*name) refers to the list or mapping it is in; "
                    "a value cannot contain itself",
                )
            )
        entered.add(id(node))
        stack.append((node, prefix, True))
        seen: set[str] = set()
        for key, child in children:
            if isinstance(key, yaml.Node):  # a mapping entry: `key` is the key's node
                name = _key_text(key)
                line = lines.of(key.start_mark)
                if name in seen:
                    problems.append(
                        Problem(path, line, f"'{name}' is given twice; keep one of them")
                    )
                seen.add(name)
                child_path: KeyPath = (*prefix, name)
            else:
                child_path = (*prefix, key)
                line = lines.of(child.start_mark)
            line_of_key.setdefault(child_path, line)
        # Reversed, so the first child is entered first and its lines win.
        stack.extend((child, (*prefix, _step(key)), False) for key, child in reversed(children))
    if problems:
        raise DigestError(sorted(problems, key=lambda problem: problem.line or 0))
    return line_of_key


def _children(node: yaml.Node) -> list[tuple[Any, yaml.Node]]:
    """(key node, value node) of a mapping, (index, item) of a sequence, () of a scalar."""
    if isinstance(node, yaml.MappingNode):
        return list(node.value)
    if isinstance(node, yaml.SequenceNode):
        return list(enumerate(node.value))
    return []


def _step(key: Any) -> str | int:
    """One step of a key path: a mapping key's text, or a sequence index."""
    return _key_text(key) if isinstance(key, yaml.Node) else key


def _key_text(node: yaml.Node) -> str:
    if isinstance(node, yaml.ScalarNode):
        return str(node.value)
    # The composer makes scalars, sequences and mappings only; each names its kind in `id`.
    assert isinstance(node, yaml.SequenceNode | yaml.MappingNode)
    return f"<{node.id}>"
