"""`digest new`: the next issue file, and candidates taken from the inbox."""

from __future__ import annotations

from datetime import date

import pytest

from digest.authoring.scaffold import new_issue, next_publication_day
from digest.cli import main
from digest.errors import DigestError
from tests.conftest import SITE_YAML

ISSUE = "---\ntitle: A\ndate: 2026-11-02\nnumber: 7\n---\n## News\n\n- [a](https://a.example/) x\n"


@pytest.mark.parametrize(
    ("today", "weekday", "expected"),
    [
        (date(2026, 11, 23), 0, date(2026, 11, 23)),  # a Monday, publishing on Mondays
        (date(2026, 11, 24), 0, date(2026, 11, 30)),
        (date(2026, 11, 24), 4, date(2026, 11, 27)),
        (date(2026, 11, 24), None, date(2026, 11, 24)),
    ],
)
def test_next_publication_day(today, weekday, expected):
    assert next_publication_day(today, weekday) == expected


def test_new_issue_gets_the_next_number_date_and_sections(make_site, parse):
    site = make_site({"content/issues/7-a.md": ISSUE}, SITE_YAML + "weekday: 周五\n")
    created = new_issue(site, today=date(2026, 11, 24))
    assert created.path == site / "content/issues/8-issue-8.md"
    assert (created.number, created.date) == (8, date(2026, 11, 27))
    text = created.path.read_text(encoding="utf-8")
    assert text.startswith("---\ntitle: Issue 8\ndate: '2026-11-27'\nnumber: 8\ndraft: true\n")
    headings = [line for line in text.splitlines() if line.startswith("## ")]
    assert headings == ["## News", "## Blogs", "## Open source", "## Tools", "## Resources"]
    issue = parse(text, "8-issue-8.md")
    assert issue.draft
    assert issue.sections[0].key == "news"


def test_never_overwrites(make_site):
    site = make_site({"content/issues/7-a.md": ISSUE, "content/issues/8-same.md": "keep"})
    with pytest.raises(DigestError) as caught:
        new_issue(site, today=date(2026, 11, 24), title="same")
    assert "already exists" in caught.value.problems[0].message
    assert (site / "content/issues/8-same.md").read_text() == "keep"


def test_from_inbox_places_candidates_and_moves_them_out(make_site, parse, monkeypatch, capsys):
    inbox = {
        "content/inbox/2026-11-20-a.md": "---\ntitle: Fast [JSON] for Vec<T>\nurl: https://j.example/\n"
        "source: Blog\ndate: 2026-11-20\nsection: tools\n---\nParses JSON quickly.\n",
        "content/inbox/2026-11-21-b.md": "---\ntitle: 新闻一则\nurl: https://n.example/a_(b)\n"
        "source: 博客\ndate: 2026-11-21\n---\n一句话摘要。\n",
    }
    site = make_site({"content/issues/7-a.md": ISSUE, **inbox})
    monkeypatch.chdir(site)
    assert main(["new", "--title", "Weekly 8", "--date", "2026-11-30", "--from-inbox"]) == 0
    out, err = capsys.readouterr()
    assert out.strip() == "content/issues/8-weekly-8.md"
    assert "placed 2 inbox candidates" in err
    issue = parse((site / out.strip()).read_text(encoding="utf-8"), "8-weekly-8.md")
    tools = next(s for s in issue.sections if s.key == "tools")
    assert [(i.title, i.url) for i in tools.items] == [
        ("Fast [JSON] for Vec<T>", "https://j.example/")
    ]
    inbox_section = issue.sections[-1]
    assert inbox_section.heading == "Inbox"
    assert [(i.title, i.url) for i in inbox_section.items] == [
        ("新闻一则", "https://n.example/a_(b)")
    ]
    assert "一句话摘要。" in inbox_section.items[0].body_html
    assert list((site / "content/inbox").iterdir()) == []
    assert sorted(p.name for p in (site / ".digest/inbox-used").iterdir()) == [
        "2026-11-20-a.md",
        "2026-11-21-b.md",
    ]


def test_bad_weekday_is_a_config_error(make_site, monkeypatch, capsys):
    site = make_site({}, SITE_YAML + "weekday: someday\n")
    monkeypatch.chdir(site)
    assert main(["new"]) == 1
    assert (
        "site.yaml:5: error: weekday 'someday' is not a day of the week" in capsys.readouterr().err
    )


def test_a_chinese_title_gets_a_chinese_slug(make_site):
    site = make_site({"content/issues/7-a.md": ISSUE}, SITE_YAML.replace("en", "zh-CN"))
    created = new_issue(site, today=date(2026, 11, 24))
    assert created.path.name == "8-第-8-期.md"
    titled = new_issue(site, when=date(2026, 12, 1), title="慢查询 周刊")
    assert titled.path.name == "9-慢查询-周刊.md"


def test_a_second_new_refuses_while_the_next_draft_waits(make_site, monkeypatch, capsys):
    site = make_site({"content/issues/7-a.md": ISSUE}, SITE_YAML + "weekday: monday\n")
    monkeypatch.chdir(site)
    assert main(["new", "--date", "2026-11-30"]) == 0
    assert capsys.readouterr().out.strip() == "content/issues/8-issue-8.md"
    assert main(["new", "--date", "2026-11-30", "--title", "Other"]) == 1
    assert capsys.readouterr().err.startswith(
        "content/issues/8-issue-8.md: error: a draft for 2026-11-30 already exists; edit it, "
        "or pass --date for another day"
    )
    assert sorted(p.name for p in (site / "content/issues").iterdir()) == ["7-a.md", "8-issue-8.md"]
    assert main(["new", "--date", "2026-12-07"]) == 0  # the week after is another issue
    assert capsys.readouterr().out.strip() == "content/issues/9-issue-9.md"
