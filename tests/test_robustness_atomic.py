"""Atomic builds: a build killed at any moment, or one that fills the disk, leaves the
previous site exactly as it was, and the next build succeeds.

The builds run as `python -m digest.cli build` in their own process group (so the test
can end them, and any worker they started, without touching anything else).
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import resource
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from conftest import bench_corpus as generate

from digest.build import output
from digest.build.output import TEMP_PREFIX
from digest.build.pipeline import BuildOptions, build

pytestmark = pytest.mark.slow  # builds killed at random points, then rebuilt

ROOT = Path(__file__).parent.parent
ISSUES = 200
ENV = {**os.environ, "SOURCE_DATE_EPOCH": "1800000000"}  # byte-identical rebuilds
NOW = datetime.fromtimestamp(1800000000, tz=UTC)


def tree(folder: Path) -> dict[str, str]:
    """Every file below `folder` by relative path, with a hash of its bytes."""
    return {
        path.relative_to(folder).as_posix(): hashlib.blake2b(path.read_bytes()).hexdigest()
        for path in sorted(folder.rglob("*"))
        if path.is_file()
    }


def start_build(site: Path, force: bool = True, **options: object) -> subprocess.Popen[str]:
    """A cold build unless `force` is False (then a rebuild updates the output in place)."""
    command = [sys.executable, "-m", "digest.cli", "build", "--site", str(site), "-q"]
    return subprocess.Popen(
        command + ["--force"] * force,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=ENV,
        start_new_session=True,
        **options,  # type: ignore[call-overload]
    )


def run_build(
    site: Path, force: bool = True, **options: object
) -> subprocess.CompletedProcess[str]:
    process = start_build(site, force, **options)
    out, err = process.communicate(timeout=120)
    return subprocess.CompletedProcess(process.args, process.returncode, out, err)


def end_group(process: subprocess.Popen[str]) -> list[int]:
    """SIGKILL the build, then its process group; returns the pids that outlived it.

    Waited for by pid, not by reading its pipes: a worker left behind keeps them open.
    """
    with contextlib.suppress(ProcessLookupError):
        os.kill(process.pid, signal.SIGKILL)
    process.wait(timeout=30)
    time.sleep(0.3)  # what would exit by itself has had time to
    found = subprocess.run(
        ["ps", "-o", "pid=,stat=", "-g", str(process.pid)], capture_output=True, text=True
    )
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)
    process.communicate(timeout=30)
    # A worker that ended is a zombie until an init that reaps adopts it: not left behind.
    rows = [line.split() for line in found.stdout.splitlines() if line.strip()]
    return [int(pid) for pid, state in rows if not state.startswith("Z")]


def stages(site: Path) -> set[Path]:
    return set(site.glob(f"{TEMP_PREFIX}*"))


def wait_until(check: Callable[[], bool], process: subprocess.Popen[str]) -> bool:
    """Poll until `check()` holds; False if the build ended first."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if check():
            return True
        if process.poll() is not None:
            return False
        time.sleep(0.002)
    raise AssertionError("the build neither reached the point nor ended")


@pytest.fixture(scope="module")
def big_site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, dict[str, str]]]:
    site = generate(ISSUES, tmp_path_factory.mktemp("atomic") / "site")
    result = run_build(site)
    assert result.returncode == 0, result.stderr
    yield site, tree(site / "_site")


def files_in(folder: Path) -> int:
    with contextlib.suppress(OSError):
        return sum(1 for _ in folder.rglob("*"))
    return 0


@pytest.mark.parametrize("share", [0.0, 0.25, 0.5, 0.95])
def test_a_killed_build_leaves_the_previous_site_byte_for_byte(
    big_site: tuple[Path, dict[str, str]], share: float
) -> None:
    """Killed as the staging folder appears, then with a quarter, half and nearly all of
    the new site written into it."""
    site, first = big_site
    before = stages(site)
    process = start_build(site)
    new: list[Path] = []

    def reached() -> bool:
        new[:] = sorted(stages(site) - before)
        return bool(new) and files_in(new[0]) >= share * len(first)

    killed_in_time = wait_until(reached, process)
    end_group(process)
    assert tree(site / "_site") == first
    if killed_in_time:
        assert process.returncode == -signal.SIGKILL


def test_after_kills_the_next_build_succeeds_and_matches(
    big_site: tuple[Path, dict[str, str]],
) -> None:
    """Leftover staging folders from killed builds are not in the way."""
    site, first = big_site
    result = run_build(site)
    assert result.returncode == 0, result.stderr
    assert tree(site / "_site") == first
    leftovers = [path.name for path in stages(site)]
    assert all(name.startswith(TEMP_PREFIX) for name in leftovers)


def test_a_build_killed_while_parsing_leaves_no_worker_behind(
    big_site: tuple[Path, dict[str, str]],
) -> None:
    site, _ = big_site
    process = start_build(site)

    def parsing() -> bool:
        found = subprocess.run(["pgrep", "-P", str(process.pid)], capture_output=True, text=True)
        return bool(found.stdout.split())

    assert wait_until(parsing, process), "the build never started workers"
    assert end_group(process) == []


def test_a_kill_between_the_two_renames_loses_no_site(
    make_site: Callable[..., Path],
) -> None:
    """The state such a kill leaves, made by hand; then a build that fails."""
    site = make_site({"content/issues/1-a.md": "---\ntitle: A\ndate: 2026-01-05\n---\nText.\n"})
    assert run_build(site).returncode == 0
    first = tree(site / "_site")
    aside = site / f"{TEMP_PREFIX}old-killed"
    aside.mkdir()
    os.replace(site / "_site", aside / "_site")
    (site / "content/issues/2-b.md").write_text("---\ntitle: [\n---\n", encoding="utf-8")
    assert run_build(site).returncode == 1
    assert (site / "_site").is_dir() and tree(site / "_site") == first


ISSUE = (
    "---\ntitle: {title}\ndate: 2026-01-{day:02d}\n---\n{body}\n\n"
    "## News\n\n### [A link](https://example.com/{day})\n\nWhy it matters.\n"
)


@pytest.fixture
def weekly(make_site: Callable[..., Path]) -> tuple[Path, dict[str, str]]:
    """A built site of five issues, then an edit to the oldest one waiting to be built."""
    files = {
        f"content/issues/{day}-w.md": ISSUE.format(title=f"Week {day}", day=day, body="Intro.")
        for day in range(1, 6)
    }
    site = make_site(files)
    assert run_build(site).returncode == 0
    first = tree(site / "_site")
    edited = site / "content/issues/1-w.md"
    edited.write_text(ISSUE.format(title="Week one", day=1, body="New intro."), encoding="utf-8")
    return site, first


def killed_after(site: Path, target: str, calls: int) -> subprocess.CompletedProcess[str]:
    """A rebuild whose process dies (os._exit) right after its `calls`-th call of
    `target`, a "module.function" of digest's."""
    module, function = target.rsplit(".", 1)
    script = f"""
import importlib, os, sys
module = importlib.import_module({module!r})
real, done = getattr(module, {function!r}), []
def wrapper(*args):
    result = real(*args)
    done.append(args)
    if len(done) == {calls}:
        os._exit(9)
    return result
setattr(module, {function!r}, wrapper)
from digest.cli import main
sys.argv = ["digest", "build", "--site", {str(site)!r}, "-q"]
main()
"""
    return subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, env=ENV, timeout=120
    )


@pytest.mark.parametrize(
    ("target", "calls", "left"),
    [
        ("digest.build.output.write_file", 1, "old"),  # writing the new tree
        ("digest.build.output.write_file", 5, "old"),
        ("digest.search.index._swap", 1, "old"),  # the new tree's index is written
        ("digest.build.output._exchange", 1, "new"),  # the new tree is in place
    ],
)
def test_a_rebuild_killed_anywhere_leaves_one_whole_site(
    weekly: tuple[Path, dict[str, str]], target: str, calls: int, left: str
) -> None:
    """Killed while writing the new tree, once its search index is written, or right
    after the swap: the output is the old site or the new one, whole, with nothing to
    repair; the next build gives what a clean build gives."""
    site, first = weekly
    assert any(path.startswith("pagefind/") for path in first)
    assert killed_after(site, target, calls).returncode == 9
    after = tree(site / "_site")
    assert (after == first) == (left == "old")
    assert run_build(site, force=False).returncode == 0
    rebuilt = tree(site / "_site")
    assert rebuilt != first
    if left == "new":
        assert after == rebuilt
    assert run_build(site).returncode == 0
    assert tree(site / "_site") == rebuilt
    assert not stages(site)


def test_a_rebuild_that_fails_while_writing_leaves_the_old_site(
    weekly: tuple[Path, dict[str, str]], monkeypatch: pytest.MonkeyPatch
) -> None:
    site, first = weekly
    real, done = output.write_file, []

    def write(root: Path, relative: str, data: bytes) -> Path:
        done.append(relative)
        if len(done) == 6:
            raise OSError(28, "No space left on device")
        return real(root, relative, data)

    monkeypatch.setattr(output, "write_file", write)
    with pytest.raises(OSError):
        build(BuildOptions(site_dir=site, now=NOW, search=False))
    monkeypatch.undo()
    assert tree(site / "_site") == first
    assert not stages(site)


def test_a_rebuild_where_a_folder_becomes_a_file_matches_a_clean_build(
    weekly: tuple[Path, dict[str, str]],
) -> None:
    """A change of kind in place cannot be moved file by file: the whole tree is swapped."""
    site, _ = weekly
    (site / "static/notes").mkdir(parents=True)
    (site / "static/notes/a.txt").write_text("a", encoding="utf-8")
    assert run_build(site, force=False).returncode == 0
    shutil.rmtree(site / "static/notes")
    (site / "static/notes").write_text("now a file", encoding="utf-8")
    assert run_build(site, force=False).returncode == 0
    assert (site / "_site/notes").read_text(encoding="utf-8") == "now a file"
    rebuilt = tree(site / "_site")
    assert run_build(site).returncode == 0
    assert tree(site / "_site") == rebuilt


def no_bigger_files(limit: int) -> Callable[[], None]:
    def apply() -> None:
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a write past the limit: EFBIG
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    return apply


def test_a_full_disk_is_an_error_and_the_old_site_stays(tmp_path: Path) -> None:
    """RLIMIT_FSIZE makes every write past 4 KB fail as a full disk would."""
    site = tmp_path / "site"
    shutil.copytree(ROOT / "tests/sites/basic", site)
    assert run_build(site).returncode == 0
    first = tree(site / "_site")
    result = run_build(site, preexec_fn=no_bigger_files(4096))
    assert result.returncode == 1, result.stderr
    assert result.stderr.startswith("digest: error: ")
    assert "File too large; is the disk full?" in result.stderr
    assert "Traceback" not in result.stderr and "internal error" not in result.stderr
    assert tree(site / "_site") == first
    assert not stages(site), "the failed build's staging folder was left behind"
    assert run_build(site).returncode == 0
    assert tree(site / "_site") == first
