"""The README's set-up commands are the ones CI runs, and what it shows exists."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")


def setup_commands() -> list[str]:
    section = README.split("## Set-up", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"```sh\n(.*?)\n```", section, re.S)


def test_two_setup_commands():
    install, test = setup_commands()
    assert "pip install ." in install and install.endswith("digest build")
    assert "pip install -e '.[test]'" in test and "pytest" in test


def test_ci_runs_the_readme_test_command_exactly():
    _, test = setup_commands()
    ci_lines = (ROOT / ".ci/run").read_text(encoding="utf-8").splitlines()
    assert test in ci_lines


def test_images_in_the_readme_exist():
    prose = re.sub(r"```.*?```", "", README, flags=re.S)
    images = re.findall(r"!\[[^\]]*\]\(([^)]+)\)", prose)
    assert images
    for image in images:
        assert (ROOT / image).is_file(), image
