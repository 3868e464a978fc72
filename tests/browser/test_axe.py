"""axe-core on every kind of page, in light and dark mode: no accessibility violations.

axe-core (the npm package pinned in tests/tools) is injected into the real page after it
loads, so contrast is measured on the colours the reader sees, including the dark theme.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from external_tools import AXE_JS, npm_file

from .conftest import Scheme, Tab
from .served import KINDS, Served

# The rules axe runs by default: WCAG 2.x A and AA, plus its best practices.
AXE_RUN = "async () => await axe.run(document, { resultTypes: ['violations'] })"

# A page with known violations, to prove the check can fail: an image without alt text, a link
# without a name, and grey-on-white text far below the 4.5:1 contrast minimum.
BROKEN_PAGE = """<!doctype html><html lang="en"><head><title>broken</title></head><body><main>
<img src="data:image/gif;base64,R0lGODlhAQABAAAAACw="><a href="/x"></a>
<p style="color:#ccc;background:#fff">faint</p></main></body></html>"""


def violations(tab: Tab) -> list[dict[str, Any]]:
    """Run axe-core in the page that ``tab`` shows."""
    tab.page.add_script_tag(path=str(npm_file(AXE_JS)))
    result = tab.page.evaluate(AXE_RUN)
    return result["violations"]


def describe(found: list[dict[str, Any]]) -> str:
    """Violations as lines a person can act on: rule, impact, elements, what is wrong."""
    lines = []
    for violation in found:
        lines.append(
            f"- {violation['id']} ({violation['impact']}): {violation['help']} "
            f"[{violation['helpUrl'].split('?')[0]}]"
        )
        for node in violation["nodes"][:5]:
            target = " ".join(
                " > ".join(part) if isinstance(part, list) else part for part in node["target"]
            )
            summary = " ".join((node.get("failureSummary") or "").split())
            html = " ".join(node.get("html", "").split())
            lines.append(f"    {target}  {html[:120]}\n      {summary}")
        if len(violation["nodes"]) > 5:
            lines.append(f"    ... and {len(violation['nodes']) - 5} more elements")
    return "\n".join(lines)


@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize("kind", list(KINDS))
def test_no_accessibility_violations(
    kind: str, scheme: Scheme, site: Served, open_tab: Callable[..., Tab]
) -> None:
    relative = site.kind(kind)
    tab = open_tab(site, scheme=scheme)
    tab.visit(site.page_url(relative))
    if kind == "search":
        tab.page.wait_for_load_state("networkidle")  # axe the search UI, not its placeholder
    found = violations(tab)
    if found:
        pytest.fail(f"axe-core, {relative} in {scheme} mode:\n{describe(found)}", pytrace=False)


def test_axe_flags_a_broken_page(site: Served, open_tab: Callable[..., Tab]) -> None:
    tab = open_tab(site)
    tab.visit(site.url())
    tab.page.set_content(BROKEN_PAGE)
    found = {violation["id"] for violation in violations(tab)}
    assert {"image-alt", "link-name", "color-contrast"} <= found, found
