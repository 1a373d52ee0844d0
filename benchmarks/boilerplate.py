"""How ``rule.boilerplate`` scales: 30, 300 and 3,000 rules.

    .venv/bin/python benchmarks/boilerplate.py

Generates rules the way forms write them (a handful of templates, each copied with small
edits, and rules of their own), then times in this one process:

- the baseline: comparing every pair with difflib (the check before the index), at 30
  and 300 rules (3,000 would take the best part of an hour);
- ``similar_rules``: candidate pairs from the prefix-filtered index, then difflib.

Prints seconds, the milliseconds per rule, and the baseline as a multiple of the index.
Both give the same groups (``tests/test_checks.py`` holds them to it).
"""

from __future__ import annotations

import random
import time
from decimal import Decimal
from difflib import SequenceMatcher

from perfeval.check.narrative import similar_rules
from perfeval.model import Indicator
from perfeval.wording import MIN_RULE_LENGTH, rule_key

WORDS = (
    "通过项目实施", "预算执行率", "完成率", "达到", "以上", "得满分", "不得分", "按比例扣分",
    "受益人群", "满意度", "问卷调查", "工作机制", "及时", "合格", "每降低1个百分点", "扣1分",
)  # fmt: skip


SUBJECTS = (
    "道路桥梁路灯绿化垃圾污水养老助餐医疗教育培训图书文化体育安保消防档案信息网络车辆办公采购审计"
)


def rules(count: int, rng: random.Random) -> list[str]:
    """A form's rules: a few templates copied with small edits, and rules of their own that
    share the vocabulary of scoring rules but name their own subject."""
    templates = ["".join(rng.choice(WORDS) for _ in range(12)) for _ in range(max(3, count // 20))]
    made = []
    for _ in range(count):
        if rng.random() < 0.6:  # a template copied, a word or two changed
            text = list(rng.choice(templates))
            for _ in range(rng.randint(0, 3)):
                text[rng.randrange(len(text))] = rng.choice("的和或及与")
            made.append("".join(text))
        else:
            subject = "".join(rng.sample(SUBJECTS, 6))
            made.append(subject + "".join(rng.choice(WORDS) for _ in range(rng.randint(6, 16))))
    return made


def every_pair(texts: list[str], threshold: float) -> int:
    keys = [rule_key(t) for t in texts]
    alike = 0
    for a in range(len(keys)):
        for b in range(a + 1, len(keys)):
            if min(len(keys[a]), len(keys[b])) < MIN_RULE_LENGTH:
                continue
            matcher = SequenceMatcher(None, keys[a], keys[b], autojunk=False)
            if (
                matcher.real_quick_ratio() >= threshold
                and matcher.quick_ratio() >= threshold
                and matcher.ratio() >= threshold
            ):
                alike += 1
    return alike


def main() -> None:
    rng = random.Random(7)
    print(f"{'rules':>6} {'index s':>9} {'ms/rule':>8} {'every pair s':>13} {'ratio':>7}")
    for count in (30, 300, 3000):
        texts = rules(count, rng)
        indicators = [Indicator(f"指标{i}", Decimal(5), None, rule=t) for i, t in enumerate(texts)]
        start = time.perf_counter()
        similar_rules(indicators, 0.9)
        fast = time.perf_counter() - start
        line = f"{count:>6} {fast:>9.3f} {1000 * fast / count:>8.2f}"
        if count <= 300:
            start = time.perf_counter()
            every_pair(texts, 0.9)
            slow = time.perf_counter() - start
            line += f" {slow:>13.3f} {slow / fast:>6.1f}×"
        print(line)


if __name__ == "__main__":
    main()
