"""The package's layout is its architecture: each stage imports only from itself and the
stages before it, so the pipeline can be read in order and no stage reaches ahead."""

from __future__ import annotations

import ast
from pathlib import Path

import digest

PACKAGE = Path(digest.__file__).parent

LAYERS: list[tuple[str, ...]] = [
    (
        "digest.errors",
        "digest.model",
        "digest.progress",
        "digest.memory",
        "digest.theme",
        "digest.files",
    ),
    ("digest.text",),
    ("digest.config", "digest.lock"),
    ("digest.content",),
    ("digest.site",),
    ("digest.search",),
    ("digest.build",),
    ("digest.serve",),
    ("digest.authoring", "digest.export"),
    ("digest.cli", "digest.__main__"),
]
"""Lowest first: a module may import from its own layer and the layers above it here."""


def layer(module: str) -> int:
    for index, names in enumerate(LAYERS):
        if any(module == name or module.startswith(name + ".") for name in names):
            return index
    raise AssertionError(f"{module} belongs to no layer: add it to LAYERS")


def modules() -> dict[str, Path]:
    found = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        found[name] = path
    return found


def imports(path: Path) -> set[str]:
    """Every digest module `path` imports, at the top or inside a function."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
            found |= {f"{node.module}.{alias.name}" for alias in node.names}
    known = modules()
    return {name for name in found if name in known and name != "digest"}


def test_every_module_has_a_layer() -> None:
    for name in modules():
        if name != "digest":
            layer(name)


def test_no_module_imports_from_a_later_stage() -> None:
    wrong = [
        f"{name} imports {target}"
        for name, path in modules().items()
        if name != "digest"
        for target in sorted(imports(path))
        if layer(target) > layer(name)
    ]
    assert wrong == []


def test_the_check_finds_an_import_against_the_stages(tmp_path: Path) -> None:
    source = tmp_path / "module.py"
    source.write_text("def later():\n    from digest.build.pipeline import build\n")
    assert layer("digest.content.body") < max(layer(name) for name in imports(source))
