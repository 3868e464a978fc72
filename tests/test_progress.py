"""The progress line: drawn on a terminal, never in logs or with --quiet."""

from __future__ import annotations

import io
import os
import pty
import subprocess
import sys
from pathlib import Path

import pytest

from digest.progress import Progress

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bench"))
from corpus import generate

pytestmark = pytest.mark.slow  # builds large enough to show progress on a pseudo-terminal


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_draws_in_place_after_the_delay_and_erases_itself():
    stream, clock = Terminal(), Clock()
    progress = Progress(stream, clock=clock)
    progress("parsing issues", 1, 10)
    assert stream.getvalue() == ""  # quick builds show nothing
    clock.now += 1
    progress("parsing issues", 5, 10)
    progress("parsing issues", 6, 10)  # too soon after the last one
    clock.now += 1
    progress("rendering pages", 10, 200)
    progress("rendering pages", 200, 200)  # the last step is always shown
    clock.now += 1
    progress("indexing", 0, 0)
    progress.close()
    assert stream.getvalue().split("\r")[1:] == [
        "parsing issues 5/10  50%",
        "rendering pages 10/200   5%",
        "rendering pages 200/200 100%",
        "indexing…                   ",
        "         ",
        "",
    ]


def test_silent_when_not_a_terminal():
    stream, clock = io.StringIO(), Clock()
    progress = Progress(stream, clock=clock)
    clock.now += 10
    progress("parsing issues", 5, 10)
    progress.close()
    assert stream.getvalue() == ""


@pytest.fixture(scope="module")
def big_site(tmp_path_factory) -> Path:
    return generate(300, tmp_path_factory.mktemp("progress") / "site")


def run_on_terminal(args: list[str]) -> tuple[int, str]:
    """Run digest with stdout and stderr on a pseudo-terminal; returns its exit and output."""
    leader, follower = pty.openpty()
    process = subprocess.Popen(
        [sys.executable, "-m", "digest.cli", *args], stdout=follower, stderr=follower
    )
    os.close(follower)
    chunks = []
    while True:
        try:
            chunk = os.read(leader, 65536)
        except OSError:  # the terminal closed: the program ended
            break
        if not chunk:
            break
        chunks.append(chunk)
    os.close(leader)
    return process.wait(), b"".join(chunks).decode("utf-8")


def test_a_long_build_shows_progress_on_a_terminal(big_site: Path):
    code, output = run_on_terminal(["build", "--force", "--site", str(big_site)])
    assert code == 0, output
    assert "parsing issues" in output and "rendering pages" in output
    assert "\rbuilt: 300 issues" in output  # the report starts on a cleaned line


def test_quiet_on_a_terminal_prints_nothing(big_site: Path):
    code, output = run_on_terminal(["build", "--force", "--quiet", "--site", str(big_site)])
    assert code == 0
    assert output == ""


def test_no_progress_when_not_a_terminal(big_site: Path):
    result = subprocess.run(
        [sys.executable, "-m", "digest.cli", "build", "--force", "--site", str(big_site)],
        capture_output=True,
        text=True,
        check=True,
    )
    assert "\r" not in result.stdout + result.stderr
    assert result.stdout.startswith("built: 300 issues")
