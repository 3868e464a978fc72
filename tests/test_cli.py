"""The `digest` command: exit codes, messages, help, and no tracebacks."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from digest.cli import _parser, main

SITES = Path(__file__).parent / "sites"
ROOT = Path(__file__).resolve().parents[1]
INVALID = sorted(path.name for path in SITES.glob("invalid-*"))


@pytest.fixture(autouse=True)
def fixed_clock(monkeypatch):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1795392000")  # 2026-11-23


@pytest.mark.parametrize("name", INVALID)
def test_invalid_sites_report_every_problem(name, tmp_path, monkeypatch, capsys):
    site = tmp_path / name
    shutil.copytree(SITES / name, site)
    monkeypatch.chdir(site)
    assert main(["build"]) == 1
    err = capsys.readouterr().err
    expected = (site / "expected.txt").read_text(encoding="utf-8")
    assert err == expected
    assert "Traceback" not in err
    assert not (site / "_site").exists()


def test_build_prints_a_summary_and_notes(tmp_path, monkeypatch, capsys):
    site = tmp_path / "basic"
    shutil.copytree(SITES / "basic", site)
    monkeypatch.chdir(site)
    issue = site / "content/issues/2-second.md"
    lines = issue.read_text(encoding="utf-8").count("\n")
    with issue.open("a", encoding="utf-8") as file:
        file.write("\n## Special\n\n- [s](https://s.example/)\n")
    assert main(["build"]) == 0
    captured = capsys.readouterr()
    assert captured.out.startswith("built: 3 issues, 7 items, ")
    assert captured.out.rstrip().endswith("-> _site")
    assert f"content/issues/2-second.md:{lines + 2}: note: section 'Special'" in captured.err
    assert main(["build", "--quiet"]) == 0
    assert capsys.readouterr() == ("", "")


def test_no_search_skips_the_index_and_counts_as_another_build(tmp_path, monkeypatch, capsys):
    site = tmp_path / "basic"
    shutil.copytree(SITES / "basic", site)
    monkeypatch.chdir(site)
    assert main(["build", "--no-search"]) == 0
    assert not (site / "_site" / "pagefind").exists()
    assert (site / "_site" / "issues" / "1" / "index.html").is_file()
    capsys.readouterr()
    assert main(["build"]) == 0  # not "up to date": the index is missing
    assert capsys.readouterr().out.startswith("built:")
    assert (site / "_site" / "pagefind" / "pagefind.js").is_file()


def test_show_json(monkeypatch, capsys):
    monkeypatch.chdir(SITES / "basic")
    assert main(["show", "content/issues/2-second.md", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert {key: data[key] for key in ("title", "number", "date", "slug", "tags", "draft")} == {
        "title": "第二期：数据库",
        "number": 2,
        "date": "2026-10-12T00:00:00+08:00",
        "slug": "second",
        "tags": ["rust"],
        "draft": False,
    }
    assert [(s["key"], s["title"], s["heading"]) for s in data["sections"]] == [
        ("blogs", "Blogs", "技术博客"),
        ("本周金句", "本周金句", "本周金句"),
    ]
    assert [(i["title"], i["url"], i["image"]) for i in data["sections"][0]["items"]] == [
        ("SQLite 的查询计划", "https://www.sqlite.org/eqp.html", None),
        ("PostgreSQL 文档", "https://www.postgresql.org/docs/", None),
    ]


def test_show_text(monkeypatch, capsys):
    monkeypatch.chdir(SITES / "basic")
    assert main(["show", "content/issues/1-first.md"]) == 0
    out = capsys.readouterr().out
    assert out.splitlines()[0] == "#1 First issue: hello"
    assert "[tools] Tools: 2 items" in out
    assert "  - uv  <https://github.com/astral-sh/uv>" in out


def test_show_reports_a_broken_issue(monkeypatch, capsys):
    monkeypatch.chdir(SITES / "invalid-content")
    assert main(["show", "content/issues/3-date.md"]) == 1
    assert capsys.readouterr().err.startswith("content/issues/3-date.md:3: error: '2026-02-30'")


def test_missing_site_yaml(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    assert main(["build"]) == 1
    assert "site.yaml: error: no site.yaml here" in capsys.readouterr().err


@pytest.mark.parametrize("command", ["init", "build", "serve", "fetch", "new", "check", "show"])
def test_every_command_has_help_and_is_in_the_readme(command, capsys):
    with pytest.raises(SystemExit) as exited:
        main([command, "--help"])
    assert exited.value.code == 0
    assert capsys.readouterr().out.startswith(f"usage: digest {command}")
    assert f"digest {command}" in (ROOT / "README.md").read_text(encoding="utf-8")


def test_console_script_runs():
    result = subprocess.run(
        [sys.executable, "-m", "digest.cli", "--version"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert result.stdout.startswith("digest ")


@pytest.mark.parametrize(
    ("argv", "debug"),
    [(["--debug", "build"], True), (["build", "--debug"], True), (["build"], False)],
)
def test_debug_before_or_after_the_command(argv, debug):
    assert _parser().parse_args(argv).debug is debug


def test_a_reader_that_leaves_early_gets_no_broken_pipe_message():
    """`digest show --json … | head -1`: the pipe closes before digest writes."""
    process = subprocess.Popen(
        [sys.executable, "-m", "digest.cli", "show", "--json", "content/issues/1-hello-weekly.md"],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    process.stdout.close()  # before the interpreter has even imported digest
    err = process.stderr.read()
    assert process.wait(timeout=60) == 1
    assert err == ""


def test_the_sample_site_passes_check_strict(monkeypatch, capsys):
    monkeypatch.chdir(ROOT)
    assert main(["check", "--strict"]) == 0, capsys.readouterr()
