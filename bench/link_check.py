"""Time `digest check --links` over a generated archive, against servers on this machine.

    python bench/link_check.py --issues 2000 --links 30 --hosts 16

Writes an archive of N issues with L distinct links each, spread over H servers on
127.0.0.1 (one port per "host"), which answer as a real archive's links do: mostly
200, some 404, 410, 301 to the same page, 301 to the home page and 302. Then runs
`digest check --links` three times as a separate process: cold (no parse cache, no
link memory), again at once (everything remembered), and after one new issue. Prints
wall time, the requests the servers saw and the check process's peak memory for each.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import subprocess
import sys
import tempfile
import time
import zlib
from datetime import date, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from threading import Thread

SITE_YAML = "title: Links Bench\nbase_url: https://bench.example.org/\ntimezone: UTC\n"
SECTIONS = ["News", "Blogs", "Open source", "Tools", "Resources", "Papers"]


def answer(path: str) -> tuple[int, str | None]:
    """How the servers answer a path: fixed by its hash, so every run sees the same."""
    if path == "/" or path.startswith("/new/"):
        return 200, None
    bucket = zlib.crc32(path.encode()) % 100
    if bucket < 3:
        return 404, None
    if bucket < 4:
        return 410, None
    if bucket < 7:
        return 301, "/new" + path
    if bucket < 8:
        return 301, "/"
    if bucket < 10:
        return 302, "/new" + path
    return 200, None


def serve(ports: multiprocessing.Queue, hosts: int, counter: multiprocessing.Value) -> None:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"  # keep-alive, as real servers do

        def do_HEAD(self) -> None:
            with counter.get_lock():
                counter.value += 1
            code, location = answer(self.path)
            self.send_response(code)
            if location:
                self.send_header("Location", location)
            self.send_header("Content-Length", "0")
            self.end_headers()

        do_GET = do_HEAD

        def log_message(self, *args: object) -> None:
            pass

    servers = [ThreadingHTTPServer(("127.0.0.1", 0), Handler) for _ in range(hosts)]
    for server in servers:
        server.daemon_threads = True
        Thread(target=server.serve_forever, daemon=True).start()
    ports.put([server.server_address[1] for server in servers])
    while True:
        time.sleep(3600)


def write_issue(folder: Path, number: int, links: int, ports: list[int]) -> None:
    day = date(1990, 1, 1) + timedelta(weeks=number)
    lines = [f"---\ntitle: Issue {number}\ndate: {day.isoformat()}\n---\nThis week.\n"]
    per_section = -(-links // len(SECTIONS))
    written = 0
    for section in SECTIONS:
        lines.append(f"## {section}\n")
        for _ in range(per_section):
            if written == links:
                break
            port = ports[zlib.crc32(f"{number}-{written}".encode()) % len(ports)]
            url = f"http://127.0.0.1:{port}/{number}/{written}/article"
            lines.append(f"- [Article {number}.{written}]({url}) — a line about it.\n")
            written += 1
    path = folder / "content" / "issues" / f"{number}-issue.md"
    path.write_text("\n".join(lines), encoding="utf-8")


def run_check(site: Path, counter: multiprocessing.Value) -> tuple[float, int, float, str]:
    """(seconds, requests, peak MB of the check process, its summary line)."""
    before = counter.value
    started = time.perf_counter()
    process = subprocess.Popen(
        [sys.executable, "-m", "digest.cli", "check", "--links", "--site", str(site)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "NO_PROXY": "*", "no_proxy": "*"},
    )
    assert process.stderr is not None
    err = process.stderr.read()
    _, status, usage = os.wait4(process.pid, 0)  # its own peak, not the servers'
    process.returncode = os.waitstatus_to_exitcode(status)
    seconds = time.perf_counter() - started
    peak = usage.ru_maxrss / 1024
    summary = next((line for line in err.splitlines() if line.startswith("checked ")), err)
    return seconds, counter.value - before, peak, summary


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--issues", type=int, default=2000)
    parser.add_argument("--links", type=int, default=30)
    parser.add_argument("--hosts", type=int, default=16)
    args = parser.parse_args()

    ports_queue: multiprocessing.Queue = multiprocessing.Queue()
    counter = multiprocessing.Value("l", 0)
    server = multiprocessing.Process(
        target=serve, args=(ports_queue, args.hosts, counter), daemon=True
    )
    server.start()
    ports = ports_queue.get(timeout=30)
    with tempfile.TemporaryDirectory() as temporary:
        site = Path(temporary)
        (site / "content" / "issues").mkdir(parents=True)
        (site / "site.yaml").write_text(SITE_YAML, encoding="utf-8")
        for number in range(1, args.issues + 1):
            write_issue(site, number, args.links, ports)
        runs = [("cold", run_check(site, counter)), ("again", run_check(site, counter))]
        write_issue(site, args.issues + 1, args.links, ports)
        runs.append(("one new issue", run_check(site, counter)))
    server.terminate()
    print(f"{args.issues} issues x {args.links} links over {args.hosts} hosts")
    for name, (seconds, requests, peak, summary) in runs:
        print(f"{name}: {seconds:.1f} s, {requests} requests, peak {peak:.0f} MB\n  {summary}")


if __name__ == "__main__":
    main()
