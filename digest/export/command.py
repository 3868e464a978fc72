"""The `digest export` command over the export library: which files it writes, what it
prints. Paths go to stdout, one a line; notes and sizes to stderr."""

from __future__ import annotations

import argparse
import sys

from digest.build.pipeline import build_clock
from digest.config import load_config
from digest.errors import display_path
from digest.export import Export, output_path, prepare, write_text
from digest.export.email import GMAIL_CLIP_BYTES, build_message, render_email, send_test
from digest.export.markdown import render_markdown
from digest.export.wechat import render_wechat


def run(args: argparse.Namespace) -> int:
    config = load_config(args.site)
    export = prepare(config, args.issue, build_clock())
    written = {"email": _email, "wechat": _wechat, "markdown": _markdown}[args.channel](
        export, args
    )
    for problem in export.notes:
        print(problem, file=sys.stderr)
    for path in written:
        print(display_path(path))
    return 0


def _email(export: Export, args: argparse.Namespace) -> list:
    email = render_email(export)
    html_path = output_path(export, args.out, "-email.html")
    written = [
        write_text(html_path, email.html),
        write_text(html_path.with_suffix(".txt"), email.text),
    ]
    if args.eml:
        message = build_message(email, export.config.smtp.sender if export.config.smtp else "")
        eml_path = html_path.with_suffix(".eml")
        eml_path.write_bytes(message.as_bytes())
        written.append(eml_path)
    print(
        f"email HTML: {email.html_bytes / 1024:.1f} KB of the {GMAIL_CLIP_BYTES // 1024} KB "
        "Gmail shows unclipped",
        file=sys.stderr,
    )
    if args.send_test:
        print(send_test(email, export.config.smtp, args.send_test), file=sys.stderr)
    return written


def _wechat(export: Export, args: argparse.Namespace) -> list:
    html, references = render_wechat(export)
    print(
        f"{len(references)} links as numbered references; open the file in a browser, "
        "select all, copy and paste into the Official Accounts editor",
        file=sys.stderr,
    )
    return [write_text(output_path(export, args.out, "-wechat.html"), html)]


def _markdown(export: Export, args: argparse.Namespace) -> list:
    return [write_text(output_path(export, args.out, ".md"), render_markdown(export))]
