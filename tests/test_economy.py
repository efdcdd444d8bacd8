from __future__ import annotations

import datetime as dt

import pytest
from scipy import stats

from kaesong_geo.economy import Observation, align, correlate, elasticity, per_area


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
    assert c.pearson_p == pytest.approx(ref.pvalue)
    assert c.spearman_rho == pytest.approx(stats.spearmanr(x, y).statistic)
    lo, hi = c.pearson_ci95  # type: ignore[misc]
    assert lo < c.pearson_r < hi
    ci = ref.confidence_interval(0.95)
    assert (lo, hi) == pytest.approx((ci.low, ci.high), abs=1e-6)


def test_spearman_handles_ties_like_scipy() -> None:
    x = [1.0, 2.0, 2.0, 3.0, 5.0]
    y = [3.0, 1.0, 4.0, 4.0, 9.0]
    assert correlate(x, y).spearman_rho == pytest.approx(stats.spearmanr(x, y).statistic)


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
