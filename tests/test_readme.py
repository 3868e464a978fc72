"""The README's set-up commands are the ones CI runs, and what it shows exists."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

from packaging.requirements import Requirement

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")


def setup_commands() -> list[str]:
    section = README.split("## Set-up", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"```sh\n(.*?)\n```", section, re.S)


def test_two_setup_commands():
    install, test = setup_commands()
    assert "pip install ." in install and install.endswith("digest build")
    assert "pip install -c constraints.txt -e '.[test]'" in test and "pytest" in test


def test_start_your_own_digest_in_three_commands():
    section = README.split("## Start your own digest", 1)[1].split("\n## ", 1)[0]
    (commands,) = re.findall(r"```sh\n(.*?)\n```", section, re.S)
    name = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]["name"]
    assert commands.splitlines() == [
        f"pip install {name}",
        "digest init mysite",
        "cd mysite && digest serve",
    ]
    assert name != "digest"  # someone else's on the package index


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


def test_constraints_pin_every_dependency_within_its_range():
    """CI installs constraints.txt: each dependency and test tool at one version, in range."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    wanted = [*project["dependencies"], *project["optional-dependencies"]["test"]]
    pins: dict[str, str] = {}
    for line in (ROOT / "constraints.txt").read_text(encoding="utf-8").splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            name, version = line.split("==")
            pins[canonical(name)] = version
    for text in wanted:
        requirement = Requirement(text)
        name = canonical(requirement.name)
        assert name in pins, f"constraints.txt pins no {name}; refresh it (README, Development)"
        assert requirement.specifier.contains(pins[name], prereleases=True), (name, pins[name])


def canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()
