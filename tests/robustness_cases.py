"""Pathological issue files, and a runner that measures what each one costs.

The robustness tests run every case in a process of its own, under a memory limit and
a timeout, so a hang or a blow-up fails a test instead of taking the machine down:

    python tests/robustness_cases.py build SITE_DIR     # digest build, then its cost
    python tests/robustness_cases.py parse ISSUE_FILE   # parse one issue, then its cost
    python tests/robustness_cases.py measure [CASE...]  # the table in docs/robustness.md

`build` and `parse` print their cost as a last stderr line `cost: {"seconds": …,
"peak_mb": …}` (peak resident memory, worker processes included).
"""

from __future__ import annotations

import json
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

MEMORY_LIMIT = 2 * 1024**3
"""Address space a case may use (RLIMIT_AS): a blow-up ends in MemoryError, not swap."""
ISSUE_NAME = "1-pathological.md"
SITE_YAML = "title: Robustness\nbase_url: https://example.org/\n"
HEAD = "---\ntitle: Pathological\ndate: 2026-01-05\nnumber: 1\n---\nIntro.\n\n## News\n\n"
"""Front matter and a section; a case's own Markdown starts on line 10."""
TAIL = "\n\n## Tools\n\n- [kept](https://example.org/kept) — after the hostile part\n"


def _laughs() -> str:
    lines = ["l0: &l0 [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]"]
    lines += [f"l{i}: &l{i} [{', '.join([f'*l{i - 1}'] * 10)}]" for i in range(1, 10)]
    return "---\ntitle: Laughs\ndate: 2026-01-05\nextra_data:\n" + "".join(
        f"  {line}\n" for line in lines
    )


CASES: dict[str, Callable[[], str]] = {
    "quotes-50000": lambda: HEAD + ">" * 50_000 + " deep" + TAIL,
    "lists-50000": lambda: HEAD + "- " * 50_000 + "deep" + TAIL,
    "lists-indented-1400": lambda: (
        HEAD + "".join("  " * level + "- level\n" for level in range(1_400)) + TAIL
    ),
    "emphasis-100000": lambda: HEAD + "*a **b " * 100_000 + TAIL,
    "issue-10mb": lambda: (
        HEAD
        + "".join(
            f"### [Item {i}](https://example.org/{i})\n\n{'Words of a summary, and more. ' * 8}\n\n"
            for i in range(37_000)
        )
    ),
    "line-1mb": lambda: HEAD + "- [long](https://example.org/long) " + "a" * 1_000_000 + TAIL,
    "items-100000": lambda: HEAD + "".join(f"- [{i}](/{i})\n" for i in range(100_000)),
    "markdown-worst-2mb": lambda: HEAD + "![" * 1_040_000,
    "yaml-flow-1000000": lambda: "---\ntitle: T\ntags: " + "[" * 1_000_000 + "\n---\n",
    "yaml-block-100000": lambda: "---\ntitle: T\ntags:\n  " + "- " * 100_000 + "x\n---\n",
    "yaml-billion-laughs": lambda: _laughs() + "---\n",
}


def write_site(case: str, folder: Path) -> Path:
    """The case as the only issue of a site in `folder`; returns the issue file."""
    issue = folder / "content" / "issues" / ISSUE_NAME
    issue.parent.mkdir(parents=True, exist_ok=True)
    (folder / "site.yaml").write_text(SITE_YAML, encoding="utf-8")
    issue.write_text(CASES[case](), encoding="utf-8")
    return issue


def limit_memory() -> None:
    """preexec_fn for a case's process."""
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT, MEMORY_LIMIT))


def run_isolated(
    mode: str, target: Path, timeout: float, cwd: Path | None = None
) -> subprocess.CompletedProcess[str]:
    """`mode` ('build' or 'parse') on `target` in a limited process of its own."""
    return subprocess.run(
        [sys.executable, __file__, mode, str(target)],
        capture_output=True,
        text=True,
        timeout=timeout,
        preexec_fn=limit_memory,
        cwd=cwd,
    )


def cost_of(result: subprocess.CompletedProcess[str]) -> dict[str, float]:
    line = result.stderr.rstrip().rpartition("\n")[2]
    return json.loads(line.removeprefix("cost: ")) if line.startswith("cost: ") else {}


def _build(site: Path) -> int:
    from digest.cli import main

    return main(["build", "--site", str(site), "--quiet"])


def _parse(issue: Path) -> int:
    from digest.config import load_config
    from digest.content.markdown import make_markdown
    from digest.content.parse import parse_issue, read_issue
    from digest.errors import DigestError

    config = load_config(issue.parents[2])
    try:
        parsed = parse_issue(read_issue(issue), issue, config, make_markdown(config.markdown))
    except DigestError as error:
        for problem in error.problems:
            print(problem, file=sys.stderr)
        return 1
    print(json.dumps({"items": len(parsed.items), "sections": len(parsed.sections)}))
    return 0


def _report_cost(started: float) -> None:
    peak_kb = max(
        resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
        resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss,
    )
    cost = {"seconds": round(time.perf_counter() - started, 2), "peak_mb": round(peak_kb / 1024)}
    print(f"cost: {json.dumps(cost)}", file=sys.stderr)


def measure(cases: list[str]) -> None:
    """A Markdown table row per case: outcome, wall time and peak memory of `digest build`."""
    print("| case | size | outcome | time | peak memory |")
    print("| --- | --- | --- | --- | --- |")
    for case in cases:
        with tempfile.TemporaryDirectory() as folder:
            issue = write_site(case, Path(folder))
            size = issue.stat().st_size / 1024 / 1024
            try:
                result = run_isolated("build", Path(folder), timeout=600, cwd=Path(folder))
            except subprocess.TimeoutExpired:
                print(f"| {case} | {size:.1f} MB | no answer in 600 s | | |")
                continue
            cost = cost_of(result)
            lines = [line for line in result.stderr.splitlines() if not line.startswith("cost:")]
            outcome = "built" if result.returncode == 0 else (lines[0] if lines else "?")
            print(
                f"| {case} | {size:.1f} MB | {outcome} | {cost.get('seconds', '?')} s "
                f"| {cost.get('peak_mb', '?')} MB |",
                flush=True,
            )


def main() -> None:
    mode, *rest = sys.argv[1:]
    if mode == "measure":
        measure(rest or list(CASES))
        return
    started = time.perf_counter()
    status = _build(Path(rest[0])) if mode == "build" else _parse(Path(rest[0]))
    _report_cost(started)
    raise SystemExit(status)


if __name__ == "__main__":
    main()
