"""Edit-to-served latency of `digest serve` on a generated site.

    python bench/serve_latency.py --issues 500 --edits 30

Generates the corpus (bench/corpus.py), starts `digest serve` on a free port,
then repeatedly changes one sentence of one issue and measures the time from
the file write until the server returns the page with the new text.
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


def fetch(port: int, path: str) -> str:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    connection.request("GET", path)
    body = connection.getresponse().read().decode("utf-8")
    connection.close()
    return body


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--issues", type=int, default=500)
    parser.add_argument("--edits", type=int, default=30)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as temp:
        site = generate(args.issues, Path(temp) / "site")
        started = time.perf_counter()
        server = subprocess.Popen(
            [sys.executable, "-m", "digest.cli", "serve", "--site", str(site), "--port", "0"],
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
        )
        assert server.stdout is not None
        line = server.stdout.readline()
        match = re.search(r":(\d+)/", line)
        if not match:
            raise SystemExit(f"serve did not start: {line!r}")
        port = int(match.group(1))
        print(
            f"{args.issues} issues: first build and start in {time.perf_counter() - started:.2f} s"
        )

        latencies = []
        try:
            for edit in range(args.edits):
                number = 1 + (edit * 37) % args.issues
                path = site / "content" / "issues" / f"{number:04d}-weekly.md"
                marker = f"latency-marker-{edit}"
                text = path.read_text(encoding="utf-8")
                text = re.sub(r"latency-marker-\d+", "", text)
                before = time.perf_counter()
                path.write_text(text.replace("\n\n", f"\n\n{marker} ", 1), encoding="utf-8")
                deadline = before + 30
                while marker not in fetch(port, f"/issues/{number}/"):
                    if time.perf_counter() > deadline:
                        raise SystemExit(f"edit {edit} was not served within 30 s")
                    time.sleep(0.002)
                latencies.append((time.perf_counter() - before) * 1000)
                time.sleep(0.1)
        finally:
            server.send_signal(signal.SIGINT)
            server.wait(timeout=30)

    latencies.sort()
    print(
        f"edit-to-served over {len(latencies)} edits: "
        f"median {statistics.median(latencies):.0f} ms, "
        f"p90 {latencies[int(len(latencies) * 0.9) - 1]:.0f} ms, "
        f"min {latencies[0]:.0f} ms, max {latencies[-1]:.0f} ms"
    )


if __name__ == "__main__":
    main()
