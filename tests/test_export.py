"""`digest export`: the email (HTML, text, .eml, a test send), WeChat and Markdown."""

from __future__ import annotations

import email
import re
import shutil
import socket
from email import policy
from html.parser import HTMLParser
from pathlib import Path

import pytest

from digest.cli import main
from digest.config import parse_config
from digest.errors import DigestError
from digest.export.email import GMAIL_CLIP_BYTES

ROOT = Path(__file__).resolve().parents[1]
SAMPLE_ISSUES = ["1", "2", "3", "4", "5"]
SUBJECT_3 = "Byte Weekly 字节周刊 · 第 3 期：Rust 写工具，AI 写草稿"


@pytest.fixture(autouse=True)
def fixed_clock(monkeypatch):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1795392000")  # 2026-11-23


@pytest.fixture
def site(tmp_path: Path) -> Path:
    """A copy of the sample site, so exports and site.yaml edits stay in the test."""
    root = tmp_path / "site"
    shutil.copytree(ROOT / "content", root / "content")
    shutil.copy(ROOT / "site.yaml", root / "site.yaml")
    return root


def export(site: Path, *args: str) -> int:
    return main(["export", *args, "--site", str(site)])


class Tags(HTMLParser):
    """Every start tag with its attributes."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.feed(html)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))


def test_eml_is_multipart_alternative_with_subject_and_chinese(site, capsys):
    assert export(site, "email", "3", "--eml") == 0
    out = capsys.readouterr().out.split()
    assert [Path(path).name for path in out] == ["3-email.html", "3-email.txt", "3-email.eml"]
    message = email.message_from_bytes(
        (site / "_export/3-email.eml").read_bytes(), policy=policy.default
    )
    assert message.get_content_type() == "multipart/alternative"
    assert message["Subject"] == SUBJECT_3
    parts = {part.get_content_type(): part.get_content() for part in message.iter_parts()}
    assert set(parts) == {"text/plain", "text/html"}
    for content in parts.values():
        assert "第 3 期：Rust 写工具，AI 写草稿" in content
        assert "模型上下文协议（MCP）成了 AI 工具的通用插口" in content
    assert "https://modelcontextprotocol.io/" in parts["text/plain"]
    assert "<" not in parts["text/plain"].replace("<https://", "")
    written = (site / "_export/3-email.html").read_text(encoding="utf-8")
    assert parts["text/html"].replace("\r\n", "\n").rstrip() == written.rstrip()


@pytest.mark.parametrize("number", SAMPLE_ISSUES)
def test_email_html_is_self_contained_and_under_gmails_limit(number, site, capsys):
    assert export(site, "email", number) == 0
    html = (site / f"_export/{number}-email.html").read_text(encoding="utf-8")
    assert len(html.encode("utf-8")) < GMAIL_CLIP_BYTES
    assert "KB of the 102 KB" in capsys.readouterr().err
    tags = Tags(html).tags
    names = {tag for tag, _ in tags}
    assert not names & {"script", "link", "iframe", "form"}
    assert [tag for tag, _ in tags].count("style") == 1  # the dark-mode rules, nothing else
    style = re.search(r"<style>(.*?)</style>", html, re.S)[1].strip()
    assert style.startswith("@media (prefers-color-scheme: dark)") and style.count("@media") == 1
    for tag, attrs in tags:
        assert "class" not in attrs, tag
        for name in ("href", "src"):
            if name in attrs:
                value = attrs[name] or ""
                assert value.startswith(("https://", "http://", "mailto:")) or value == (
                    "*|UNSUB|*"
                ), value
        if tag == "img":
            assert attrs.get("width") and attrs.get("height") and attrs.get("alt") is not None
            assert int(attrs["width"]) <= 600
    body = html.split("<body", 1)[1]
    assert 'href="https://digest.example.org/issues/' in body.split("</td>", 1)[0]  # web version
    assert 'href="*|UNSUB|*"' in html


def test_unsubscribe_placeholder_from_site_yaml(site, capsys):
    with (site / "site.yaml").open("a", encoding="utf-8") as file:
        file.write('email:\n  unsubscribe: "{{ unsubscribe_url }}"\n')
    assert export(site, "email", "1") == 0
    html = (site / "_export/1-email.html").read_text(encoding="utf-8")
    assert 'href="{{ unsubscribe_url }}"' in html
    text = (site / "_export/1-email.txt").read_text(encoding="utf-8")
    assert "Unsubscribe: {{ unsubscribe_url }}" in text
    assert "email.unsubscribe" not in capsys.readouterr().err


def test_plain_text_has_titles_urls_and_summaries(site):
    assert export(site, "email", "1", "--out", str(site / "out/one.html")) == 0
    text = (site / "out/one.txt").read_text(encoding="utf-8")
    assert text.startswith("Byte Weekly 字节周刊\nHello, Weekly: Python 3.14 settles in\n===")
    assert "Web version: https://digest.example.org/issues/1/" in text
    assert (
        "\n* Python 3.14 is out, and template strings are the fun part\n"
        "  https://docs.python.org/3/whatsnew/3.14.html\n"
        "  My favourite feature is t-strings (PEP 750)."
    ) in text
    assert '\n      greeting = t"Hello, {name}!"\n' in text  # code, indented under its item
    assert "<p>" not in text and "&amp;" not in text


def test_a_long_issue_says_how_big_and_what_gmail_clips(site, capsys):
    items = "\n".join(
        f"### [Item {n}](https://example.com/{n})\n\n" + "A summary that goes on. " * 40 + "\n"
        for n in range(120)
    )
    (site / "content/issues/9-long.md").write_text(
        f"---\ntitle: Long\ndate: 2026-11-02\nnumber: 9\n---\n\n## News\n\n{items}\n"
        "## Tools\n\n- [x](https://x.org)\n\n## Resources\n\n- [y](https://y.org)\n",
        encoding="utf-8",
    )
    assert export(site, "email", "9") == 0
    err = capsys.readouterr().err
    size = (site / "_export/9-email.html").stat().st_size
    assert size > GMAIL_CLIP_BYTES
    assert f"the email's HTML is {size / 1024:.0f} KB, over the 102 KB Gmail shows" in err
    assert "Gmail clips it within 'News' and hides 'Tools', 'Resources'" in err


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_send_test_through_a_local_smtp_server(site, capsys):
    from aiosmtpd.controller import Controller

    class Inbox:
        def __init__(self) -> None:
            self.envelopes: list = []

        async def handle_DATA(self, server, session, envelope):
            self.envelopes.append(envelope)
            return "250 OK"

    inbox = Inbox()
    port = free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        with (site / "site.yaml").open("a", encoding="utf-8") as file:
            file.write(
                f"smtp:\n  host: 127.0.0.1\n  port: {port}\n  security: none\n"
                "  from: editor@example.org\n"
            )
        assert export(site, "email", "3", "--send-test", "reader@example.net") == 0
    finally:
        controller.stop()
    assert f"sent '{SUBJECT_3}' to reader@example.net through 127.0.0.1:{port}" in (
        capsys.readouterr().err
    )
    (envelope,) = inbox.envelopes
    assert envelope.mail_from == "editor@example.org"
    assert envelope.rcpt_tos == ["reader@example.net"]
    message = email.message_from_bytes(envelope.content, policy=policy.default)
    assert message["Subject"] == SUBJECT_3 and message["To"] == "reader@example.net"
    kinds = [part.get_content_type() for part in message.iter_parts()]
    assert kinds == ["text/plain", "text/html"]
    assert "用 Rust 写一个顺手的命令行小工具" in message.get_body(("html",)).get_content()


def test_send_test_without_a_server_says_what_to_configure(site, capsys):
    assert export(site, "email", "3", "--send-test", "reader@example.net") == 1
    err = capsys.readouterr().err
    assert "--send-test needs an SMTP server, and site.yaml has no `smtp:`" in err
    assert "DIGEST_SMTP_USER" in err and "Traceback" not in err


def test_send_test_to_a_closed_port_fails_clearly(site, capsys):
    with (site / "site.yaml").open("a", encoding="utf-8") as file:
        file.write(f"smtp:\n  host: 127.0.0.1\n  port: {free_port()}\n  from: a@example.org\n")
    assert export(site, "email", "3", "--send-test", "reader@example.net") == 1
    assert "sending through 127.0.0.1:" in capsys.readouterr().err


def test_smtp_and_email_settings_are_validated(tmp_path):
    base = "title: T\nbase_url: https://example.org/\n"
    config = parse_config(
        base + "email:\n  unsubscribe: '*|UNSUB|*'\nsmtp:\n  host: mail.example.org\n"
        "  from: me@example.org\n",
        tmp_path / "site.yaml",
    )
    assert config.email.unsubscribe == "*|UNSUB|*"
    assert (config.smtp.host, config.smtp.port, config.smtp.security) == (
        "mail.example.org",
        587,
        "starttls",
    )
    with pytest.raises(DigestError) as raised:
        parse_config(
            base + "smtp:\n  port: 99999\n  security: tls\n  password: x\n", tmp_path / "site.yaml"
        )
    messages = [problem.message for problem in raised.value.problems]
    assert "unknown key 'smtp.password'; known keys: host, port, from, security" in messages
    assert "'smtp' needs a host, e.g. `host: smtp.example.com`" in messages
    assert "'smtp.security' is 'tls'; write starttls, ssl or none" in messages
    assert "'port' must be a port number, 1 to 65535" in messages


@pytest.mark.parametrize("number", SAMPLE_ISSUES)
def test_wechat_has_no_links_classes_or_styles_and_numbered_references(number, site, capsys):
    assert export(site, "wechat", number) == 0
    (path,) = capsys.readouterr().out.split()
    html = Path(path).read_text(encoding="utf-8")
    assert "<a " not in html and "href=" not in html
    assert "class=" not in html and "<style" not in html and " id=" not in html
    tags = Tags(html).tags
    from digest.export.wechat import KEPT_TAGS

    body = {tag for tag, _ in tags} - {"html", "head", "meta", "title", "body"}
    assert body <= KEPT_TAGS, body - KEPT_TAGS
    article = html.split("<body>", 1)[1]
    text = re.sub(r"<[^>]+>", "", article.replace("</p>", "</p>\n"))
    listed = dict(re.findall(r"\[(\d+)\] [^\n]*?: (https?://\S+)\n", text))
    cited = set(re.findall(r"<sup[^>]*>\[(\d+)\]</sup>", article))
    assert cited and cited == set(listed)
    assert sorted(map(int, listed)) == list(range(1, len(listed) + 1))
    # Each number stands after the words of a link to its URL: compare with the site's page.
    from digest.build.pipeline import build_clock
    from digest.config import load_config
    from digest.export import prepare

    issue = prepare(load_config(site), number, build_clock()).issue
    for item in issue.items:
        if item.url:
            number_of_url = [n for n, url in listed.items() if url == item.url]
            assert number_of_url, item.url
            assert re.search(
                re.escape(item.title) + r"(?:<[^>]+>)*<sup[^>]*>\[" + number_of_url[0] + r"\]",
                article,
            ), item.title
    for _, attrs in tags:
        assert set(attrs) <= {
            "style",
            "src",
            "alt",
            "width",
            "height",
            "charset",
            "name",
            "content",
            "lang",
        }


def test_wechat_code_keeps_colours_and_lines(site, capsys):
    assert export(site, "wechat", "3") == 0
    html = (site / "_export/3-wechat.html").read_text(encoding="utf-8")
    code = re.search(r"<pre[^>]*>(.*?)</pre>", html, re.S)[1]
    assert "\n" not in code and code.count("<br>") >= 15
    assert "\u00a0\u00a0\u00a0\u00a0" in code  # indentation survives the editor
    assert re.search(r'<span style="[^"]*color: #[0-9A-Fa-f]{3,6}', code)


@pytest.mark.parametrize("number", SAMPLE_ISSUES)
def test_markdown_has_absolute_links_and_every_item(number, site, capsys):
    assert export(site, "markdown", number) == 0
    (path,) = capsys.readouterr().out.split()
    text = Path(path).read_text(encoding="utf-8")
    assert text.startswith("# ")
    assert "---\ntitle" not in text
    for target in re.findall(r"\]\(([^)\s]+)", text):
        assert target.startswith(("https://", "http://", "mailto:")), target
    from digest.build.pipeline import build_clock
    from digest.config import load_config
    from digest.export import prepare

    issue = prepare(load_config(site), number, build_clock()).issue
    for item in issue.items:
        if item.url:
            assert f"]({item.url})" in text, item.url


def test_markdown_renders_back_to_the_same_links(site, capsys):
    from markdown_it import MarkdownIt

    assert export(site, "markdown", "3") == 0
    rendered = MarkdownIt().render((site / "_export/3.md").read_text(encoding="utf-8"))
    assert '<img src="https://digest.example.org/images/chip.svg"' in rendered
    assert '<a href="https://github.com/ggml-org/llama.cpp">llama.cpp</a>' in rendered
    assert '<code class="language-rust">use clap::Parser;' in rendered


def test_issue_by_slug_path_and_default_newest(site, capsys):
    assert export(site, "markdown", str(site / "content/issues/2-slow-queries.md")) == 0
    assert capsys.readouterr().out.strip().endswith("2.md")
    assert export(site, "markdown") == 0  # issue 6 is a draft: 5 is the newest published
    assert capsys.readouterr().out.strip().endswith("5.md")
    assert export(site, "markdown", "6") == 0
    assert "is a draft" in capsys.readouterr().err
    assert export(site, "markdown", "42") == 1
    assert "no issue '42'" in capsys.readouterr().err


def test_templates_are_overridable(site):
    (site / "templates/email").mkdir(parents=True)
    (site / "templates/email/issue.txt").write_text("Custom {{ issue.title }}\n", "utf-8")
    assert export(site, "email", "1") == 0
    assert (site / "_export/1-email.txt").read_text(encoding="utf-8") == (
        "Custom Hello, Weekly: Python 3.14 settles in\n"
    )


def test_export_help():
    with pytest.raises(SystemExit) as exited:
        main(["export", "email", "--help"])
    assert exited.value.code == 0
