"""YAML loading that remembers where every key was written.

PyYAML alone gives values without positions; the composed node tree has them, so
errors about a field can point at its line. Dates are kept as strings: we parse
them ourselves in the site's timezone and report impossible ones with a line.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from digest.errors import DigestError, Problem

_BaseLoader: type = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _Loader(_BaseLoader):  # type: ignore[misc, valid-type]
    """SafeLoader without the implicit timestamp type."""


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


def load_yaml(text: str, path: Path, first_line: int = 1) -> YamlDoc:
    """Load one YAML document; `first_line` is the file line where `text` starts."""
    loader = _Loader(text)
    try:
        node = loader.get_single_node()
        data = loader.construct_document(node) if node is not None else None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = first_line + mark.line if mark is not None else first_line
        what = exc.problem or exc.context or "invalid YAML"
        raise DigestError(
            Problem(path, line, f"invalid YAML: {what}; check indentation, colons and quotes")
        ) from None
    except yaml.YAMLError as exc:
        raise DigestError(Problem(path, first_line, f"invalid YAML: {exc}")) from None
    finally:
        loader.dispose()
    lines: dict[KeyPath, int] = {}
    problems: list[Problem] = []
    if node is not None:
        _collect_lines(node, (), first_line, lines, problems, path)
    if problems:
        raise DigestError(problems)
    return YamlDoc(data, lines, path, first_line)


def _collect_lines(
    node: yaml.Node,
    prefix: KeyPath,
    first_line: int,
    lines: dict[KeyPath, int],
    problems: list[Problem],
    path: Path,
) -> None:
    if isinstance(node, yaml.MappingNode):
        seen: set[str] = set()
        for key_node, value_node in node.value:
            key = str(key_node.value)
            line = first_line + key_node.start_mark.line
            if key in seen:
                problems.append(Problem(path, line, f"'{key}' is given twice; keep one of them"))
            seen.add(key)
            lines[(*prefix, key)] = line
            _collect_lines(value_node, (*prefix, key), first_line, lines, problems, path)
    elif isinstance(node, yaml.SequenceNode):
        for index, child in enumerate(node.value):
            lines[(*prefix, index)] = first_line + child.start_mark.line
            _collect_lines(child, (*prefix, index), first_line, lines, problems, path)
