"""The parse cache gives back exactly what parsing gives, and only while that is still true."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

from digest.build import cache
from digest.build.parallel import parse_encoded, parse_files
from digest.config import load_config
from digest.content.sources import issue_paths
from digest.errors import DigestError

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bench"))
from corpus import generate

SAMPLE = Path(__file__).resolve().parents[1]

ODD_ISSUE = """\
---
title: "Odd one: 时区 & extras"
date: 2026-03-29T01:30:00+08:00
number: 7
tags: [C++, 中文]
authors: [Ada, 林]
lang: zh-CN
cover: /img/cover.png
subtitle: A subtitle
series: {name: deep, parts: [1, 2.5, true, null]}
---
Intro with **bold** and <b>raw html</b>.

## 新闻

### [A link](https://example.org/a)

![alt text](/img/a.png)

Summary with `code`.

```python
print("hi")
```

## Unknown heading

Just text.
"""


class Counting:
    """The `parse` argument of cached_parse, counting the files it is asked to parse."""

    def __init__(self, config) -> None:
        self.config = config
        self.asked: list[Path] = []

    def __call__(self, paths):
        self.asked += paths
        return parse_encoded(paths, self.config, jobs=2)


def run(root: Path) -> tuple[dict, list[Path]]:
    config = load_config(root, None)
    counting = Counting(config)
    parsed = cache.cached_parse(issue_paths(config), config, counting)
    return parsed, counting.asked


def fresh(root: Path) -> dict:
    config = load_config(root, None)
    return parse_files(issue_paths(config), config)


@pytest.fixture
def site(tmp_path: Path) -> Path:
    root = generate(12, tmp_path / "site")
    (root / "content/issues/0007-odd.md").write_text(ODD_ISSUE, encoding="utf-8")
    return root


def test_cached_issues_equal_parsed_ones(site: Path):
    first, asked = run(site)
    assert len(asked) == 13
    second, asked = run(site)
    assert asked == []
    assert second == first == fresh(site)
    odd = second[site / "content/issues/0007-odd.md"]
    assert odd.date.utcoffset() is not None and odd.date.hour == 1
    assert odd.extra["series"] == {"name": "deep", "parts": [1, 2.5, True, None]}
    assert type(odd.sections[0].items[0].body_html).__name__ == "Markup"


def test_the_sample_site_round_trips(tmp_path: Path):
    """The sample site's own issues: drafts, images, Chinese and English."""
    root = tmp_path / "sample"
    (root / "content" / "issues").mkdir(parents=True)
    (root / "site.yaml").write_bytes((SAMPLE / "site.yaml").read_bytes())
    for path in (SAMPLE / "content" / "issues").iterdir():
        (root / "content" / "issues" / path.name).write_bytes(path.read_bytes())
    run(root)
    cached, asked = run(root)
    assert asked == []
    assert cached == fresh(root)


def test_only_changed_texts_are_parsed_again(site: Path):
    run(site)
    edited = site / "content/issues/0003-weekly.md"
    edited.write_text(edited.read_text(encoding="utf-8") + "\nOne more line.\n", encoding="utf-8")
    touched = site / "content/issues/0004-weekly.md"
    os.utime(touched, ns=(1, 1))  # same text, new time: read and hashed, not parsed
    parsed, asked = run(site)
    assert asked == [edited]
    assert parsed == fresh(site)
    _, asked = run(site)
    assert asked == []


def test_an_issue_saved_while_it_is_parsed_is_parsed_again(site: Path):
    """The entry holds the text that was parsed, so it must carry that text's stamp."""
    run(site)
    edited = site / "content/issues/0003-weekly.md"
    edited.write_text(edited.read_text(encoding="utf-8") + "\nFirst save.\n", encoding="utf-8")
    config = load_config(site, None)

    def parse_then_save_again(paths):
        parsed = list(parse_encoded(paths, config))
        text = edited.read_text(encoding="utf-8") + "\nSecond save.\n"
        edited.write_text(text, encoding="utf-8")
        os.utime(edited, ns=(2_000_000_000_000_000_000, 2_000_000_000_000_000_000))
        return parsed

    cache.cached_parse(issue_paths(config), config, parse_then_save_again)
    parsed, asked = run(site)
    assert asked == [edited]
    assert parsed == fresh(site)


def test_deleted_and_renamed_issues(site: Path):
    run(site)
    (site / "content/issues/0002-weekly.md").unlink()
    renamed = site / "content/issues/0005-renamed.md"
    (site / "content/issues/0005-weekly.md").rename(renamed)
    parsed, asked = run(site)
    assert asked == [renamed]
    assert parsed == fresh(site)
    assert len(list((site / cache.CACHE_DIR).iterdir())) == 12


def test_a_config_change_parses_everything_again(site: Path):
    run(site)
    yaml = site / "site.yaml"
    text = yaml.read_text(encoding="utf-8")
    yaml.write_text(text.replace("Asia/Shanghai", "Asia/Tokyo"), encoding="utf-8")
    parsed, asked = run(site)
    assert len(asked) == 13
    assert parsed == fresh(site)


def test_a_config_change_parsing_does_not_read_keeps_the_cache(site: Path):
    run(site)
    yaml = site / "site.yaml"
    yaml.write_text(yaml.read_text(encoding="utf-8") + "feed_limit: 7\n", encoding="utf-8")
    parsed, asked = run(site)
    assert asked == []
    assert parsed == fresh(site)


def test_damaged_entries_are_ignored(site: Path):
    run(site)
    entries = sorted((site / cache.CACHE_DIR).iterdir())
    entries[0].write_bytes(b"\x00garbage")
    entries[1].write_bytes(entries[1].read_bytes()[:50])
    entries[2].write_bytes(entries[3].read_bytes())  # another issue's entry
    entries[4].write_bytes(entries[4].read_bytes()[:-100])  # its issue's row intact
    parsed, asked = run(site)
    assert len(asked) == 3  # the fifth entry's item rows are read only when wanted,
    assert parsed == fresh(site)  # found cut short (their checksum), and parsed afresh
    assert len(asked) == 4


def test_item_rows_are_read_when_wanted_and_checked(site: Path):
    """An issue's items come from its entry as it is when they are first read: whole and
    of the same text, else from the issue file parsed again; if its text changed too, the
    build stops rather than show an issue half old, half new."""
    run(site)
    parsed, asked = run(site)
    assert asked == []
    path = site / "content/issues/0003-weekly.md"
    entry = next(
        file
        for file in (site / cache.CACHE_DIR).iterdir()
        if str(path).encode() in file.read_bytes()
    )
    entry.unlink()  # the author cleared .digest/ meanwhile
    issue = parsed[path]
    assert [item.title for item in issue.items] == [item.title for item in fresh(site)[path].items]
    assert asked == [path]

    run(site)  # the entry is written again
    parsed, _ = run(site)
    issue = parsed[path]
    path.write_text(path.read_text(encoding="utf-8") + "\nEdited meanwhile.\n", encoding="utf-8")
    run(site)  # the entry now holds the new text's parse
    with pytest.raises(DigestError, match="changed while digest was reading it"):
        issue.items  # noqa: B018


def test_files_with_problems_are_not_cached(site: Path):
    broken = site / "content/issues/0008-broken.md"
    broken.write_text("---\ntitle: [unclosed\n---\nbody\n", encoding="utf-8")
    first, _ = run(site)
    second, asked = run(site)
    assert asked == [broken]
    assert isinstance(second[broken], list) and second[broken] == first[broken]


def test_an_unwritable_cache_only_costs_time(site: Path):
    (site / ".digest").write_text("not a folder", encoding="utf-8")
    first, _ = run(site)
    second, asked = run(site)
    assert len(asked) == 13
    assert second == first


def test_an_issue_parsed_by_other_code_is_parsed_again(tmp_path):
    """A developer's edit or an upgrade that keeps the version number still changes how
    issues are read: the key follows digest's modules as installed."""
    module = Path(cache.__file__).parent.parent / "content" / "body.py"
    before = module.stat()
    cache._code_stamp.cache_clear()
    first = cache._code_stamp()
    try:
        os.utime(module, ns=(before.st_atime_ns, before.st_mtime_ns + 1_000_000_000))
        cache._code_stamp.cache_clear()
        assert cache._code_stamp() != first
    finally:
        os.utime(module, ns=(before.st_atime_ns, before.st_mtime_ns))
        cache._code_stamp.cache_clear()
    assert cache._code_stamp() == first
