"""Coverage-guided fuzzing of the issue parser with atheris (libFuzzer for Python).

Any bytes, read as an issue file, must give an Issue or a DigestError whose problems
all name the file and a line in it: never another exception, a hang or a crash.

    python tests/fuzz/fuzz_parse.py CORPUS_DIR tests/fuzz/seeds -dict=tests/fuzz/issue.dict
    python tests/fuzz/fuzz_parse.py --replay tests/fuzz/crashes/*   # without atheris

libFuzzer writes new inputs into the first folder it is given, so give it a scratch
folder first and the seeds after. A crash is saved as `crash-<sha1>` (see
-artifact_prefix); copy it to tests/fuzz/crashes/ so tests/test_robustness_fuzz.py
replays it from then on.
"""

from __future__ import annotations

import sys
from pathlib import Path

PATH = Path("content/issues/12-fuzz.md")
SITE_YAML = """\
title: Fuzz Weekly
base_url: https://example.org/weekly/
language: zh-CN
timezone: Asia/Shanghai
"""


def load_digest() -> tuple:
    """The parser and a fixed site config, imported here so atheris can instrument them."""
    from digest.config import parse_config
    from digest.content.frontmatter import normalize_text
    from digest.content.markdown import make_markdown
    from digest.content.parse import decode, parse_issue
    from digest.errors import DigestError

    config = parse_config(SITE_YAML, Path("site.yaml"))
    md = make_markdown(config.markdown)
    return DigestError, decode, normalize_text, parse_issue, config, md


def make_target(parts: tuple):
    digest_error, decode, normalize_text, parse_issue, config, md = parts

    def check(data: bytes) -> None:
        """Raise AssertionError if `data` breaks the promise; DigestError is the promise."""
        # Lines as an editor counts them: a lone CR ends a line too.
        text = normalize_text(data.decode("utf-8", "replace"))
        last = text.count("\n") + 2  # a problem at the end of the file may name the next
        try:
            issue = parse_issue(decode(data, PATH), PATH, config, md)
        except digest_error as error:
            misplaced = [
                problem
                for problem in error.problems
                if problem.path != PATH or problem.line is None or not 1 <= problem.line <= last
            ]
            if misplaced:
                raise AssertionError(f"problems with no place in the file: {misplaced}") from None
            return
        for section in issue.sections:
            for ref in (section.source, *(item.source for item in section.items)):
                if not 1 <= ref.line <= last:
                    raise AssertionError(f"line {ref.line} outside the file ({last - 2} lines)")

    return check


def replay(paths: list[str]) -> int:
    """Run saved inputs through the check; the exit status says whether all held."""
    check = make_target(load_digest())
    failed = 0
    for name in paths:
        try:
            check(Path(name).read_bytes())
        except Exception as exc:  # report every input, then fail
            failed += 1
            print(f"{name}: {type(exc).__name__}: {exc}", file=sys.stderr)
    return 1 if failed else 0


def main() -> None:
    if sys.argv[1:2] == ["--replay"]:
        raise SystemExit(replay(sys.argv[2:]))
    import atheris

    with atheris.instrument_imports(include=["digest", "yaml", "markdown_it", "mdit_py_plugins"]):
        parts = load_digest()
    atheris.Setup(sys.argv, make_target(parts))
    atheris.Fuzz()


if __name__ == "__main__":
    main()
