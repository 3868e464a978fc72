"""mypy stays clean over digest/, with the settings in pyproject.toml ([tool.mypy])."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.slow  # a type check of the whole package, not a unit of the quick loop
def test_mypy_is_clean():
    done = subprocess.run(
        [sys.executable, "-m", "mypy", "digest"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert done.returncode == 0, f"mypy digest:\n{done.stdout}{done.stderr}"
