"""`digest export email`: the issue as an email, its HTML, its text and a .eml to send.

The HTML is a single fluid column (600 px at most) with every style inline: mail
clients drop <style> or ignore parts of it, load no web fonts and run no scripts. Only
the dark-mode rules stay in a <style>, for the clients that honour it; without them
the message reads as it should. Gmail shows the first 102 KB of a message's HTML and
clips the rest behind a link, so the export says when and where an issue is clipped.
"""

from __future__ import annotations

import os
import smtplib
import ssl
from collections.abc import Mapping
from dataclasses import dataclass, field
from email import policy
from email.message import EmailMessage
from email.utils import formatdate, make_msgid

from markupsafe import Markup

from digest.errors import DigestError, Problem
from digest.export import Export, tidy_lines
from digest.export.channel import clean, inline_styles, make_absolute, size_images
from digest.export.text import display_width, html_to_text
from digest.export.tree import Element, parse, serialize
from digest.model import SmtpConfig
from digest.text.links import absolutize

GMAIL_CLIP_BYTES = 102 * 1024
"""Gmail shows this much of a message's HTML and hides the rest behind a link."""
CONTENT_WIDTH = 552
"""The column's width inside its padding: images are at most this wide."""
DEFAULT_UNSUBSCRIBE = "*|UNSUB|*"
"""Mailchimp's merge tag, used when site.yaml has no email.unsubscribe."""
USER_VARIABLE = "DIGEST_SMTP_USER"
PASSWORD_VARIABLE = "DIGEST_SMTP_PASSWORD"


@dataclass
class Email:
    subject: str
    html: str
    text: str
    clipped: list[str] = field(default_factory=list)
    """Headings of the sections Gmail would clip (the first one cut in the middle)."""

    @property
    def html_bytes(self) -> int:
        return len(self.html.encode("utf-8"))


def subject_of(export: Export) -> str:
    """The site's name and the issue's title, the site's once if the title holds it."""
    site, title = export.config.title, export.issue.title
    return title if site in title else f"{site} · {title}"


def render_email(export: Export) -> Email:
    unsubscribe = export.config.email.unsubscribe
    if not unsubscribe:
        unsubscribe = DEFAULT_UNSUBSCRIBE
        export.note(
            f"site.yaml sets no email.unsubscribe: the unsubscribe link is {unsubscribe} "
            "(Mailchimp's); set your service's placeholder, e.g. {{ unsubscribe_url }}"
        )
    subject = subject_of(export)
    page = export.render("email/issue.html", subject=subject, unsubscribe=unsubscribe)
    root = parse(inline_styles(page, export))
    make_absolute(root, export, keep=frozenset({unsubscribe}))
    clean(root)
    size_images(root, export, CONTENT_WIDTH)
    _style_last_in_head(root)
    html = "<!DOCTYPE html>\n" + serialize(root)
    text = render_text(export, unsubscribe)
    email = Email(subject, html, text, _clipped(html, export))
    if email.clipped:
        hidden = ", ".join(f"'{heading}'" for heading in email.clipped[1:])
        export.note(
            f"the email's HTML is {email.html_bytes / 1024:.0f} KB, over the "
            f"{GMAIL_CLIP_BYTES // 1024} KB Gmail shows: Gmail clips it within "
            f"'{email.clipped[0]}'"
            + (f" and hides {hidden}" if hidden else "")
            + " behind a link to the whole message; shorten the issue or move sections to "
            "the web version",
            "warning",
        )
    return email


def _style_last_in_head(root: Element) -> None:
    """The inliner puts the dark-mode <style> first in <head>: after the metas, the charset
    is declared before any other text, as HTML asks."""
    for head in root.iter():
        if head.tag == "head":
            styles = [c for c in head.children if isinstance(c, Element) and c.tag == "style"]
            others = [c for c in head.children if c not in styles]
            head.children = [*others, *styles]


def render_text(export: Export, unsubscribe: str) -> str:
    """The plain-text alternative, from templates/email/issue.txt."""
    env = export.env
    web_url = export.web_url
    env.filters["text"] = lambda html: html_to_text(absolutize(str(html), web_url))
    env.filters["underline"] = lambda text, mark="-": mark * max(3, display_width(str(text)))
    env.filters["indent"] = _indent
    return tidy_lines(
        export.render("email/issue.txt", unsubscribe=Markup(unsubscribe))  # text, not HTML
    )


def _indent(text: str, width: int = 2, first: bool = False) -> str:
    pad = " " * width
    lines = str(text).splitlines()
    return "\n".join(
        (pad + line if line and (index or first) else line) for index, line in enumerate(lines)
    )


def _clipped(html: str, export: Export) -> list[str]:
    """The sections from the one Gmail's clip falls in to the last ('the footer' when the
    clip falls after them all)."""
    encoded = html.encode("utf-8")
    if len(encoded) <= GMAIL_CLIP_BYTES:
        return []
    starts: list[tuple[int, str]] = []
    at = 0
    for section in export.issue.sections:  # each section's heading is the next <h2>
        found = encoded.find(b"<h2", at)
        if found < 0:
            break
        starts.append((found, section.heading))
        at = found + 3
    ends = [start for start, _ in starts[1:]] + [len(encoded)]
    cut = [
        heading for (_, heading), end in zip(starts, ends, strict=True) if end > GMAIL_CLIP_BYTES
    ]
    return cut or ["the footer"]


def build_message(email: Email, sender: str = "", to: str = "") -> EmailMessage:
    """A multipart/alternative message: the text first, the HTML preferred."""
    message = EmailMessage(policy=policy.SMTP)
    message["Subject"] = email.subject
    if sender:
        message["From"] = sender
    if to:
        message["To"] = to
    message["Date"] = formatdate(localtime=True)
    message["Message-ID"] = make_msgid(domain=sender.rpartition("@")[2] or None)
    message["MIME-Version"] = "1.0"
    message.set_content(email.text, subtype="plain", charset="utf-8")
    message.add_alternative(email.html, subtype="html", charset="utf-8")
    return message


def send_test(
    email: Email, smtp: SmtpConfig | None, address: str, environ: Mapping[str, str] = os.environ
) -> str:
    """Send the email to `address` through site.yaml's server; what was done, in words."""
    if smtp is None:
        raise DigestError(
            Problem(
                None,
                None,
                "--send-test needs an SMTP server, and site.yaml has no `smtp:`; add "
                "`smtp: {host: smtp.example.com, port: 587, from: you@example.com}` and put "
                f"the login in the environment ({USER_VARIABLE}, {PASSWORD_VARIABLE})",
            )
        )
    if not smtp.sender:
        raise DigestError(
            Problem(None, None, "site.yaml's smtp has no `from:` address to send the test from")
        )
    message = build_message(email, smtp.sender, address)
    user, password = environ.get(USER_VARIABLE), environ.get(PASSWORD_VARIABLE)
    where = f"{smtp.host}:{smtp.port}"
    try:
        if smtp.security == "ssl":
            server: smtplib.SMTP = smtplib.SMTP_SSL(
                smtp.host, smtp.port, timeout=30, context=ssl.create_default_context()
            )
        else:
            server = smtplib.SMTP(smtp.host, smtp.port, timeout=30)
        with server:
            if smtp.security == "starttls":
                server.starttls(context=ssl.create_default_context())
            if user and password:
                server.login(user, password)
            server.send_message(message, smtp.sender, [address])
    except (OSError, smtplib.SMTPException) as exc:
        login = "" if user and password else f" (no {USER_VARIABLE}/{PASSWORD_VARIABLE} set)"
        raise DigestError(
            Problem(None, None, f"sending through {where} failed{login}: {exc}")
        ) from None
    return f"sent '{email.subject}' to {address} through {where}"
