"""The wheel carries the default theme, so a site without templates/ still builds, and
installed by its own name into a fresh environment it starts and builds a new site."""

from __future__ import annotations

import os
import subprocess
import sys
import sysconfig
import tomllib
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
NAME = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]["name"]


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("wheel")
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--quiet",
            "--no-deps",
            "--no-build-isolation",
            "--wheel-dir",
            str(folder),
            str(ROOT),
        ],
        check=True,
    )
    (built,) = folder.glob("*.whl")
    return built


def test_the_distribution_has_a_name_of_its_own(wheel):
    assert NAME == "digest-weekly"  # `digest` on the package index is another project
    assert wheel.name.startswith("digest_weekly-")
    metadata = zipfile.ZipFile(wheel).read(
        f"{wheel.name.split('-')[0]}-{wheel.name.split('-')[1]}.dist-info/METADATA"
    )
    assert f"Name: {NAME}\n".encode() in metadata
    entry_points = [name for name in zipfile.ZipFile(wheel).namelist() if "entry_points" in name]
    assert b"digest = digest.cli:run" in zipfile.ZipFile(wheel).read(entry_points[0])


def test_wheel_ships_the_theme(wheel):
    names = set(zipfile.ZipFile(wheel).namelist())
    theme_files = [
        path.relative_to(ROOT).as_posix()
        for folder in ("templates", "static")
        for path in (ROOT / folder).rglob("*")
        if path.is_file()
    ]
    assert theme_files
    missing = [name for name in theme_files if f"digest/theme/{name}" not in names]
    assert not missing
    assert "digest/cli.py" in names
    assert not any(name.startswith(("content/", "tests/")) for name in names)


def test_installed_wheel_inits_and_builds_a_site(wheel, tmp_path):
    """The wheel alone in a new venv; its dependencies are taken from this environment's
    site-packages (a .pth line), so nothing is downloaded, and this checkout is not on
    the path: what runs is what the wheel installed."""
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    python = venv / "bin" / "python"
    target = Path(
        subprocess.run(
            [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    )
    here = {sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"]}
    (target / "dependencies.pth").write_text("\n".join(sorted(here)) + "\n")
    pip = [sys.executable, "-m", "pip", "--python", str(python)]
    subprocess.run([*pip, "install", "--quiet", "--no-deps", "--no-index", str(wheel)], check=True)
    env = {key: value for key, value in os.environ.items() if key != "PYTHONPATH"}
    digest = str(venv / "bin" / "digest")

    def run(*args: str, cwd: Path) -> str:
        done = subprocess.run([digest, *args], cwd=cwd, env=env, capture_output=True, text=True)
        assert done.returncode == 0, done.stdout + done.stderr
        return done.stdout + done.stderr

    where = subprocess.run(
        [str(python), "-c", "import digest; print(digest.__file__)"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert where.startswith(str(venv)), where
    run("init", "mysite", "--yes", cwd=tmp_path)
    site = tmp_path / "mysite"
    assert NAME in (site / "requirements.txt").read_text()
    assert "1 issue" in run("build", "--drafts", "--future", cwd=site)
    assert "Issue 1: Hello" in (site / "_site" / "issues" / "1" / "index.html").read_text()
    assert (site / "_site" / "pagefind").is_dir()
