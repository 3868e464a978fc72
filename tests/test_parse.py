"""Front matter, fallbacks and the errors an author sees for a broken issue."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from digest.content.parse import decode
from digest.errors import DigestError

SHANGHAI = ZoneInfo("Asia/Shanghai")


def errors_of(parse, text: str, name: str = "1-test.md") -> list[str]:
    with pytest.raises(DigestError) as caught:
        parse(text, name)
    return [f"{Path(p.path).name}:{p.line}: {p.message}" for p in caught.value.problems]


def test_all_fields(parse):
    issue = parse(
        """\
        ---
        title: Weekly 35
        date: 2026-11-02
        number: 35
        summary: Databases and Rust.
        cover: /images/cover.png
        tags: [rust, 数据库]
        draft: true
        slug: databases
        subtitle: A quiet week
        authors: [Ann, Bo]
        lang: zh-CN
        ---
        body
        """
    )
    assert issue.title == "Weekly 35"
    assert issue.date == datetime(2026, 11, 2, tzinfo=SHANGHAI)
    assert (issue.number, issue.slug, issue.url_path) == (35, "databases", "issues/35/")
    assert issue.tags == ("rust", "数据库")
    assert issue.draft and issue.cover == "/images/cover.png"
    assert (issue.subtitle, issue.authors, issue.lang) == ("A quiet week", ("Ann", "Bo"), "zh-CN")


def test_fields_from_other_generators_are_mapped_or_kept(parse):
    issue = parse(
        """\
        ---
        title: T
        date: 2026-11-02T09:30:00+08:00
        author: Ann
        header-img: /img/head.jpg
        categories: [weekly, rust]
        tags: [rust]
        layout: post
        description: From Hugo.
        comments: true
        ---
        """
    )
    assert issue.authors == ("Ann",)
    assert issue.cover == "/img/head.jpg"
    assert issue.tags == ("rust", "weekly")
    assert issue.summary == "From Hugo."
    assert issue.extra == {"layout": "post", "comments": True}
    assert issue.date == datetime(2026, 11, 2, 9, 30, tzinfo=SHANGHAI)


def test_title_and_date_fall_back_to_h1_and_file_name(parse):
    issue = parse("---\ntags: [a]\n---\n# 第 7 期\n\ntext\n", "2026-03-09-weekly-7.md")
    assert issue.title == "第 7 期"
    assert issue.date == datetime(2026, 3, 9, tzinfo=SHANGHAI)
    assert issue.slug == "2026-03-09-weekly-7"  # the date keeps names that repeat apart
    assert issue.number == 7  # from the title


def test_number_and_slug_from_file_name(parse):
    issue = parse("---\ntitle: T\ndate: 2026-01-05\n---\n", "012-new-year.md")
    assert (issue.number, issue.slug) == (12, "new-year")


def test_chinese_slug_is_kept(parse):
    issue = parse("---\ntitle: 数据库 周刊\ndate: 2026-01-05\n---\n", "数据库-周刊.md")
    assert issue.slug == "数据库-周刊"
    assert issue.url_path == "issues/数据库-周刊/"


def test_summary_defaults_to_the_intro(parse):
    issue = parse("---\ntitle: T\ndate: 2026-01-05\n---\nThis week **we** read.\n\n## News\n")
    assert issue.summary == "This week we read."


def test_no_front_matter(parse):
    assert errors_of(parse, "<html><body>scraped page</body></html>\n") == [
        "1-test.md:1: no front matter found; an issue starts with a '---' line, then `title:` "
        "and `date:` lines, then a closing '---' line. Did you forget the '---' lines?"
    ]


def test_unclosed_front_matter(parse):
    assert errors_of(parse, "---\ntitle: T\n") == [
        "1-test.md:1: the front matter that starts here is never closed; add a '---' line after it"
    ]


def test_invalid_yaml_points_at_its_line(parse):
    (error,) = errors_of(parse, "---\ntitle: T\ndate: 2026-01-05\ntags: [a, b\n---\n")
    assert error.startswith("1-test.md:5: invalid YAML")


def test_front_matter_that_is_not_a_mapping(parse):
    assert errors_of(parse, "---\n- a\n- b\n---\n# T\n", "2026-01-05-x.md") == [
        "2026-01-05-x.md:2: front matter must be `key: value` lines, e.g. `title: Weekly #1`"
    ]


@pytest.mark.parametrize("value", ["2026-02-30", "next monday", "2026-13-01"])
def test_impossible_dates(parse, value):
    (error,) = errors_of(parse, f"---\ntitle: T\ndate: {value}\n---\n")
    assert error.startswith(f"1-test.md:3: '{value}' is not a valid date; write it as YYYY-MM-DD")


def test_missing_date_and_title(parse):
    errors = errors_of(parse, "---\ntags: [a]\n---\ntext\n", "notes.md")
    assert errors == [
        "notes.md:1: the issue has no title; add `title: …` to the front matter or start the "
        "body with a `# Title` line",
        "notes.md:1: the issue has no date; add `date: YYYY-MM-DD` to the front matter, start "
        "the file name with the date (2026-11-23-my-issue.md), or commit it to git",
    ]


def test_wrong_types_are_all_reported(parse):
    errors = errors_of(
        parse, "---\ntitle: T\ndate: 2026-01-05\nnumber: -3\ndraft: maybe\ntags: {a: 1}\n---\n"
    )
    assert errors == [
        "1-test.md:4: number '-3' must be a whole number, e.g. 35",
        "1-test.md:5: 'draft' must be true or false",
        "1-test.md:6: 'tags' must be a list of texts, e.g. [rust, 数据库]",
    ]


@pytest.mark.parametrize("slug", ["../../x", "/etc", "a\\b", ".hidden"])
def test_unsafe_slugs_are_refused(parse, slug):
    (error,) = errors_of(parse, f"---\ntitle: T\ndate: 2026-01-05\nslug: '{slug}'\n---\n")
    assert error.startswith(f"1-test.md:4: slug '{slug}' cannot be a folder name")


def test_duplicate_keys(parse):
    assert errors_of(parse, "---\ntitle: A\ntitle: B\ndate: 2026-01-05\n---\n") == [
        "1-test.md:3: 'title' is given twice; keep one of them"
    ]


def test_invalid_toml_points_at_its_line(parse):
    (error,) = errors_of(parse, "+++\ntitle = 'T'\ndate = 2026-01-05\ntags = [a]\n+++\n")
    assert error.startswith("1-test.md:4: invalid TOML: ")
    assert "(at line" not in error


def test_unclosed_toml_front_matter(parse):
    assert errors_of(parse, "+++\ntitle = 'T'\n") == [
        "1-test.md:1: the front matter that starts here is never closed; add a '+++' line after it"
    ]


def test_non_utf8_names_the_line():
    data = "---\ntitle: 周刊\n".encode() + "日期: 今天\n".encode("gbk")
    with pytest.raises(DigestError) as caught:
        decode(data, Path("gbk.md"))
    (problem,) = caught.value.problems
    assert (problem.line, problem.message[:20]) == (3, "not valid UTF-8 (byt")


@pytest.mark.parametrize(
    ("name", "title", "number", "slug", "url"),
    [
        ("2024/12.md", "Notes", None, "2024-12", "issues/2024-12/"),
        ("2024/12.md", "Issue #57", 57, "2024-12", "issues/57/"),
        ("issue-350.md", "Notes", 350, "issue-350", "issues/350/"),
        ("0012.md", "Slow queries", 12, "slow-queries", "issues/12/"),
        ("99-自驾回家.markdown", "自驾回家", 99, "自驾回家", "issues/99/"),
        ("3-third.md", "科技周报（第 350 期）", 350, "third", "issues/350/"),
        ("2025-12-31-this-week.md", "Best of 2025", None, "2025-12-31-this-week", None),
    ],
)
def test_numbers_and_slugs_from_titles_and_file_names(parse, name, title, number, slug, url):
    issue = parse(f"---\ntitle: '{title}'\ndate: 2026-01-05\n---\n", name)
    assert (issue.number, issue.slug) == (number, slug)
    assert issue.url_path == (url or f"issues/{slug}/")


def test_front_matter_number_and_slug_win(parse):
    issue = parse("---\ntitle: 'Issue #9'\ndate: 2026-01-05\nissue: 4\nslug: four\n---\n", "7-x.md")
    assert (issue.number, issue.slug) == (4, "four")


def test_dated_names_that_repeat_do_not_clash(parse):
    slugs = {
        parse("# This week\n", f"2025-12-{day}-this-week-in-widgets.md").slug for day in (24, 31)
    }
    assert slugs == {"2025-12-24-this-week-in-widgets", "2025-12-31-this-week-in-widgets"}


def test_relative_images_are_resolved_from_the_issue_folder(parse):
    issue = parse(
        """\
        ---
        title: T
        date: 2026-11-23
        ---
        ![](cover.jpg)

        Intro. See [the last issue](100-old.md) and [the slides](./assets/talk.pdf).

        ## News

        ### [A](https://a.example/)

        ![](./assets/a.png)

        Summary.

        ### [B](https://b.example/)

        <img src="assets/b.png" alt="B">

        ### [C](https://c.example/)

        Text <img src='assets/c.png'> and `<img src="assets/code.png">`.

        ### [D](https://d.example/)

        ![](https://cdn.example/d.png)
        """,
        "101-x.md",
    )
    assert 'src="/issues/cover.jpg"' in issue.intro_html
    assert 'href="100-old.md"' in issue.intro_html  # a page, not a file: left as written
    assert 'href="/issues/assets/talk.pdf"' in issue.intro_html
    a, b, c, d = issue.items
    assert (a.image, b.image, c.image) == (
        "/issues/assets/a.png",
        "/issues/assets/b.png",
        "/issues/assets/c.png",
    )
    assert "src='/issues/assets/c.png'" in c.body_html
    assert "&lt;img src=&quot;assets/code.png&quot;&gt;" in c.body_html  # code is text
    assert d.image == "https://cdn.example/d.png"


def test_relative_images_in_year_folders_and_climbing_out(parse):
    issue = parse(
        """\
        ---
        title: T
        date: 2026-11-23
        ---
        ![a](../img/a.png) ![b](../../../b.png)
        """,
        "2024/12.md",
    )
    assert 'src="/issues/img/a.png"' in issue.intro_html
    assert 'src="../../../b.png"' in issue.intro_html  # outside content/: as written


def test_a_relative_cover_beside_the_issue_or_from_the_site_root(parse, tmp_path):
    (tmp_path / "content/issues/2024").mkdir(parents=True)
    (tmp_path / "content/issues/2024/cover.png").write_bytes(b"png")
    bundle = "---\ntitle: T\ndate: 2026-11-23\ncover: cover.png\n---\n"
    assert parse(bundle, "2024/1.md").cover == "/issues/2024/cover.png"
    jekyll = "---\ntitle: T\ndate: 2026-11-23\nheader-img: img/bg.jpg\n---\n"
    assert parse(jekyll, "100-x.md").cover == "/img/bg.jpg"
    outside = "---\ntitle: T\ndate: 2026-11-23\ncover: ../../x.png\n---\n"
    assert parse(outside, "100-x.md").cover == "../../x.png"


def test_relative_images_under_a_sub_path_base_url(tmp_path):
    from digest.config import parse_config
    from digest.content.markdown import make_markdown
    from digest.content.parse import parse_issue

    yaml = "title: W\nbase_url: https://x.github.io/weekly/\ntimezone: UTC\n"
    (tmp_path / "site.yaml").write_text(yaml, encoding="utf-8")
    config = parse_config(yaml, tmp_path / "site.yaml")
    text = (
        "---\ntitle: T\ndate: 2026-11-23\nheader-img: img/bg.jpg\n---\n![](./a.png)\n\n"
        "## News\n\n### [A](https://a.example/)\n\n![](assets/a.png)\n"
    )
    path = tmp_path / "content/issues/1-t.md"
    issue = parse_issue(text, path, config, make_markdown(config.markdown))
    assert issue.cover == "/weekly/img/bg.jpg"
    assert 'src="/weekly/issues/a.png"' in issue.intro_html
    assert issue.items[0].image == "/weekly/issues/assets/a.png"


@pytest.mark.parametrize(
    ("name", "title", "number"),
    [
        ("99-自驾回家.md", "自驾回家", 99),
        ("#98-潮流建筑.md", "潮流建筑", 98),
        ("#01-Anji-Dusk.md", "Anji Dusk", 1),
    ],
)
def test_a_numbered_file_name_gives_the_title_when_the_issue_has_none(parse, name, title, number):
    text = (
        "<img src=https://img.example/a.jpg width=900/>\n\n## 前端技术\n\n"
        "**一篇文章**  \n<https://a.example/>  \n好文。\n"
    )
    issue = parse("---\ndate: 2022-10-17\n---\n" + text, name)
    assert (issue.title, issue.number, [item.url for item in issue.items]) == (
        title,
        number,
        ["https://a.example/"],
    )


def test_reading_time_counts_the_prose_under_sub_headings(parse):
    words = " ".join(["word"] * 600)
    issue = parse(f"---\ntitle: T\ndate: 2026-11-02\n---\n## Updates\n\n### Notes\n\n{words}\n")
    assert issue.sections[0].groups[0].body_html  # the prose is the group's, not an item's
    assert issue.reading_minutes >= 2
