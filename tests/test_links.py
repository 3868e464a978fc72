"""URL joining for feeds and sitemaps gives what urljoin gives."""

from __future__ import annotations

from urllib.parse import urljoin

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from digest.text.links import from_folder, joiner, relocate, site_path

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


@pytest.mark.parametrize(
    ("url", "folder", "expected"),
    [
        ("cover.jpg", "issues", "/issues/cover.jpg"),
        ("./assets/x.png", "issues", "/issues/assets/x.png"),
        ("assets/x.png?v=2#top", "issues", "/issues/assets/x.png?v=2#top"),
        ("../img/x.png", "issues/2024", "/issues/img/x.png"),
        ("img/bg.jpg", "", "/img/bg.jpg"),
        ("../../x.png", "issues", None),  # climbs out of content/
        ("../x.png", "", None),
    ],
)
def test_relative_urls_from_the_issue_folder(url: str, folder: str, expected: str | None) -> None:
    assert from_folder(url, folder) == expected


def test_relocate_resolves_image_sources_and_file_links_only() -> None:
    html = (
        '<p><img src="./assets/x.png" alt=""> <img srcset="a.png 1x, /b.png 2x">\n'
        '<a href="other-issue.md">next</a> <a href="slides.pdf">slides</a> '
        '<a href="example.com">site</a> <a href="#top">top</a> '
        '<img src="https://cdn.example/x.png"> <img src="data:image/png;base64,AA=="></p>\n'
        '<pre><code>&lt;img src="raw.png"&gt; src=code.png</code></pre>'
    )
    assert relocate(html, "issues", "/weekly/") == (
        '<p><img src="/weekly/issues/assets/x.png" alt=""> '
        '<img srcset="/weekly/issues/a.png 1x, /weekly/b.png 2x">\n'
        '<a href="other-issue.md">next</a> <a href="/weekly/issues/slides.pdf">slides</a> '
        '<a href="example.com">site</a> <a href="#top">top</a> '
        '<img src="https://cdn.example/x.png"> <img src="data:image/png;base64,AA=="></p>\n'
        '<pre><code>&lt;img src="raw.png"&gt; src=code.png</code></pre>'
    )
    # Outside content/ (no folder) relative URLs stay; a path climbing out stays too.
    assert relocate('<img src="x.png">', None, "/") == '<img src="x.png">'
    assert relocate('<img src="../../x.png">', "issues", "/") == '<img src="../../x.png">'


def test_site_path_of_a_root_relative_url() -> None:
    assert site_path("/weekly/img/%E5%9B%BE.png?v=1", "/weekly/") == "img/图.png"
    assert site_path("/issues/assets/x.png", "/") == "issues/assets/x.png"
    assert site_path("/a/../../etc/passwd", "/") is None
    assert site_path("//cdn.example/x.png", "/") is None
    assert site_path("x.png", "/") is None
