"""The Jinja environment and page rendering.

A site's own templates/ is searched before the theme's, so overriding one
template needs one file; `{% extends "theme/base.html" %}` reaches the original.
Autoescaping is on for HTML and XML, and undefined variables are errors.

A theme is code from strangers: templates run in Jinja's sandbox (no `__globals__`,
no `os`), are read only from regular files that stay inside the site or the theme
(never through a symlink out of them, never from a FIFO), and a page that renders
longer than `render_timeout` (site.yaml, 30 s) is stopped with an error at the
template line that was running.
"""

from __future__ import annotations

import contextlib
import ctypes
import dataclasses
import functools
import os
import re
import signal
import stat
import threading
import time
import traceback
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path, PurePath
from types import SimpleNamespace
from urllib.parse import quote, urljoin, urlsplit

import jinja2
import jinja2.nodes
import jinja2.runtime
import jinja2.sandbox
import jinja2.utils
from jinja2.compiler import CodeGenerator, Frame, optimizeconst
from jinja2.loaders import split_template_path

from digest import __version__
from digest.errors import DigestError, Problem
from digest.model import Issue, Site
from digest.site.images import ImageSizes, finish_page
from digest.site.plan import OutputPage
from digest.text.links import absolutize, joiner
from digest.text.slug import tag_slug, url_quote

ISSUE_CONTENT_TEMPLATE = "partials/issue_content.html"
"""Rendered by the `issue_content()` global, so feeds depend on it without including it."""
TEMPLATE_SUFFIXES = (".html", ".xml", ".txt", ".json")
_KEPT_CONTENTS = 256
"""Feed contents kept per environment, oldest dropped first: more than any feed holds."""
# Characters XML 1.0 forbids even escaped; a pasted control character must not break a feed.
_XML_INVALID = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


DEFAULT_RENDER_TIMEOUT = 30.0
"""Seconds one page may take to render (site.yaml `render_timeout`); Hugo's default too."""


LARGEST_POWER_BITS = 100_000
"""The largest integer a template's `**` may make, in bits (30,000 digits; Python prints
no more than 4,300)."""
LONGEST_REPEAT = 10_000_000
"""The most characters or items a template's `*` may repeat a string or list to."""


def _too_large_power(base: object, exponent: object) -> bool:
    if type(base) is not int or type(exponent) is not int or exponent <= 0:
        return False  # floats overflow at once; a bool is at most 1
    return abs(base) > 1 and exponent * (abs(base).bit_length() - 1) > LARGEST_POWER_BITS


def _too_long_repeat(left: object, right: object) -> bool:
    for sequence, count in ((left, right), (right, left)):
        if isinstance(count, int) and isinstance(sequence, str | bytes | list | tuple):
            return len(sequence) * count > LONGEST_REPEAT
    return False


_PATH_ATTRIBUTES = frozenset(
    {"name", "stem", "suffix", "suffixes", "parts", "parent", "parents", "as_posix"}
)
"""What a template may use of a file path (an issue's source): its name, never its file."""


class DigestEnvironment(jinja2.sandbox.SandboxedEnvironment):
    """The sandbox: templates reach no attribute starting with `_` (so no function's
    `__globals__`, no `os`), and of a path only its name (no `read_text`, `unlink`); and
    their `**` and `*` are bounded (call_binop)."""

    intercepted_binops = frozenset({"**", "*"})
    """Operators that go through call_binop, and that Jinja therefore never folds while
    it compiles a template."""
    render_timeout: float = DEFAULT_RENDER_TIMEOUT
    image_sizes: ImageSizes | None = None
    """Local images' sizes, for the HTML pages (digest.site.images.finish_page)."""
    code_style_href: str = ""
    """The URL of pygments.css, left out of a page without code."""

    def call_binop(
        self, context: jinja2.runtime.Context, operator: str, left: object, right: object
    ) -> object:
        """`**` and `*` within bounds: `{{ 9**999999999 }}` is one C computation that
        the render time limit cannot interrupt (it hung every build, folded when the
        template compiled), and `'x' * 10**10` takes 10 GB before the limit strikes."""
        if operator == "**" and _too_large_power(left, right):
            raise jinja2.sandbox.SecurityError(
                f"a power of more than {LARGEST_POWER_BITS:,} bits, which digest does not "
                "compute; make the number smaller"
            )
        if operator == "*" and _too_long_repeat(left, right):
            raise jinja2.sandbox.SecurityError(
                f"a repeat to more than {LONGEST_REPEAT:,} characters or items, which "
                "digest does not make; repeat fewer times"
            )
        return super().call_binop(context, operator, left, right)

    def is_safe_attribute(self, obj: object, attr: str, value: object) -> bool:
        if isinstance(obj, PurePath) and attr not in _PATH_ATTRIBUTES:
            return False
        return super().is_safe_attribute(obj, attr, value)

    def plain_getattr(self, obj: object, attribute: str) -> object:
        """`obj.attribute` where the template names an attribute that neither starts with
        `_` nor is `format` (see _CodeGenerator): only the type is left to check."""
        if type(obj) in _PLAIN:
            try:
                return getattr(obj, attribute)
            except AttributeError:
                pass
        return self.getattr(obj, attribute)

    def getattr(self, obj: object, attribute: str) -> object:
        """The sandbox checked every `item.url` of every page: a third of the rendering.
        For digest's own records (dataclasses and named tuples of plain values), strings,
        dates and Jinja's loop and namespace, nothing is internal but what starts with `_`
        (and `format`, which the sandbox wraps), so for them that is the whole check:
        exactly what the sandbox would conclude, sooner."""
        kind = type(obj)
        if kind in _PLAIN:
            if attribute[:1] != "_" and attribute not in _FORMAT:
                try:
                    return getattr(obj, attribute)
                except AttributeError:
                    pass
        elif kind not in _NOT_PLAIN:  # met for the first time
            (_PLAIN if _is_plain(kind) else _NOT_PLAIN).add(kind)
            return self.getattr(obj, attribute)
        return super().getattr(obj, attribute)


def _is_plain(kind: type) -> bool:
    """Whether jinja2.sandbox.is_internal_attribute is False for every attribute of a
    `kind` that does not start with `_` (it singles out functions, methods, types, code,
    frames, tracebacks, generators and coroutines), and none of them reads a file (paths,
    see DigestEnvironment.is_safe_attribute, are not plain)."""
    if kind in _PLAIN_KINDS:
        return True
    if not kind.__module__.startswith("digest."):
        return False
    return dataclasses.is_dataclass(kind) or (issubclass(kind, tuple) and hasattr(kind, "_fields"))


class _CodeGenerator(CodeGenerator):
    """Compiles `x.name`, for a `name` the sandbox would never refuse on a plain type, to
    DigestEnvironment.plain_getattr: the name is checked once, when the template is
    compiled, not on every access.

    And calls as an unsandboxed environment does: the sandbox's check of a call refuses
    only what is marked `unsafe_callable` or `alters_data`, and nothing a template here
    can reach is (str.format, the one builtin it guards, is wrapped when it is looked
    up). The check was a third of what the sandbox cost.
    """

    def write(self, x: str) -> None:
        super().write("context.call(" if x == "environment.call(context, " else x)

    @optimizeconst
    def visit_Getattr(self, node: jinja2.nodes.Getattr, frame: Frame) -> None:
        if self.environment.is_async or node.attr[:1] == "_" or node.attr in _FORMAT:
            super().visit_Getattr(node, frame)
            return
        self.write("environment.plain_getattr(")
        self.visit(node.node, frame)
        self.write(f", {node.attr!r})")


DigestEnvironment.code_generator_class = _CodeGenerator
_PLAIN: set[type] = set()
_NOT_PLAIN: set[type] = set()
_PLAIN_KINDS = frozenset(
    {
        str,
        datetime,
        date,
        SimpleNamespace,
        jinja2.runtime.LoopContext,
        jinja2.utils.Namespace,
    }
)
_FORMAT = frozenset({"format", "format_map"})


class RefusedTemplate(jinja2.TemplateError):
    """A template file digest will not read (a symlink out of the site, a FIFO...)."""

    def __init__(self, problem: Problem) -> None:
        super().__init__(problem.message)
        self.problem = problem


class TemplateLoader(jinja2.FileSystemLoader):
    """Templates from one folder, read only from regular files inside `inside` (resolved
    folders): a symlink to /etc/passwd would publish it, and opening a FIFO waits forever."""

    def __init__(self, folder: Path, inside: tuple[Path, ...]) -> None:
        super().__init__(str(folder))
        self.folder = str(folder)
        self.inside = inside

    def get_source(
        self, environment: jinja2.Environment, template: str
    ) -> tuple[str, str, Callable[[], bool]]:
        filename = os.path.join(self.folder, *split_template_path(template))
        try:
            status = os.stat(filename)
        except (OSError, ValueError):
            raise jinja2.TemplateNotFound(template) from None
        if stat.S_ISDIR(status.st_mode):
            raise jinja2.TemplateNotFound(template)
        shown = Path(os.path.normpath(filename))
        if not stat.S_ISREG(status.st_mode):
            raise RefusedTemplate(
                Problem(
                    shown,
                    None,
                    "not a regular file (a FIFO or a device?); digest reads "
                    "templates only from files",
                )
            )
        real = Path(os.path.realpath(filename))
        if not any(real.is_relative_to(folder) for folder in self.inside):
            raise RefusedTemplate(
                Problem(
                    shown,
                    None,
                    f"a symlink to {real}, outside the site and the theme; digest does not "
                    "follow it: copy the template into templates/ instead",
                )
            )
        with open(filename, "rb") as file:  # a regular file: opening it cannot block
            data = file.read()
        try:
            contents = data.decode("utf-8")
        except UnicodeDecodeError as error:
            line = data.count(b"\n", 0, error.start) + 1
            raise RefusedTemplate(
                Problem(shown, line, "not valid UTF-8; save it as UTF-8")
            ) from None
        mtime = status.st_mtime_ns

        def uptodate() -> bool:
            try:
                return os.stat(filename).st_mtime_ns == mtime
            except OSError:
                return False

        return contents, str(shown), uptodate


class RenderTimeout(Exception):
    """Raised inside a render that ran out of time."""

    def __init__(self, seconds: float) -> None:
        super().__init__(f"rendering took longer than {seconds:g} s")
        self.seconds = seconds


class RenderTimedOut(DigestError):
    """A page ran out of time. Other pages likely share its template: a build stops at
    the first, rather than waiting out the limit once per page."""


@contextlib.contextmanager
def time_limit(seconds: float) -> Iterator[None]:
    """Raise RenderTimeout in this thread once the block has run `seconds`.

    On the main thread (a build, its forked workers) by SIGALRM: a timer syscall per
    page. On another thread (serve rebuilds on its watcher's), by the watchdog.
    """
    if seconds <= 0:
        yield
        return
    if threading.current_thread() is threading.main_thread() and hasattr(signal, "setitimer"):
        global _alarm_limit
        if signal.getsignal(signal.SIGALRM) is not _alarm:
            signal.signal(signal.SIGALRM, _alarm)
        _alarm_limit = seconds
        signal.setitimer(signal.ITIMER_REAL, seconds)
        try:
            yield
        finally:
            signal.setitimer(signal.ITIMER_REAL, 0)
            _alarm_limit = 0.0
        return
    with _WATCHDOG.watch(seconds):
        yield


_alarm_limit = 0.0
"""The limit of the render the SIGALRM timer is set for; 0 when none is."""


def _alarm(signum: int, frame: object) -> None:
    """Left installed between pages (installing it per page cost a few percent of the
    rendering); an alarm after the page was done is ignored."""
    if _alarm_limit:
        # Again and again until the render ends: code that catches every exception (a
        # getattr fallback) may swallow one.
        signal.setitimer(signal.ITIMER_REAL, 0.1)
        raise RenderTimeout(_alarm_limit)


class _Watchdog:
    """One daemon thread that raises RenderTimeout in a thread whose render overran
    (PyThreadState_SetAsyncExc: the exception comes at the thread's next bytecode, which
    a template loop always reaches). Started on first use, so a build's process, which
    forks its workers only while it has a single thread, never has it."""

    def __init__(self) -> None:
        self.lock = threading.Condition()
        self.deadlines: dict[int, tuple[float, float]] = {}
        """Thread id -> (deadline on the monotonic clock, its limit in seconds)."""
        self.thread: threading.Thread | None = None

    @contextlib.contextmanager
    def watch(self, seconds: float) -> Iterator[None]:
        ident = threading.get_ident()
        with self.lock:
            if self.thread is None or not self.thread.is_alive():
                self.thread = threading.Thread(
                    target=self._run, name="digest-render-watch", daemon=True
                )
                self.thread.start()
            self.deadlines[ident] = (time.monotonic() + seconds, seconds)
            self.lock.notify()
        try:
            yield
        finally:
            with self.lock:
                self.deadlines.pop(ident, None)
                # A timeout set but not raised yet would hit whatever the thread does
                # next (the next rebuild); under the lock, none can be set after this.
                ctypes.pythonapi.PyThreadState_SetAsyncExc(ctypes.c_ulong(ident), None)

    def _run(self) -> None:
        with self.lock:
            while True:
                now = time.monotonic()
                for ident, (deadline, seconds) in list(self.deadlines.items()):
                    if deadline <= now:  # and again, until the render ends (see _alarm)
                        self.deadlines[ident] = (now + 0.1, seconds)
                        ctypes.pythonapi.PyThreadState_SetAsyncExc(
                            ctypes.c_ulong(ident), ctypes.py_object(_timeout_class(seconds))
                        )
                soonest = min((deadline for deadline, _ in self.deadlines.values()), default=None)
                self.lock.wait(None if soonest is None else max(0.0, soonest - now))


def _timeout_class(seconds: float) -> type[RenderTimeout]:
    """SetAsyncExc raises a class with no arguments: one that knows its limit."""

    class Timeout(RenderTimeout):
        def __init__(self) -> None:
            super().__init__(seconds)

    return Timeout


_WATCHDOG = _Watchdog()


@dataclass(frozen=True, slots=True)
class PageInfo:
    path: str
    title: str


def make_environment(
    site: Site, template_dirs: list[Path], bytecode_dir: Path | None = None
) -> jinja2.Environment:
    """`template_dirs` in priority order: the site's own first, the theme's last.

    With `bytecode_dir`, compiled templates are kept there (checked against each
    template's source), so a quick rebuild does not compile them again.
    """
    # A template may be a symlink within the site or the theme, never out of both.
    inside = tuple(dict.fromkeys([site.config.root.resolve(), template_dirs[-1].parent.resolve()]))
    theme = TemplateLoader(template_dirs[-1], inside)
    loader = jinja2.ChoiceLoader(
        [
            *(TemplateLoader(folder, inside) for folder in template_dirs),
            jinja2.PrefixLoader({"theme": theme}),
        ]
    )
    env = DigestEnvironment(
        loader=loader,
        autoescape=jinja2.select_autoescape(["html", "xml"], default_for_string=True),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        # A build renders with one set of templates: checking each file's time on every
        # include was a sixth of the rendering. Serve makes a new environment on edits.
        auto_reload=False,
        bytecode_cache=_bytecode_cache(bytecode_dir) if bytecode_dir is not None else None,
    )
    config = site.config
    env.render_timeout = config.render_timeout
    env.image_sizes = ImageSizes(config.root, template_dirs[-1].parent, config.base_path)

    @functools.lru_cache(maxsize=65536)
    def url(path: str = "") -> str:
        return url_quote(config.base_path + path.lstrip("/"))

    join = joiner(config.base_url)

    def abs_url(path: str = "") -> str:
        return join(url(path))

    contents: dict[Path, tuple[Issue, str]] = {}

    def issue_content(issue: Issue) -> str:
        """The issue's full content with absolute links, for feeds.

        Kept for the issues last asked for: the RSS, Atom and JSON feeds each carry the
        same newest issues. Issues are frozen, and the templates are this environment's.
        Kept by file, so that an edited issue's new object replaces the old one (serve
        would otherwise hold every version it rendered, up to the bound).
        """
        key = issue.source.path
        found = contents.get(key)
        if found is not None and found[0] is issue:
            return found[1]
        html = env.get_template(ISSUE_CONTENT_TEMPLATE).render(issue=issue)
        html = absolutize(html, abs_url(issue.url_path))
        contents.pop(key, None)
        if len(contents) >= _KEPT_CONTENTS:
            del contents[next(iter(contents))]
        contents[key] = (issue, html)
        return html

    env.code_style_href = url("pygments.css")

    def discuss_url(issue: Issue) -> str:
        """site.yaml `discuss:` filled in for the issue; '' when not configured."""
        if not config.discuss:
            return ""
        number = str(issue.number) if issue.number is not None else issue.slug
        return config.discuss.format(
            number=quote(number, safe=""),
            slug=quote(issue.slug, safe=""),
            title=quote(issue.title, safe=""),
            url=quote(abs_url(issue.url_path), safe=""),
        )

    env.globals.update(
        site=config,
        url=url,
        abs_url=abs_url,
        issue_content=issue_content,
        discuss_url=discuss_url,
        build=SimpleNamespace(time=site.build_time, generator=f"digest {__version__}"),
    )
    env.filters.update(
        date_display=lambda moment, language=None: date_display(
            moment, language or config.language
        ),
        isodate=lambda moment: moment.strftime("%Y-%m-%d"),
        isodatetime=lambda moment: moment.isoformat(timespec="seconds"),
        rfc822=rfc822,
        absolute=lambda link: urljoin(config.base_url, link),
        host=url_host,
        tag_slug=tag_slug,
        # A plain str, like issue_content(): a feed carries HTML as escaped text, and raw
        # markup in an XML element (an author's <br>) would break the feed.
        absolutize=lambda html, issue: absolutize(str(html), abs_url(issue.url_path)),
    )
    return env


def _bytecode_cache(folder: Path) -> jinja2.BytecodeCache | None:
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError:  # a read-only site: compile every time
        return None
    # Compiled apart from an unsandboxed build's code, which calls without the checks (and
    # from code of before `**` and `*` went through DigestEnvironment.call_binop).
    return jinja2.FileSystemBytecodeCache(str(folder), pattern="sandboxed-3-%s.cache")


def render_page(env: jinja2.Environment, page: OutputPage) -> bytes:
    """Render one planned page; template mistakes become a Problem with file and line."""
    try:
        template = env.get_template(page.template)
        with time_limit(getattr(env, "render_timeout", DEFAULT_RENDER_TIMEOUT)):
            text = template.render(page=PageInfo(page.url_path, page.title), **page.context)
    except RefusedTemplate as exc:
        raise DigestError(exc.problem) from None
    except RenderTimeout as exc:
        raise RenderTimedOut(_runtime_problem(exc, page)) from None
    except jinja2.TemplateSyntaxError as exc:
        path = Path(exc.filename) if exc.filename else Path(exc.name or page.template)
        raise DigestError(
            Problem(path, exc.lineno, f"template syntax error: {exc.message}")
        ) from None
    except jinja2.TemplateNotFound as exc:
        raise DigestError(
            Problem(
                None,
                None,
                f"template '{exc.name}' not found (needed for {page.path}); "
                "add it to templates/ or remove the reference",
            )
        ) from None
    except Exception as exc:  # any error raised while a template runs
        raise DigestError(_runtime_problem(exc, page)) from None
    if page.template.endswith(".xml"):
        text = _XML_INVALID.sub("", text)
    sizes = getattr(env, "image_sizes", None)
    if page.template.endswith(".html") and sizes is not None:
        text = finish_page(text, sizes, env.code_style_href)  # type: ignore[attr-defined]
    return text.encode("utf-8")


def _runtime_problem(exc: Exception, page: OutputPage) -> Problem:
    """Point at the innermost template line that was running when `exc` was raised."""
    frames = [
        frame
        for frame in traceback.extract_tb(exc.__traceback__)
        if frame.filename.endswith(TEMPLATE_SUFFIXES)
    ]
    if isinstance(exc, RenderTimeout):
        what = (
            f"rendering took longer than {exc.seconds:g} s (while rendering {page.path}); "
            "is a loop endless? The limit is render_timeout in site.yaml"
        )
        if frames:
            return Problem(Path(frames[-1].filename), frames[-1].lineno, what)
        return Problem(Path(page.template), None, what)
    message = str(exc) if not isinstance(exc, DigestError) else exc.problems[0].message
    what = f"template error while rendering {page.path}: {message}"
    if frames:
        return Problem(Path(frames[-1].filename), frames[-1].lineno, what)
    return Problem(None, None, what)


_MONTHS = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)


def date_display(moment: datetime, language: str) -> str:
    """'2026年11月2日' for Chinese sites, '2 November 2026' otherwise."""
    if language.lower().startswith(("zh", "ja")):
        return f"{moment.year}年{moment.month}月{moment.day}日"
    return f"{moment.day} {_MONTHS[moment.month - 1]} {moment.year}"


@functools.lru_cache(maxsize=65536)
def url_host(link: str | None) -> str:
    """'https://www.github.com/x' -> 'github.com': shown beside an item so readers know where
    a link goes."""
    if not link or "://" not in link:
        return ""
    host = urlsplit(link).hostname or ""
    return host.removeprefix("www.")


def rfc822(moment: datetime) -> str:
    """RSS dates: 'Mon, 23 Nov 2026 09:00:00 +0800', in English whatever the locale."""
    days = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
    offset = moment.strftime("%z") or "+0000"
    return (
        f"{days[moment.weekday()]}, {moment.day:02d} {_MONTHS[moment.month - 1][:3]} "
        f"{moment.year} {moment:%H:%M:%S} {offset}"
    )


def template_dirs(site_root: Path, theme_root: Path) -> list[Path]:
    own = site_root / "templates"
    dirs = [own] if own.is_dir() and own.resolve() != (theme_root / "templates").resolve() else []
    return [*dirs, theme_root / "templates"]
