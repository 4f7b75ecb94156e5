"""graph/scoring.py alone: hand-built customers with answers worked out by hand."""

from __future__ import annotations

import datetime as dt

import pytest

from graph import scoring
from graph.scoring import Features, OrderIn, Settings

TODAY = dt.date(2026, 12, 1)


def order(days_ago: int, yuan: int, paid_late_days: int | None = 0, due_in: int = 30) -> OrderIn:
    at = TODAY - dt.timedelta(days=days_ago)
    due = at + dt.timedelta(days=due_in)
    settled = None if paid_late_days is None else due + dt.timedelta(days=paid_late_days)
    return {
        "at": at,
        "cents": yuan * 100,
        "currency": "CNY",
        "dueOn": due,
        "paidCents": yuan * 100 if settled is not None and settled <= TODAY else 0,
        "settledOn": settled if settled is not None and settled <= TODAY else None,
    }


def customer(cid: str, orders: list[OrderIn], **kw: object) -> Features:
    base: dict[str, object] = {
        "id": cid,
        "kind": "Company",
        "classification": None,
        "stage": None,
        "stage_since": None,
        "stage_manual": False,
        "orders": orders,
    }
    base.update(kw)
    return Features(**base)  # type: ignore[arg-type]


# Five customers of seed 000's kinds, with their records over two years.
STEADY = customer(
    "steady",
    [order(d, 10_000) for d in range(10, 700, 30)],
    surveys_365=2,
    satisfaction_365=4.6,
    follow_ups_due=4,
    follow_ups_kept=4,
    stage="ACTIVE",
)
LAPSED = customer("lapsed", [order(d, 8_000) for d in range(400, 700, 30)], stage="ACTIVE")
GROWING = customer(
    "growing",
    [order(d, 2_000) for d in range(200, 360, 40)] + [order(d, 12_000) for d in range(5, 175, 20)],
    stage="ACTIVE",
)
OVERDUE = customer(
    "overdue",
    [order(d, 9_000, paid_late_days=None) for d in range(40, 400, 45)],
    complaints_180=2,
    open_complaints=1,
    satisfaction_365=2.0,
    stage="ACTIVE",
)
REFERRER = customer(
    "referrer", [order(d, 3_000) for d in (20, 110, 200)], referrals=4, group_companies=5,
    chain_partners=2, stage="NEW",
)  # fmt: skip
PROSPECT = customer("prospect", [], stage="POTENTIAL")
ONCE = customer("once", [order(50, 5_000)])

PEOPLE = [STEADY, LAPSED, GROWING, OVERDUE, REFERRER, PROSPECT, ONCE]


@pytest.fixture(scope="module")
def scored() -> dict[str, scoring.ScoreOut]:
    return {o["id"]: o for o in scoring.score_population(PEOPLE, TODAY, Settings())}


def test_quintiles_spread_ties_and_small_populations() -> None:
    ten = [float(x) for x in range(10)]
    assert [scoring.quintile(ten, v) for v in ten] == [1, 1, 2, 2, 3, 3, 4, 4, 5, 5]
    assert scoring.quintile([7.0], 7.0) == 3  # alone: no comparison, the middle
    assert [scoring.quintile([1.0, 2.0], v) for v in (1.0, 2.0)] == [2, 4]
    assert {scoring.quintile([4.0] * 6, 4.0)} == {3}  # all tied: one score
    tied = [1.0, 5.0, 5.0, 5.0, 9.0]
    assert [scoring.quintile(tied, v) for v in (1.0, 5.0, 9.0)] == [1, 3, 5]


def test_rfm_cells_of_the_hand_built_customers(scored: dict[str, scoring.ScoreOut]) -> None:
    # Buyers within 730 days: steady 23 orders, 10 days ago; lapsed 10 (last 400 days ago);
    # growing 13, 5 days ago; overdue 8, 40 days ago; referrer 3, 20 days ago; once 1, 50 ago.
    cell = {k: (v["recency"], v["frequency"], v["monetary"]) for k, v in scored.items()}
    assert cell["growing"][0] == 5
    assert cell["lapsed"][0] == 1
    assert cell["steady"][1] == 5
    assert cell["once"][1] == 1
    assert cell["steady"][2] == 5
    assert cell["once"][2] == 1
    assert cell["prospect"] == (None, None, None)  # no order: no cell
    assert scored["steady"]["rfmInputs"]["orders"] == 23
    assert scored["lapsed"]["rfmInputs"]["daysSinceLastOrder"] == 400


def test_explanations_sum_to_the_score(scored: dict[str, scoring.ScoreOut]) -> None:
    for o in scored.values():
        assert round(sum(f["share"] for f in o["factors"]), 2) == o["value"]
        assert abs(sum(f["weight"] for f in o["factors"]) - 1) < 1e-3
        for f in o["factors"]:
            assert 0 <= f["score"] <= 100
            assert f["inputs"], f


def test_segments(scored: dict[str, scoring.ScoreOut]) -> None:
    assert scored["steady"]["segment"] == "CORE"
    # never paid: credit 0, a problem customer whatever it bought
    assert scored["overdue"]["segment"] == "PROBLEM"
    credit = next(f for f in scored["overdue"]["factors"] if f["factor"] == "CREDIT")
    assert credit["score"] == 0
    assert credit["inputs"]["overdueCents"] == 8 * 900_000
    assert scored["prospect"]["segment"] != "CORE"


def test_influence_comes_from_the_graph(scored: dict[str, scoring.ScoreOut]) -> None:
    inf = {
        k: next(f for f in v["factors"] if f["factor"] == "INFLUENCE") for k, v in scored.items()
    }
    assert inf["referrer"]["score"] == 40 + 20 + 10
    assert inf["steady"]["score"] == 0


def test_growth(scored: dict[str, scoring.ScoreOut]) -> None:
    g = {k: next(f for f in v["factors"] if f["factor"] == "GROWTH") for k, v in scored.items()}
    assert g["growing"]["score"] > 80
    assert g["lapsed"]["score"] == 50  # nothing in either window: flat, not falling
    assert g["steady"]["score"] == pytest.approx(50, abs=10)


def test_lifecycle_stages(scored: dict[str, scoring.ScoreOut]) -> None:
    stage = {k: (v["stage"], v["stageRule"]) for k, v in scored.items()}
    assert stage["steady"] == ("ACTIVE", None)
    assert stage["lapsed"] == ("LOST", "LAPSED")  # 30-day cycle, 400 days idle
    assert stage["prospect"] == ("POTENTIAL", None)
    assert stage["once"] == ("NEW", "FIRST_ORDER")
    assert stage["referrer"] == ("ACTIVE", "REPEAT_ORDERS")


def test_a_lost_customer_comes_back_only_with_a_new_order() -> None:
    s = Settings()
    lost_since = TODAY - dt.timedelta(days=20)
    quiet = customer("q", [order(300, 100), order(270, 100)], stage="LOST", stage_since=lost_since)
    back = customer("b", [order(300, 100), order(5, 100)], stage="LOST", stage_since=lost_since)
    out = {o["id"]: o for o in scoring.score_population([quiet, back], TODAY, s)}
    assert out["q"]["stage"] == "LOST"
    assert out["q"]["stageRule"] is None
    assert (out["b"]["stage"], out["b"]["stageRule"]) == ("ACTIVE", "WON_BACK")


def test_a_lapse_no_longer_in_the_records_ends_a_loss_by_rule_but_not_one_by_hand() -> None:
    s = Settings()
    lost_since = TODAY - dt.timedelta(days=20)
    # An order dated before the loss, entered after it: no longer lapsed (idle 25 days, within
    # 2.5 cycles of 275 days). A loss by rule follows the records; a loss by hand holds.
    orders = [order(300, 100), order(25, 100)]
    by_rule = customer("r", orders, stage="LOST", stage_since=lost_since)
    by_hand = customer("h", orders, stage="LOST", stage_since=lost_since, stage_manual=True)
    out = {o["id"]: o for o in scoring.score_population([by_rule, by_hand], TODAY, s)}
    assert (out["r"]["stage"], out["r"]["stageRule"]) == ("ACTIVE", "REPEAT_ORDERS")
    assert out["r"]["stageReason"] == "2 order days; no longer lapsed"
    assert (out["h"]["stage"], out["h"]["stageRule"]) == ("LOST", None)


def test_a_manual_stage_holds_until_the_records_bring_news() -> None:
    s = Settings()
    since = TODAY - dt.timedelta(days=10)
    # Set ACTIVE by hand with no order: holds. Set POTENTIAL by hand, then an order: rule.
    held = customer("h", [], stage="ACTIVE", stage_since=since, stage_manual=True)
    news = customer("n", [order(2, 100)], stage="POTENTIAL", stage_since=since, stage_manual=True)
    out = {o["id"]: o for o in scoring.score_population([held, news], TODAY, s)}
    assert (out["h"]["stage"], out["h"]["stageRule"]) == ("ACTIVE", None)
    assert (out["n"]["stage"], out["n"]["stageRule"]) == ("NEW", "FIRST_ORDER")


def test_an_order_the_same_day_as_a_manual_move_is_news_when_it_came_after() -> None:
    s = Settings()
    # LOST by hand this morning; ordered this afternoon (the extract judges the instants).
    lost = {"stage": "LOST", "stage_since": TODAY, "stage_manual": True}
    back = customer("b", [order(0, 100), order(40, 100)], ordered_since_stage=True, **lost)
    still = customer("s", [order(0, 100), order(40, 100)], ordered_since_stage=False, **lost)
    out = {o["id"]: o for o in scoring.score_population([back, still], TODAY, s)}
    assert (out["b"]["stage"], out["b"]["stageRule"]) == ("ACTIVE", "WON_BACK")
    assert (out["s"]["stage"], out["s"]["stageRule"]) == ("LOST", None)


def test_a_poor_survey_adds_no_support_and_a_good_one_does() -> None:
    silent = customer("x", [])
    poor = customer("p", [], surveys_365=1, satisfaction_365=1.0)
    fair = customer("f", [], surveys_365=2, satisfaction_365=3.0)
    glad = customer("g", [], surveys_365=1, satisfaction_365=5.0)
    assert scoring.support(silent)[0] == scoring.support(poor)[0] == 0.0
    assert scoring.support(fair)[0] == 50.0
    assert scoring.support(glad)[0] == 100.0
    assert scoring.support(poor)[1]["meanSatisfaction"] == 1.0


def test_an_order_due_today_is_not_overdue_in_credit() -> None:
    # Due today and unpaid: not overdue yet (as the figures say); due yesterday: overdue.
    today = customer("t", [order(30, 7, paid_late_days=None, due_in=30)])
    yesterday = customer("y", [order(31, 3, paid_late_days=None, due_in=30)])
    assert scoring.credit(today, TODAY) == (
        100.0, {"ordersDue": 0, "paidOnTime": 0, "overdueCents": 0, "dueCents": 0}
    )  # fmt: skip
    assert scoring.credit(yesterday, TODAY)[1] == {
        "ordersDue": 1, "paidOnTime": 0, "overdueCents": 300, "dueCents": 300
    }  # fmt: skip
    # Its working from the inputs alone: 100 × paidOnTime / ordersDue − 100 × overdue / due.


def test_the_horizon_follows_the_customers_own_cycle() -> None:
    s = Settings()
    weekly = scoring.derive(customer("w", [order(d, 1) for d in range(0, 70, 7)]), TODAY, s)
    assert scoring.horizon(weekly, s) == (s.min_horizon_days, 7.0)  # 2.5 x 7 < the floor
    monthly = scoring.derive(customer("m", [order(d, 1) for d in range(0, 300, 60)]), TODAY, s)
    assert scoring.horizon(monthly, s) == (150, 60.0)
    single = scoring.derive(customer("s", [order(3, 1)]), TODAY, s)
    assert scoring.horizon(single, s) == (s.single_order_horizon_days, None)


def test_churn_risk_orders_and_explains(scored: dict[str, scoring.ScoreOut]) -> None:
    risk = {k: v["churnRisk"] for k, v in scored.items()}
    assert risk["lapsed"] is None
    assert risk["prospect"] is None
    assert risk["overdue"] is not None
    assert risk["steady"] is not None
    assert risk["overdue"] > risk["growing"]
    assert risk["overdue"] > risk["steady"]
    reasons = [r["reason"] for r in scored["overdue"]["churnReasons"]]
    assert "COMPLAINTS" in reasons
    assert "POOR_SATISFACTION" in reasons
    for o in scored.values():
        if o["churnRisk"] is not None:
            assert o["churnRisk"] == min(100, sum(r["points"] for r in o["churnReasons"]))


def test_a_cycle_of_days_is_floored_as_the_lapse_horizon_is() -> None:
    """Tester AP: two orders a day apart, five days ago, made a new customer "overdue" on a
    1-day cycle (ratio 5). The cycle counts as at least 60 / 2.5 = 24 days."""
    s = Settings()
    twice = customer("twice", [order(6, 100), order(5, 100)], stage="NEW")
    (out,) = scoring.score_population([twice], TODAY, s)
    assert [r["reason"] for r in out["churnReasons"]] == []
    assert scoring.min_cycle(s) == 24.0
    # 30 days later it is overdue against the floor, not against its 1-day gap
    late = customer("late", [order(31, 100), order(30, 100)], stage="ACTIVE")
    (out,) = scoring.score_population([late], TODAY, s)
    (reason,) = out["churnReasons"]
    assert reason["reason"] == "OVERDUE_FOR_CYCLE"
    assert reason["detail"] == {"daysSinceLastOrder": 30, "cycleDays": 24.0, "ratio": 1.25}
    assert reason["points"] == 15


def test_graph_signals_raise_churn() -> None:
    base = [order(d, 1000) for d in range(10, 300, 30)]
    calm = customer("calm", base, stage="ACTIVE")
    left = customer("left", base, stage="ACTIVE", contacts_left=["p1"], new_incumbents=["k1"])
    out = {o["id"]: o for o in scoring.score_population([calm, left], TODAY, Settings())}
    codes = [r["reason"] for r in out["left"]["churnReasons"]]
    assert codes == ["COMPETITOR_INCUMBENT", "KEY_CONTACT_LEFT"]
    assert out["left"]["churnRisk"] == 45
    assert out["calm"]["churnRisk"] == 0
    assert out["left"]["churnLevel"] == "MEDIUM"
    assert out["calm"]["churnLevel"] == "LOW"


def test_low_probability_alive_is_a_reason() -> None:
    f = customer("x", [order(d, 1000) for d in range(10, 300, 30)], stage="ACTIVE", p_alive=0.1)
    (out,) = scoring.score_population([f], TODAY, Settings())
    assert out["churnReasons"][0]["reason"] == "LOW_P_ALIVE"
    assert out["churnReasons"][0]["points"] == 24


def test_other_currencies_convert_or_are_counted_out() -> None:
    usd: OrderIn = {**order(10, 100), "currency": "USD"}
    f = customer("u", [usd, order(20, 100)])
    s = Settings(rates={"USD": 7.0})
    d = scoring.derive(f, TODAY, s)
    assert d.monetary == 100 * 100 * 7.0 + 100 * 100
    d2 = scoring.derive(f, TODAY, Settings())
    assert d2.unconverted == 1
    assert d2.monetary == 100 * 100


def test_population_by_kind_compares_like_with_like() -> None:
    big = customer("big", [order(10, 100_000)])
    small = customer("small", [order(10, 100)], kind="Person")
    s = Settings(population=scoring.Population.KIND)
    out = {o["id"]: o for o in scoring.score_population([big, small], TODAY, s)}
    assert out["small"]["monetary"] == out["big"]["monetary"] == 3  # each alone in its kind
    mixed = {o["id"]: o for o in scoring.score_population([big, small], TODAY, Settings())}
    assert mixed["small"]["monetary"] == 2
    assert mixed["big"]["monetary"] == 4


def test_a_fall_of_more_than_a_fifth_is_judged_on_the_cents() -> None:
    s = Settings()

    def falls(recent: OrderIn) -> bool:
        # Monthly orders, so the customer is ACTIVE and not overdue; 1,000.00 in the window
        # before the last one, `recent` in the last.
        c = customer("c", [order(200, 1000), recent, order(40, 0), order(10, 0)])
        out = scoring.score_population([c], TODAY, s)[0]
        return "FALLING_AMOUNTS" in [r["reason"] for r in out["churnReasons"]]

    just_over = order(100, 0)
    just_over["cents"] = 79_999  # 799.99: a fall of 20.001%, shown rounded as -0.2
    exactly = order(100, 800)  # 20%: not more than a fifth
    assert falls(just_over)
    assert not falls(exactly)
