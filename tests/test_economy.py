from __future__ import annotations

import datetime as dt
import itertools

import numpy as np
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st
from scipy import stats

from kaesong_geo.economy import (
    EXACT_MAX_N,
    N_RESAMPLES,
    Event,
    Observation,
    align,
    correlate,
    elasticity,
    per_area,
    stoppages,
)


def obs(
    indicator: str, period: str, as_of: dt.date, value: float, status: str = "reported"
) -> Observation:
    unit = {"firms": "count", "workers": "persons"}.get(indicator, "USD")
    return Observation(indicator, period, as_of, value, unit, status, "test")  # type: ignore[arg-type]


WORKERS = [
    obs("workers", "2005", dt.date(2005, 12, 31), 6013),
    obs("workers", "2006", dt.date(2006, 12, 31), 11160, "unverified"),
    obs("workers", "2007", dt.date(2007, 12, 31), 22538),
]


def test_interpolation_between_bracketing_observations() -> None:
    a = align(WORKERS, "workers", dt.date(2006, 7, 2))
    w = (dt.date(2006, 7, 2) - dt.date(2005, 12, 31)).days / 365
    assert a.method == "interpolated"
    assert a.value == pytest.approx(6013 + w * (11160 - 6013))
    assert [o.period for o in a.used] == ["2005", "2006"]
    assert sum(a.weights) == pytest.approx(1.0)
    assert not a.verified and "unverified" in a.statuses


def test_exact_date_is_observed() -> None:
    a = align(WORKERS, "workers", dt.date(2007, 12, 31))
    assert (a.method, a.value, a.verified) == ("observed", 22538, True)


@pytest.mark.parametrize(
    ("date", "word"), [(dt.date(2004, 4, 15), "before"), (dt.date(2009, 9, 15), "after")]
)
def test_never_extrapolates(date: dt.date, word: str) -> None:
    a = align(WORKERS, "workers", date)
    assert a.value is None and a.method == "unavailable"
    assert a.reason.startswith(word) and "no extrapolation" in a.reason


def test_flows_use_annual_totals_at_mid_year_only() -> None:
    data = [
        obs("production_usd", "2009", dt.date(2009, 12, 31), 256.47e6),
        obs("production_usd", "2010", dt.date(2010, 12, 31), 323.32e6),
        obs("production_usd", "2009-11", dt.date(2009, 11, 30), 26.82e6),
    ]
    a = align(data, "production_usd", dt.date(2009, 9, 15))
    assert [o.period for o in a.used] == ["2009", "2010"]
    frac = (dt.date(2009, 9, 15) - dt.date(2009, 7, 2)).days / 365
    assert a.value == pytest.approx(256.47e6 + frac * (323.32e6 - 256.47e6))


def test_small_samples_are_descriptive_only() -> None:
    c = correlate([1.0, 2.0, 4.0], [10.0, 30.0, 35.0])
    assert c.n == 3 and c.descriptive_only
    assert c.pearson_p is None and c.spearman_p is None and c.pearson_ci95 is None
    assert c.pearson_r == pytest.approx(stats.pearsonr([1, 2, 4], [10, 30, 35]).statistic)
    assert c.spearman_rho == pytest.approx(1.0)


def test_inference_from_five_pairs_matches_scipy() -> None:
    x = [1.0, 2.0, 3.0, 4.0, 5.0, 6.0]
    y = [2.0, 1.0, 4.0, 3.0, 7.0, 6.0]
    c = correlate(x, y)
    assert not c.descriptive_only
    ref = stats.pearsonr(x, y)
    assert c.pearson_r == pytest.approx(ref.statistic)
    assert c.pearson_p == pytest.approx(enumerated_p(x, y))
    assert c.spearman_rho == pytest.approx(stats.spearmanr(x, y).statistic)
    assert c.spearman_p == pytest.approx(
        enumerated_p(list(stats.rankdata(x)), list(stats.rankdata(y)))
    )
    lo, hi = c.pearson_ci95  # type: ignore[misc]
    assert lo < c.pearson_r < hi
    ci = ref.confidence_interval(0.95)
    assert (lo, hi) == pytest.approx((ci.low, ci.high), abs=1e-6)


def test_spearman_handles_ties_like_scipy() -> None:
    x = [1.0, 2.0, 2.0, 3.0, 5.0]
    y = [3.0, 1.0, 4.0, 4.0, 9.0]
    c = correlate(x, y)
    assert c.spearman_rho == pytest.approx(stats.spearmanr(x, y).statistic)
    # Exact p over the 120 pairings of the average ranks (ties share their mean rank).
    assert c.spearman_p == pytest.approx(
        enumerated_p([1.0, 2.5, 2.5, 4.0, 5.0], [2.0, 1.0, 3.5, 3.5, 5.0])
    )


def enumerated_p(x: list[float], y: list[float]) -> float:
    """Two-sided permutation p of Pearson's r by brute force over all n! pairings."""
    observed = float(np.corrcoef(x, y)[0, 1])
    null = [float(np.corrcoef(perm, y)[0, 1]) for perm in itertools.permutations(x)]
    tol = 1e-12
    greater = sum(r >= observed - tol for r in null) / len(null)
    less = sum(r <= observed + tol for r in null) / len(null)
    return min(1.0, 2 * min(greater, less))


@pytest.mark.parametrize(
    ("y", "rho", "p"),
    [
        ([1, 2, 3, 4, 5], 1.0, 2 / 120),  # only the identity and the reversal reach |rho| = 1
        ([5, 4, 3, 2, 1], -1.0, 2 / 120),
        ([1, 3, 2, 4, 5], 0.9, 10 / 120),  # sum d² <= 2: identity + 4 adjacent swaps, twice
        ([10, 20, 30, 40, 50, 60, 70, 80], 1.0, 2 / 40320),  # n = 8: 2/8! = 4.96e-5
    ],
)
def test_p_values_are_exact_for_small_n(y: list[float], rho: float, p: float) -> None:
    """SciPy's t / beta approximations give 0.0 at |rho| = 1; the exact p is 2/n!."""
    c = correlate(list(range(1, len(y) + 1)), y)
    assert c.spearman_rho == pytest.approx(rho)
    assert c.spearman_p == pytest.approx(p, rel=1e-9)
    assert c.pearson_p == pytest.approx(p, rel=1e-9)  # x and y linear here: the same ranks
    assert stats.spearmanr(list(range(len(y))), y).pvalue < p  # what we no longer report


def test_p_values_above_the_exact_limit_are_reproducible_and_never_zero() -> None:
    x = list(range(EXACT_MAX_N + 3))
    first, again = correlate(x, [v**3 for v in x]), correlate(x, [v**3 for v in x])
    floor = 2 / (N_RESAMPLES + 1)
    assert first.spearman_p == again.spearman_p == pytest.approx(floor)
    assert first.pearson_p == pytest.approx(floor)
    mixed = correlate(x, [3, 1, 4, 1, 5, 9, 2, 6, 5, 3, 5, 8])
    exact = stats.spearmanr(x, [3, 1, 4, 1, 5, 9, 2, 6, 5, 3, 5, 8]).pvalue
    assert mixed.spearman_p == pytest.approx(exact, abs=0.02)  # t-approximation fine here


@settings(max_examples=30, deadline=None)
@given(
    st.lists(st.integers(-50, 50), min_size=5, max_size=7, unique=True),
    st.lists(st.integers(-50, 50), min_size=7, max_size=7),
)
def test_p_values_lie_in_0_1_and_ignore_the_sign(x: list[int], ys: list[int]) -> None:
    y = ys[: len(x)]
    if len(set(y)) == 1:
        y[0] += 1
    c, flipped = correlate(x, y), correlate(x, [-v for v in y])
    assert c.pearson_p is not None and c.spearman_p is not None
    assert 0.0 < c.pearson_p <= 1.0 and 0.0 < c.spearman_p <= 1.0
    assert flipped.spearman_rho == pytest.approx(-c.spearman_rho)  # type: ignore[operator]
    assert flipped.spearman_p == pytest.approx(c.spearman_p)
    assert flipped.pearson_p == pytest.approx(c.pearson_p)


def test_missing_values_are_dropped_and_constant_series_undefined() -> None:
    c = correlate([1.0, None, 3.0, 4.0], [2.0, 5.0, None, 8.0])
    assert c.n == 2 and c.pearson_r is None
    assert correlate([1.0, 2.0, 3.0], [5.0, 5.0, 5.0]).pearson_r is None


def test_elasticity_and_intensity() -> None:
    assert elasticity(100.0, 150.0, 10.0, 20.0) == pytest.approx(2.0)
    assert elasticity(100.0, 100.0, 10.0, 20.0) is None
    assert elasticity(100.0, 150.0, 0.0, 20.0) is None
    assert elasticity(100.0, 150.0, None, 20.0) is None
    assert per_area(100.0, 2e4, 1e4) == pytest.approx(50.0)


# ---------------------------------------------------------------- operating events


def event(day: str, effect: str, what: str = "test event", status: str = "reported") -> Event:
    return Event(dt.date.fromisoformat(day), what, effect, status, "test source")  # type: ignore[arg-type]


# The shipped 2013 shutdown and 2016 closure, with the figures around them.
WITHDRAWN = event("2013-04-08", "suspended", "North Korea withdraws all workers")
RESUMED = event("2013-09-16", "resumed", "Operations resume")
SUSPENDED_2016 = event("2016-02-10", "suspended", "South Korea suspends all operations")
CLOSED = event("2016-02-11", "closed", "North Korea expels South Koreans")
RESTRICTION = event("2010-05-24", "restriction", "5.24 measures")
EVENTS = [RESTRICTION, WITHDRAWN, RESUMED, SUSPENDED_2016, CLOSED]
SHUTDOWN_YEARS = [
    obs("workers", "2011", dt.date(2011, 11, 30), 48708),
    obs("workers", "2012", dt.date(2012, 12, 31), 53000, "approximate"),
    obs("workers", "2013", dt.date(2013, 12, 31), 52000, "approximate"),
    obs("workers", "2014", dt.date(2014, 12, 31), 53947, "unverified"),
    obs("workers", "2015", dt.date(2015, 12, 31), 54988),
    obs("firms", "2012", dt.date(2012, 12, 31), 123),
    obs("firms", "2013", dt.date(2013, 12, 31), 123),
    *(
        obs("production_usd", str(y), dt.date(y, 12, 31), v)
        for y, v in [(2011, 400e6), (2012, 469.5e6), (2013, 223.78e6), (2014, 469.97e6)]
    ),
]


def test_issue_case_2013_06_is_zero_workers_not_52545() -> None:
    before = align(SHUTDOWN_YEARS, "workers", dt.date(2013, 6, 15))
    assert before.method == "interpolated" and round(before.value or 0) == 52545
    a = align(SHUTDOWN_YEARS, "workers", dt.date(2013, 6, 15), EVENTS)
    assert (a.value, a.method, a.events, a.used) == (0.0, "event", (WITHDRAWN,), ())
    assert a.reason == (
        "0 from the event 2013-04-08 (suspended: North Korea withdraws all workers; "
        "test source), until 2013-09-16"
    )
    assert a.statuses == {"derived"} and not a.verified


@pytest.mark.parametrize("indicator", ["firms", "workers"])
def test_stocks_inside_a_suspension_are_zero(indicator: str) -> None:
    a = align(SHUTDOWN_YEARS, indicator, dt.date(2013, 7, 2), EVENTS)
    assert (a.value, a.method, a.events) == (0.0, "event", (WITHDRAWN,))


def test_flows_inside_a_suspension_are_unavailable_with_the_event() -> None:
    # 2013-07-02 is where the 2013 total would be "observed": it must not be.
    a = align(SHUTDOWN_YEARS, "production_usd", dt.date(2013, 7, 2), EVENTS)
    assert (a.value, a.method, a.events) == (None, "unavailable", (WITHDRAWN,))
    assert a.reason.startswith("production stopped from the event 2013-04-08 (suspended")
    assert "until 2013-09-16" in a.reason


def test_after_closure_counts_are_zero_and_name_both_events() -> None:
    a = align(SHUTDOWN_YEARS, "workers", dt.date(2016, 6, 15), EVENTS)
    assert (a.value, a.method, a.events) == (0.0, "event", (SUSPENDED_2016, CLOSED))
    assert "2016-02-10 (suspended" in a.reason and "then 2016-02-11 (closed" in a.reason
    assert a.reason.endswith("no end recorded")
    p = align(SHUTDOWN_YEARS, "production_usd", dt.date(2016, 6, 15), EVENTS)
    assert (p.value, p.method, p.events) == (None, "unavailable", (SUSPENDED_2016, CLOSED))


@pytest.mark.parametrize(
    ("day", "value", "method", "events"),
    [
        # the first day of a stoppage is inside it
        ("2013-04-08", 0.0, "event", (WITHDRAWN,)),
        ("2016-02-10", 0.0, "event", (SUSPENDED_2016,)),
        ("2016-02-11", 0.0, "event", (SUSPENDED_2016, CLOSED)),
        # the day operations resume is outside it, with no observation yet on that side
        ("2013-09-16", None, "unavailable", (WITHDRAWN, RESUMED)),
        # the day before the withdrawal: the next observation is across it
        ("2013-04-07", None, "unavailable", (WITHDRAWN, RESUMED)),
        # an informational event changes nothing
        ("2010-05-24", None, "unavailable", ()),
    ],
)
def test_epoch_exactly_on_an_event_day(
    day: str, value: float | None, method: str, events: tuple[Event, ...]
) -> None:
    a = align(SHUTDOWN_YEARS, "workers", dt.date.fromisoformat(day), EVENTS)
    assert (a.value, a.method, a.events) == (value, method, events)


def test_observation_on_the_resumption_day_is_used() -> None:
    data = [*SHUTDOWN_YEARS, obs("workers", "2013-09", dt.date(2013, 9, 16), 30000)]
    assert align(data, "workers", dt.date(2013, 9, 16), EVENTS).method == "observed"
    a = align(data, "workers", dt.date(2013, 10, 15), EVENTS)
    assert a.method == "interpolated"
    assert [o.as_of for o in a.used] == [dt.date(2013, 9, 16), dt.date(2013, 12, 31)]


def test_straddling_epochs_use_only_their_side() -> None:
    # After the resumption, before the first count after it: no interpolation through 0.
    a = align(SHUTDOWN_YEARS, "workers", dt.date(2013, 10, 15), EVENTS)
    assert (a.value, a.method, a.events) == (None, "unavailable", (WITHDRAWN, RESUMED))
    assert a.reason.startswith("not interpolated across the stoppage of the events 2013-04-08")
    # Before the withdrawal, after the last count before it.
    b = align(SHUTDOWN_YEARS, "workers", dt.date(2013, 3, 15), EVENTS)
    assert (b.value, b.method) == (None, "unavailable")
    assert "last: 2012-12-31" in b.reason and b.events == (WITHDRAWN, RESUMED)
    # Both ends on one side: interpolated as before, no event attached.
    c = align(SHUTDOWN_YEARS, "workers", dt.date(2014, 6, 15), EVENTS)
    assert c.method == "interpolated" and c.events == ()
    assert [o.period for o in c.used] == ["2013", "2014"]
    assert c == align(SHUTDOWN_YEARS, "workers", dt.date(2014, 6, 15))


def test_annual_flows_spanning_a_stoppage_are_never_end_points() -> None:
    # 2013's total includes the five-month shutdown: neither 2012-10 nor 2014-03 may use it.
    for day in (dt.date(2012, 10, 15), dt.date(2014, 3, 15)):
        a = align(SHUTDOWN_YEARS, "production_usd", day, EVENTS)
        assert (a.value, a.method, a.events) == (None, "unavailable", (WITHDRAWN, RESUMED))
        assert all(o.period != "2013" for o in a.used)
    ok = align(SHUTDOWN_YEARS, "production_usd", dt.date(2012, 3, 15), EVENTS)
    assert ok.method == "interpolated" and [o.period for o in ok.used] == ["2011", "2012"]


def test_no_events_keeps_the_old_rule_and_informational_events_change_nothing() -> None:
    day = dt.date(2013, 6, 15)
    assert align(SHUTDOWN_YEARS, "workers", day, ()) == align(SHUTDOWN_YEARS, "workers", day)
    assert align(SHUTDOWN_YEARS, "workers", day, [RESTRICTION]) == align(
        SHUTDOWN_YEARS, "workers", day
    )


def test_unverified_event_flags_the_value() -> None:
    doubtful = event("2013-04-08", "suspended", status="unverified")
    a = align(SHUTDOWN_YEARS, "workers", dt.date(2013, 6, 15), [doubtful])
    assert a.statuses == {"derived", "unverified"}


def test_stoppages_join_a_suspension_and_a_closure() -> None:
    found = stoppages(EVENTS)
    assert [(s.start, s.end) for s in found] == [
        (dt.date(2013, 4, 8), dt.date(2013, 9, 16)),
        (dt.date(2016, 2, 10), None),
    ]
    assert found[1].events == (SUSPENDED_2016, CLOSED)
    assert dt.date(2013, 9, 15) in found[0] and dt.date(2013, 9, 16) not in found[0]
    assert stoppages([RESUMED]) == []  # a resumption with nothing stopped is ignored


# ---------------------------------------------------------------- property: never across

DAYS = st.integers(0, 4000).map(lambda n: dt.date(2005, 1, 1) + dt.timedelta(days=n))


@st.composite
def event_sequences(draw: st.DrawFn) -> list[Event]:
    days = sorted(draw(st.sets(DAYS, max_size=6)))
    out, stopped = [], False
    for day in days:
        if stopped:
            effect = draw(st.sampled_from(["resumed", "closed", "restriction"]))
        else:
            effect = draw(st.sampled_from(["suspended", "closed", "restriction", "other"]))
        stopped = (stopped and effect != "resumed") or effect in ("suspended", "closed")
        out.append(event(day.isoformat(), effect))
    return out


def stopped_on(events: list[Event], day: dt.date) -> bool:
    """Independent of the module: replay the events up to ``day``."""
    state = False
    for e in sorted(events, key=lambda e: e.date):
        if e.date <= day and e.breaks_counts:
            state = e.effect != "resumed"
    return state


@settings(max_examples=300, deadline=None)
@given(
    events=event_sequences(),
    days=st.lists(DAYS, min_size=1, max_size=8, unique=True),
    values=st.lists(st.floats(0, 1e5), min_size=8, max_size=8),
    indicator=st.sampled_from(["workers", "production_usd"]),
    day=DAYS,
)
@example(
    events=[WITHDRAWN, RESUMED],
    days=[dt.date(2012, 12, 31), dt.date(2013, 12, 31)],
    values=[53000.0, 52000.0] + [0.0] * 6,
    indicator="workers",
    day=dt.date(2013, 6, 15),
)
@example(  # a short stoppage inside a year: that year's total is no end point
    events=[event("2010-02-01", "suspended"), event("2010-03-01", "resumed")],
    days=[dt.date(2010, 12, 31), dt.date(2011, 12, 31)],
    values=[1e5, 2e5] + [0.0] * 6,
    indicator="production_usd",
    day=dt.date(2010, 10, 1),
)
def test_interpolation_never_uses_a_pair_that_brackets_an_event(
    events: list[Event], days: list[dt.date], values: list[float], indicator: str, day: dt.date
) -> None:
    if indicator == "workers":
        data = [obs("workers", str(d.year), d, v) for d, v in zip(days, values, strict=False)]
    else:
        years = sorted({d.year for d in days})
        data = [
            obs(indicator, str(y), dt.date(y, 12, 31), v)
            for y, v in zip(years, values, strict=False)
        ]
    a = align(data, indicator, day, events)
    breaking = [e.date for e in events if e.breaks_counts]
    if stopped_on(events, day):
        assert a.method in ("event", "unavailable") and not a.used
        assert a.value == (0.0 if indicator == "workers" else None)
        assert a.events and all(e.date <= day for e in a.events)
    for o in a.used:
        first = dt.date(int(o.period[:4]), 1, 1) if indicator != "workers" else o.as_of
        # every observation used lies wholly in an operating period
        assert not stopped_on(events, first)
        assert not any(first < d <= o.as_of for d in breaking)
    if a.method == "interpolated":
        lo, hi = a.used
        start = dt.date(int(lo.period[:4]), 1, 1) if indicator != "workers" else lo.reference_date
        end = hi.as_of if indicator != "workers" else hi.reference_date
        assert not any(start < d <= end for d in breaking)
        assert min(lo.value, hi.value) - 1e-6 <= (a.value or 0) <= max(lo.value, hi.value) + 1e-6
    if not breaking:
        assert a == align(data, indicator, day)
