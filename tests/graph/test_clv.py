"""graph/clv.py alone: the BG/NBD fit tells buyers who stopped from buyers who did not."""

from __future__ import annotations

import datetime as dt
import random

from graph import clv

TODAY = dt.date(2026, 12, 1)


def test_too_few_buyers_skip_the_fit_and_say_why() -> None:
    few = [clv.history(f"c{i}", [TODAY - dt.timedelta(days=30 * i)], TODAY) for i in range(1, 5)]
    out = clv.fit([h for h in few if h is not None])
    assert out.p_alive == {}
    assert out.skipped is not None
    assert "4 buyers" in out.skipped


def test_history_in_the_models_terms() -> None:
    days = [TODAY - dt.timedelta(days=d) for d in (100, 60, 60, 20)]
    h = clv.history("x", days, TODAY)
    assert h == clv.History("x", frequency=2, recency=80.0, age=100.0)
    assert clv.history("y", [], TODAY) is None


def test_stopped_buyers_are_less_likely_alive() -> None:
    rng = random.Random(7)
    histories = []
    for i in range(90):
        gap = rng.choice((20, 30, 45))
        stop = TODAY - dt.timedelta(days=360) if i % 3 == 0 else TODAY
        day, days = TODAY - dt.timedelta(days=720), []
        while day < stop:
            days.append(day)
            day += dt.timedelta(days=gap + rng.randint(-4, 4))
        h = clv.history(f"c{i}", days, TODAY)
        assert h is not None
        histories.append(h)
    out = clv.fit(histories)
    assert out.skipped is None
    assert set(out.parameters) == {"r", "alpha", "a", "b"}
    stopped = [out.p_alive[f"c{i}"] for i in range(90) if i % 3 == 0]
    going = [out.p_alive[f"c{i}"] for i in range(90) if i % 3]
    assert max(stopped) < 0.2 < 0.8 < min(going)


def test_a_buyer_of_one_day_gets_no_figure() -> None:
    rng = random.Random(11)
    histories = []
    for i in range(40):
        gap = rng.choice((20, 30, 45))
        days = [TODAY - dt.timedelta(days=d) for d in range(30, 400, gap)]
        h = clv.history(f"r{i}", days, TODAY)
        assert h is not None
        histories.append(h)
    once = clv.history("once", [TODAY - dt.timedelta(days=399)], TODAY)
    assert once is not None
    assert once.frequency == 0
    out = clv.fit([*histories, once])
    assert out.skipped is None
    assert "once" not in out.p_alive  # the model would say 1.0 for a year's silence
    assert len(out.p_alive) == 40
