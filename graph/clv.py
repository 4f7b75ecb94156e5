"""Probability that a customer is still active: the BG/NBD buy-till-you-die model (R17).

pymc-marketing's `BetaGeoModel` is the maintained implementation (`lifetimes` and `btyd` are
abandoned). It is fitted by maximum a posteriori (`fit_method="map"`), not by sampling: a
point estimate of the four population parameters is what a daily churn list needs, and MAP
fits 20k customers in seconds on 2 cores where MCMC takes many minutes.

Costs, measured on this 2-core machine: importing pymc takes about 13 s and the first fit
compiles C code for another 30 s (PyTensor caches it under ~/.pytensor for later runs), so
the import is deferred to the first fit, which runs in the scoring job, never in a request.

The model needs repeat buyers to say anything: with fewer than `MIN_CUSTOMERS` buyers or
`MIN_REPEAT` repeat buyers the fit is skipped and every probability is None (the churn list
then rests on the rules alone, and says so).
"""

from __future__ import annotations

import datetime as dt
import logging
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

log = logging.getLogger(__name__)

MIN_CUSTOMERS = 30
MIN_REPEAT = 10


@dataclass(frozen=True)
class History:
    """A customer's purchase days, in the model's terms (days)."""

    id: str
    frequency: int  # repeat purchase days: distinct order days - 1
    recency: float  # first to last order day
    age: float  # first order day to today (the model's T)


def history(customer_id: str, order_days: Sequence[dt.date], today: dt.date) -> History | None:
    """The model's summary of one customer, None without an order."""
    days = sorted(set(order_days))
    if not days:
        return None
    return History(
        id=customer_id,
        frequency=len(days) - 1,
        recency=float((days[-1] - days[0]).days),
        age=float(max((today - days[0]).days, (days[-1] - days[0]).days, 1)),
    )


@dataclass(frozen=True)
class Fit:
    p_alive: dict[str, float]
    parameters: dict[str, float]  # r, alpha, a, b: shown with the scores (model version)
    skipped: str | None  # why no fit was made


def fit(customers: Sequence[History]) -> Fit:
    """Fit BG/NBD on the population and return each customer's probability of being alive."""
    repeat = sum(1 for c in customers if c.frequency > 0)
    if len(customers) < MIN_CUSTOMERS or repeat < MIN_REPEAT:
        reason = (
            f"{len(customers)} buyers, {repeat} repeat buyers: at least {MIN_CUSTOMERS} and "
            f"{MIN_REPEAT} are needed"
        )
        return Fit({}, {}, reason)
    # Deferred: see the module docstring for what these imports cost.
    import pandas as pd

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from pymc_marketing.clv import BetaGeoModel

        data = pd.DataFrame(
            {
                "customer_id": range(len(customers)),
                "frequency": [c.frequency for c in customers],
                "recency": [c.recency for c in customers],
                "T": [c.age for c in customers],
            }
        )
        model: Any = BetaGeoModel(data=data)
        model.fit(fit_method="map", progressbar=False)
        alive: Any = model.expected_probability_alive(data=data)
        values = [float(v) for v in alive.values.reshape(-1)]
        summary = model.fit_summary()
    params = {k: round(float(summary[k]), 6) for k in ("r", "alpha", "a", "b") if k in summary}
    log.info("BG/NBD fitted on %d customers: %s", len(customers), params)
    # A buyer of one day only is "alive" by the model's own assumption (it is 1.0 for them
    # however long ago that was): it tells nothing of them, so they get no figure.
    alive_of = {c.id: v for c, v in zip(customers, values, strict=True) if c.frequency > 0}
    return Fit(alive_of, params, None)
