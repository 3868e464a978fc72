"""Tracking parameters and URL normalisation."""

from __future__ import annotations

import pytest

from digest.text.urls import normalize_url, strip_tracking, tracking_parameters, url_problem


@pytest.mark.parametrize(
    ("url", "clean"),
    [
        ("https://a.com/x?utm_source=rss&utm_medium=feed", "https://a.com/x"),
        ("https://a.com/x?id=3&spm=a2c6h&from=timeline", "https://a.com/x?id=3"),
        ("https://a.com/x?fbclid=abc#top", "https://a.com/x#top"),
        ("https://a.com/x?page=2", "https://a.com/x?page=2"),
        ("https://a.com/x", "https://a.com/x"),
    ],
)
def test_strip_tracking(url, clean):
    assert strip_tracking(url) == clean


def test_tracking_parameters():
    assert tracking_parameters("https://a.com/?utm_campaign=x&id=1&spm=2") == [
        "utm_campaign",
        "spm",
    ]


@pytest.mark.parametrize(
    "variant",
    [
        "http://www.Example.com/post/",
        "https://example.com/post",
        "https://example.com/post?utm_source=x",
        "https://example.com:443/post#comments",
    ],
)
def test_spellings_of_one_page_normalize_alike(variant):
    assert normalize_url(variant) == normalize_url("https://example.com/post")


def test_different_pages_stay_different():
    assert normalize_url("https://example.com/a?id=1") != normalize_url(
        "https://example.com/a?id=2"
    )
    assert normalize_url("https://blog.example.com/") != normalize_url("https://example.com/")


@pytest.mark.parametrize(
    ("url", "problem"),
    [
        ("https://example.com/x", None),
        ("/images/a.png", None),
        ("https:///nohost", "'https:///nohost' has no valid host name"),
        ("https://exa mple.com", "the link contains spaces"),
        ("javascript:alert(1)", "'javascript:alert(1)' uses the javascript: scheme"),
        ("example.com/page", "'example.com/page' has no scheme; write https://example.com/page"),
    ],
)
def test_url_problem(url, problem):
    assert url_problem(url) == problem
