"""Lighthouse (mobile preset) on every kind of page, for the sample site and a 400-issue one.

    python bench/lighthouse.py                       # both sites, six pages each
    python bench/lighthouse.py --sites sample --lighthouse /tmp/lh  # reuse an install

Builds each site into a temporary folder (the sample site is this repository; the large
one is bench/corpus.py's 400 issues), serves it on 127.0.0.1 with a plain static server,
and runs npm's lighthouse@12.2.3 on the home page, an issue, a section, a tag, the archive
and the search page (with a query, so it shows results). Lighthouse is installed with npm
into a temporary folder (or `--lighthouse DIR`, where `npm install lighthouse@12.2.3`
ran), never into the project; Chromium is CHROME_PATH (default /usr/bin/chromium),
headless. Prints the four category scores and the cumulative layout shift of each page,
and every audit short of a full score (a metric at 0.99 still rounds to 100);
`--reports DIR` keeps the JSON reports. Exits 1 when a category is below 100 for a
finding not meant, or CLS is above 0: the search page's `noindex` is meant, and is its
only SEO finding (Lighthouse scores its SEO 66 for that alone).

Needs Node.js (20 or later) and npm.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
LIGHTHOUSE = "lighthouse@12.2.3"
CATEGORIES = ("performance", "accessibility", "best-practices", "seo")
CHROME_FLAGS = "--headless --no-sandbox --disable-gpu"
LARGE_SITE = 400
SEARCH_QUERY = "数据库"
ALLOWED = {("search", "is-crawlable")}
"""(page, audit) findings that are meant: the search page asks not to be indexed."""


def install_lighthouse(folder: Path) -> Path:
    """npm install lighthouse into `folder`; returns its command-line script."""
    cli = folder / "node_modules" / "lighthouse" / "cli" / "index.js"
    if not cli.is_file():
        folder.mkdir(parents=True, exist_ok=True)
        npm = ["npm", "install", "--no-audit", "--no-fund", "--silent", "--prefix", str(folder)]
        subprocess.run([*npm, LIGHTHOUSE], check=True)
    return cli


def build_site(name: str, work: Path) -> Path:
    """Build the sample site or the large generated one into `work`; returns the output."""
    if name == "sample":
        site = ROOT
    else:
        sys.path.insert(0, str(ROOT / "bench"))
        from corpus import generate

        site = generate(LARGE_SITE, work / f"{name}-source")
        local_figures(site)
    out = work / name
    program = shutil.which("digest") or str(Path(sys.executable).with_name("digest"))
    command = [program, "build", "--site", str(site), "--out", str(out), "--quiet"]
    subprocess.run(command, check=True)
    return out


FIGURE = (
    '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 640 360">'
    '<rect width="640" height="360" fill="#dde6f0"/></svg>\n'
)
REMOTE_FIGURE = re.compile(r"https://img\.example\.com/[^)\s]+")


def local_figures(site: Path) -> None:
    """Point the corpus's figures at a picture of the site's own.

    bench/corpus.py links them to img.example.com, a host that does not exist: Chromium's
    failed requests would cost best practices a point ("errors in the console") on every
    page that shows one, for the fixture's sake, not the site's.
    """
    (site / "content" / "images").mkdir(parents=True, exist_ok=True)
    (site / "content" / "images" / "figure.svg").write_text(FIGURE, encoding="utf-8")
    for path in (site / "content" / "issues").glob("*.md"):
        text = path.read_text(encoding="utf-8")
        path.write_text(REMOTE_FIGURE.sub("/images/figure.svg", text), encoding="utf-8")


def pages(out: Path) -> dict[str, str]:
    """One page of each kind: site-relative URLs by kind."""

    def first(folder: str) -> str:
        found = sorted(
            path.parent.relative_to(out).as_posix() for path in (out / folder).glob("*/index.html")
        )
        return found[0] + "/"

    issues = sorted(
        (path.parent for path in (out / "issues").glob("*/index.html")),
        key=lambda path: int(path.name) if path.name.isdigit() else 0,
    )
    return {
        "home": "",
        "issue": issues[-1].relative_to(out).as_posix() + "/",
        "section": first("sections"),
        "tag": first("tags"),
        "archive": "archive/",
        "search": f"search/?q={SEARCH_QUERY}",
    }


class _Quiet(SimpleHTTPRequestHandler):
    extensions_map = {  # noqa: RUF012 (the base class's own attribute)
        **SimpleHTTPRequestHandler.extensions_map,
        ".js": "text/javascript",
        ".json": "application/json",
        ".pagefind": "application/octet-stream",
        ".pf_meta": "application/octet-stream",
    }

    def log_message(self, format: str, *args: object) -> None:
        """Quiet: the scores are the output."""


@contextmanager
def serve(out: Path) -> Iterator[str]:
    """Serve `out` on 127.0.0.1; yields the origin."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), partial(_Quiet, directory=str(out)))
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()


def run_lighthouse(cli: Path, url: str, report: Path) -> dict[str, object]:
    env = {**os.environ, "CHROME_PATH": os.environ.get("CHROME_PATH", "/usr/bin/chromium")}
    command = ["node", str(cli), url, "--quiet", "--output=json", f"--output-path={report}"]
    command += [f"--only-categories={','.join(CATEGORIES)}", f"--chrome-flags={CHROME_FLAGS}"]
    subprocess.run(command, check=True, env=env)
    result: dict[str, object] = json.loads(report.read_text(encoding="utf-8"))
    return result


def findings(result: dict[str, object]) -> list[str]:
    """The audits of the four categories that did not pass."""
    audits = result["audits"]
    categories = result["categories"]
    assert isinstance(audits, dict) and isinstance(categories, dict)
    found = []
    for category in CATEGORIES:
        for ref in categories[category]["auditRefs"]:
            audit = audits[ref["id"]]
            if ref["weight"] and audit["score"] is not None and audit["score"] < 1:
                found.append(f"{ref['id']} ({category}, score {audit['score']})")
    return found


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sites", default="sample,large", help="sample, large or both")
    parser.add_argument("--lighthouse", type=Path, help="folder lighthouse is installed in")
    parser.add_argument("--reports", type=Path, help="keep the JSON reports here")
    args = parser.parse_args()
    failed = False
    with tempfile.TemporaryDirectory(prefix="digest-lighthouse-") as temporary:
        work = Path(temporary)
        cli = install_lighthouse(args.lighthouse or work / "lighthouse")
        reports = args.reports or work / "reports"
        reports.mkdir(parents=True, exist_ok=True)
        for name in args.sites.split(","):
            out = build_site(name, work)
            print(f"{name}: {'perf':>5}{'a11y':>6}{'best':>6}{'seo':>5}{'CLS':>7}")
            with serve(out) as origin:
                for kind, path in pages(out).items():
                    report = reports / f"{name}-{kind}.json"
                    result = run_lighthouse(cli, origin + path, report)
                    categories = result["categories"]
                    audits = result["audits"]
                    assert isinstance(categories, dict) and isinstance(audits, dict)
                    scores = [round(categories[c]["score"] * 100) for c in CATEGORIES]
                    cls = audits["cumulative-layout-shift"]["numericValue"]
                    print(f"  {kind:<8}" + "".join(f"{s:>6}" for s in scores) + f"{cls:>7.3f}")
                    unmeant = []
                    for finding in findings(result):
                        allowed = (kind, finding.split()[0]) in ALLOWED
                        print(f"      {'(meant) ' if allowed else ''}{finding}")
                        if not allowed:
                            unmeant.append(finding.split("(")[1].split(",")[0])
                    below = [c for c, score in zip(CATEGORIES, scores, strict=True) if score < 100]
                    failed = failed or cls > 0 or any(c in unmeant for c in below)
            shutil.rmtree(out, ignore_errors=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
