"""Shared fixtures: small sites written into temporary folders."""

from __future__ import annotations

import importlib.util
import sys
import textwrap
from collections.abc import Callable
from pathlib import Path

import pytest

from digest.config import parse_config
from digest.content.markdown import make_markdown
from digest.content.parse import parse_issue
from digest.model import Issue, SiteConfig

SITES = Path(__file__).parent / "sites"

SITE_YAML = """\
title: Test Weekly
base_url: https://example.org/
language: en
timezone: Asia/Shanghai
"""


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Everything in tests/browser/ needs Chromium, axe-core or Java: the `browser` mark."""
    browser = Path(__file__).parent / "browser"
    for item in items:
        if item.path.is_relative_to(browser):
            item.add_marker(pytest.mark.browser)


@pytest.fixture
def config(tmp_path: Path) -> SiteConfig:
    (tmp_path / "site.yaml").write_text(SITE_YAML, encoding="utf-8")
    return parse_config(SITE_YAML, tmp_path / "site.yaml")


@pytest.fixture
def parse(config: SiteConfig, tmp_path: Path) -> Callable[..., Issue]:
    """Parse dedented issue text as if it were content/issues/<name>."""
    md = make_markdown(config.markdown)

    def run(text: str, name: str = "1-test.md") -> Issue:
        path = tmp_path / "content" / "issues" / name
        return parse_issue(textwrap.dedent(text), path, config, md)

    return run


@pytest.fixture
def make_site(tmp_path: Path) -> Callable[..., Path]:
    """Write a site: site.yaml plus {relative path: text} files; returns its folder."""

    def run(files: dict[str, str | bytes], site_yaml: str = SITE_YAML) -> Path:
        root = tmp_path / "site"
        root.mkdir(exist_ok=True)
        (root / "site.yaml").write_text(site_yaml, encoding="utf-8")
        for relative, data in files.items():
            path = root / relative
            path.parent.mkdir(parents=True, exist_ok=True)
            if isinstance(data, bytes):
                path.write_bytes(data)
            else:
                path.write_text(textwrap.dedent(data), encoding="utf-8")
        return root

    return run


@pytest.fixture
def no_proxy(monkeypatch: pytest.MonkeyPatch) -> None:
    """A proxy from the environment must not carry requests meant for 127.0.0.1."""
    for name in ("http_proxy", "https_proxy", "all_proxy", "HTTP_PROXY", "HTTPS_PROXY"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("no_proxy", "*")


@pytest.fixture
def count_renders(monkeypatch: pytest.MonkeyPatch) -> Callable[[object], list[str]]:
    """count_renders(module): make `module.render_page` note each page it renders, and
    get the list of their paths, in order."""

    def patch(module: object) -> list[str]:
        rendered: list[str] = []
        original = module.render_page  # type: ignore[attr-defined]

        def counting(env, page):
            rendered.append(page.path)
            return original(env, page)

        monkeypatch.setattr(module, "render_page", counting)
        return rendered

    return patch


def bench_corpus(count: int, folder: Path) -> Path:
    """bench/corpus.py's deterministic site (about 30 KB per issue)."""
    name = "digest_bench_corpus"
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(
            name, Path(__file__).resolve().parent.parent / "bench" / "corpus.py"
        )
        assert spec is not None and spec.loader is not None
        sys.modules[name] = importlib.util.module_from_spec(spec)  # dataclasses look there
        spec.loader.exec_module(sys.modules[name])
    return sys.modules[name].generate(count, folder)
