"""Two years of plausible records for the demo customers (R11-R13), ending on the day of the
load, so the 30/90/365-day figures always have something to show.

What a sales manager should find in them:
- orders with a seasonal rhythm (quiet around the Spring Festival in February, busy before the
  year's end), paid 20-40 days after the order (华星智能制造, the core account, within the 30
  days its terms give), a few recent ones still open;
- 华星合资 (hx_jv) stopped ordering eight months ago, after a delivery complaint and a poor
  survey, and its frame contract expired: the customer whose orders stopped;
- 华星苏州 has an open HIGH complaint and an overdue, unpaid order;
- visits, calls and WeChat messages with the customer's people, open follow-ups, planned
  visits, quarterly surveys, frame contracts and a trade fair;
- a referral: 华星集团 brought in 陈国栋 as an individual customer (a REFERRED edge).

Generated from a fixed seed, so ids and figures are the same on every load of a given day.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass
from typing import Any

from graph import clock, records
from graph import demo_data as data
from graph.vocab import RecordKind

SEED = 20261201
MONTHS = 24

# key -> (sku, name, category, unit, list price in cents)
PRODUCTS: dict[str, tuple[str, str, str, str, int]] = {
    "cnc5": ("CNC-5X", "五轴数控机床", "机床", "台", 88_000_000),
    "robot": ("RB-6A", "六轴工业机器人", "机器人", "台", 26_000_000),
    "vision": ("VS-200", "视觉检测系统", "检测设备", "套", 12_000_000),
    "spindle": ("SP-01", "主轴备件", "备件", "件", 1_200_050),
    "service": ("SV-Y1", "维保服务年包", "服务", "年", 9_800_000),
    "mes": ("MES-L", "MES 软件许可", "软件", "套", 15_000_000),
}


@dataclass(frozen=True)
class Customer:
    kind: str  # "company" or "person"
    owner: str  # a demo user key
    orders_per_month: float
    mix: tuple[str, ...]  # product keys
    stopped_months_ago: int | None = None
    pays_after: tuple[int, int] = (20, 40)  # days from order to payment (due after 30)


CUSTOMERS: dict[str, Customer] = {
    "huaxing": Customer("company", "chen_jing", 0.5, ("service", "mes")),
    # The core account: the biggest buyer, and it pays on time.
    "hx_smart": Customer("company", "zhang_wei", 1.0, ("cnc5", "spindle", "robot"), None, (15, 30)),
    "hx_tech": Customer("company", "liu_yang", 0.6, ("vision", "mes")),
    "hx_suzhou": Customer("company", "zhang_wei", 0.9, ("spindle", "robot", "service")),
    "hx_cloud": Customer("company", "liu_yang", 0.4, ("mes", "service")),
    "hx_jv": Customer("company", "wang_fang", 0.8, ("robot", "spindle"), stopped_months_ago=8),
    "chen_guodong": Customer("person", "wang_fang", 0.15, ("service",)),
}
# Orders per month relative to the mean: Spring Festival lull, year-end rush.
SEASON = {
    1: 0.8,
    2: 0.4,
    3: 1.0,
    4: 1.0,
    5: 1.0,
    6: 1.1,
    7: 0.9,
    8: 0.9,
    9: 1.1,
    10: 1.0,
    11: 1.3,
    12: 1.5,
}
SUBJECTS = {
    "CALL": ("电话回访设备运行情况", "确认交货时间", "催收货款", "沟通技术参数"),
    "VISIT": ("季度拜访", "现场查看产线", "拜访采购部", "年度合作回顾"),
    "WECHAT": ("微信确认报价", "发送产品资料", "跟进订单进度"),
    "EMAIL": ("发送正式报价单", "合同条款确认", "发票寄送通知"),
    "MEETING": ("技术方案评审会", "年度商务谈判", "项目启动会"),
}
AGREEMENTS = ("下周提交报价", "月底前安排工程师上门", "同意试用新型号", "按季度结算", None)
# (customer, days ago, severity, status, subject, resolution, hours to resolve)
COMPLAINTS: list[tuple[str, int, str, str, str, str | None, float | None]] = [
    ("hx_jv", 290, "HIGH", "RESOLVED", "两批机器人交货延期三周", "补偿一次免费维保", 360.0),
    ("hx_suzhou", 150, "MEDIUM", "CLOSED", "主轴备件批次噪音偏大", "更换整批备件", 72.0),
    ("hx_suzhou", 12, "HIGH", "IN_PROGRESS", "新装机器人频繁报警停机", None, None),
    ("hx_smart", 60, "LOW", "RESOLVED", "操作培训资料缺少中文版", "补发中文手册", 24.0),
]


def _id(kind: str, key: str) -> str:
    return data.demo_id(kind, key)


def _at(today: dt.date, days_ago: float, hour: int = 10) -> dt.datetime:
    """`hour` o'clock on a day before `today`, in the business time zone: office hours in
    Shanghai, not UTC afternoons that show as 22:00 there."""
    day = today - dt.timedelta(days=int(days_ago))
    return clock.fixed(dt.datetime(day.year, day.month, day.day, hour, 0, tzinfo=clock.ZONE))


def _contacts(customer: str) -> list[str]:
    current = [who for who, where, *_, until in data.WORKS_AT if where == customer and not until]
    return current[:4]


def product_rows() -> list[dict[str, Any]]:
    return [
        {
            "id": _id("product", key),
            "props": {
                "sku": sku,
                "name": name,
                "category": category,
                "unit": unit,
                "listPriceCents": price,
                "currency": "CNY",
            },
        }
        for key, (sku, name, category, unit, price) in PRODUCTS.items()
    ]


class _Rows:
    """Records per kind, as graph.records.LOAD reads them."""

    def __init__(self) -> None:
        self.by_kind: dict[RecordKind, list[dict[str, Any]]] = {kind: [] for kind in RecordKind}

    def add(
        self,
        kind: RecordKind,
        key: str,
        customer: str,
        props: dict[str, Any],
        **links: Any,
    ) -> str:
        c = CUSTOMERS[customer]
        record_id = _id("record", f"{kind.name}:{key}")
        row = {
            "id": record_id,
            "account": _id(c.kind, customer),
            "props": {k: v for k, v in props.items() if v is not None},
            "digest": None,
            "contacts": [_id("person", p) for p in links.get("contacts", [])],
            "staff": [_id("user", c.owner)],
            "projectIds": [],
            "lines": links.get("lines", []),
            "orders": links.get("orders", []),
            "followUps": links.get("followUps", []),
        }
        self.by_kind[kind].append({**row, "digest": records.row_digest(row)})
        return record_id


def record_rows(today: dt.date) -> dict[RecordKind, list[dict[str, Any]]]:
    rnd = random.Random(SEED)
    rows = _Rows()
    for key, c in CUSTOMERS.items():
        _orders(rows, rnd, today, key, c)
        _interactions(rows, rnd, today, key, c)
        _surveys(rows, rnd, today, key, c)
    for i, (customer, days, severity, status, subject, resolution, hours) in enumerate(COMPLAINTS):
        opened = _at(today, days, 9)
        rows.add(
            RecordKind.SERVICE_CASE,
            f"complaint:{i}",
            customer,
            {
                "occurredAt": opened,
                "subject": subject,
                "category": "COMPLAINT",
                "severity": severity,
                "status": status,
                "resolution": resolution,
                "resolvedAt": opened + dt.timedelta(hours=hours) if hours else None,
                "resolutionHours": hours,
            },
            contacts=_contacts(customer)[:1],
        )
    _plans_contracts_marketing(rows, today)
    return {kind: r for kind, r in rows.by_kind.items() if r}


def _orders(rows: _Rows, rnd: random.Random, today: dt.date, key: str, c: Customer) -> None:
    n = 0
    for month_back in range(MONTHS, 0, -1):
        if c.stopped_months_ago is not None and month_back <= c.stopped_months_ago:
            break
        start = month_back * 30
        month = (today - dt.timedelta(days=start)).month
        expected = c.orders_per_month * SEASON[month]
        count = int(expected) + (1 if rnd.random() < expected - int(expected) else 0)
        for _ in range(count):
            days_ago = start - rnd.randint(0, 29)
            if days_ago < 1:
                continue
            n += 1
            ordered = _at(today, days_ago, 9 + rnd.randint(0, 7))
            lines, total, units = [], 0, 0.0
            for position, product in enumerate(rnd.sample(c.mix, k=min(2, len(c.mix))), 1):
                price = round(PRODUCTS[product][4] * rnd.uniform(0.9, 1.0))
                qty = rnd.randint(5, 40) if product == "spindle" else rnd.randint(1, 4)
                lines.append(
                    {
                        "product": _id("product", product),
                        "props": {
                            "position": position,
                            "quantity": float(qty),
                            "unitPriceCents": price,
                            "amountCents": price * qty,
                        },
                    }
                )
                total += price * qty
                units += qty
            order_key = f"{key}:{n}"
            order_id = rows.add(
                RecordKind.ORDER,
                order_key,
                key,
                {
                    "occurredAt": ordered,
                    "orderNo": f"SO-{ordered:%Y%m}-{key[:6].upper()}{n:03d}",
                    "currency": "CNY",
                    "amountCents": total,
                    "quantity": units,
                    "paymentDueOn": ordered.date() + dt.timedelta(days=30),
                },
                lines=lines,
            )
            if days_ago > 14:
                rows.add(
                    RecordKind.DELIVERY,
                    order_key,
                    key,
                    {
                        "occurredAt": _at(today, days_ago - rnd.randint(7, 14)),
                        "trackingNo": f"SF{rnd.randint(10**9, 10**10 - 1)}",
                        "complete": True,
                    },
                    orders=[order_id],
                )
            # Paid 20-40 days later, except what is recent, and one overdue order at 苏州.
            overdue = key == "hx_suzhou" and 60 <= days_ago <= 90
            if (days_ago > 45 and not overdue) or (days_ago > 10 and rnd.random() < 0.3):
                paid = max(1, days_ago - rnd.randint(*c.pays_after))
                rows.add(
                    RecordKind.PAYMENT,
                    order_key,
                    key,
                    {
                        "occurredAt": _at(today, paid, 15),
                        "amountCents": total,
                        "currency": "CNY",
                        "method": "银行转账",
                    },
                    orders=[order_id],
                )


def _interactions(rows: _Rows, rnd: random.Random, today: dt.date, key: str, c: Customer) -> None:
    contacts = _contacts(key) if c.kind == "company" else []
    quiet = (c.stopped_months_ago or 0) - 2  # contact fades after the orders stop
    for month_back in range(MONTHS, 0, -1):
        if quiet > 0 and month_back <= quiet:
            break
        for n in range(rnd.randint(1, 3) if c.orders_per_month >= 0.4 else rnd.randint(0, 1)):
            channel = rnd.choice(tuple(SUBJECTS))
            days_ago = month_back * 30 - rnd.randint(0, 29)
            if days_ago < 1:
                continue
            rows.add(
                RecordKind.INTERACTION,
                f"{key}:{month_back}:{n}",
                key,
                {
                    "occurredAt": _at(today, days_ago, 9 + rnd.randint(0, 8)),
                    "subject": rnd.choice(SUBJECTS[channel]),
                    "channel": channel,
                    "direction": rnd.choice(("OUTBOUND", "OUTBOUND", "INBOUND")),
                    "durationMinutes": rnd.choice((5, 15, 30, 60, 120)),
                    "agreement": rnd.choice(AGREEMENTS),
                },
                contacts=rnd.sample(contacts, k=min(len(contacts), rnd.randint(1, 2))),
            )
    # This week's contact with an agreed next step, still open (苏州's is overdue).
    if c.stopped_months_ago is None and c.kind == "company":
        due = 5 if key != "hx_suzhou" else -3
        ref = f"{key}:recent"
        rows.add(
            RecordKind.INTERACTION,
            ref,
            key,
            {
                "occurredAt": _at(today, 6, 14),
                "subject": "跟进报价与交付计划",
                "channel": "VISIT",
                "direction": "OUTBOUND",
                "durationMinutes": 90,
                "agreement": "客户确认需求，待正式报价",
            },
            contacts=contacts[:2],
            followUps=[
                {
                    "id": _id("followup", ref),
                    "props": {"action": "发送正式报价单", "dueAt": _at(today, -due, 18)},
                    "assignee": _id("user", c.owner),
                }
            ],
        )


def _surveys(rows: _Rows, rnd: random.Random, today: dt.date, key: str, c: Customer) -> None:
    if c.kind != "company":
        return
    for quarter in range(MONTHS // 3):
        days_ago = quarter * 90 + 20
        if c.stopped_months_ago and days_ago < c.stopped_months_ago * 30:
            continue
        score = 2 if key == "hx_jv" and quarter == 3 else rnd.choice((3, 4, 4, 5, 5))
        rows.add(
            RecordKind.SURVEY,
            f"{key}:{quarter}",
            key,
            {"occurredAt": _at(today, days_ago), "score": score, "subject": "季度满意度调查"},
        )


def _plans_contracts_marketing(rows: _Rows, today: dt.date) -> None:
    for key, days_ahead, purpose in (
        ("hx_smart", 5, "二期产线设备选型交流"),
        ("huaxing", 12, "年度战略合作回顾"),
        ("hx_suzhou", 2, "投诉处理现场复核"),
    ):
        rows.add(
            RecordKind.VISIT_PLAN,
            key,
            key,
            {
                "occurredAt": _at(today, -days_ahead),
                "purpose": purpose,
                "status": "PLANNED",
                "subject": purpose,
            },
            contacts=_contacts(key)[:1],
        )
    for key, start_days_ago, amount, status in (
        ("huaxing", 200, 120_000_000, "ACTIVE"),
        ("hx_smart", 330, 300_000_000, "ACTIVE"),
        ("hx_jv", 560, 80_000_000, "EXPIRED"),
    ):
        starts = today - dt.timedelta(days=start_days_ago)
        rows.add(
            RecordKind.CONTRACT,
            key,
            key,
            {
                "occurredAt": _at(today, start_days_ago + 10),
                "title": "年度设备采购框架协议",
                "contractNo": f"HT-{starts:%Y}-{key.upper()}",
                "startsOn": starts,
                "endsOn": starts + dt.timedelta(days=364),
                "amountCents": amount,
                "currency": "CNY",
                "status": status,
            },
        )
    for key in ("hx_tech", "hx_cloud"):
        rows.add(
            RecordKind.MARKETING,
            f"{key}:fair",
            key,
            {
                "occurredAt": _at(today, 95),
                "campaign": "中国国际工业博览会 2026",
                "channel": "展会",
                "response": "到展台参观并索取资料",
            },
            contacts=_contacts(key)[:1],
        )


# (from kind, from key, to kind, to key, note, since)
REFERRALS: list[tuple[str, str, str, str, str, dt.date]] = [
    (
        "company",
        "huaxing",
        "person",
        "chen_guodong",
        "集团总裁办推荐的个人客户",
        dt.date(2025, 3, 1),
    ),
]
