"""Pagination: older pages keep their address and their entries as the archive grows."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from digest.site.plan import paginate

START = datetime(2020, 1, 6, tzinfo=UTC)


def when(entry: int) -> datetime:
    return START + timedelta(weeks=entry)


def pages(count: int, per_page: int = 3):
    newest_first = list(range(count, 0, -1))
    return paginate(newest_first, per_page, "tags/x/", when)


def test_first_page_holds_the_newest_and_older_pages_count_from_the_oldest():
    result = pages(10)
    assert [(path, chunk) for path, chunk, _ in result] == [
        ("tags/x/", [10, 9, 8]),
        ("tags/x/page/3/", [7]),
        ("tags/x/page/2/", [6, 5, 4]),
        ("tags/x/page/1/", [3, 2, 1]),
    ]
    numbers = [pagination.number for _, _, pagination in result]
    assert numbers == [None, 3, 2, 1]


def test_links_chain_newer_and_older():
    result = pages(10)
    paths = [path for path, _, _ in result]
    for index, (_, _, pagination) in enumerate(result):
        assert pagination.prev_path == (paths[index - 1] if index else None)
        assert pagination.next_path == (paths[index + 1] if index + 1 < len(paths) else None)
    assert result[1][2].newest == when(7) and result[1][2].oldest == when(7)
    assert result[3][2].newest == when(3) and result[3][2].oldest == when(1)


def test_a_new_entry_changes_only_the_first_and_the_newest_older_page():
    for count in range(1, 30):
        before = {path: (chunk, p) for path, chunk, p in pages(count)}
        after = {path: (chunk, p) for path, chunk, p in pages(count + 1)}
        changed = {path for path in after if before.get(path) != after[path]}
        assert "tags/x/" in changed
        assert len(changed) <= 3, (count, changed)  # first, newest older, and the one before
        assert set(before) <= set(after)


def test_few_entries_make_one_page():
    assert [(path, chunk) for path, chunk, _ in pages(3)] == [("tags/x/", [3, 2, 1])]
    only = pages(0)
    assert len(only) == 1 and only[0][1] == [] and only[0][2].next_path is None
