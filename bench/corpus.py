"""Generate a deterministic N-issue digest site for benchmarks.

    python bench/corpus.py 500 /tmp/corpus-500 [--layout digest|hugo|pelican]

Each issue is about 30 KB of mixed Chinese and English Markdown: an intro, six
sections of four to six link items, some with images, some with code blocks.
The same seed always gives the same bytes, so runs compare like with like.
"""

from __future__ import annotations

import argparse
import random
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

SECTIONS = ["业界资讯", "Blogs", "开源项目", "Tools", "学习资源", "Papers"]
ZH = [
    "数据库",
    "编译器",
    "分布式",
    "缓存",
    "性能",
    "可观测性",
    "向量检索",
    "前端",
    "构建工具",
    "类型系统",
    "并发",
    "内存安全",
    "容器",
    "调度",
    "网络协议",
    "存储引擎",
    "索引",
    "查询优化",
    "日志",
    "监控",
    "测试",
    "重构",
    "开源社区",
    "发布流程",
]
EN = [
    "latency",
    "throughput",
    "compiler",
    "cache",
    "vector",
    "index",
    "rust",
    "python",
    "postgres",
    "sqlite",
    "kernel",
    "scheduler",
    "memory",
    "async",
    "runtime",
    "benchmark",
    "profile",
    "query",
    "planner",
    "storage",
    "engine",
    "release",
]
CODE = {
    "python": "def fib(n: int) -> int:\n    a, b = 0, 1\n    for _ in range(n):\n"
    "        a, b = b, a + b\n    return a\n",
    "rust": "fn main() {\n    let v: Vec<u64> = (1..=10).map(|x| x * x).collect();\n"
    '    println!("{:?}", v);\n}\n',
    "sql": "SELECT id, title FROM items\nWHERE published_at > now() - interval '7 days'\n"
    "ORDER BY score DESC LIMIT 20;\n",
}
SITE_YAML = """\
title: Bench Weekly
base_url: https://bench.example.org/
language: zh-CN
timezone: Asia/Shanghai
sections:
  - key: news
    title: 业界资讯
  - key: blogs
    title: Blogs
  - key: open-source
    title: 开源项目
  - key: tools
    title: Tools
  - key: resources
    title: 学习资源
  - key: papers
    title: Papers
"""


def sentence(rng: random.Random) -> str:
    if rng.random() < 0.5:
        return "".join(rng.choice(ZH) for _ in range(rng.randint(8, 16))) + "。"
    words = [rng.choice(EN) for _ in range(rng.randint(10, 20))]
    return " ".join(words).capitalize() + "."


def paragraph(rng: random.Random, sentences: int) -> str:
    return " ".join(sentence(rng) for _ in range(sentences))


@dataclass(frozen=True)
class Issue:
    number: int
    day: date
    title: str
    tags: tuple[str, str]
    body: str


def make_issue(number: int, day: date, rng: random.Random) -> Issue:
    title = f"Bench Weekly {number}：{rng.choice(ZH)}与{rng.choice(EN)}"
    tags = (rng.choice(EN), rng.choice(ZH))
    lines = [paragraph(rng, 6), "", paragraph(rng, 5), ""]
    for section in SECTIONS:
        lines += [f"## {section}", ""]
        for item in range(rng.randint(4, 6)):
            slug = f"{number}-{section}-{item}".encode().hex()[:16]
            lines += [f"### [{sentence(rng)[:40]}](https://example.com/{slug})", ""]
            if rng.random() < 0.3:
                lines += [f"![figure](https://img.example.com/{slug}.png)", ""]
            lines += [paragraph(rng, rng.randint(4, 6)), ""]
            if rng.random() < 0.12:
                language = rng.choice(sorted(CODE))
                lines += [f"```{language}", CODE[language].rstrip("\n"), "```", ""]
            lines += [paragraph(rng, rng.randint(1, 3)), ""]
    return Issue(number, day, title, tags, "\n".join(lines))


def digest_file(issue: Issue) -> tuple[str, str]:
    front = (
        f"---\ntitle: {issue.title}\ndate: {issue.day.isoformat()}\nnumber: {issue.number}\n"
        f"tags: [{issue.tags[0]}, {issue.tags[1]}]\n---\n"
    )
    return f"content/issues/{issue.number:04d}-weekly.md", front + issue.body


def hugo_file(issue: Issue) -> tuple[str, str]:
    front = (
        f'---\ntitle: "{issue.title}"\ndate: {issue.day.isoformat()}\n'
        f"tags: [{issue.tags[0]}, {issue.tags[1]}]\n---\n"
    )
    return f"content/posts/{issue.number:04d}-weekly.md", front + issue.body


def pelican_file(issue: Issue) -> tuple[str, str]:
    front = (
        f"Title: {issue.title}\nDate: {issue.day.isoformat()}\n"
        f"Tags: {issue.tags[0]}, {issue.tags[1]}\nSlug: weekly-{issue.number}\n\n"
    )
    return f"content/{issue.number:04d}-weekly.md", front + issue.body


LAST_ISSUE = date(2025, 12, 29)

HUGO_CONFIG = """\
baseURL = "https://bench.example.org/"
title = "Bench Weekly"
languageCode = "zh-CN"
[markup.highlight]
  noClasses = false
"""
HUGO_LAYOUTS = {
    "layouts/_default/baseof.html": "<!doctype html><html><head><title>{{ .Title }}</title>"
    '</head><body>{{ block "main" . }}{{ end }}</body></html>',
    "layouts/_default/single.html": '{{ define "main" }}<h1>{{ .Title }}</h1>{{ .Content }}'
    "{{ end }}",
    "layouts/_default/list.html": '{{ define "main" }}<h1>{{ .Title }}</h1><ul>{{ range '
    '.Paginator.Pages }}<li><a href="{{ .RelPermalink }}">{{ .Title }}</a></li>{{ end }}'
    "</ul>{{ end }}",
}
PELICAN_CONFIG = """\
AUTHOR = "Bench"
SITENAME = "Bench Weekly"
SITEURL = "https://bench.example.org"
PATH = "content"
TIMEZONE = "Asia/Shanghai"
DEFAULT_LANG = "zh"
DEFAULT_PAGINATION = 10
FEED_ALL_RSS = "feed.xml"
"""
LAYOUTS = {
    "digest": (digest_file, {"site.yaml": SITE_YAML}),
    "hugo": (hugo_file, {"hugo.toml": HUGO_CONFIG, **HUGO_LAYOUTS}),
    "pelican": (pelican_file, {"pelicanconf.py": PELICAN_CONFIG}),
}


def generate(count: int, folder: Path, seed: int = 7, layout: str = "digest") -> Path:
    """Write `count` issues into `folder` in the layout of digest, Hugo or Pelican.

    The same seed gives the same issues in every layout: only the file names and
    front matter syntax differ.
    """
    rng = random.Random(seed)
    to_file, extra = LAYOUTS[layout]
    for relative, text in extra.items():
        target = folder / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
    start = LAST_ISSUE - timedelta(weeks=count - 1)  # every issue in the past: all are built
    for number in range(1, count + 1):
        relative, text = to_file(make_issue(number, start + timedelta(weeks=number - 1), rng))
        target = folder / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
    return folder


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("count", type=int)
    parser.add_argument("folder", type=Path)
    parser.add_argument("--layout", choices=sorted(LAYOUTS), default="digest")
    args = parser.parse_args()
    generate(args.count, args.folder, layout=args.layout)


if __name__ == "__main__":
    main()
