"""Where the test suite finds the tools it does not install itself, and what to do without them.

Locally a missing tool (Chromium, Java, the npm packages in ``tests/tools``) skips the tests that
need it, with the command that installs it. Under CI (``CI`` set) the same gap fails the test:
``.ci/run`` installs every tool, so a skip there would only hide a broken install step.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import NoReturn

import pytest

ROOT = Path(__file__).resolve().parents[1]
TOOLS = ROOT / "tests" / "tools"
NPM_HINT = "install it with: npm ci --prefix tests/tools"
CHROMIUM = Path("/usr/bin/chromium")
AXE_JS = TOOLS / "node_modules" / "axe-core" / "axe.min.js"
VNU_JAR = TOOLS / "node_modules" / "vnu-jar" / "build" / "dist" / "vnu.jar"
CHROMIUM_ARGS = [  # headless in a container, with no calls home
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def in_ci() -> bool:
    """True when the CI variable is set to anything but an explicit no."""
    return os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")


def missing_tool(reason: str) -> NoReturn:
    """Skip locally when a tool is absent, but fail under CI so it can never silently skip."""
    if in_ci():
        pytest.fail(f"{reason} (CI is set, so a missing tool is an error)", pytrace=False)
    pytest.skip(reason)


def npm_file(path: Path) -> Path:
    """A file from the npm packages of tests/tools, or skip/fail saying how to install it."""
    if not path.is_file():
        missing_tool(f"{path.relative_to(ROOT)} is missing; {NPM_HINT}")
    return path


def java() -> str:
    """The java executable, needed by the Nu HTML Checker."""
    found = shutil.which("java")
    if found is None:
        missing_tool(
            "java is not on PATH; install it with: apt-get install -y default-jre-headless"
        )
    return found


def chromium() -> Path:
    """Debian's Chromium, checked with Playwright, which drives it (Playwright's own
    browser download is never used); launch it with CHROMIUM_ARGS."""
    if not CHROMIUM.is_file():
        missing_tool(f"{CHROMIUM} is missing; install it with: apt-get install -y chromium")
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        missing_tool("Playwright is not installed; install it with: pip install -e '.[test]'")
    return CHROMIUM
