"""`digest init`: a new site that builds, previews and deploys with no other step."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
import yaml
from dev_server import start
from test_workflow import WORKFLOW, run_actionlint, run_check_jsonschema

from digest.authoring.init import SiteAnswers, init_site, workflow_text
from digest.cli import main

FILES = [
    ".github/workflows/pages.yml",
    ".gitignore",
    "README.md",
    "content/issues/1-issue-1-hello.md",
    "requirements.txt",
    "site.yaml",
]


def written(site: Path) -> list[str]:
    return sorted(path.relative_to(site).as_posix() for path in site.rglob("*") if path.is_file())


def test_init_then_build_and_check(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    assert main(["init", "mysite", "--yes", "--timezone", "Europe/Berlin"]) == 0
    out, err = capsys.readouterr()
    assert sorted(out.split()) == [f"mysite/{name}" for name in FILES]
    assert "cd mysite && digest serve" in err
    site = tmp_path / "mysite"
    assert written(site) == FILES
    assert (site / ".gitignore").read_text().split() == ["_site/", ".digest/"]
    assert (site / "requirements.txt").read_text().startswith("digest-weekly==")
    monkeypatch.chdir(site)
    assert main(["build", "--drafts", "--future", "--no-search"]) == 0
    assert "1 issue, 2 items" in capsys.readouterr().out
    assert (site / "_site/issues/1/index.html").is_file()
    assert main(["check", "--strict"]) == 0


@pytest.mark.slow  # node and check-jsonschema start-up
def test_the_new_workflow_passes_actionlint_and_the_schema(tmp_path):
    init_site(tmp_path, SiteAnswers(timezone="Asia/Shanghai", weekday="周五"))
    workflow = tmp_path / ".github/workflows/pages.yml"
    linted = run_actionlint(workflow)
    assert linted.returncode == 0, linted.stdout + linted.stderr
    checked = run_check_jsonschema(workflow)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    steps = yaml.safe_load(workflow.read_text())["jobs"]["build"]["steps"]
    assert any("pip install -r requirements.txt" in step.get("run", "") for step in steps)


def test_a_new_site_builds_without_drafts_too(tmp_path, monkeypatch, capsys):
    init_site(tmp_path, SiteAnswers())
    monkeypatch.chdir(tmp_path)
    assert main(["build", "--no-search"]) == 0
    assert "0 issues" in capsys.readouterr().out
    assert (tmp_path / "_site/index.html").is_file()


def test_serve_previews_a_new_site(tmp_path):
    site = tmp_path / "mysite"
    init_site(site, SiteAnswers(), today=date(2026, 11, 24))
    served = start(site, tmp_path)
    try:
        assert "Issue 1: Hello" in served.text("/")
        status, _, body = served.get("/issues/1/")
        assert status == 200 and "ripgrep" in body.decode()
    finally:
        served.stop()


def test_a_chinese_site_gets_a_chinese_first_issue(tmp_path, monkeypatch, capsys):
    answers = SiteAnswers(title="字节周刊", language="zh-CN", timezone="Asia/Shanghai")
    init_site(tmp_path, answers, today=date(2026, 11, 24))
    issue = tmp_path / "content/issues/1-第-1-期-你好.md"
    text = issue.read_text(encoding="utf-8")
    assert 'title: "第 1 期：你好"' in text and "date: 2026-11-30" in text  # next Monday
    monkeypatch.chdir(tmp_path)
    assert main(["show", str(issue.relative_to(tmp_path))]) == 0
    shown = capsys.readouterr().out
    assert "业界资讯" in shown and "工具推荐" in shown
    assert 'title: "字节周刊"' in (tmp_path / "site.yaml").read_text(encoding="utf-8")


def test_refuses_to_overwrite_and_writes_nothing(tmp_path, monkeypatch, capsys):
    (tmp_path / "site.yaml").write_text("mine\n")
    (tmp_path / "README.md").write_text("mine\n")
    monkeypatch.chdir(tmp_path)
    assert main(["init", "--yes"]) == 1
    err = capsys.readouterr().err
    assert "site.yaml: error: already exists;" in err
    assert "README.md: error: already exists;" in err
    assert written(tmp_path) == ["README.md", "site.yaml"]
    assert (tmp_path / "site.yaml").read_text() == "mine\n"


def test_a_bad_answer_is_reported_before_anything_is_written(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    assert main(["init", "new", "--yes", "--timezone", "Mars/Olympus", "--weekday", "someday"]) == 1
    err = capsys.readouterr().err
    assert "'Mars/Olympus' is not a known time zone" in err
    assert "weekday 'someday' is not a day of the week" in err
    assert not (tmp_path / "new").exists()


def test_answers_on_a_terminal(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr("sys.stdin.isatty", lambda: True)
    answers = iter(["Rust Notes", "", "UTC", "friday"])
    monkeypatch.setattr("builtins.input", lambda prompt: next(answers))
    assert main(["init", "--language", "en"]) == 0
    config = yaml.safe_load((tmp_path / "site.yaml").read_text())
    assert config["title"] == "Rust Notes"
    assert config["base_url"] == "https://example.com/"
    assert (config["timezone"], config["weekday"]) == ("UTC", "friday")
    workflow = (tmp_path / ".github/workflows/pages.yml").read_text()
    assert '- cron: "17 6 * * 5" # Fridays, 06:17 UTC' in workflow


def test_the_schedule_runs_on_the_publication_day_where_the_author_lives():
    shanghai = workflow_text("pip install .", 0, "Asia/Shanghai")
    assert '- cron: "17 22 * * 0" # Mondays, 06:17 Asia/Shanghai (Sundays 22:17 UTC)' in shanghai


def test_the_new_site_gets_the_workflow_this_repository_runs():
    assert workflow_text("pip install .", 0, "UTC") == WORKFLOW.read_text(encoding="utf-8")
