"""Economic counts beside the footprint: alignment to epoch dates, intensities, correlation.

Pure statistics: observations in, numbers out; no files.

Alignment rule
--------------
Counts are observed at other dates than the images. :func:`align` places them on an epoch's
placed day (see :mod:`kaesong_geo.dates`) as follows, and reports which observations it used:

* **stocks** (``firms``, ``workers``): each observation refers to its ``as_of`` day. An
  observation on the epoch's day is used as is (``observed``); otherwise the value is
  linearly interpolated in time between the last observation before and the first after
  (``interpolated``). Outside the observed range nothing is returned (``unavailable``):
  there is never any extrapolation.
* **flows** (``production_usd``, ``trade_usd``): only calendar-year totals are used, each
  placed on 2 July of its year (mid-year), and the rate in US$ per year is interpolated
  between them by the same rule. Monthly figures are kept for reference but not aligned.

A value computed from an observation whose status is ``unverified``, ``approximate`` or
``derived`` carries that status along (:attr:`Aligned.statuses`).

Correlation
-----------
:func:`correlate` gives Pearson's r and Spearman's rho with n. With fewer than
:data:`MIN_N_INFERENCE` pairs the result is *descriptive only*: no p-value and no confidence
interval is computed, because with three or four epochs (and counts that are themselves
interpolated) any significance claim would be meaningless.

Examples
--------
>>> import datetime as dt
>>> obs = [
...     Observation("workers", "2005", dt.date(2005, 12, 31), 6013, "persons", "reported", "MOU"),
...     Observation("workers", "2006", dt.date(2006, 12, 31), 11160, "persons", "unverified", "NK"),
... ]
>>> a = align(obs, "workers", dt.date(2006, 1, 15))
>>> a.method, round(a.value), sorted(a.statuses)
('interpolated', 6225, ['reported', 'unverified'])
>>> align(obs, "workers", dt.date(2004, 4, 15)).reason
'before the first observation (2005-12-31); no extrapolation'
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Literal

import numpy as np

__all__ = [
    "FLOWS",
    "INDICATORS",
    "MIN_N_INFERENCE",
    "STATUSES",
    "STOCKS",
    "Aligned",
    "Correlation",
    "Observation",
    "align",
    "correlate",
    "elasticity",
    "per_area",
]

Status = Literal["reported", "approximate", "unverified", "derived"]
STATUSES: tuple[Status, ...] = ("reported", "approximate", "unverified", "derived")

#: Indicators counted at a point in time.
STOCKS = ("firms", "workers")
#: Indicators summed over a period (US$).
FLOWS = ("production_usd", "trade_usd")
#: Every known indicator with its unit.
INDICATORS: dict[str, str] = {
    "firms": "count",
    "workers": "persons",
    "production_usd": "USD",
    "trade_usd": "USD",
}
#: Fewest pairs for which p-values and confidence intervals are reported.
MIN_N_INFERENCE = 5
_Z95 = 1.959963984540054


@dataclass(frozen=True)
class Observation:
    """One published figure.

    Attributes
    ----------
    indicator : str
        ``firms``, ``workers``, ``production_usd`` or ``trade_usd``.
    period : str
        The reference period, ``YYYY`` or ``YYYY-MM``.
    as_of : datetime.date
        For stocks, the day the count refers to; for flows, the last day of the period.
    value : float
    unit : str
    status : {'reported', 'approximate', 'unverified', 'derived'}
    source : str
    note : str
    """

    indicator: str
    period: str
    as_of: dt.date
    value: float
    unit: str
    status: Status
    source: str
    note: str = ""

    @property
    def is_annual(self) -> bool:
        """Whether the period is a calendar year."""
        return len(self.period) == 4

    @property
    def reference_date(self) -> dt.date:
        """The day used for alignment (``as_of`` for stocks, 2 July for annual flows)."""
        if self.indicator in FLOWS and self.is_annual:
            return dt.date(int(self.period), 7, 2)
        return self.as_of


@dataclass(frozen=True)
class Aligned:
    """A count placed on an epoch's date.

    Attributes
    ----------
    indicator : str
    date : datetime.date
    value : float or None
        ``None`` when unavailable. Flows are in US$ per year.
    method : {'observed', 'interpolated', 'unavailable'}
    used : tuple of Observation
        The observations the value comes from.
    weights : tuple of float
        Their interpolation weights (summing to 1).
    reason : str
        Why the value is unavailable, or empty.
    """

    indicator: str
    date: dt.date
    value: float | None
    method: Literal["observed", "interpolated", "unavailable"]
    used: tuple[Observation, ...] = ()
    weights: tuple[float, ...] = ()
    reason: str = ""

    @property
    def statuses(self) -> frozenset[str]:
        """Statuses of the observations used."""
        return frozenset(o.status for o in self.used)

    @property
    def verified(self) -> bool:
        """True when every observation used is ``reported``."""
        return self.statuses <= {"reported"}


def align(observations: Iterable[Observation], indicator: str, date: dt.date) -> Aligned:
    """Place ``indicator`` on ``date`` by the module's alignment rule.

    Parameters
    ----------
    observations : iterable of Observation
        May hold every indicator; others are ignored.
    indicator : str
    date : datetime.date

    Returns
    -------
    Aligned

    Examples
    --------
    >>> import datetime as dt
    >>> def usd(year, value):
    ...     end = dt.date(year, 12, 31)
    ...     return Observation("production_usd", str(year), end, value, "USD", "reported", "MOU")
    >>> obs = [usd(2005, 14.91e6), usd(2006, 73.74e6)]
    >>> a = align(obs, "production_usd", dt.date(2006, 7, 2))
    >>> a.method, a.value
    ('observed', 73740000.0)
    >>> align([], "firms", dt.date(2006, 1, 1)).reason
    'no observations'
    """
    usable = sorted(
        (
            o
            for o in observations
            if o.indicator == indicator and (indicator not in FLOWS or o.is_annual)
        ),
        key=lambda o: o.reference_date,
    )
    if not usable:
        return Aligned(indicator, date, None, "unavailable", reason="no observations")
    for o in usable:
        if o.reference_date == date:
            return Aligned(indicator, date, o.value, "observed", (o,), (1.0,))
    before = [o for o in usable if o.reference_date < date]
    after = [o for o in usable if o.reference_date > date]
    if not before:
        first = usable[0].reference_date.isoformat()
        return Aligned(
            indicator,
            date,
            None,
            "unavailable",
            reason=f"before the first observation ({first}); no extrapolation",
        )
    if not after:
        last = usable[-1].reference_date.isoformat()
        return Aligned(
            indicator,
            date,
            None,
            "unavailable",
            reason=f"after the last observation ({last}); no extrapolation",
        )
    lo, hi = before[-1], after[0]
    span = (hi.reference_date - lo.reference_date).days
    w_hi = (date - lo.reference_date).days / span
    value = lo.value * (1.0 - w_hi) + hi.value * w_hi
    return Aligned(indicator, date, value, "interpolated", (lo, hi), (1.0 - w_hi, w_hi))


def per_area(value: float | None, area_m2: float, unit_m2: float) -> float | None:
    """``value`` per area unit (1e4 for hectares, 1e6 for km²); ``None`` where undefined.

    Examples
    --------
    >>> per_area(46284, 3.3e6, 1e4)
    140.25454545454545
    >>> per_area(None, 3.3e6, 1e4) is None, per_area(5, 0.0, 1e4) is None
    (True, True)
    """
    if value is None or area_m2 <= 0:
        return None
    return value / (area_m2 / unit_m2)


@dataclass(frozen=True)
class Correlation:
    """Association of two series across epochs.

    Attributes
    ----------
    x, y : str
        Names of the two series.
    n : int
        Number of complete pairs.
    pearson_r, spearman_rho : float or None
        ``None`` when undefined (n < 3 or a constant series).
    descriptive_only : bool
        True when ``n < MIN_N_INFERENCE``: no p-values or intervals are given.
    pearson_p, spearman_p : float or None
        Two-sided p-values, only when ``n >= MIN_N_INFERENCE``.
    pearson_ci95 : tuple of float or None
        Fisher-z 95 % interval of r, only when ``n >= MIN_N_INFERENCE``.
    """

    x: str
    y: str
    n: int
    pearson_r: float | None
    spearman_rho: float | None
    descriptive_only: bool
    pearson_p: float | None = None
    spearman_p: float | None = None
    pearson_ci95: tuple[float, float] | None = field(default=None)


def _ranks(values: np.ndarray) -> np.ndarray:
    """Average ranks (1-based), ties sharing the mean of their positions."""
    order = np.argsort(values, kind="mergesort")
    ranks = np.empty(len(values), dtype=float)
    ranks[order] = np.arange(1, len(values) + 1, dtype=float)
    for v in np.unique(values):
        tied = values == v
        if tied.sum() > 1:
            ranks[tied] = ranks[tied].mean()
    return ranks


def _pearson(x: np.ndarray, y: np.ndarray) -> float | None:
    if len(x) < 3 or np.ptp(x) == 0 or np.ptp(y) == 0:
        return None
    r = float(np.corrcoef(x, y)[0, 1])
    return max(-1.0, min(1.0, r))


def correlate(
    x: Sequence[float | None], y: Sequence[float | None], names: tuple[str, str] = ("x", "y")
) -> Correlation:
    """Pearson and Spearman correlation of two series, with honest small-sample handling.

    Pairs where either value is ``None`` are dropped. p-values (from SciPy) and a Fisher-z
    interval are computed only when at least :data:`MIN_N_INFERENCE` pairs remain.

    Examples
    --------
    >>> c = correlate([0.09, 1.74, 3.30], [0, 19, 112], ("area_m2", "firms"))
    >>> c.n, round(c.pearson_r, 3), c.spearman_rho, c.descriptive_only, c.pearson_p
    (3, 0.928, 1.0, True, None)
    >>> correlate([1, 2], [3, 4]).pearson_r is None
    True
    """
    pairs = [(a, b) for a, b in zip(x, y, strict=True) if a is not None and b is not None]
    n = len(pairs)
    xs = np.array([p[0] for p in pairs], dtype=float)
    ys = np.array([p[1] for p in pairs], dtype=float)
    r = _pearson(xs, ys)
    rho = _pearson(_ranks(xs), _ranks(ys)) if n >= 3 else None
    if n < MIN_N_INFERENCE or r is None:
        return Correlation(names[0], names[1], n, r, rho, descriptive_only=True)
    from scipy import stats  # heavy; needed only when inference is allowed

    pearson_p = float(stats.pearsonr(xs, ys).pvalue)
    spearman_p = float(stats.spearmanr(xs, ys).pvalue) if rho is not None else None
    if abs(r) < 1.0:
        z, se = math.atanh(r), 1.0 / math.sqrt(n - 3)
        ci = (math.tanh(z - _Z95 * se), math.tanh(z + _Z95 * se))
    else:
        ci = (r, r)
    return Correlation(names[0], names[1], n, r, rho, False, pearson_p, spearman_p, ci)


def elasticity(
    area_start: float, area_end: float, value_start: float | None, value_end: float | None
) -> float | None:
    """Percent change of a count per percent change of area between two epochs.

    ``None`` when either value is missing, the start value or start area is 0, or the
    area did not change.

    Examples
    --------
    >>> elasticity(1.0, 2.0, 100.0, 250.0)   # +150 % workers for +100 % area
    1.5
    >>> elasticity(1.0, 2.0, 0.0, 250.0) is None
    True
    """
    if value_start is None or value_end is None or value_start == 0:
        return None
    if area_start <= 0 or area_end == area_start:
        return None
    return ((value_end - value_start) / value_start) / ((area_end - area_start) / area_start)
