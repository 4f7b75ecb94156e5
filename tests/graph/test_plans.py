"""The pure parts of graph/plans.py: periods, team rollups and the forecast arithmetic."""

from __future__ import annotations

import datetime as dt

import pytest

from graph import pipeline
from graph.plans import (
    PERIOD_TZ,
    Dimension,
    ForecastMethod,
    PeriodKind,
    PlanSource,
    TeamTree,
    forecast,
    parse_period,
    percentage,
    period_of,
    plan_id,
    previous,
    team_plans,
    weighted_pipeline,
)


def test_periods_parse_to_their_calendar_bounds() -> None:
    month = parse_period("2027-02")
    assert month is not None
    assert (month.kind, month.start, month.end) == (
        PeriodKind.MONTH,
        dt.date(2027, 2, 1),
        dt.date(2027, 3, 1),
    )
    quarter = parse_period("2027-Q4")
    assert quarter is not None
    assert (quarter.start, quarter.end) == (dt.date(2027, 10, 1), dt.date(2028, 1, 1))
    year = parse_period(" 2027 ")
    assert year is not None
    assert (year.key, year.start, year.end) == ("2027", dt.date(2027, 1, 1), dt.date(2028, 1, 1))


@pytest.mark.parametrize("text", ["2027-13", "2027-00", "2027-Q5", "27-01", "2027/01", "", "x"])
def test_malformed_periods_are_refused(text: str) -> None:
    assert parse_period(text) is None


def test_periods_start_at_midnight_in_china() -> None:
    march = parse_period("2030-03")
    assert march is not None
    assert march.starts_at == dt.datetime(2030, 3, 1, tzinfo=PERIOD_TZ)
    assert march.starts_at.astimezone(dt.UTC) == dt.datetime(2030, 2, 28, 16, tzinfo=dt.UTC)


def test_elapsed_share_is_clamped_to_the_period() -> None:
    march = parse_period("2030-03")
    assert march is not None
    mid = dt.datetime(2030, 3, 15, tzinfo=PERIOD_TZ)
    assert march.elapsed(mid) == pytest.approx(14 / 31)
    assert march.elapsed(dt.datetime(2030, 1, 1, tzinfo=dt.UTC)) == 0.0
    assert march.elapsed(dt.datetime(2031, 1, 1, tzinfo=dt.UTC)) == 1.0


def test_period_of_a_day_and_the_one_before() -> None:
    day = dt.date(2027, 1, 15)
    assert period_of(day, PeriodKind.QUARTER).key == "2027-Q1"
    assert previous(period_of(day, PeriodKind.MONTH)).key == "2026-12"
    assert previous(period_of(day, PeriodKind.QUARTER)).key == "2026-Q4"
    assert previous(period_of(day, PeriodKind.YEAR)).key == "2026"


def test_a_plan_id_follows_its_key() -> None:
    a = plan_id("2027-01", Dimension.USER, "u1", "CNY")
    assert a == plan_id("2027-01", Dimension.USER, "u1", "CNY")
    assert a != plan_id("2027-01", Dimension.USER, "u1", "USD")
    assert a != plan_id("2027-02", Dimension.USER, "u1", "CNY")


def _tree() -> TeamTree:
    # HQ > EAST > EAST_1; HQ > WEST. Members: hq1 (HQ), e1, e2 (EAST), e3 (EAST_1), w1 (WEST).
    rows = [
        ({"id": "hq", "code": "HQ", "parentId": None}, ["hq1"]),
        ({"id": "east", "code": "EAST", "parentId": "hq"}, ["e1", "e2"]),
        ({"id": "east1", "code": "EAST_1", "parentId": "east"}, ["e3"]),
        ({"id": "west", "code": "WEST", "parentId": "hq"}, ["w1"]),
    ]
    return TeamTree.of(rows)


def test_subtrees_hold_the_teams_and_members_below() -> None:
    tree = _tree()
    assert tree.subtree("east") == ["east", "east1"]
    assert tree.users_of("hq") == ["e1", "e2", "e3", "hq1", "w1"]
    assert tree.codes_of("east") == ["EAST", "EAST_1"]


def test_a_team_plan_is_its_members_and_sub_teams_unless_set() -> None:
    users = {("e1", "CNY"): 100, ("e2", "CNY"): 50, ("e3", "CNY"): 30, ("w1", "CNY"): 70}
    own = {("west", "CNY"): 60}
    plans = team_plans(_tree(), own, users)
    assert plans[("east1", "CNY")] == (30, PlanSource.ROLLUP)
    assert plans[("east", "CNY")] == (180, PlanSource.ROLLUP)
    # WEST's own plan overrides its member's 70, and HQ sums what is below it.
    assert plans[("west", "CNY")] == (60, PlanSource.SET)
    assert plans[("hq", "CNY")] == (240, PlanSource.ROLLUP)


def test_a_set_team_plan_hides_the_plans_below_it() -> None:
    users = {("e1", "CNY"): 100, ("e3", "CNY"): 30}
    plans = team_plans(_tree(), {("east", "CNY"): 500}, users)
    assert plans[("east", "CNY")] == (500, PlanSource.SET)
    assert plans[("hq", "CNY")] == (500, PlanSource.ROLLUP)
    assert plans[("east1", "CNY")] == (30, PlanSource.ROLLUP)


def test_rollups_keep_currencies_apart_and_skip_teams_without_plans() -> None:
    plans = team_plans(_tree(), {}, {("e1", "CNY"): 100, ("w1", "USD"): 7})
    assert plans[("hq", "CNY")] == (100, PlanSource.ROLLUP)
    assert plans[("hq", "USD")] == (7, PlanSource.ROLLUP)
    assert ("west", "CNY") not in plans
    assert ("east", "USD") not in plans


def test_forecasts_by_method() -> None:
    assert forecast(ForecastMethod.FINAL, 500, 999, 1.0) == 500
    assert forecast(ForecastMethod.PIPELINE, 500, 250, 0.5) == 750
    assert forecast(ForecastMethod.RUN_RATE, 10_000_000, 0, 14 / 31) == 22_142_857
    assert forecast(ForecastMethod.RUN_RATE, 0, 0, 0.0) is None


def test_percentages_round_to_one_decimal() -> None:
    assert percentage(160, 250) == 64.0
    assert percentage(204_000, 330_000) == 61.8
    assert percentage(36_500_000, 40_000_000) == 91.3  # 91.25, half up (tester BR)
    assert percentage(5, None) is None
    assert percentage(5, 0) is None


def test_pipeline_weights_by_stage_status_and_override() -> None:
    rows = weighted_pipeline(
        [
            {"amount": 60000.0, "stage": "PROPOSAL", "status": "OPEN", "winProbability": None},
            {"amount": 10000.0, "stage": "NEGOTIATION", "status": "OPEN", "winProbability": 0.2},
        ],
        pipeline.Settings(),
    )
    assert [r["weightedCents"] for r in rows] == [3_000_000, 200_000]
