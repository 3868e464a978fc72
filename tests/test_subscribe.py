"""site.yaml `subscribe:` and `discuss:`, and the feeds page the "RSS" links open."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest

from digest.build.pipeline import BuildOptions, build
from digest.config import parse_config
from digest.errors import DigestError
from digest.model import SubscribeConfig

NOW = datetime(2030, 1, 1, tzinfo=UTC)
BASE = "title: T\nbase_url: https://example.org/weekly/\nlanguage: zh-CN\n"
ISSUE = "---\ntitle: 第 7 期：慢查询\ndate: 2026-01-01\n---\nHi.\n\n## 工具\n\n- [fd](https://example.org/fd)\n"


def test_subscribe_and_discuss_are_read(tmp_path: Path) -> None:
    config = parse_config(
        BASE
        + "subscribe:\n  email: https://buttondown.com/api/emails/embed-subscribe/x\n"
        + "  email_field: EMAIL\n  wechat: 字节周刊\n  wechat_qr: /images/qr.png\n"
        + "discuss: https://github.com/o/r/discussions?q={title}&n={number}\n",
        tmp_path / "site.yaml",
    )
    assert config.subscribe == SubscribeConfig(
        "https://buttondown.com/api/emails/embed-subscribe/x", "EMAIL", "字节周刊", "/images/qr.png"
    )
    assert config.discuss == "https://github.com/o/r/discussions?q={title}&n={number}"


@pytest.mark.parametrize(
    ("yaml", "message"),
    [
        ("subscribe:\n  email: buttondown\n", "5: 'email' is 'buttondown'; give the sign-up"),
        ("subscribe:\n  wechat_qr: qr.png\n", "5: 'wechat_qr' is 'qr.png'; give an image URL"),
        ("subscribe:\n  emial: x\n", "5: unknown key 'subscribe.emial'; did you mean 'email'?"),
        ("subscribe: yes\n", "4: 'subscribe' must be a mapping"),
        ("discuss: https://x.org/{id}\n", "4: 'discuss' has {id}; it may hold {number}"),
        ("discuss: https://x.org/{title\n", "4: 'discuss' is 'https://x.org/{title', whose"),
    ],
)
def test_mistakes_are_said_at_their_line(yaml: str, message: str, tmp_path: Path) -> None:
    with pytest.raises(DigestError) as raised:
        parse_config(BASE + yaml, tmp_path / "site.yaml")
    said = [f"{problem.line}: {problem.message}" for problem in raised.value.problems]
    assert any(line.startswith(message) for line in said), said


def test_pages_show_the_ways_to_follow(make_site: Callable[..., Path]) -> None:
    root = make_site(
        {"content/issues/7-a.md": ISSUE},
        BASE
        + "subscribe:\n  email: https://list.example.org/subscribe\n  wechat: 字节周刊\n"
        + "  wechat_qr: /images/qr.png\ndiscuss: https://forum.example.org/t/{number}?t={title}\n",
    )
    out = root / "_site"
    build(BuildOptions(site_dir=root, out_dir=out, now=NOW))
    home = (out / "index.html").read_text(encoding="utf-8")
    issue = (out / "issues" / "7" / "index.html").read_text(encoding="utf-8")
    for page in (home, issue):
        assert '<form class="subscribe-email" action="https://list.example.org/subscribe"' in page
        assert 'src="/weekly/images/qr.png"' in page and "字节周刊" in page
        assert '<a href="/weekly/feeds/">RSS</a>' in page
    assert 'href="https://forum.example.org/t/7?t=%E7%AC%AC%207%20%E6%9C%9F' in issue
    assert "forum.example.org" not in home
    feeds = (out / "feeds" / "index.html").read_text(encoding="utf-8")
    for address in ("feed.xml", "atom.xml", "feed.json", "sections/tools/feed.xml"):
        assert f'data-copy="https://example.org/weekly/{address}"' in feeds


def test_without_subscribe_only_the_feeds_are_offered(make_site: Callable[..., Path]) -> None:
    root = make_site({"content/issues/7-a.md": ISSUE}, BASE)
    out = root / "_site"
    build(BuildOptions(site_dir=root, out_dir=out, now=NOW))
    issue = (out / "issues" / "7" / "index.html").read_text(encoding="utf-8")
    assert "<form" not in issue.split('<aside class="subscribe"')[1]
    assert 'class="discuss"' not in issue
