"""URL joining for feeds and sitemaps gives what urljoin gives."""

from __future__ import annotations

from urllib.parse import urljoin

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from digest.links import joiner

BASES = [
    "https://example.com/",
    "https://user.github.io/weekly/",
    "http://127.0.0.1:8000/a/b/?q=1#top",
    "weekly/",  # not absolute: always urljoin
]


@pytest.mark.parametrize("base", BASES)
@given(path=st.text(alphabet=st.sampled_from("/.ab%?#:;=中 "), max_size=16))
@example(path="/weekly/issues/1/")
@example(path="/a//b/")
@example(path="/a/./b/../c")
@example(path="/")
@example(path="//host/x")
def test_joiner_equals_urljoin(base: str, path: str) -> None:
    assert joiner(base)(path) == urljoin(base, path)


def test_site_paths_take_the_short_way() -> None:
    join = joiner("https://user.github.io/weekly/")
    assert join("/weekly/issues/1/") == "https://user.github.io/weekly/issues/1/"
