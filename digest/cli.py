"""The `digest` command: a thin layer of argument parsing over the library."""

from __future__ import annotations

import argparse
import errno
import json
import os
import signal
import sys
import threading
import traceback
from collections.abc import Sequence
from datetime import date, datetime
from pathlib import Path
from typing import NoReturn, TextIO

from digest import __version__
from digest.authoring.lint import DEFAULT_DRAFT_WEEKS
from digest.build.pipeline import BuildOptions, build, build_clock
from digest.config import load_config
from digest.errors import DigestError, Problem, display_path
from digest.progress import Progress, quiet


class Stopped(KeyboardInterrupt):
    """SIGTERM or SIGHUP (a CI job's timeout, `docker stop`, a closed terminal), handled
    as Ctrl-C is: every command stops the same clean way."""

    def __init__(self, number: int) -> None:
        super().__init__(number)
        self.number = number


def _stop(number: int, frame: object) -> None:
    raise Stopped(number)


def _stop_on_signals() -> None:
    if threading.current_thread() is not threading.main_thread():
        return  # tests call main() from threads; only the main thread may set handlers
    for number in (signal.SIGTERM, signal.SIGHUP):
        if signal.getsignal(number) is signal.SIG_DFL:
            signal.signal(number, _stop)


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    if not getattr(args, "command", None):
        parser.print_help()
        return 2
    _stop_on_signals()
    try:
        return args.run(args)
    except DigestError as error:
        _report(error.problems)
        errors = sum(problem.level == "error" for problem in error.problems)
        print(
            f"digest: {errors} error{'s' if errors != 1 else ''}; nothing was written",
            file=sys.stderr,
        )
        return 1
    except KeyboardInterrupt as stop:
        number = stop.number if isinstance(stop, Stopped) else signal.SIGINT
        print(f"digest: stopped ({signal.Signals(number).name})", file=sys.stderr)
        return 128 + number
    except BrokenPipeError:  # the reader left (`digest check | head -1`): run() ends quietly
        raise
    except OSError as exc:  # the machine, not digest: a full disk, a folder not writable
        if args.debug:
            traceback.print_exc()
        full = exc.errno in (errno.ENOSPC, errno.EFBIG, errno.EDQUOT)
        # A failed copy names its source first and the file it was writing second.
        name = (exc.filename2 if full else None) or exc.filename
        where = f"{display_path(Path(os.fsdecode(name)))}: " if name else ""
        print(
            f"digest: error: {where}{exc.strerror or exc}"
            + ("; is the disk full?" if full else ""),
            file=sys.stderr,
        )
        return 1
    except Exception as exc:  # a bug in digest, not in the site
        if args.debug:
            traceback.print_exc()
        else:
            print(
                f"digest: internal error: {exc!r}; run again with --debug and report it",
                file=sys.stderr,
            )
        return 70


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="digest", description="Build a weekly tech digest site from Markdown issues."
    )
    parser.add_argument("--version", action="version", version=f"digest {__version__}")
    debug_help = "show tracebacks of internal errors"
    parser.add_argument("--debug", action="store_true", help=debug_help)
    # After the command too; SUPPRESS keeps a --debug given before it (`digest --debug build`).
    debugging = argparse.ArgumentParser(add_help=False)
    debugging.add_argument(
        "--debug", action="store_true", default=argparse.SUPPRESS, help=debug_help
    )
    common = argparse.ArgumentParser(add_help=False, parents=[debugging])
    common.add_argument("--site", type=Path, default=Path("."), help="the site folder (default: .)")
    commands = parser.add_subparsers(dest="command", title="commands", metavar="COMMAND")

    init_cmd = commands.add_parser(
        "init",
        parents=[debugging],
        help="start a new site",
        description="Write a new site into DIR: a commented site.yaml, a first draft issue, "
        ".gitignore, requirements.txt, the GitHub Pages workflow and a README. Asks for "
        "what no option gives on a terminal; uses the defaults otherwise. Never overwrites.",
    )
    init_cmd.add_argument(
        "dir",
        nargs="?",
        type=Path,
        default=Path("."),
        metavar="DIR",
        help="the new site's folder (default: .)",
    )
    init_cmd.add_argument("--title", help="the digest's name (default: My Weekly)")
    init_cmd.add_argument("--base-url", help="where it will be published")
    init_cmd.add_argument("--language", help="en, zh-CN, … (default: en)")
    init_cmd.add_argument("--timezone", help="IANA name (default: this machine's)")
    init_cmd.add_argument("--weekday", help="publication day (default: monday)")
    init_cmd.add_argument(
        "--yes", "-y", action="store_true", help="ask nothing: defaults for the rest"
    )
    init_cmd.set_defaults(run=_init)

    build_cmd = commands.add_parser(
        "build", parents=[common], help="build the site into _site/", description="Build the site."
    )
    build_cmd.add_argument("--out", type=Path, help="output folder (default: SITE/_site)")
    build_cmd.add_argument(
        "--base-url", help="the URL the site is published at (overrides site.yaml)"
    )
    build_cmd.add_argument("--drafts", action="store_true", help="include issues marked draft")
    build_cmd.add_argument(
        "--future", action="store_true", help="include issues dated in the future"
    )
    build_cmd.add_argument("--quiet", "-q", action="store_true", help="print errors only")
    build_cmd.add_argument(
        "--no-search",
        dest="search",
        action="store_false",
        help="skip the search index: quicker, for previews; the search box says it is unavailable",
    )
    build_cmd.add_argument(
        "--force",
        action="store_true",
        help="build everything again, reusing nothing from earlier builds",
    )
    build_cmd.add_argument(
        "--jobs",
        "-j",
        type=int,
        default=None,
        help="processes to parse and render with (default: the number of cores)",
    )
    build_cmd.set_defaults(run=_build)

    serve_cmd = commands.add_parser(
        "serve",
        parents=[common],
        help="preview the site, rebuilding and reloading on every save",
        description="Build the site, serve it on this machine and rebuild it on every save; "
        "open pages reload by themselves.",
    )
    serve_cmd.add_argument("--host", default="127.0.0.1", help="address to listen on")
    serve_cmd.add_argument("--port", type=int, default=8000, help="port (default: 8000)")
    serve_cmd.add_argument(
        "--drafts",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="show drafts and future issues (default: yes)",
    )
    serve_cmd.add_argument("--open", action="store_true", help="open the site in a browser")
    serve_cmd.set_defaults(run=_serve)

    fetch_cmd = commands.add_parser(
        "fetch",
        parents=[common],
        help="pull new links from the feeds in site.yaml into content/inbox/",
        description="Fetch the feeds in site.yaml (sources:, opml:) and write each new entry "
        "to content/inbox/ as a candidate Markdown file.",
    )
    fetch_cmd.add_argument(
        "--since",
        type=_date_argument,
        metavar="DATE",
        help="take entries published on or after DATE (YYYY-MM-DD) instead of after the "
        "latest issue",
    )
    fetch_cmd.set_defaults(run=_fetch)

    new_cmd = commands.add_parser(
        "new",
        parents=[common],
        help="start the next issue",
        description="Write the next issue's file: next number, the next publication day "
        "(site.yaml weekday), front matter and the section headings. Never overwrites a file.",
    )
    new_cmd.add_argument("--title", help="the issue's title (default: 'Issue N' / '第 N 期')")
    new_cmd.add_argument("--date", type=_date_argument, help="YYYY-MM-DD (default: next weekday)")
    new_cmd.add_argument(
        "--from-inbox",
        action="store_true",
        help="place the candidates of content/inbox/ under their sections and move them out",
    )
    new_cmd.set_defaults(run=_new)

    check_cmd = commands.add_parser(
        "check",
        parents=[common],
        help="lint the content without writing a site",
        description="Report everything the build would reject, and warnings a careful editor "
        "wants: repeated or already published links, tracking parameters, malformed links, "
        "unknown or empty sections, items without links, missing images, dates out of order, "
        "stale drafts. Output lines are `path:line: level: message`.",
    )
    check_cmd.add_argument("--strict", action="store_true", help="warnings fail too (for CI)")
    check_cmd.add_argument(
        "--draft-weeks",
        type=int,
        default=DEFAULT_DRAFT_WEEKS,
        help=f"warn about drafts older than this many weeks (default: {DEFAULT_DRAFT_WEEKS})",
    )
    check_cmd.add_argument(
        "--links",
        action="store_true",
        help="instead, fetch every external link and image of the issues and report the dead, "
        "moved and soft-404 ones (remembered in .digest/links.json)",
    )
    check_cmd.add_argument(
        "issues",
        nargs="*",
        metavar="ISSUE",
        help="with --links: only these issues (a number, a file's path, or 'latest')",
    )
    check_cmd.add_argument(
        "--since",
        type=_date_argument,
        metavar="DATE",
        help="with --links: only the issues dated on or after DATE (YYYY-MM-DD)",
    )
    check_cmd.add_argument(
        "--max-age",
        type=float,
        default=7,
        metavar="DAYS",
        help="with --links: ask again about links checked longer ago than this (default: 7)",
    )
    check_cmd.add_argument(
        "--recheck", action="store_true", help="with --links: ask about every link again"
    )
    check_cmd.add_argument(
        "--fix-moved",
        action="store_true",
        help="with --links: rewrite permanently moved links to their new address",
    )
    check_cmd.set_defaults(run=_check)

    show_cmd = commands.add_parser(
        "show",
        parents=[common],
        help="print how an issue file is understood",
        description="Print the title, date, sections and items digest reads from an issue.",
    )
    show_cmd.add_argument("path", type=Path, help="the issue's Markdown file")
    show_cmd.add_argument("--json", action="store_true", help="print the model as JSON")
    show_cmd.set_defaults(run=_show)

    export_cmd = commands.add_parser(
        "export",
        help="render an issue for email, WeChat or Markdown newsletters",
        description="Write one issue for where readers are: an email (inline styles, a text "
        "part, .eml), a paste for the WeChat Official Accounts editor, or Markdown.",
    )
    channels = export_cmd.add_subparsers(dest="channel", metavar="CHANNEL", required=True)
    for channel, what in (
        ("email", "HTML with every style inline and a plain-text part, under 102 KB"),
        ("wechat", "HTML for the Official Accounts editor, links as numbered references"),
        ("markdown", "clean Markdown with absolute links, for Buttondown or Substack"),
    ):
        channel_cmd = channels.add_parser(channel, parents=[common], help=what, description=what)
        channel_cmd.add_argument(
            "issue", nargs="?", metavar="ISSUE", help="a number, a slug or a path (default: newest)"
        )
        channel_cmd.add_argument("--out", type=Path, help="file to write (default: _export/…)")
        if channel == "email":
            channel_cmd.add_argument(
                "--eml", action="store_true", help="also write a multipart/alternative .eml"
            )
            channel_cmd.add_argument(
                "--send-test",
                metavar="ADDRESS",
                help="send it to ADDRESS through site.yaml's smtp server",
            )
        channel_cmd.set_defaults(run=_export)
    return parser


def _init(args: argparse.Namespace) -> int:
    from digest.authoring.init import QUESTIONS, SiteAnswers, init_site, local_timezone

    defaults = SiteAnswers(timezone=local_timezone())
    answers = {}
    ask = not args.yes and sys.stdin.isatty()
    for key, question in QUESTIONS:
        value = getattr(args, key)
        if value is None and ask:
            value = input(f"{question} [{getattr(defaults, key)}]: ").strip() or None
        answers[key] = value if value is not None else getattr(defaults, key)
    written = init_site(args.dir, SiteAnswers(**answers))
    for path in written:
        print(display_path(path))
    where = "" if args.dir == Path(".") else f"cd {display_path(args.dir)} && "
    print(f"next: {where}digest serve", file=sys.stderr)
    return 0


def _build(args: argparse.Namespace) -> int:
    with Progress() as progress:  # a terminal line; nothing when not a terminal
        result = build(
            BuildOptions(
                site_dir=args.site,
                out_dir=args.out,
                base_url=args.base_url,
                drafts=args.drafts,
                future=args.future,
                jobs=max(1, args.jobs) if args.jobs is not None else None,
                skip_unchanged=not args.force,
                force=args.force,
                search=args.search,
                detach_cleanup=True,
                progress=quiet if args.quiet else progress,
            )
        )
    if not args.quiet:
        _report(result.notes)
        issues = result.issues
        what = "up to date (nothing changed)" if result.up_to_date else "built"
        print(
            f"{what}: {issues} issue{'s' if issues != 1 else ''}, {result.items} items, "
            f"{result.pages} pages in {result.seconds:.2f} s -> {display_path(result.out_dir)}"
        )
    return 0


def _serve(args: argparse.Namespace) -> int:
    from digest.serve.server import (  # each command imports only what it runs
        ServeOptions,
        serve,
    )

    options = ServeOptions(
        site_dir=args.site,
        host=args.host,
        port=args.port,
        drafts=args.drafts,
        future=args.drafts,
        open_browser=args.open,
    )
    return serve(options)


def _date_argument(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{value}' is not a date; write YYYY-MM-DD") from None


def _fetch(args: argparse.Namespace) -> int:
    from digest.authoring.fetch import fetch

    report = fetch(args.site, args.since, datetime.now().astimezone(), progress=sys.stderr.isatty())
    for line in report.lines:
        print(line, file=sys.stderr)
    print(report.summary)
    return report.exit_status


def _new(args: argparse.Namespace) -> int:
    from digest.authoring.scaffold import new_issue
    from digest.lock import site_lock

    with site_lock(Path(args.site), "digest new"):
        created = new_issue(args.site, title=args.title, when=args.date, from_inbox=args.from_inbox)
    print(display_path(created.path))
    if args.from_inbox:
        print(f"placed {created.candidates} inbox candidates", file=sys.stderr)
    return 0


def _check(args: argparse.Namespace) -> int:
    if args.links or args.issues or args.since or args.recheck or args.fix_moved:
        from digest.authoring.linkcheck import run_from_arguments

        return run_from_arguments(args, build_clock())
    from digest.authoring.lint import check

    report = check(args.site, build_clock(), args.draft_weeks)
    _report(report.problems, sys.stdout)
    failed = report.errors or (args.strict and report.warnings)
    print(
        f"checked: {report.errors} error{'s' if report.errors != 1 else ''}, "
        f"{report.warnings} warning{'s' if report.warnings != 1 else ''}"
        + (" (--strict: warnings fail)" if args.strict and report.warnings else ""),
        file=sys.stderr,
    )
    return 1 if failed else 0


def _show(args: argparse.Namespace) -> int:
    from digest.authoring.show import issue_as_dict, issue_as_text
    from digest.content.markdown import make_markdown
    from digest.content.parse import parse_issue, read_issue

    config = load_config(args.site)
    path = args.path
    try:
        text = read_issue(path)
    except OSError as exc:
        raise DigestError(Problem(path, None, f"cannot read the file: {exc.strerror}")) from None
    issue = parse_issue(text, path, config, make_markdown(config.markdown))
    if args.json:
        print(json.dumps(issue_as_dict(issue), ensure_ascii=False, indent=2))
    else:
        print(issue_as_text(issue))
    return 0


def _export(args: argparse.Namespace) -> int:
    from digest.export.command import run

    return run(args)


def _report(problems: list[Problem], stream: TextIO | None = None) -> None:
    for problem in problems:
        print(problem, file=stream or sys.stderr)


def run() -> NoReturn:
    """The `digest` command: main(), then out without tearing the interpreter down.

    Everything is written and closed by then; what is left is freeing the parsed site
    object by object, which took 0.6 s after a 2,000-issue build (a third of a rebuild
    after one edit). Tests call main() and keep their interpreter.
    """
    try:
        code = main()
    except SystemExit as stop:  # argparse's --help and usage errors
        code = stop.code if isinstance(stop.code, int) else (0 if stop.code is None else 2)
        if isinstance(stop.code, str):
            print(stop.code, file=sys.stderr)
    except BrokenPipeError:
        code = _reader_left()
    try:
        sys.stdout.flush()
    except BrokenPipeError:
        code = _reader_left()
    sys.stderr.flush()
    os._exit(code)


def _reader_left() -> int:
    """stdout's reader closed the pipe: stop writing to it, without a message.

    What is still buffered is dropped by pointing stdout at /dev/null, as the Python
    documentation advises (SIGPIPE), so no later flush fails again.
    """
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())
    return 1


if __name__ == "__main__":
    run()
