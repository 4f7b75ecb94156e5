"""Writes companies.csv next to this file: 1,000 generated Chinese companies, as an ERP might
export them, with six rows a careful import must reject. Deterministic (seeded).

    uv run python docs/examples/make_companies.py
"""

from __future__ import annotations

import csv
import random
from pathlib import Path

from stdnum.cn import uscc

CITIES = ("北京", "上海", "深圳", "杭州", "苏州", "成都", "武汉", "西安", "南京", "广州")
WORDS = (
    "华星",
    "恒通",
    "瑞丰",
    "金桥",
    "新源",
    "博远",
    "鼎盛",
    "天合",
    "中科",
    "海纳",
    "启明",
    "长城",
    "宏达",
    "卓越",
    "东方",
    "永信",
    "智联",
    "安泰",
    "联创",
    "盛世",
)
TRADES = (
    ("科技", "软件和信息技术服务业"),
    ("电子", "计算机、通信和其他电子设备制造业"),
    ("机械", "通用设备制造业"),
    ("物流", "道路运输业"),
    ("医药", "医药制造业"),
    ("建材", "非金属矿物制品业"),
    ("贸易", "批发业"),
    ("能源", "电力、热力生产和供应业"),
)
FORMS = ("有限公司", "股份有限公司", "集团有限公司")
AREA = {
    "北京": "10",
    "上海": "21",
    "深圳": "755",
    "杭州": "571",
    "苏州": "512",
    "成都": "28",
    "武汉": "27",
    "西安": "29",
    "南京": "25",
    "广州": "20",
}
HEADER = (
    "编号",
    "公司名称",
    "统一社会信用代码",
    "电话",
    "行业",
    "成立日期",
    "注册资本",
    "客户等级",
)


def credit_code(rng: random.Random) -> str:
    body = (
        "91"
        + f"{rng.randrange(110000, 659999):06d}"
        + "".join(rng.choice("0123456789ABCDEFGHJKLMNPQRTUWXY") for _ in range(9))
    )
    return body + uscc.calc_check_digit(body)


def rows(n: int = 1000, seed: int = 15) -> list[tuple[str, ...]]:
    rng = random.Random(seed)
    out = []
    for i in range(1, n + 1):
        city = rng.choice(CITIES)
        trade, industry = rng.choice(TRADES)
        name = f"{city}{rng.choice(WORDS)}{rng.choice(WORDS)}{trade}{rng.choice(FORMS)}"
        area = AREA[city]
        phone = f"0{area}-{rng.randrange(5, 9)}{rng.randrange(0, 10**7):07d}"
        founded = (
            f"{rng.randrange(1985, 2023)}-{rng.randrange(1, 13):02d}-{rng.randrange(1, 29):02d}"
        )
        capital = str(rng.randrange(50, 50000) * 10000)
        tier = rng.choice(("CORE", "GENERAL", "GENERAL", "PROBLEM", ""))
        out.append(
            (f"ERP-{i:05d}", name, credit_code(rng), phone, industry, founded, capital, tier)
        )
    # Rows a careful import must reject, each for one reason.
    bad = {
        37: (1, ""),  # no name
        148: (2, "91110000ABCDEFGHIJ"),  # check character wrong
        305: (3, "12345"),  # not a phone number
        512: (5, "2021-02-30"),  # no such date
        733: (6, "-5000"),  # negative capital
        901: (7, "VIP"),  # not a tier
    }
    for line, (col, value) in bad.items():
        row = list(out[line - 1])
        row[col] = value
        out[line - 1] = tuple(row)
    return out


if __name__ == "__main__":
    target = Path(__file__).with_name("companies.csv")
    with open(target, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(HEADER)
        w.writerows(rows())
    print(f"wrote {target}")
