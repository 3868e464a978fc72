"""The data model: what an issue, a section, an item and a site are.

Frozen dataclasses and nothing else: no I/O, no parsing, so every stage can pass
them around, cache them and compare them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, NamedTuple


@dataclass(frozen=True, slots=True)
class SourceRef:
    """Where something was written: the file and its 1-based line."""

    path: Path
    line: int


@dataclass(frozen=True, slots=True)
class Note:
    """A warning or note about a line of an issue file (its path is the issue's)."""

    line: int
    message: str
    level: str = "warning"
    """'warning' (check --strict fails on it) or 'note'."""


@dataclass(frozen=True, slots=True)
class SectionSpec:
    """A section configured in site.yaml: headings matching its aliases are grouped under it."""

    key: str
    title: str
    aliases: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class MarkdownConfig:
    raw_html: bool = True
    """Keep raw HTML written in issues (authors embed <img>, <br>, <iframe>)."""
    highlight_style: str = "xcode"
    """Pygments style for light mode."""
    highlight_style_dark: str = "monokai"
    """Pygments style used under prefers-color-scheme: dark."""


@dataclass(frozen=True, slots=True)
class FeedSource:
    """A feed `digest fetch` reads: its URL (or a local path), a display name, a section."""

    url: str
    name: str = ""
    """Shown as the candidates' `source`; empty means the feed's own title."""
    section: str | None = None
    """Section key every candidate from this feed is pre-assigned to."""


@dataclass(frozen=True, slots=True)
class EmailConfig:
    """site.yaml `email:`, for `digest export email`."""

    unsubscribe: str = ""
    """The unsubscribe link as the sending service fills it in: Mailchimp's `*|UNSUB|*`,
    Buttondown's `{{ unsubscribe_url }}`. Empty: not configured."""


@dataclass(frozen=True, slots=True)
class SubscribeConfig:
    """site.yaml `subscribe:`, the ways to follow the digest shown on the home page and
    under every issue."""

    email: str = ""
    """The action URL of the newsletter service's sign-up form (Buttondown, Mailchimp,
    listmonk…); empty: no email form."""
    email_field: str = "email"
    """The name the service expects the address under (Mailchimp's is `EMAIL`)."""
    wechat: str = ""
    """The WeChat official account's name."""
    wechat_qr: str = ""
    """Its QR code image: a URL, or a path from the site root (`/images/qr.png`)."""
    feeds: bool = True
    """Link the feeds page."""


@dataclass(frozen=True, slots=True)
class SmtpConfig:
    """site.yaml `smtp:`, the server `digest export email --send-test` sends through. The
    user name and password come from the environment only, never from site.yaml."""

    host: str
    port: int = 587
    sender: str = ""
    """The From address (`from:` in site.yaml)."""
    security: str = "starttls"
    """'starttls', 'ssl' (port 465) or 'none'."""


@dataclass(frozen=True, slots=True)
class SiteConfig:
    """site.yaml, validated. `root` is the site folder every other path is relative to."""

    root: Path
    title: str
    base_url: str
    """Absolute URL the site is published at, always ending in '/'."""
    description: str = ""
    language: str = "en"
    timezone: str = "UTC"
    author: str = ""
    sections: tuple[SectionSpec, ...] = ()
    paginate: int = 10
    """Issues per home page (and per tag page)."""
    items_per_page: int = 30
    """Items per section page."""
    feed_limit: int = 20
    """Issues in feed.xml, newest first."""
    weekday: int | None = None
    """Publication day (0 = Monday), for `digest new`'s default date."""
    markdown: MarkdownConfig = field(default_factory=MarkdownConfig)
    extra: dict[str, Any] = field(default_factory=dict)
    """Free-form values for templates (site.yaml `extra:`)."""
    sources: tuple[FeedSource, ...] = ()
    """Feeds `digest fetch` reads candidates from (site.yaml `sources:`)."""
    opml: str | None = None
    """An OPML reading list with more feeds, relative to the site folder."""
    fetch_limit: int = 50
    """New candidates `digest fetch` takes from one source in one run, at most."""
    render_timeout: float = 30.0
    """Seconds one page may take to render before the build stops it (a theme's endless
    loop)."""
    email: EmailConfig = field(default_factory=EmailConfig)
    smtp: SmtpConfig | None = None
    """None when site.yaml has no `smtp:`."""
    subscribe: SubscribeConfig = field(default_factory=SubscribeConfig)
    discuss: str = ""
    """A URL per issue to discuss it at, with `{number}`, `{slug}`, `{title}` or `{url}`
    (the issue page's address) filled in; empty: no link."""

    @property
    def base_path(self) -> str:
        """The path part of base_url ('/' or '/weekly/'): the prefix of every internal link."""
        rest = self.base_url.split("://", 1)[-1]
        slash = rest.find("/")
        return rest[slash:] if slash >= 0 else "/"


@dataclass(frozen=True, slots=True)
class Item:
    """One link in a section: title, URL, image and the author's summary."""

    title: str
    url: str | None
    image: str | None
    image_alt: str
    body_html: str
    """The summary as HTML; a stand-alone image that became `image` is not repeated here."""
    anchor: str
    """Unique id within the issue page, for #fragment links."""
    source: SourceRef
    label: str = ""
    """A tag the author put before the link: `[video] [Title](url)` gives 'video'."""
    group: str = ""
    """The sub-heading the item stands under inside its section ('' for none)."""

    @property
    def link_only(self) -> bool:
        """A title and a link, nothing more: shown in a compact list, not as a card."""
        return not self.body_html and not self.image


@dataclass(frozen=True, slots=True)
class Group:
    """A run of a section's items under one sub-heading (or under none), with the prose
    around them, in the order the author wrote them."""

    title: str
    """The sub-heading as written; '' for items before any sub-heading."""
    depth: int
    """1 for a sub-heading one level below the section, 2 for one below that…"""
    body_html: str
    """Prose between the sub-heading and its first item (all of it when it has none)."""
    size: int
    """How many of the section's items, following those of the groups before, it holds."""
    tail_html: str
    """Prose after its items that belongs to none of them (a call to action)."""
    anchor: str

    @property
    def shown(self) -> bool:
        """Whether its sub-heading is worth showing: one with nothing under it (a weekly's
        template left empty this week) is not."""
        return bool(self.title and (self.size or self.body_html or self.tail_html))


class Run(NamedTuple):
    """A group with its items, as the pages show them."""

    group: Group
    items: Sequence[Item]

    @property
    def compact(self) -> bool:
        """Items that are all link-only read best as one list."""
        return bool(self.items) and all(item.link_only for item in self.items)


@dataclass(frozen=True, slots=True)
class Section:
    key: str
    """The configured section key, or the heading's slug for a heading matching none."""
    title: str
    """The configured display title (the heading itself when it matched none)."""
    heading: str
    """The heading as the author wrote it."""
    known: bool
    """True when the heading matched a configured section."""
    body_html: str
    """Section text before the first item or sub-heading (all of it in a prose section)."""
    items: Sequence[Item]
    """A tuple, or from the parse cache a sequence that makes them when first read
    (digest.build.rows.Items): their number alone costs nothing."""
    anchor: str
    source: SourceRef
    groups: tuple[Group, ...] = ()
    """What follows body_html: the items in runs under their sub-headings, with prose."""

    @property
    def runs(self) -> tuple[Run, ...]:
        """Each group with its share of the items, in order."""
        runs: list[Run] = []
        start = 0
        for group in self.groups:
            runs.append(Run(group, self.items[start : start + group.size]))
            start += group.size
        return tuple(runs)


@dataclass(frozen=True, slots=True)
class Issue:
    title: str
    date: datetime
    """Aware datetime, in the site's timezone when the author gave none."""
    slug: str
    number: int | None
    summary: str
    cover: str | None
    tags: tuple[str, ...]
    draft: bool
    intro_html: str
    sections: tuple[Section, ...]
    source: SourceRef
    subtitle: str = ""
    authors: tuple[str, ...] = ()
    lang: str | None = None
    """Language of this issue when it differs from the site's (front matter `lang`)."""
    source_hash: str = ""
    """Digest of the file's text: with the config, it decides the whole Issue."""
    reading_minutes: int = 1
    """Estimated reading time: CJK characters and Latin words counted each their own way."""
    extra: dict[str, Any] = field(default_factory=dict)
    """Front matter fields without a meaning of their own, kept for templates."""
    field_lines: dict[str, int] = field(default_factory=dict)
    """File line of each front matter field, for messages about it."""
    notes: tuple[Note, ...] = ()
    """What the parse could not read as the author likely meant, without being wrong enough
    to stop the build: a link Markdown dropped, a near miss of a known key. `build`
    prints them as notes and warnings, and `check` as warnings."""
    intro_sentences: tuple[tuple[str, str], ...] = ()
    """(key, text) of each sentence of the intro (content.prose.sentences), for summaries."""
    found_cover: str | None = None
    """The first image of the cover section, or of the issue (content.prose.cover_of)."""
    images: tuple[tuple[str, int, bool, bool], ...] = ()
    """Each image with where the author wrote it (content.prose.images_of), for notes."""

    @property
    def url_path(self) -> str:
        """Path of the issue page below the site root, e.g. 'issues/35/'."""
        return f"issues/{self.number if self.number is not None else self.slug}/"

    @property
    def items(self) -> tuple[Item, ...]:
        return tuple(item for section in self.sections for item in section.items)


@dataclass(frozen=True, slots=True)
class Site:
    """Everything the render stage needs: the config and the published issues, newest first."""

    config: SiteConfig
    issues: tuple[Issue, ...]
    build_time: datetime
