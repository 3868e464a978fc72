"""The coverage-guided fuzzer, run briefly on every test run, and every crash it ever found.

Both run in a subprocess: an input that crashed the interpreter (libyaml used to
segfault on deep nesting) must fail a test, not end the test session.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow  # coverage-guided fuzzing

FUZZ = Path(__file__).parent / "fuzz"
RUNS = 2000


def test_fuzzing_the_parser_finds_nothing(tmp_path: Path) -> None:
    """A fixed seed and 2,000 inputs: deterministic, a few seconds."""
    pytest.importorskip("atheris", reason="atheris ships wheels for Linux x86-64 only")
    corpus = tmp_path / "corpus"  # libFuzzer adds what it finds to the first folder
    corpus.mkdir()
    result = subprocess.run(
        [
            sys.executable,
            str(FUZZ / "fuzz_parse.py"),
            str(corpus),
            str(FUZZ / "seeds"),
            f"-dict={FUZZ / 'issue.dict'}",
            f"-runs={RUNS}",
            "-seed=1",
            "-max_len=8192",
            "-timeout=20",
            "-rss_limit_mb=2048",
            f"-artifact_prefix={tmp_path}/",
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    crashes = sorted(path.name for path in tmp_path.glob("crash-*"))
    assert result.returncode == 0 and not crashes, (
        f"fuzzing found {crashes}: copy them to tests/fuzz/crashes/\n{result.stderr[-3000:]}"
    )
    assert f"Done {RUNS} runs" in result.stderr


def test_every_saved_crash_stays_fixed() -> None:
    """Each file in tests/fuzz/crashes/ once broke the parser (or the fuzzer's check)."""
    crashes = sorted((FUZZ / "crashes").iterdir())
    assert crashes
    result = subprocess.run(
        [sys.executable, str(FUZZ / "fuzz_parse.py"), "--replay", *map(str, crashes)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr[-3000:]
