"""Deterministic synthetic data for the benchmarks, in exactly the shape of docs/MODEL.md.

`generate(scale, seed)` returns a `Dataset`: node rows per label and relationship rows per
type. The same scale and seed always give the same rows (ids included: UUIDs are drawn from
the seeded generator), so every benchmark variant and every run sees identical data.

Shapes, chosen to look like a real B2B customer base:
- group hierarchies up to 5 levels deep (`SUBSIDIARY_OF` always points to an older company,
  so it stays acyclic), about 2% of subsidiaries with a second parent (a joint venture);
- supply, distribution, partner, investment, purchase-influence and incumbent edges whose
  targets follow a power law: a few hubs, a long tail;
- org charts of 5 to 500 people per company, with a few companies of 200 to 500 people,
  `REPORTS_TO` trees (plus some dotted lines) and titles by level;
- job changes: about 10% of people have an ended `WORKS_AT` (since/until) at a previous
  employer and a current one starting where the old one ended;
- `INFLUENCES` inside companies and across them, some scoped to a project; `RELATED_TO` ties;
- projects with 3 to 15 participants, each with a decision role and a stance;
- our staff (`:User`) who own customers, sit on project teams and `KNOWS` people;
- Chinese and English names for companies and people.
"""

from __future__ import annotations

import argparse
import random
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from graph.records import row_digest
from graph.vocab import (
    CustomerKind,
    DecisionRole,
    Gender,
    Label,
    LifecycleStage,
    PersonalTie,
    Polarity,
    ProjectStage,
    ProjectStatus,
    RecordKind,
    Rel,
    Stance,
    SubsidiaryKind,
    Tier,
)

Row = dict[str, Any]


@dataclass(frozen=True)
class Scale:
    name: str
    companies: int
    people: int
    projects: int

    @property
    def users(self) -> int:
        return max(10, self.companies // 50)


SCALES: dict[str, Scale] = {
    # Tiny: for tests and smoke runs.
    "XS": Scale("XS", 120, 2_000, 60),
    "S": Scale("S", 2_000, 20_000, 2_000),
    "M": Scale("M", 20_000, 200_000, 20_000),
    "L": Scale("L", 100_000, 1_000_000, 100_000),
}


def arguments(
    description: str, scale: str = "S", heap: str | None = "2g"
) -> argparse.ArgumentParser:
    """A benchmark's command line with the options every one takes: the generated data's
    scale and seed, and the heap of the scratch Neo4j it starts (`heap=None`: it starts none).
    """
    p = argparse.ArgumentParser(description=description)
    p.add_argument("--scale", default=scale, choices=sorted(SCALES))
    p.add_argument("--seed", type=int, default=42, help="the data generator's seed")
    if heap is not None:
        p.add_argument("--heap", default=heap, help="the scratch Neo4j's heap")
    return p


# A fixed clock so that createdAt/updatedAt (and every date) are part of the deterministic data.
NOW = datetime(2026, 1, 1, tzinfo=UTC)
TODAY = NOW.date()
MAX_GROUP_DEPTH = 4  # edges from the root, i.e. 5 levels
LARGE_COMPANY = (200, 500)


@dataclass
class Dataset:
    scale: Scale
    seed: int
    # label -> rows; every row has "id" and "props" (and "customer": bool for Company/Person)
    nodes: dict[Label, list[Row]] = field(default_factory=dict)
    # relationship type -> rows with "id", "src", "dst", "props" (+ "toLabel" for FOR/OWNS)
    rels: dict[Rel, list[Row]] = field(default_factory=dict)
    # handy ids for choosing workload centres
    large_companies: list[str] = field(default_factory=list)
    group_roots: list[str] = field(default_factory=list)
    # records over time (graph/records.py LOAD rows) and the product catalogue they point at
    products: list[Row] = field(default_factory=list)
    records: dict[RecordKind, list[Row]] = field(default_factory=dict)

    def record_count(self) -> int:
        return sum(len(v) for v in self.records.values())

    def node_count(self) -> int:
        return sum(len(v) for v in self.nodes.values())

    def edge_count(self) -> int:
        return sum(len(v) for v in self.rels.values())

    def counts(self) -> dict[str, int]:
        out = {label.value: len(rows) for label, rows in self.nodes.items()}
        out.update({rel.value: len(rows) for rel, rows in self.rels.items()})
        return out


# --- names ------------------------------------------------------------------------------------

SURNAMES = [
    ("王", "Wang"),
    ("李", "Li"),
    ("张", "Zhang"),
    ("刘", "Liu"),
    ("陈", "Chen"),
    ("杨", "Yang"),
    ("黄", "Huang"),
    ("赵", "Zhao"),
    ("吴", "Wu"),
    ("周", "Zhou"),
    ("徐", "Xu"),
    ("孙", "Sun"),
    ("马", "Ma"),
    ("朱", "Zhu"),
    ("胡", "Hu"),
    ("郭", "Guo"),
    ("何", "He"),
    ("高", "Gao"),
    ("林", "Lin"),
    ("罗", "Luo"),
    ("郑", "Zheng"),
    ("梁", "Liang"),
    ("谢", "Xie"),
    ("宋", "Song"),
]
GIVEN = [
    ("伟", "Wei"),
    ("芳", "Fang"),
    ("娜", "Na"),
    ("敏", "Min"),
    ("静", "Jing"),
    ("丽", "Li"),
    ("强", "Qiang"),
    ("磊", "Lei"),
    ("军", "Jun"),
    ("洋", "Yang"),
    ("勇", "Yong"),
    ("艳", "Yan"),
    ("杰", "Jie"),
    ("娟", "Juan"),
    ("涛", "Tao"),
    ("明", "Ming"),
    ("超", "Chao"),
    ("秀英", "Xiuying"),
    ("霞", "Xia"),
    ("平", "Ping"),
    ("刚", "Gang"),
    ("桂英", "Guiying"),
    ("建华", "Jianhua"),
    ("晓东", "Xiaodong"),
    ("海燕", "Haiyan"),
    ("志强", "Zhiqiang"),
]
EN_FIRST = [
    "James",
    "Mary",
    "John",
    "Linda",
    "Robert",
    "Susan",
    "Michael",
    "Karen",
    "David",
    "Emma",
    "Daniel",
    "Sophie",
    "Thomas",
    "Anna",
    "Peter",
    "Laura",
]
EN_LAST = [
    "Smith",
    "Brown",
    "Miller",
    "Davis",
    "Wilson",
    "Taylor",
    "Clark",
    "Lewis",
    "Walker",
    "Hall",
    "Young",
    "King",
    "Wright",
    "Green",
    "Baker",
    "Adams",
]
CITIES = [
    ("北京", "Beijing", "110101"),
    ("上海", "Shanghai", "310101"),
    ("深圳", "Shenzhen", "440305"),
    ("广州", "Guangzhou", "440103"),
    ("杭州", "Hangzhou", "330102"),
    ("成都", "Chengdu", "510104"),
    ("武汉", "Wuhan", "420102"),
    ("南京", "Nanjing", "320102"),
    ("苏州", "Suzhou", "320505"),
    ("西安", "Xi'an", "610102"),
]
WORDS = [
    ("华", "Hua"),
    ("瑞", "Rui"),
    ("泰", "Tai"),
    ("恒", "Heng"),
    ("信", "Xin"),
    ("达", "Da"),
    ("通", "Tong"),
    ("新", "Xin"),
    ("远", "Yuan"),
    ("博", "Bo"),
    ("安", "An"),
    ("天", "Tian"),
    ("科", "Ke"),
    ("诚", "Cheng"),
    ("宏", "Hong"),
    ("盛", "Sheng"),
    ("鼎", "Ding"),
    ("海", "Hai"),
]
INDUSTRIES = [
    ("科技", "Technology", "I65"),
    ("制造", "Manufacturing", "C35"),
    ("能源", "Energy", "D44"),
    ("建设", "Construction", "E48"),
    ("物流", "Logistics", "G58"),
    ("医药", "Pharmaceuticals", "C27"),
    ("设计研究院", "Design Institute", "M74"),
    ("电子", "Electronics", "C39"),
    ("化工", "Chemicals", "C26"),
    ("金融", "Finance", "J66"),
]
EN_COMPANY = [
    "Acme",
    "Globex",
    "Initech",
    "Umbrella",
    "Stark",
    "Wayne",
    "Vertex",
    "Nimbus",
    "Orion",
    "Zenith",
    "Apex",
    "Summit",
    "Helix",
    "Quantum",
    "Polaris",
]
DEPARTMENTS = [
    ("总经办", "Executive Office"),
    ("采购部", "Procurement"),
    ("技术部", "Engineering"),
    ("财务部", "Finance"),
    ("销售部", "Sales"),
    ("信息中心", "IT"),
    ("生产部", "Operations"),
    ("法务部", "Legal"),
]
TITLES = ["总经理", "副总经理", "总监", "经理", "主管", "工程师"]
EDUCATION = ["本科", "硕士", "博士", "大专"]
HOBBIES = ["高尔夫", "钓鱼", "羽毛球", "茶", "摄影", "登山", "阅读"]
SIZE_BANDS = ["MICRO", "SMALL", "MEDIUM", "LARGE"]
PRODUCTS = ["服务器", "存储", "网络设备", "ERP软件", "传感器", "电机", "阀门", "涂料"]
REGIONS = ["华北", "华东", "华南", "西南", "华中", "西北", "东北"]
# County codes that stdnum knows as assigned for every birth year 1960-2000.
RIC_AREAS = ["110101", "110102", "110105", "310101", "310104", "120101", "120103"]
USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"


class _Gen:
    def __init__(self, scale: Scale, seed: int) -> None:
        self.scale = scale
        self.rng = random.Random(f"crm-bench:{scale.name}:{seed}")
        self.ds = Dataset(scale, seed)
        for label in Label:
            self.ds.nodes[label] = []
        for rel in Rel:
            self.ds.rels[rel] = []

    # --- primitives --------------------------------------------------------------------------
    def uid(self) -> str:
        return str(uuid.UUID(int=self.rng.getrandbits(128), version=4))

    def day(self, start_year: int = 2005, end: date = TODAY) -> date:
        start = date(start_year, 1, 1)
        return start + timedelta(days=self.rng.randrange((end - start).days))

    def stamp(self) -> datetime:
        return NOW - timedelta(seconds=self.rng.randrange(3 * 365 * 86400))

    def base(self) -> Row:
        created = self.stamp()
        return {"version": 1, "createdAt": created, "updatedAt": created}

    def powerlaw(self, n: int, alpha: float = 3.0) -> int:
        """An index in [0, n) heavily biased towards 0: a few hubs, a long tail."""
        return min(n - 1, int(n * self.rng.random() ** alpha))

    def rel(self, rel: Rel, a: str, b: str, props: Row | None = None, **extra: Any) -> Row:
        created = self.stamp()
        p: Row = {"version": 1, "createdAt": created, "updatedAt": created}
        if props:
            p.update(props)
        row: Row = {"id": self.uid(), "src": a, "dst": b, "props": p, **extra}
        self.ds.rels[rel].append(row)
        return row

    def uscc(self) -> str:
        r = self.rng
        city = r.choice(CITIES)[2]
        body = "91" + city[:6] + "".join(r.choice(USCC_ALPHABET[:10]) for _ in range(9))
        # the 9-character organisation code carries its own check character
        from stdnum.cn import uscc

        org = body[8:16]
        weights = (3, 7, 9, 10, 5, 8, 4, 2)
        check = 11 - sum(int(c) * w for c, w in zip(org, weights, strict=True)) % 11
        org_check = {10: "X", 11: "0"}.get(check, str(check))
        body = body[:16] + org_check
        return body + uscc.calc_check_digit(body)

    def ric(self, birth: date, female: bool) -> str:
        from stdnum.cn import ric

        area = self.rng.choice(RIC_AREAS)
        seq = self.rng.randrange(0, 100) * 10 + self.rng.randrange(0, 5) * 2 + (0 if female else 1)
        body = f"{area}{birth:%Y%m%d}{seq:03d}"
        return body + ric.calc_check_digit(body + "0")  # it skips the last character

    # --- nodes -------------------------------------------------------------------------------
    def company(self, i: int) -> Row:
        r = self.rng
        city, city_en, _ = r.choice(CITIES)
        ind, ind_en, _ = r.choice(INDUSTRIES)
        if r.random() < 0.8:
            w = r.sample(WORDS, 2)
            short = w[0][0] + w[1][0]
            name = f"{city}{short}{ind}有限公司"
            name_en = f"{city_en} {w[0][1]}{w[1][1].lower()} {ind_en} Co., Ltd."
        else:
            short = f"{r.choice(EN_COMPANY)} {i}"
            name = f"{short} {ind_en} Ltd."
            name_en = name
        props = {
            **self.base(),
            "name": name,
            "nameEn": name_en,
            "shortName": short,
            "unifiedSocialCreditCode": self.uscc(),
            "industry": ind_en,
            "scale": r.choice(SIZE_BANDS),
            "companyType": r.choice(["LIMITED", "JOINT_STOCK", "STATE_OWNED", "PRIVATE"]),
            "foundedOn": self.day(1985, date(2022, 1, 1)),
            "registeredCapital": float(r.randrange(100, 500_000)),
            "address": f"{city}市{r.choice(WORDS)[0]}路{r.randrange(1, 999)}号",
            "phone": f"+8610{r.randrange(10_000_000, 99_999_999)}",
            "website": f"https://www.example-{i}.cn",
        }
        return {"id": self.uid(), "customer": False, "props": props}

    def person_name(self) -> tuple[str, str | None]:
        r = self.rng
        if r.random() < 0.88:
            s, s_en = r.choice(SURNAMES)
            g, g_en = r.choice(GIVEN)
            return s + g, f"{g_en} {s_en}"
        name = f"{r.choice(EN_FIRST)} {r.choice(EN_LAST)}"
        return name, name

    def person(self) -> Row:
        r = self.rng
        name, name_en = self.person_name()
        female = r.random() < 0.45
        birth = self.day(1960, date(2000, 1, 1))
        props = {
            **self.base(),
            "name": name,
            "nameEn": name_en,
            "gender": (Gender.FEMALE if female else Gender.MALE).value,
            "birthDate": birth,
            "nationality": "CN",
            "idType": "RESIDENT_ID",
            "idNumber": self.ric(birth, female),
            "mobile": f"+861{r.choice('3589')}{r.randrange(100_000_000, 999_999_999)}",
            "email": f"p{r.getrandbits(40):x}@example.cn",
            "education": r.choice(EDUCATION),
            "hasPurchasingPower": r.random() < 0.2,
            "hobbies": r.sample(HOBBIES, r.randrange(0, 3)),
        }
        return {"id": self.uid(), "customer": False, "props": props}

    def make_customer(self, row: Row, kind: CustomerKind, n: int) -> None:
        r = self.rng
        row["customer"] = True
        row["props"].update(
            {
                "customerCode": f"C{n:08d}",
                "customerKind": kind.value,
                "lifecycleStage": r.choice(list(LifecycleStage)).value,
                "classification": r.choice(["A", "B", "C"]),
                "tier": r.choices(list(Tier), weights=(2, 7, 1))[0].value,
            }
        )

    # --- the whole graph ---------------------------------------------------------------------
    def run(self) -> Dataset:
        s, r, ds = self.scale, self.rng, self.ds
        companies = [self.company(i) for i in range(s.companies)]
        ds.nodes[Label.COMPANY] = companies
        cids = [c["id"] for c in companies]

        # Group hierarchies: older companies are parents, so SUBSIDIARY_OF stays acyclic.
        level = [0] * s.companies
        attachable: list[int] = []
        for i in range(s.companies):
            if attachable and r.random() < 0.55:
                first = attachable[self.powerlaw(len(attachable), 1.5)]
                parents = [first]
                if r.random() < 0.03:
                    q = r.choice(attachable)
                    if q != first:
                        parents.append(q)
                level[i] = max(level[x] for x in parents) + 1
                for parent in parents:
                    kind = (
                        SubsidiaryKind.JOINT_VENTURE
                        if len(parents) > 1
                        else r.choices(
                            [
                                SubsidiaryKind.SUBSIDIARY,
                                SubsidiaryKind.BRANCH,
                                SubsidiaryKind.DIVISION,
                            ],
                            weights=(6, 3, 1),
                        )[0]
                    )
                    ownership = 0.5 if len(parents) > 1 else 1.0
                    if kind is SubsidiaryKind.SUBSIDIARY:
                        ownership = round(r.uniform(0.51, 1.0), 2)
                    self.rel(
                        Rel.SUBSIDIARY_OF,
                        cids[i],
                        cids[parent],
                        {"kind": kind.value, "ownership": ownership, "since": self.day(2000)},
                    )
            else:
                ds.group_roots.append(cids[i])
            if level[i] < MAX_GROUP_DEPTH:
                attachable.append(i)

        # Industry chains: power-law targets over a shuffled order, so hubs are not the roots.
        hubs = list(range(s.companies))
        r.shuffle(hubs)
        chain: list[tuple[Rel, float]] = [
            (Rel.SUPPLIES, 1.5),
            (Rel.DISTRIBUTES_FOR, 0.5),
            (Rel.PARTNERS_WITH, 0.3),
            (Rel.INVESTS_IN, 0.15),
            (Rel.INFLUENCES_PURCHASE, 0.2),
            (Rel.INCUMBENT_AT, 0.3),
        ]
        for rel, per_company in chain:
            for _ in range(int(per_company * s.companies)):
                src = r.randrange(s.companies)
                dst = hubs[self.powerlaw(s.companies)]
                if src == dst:
                    continue
                props: Row = {"since": self.day(2010)}
                if rel is Rel.SUPPLIES:
                    props["products"] = r.sample(PRODUCTS, 2)
                elif rel is Rel.DISTRIBUTES_FOR:
                    props["region"] = r.choice(REGIONS)
                elif rel is Rel.PARTNERS_WITH:
                    props["note"] = "战略合作"
                elif rel is Rel.INVESTS_IN:
                    props["ownership"] = round(r.uniform(0.01, 0.49), 2)
                elif rel is Rel.INFLUENCES_PURCHASE:
                    props["strength"] = round(r.uniform(0.2, 1.0), 2)
                    props["note"] = "设计院/集采中心"
                else:
                    props["products"] = r.sample(PRODUCTS, 1)
                    props["satisfaction"] = round(r.random(), 2)
                    props["repName"] = self.person_name()[0]
                self.rel(rel, cids[src], cids[dst], props)

        # Customers: about 30% of companies.
        n_customer = 0
        for c in companies:
            if r.random() < 0.3:
                n_customer += 1
                self.make_customer(c, CustomerKind.ENTERPRISE, n_customer)
        customer_idx = [i for i, c in enumerate(companies) if c["customer"]]

        # Org charts. A few large companies (200-500 people) so W3 has real centres; the
        # rest share what is left, heavy-tailed, at least 5 each.
        n_large = max(3, s.companies // 200)
        sizes = [0] * s.companies
        large = r.sample(range(s.companies), n_large)
        for i in large:
            sizes[i] = r.randint(*LARGE_COMPANY)
        ds.large_companies = [cids[i] for i in large]
        budget = max(0, int(s.people * 0.97) - sum(sizes))  # ~3% are individuals
        rest = [i for i in range(s.companies) if sizes[i] == 0]
        extra = [min(145.0, r.paretovariate(1.3) - 1.0) for _ in rest]
        spare = max(0, budget - 5 * len(rest))
        total_extra = sum(extra) or 1.0
        for i, e in zip(rest, extra, strict=True):
            sizes[i] = 5 + int(e * spare / total_extra)

        people: list[Row] = []
        staff: list[list[str]] = []  # company index -> person ids (current employees)
        employer: dict[str, int] = {}
        for ci in range(s.companies):
            ids: list[str] = []
            depth: list[int] = []
            for k in range(sizes[ci]):
                p = self.person()
                people.append(p)
                pid = p["id"]
                ids.append(pid)
                employer[pid] = ci
                if k == 0:
                    depth.append(0)
                else:
                    boss = self.powerlaw(k, 2.0)
                    depth.append(min(depth[boss] + 1, len(TITLES) - 1))
                    self.rel(
                        Rel.REPORTS_TO,
                        pid,
                        ids[boss],
                        {"kind": "SOLID", "since": self.day(2015)},
                    )
                    if k > 3 and r.random() < 0.03:
                        other = r.randrange(k)
                        if other != boss:
                            self.rel(Rel.REPORTS_TO, pid, ids[other], {"kind": "DOTTED"})
                dept = DEPARTMENTS[0] if depth[k] == 0 else r.choice(DEPARTMENTS[1:])
                start = self.day(2008)
                if r.random() < 0.1 and s.companies > 1:
                    prev = r.randrange(s.companies)
                    if prev != ci:
                        self.rel(
                            Rel.WORKS_AT,
                            pid,
                            cids[prev],
                            {
                                "title": r.choice(TITLES[2:]),
                                "department": r.choice(DEPARTMENTS)[0],
                                "since": start - timedelta(days=r.randrange(365, 3650)),
                                "until": start,
                            },
                        )
                self.rel(
                    Rel.WORKS_AT,
                    pid,
                    cids[ci],
                    {"title": TITLES[depth[k]], "department": dept[0], "since": start},
                )
            staff.append(ids)
        # Individuals: people with no employer, some of them individual customers.
        while len(people) < s.people:
            p = self.person()
            if r.random() < 0.3:
                n_customer += 1
                self.make_customer(p, CustomerKind.INDIVIDUAL, n_customer)
            people.append(p)
        ds.nodes[Label.PERSON] = people
        pids = [p["id"] for p in people]
        employed = [pid for pid in pids if pid in employer]

        # Influence: inside companies and across them; some scoped to a project (set below).
        def influence(a: str, b: str, project: str | None = None) -> None:
            props: Row = {
                "strength": round(r.uniform(0.1, 1.0), 2),
                "polarity": r.choices(list(Polarity), weights=(4, 1))[0].value,
                "basis": r.choice(["上下级", "老乡", "校友", "技术权威", "前同事"]),
            }
            if project:
                props["projectId"] = project
            self.rel(Rel.INFLUENCES, a, b, props)

        for ids in staff:
            for _ in range(int(len(ids) * 0.3)):
                a, b = r.sample(ids, 2)
                influence(a, b)
        for _ in range(int(len(employed) * 0.05)):
            a, b = r.choice(employed), r.choice(employed)
            if employer[a] != employer[b]:
                influence(a, b)
        ties = list(PersonalTie)
        for _ in range(int(s.people * 0.05)):
            a, b = r.choice(pids), r.choice(pids)
            if a != b:
                self.rel(Rel.RELATED_TO, a, b, {"kind": r.choice(ties).value})

        # Projects at customer companies, 3-15 participants from the customer's staff (plus,
        # sometimes, someone from a company that influences its purchases).
        projects: list[Row] = []
        roles = list(DecisionRole)
        stances = list(Stance)
        for n in range(s.projects):
            ci = customer_idx[self.powerlaw(len(customer_idx), 1.5)] if customer_idx else 0
            ind = r.choice(PRODUCTS)
            props = {
                **self.base(),
                "name": f"{companies[ci]['props']['shortName']}{ind}项目 #{n}",
                "stage": r.choice(list(ProjectStage)).value,
                "status": r.choices(list(ProjectStatus), weights=(6, 2, 1, 1))[0].value,
                "amount": float(r.randrange(10, 5000) * 10_000),
                "currency": "CNY",
                "expectedClose": self.day(2025, date(2027, 12, 31)),
            }
            proj: Row = {"id": self.uid(), "props": props}
            projects.append(proj)
            self.rel(Rel.FOR, proj["id"], cids[ci], toLabel=Label.COMPANY.value)
            members = staff[ci]
            k = min(len(members), r.randint(3, 15))
            chosen = [members[0], *r.sample(members[1:], k - 1)] if k else []
            for j, pid in enumerate(chosen):
                role = DecisionRole.DECISION_MAKER if j == 0 else r.choice(roles)
                self.rel(
                    Rel.PARTICIPATES_IN,
                    pid,
                    proj["id"],
                    {
                        "role": role.value,
                        "stance": r.choice(stances).value,
                        "concerns": r.choice(["价格", "交付周期", "技术风险", "售后服务"]),
                    },
                )
            if len(chosen) >= 2 and r.random() < 0.3:
                a, b = r.sample(chosen, 2)
                influence(a, b, proj["id"])
        ds.nodes[Label.PROJECT] = projects

        # Our staff: owners of customers, project teams, people they know.
        users: list[Row] = []
        teams = ["EAST", "WEST", "NORTH", "SOUTH"]
        for u in range(s.users):
            name, _ = self.person_name()
            users.append(
                {
                    "id": self.uid(),
                    "props": {
                        **self.base(),
                        "name": name,
                        "email": f"sales{u}@our-company.example",
                        "team": teams[u % len(teams)],
                        "roles": ["MANAGER", "SALES"] if u % 10 == 0 else ["SALES"],
                    },
                }
            )
        ds.nodes[Label.USER] = users
        uids = [u["id"] for u in users]
        for c in companies:
            if c["customer"]:
                self.rel(Rel.OWNS, r.choice(uids), c["id"], toLabel=Label.COMPANY.value)
        for p in people:
            if p["customer"]:
                self.rel(Rel.OWNS, r.choice(uids), p["id"], toLabel=Label.PERSON.value)
        for proj in projects:
            for uid in r.sample(uids, r.randint(1, 3)):
                self.rel(Rel.ON_TEAM, uid, proj["id"], {"role": r.choice(["SALES", "PRESALES"])})
        per_user = max(20, min(200, len(employed) // (len(uids) * 3)))
        for uid in uids:
            picks = (employed[self.powerlaw(len(employed), 1.2)] for _ in range(per_user))
            for pid in dict.fromkeys(picks):  # de-duplicated, in a deterministic order
                self.rel(Rel.KNOWS, uid, pid, {"strength": round(r.uniform(0.2, 1.0), 2)})
        return ds


def generate(scale: Scale | str, seed: int = 42) -> Dataset:
    """The data set for `scale` (an entry of SCALES or its name); deterministic per seed."""
    sc = SCALES[scale] if isinstance(scale, str) else scale
    ds = _Gen(sc, seed).run()
    add_records(ds, seed)
    return ds


def add_records(ds: Dataset, seed: int) -> None:
    """Two years of orders (1-3 lines) and interactions per customer company, 0-10 and 0-12 of
    each, with the owner as staff and up to two current employees as contacts. Drawn from a
    generator of their own, so the graph itself stays what it was for a seed."""
    rng = random.Random(f"records:{seed}")

    def uid() -> str:
        return str(uuid.UUID(int=rng.getrandbits(128), version=4))

    ds.products = [
        {"id": uid(), "props": {"sku": f"P-{i:03d}", "name": f"产品{i:03d}", "currency": "CNY",
                                "listPriceCents": rng.randint(100, 500_000) * 100}}
        for i in range(40)
    ]  # fmt: skip
    owners = {r["dst"]: r["src"] for r in ds.rels[Rel.OWNS]}
    staff: dict[str, list[str]] = {}
    for r in ds.rels[Rel.WORKS_AT]:
        if "until" not in r["props"] and len(staff.setdefault(r["dst"], [])) < 2:
            staff[r["dst"]].append(r["src"])
    records: dict[RecordKind, list[Row]] = {RecordKind.ORDER: [], RecordKind.INTERACTION: []}
    channels = ("CALL", "VISIT", "WECHAT", "EMAIL", "MEETING")

    def row(company: str, props: Row, **links: Any) -> Row:
        return {"id": uid(), "account": company, "props": props, "digest": None,
                "contacts": staff.get(company, [])[: rng.randint(0, 2)],
                "staff": [owners[company]] if company in owners else [], "projectIds": [],
                "lines": links.get("lines", []), "orders": [], "followUps": []}  # fmt: skip

    for c in ds.nodes[Label.COMPANY]:
        if not c["customer"]:
            continue
        for _ in range(rng.randint(0, 10)):
            lines, total, units = [], 0, 0.0
            for position, product in enumerate(rng.sample(ds.products, rng.randint(1, 3)), 1):
                price, qty = product["props"]["listPriceCents"], rng.randint(1, 20)
                lines.append({"product": product["id"], "props": {
                    "position": position, "quantity": float(qty), "unitPriceCents": price,
                    "amountCents": price * qty}})  # fmt: skip
                total, units = total + price * qty, units + qty
            at = NOW - timedelta(days=rng.randint(1, 730), hours=rng.randint(0, 23))
            props = {"occurredAt": at, "currency": "CNY", "amountCents": total,
                     "quantity": units, "paymentDueOn": at.date() + timedelta(days=30)}  # fmt: skip
            records[RecordKind.ORDER].append(row(c["id"], props, lines=lines))
        for _ in range(rng.randint(0, 12)):
            at = NOW - timedelta(days=rng.randint(1, 730), hours=rng.randint(0, 23))
            props = {"occurredAt": at, "channel": rng.choice(channels), "direction": "OUTBOUND",
                     "subject": f"沟通{rng.randint(1, 999)}"}  # fmt: skip
            records[RecordKind.INTERACTION].append(row(c["id"], props))
    add_scoring_records(ds, records, rng, row)
    for rows in records.values():
        for r in rows:
            r["digest"] = row_digest(r)
    ds.records = records


def add_scoring_records(
    ds: Dataset,
    records: dict[RecordKind, list[Row]],
    rng: random.Random,
    row: Callable[..., Row],
) -> None:
    """What customer scoring (graph/intelligence.py) reads besides orders: payments for most
    orders (on time, late or never), orders of individual customers (0-6 each), and a few
    complaints and surveys. Drawn after the company records, so those stay as they were."""
    for p in ds.nodes[Label.PERSON]:
        if not p["customer"]:
            continue
        for _ in range(rng.randint(0, 6)):
            at = NOW - timedelta(days=rng.randint(1, 730), hours=rng.randint(0, 23))
            cents = rng.randint(50, 20_000) * 100
            props = {"occurredAt": at, "currency": "CNY", "amountCents": cents,
                     "quantity": 1.0, "paymentDueOn": at.date() + timedelta(days=30)}  # fmt: skip
            records[RecordKind.ORDER].append(row(p["id"], props))
    payments: list[Row] = []
    for o in records[RecordKind.ORDER]:
        if rng.random() < 0.15:
            continue  # never paid
        late = rng.choice((-5, -1, 0, 0, 3, 20))
        paid_at = datetime.combine(o["props"]["paymentDueOn"], datetime.min.time(), UTC)
        paid_at += timedelta(days=late)
        if paid_at > NOW:
            continue
        props = {"occurredAt": paid_at, "currency": "CNY", "amountCents": o["props"]["amountCents"]}
        payment = row(o["account"], props)
        payment["orders"] = [o["id"]]
        payments.append(payment)
    records[RecordKind.PAYMENT] = payments
    cases: list[Row] = []
    surveys: list[Row] = []
    for c in ds.nodes[Label.COMPANY]:
        if not c["customer"]:
            continue
        if rng.random() < 0.1:
            at = NOW - timedelta(days=rng.randint(1, 300))
            props = {"occurredAt": at, "category": "COMPLAINT", "severity": "MEDIUM",
                     "status": rng.choice(("OPEN", "CLOSED"))}  # fmt: skip
            cases.append(row(c["id"], props))
        if rng.random() < 0.3:
            at = NOW - timedelta(days=rng.randint(1, 360))
            surveys.append(row(c["id"], {"occurredAt": at, "score": rng.randint(1, 5)}))
    records[RecordKind.SERVICE_CASE] = cases
    records[RecordKind.SURVEY] = surveys


def batches(rows: list[Row], size: int) -> Iterator[list[Row]]:
    for i in range(0, len(rows), size):
        yield rows[i : i + size]
