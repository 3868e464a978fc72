"""Pages say their images' sizes, load the later ones lazily, and load code styles only
with code; the theme's CSS and JS are minified."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest
from PIL import Image

from digest.build.pipeline import BuildOptions, build
from digest.site.images import ImageSizes, finish_page, read_size
from digest.theme import theme_dir

NOW = datetime(2030, 1, 1, tzinfo=UTC)
CODE_STYLE = '<link rel="stylesheet" href="/pygments.css">\n'


def test_raster_sizes_come_from_the_header_and_exif_turns_them(tmp_path: Path) -> None:
    Image.new("RGB", (40, 30)).save(tmp_path / "a.png")
    assert read_size(tmp_path / "a.png") == (40, 30)
    turned = Image.new("RGB", (40, 30))
    exif = turned.getexif()
    exif[0x0112] = 6  # shown turned a quarter
    turned.save(tmp_path / "b.jpg", exif=exif)
    assert read_size(tmp_path / "b.jpg") == (30, 40)
    (tmp_path / "c.png").write_bytes(b"not a picture")
    assert read_size(tmp_path / "c.png") is None


@pytest.mark.parametrize(
    ("root", "size"),
    [
        ('<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 480 270">', (480, 270)),
        ('<svg width="64px" height="32" viewBox="0 0 8 4">', (64, 32)),
        ("<svg viewBox='0,0,10.4,20.6'>", (10, 21)),
        ('<svg width="100%" height="100%" viewBox="0 0 3 2">', (3, 2)),
        ('<svg width="10em">', None),
    ],
)
def test_svg_sizes_come_from_the_root_element(root: str, size: object, tmp_path: Path) -> None:
    (tmp_path / "x.svg").write_text(f'<?xml version="1.0"?>\n{root}<rect/></svg>')
    assert read_size(tmp_path / "x.svg") == size


def test_finish_page_sizes_local_images_and_lazy_loads_all_but_the_first(tmp_path: Path) -> None:
    images = tmp_path / "content" / "images"
    images.mkdir(parents=True)
    Image.new("RGB", (40, 30)).save(images / "a b.png")
    sizes = ImageSizes(tmp_path, tmp_path / "theme", "/weekly/")
    page = (
        f"<head>\n{CODE_STYLE}</head>"
        '<img src="/weekly/images/a%20b.png" alt="">'
        '<img src="/weekly/images/a%20b.png" alt="" loading="eager">'
        '<img src="https://cdn.example.org/x.png" alt="" />'
        '<img src="/weekly/images/a%20b.png" width="4" alt="">'
        '<img src="/weekly/../secret.png" alt="">'
    )
    assert finish_page(page, sizes, "/pygments.css") == (
        "<head>\n</head>"
        '<img src="/weekly/images/a%20b.png" alt="" width="40" height="30" decoding="async">'
        '<img src="/weekly/images/a%20b.png" alt="" loading="eager" width="40" height="30"'
        ' decoding="async">'
        '<img src="https://cdn.example.org/x.png" alt="" loading="lazy" decoding="async" />'
        '<img src="/weekly/images/a%20b.png" width="4" alt="" loading="lazy" decoding="async">'
        '<img src="/weekly/../secret.png" alt="" loading="lazy" decoding="async">'
    )
    with_code = f'{CODE_STYLE}<pre class="highlight"><code>x</code></pre>'
    assert finish_page(with_code, sizes, "/pygments.css") == with_code


def test_the_built_site(make_site: Callable[..., Path]) -> None:
    root = make_site(
        {
            "content/issues/1-a.md": "---\ntitle: A\ndate: 2026-01-01\n---\nHi.\n\n"
            "## News\n\n### [A](https://example.org/a)\n\n![a](/images/p.svg)\n\nText.\n",
            "content/issues/2-b.md": "---\ntitle: B\ndate: 2026-01-08\n---\nHi.\n\n"
            "## News\n\n### [B](https://example.org/b)\n\n```python\nprint(1)\n```\n",
            "content/images/p.svg": '<svg viewBox="0 0 16 9"></svg>',
        }
    )
    out = root / "_site"
    build(BuildOptions(site_dir=root, out_dir=out, now=NOW))
    first = (out / "issues" / "1" / "index.html").read_text(encoding="utf-8")
    second = (out / "issues" / "2" / "index.html").read_text(encoding="utf-8")
    assert 'src="/images/p.svg" alt="a" width="16" height="9" decoding="async"' in first
    assert "pygments.css" not in first
    assert "pygments.css" in second
    css = (out / "css" / "style.css").read_text(encoding="utf-8")
    assert "/*" not in css and "\n\n" not in css
    script = (out / "js" / "filter.js").read_text(encoding="utf-8")
    source = (theme_dir() / "static" / "js" / "filter.js").read_text(encoding="utf-8")
    assert "// Type-to-filter" in source and "Type-to-filter" not in script
    assert len(script) < 0.8 * len(source)
