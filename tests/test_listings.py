"""Sections, tags, years and past years across issues."""

from __future__ import annotations

from datetime import UTC, datetime

from digest.site.assemble import assemble
from digest.site.listings import past_years, section_listings, tag_listings, year_groups
from digest.text.slug import tag_slug

NOW = datetime(2030, 1, 1, tzinfo=UTC)


def site_of(parse, config, *issues):
    parsed = [parse(text, name) for name, text in issues]
    site, problems = assemble(config, parsed, NOW)
    assert problems == []
    return site


def issue(number: int, date: str, body: str = "", tags: str = "[]") -> tuple[str, str]:
    return f"{number}-i.md", f"---\ntitle: I{number}\ndate: {date}\ntags: {tags}\n---\n{body}"


def test_section_listings_newest_first_with_unknown_sections_last(parse, config):
    site = site_of(
        parse,
        config,
        issue(
            1,
            "2026-01-05",
            "## Tools\n\n- [a](https://a.example/) x\n## 播客\n\n- [p](https://p.example/1)\n"
            "## 随笔：慢下来\n\n[Essays](https://e.example/) start with links too.\n",
        ),
        issue(
            2,
            "2026-01-12",
            "## News\n\n- [b](https://b.example/) x\n## Tools\n\n- [c](https://c.example/) y\n"
            "## 播客\n\n- [q](https://p.example/2)\n## Once\n\n- [o](https://o.example/)\n",
        ),
    )
    listings = section_listings(site)
    # A heading with items in two issues is a section; an essay's and a one-off's are not.
    assert [(s.key, s.known) for s in listings] == [
        ("news", True),
        ("tools", True),
        ("播客", False),
    ]
    tools = listings[1]
    assert [(e.item.title, e.issue.number) for e in tools.entries] == [("c", 2), ("a", 1)]
    assert tools.url_path == "sections/tools/"


def test_entries_slice_and_index_as_the_tuple_of_them_does(parse, config):
    """A listing's entries are held as runs of one issue's section; every cut of them
    (the pages' shares, a template's own) gives the entries a tuple of them gives."""
    tools = "## Tools\n\n" + "".join(f"- [t{n}](https://t.example/{n}) x\n" for n in range(4))
    site = site_of(
        parse,
        config,
        *(issue(number, f"2026-01-{number + 4:02d}", tools) for number in range(1, 4)),
    )
    [listing] = section_listings(site)
    entries = listing.entries
    plain = tuple(entries)
    assert len(entries.runs) == 3 and len(entries) == len(plain) == 12
    assert [(e.issue.number, e.item.title) for e in plain[:5]] == [
        (3, "t0"),
        (3, "t1"),
        (3, "t2"),
        (3, "t3"),
        (2, "t0"),
    ]
    for start in range(-13, 14):
        for stop in range(-13, 14):
            for step in (None, 1, 2, -1):
                assert tuple(entries[start:stop:step]) == plain[start:stop:step]
        if -12 <= start < 12:
            assert entries[start] == plain[start]
    assert entries[3:7] == entries[3:7] and entries[3:7] != entries[3:8]


def test_tags_merge_spellings_and_sort_by_use(parse, config):
    site = site_of(
        parse,
        config,
        issue(1, "2026-01-05", tags="[Rust, C++]"),
        issue(2, "2026-01-12", tags="[rust, 数据库]"),
    )
    tags = tag_listings(site)
    assert [(t.name, t.slug, len(t.issues)) for t in tags] == [
        ("rust", "rust", 2),
        ("C++", "cpp", 1),
        ("数据库", "数据库", 1),
    ]


def test_tag_slugs_keep_distinct_tags_apart():
    assert len({tag_slug("C"), tag_slug("C++"), tag_slug("C#")}) == 3
    assert tag_slug("!!!") == "tag"


def test_years_and_past_years(parse, config):
    site = site_of(
        parse,
        config,
        issue(1, "2024-11-11"),
        issue(2, "2025-11-10"),
        issue(3, "2026-11-09"),
        issue(4, "2026-11-16"),
    )
    assert [(g.year, [i.number for i in g.issues]) for g in year_groups(site)] == [
        (2026, [4, 3]),
        (2025, [2]),
        (2024, [1]),
    ]
    past = past_years(site)
    assert [i.number for i in past["issues/3/"]] == [2, 1]
    assert [i.number for i in past["issues/2/"]] == [1]
    assert "issues/4/" not in past
