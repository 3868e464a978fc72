"""Edit-to-served latency of `digest serve` on a generated site.

    python bench/serve_latency.py --issues 500 --edits 30
    python bench/serve_latency.py --issues 500 --edits 30 --baseline /tmp/digest-base

Generates the corpus (bench/corpus.py), starts `digest serve` on a free port,
then repeatedly changes one sentence of one issue and measures the time from
the file write until the server returns the page with the new text.

With `--baseline DIR`, another checkout of digest (see bench/run.py) serves its own copy
of the corpus beside it, started once the first has built; each edit is made to both
sites, one after the other, the first of them taking turns, and the last line gives
the median of the edits' ratios, this checkout's latency over the baseline's.
"""

from __future__ import annotations

import argparse
import http.client
import re
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from corpus import generate
from run import digest_env, digest_imported


def fetch(port: int, path: str) -> str:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    connection.request("GET", path)
    body = connection.getresponse().read().decode("utf-8")
    connection.close()
    return body


class Server:
    """`digest serve` of its own generated site, by this checkout's digest or by the one
    in `checkout`; `label` names it in what is printed."""

    def __init__(self, issues: int, folder: Path, checkout: Path | None, label: str) -> None:
        self.issues = issues
        self.label = label
        self.site = generate(issues, folder)
        self.latencies: list[float] = []
        started = time.perf_counter()
        command = [sys.executable, "-m", "digest.cli", "serve", "--site", str(self.site)]
        self.process = subprocess.Popen(
            [*command, "--port", "0"],
            env=digest_env(checkout),
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
        )
        assert self.process.stdout is not None
        line = self.process.stdout.readline()
        match = re.search(r":(\d+)/", line)
        if not match:
            self.stop()
            raise SystemExit(f"serve{label} did not start: {line!r}")
        self.port = int(match.group(1))
        print(
            f"{issues} issues{label}: first build and start in "
            f"{time.perf_counter() - started:.2f} s",
            flush=True,
        )

    def edit(self, edit: int) -> None:
        """Change one issue and wait until its page is served with the change."""
        number = 1 + (edit * 37) % self.issues
        path = self.site / "content" / "issues" / f"{number:04d}-weekly.md"
        marker = f"latency-marker-{edit}"
        text = path.read_text(encoding="utf-8")
        text = re.sub(r"latency-marker-\d+", "", text)
        before = time.perf_counter()
        path.write_text(text.replace("\n\n", f"\n\n{marker} ", 1), encoding="utf-8")
        deadline = before + 30
        while marker not in fetch(self.port, f"/issues/{number}/"):
            if time.perf_counter() > deadline:
                raise SystemExit(f"edit {edit} was not served{self.label} within 30 s")
            time.sleep(0.002)
        self.latencies.append((time.perf_counter() - before) * 1000)
        time.sleep(0.1)

    def stop(self) -> None:
        self.process.send_signal(signal.SIGINT)
        self.process.wait(timeout=30)

    def summary(self) -> str:
        latencies = sorted(self.latencies)
        return (
            f"edit-to-served{self.label} over {len(latencies)} edits: "
            f"median {statistics.median(latencies):.0f} ms, "
            f"p90 {latencies[int(len(latencies) * 0.9) - 1]:.0f} ms, "
            f"min {latencies[0]:.0f} ms, max {latencies[-1]:.0f} ms"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--issues", type=int, default=500)
    parser.add_argument("--edits", type=int, default=30)
    parser.add_argument(
        "--baseline", type=Path, metavar="DIR", help="another checkout of digest to compare"
    )
    args = parser.parse_args()
    if args.baseline is not None:
        print(f"digest: {digest_imported(None)}; base: {digest_imported(args.baseline)}")

    with tempfile.TemporaryDirectory() as temp:
        servers = [Server(args.issues, Path(temp) / "site", None, "")]
        try:
            if args.baseline is not None:
                servers.append(Server(args.issues, Path(temp) / "base", args.baseline, " (base)"))
            for edit in range(args.edits):
                for server in servers if edit % 2 == 0 else servers[::-1]:
                    server.edit(edit)
        finally:
            for server in servers:
                server.stop()

    for server in servers:
        print(server.summary())
    if args.baseline is not None:
        new, base = (server.latencies for server in servers)
        ratios = [ours / theirs for ours, theirs in zip(new, base, strict=True)]
        print(f"new/base: median of the edits' ratios {statistics.median(ratios):.2f}x")


if __name__ == "__main__":
    main()
