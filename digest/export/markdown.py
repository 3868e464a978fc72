"""`digest export markdown`: the issue as clean Markdown, for newsletter services that
take Markdown (Buttondown, Substack's import).

Written from the parsed issue, not copied from its file: front matter, reference
definitions and the author's own layout quirks are gone; sections, groups and items
come out in one regular form, with every link and image absolute.
"""

from __future__ import annotations

from urllib.parse import urljoin

from digest.export import Export, tidy_lines
from digest.export.text import escape_markdown, html_to_markdown
from digest.model import Item, Section
from digest.site.render import date_display
from digest.text.links import absolutize


def render_markdown(export: Export) -> str:
    issue, config = export.issue, export.config
    page = export.web_url

    def body(html: str) -> str:
        return html_to_markdown(absolutize(str(html), page)) if html else ""

    web = "在浏览器中阅读" if export.chinese else "Read it on the web"
    parts = [
        f"# {escape_markdown(issue.title)}",
        f"{date_display(issue.date, issue.lang or config.language)} · [{web}]({page})",
    ]
    if issue.cover:
        parts.append(f"![{escape_markdown(issue.title)}]({urljoin(page, issue.cover)})")
    parts.append(body(issue.intro_html))
    for section in issue.sections:
        parts.extend(_section(section, body, page))
    return tidy_lines("\n\n".join(part for part in parts if part))


def _section(section: Section, body, page: str) -> list[str]:
    parts = [f"## {escape_markdown(section.heading)}", body(section.body_html)]
    start = 0
    for group in section.groups:
        items = section.items[start : start + group.size]
        start += group.size
        if group.title and (group.size or group.body_html or group.tail_html):
            parts.append(f"### {escape_markdown(group.title)}")
        parts.append(body(group.body_html))
        if items and all(not item.body_html and not item.image for item in items):
            parts.append("\n".join(f"- {_title(item, page)}" for item in items))
        else:
            level = "####" if group.title else "###"
            for item in items:
                parts.append(f"{level} {_title(item, page)}")
                if item.image:
                    alt = escape_markdown(item.image_alt or item.title)
                    parts.append(f"![{alt}]({urljoin(page, item.image)})")
                parts.append(body(item.body_html))
        parts.append(body(group.tail_html))
    return parts


def _title(item: Item, page: str) -> str:
    label = f"**{escape_markdown(item.label)}** " if item.label else ""
    title = escape_markdown(item.title)
    if not item.url:
        return label + title
    return f"{label}[{title}]({urljoin(page, item.url)})"
