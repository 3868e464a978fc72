"""Atomic output under any kill: the acceptance test of the issue of that name.

Whenever a build ends (SIGKILL, SIGTERM, SIGHUP, a second build beside it, a disk that
fills while the search index is written), `_site/` is, right then and with no later
build to repair it, byte for byte either the site before the build or the site the
build was making: never a mix, never a file of the build's own inside it.

Only the command line is used, as a subprocess in a process group of its own (so the
test can end it and every worker it started), and only bench/corpus.py's sites: the
engine behind the command can change without this file changing.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import os
import re
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from conftest import bench_corpus as generate

pytestmark = pytest.mark.slow  # 64 builds killed on purpose, each from the same state

ROOT = Path(__file__).parent.parent
ISSUES = 150
POINTS = 8
"""Kill points per scenario and signal, spread evenly over the unkilled build's time."""
ENV = {**os.environ, "SOURCE_DATE_EPOCH": "1800000000"}  # byte-identical rebuilds
SIGNAL_TIMEOUT = 60
"""Seconds a build may take to end once it has received SIGTERM or SIGHUP."""
kill_1000 = pytest.mark.skipif(
    os.environ.get("DIGEST_KILL_1000") != "1",
    reason="the 1,000-issue kill test takes many minutes: set DIGEST_KILL_1000=1",
)


Tree = dict[str, str]


def tree(folder: Path) -> Tree:
    """Every file below `folder` by relative path with a hash of its bytes, and every
    folder (ending in "/"), so that an extra empty folder is a difference too."""
    entries: Tree = {}
    for path in sorted(folder.rglob("*")):
        relative = path.relative_to(folder).as_posix()
        if path.is_dir():
            entries[f"{relative}/"] = "folder"
        else:
            entries[relative] = hashlib.blake2b(path.read_bytes()).hexdigest()
    return entries


def differences(found: Tree, old: Tree, new: Tree) -> str:
    """How `found` is neither `old` nor `new`, with a few paths of each kind."""
    if not found:
        return "no _site/ at all"
    kinds = {
        "missing": sorted(path for path in old.keys() & new.keys() if path not in found),
        "extra": sorted(path for path in found if path not in old and path not in new),
        "neither old nor new": sorted(
            path
            for path in found.keys() & (old.keys() | new.keys())
            if found[path] not in (old.get(path), new.get(path))
        ),
        "old": sorted(path for path in found if old.get(path) == found[path] != new.get(path)),
        "new": sorted(path for path in found if new.get(path) == found[path] != old.get(path)),
        "old only, gone": sorted(path for path in old.keys() - new.keys() - found.keys()),
        "new only, not there": sorted(path for path in new.keys() - old.keys() - found.keys()),
    }
    return "; ".join(
        f"{len(paths)} {kind} ({', '.join(paths[:3])}{', …' if len(paths) > 3 else ''})"
        for kind, paths in kinds.items()
        if paths
    )


def verdict(found: Tree, old: Tree, new: Tree) -> str:
    if found == old:
        return "old"
    if found == new:
        return "new"
    return "mixed"


def remove(folder: Path) -> None:
    """Delete `folder`, also while a detached helper of a build deletes part of it."""
    for _ in range(100):
        shutil.rmtree(folder, ignore_errors=True)
        if not folder.exists():
            return
        time.sleep(0.05)
    raise AssertionError(f"could not delete {folder}")


def _as_from_a_terminal(then: Callable[[], None] | None) -> None:
    """Signals as a shell started from a terminal leaves them: the test run itself may
    run under nohup (SIGHUP ignored, which its children inherit, and digest rightly
    keeps), which would make the SIGHUP test meaningless."""
    for number in (signal.SIGHUP, signal.SIGTERM, signal.SIGINT):
        signal.signal(number, signal.SIG_DFL)
    if then is not None:
        then()


class Build:
    """One `digest build` run in a process group of its own, its output going to files
    (a helper the build leaves running can hold a pipe open, never a file)."""

    def __init__(
        self,
        site: Path,
        *options: str,
        quiet: bool = True,
        preexec_fn: Callable[[], None] | None = None,
    ) -> None:
        # Open as long as the Build is: its output is read after the process ended.
        self._out = tempfile.TemporaryFile()  # noqa: SIM115
        self._err = tempfile.TemporaryFile()  # noqa: SIM115
        command = [sys.executable, "-m", "digest.cli", "build", "--site", str(site)]
        self.started = time.monotonic()
        self.process = subprocess.Popen(
            command + ["-q"] * quiet + list(options),
            stdout=self._out,
            stderr=self._err,
            env=ENV,
            cwd=ROOT,  # the checkout's own digest, whatever is installed
            start_new_session=True,
            preexec_fn=functools.partial(_as_from_a_terminal, preexec_fn),
        )

    def signal_at(self, seconds: float, number: int, group: bool = False) -> None:
        """Send signal `number` to the build process `seconds` after it started; with
        `group`, to every process of its group, as a terminal does."""
        time.sleep(max(0.0, self.started + seconds - time.monotonic()))
        if group:
            self.signal_group(number)
        else:
            with contextlib.suppress(ProcessLookupError):
                os.kill(self.process.pid, number)

    def signal_group(self, number: int) -> None:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.process.pid, number)

    def wait(self, timeout: float = 300) -> int | None:
        """The exit status (negative: the signal that ended it), None if it went on for
        `timeout` s; either way every process left in its group is then killed."""
        try:
            return self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            return None
        finally:
            self.signal_group(signal.SIGKILL)
            self.process.wait()

    def succeeded(self) -> float:
        """Wait for a build that must succeed; returns how long it took."""
        status = self.wait()
        seconds = time.monotonic() - self.started
        assert status == 0, f"exit status {status}: {self.stderr}"
        return seconds

    @property
    def stdout(self) -> str:
        self._out.seek(0)
        return self._out.read().decode(errors="replace")

    @property
    def stderr(self) -> str:
        self._err.seek(0)
        return self._err.read().decode(errors="replace")


CACHE = ".digest"
"""The site's cache folder: copied, not linked, as a build may rewrite its files."""
SPARE = f"{CACHE}/spare/"
"""But for the tree the last build replaced, kept there: its files share their inodes
with the output's, as a build leaves them, and no build writes into them."""


def clone(source: Path, target: Path) -> None:
    """The site folder `source` again at `target`: each file a hard link, with the inode,
    times and size the build's no-change check compares, so the copy is the built site
    to the build, too; but the cache folder's files copied."""

    def place(file: str, to: str) -> None:
        relative = Path(file).relative_to(source)
        if CACHE in relative.parts and not relative.as_posix().startswith(SPARE):
            shutil.copy2(file, to)
        else:
            os.link(file, to)

    shutil.copytree(source, target, symlinks=True, copy_function=place)


def stamps(folder: Path) -> dict[str, tuple[int, int]]:
    return {
        path.relative_to(folder).as_posix(): (path.stat().st_mtime_ns, path.stat().st_size)
        for path in folder.rglob("*")
        if path.is_file()
    }


@dataclass(frozen=True)
class Built:
    """A bench site built once, and that state kept aside (sources, `.digest/`, `_site/`),
    which every trial starts from."""

    site: Path
    pristine: Path
    old: Tree = field(repr=False)
    kept: dict[str, tuple[int, int]] = field(repr=False)
    """Modification time and size of each file kept aside, which shares its inode with
    the trials' files: a build that wrote into an old file in place would change them."""

    def restore(self) -> None:
        changed = sorted(
            path for path, stamp in stamps(self.pristine).items() if self.kept.get(path) != stamp
        )
        assert not changed, f"a build wrote into files of the old site in place: {changed[:5]}"
        remove(self.site)
        clone(self.pristine, self.site)


def rewrite(path: Path, text: str) -> None:
    """Write `text` as a new file at `path`: the old one is a hard link to a kept one."""
    path.unlink()
    path.write_text(text, encoding="utf-8")


def edit_older_issue(site: Path) -> None:
    """Change the opening paragraph of an issue a quarter of the way into the archive."""
    issues = sorted((site / "content/issues").glob("*.md"))
    path = issues[len(issues) // 4]
    front, body = path.read_text(encoding="utf-8").split("\n---\n", 1)
    rewrite(path, f"{front}\n---\nAn opening sentence edited. {body}")


def add_newest_issue(site: Path) -> None:
    """A copy of the newest issue as the next one: a new number, date and title."""
    newest = sorted((site / "content/issues").glob("*.md"))[-1]
    text = newest.read_text(encoding="utf-8")
    found = re.search(r"^number: (\d+)$", text, flags=re.MULTILINE)
    assert found is not None, f"{newest} has no number"
    number = int(found[1]) + 1
    replacements = {
        r"^number: \d+$": f"number: {number}",
        r"^date: .*$": "date: 2026-06-01",  # after every bench issue, before the build clock
        r"^title: .*$": f"title: Bench Weekly {number}：a new issue",
    }
    for pattern, line in replacements.items():
        text, count = re.subn(pattern, line, text, count=1, flags=re.MULTILINE)
        assert count == 1, f"{newest}: no line like {pattern}"
    (newest.parent / f"{number:04d}-weekly.md").write_text(text, encoding="utf-8")


def forget_cache(site: Path) -> None:
    edit_older_issue(site)
    remove(site / CACHE)


@dataclass(frozen=True)
class Scenario:
    name: str
    prepare: Callable[[Path], None]
    options: tuple[str, ...] = ()


# The cold and forced builds come with the edit too, so that their new site differs from
# the old one and a site half replaced shows.
SCENARIOS = [
    Scenario("one-edit", edit_older_issue),
    Scenario("new-issue", add_newest_issue),
    Scenario("cold", forget_cache),
    Scenario("force", edit_older_issue, ("--force",)),
]
ONE_EDIT, _, _, FORCE = SCENARIOS
SIGNALS = [signal.SIGKILL, signal.SIGTERM]


@dataclass(frozen=True)
class Measured:
    seconds: float
    new: Tree


@pytest.fixture(scope="module")
def sites(tmp_path_factory: pytest.TempPathFactory) -> Callable[[int], Built]:
    """Bench sites of a number of issues, each built once, made when first asked for."""
    made: dict[int, Built] = {}

    def get(count: int) -> Built:
        if count not in made:
            folder = tmp_path_factory.mktemp(f"kill-{count}")
            site = generate(count, folder / "site")
            Build(site).succeeded()
            # Built again after an edit, as a site is: the tree replaced is the spare
            # that each trial's build starts its new tree from.
            issue = sorted((site / "content/issues").glob("*.md"))[0]
            rewrite(issue, issue.read_text(encoding="utf-8") + "\nA line of last week's.\n")
            Build(site).succeeded()
            assert any((site / SPARE).iterdir()), "the build kept no spare tree"
            clone(site, folder / "pristine")
            kept = stamps(folder / "pristine")
            made[count] = Built(site, folder / "pristine", tree(site / "_site"), kept)
        return made[count]

    return get


@pytest.fixture(scope="module")
def measure() -> Callable[[Built, Scenario], Measured]:
    """A scenario's unkilled build, once: how long it takes and the site it makes."""
    done: dict[tuple[Path, str], Measured] = {}

    def get(built: Built, scenario: Scenario) -> Measured:
        key = (built.site, scenario.name)
        if key not in done:
            built.restore()
            scenario.prepare(built.site)
            seconds = Build(built.site, *scenario.options).succeeded()
            new = tree(built.site / "_site")
            assert new != built.old, f"{scenario.name}: the build changed nothing"
            done[key] = Measured(seconds, new)
        return done[key]

    return get


@pytest.fixture
def site_150(sites: Callable[[int], Built]) -> Built:
    return sites(ISSUES)


def test_a_restored_site_is_the_built_site_to_the_build(site_150: Built) -> None:
    """The premise of the tests below: each trial starts from the site as its last build
    left it, which the next build finds up to date; so the edit of a trial is all that
    its build has to do."""
    site_150.restore()
    build = Build(site_150.site, quiet=False)
    assert build.wait() == 0, build.stderr
    assert "up to date" in build.stdout, build.stdout
    assert tree(site_150.site / "_site") == site_150.old


def killed_builds(
    built: Built, measured: Measured, scenario: Scenario, number: int, points: int
) -> None:
    """Start the scenario's build `points` times from the same state, each time sending
    `number` at a later share of its unkilled time; check `_site/` right after each."""
    name = f"{scenario.name} {signal.Signals(number).name}"
    verdicts: Counter[str] = Counter()
    landed = 0
    problems: list[str] = []
    for point in range(points):
        delay = (point + 0.5) / points * measured.seconds
        built.restore()
        scenario.prepare(built.site)
        build = Build(built.site, *scenario.options)
        build.signal_at(delay, number)
        status = build.wait(timeout=SIGNAL_TIMEOUT)
        found = tree(built.site / "_site")
        kind = verdict(found, built.old, measured.new)
        verdicts[kind] += 1
        landed += status != 0
        at = f"at {delay:.2f} s"
        if status is None:
            problems.append(f"{at}: still running {SIGNAL_TIMEOUT} s after the signal")
        if kind == "mixed":
            problems.append(f"{at}: mixed: {differences(found, built.old, measured.new)}")
        if "Traceback" in build.stderr:
            problems.append(f"{at}: a traceback on stderr:\n{build.stderr}")
    summary = (
        f"{name}: {verdicts['old']} old, {verdicts['new']} new, {verdicts['mixed']} mixed "
        f"of {points} kills; {landed} landed before the build ended "
        f"(its unkilled time {measured.seconds:.2f} s)"
    )
    print(summary)  # shown by pytest -rP, for a test that passes
    assert not problems, summary + "\n" + "\n".join(problems)
    assert landed * 2 >= points, f"{summary}: too few kills landed mid-build to test anything"


@pytest.mark.parametrize("number", SIGNALS, ids=lambda number: signal.Signals(number).name)
@pytest.mark.parametrize("scenario", SCENARIOS, ids=lambda scenario: scenario.name)
def test_a_killed_build_leaves_the_old_site_or_the_new_one(
    site_150: Built,
    measure: Callable[[Built, Scenario], Measured],
    scenario: Scenario,
    number: int,
) -> None:
    """Killed at any moment: `_site/` is at once exactly the old tree or the new one,
    search index included, with nothing extra in it; SIGTERM brings no traceback."""
    killed_builds(site_150, measure(site_150, scenario), scenario, number, POINTS)


@kill_1000
@pytest.mark.parametrize("number", SIGNALS, ids=lambda number: signal.Signals(number).name)
@pytest.mark.parametrize("scenario", SCENARIOS, ids=lambda scenario: scenario.name)
def test_a_killed_1000_issue_build_leaves_the_old_site_or_the_new_one(
    sites: Callable[[int], Built],
    measure: Callable[[Built, Scenario], Measured],
    scenario: Scenario,
    number: int,
) -> None:
    built = sites(1000)
    killed_builds(built, measure(built, scenario), scenario, number, POINTS)


@pytest.mark.parametrize("target", ["process", "group"])
@pytest.mark.parametrize("number", [signal.SIGHUP, signal.SIGTERM], ids=["SIGHUP", "SIGTERM"])
def test_sighup_and_sigterm_end_a_build_as_ctrl_c_does(
    site_150: Built,
    measure: Callable[[Built, Scenario], Measured],
    number: int,
    target: str,
) -> None:
    """Sent half-way through a forced build (its pages being rendered) to the build, or
    to it and its workers as a closed terminal does: the build ends by itself, non-zero,
    with one line on stderr, and leaves the old site."""
    measured = measure(site_150, FORCE)
    site_150.restore()
    FORCE.prepare(site_150.site)
    build = Build(site_150.site, *FORCE.options)
    build.signal_at(measured.seconds / 2, number, group=target == "group")
    status = build.wait(timeout=SIGNAL_TIMEOUT)
    stderr = build.stderr
    assert status is not None, f"still running {SIGNAL_TIMEOUT} s after the signal"
    assert status != 0, "the signal came after the build had ended"
    assert status > 0, f"ended by the signal ({status}), not by itself; stderr: {stderr!r}"
    assert "Traceback" not in stderr, stderr
    assert len(stderr.strip().splitlines()) == 1, f"not one line: {stderr!r}"
    found = tree(site_150.site / "_site")
    assert found == site_150.old, differences(found, site_150.old, measured.new)


def test_two_builds_at_once_give_what_one_gives(
    site_150: Built, measure: Callable[[Built, Scenario], Measured]
) -> None:
    """Both succeed (one may wait for the other's lock); the site is the one a single
    build makes, which a third build then finds up to date."""
    clean = measure(site_150, ONE_EDIT).new
    problems: list[str] = []
    for trial in range(6):
        site_150.restore()
        ONE_EDIT.prepare(site_150.site)
        first, second = Build(site_150.site), Build(site_150.site)
        statuses = [first.wait(), second.wait()]
        if statuses != [0, 0]:
            problems.append(f"trial {trial}: exit statuses {statuses}: {first.stderr}")
            problems[-1] += second.stderr
        found = tree(site_150.site / "_site")
        if found != clean:
            problems.append(f"trial {trial}: {differences(found, site_150.old, clean)}")
        third = Build(site_150.site, quiet=False)
        status = third.wait()
        if status != 0 or "up to date" not in third.stdout:
            problems.append(
                f"trial {trial}: the third build was not up to date ({status}): "
                f"{third.stdout}{third.stderr}"
            )
        found = tree(site_150.site / "_site")
        if found != clean:
            problems.append(f"trial {trial}, after the third build: ")
            problems[-1] += differences(found, site_150.old, clean)
    assert not problems, "\n".join(problems)


def index_folder(site: Tree) -> str:
    """The folder of the search index below the site root ("pagefind/")."""
    entries = sorted((path for path in site if path.endswith("pagefind.js")), key=len)
    assert entries, "the site has no search index (is Pagefind installed?)"
    return entries[0].rpartition("/")[0] + "/"


def no_bigger_files(limit: int) -> Callable[[], None]:
    def apply() -> None:
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a write past the limit: EFBIG
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    return apply


def sizes(folder: Path) -> dict[str, int]:
    return {
        path.relative_to(folder).as_posix(): path.stat().st_size
        for path in folder.rglob("*")
        if path.is_file()
    }


@pytest.fixture
def index_limit(site_150: Built) -> int:
    """A file size limit under which the one-edit rebuild can write every page and its
    cache, but not Pagefind's bundle (whose largest files are larger than any of those)."""
    site_150.restore()
    ONE_EDIT.prepare(site_150.site)
    Build(site_150.site).succeeded()
    new = tree(site_150.site / "_site")
    index = index_folder(new)
    written = sizes(site_150.site / "_site")
    pages = max(
        size
        for path, size in written.items()
        if not path.startswith(index) and new.get(path) != site_150.old.get(path)
    )
    cache = max(  # the spare tree under .digest/ is not written: renamed
        size for path, size in sizes(site_150.site / CACHE).items() if not path.startswith("spare/")
    )
    largest_index_file = max(size for path, size in written.items() if path.startswith(index))
    below = max(pages, cache)
    assert below * 1.1 < largest_index_file, (
        f"no file size lets the pages ({pages} B) and the cache ({cache} B) through "
        f"but stops the search index ({largest_index_file} B)"
    )
    return (below + largest_index_file) // 2


def test_a_disk_full_while_indexing_fails_the_build_and_keeps_the_old_site(
    site_150: Built,
    measure: Callable[[Built, Scenario], Measured],
    index_limit: int,
) -> None:
    """RLIMIT_FSIZE makes Pagefind's larger files fail to write as on a full disk. The
    same limit lets the same build without search through, so it is the index that
    fails."""
    clean = measure(site_150, ONE_EDIT).new
    site_150.restore()
    ONE_EDIT.prepare(site_150.site)
    without_search = Build(site_150.site, "--no-search", preexec_fn=no_bigger_files(index_limit))
    assert without_search.wait() == 0, (
        f"the limit of {index_limit} B stops more than the index: {without_search.stderr}"
    )

    site_150.restore()
    ONE_EDIT.prepare(site_150.site)
    build = Build(site_150.site, preexec_fn=no_bigger_files(index_limit))
    status = build.wait()
    stderr = build.stderr
    found = tree(site_150.site / "_site")
    left = "the old tree" if found == site_150.old else differences(found, site_150.old, clean)
    outcome = f"exit status {status}, stderr {stderr!r}, _site/: {left}"
    assert status not in (0, None), outcome
    assert stderr.strip() and "Traceback" not in stderr and "internal error" not in stderr
    assert re.search("search|index|pagefind", stderr, flags=re.IGNORECASE), outcome
    assert found == site_150.old, outcome

    Build(site_150.site).succeeded()
    found = tree(site_150.site / "_site")
    assert found == clean, differences(found, site_150.old, clean)


@pytest.mark.parametrize("damage", ["deleted", "truncated"])
def test_a_site_with_a_broken_search_index_is_not_up_to_date(site_150: Built, damage: str) -> None:
    """Nothing changed in the sources, but a file of the index is gone or cut short:
    the build puts it right instead of calling the site up to date."""
    site_150.restore()
    index = index_folder(site_150.old)
    victim = next(  # a file in a folder of the index: a part of it, not its entry point
        path
        for path in sorted(site_150.old)
        if path.startswith(index) and "/" in path[len(index) :] and not path.endswith("/")
    )
    path = site_150.site / "_site" / victim
    data = path.read_bytes()
    path.unlink()
    if damage == "truncated":
        path.write_bytes(data[: len(data) // 2])
    build = Build(site_150.site, quiet=False)
    status = build.wait()
    assert status == 0, build.stderr
    assert "up to date" not in build.stdout, f"{victim} {damage}, yet: {build.stdout}"
    found = tree(site_150.site / "_site")
    assert found == site_150.old, differences(found, site_150.old, site_150.old)
