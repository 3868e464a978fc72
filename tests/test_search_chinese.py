"""Search quality: precision and recall of the real Pagefind index against a plain substring
search, on a generated archive of Chinese and English issues.

ARCHIVE is written by `write_archive`: ISSUES short issues, most Chinese, some English
(`lang: en`), their sentences drawn deterministically from SENTENCES, which put every
query word at the start, in the middle and at the end of longer words (国产芯片, 芯片厂商,
开源社区, 宣布开源), and beside near misses that share characters with it but not the
word (电动自行车 and 动车组 for 电动车, 机器学习 for 机器人). An issue is relevant to a query
when its text contains the query (case-folded); search.js's own `find` lists what the
reader's search finds, every result, in Chromium. Each query must reach PRECISION and
RECALL. Run this file as a script to print the table:

    python tests/test_search_chinese.py
"""

from __future__ import annotations

import random
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from external_tools import chromium
from test_search import PREFIX, Chromium, build_and_index, serve_under_prefix

if TYPE_CHECKING:
    from playwright.sync_api import Page

pytestmark = pytest.mark.slow  # Pagefind indexes the archive, Chromium searches it

NOW = datetime(2026, 11, 23, tzinfo=UTC)
ISSUES = 48
"""Issues in the archive; every fourth is English."""
SEED = 19
PRECISION = 0.9
RECALL = 0.9

QUERIES = (
    "开源",
    "芯片",
    "电动车",
    "机器人",
    "数据库",
    "大模型",
    "编译器",
    "浏览器",
    "操作系统",
    "云计算",
    "量子",
    "手机",
    "游戏",
    "安全",
    "人工智能",
    "自动驾驶",
    "rust",
    "python",
    "linux",
    "kubernetes",
)

SENTENCES = {
    "zh": (
        # 开源 at the start, middle and end of words; 源 and 开 alone as near misses.
        "这个开源项目一年里收获了两万颗星。",
        "公司宣布开源了内部使用多年的调度系统。",
        "开源社区为此吵了整整一周。",
        "作者把源代码放在了个人主页上，但没有选许可证。",
        "新版本开放了插件接口，第三方可以自己扩展。",
        # 芯片
        "国产芯片的出货量第一次超过了进口。",
        "芯片厂商开始在发布会上谈论能耗而不是主频。",
        "这篇文章讲清楚了一块 AI 芯片从设计到流片的全过程。",
        "手里这块开发板的芯是一颗老旧的单片机。",
        # 电动车, with 电动自行车 and 动车组 as near misses
        "今年电动车的销量又创了新高。",
        "两轮电动车的新国标下个月生效。",
        "电动自行车的电池起火事故引起了讨论。",
        "乘坐动车组去开会的路上读完了这本书。",
        "汽车行业的软件越来越复杂。",
        # 机器人, with 机器学习 and 人形 as near misses
        "人形机器人第一次走进了工厂的流水线。",
        "扫地机器人也开始用上了激光雷达。",
        "机器学习的入门课程换了新的讲师。",
        "这家机器人公司刚刚完成了新一轮融资。",
        # 数据库
        "分布式数据库的一致性测试值得每个团队读一读。",
        "数据库索引的原理讲得非常透彻。",
        "这份数据报告统计了过去十年的变化。",
        # 大模型
        "大模型的推理成本在一年里降了九成。",
        "开源大模型的榜单又换了第一名。",
        "这个模型很小，可以在笔记本上运行。",
        # 编译器
        "编译器优化的细节往往决定了程序的速度。",
        "新的编译选项让构建快了一倍。",
        # 浏览器
        "浏览器厂商一起定下了新的标准。",
        "这个扩展让旧浏览器也能打开新网页。",
        # 操作系统
        "手机操作系统的市场份额几乎没有变化。",
        "一个人写的玩具操作系统已经能跑起图形界面。",
        "这个系统的操作界面改得更简洁了。",
        # 云计算
        "云计算厂商纷纷下调了存储价格。",
        "边缘计算和云端协同是这期的主题。",
        # 量子
        "量子计算机第一次完成了实用的化学模拟。",
        "这篇量子纠缠的科普写得很好懂。",
        # 手机
        "折叠屏手机的铰链终于不再有折痕。",
        "手机厂商开始自研影像芯片。",
        "手提电脑的续航又长了一小时。",
        # 游戏
        "独立游戏开发者分享了自己的收入。",
        "这款游戏机的模拟器开源了。",
        "游泳馆里的一次讲座改变了作者的想法。",
        # 安全
        "安全研究员发现了一个存在十年的漏洞。",
        "供应链安全是今年最热的话题之一。",
        "开车一定要系好安全带。",
        "全新的安装程序只有一个文件。",
        # 人工智能
        "人工智能写的代码需要人来审查。",
        "生成式人工智能改变了客服行业。",
        "智能家居的协议终于统一了。",
        "人工翻译仍然比机器翻译可靠。",
        # 自动驾驶
        "自动驾驶出租车在三个城市开始收费运营。",
        "辅助驾驶和自动泊车的区别是什么？",
        "这个自动化脚本每天替我省下半小时。",
        # English words inside Chinese issues
        "用 Rust 重写之后，内存占用少了一半。",
        "Python 3.14 带来了模板字符串。",
        "Linux 内核的新调度器合并进了主线。",
        "在 Kubernetes 集群上跑数据库仍然需要小心。",
        "这周没有什么大新闻，推荐几篇旧文章。",
    ),
    "en": (
        "A new open source database engine written in Rust reached its first release.",
        "Python 3.14 makes template strings part of the language.",
        "The Linux kernel merged a new scheduler this week.",
        "Running Kubernetes at home is easier than it sounds.",
        "Browser vendors agreed on a new baseline of web features.",
        "A chip startup shows a tiny processor for robots.",
        "Electric cars outsold diesel ones for the first time.",
        "Compilers are mostly about data structures, this essay argues.",
        "A quantum computer simulated a small molecule.",
        "Why every game engine ends up with its own scripting language.",
        "Security researchers found a decade-old bug in a popular library.",
        "The phone you own is a supercomputer from the nineties.",
        "Cloud providers cut the price of object storage again.",
        "A reader in 深圳 wrote in about the 芯片 shortage.",
        "Nothing big this week, so here are a few old favourites.",
    ),
}
SECTIONS = {
    "zh": ("业界资讯", "开源项目", "技术博客", "工具", "资源"),
    "en": ("News", "Projects", "Articles", "Tools"),
}
TITLES = {
    "zh": ("第 {n} 期：本周阅读", "第 {n} 期：旧文新读", "第 {n} 期：周末长文", "第 {n} 期"),
    "en": ("Issue {n}: weekly reading", "Issue {n}: odds and ends", "Issue {n}"),
}
INTROS = {
    "zh": ("每周一更新，记录这一周读到的好东西。", "这一期比平时短一些。"),
    "en": ("Every Monday, what we read this week.", "A shorter issue than usual."),
}


@dataclass(frozen=True, slots=True)
class Issue:
    number: int
    lang: str
    markdown: str
    text: str
    """The words a reader sees: title, intro, section names, item titles and summaries."""


def archive(count: int = ISSUES, seed: int = SEED) -> list[Issue]:
    """The generated issues, the same every run."""
    rng = random.Random(seed)
    issues = []
    start = date(2025, 11, 3)  # the last one weeks before NOW: none is a future issue
    for number in range(1, count + 1):
        lang = "en" if number % 4 == 0 else "zh"
        title = rng.choice(TITLES[lang]).format(n=number)
        intro = rng.choice(INTROS[lang])
        front = [f'title: "{title}"', f"date: {start + timedelta(weeks=number - 1)}"]
        if lang == "en":
            front.append("lang: en")
        lines = ["---", *front, "---", "", intro, ""]
        texts = [title, intro]
        for section in rng.sample(SECTIONS[lang], k=rng.randint(2, 3)):
            lines += [f"## {section}", ""]
            texts.append(section)
            for _ in range(rng.randint(2, 4)):
                sentence = rng.choice(SENTENCES[lang])
                heading = sentence.rstrip("。.？")[:14]
                link = f"https://example.com/{number}/{len(lines)}"
                lines += [f"### [{heading}]({link})", "", sentence, ""]
                texts += [heading, sentence]
        issues.append(Issue(number, lang, "\n".join(lines), "\n".join(texts)))
    return issues


def write_archive(root: Path, issues: list[Issue]) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    (root / "site.yaml").write_text(
        "title: 搜索周刊\nbase_url: https://example.org/weekly/\n"
        "language: zh-CN\ntimezone: Asia/Shanghai\n",
        encoding="utf-8",
    )
    folder = root / "content" / "issues"
    folder.mkdir(parents=True, exist_ok=True)
    for issue in issues:
        (folder / f"{issue.number}.md").write_text(issue.markdown, encoding="utf-8")
    return root


def relevant(issues: list[Issue], query: str) -> set[str]:
    """The plain substring search: the issue pages whose text contains `query`."""
    return {
        f"{PREFIX}issues/{issue.number}/"
        for issue in issues
        if query.casefold() in issue.text.casefold()
    }


def found_by_search(page: Page, query: str) -> list[str]:
    urls: list[str] = page.evaluate(
        "([query, base]) => window.digestSearch.find(query, base)", [query, PREFIX]
    )
    return [re.sub(r"^https?://[^/]+", "", url) for url in urls]


@dataclass(frozen=True, slots=True)
class Score:
    query: str
    relevant: int
    found: int
    hits: int

    @property
    def precision(self) -> float:
        return self.hits / self.found if self.found else float(not self.relevant)

    @property
    def recall(self) -> float:
        return self.hits / self.relevant if self.relevant else 1.0


def measure(issues: list[Issue], root: Path) -> Iterator[Score]:
    """Build and index the archive in `root`, then score every query in Chromium."""
    out = build_and_index(write_archive(root, issues))
    origin_iterator = serve_under_prefix(out)
    origin = next(origin_iterator)
    browser = Chromium(chromium())
    scores: list[Score] = []
    try:

        def steps(page: Page) -> None:
            page.goto(f"{origin}{PREFIX}search/")
            for query in QUERIES:
                want = relevant(issues, query)
                got = found_by_search(page, query)
                assert len(got) == len(set(got)), f"{query}: a page found twice"
                scores.append(Score(query, len(want), len(got), len(want & set(got))))

        browser.run(steps)
    finally:
        browser.close()
        next(origin_iterator, None)
    yield from scores


def table(scores: list[Score]) -> str:
    rows = [f"{'query':<12}{'relevant':>9}{'found':>7}{'precision':>11}{'recall':>8}"]
    for score in scores:
        rows.append(
            f"{score.query:<12}{score.relevant:>9}{score.found:>7}"
            f"{score.precision:>11.0%}{score.recall:>8.0%}"
        )
    return "\n".join(rows)


def test_the_archive_has_every_query_and_near_misses() -> None:
    issues = archive()
    assert len({issue.lang for issue in issues}) == 2
    for query in QUERIES:
        assert 2 <= len(relevant(issues, query)) < len(issues), query


def test_search_finds_what_a_substring_search_finds(tmp_path: Path) -> None:
    scores = list(measure(archive(), tmp_path / "site"))
    poor = [s for s in scores if s.precision < PRECISION or s.recall < RECALL]
    assert not poor, "\n" + table(poor)


if __name__ == "__main__":
    import tempfile

    with tempfile.TemporaryDirectory() as folder:
        print(table(list(measure(archive(), Path(folder) / "site"))))
