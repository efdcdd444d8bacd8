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

Operating events
----------------
Counts are broken by dated :class:`Event` s (``economy/events.csv``): the effect
``suspended`` or ``closed`` stops operations from its day, ``resumed`` restarts them;
``restriction`` and ``other`` are informational. :func:`stoppages` turns the events into
periods ``[start, end)`` when nothing operated, and :func:`align` never reaches across one:

* an epoch inside a stoppage gets the documented state: ``firms`` and ``workers`` are 0
  (method ``event``, status ``derived``, the events named); flows are ``unavailable``,
  because an annual rate is not defined inside a stoppage (production stopped);
* elsewhere only observations of the same operating period are used: stocks dated inside
  it, and annual flows whose whole calendar year lies inside it (a total such as 2013's,
  which includes a five-month shutdown, is never an interpolation end point). Where that
  leaves no bracketing pair the value is ``unavailable`` and the reason names the event.

Correlation
-----------
:func:`correlate` gives Pearson's r and Spearman's rho with n. With fewer than
:data:`MIN_N_INFERENCE` pairs the result is *descriptive only*: no p-value and no confidence
interval is computed, because with three or four epochs (and counts that are themselves
interpolated) any significance claim would be meaningless.

From :data:`MIN_N_INFERENCE` pairs on, both p-values are two-sided **permutation** p-values
(:func:`scipy.stats.permutation_test`, pairings; twice the smaller one-sided p, at most 1):
Spearman's on the average ranks (ties share the mean rank), Pearson's on the values. Up to
:data:`EXACT_MAX_N` pairs every one of the n! pairings is enumerated, so the p-value is
exact: a perfect ranking of n = 5 distinct values has p = 2/5! = 0.0167, of n = 8 has
p = 2/8! = 4.96e-5. Above that, :data:`N_RESAMPLES` random pairings with a fixed seed give a
reproducible Monte-Carlo estimate (each one-sided p is (k + 1)/(N_RESAMPLES + 1)), never below
2/(9! + 1) = 5.5e-6. A p-value is therefore never 0: the Student-t and beta approximations
that SciPy's ``spearmanr`` and ``pearsonr`` use return 0.0 for |r| = 1, which is not a
p-value of a finite sample. Pearson's permutation p also assumes no normality of the counts.

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

With an event that stops operations between the two observations:

>>> stop = Event(dt.date(2006, 3, 1), "All workers withdrawn", "suspended", "reported", "MOU")
>>> a = align(obs, "workers", dt.date(2006, 5, 1), events=[stop])
>>> a.method, a.value, a.events == (stop,)
('event', 0.0, True)
>>> a.reason
'0 from the event 2006-03-01 (suspended: All workers withdrawn; MOU), no end recorded'
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Literal

import numpy as np

__all__ = [
    "BREAKING",
    "EFFECTS",
    "EVENT_STATUSES",
    "EXACT_MAX_N",
    "FLOWS",
    "INDICATORS",
    "MIN_N_INFERENCE",
    "N_RESAMPLES",
    "STATUSES",
    "STOCKS",
    "STOPPING",
    "Aligned",
    "Correlation",
    "Event",
    "Observation",
    "Stoppage",
    "align",
    "correlate",
    "elasticity",
    "per_area",
    "stoppages",
]

Status = Literal["reported", "approximate", "unverified", "derived"]
STATUSES: tuple[Status, ...] = ("reported", "approximate", "unverified", "derived")
Effect = Literal["suspended", "resumed", "closed", "restriction", "other"]
#: What an operating event does to the counts, in the order documented in ``events.csv``.
EFFECTS: tuple[Effect, ...] = ("suspended", "resumed", "closed", "restriction", "other")
#: Effects that stop operations (counts are 0 from that day).
STOPPING: tuple[Effect, ...] = ("suspended", "closed")
#: Effects that break an interpolation of counts.
BREAKING: tuple[Effect, ...] = ("suspended", "resumed", "closed")
EventStatus = Literal["reported", "approximate", "unverified"]
#: How well an event is sourced (its date or its scope).
EVENT_STATUSES: tuple[EventStatus, ...] = ("reported", "approximate", "unverified")

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
#: Largest n for which p-values enumerate all n! pairings (exact); 9! = 362880.
EXACT_MAX_N = 9
#: Random pairings for a Monte-Carlo p-value above :data:`EXACT_MAX_N` (seeded: reproducible).
N_RESAMPLES = math.factorial(EXACT_MAX_N)
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
class Event:
    """A dated change in how the complex operated.

    Attributes
    ----------
    date : datetime.date
        The first day the effect applies.
    event : str
        What happened, in a few words.
    effect : {'suspended', 'resumed', 'closed', 'restriction', 'other'}
        ``suspended`` and ``closed``: no worker present and no firm operating from this day
        (``closed``: with no resumption expected); ``resumed``: operations restart;
        ``restriction`` and ``other``: operations continue (informational).
    status : {'reported', 'approximate', 'unverified'}
    source : str
    note : str

    Examples
    --------
    >>> e = Event(dt.date(2016, 2, 10), "Operations suspended", "suspended", "reported", "MOU")
    >>> e.label, e.breaks_counts
    ('2016-02-10 (suspended: Operations suspended; MOU)', True)
    """

    date: dt.date
    event: str
    effect: Effect
    status: EventStatus
    source: str
    note: str = ""

    @property
    def breaks_counts(self) -> bool:
        """Whether counts may not be interpolated across this event."""
        return self.effect in BREAKING

    @property
    def label(self) -> str:
        """The event in one line: date, effect, what happened and the source."""
        return f"{self.date.isoformat()} ({self.effect}: {self.event}; {self.source})"


@dataclass(frozen=True)
class Stoppage:
    """A period with no operations: from ``start`` (included) to ``end`` (excluded).

    Attributes
    ----------
    start : datetime.date
    end : datetime.date or None
        The day operations resumed; ``None`` when no resumption is recorded.
    events : tuple of Event
        The event that stopped operations, any further stopping events (a suspension
        followed by a closure) and the resumption, in date order.
    """

    start: dt.date
    end: dt.date | None
    events: tuple[Event, ...]

    def __contains__(self, day: object) -> bool:
        if not isinstance(day, dt.date):
            return False
        return self.start <= day and (self.end is None or day < self.end)

    def events_until(self, day: dt.date) -> tuple[Event, ...]:
        """The events of this stoppage that happened on or before ``day``."""
        return tuple(e for e in self.events if e.date <= day)


def stoppages(events: Iterable[Event]) -> list[Stoppage]:
    """Periods with no operations, from a set of events (in any order).

    A ``suspended`` or ``closed`` event opens a stoppage (or joins the open one); a
    ``resumed`` event ends it. A ``resumed`` with no open stoppage is ignored (the
    events reader reports it). Events of one day apply in the given order.

    Examples
    --------
    >>> def ev(day, effect):
    ...     return Event(dt.date.fromisoformat(day), "x", effect, "reported", "s")
    >>> [(s.start.isoformat(), s.end and s.end.isoformat(), len(s.events)) for s in stoppages([
    ...     ev("2013-04-08", "suspended"), ev("2013-09-16", "resumed"),
    ...     ev("2016-02-10", "suspended"), ev("2016-02-11", "closed"),
    ...     ev("2020-06-16", "other"),
    ... ])]
    [('2013-04-08', '2013-09-16', 2), ('2016-02-10', None, 2)]
    >>> stoppages([])
    []
    """
    result: list[Stoppage] = []
    current: list[Event] = []
    for e in sorted((e for e in events if e.breaks_counts), key=lambda e: e.date):
        if e.effect in STOPPING:
            current.append(e)
        elif current:
            result.append(Stoppage(current[0].date, e.date, (*current, e)))
            current = []
    if current:
        result.append(Stoppage(current[0].date, None, tuple(current)))
    return result


@dataclass(frozen=True)
class Aligned:
    """A count placed on an epoch's date.

    Attributes
    ----------
    indicator : str
    date : datetime.date
    value : float or None
        ``None`` when unavailable. Flows are in US$ per year.
    method : {'observed', 'interpolated', 'event', 'unavailable'}
        ``event``: the documented state during a stoppage (0), derived from :attr:`events`.
    used : tuple of Observation
        The observations the value comes from.
    weights : tuple of float
        Their interpolation weights (summing to 1).
    reason : str
        Why the value is unavailable or comes from an event, or empty.
    events : tuple of Event
        The operating events that decided the value (a stoppage it falls in, or one that
        the interpolation was not allowed to cross), or empty.
    """

    indicator: str
    date: dt.date
    value: float | None
    method: Literal["observed", "interpolated", "event", "unavailable"]
    used: tuple[Observation, ...] = ()
    weights: tuple[float, ...] = ()
    reason: str = ""
    events: tuple[Event, ...] = ()

    @property
    def statuses(self) -> frozenset[str]:
        """Statuses of the observations used.

        A value that comes from an event has ``derived``, plus the events' own statuses
        when not ``reported``.
        """
        found = {o.status for o in self.used}
        if self.method == "event":
            found.add("derived")
            found.update(e.status for e in self.events if e.status != "reported")
        return frozenset(found)

    @property
    def verified(self) -> bool:
        """True when every observation used is ``reported``."""
        return self.statuses <= {"reported"}


def _in_period(o: Observation, start: dt.date | None, end: dt.date | None) -> bool:
    """Whether ``o`` belongs wholly to the operating period ``[start, end)``."""
    if o.indicator in FLOWS:  # an annual total must not include any of a stoppage
        first, last = dt.date(int(o.period[:4]), 1, 1), o.as_of
    else:
        first = last = o.as_of
    return (start is None or first >= start) and (end is None or last < end)


def _event_words(events: Sequence[Event]) -> str:
    labels = [e.label for e in events]
    word = "event" if len(labels) == 1 else "events"
    return f"the {word} {', then '.join(labels)}"


def align(
    observations: Iterable[Observation],
    indicator: str,
    date: dt.date,
    events: Iterable[Event] = (),
) -> Aligned:
    """Place ``indicator`` on ``date`` by the module's alignment rule.

    Parameters
    ----------
    observations : iterable of Observation
        May hold every indicator; others are ignored.
    indicator : str
    date : datetime.date
    events : iterable of Event, optional
        Operating events; the value is never interpolated across one that stops or
        resumes operations (see the module docstring).

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

    A stoppage inside 2006 makes its total unusable as an end point:

    >>> stop = Event(dt.date(2006, 4, 8), "Workers withdrawn", "suspended", "reported", "MOU")
    >>> go = Event(dt.date(2006, 9, 16), "Operations resume", "resumed", "reported", "MOU")
    >>> a = align(obs, "production_usd", dt.date(2006, 1, 15), [stop, go])
    >>> a.method, a.value, [e.effect for e in a.events]
    ('unavailable', None, ['suspended', 'resumed'])
    >>> align(obs, "production_usd", dt.date(2006, 5, 1), [stop, go]).reason.split(";")[0]
    'production stopped from the event 2006-04-08 (suspended: Workers withdrawn'
    """
    usable = sorted(
        (
            o
            for o in observations
            if o.indicator == indicator and (indicator not in FLOWS or o.is_annual)
        ),
        key=lambda o: o.reference_date,
    )
    stops = stoppages(events)
    inside = next((s for s in stops if date in s), None)
    if inside is not None:
        named = inside.events_until(date)
        until = f"until {inside.end.isoformat()}" if inside.end else "no end recorded"
        if indicator in FLOWS:
            return Aligned(
                indicator,
                date,
                None,
                "unavailable",
                reason=f"production stopped from {_event_words(named)}, {until}; an annual "
                "rate is not placed inside a stoppage",
                events=named,
            )
        return Aligned(
            indicator,
            date,
            0.0,
            "event",
            reason=f"0 from {_event_words(named)}, {until}",
            events=named,
        )
    # The operating period around ``date``: after the last stoppage that ended, before the next.
    previous = next((s for s in reversed(stops) if s.end is not None and s.end <= date), None)
    following = next((s for s in stops if s.start > date), None)
    start = previous.end if previous else None
    end = following.start if following else None
    same_side = [o for o in usable if _in_period(o, start, end)]
    if not usable:
        return Aligned(indicator, date, None, "unavailable", reason="no observations")
    for o in same_side:
        if o.reference_date == date:
            return Aligned(indicator, date, o.value, "observed", (o,), (1.0,))
    before = [o for o in same_side if o.reference_date < date]
    after = [o for o in same_side if o.reference_date > date]
    if not before:
        if previous is not None and any(o.reference_date < date for o in usable):
            return Aligned(
                indicator,
                date,
                None,
                "unavailable",
                reason=f"not interpolated across the stoppage of {_event_words(previous.events)}"
                ": no usable observation between the resumption and this date",
                events=previous.events,
            )
        first = usable[0].reference_date.isoformat()
        return Aligned(
            indicator,
            date,
            None,
            "unavailable",
            reason=f"before the first observation ({first}); no extrapolation",
        )
    if not after:
        if following is not None and any(o.reference_date > date for o in usable):
            named = following.events
            return Aligned(
                indicator,
                date,
                None,
                "unavailable",
                reason=f"not interpolated across the stoppage of {_event_words(named)}: "
                f"no usable observation between this date and it (last: "
                f"{before[-1].reference_date.isoformat()})",
                events=named,
            )
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


def _permutation_p(x: np.ndarray, y: np.ndarray) -> float:
    """Two-sided permutation p-value of Pearson's r of ``x`` and ``y`` (see Correlation above).

    Exact (all n! pairings) up to :data:`EXACT_MAX_N` pairs, else a seeded Monte-Carlo
    estimate from :data:`N_RESAMPLES` pairings. Never 0.

    Examples
    --------
    >>> x = np.arange(5.0)
    >>> round(_permutation_p(x, x), 6), round(2 / 120, 6)  # rho = 1, n = 5: 2/5!
    (0.016667, 0.016667)
    """
    from kaesong_geo.deps import require

    stats = require("scipy.stats", "computing p-values")  # heavy; only for inference

    # Only x is permuted (y fixed): n! pairings, not (n!)**2 orderings of both.
    yc = y - y.mean()
    y_norm = math.sqrt(float((yc * yc).sum()))

    def statistic(a: np.ndarray, axis: int = -1) -> np.ndarray:
        a = a - a.mean(axis=axis, keepdims=True)
        return np.asarray((a * yc).sum(axis=axis) / (np.sqrt((a * a).sum(axis=axis)) * y_norm))

    result = stats.permutation_test(
        (x,),
        statistic,
        permutation_type="pairings",
        vectorized=True,
        n_resamples=N_RESAMPLES,
        alternative="two-sided",
        rng=np.random.default_rng(20130408),
    )
    return min(1.0, float(result.pvalue))


def correlate(
    x: Sequence[float | None], y: Sequence[float | None], names: tuple[str, str] = ("x", "y")
) -> Correlation:
    """Pearson and Spearman correlation of two series, with honest small-sample handling.

    Pairs where either value is ``None`` are dropped. Permutation p-values (exact up to
    :data:`EXACT_MAX_N` pairs, never 0; see the module docstring) and a Fisher-z interval
    are computed only when at least :data:`MIN_N_INFERENCE` pairs remain.

    Examples
    --------
    >>> c = correlate([0.09, 1.74, 3.30], [0, 19, 112], ("area_m2", "firms"))
    >>> c.n, round(c.pearson_r, 3), c.spearman_rho, c.descriptive_only, c.pearson_p
    (3, 0.928, 1.0, True, None)
    >>> correlate([1, 2], [3, 4]).pearson_r is None
    True

    A perfect ranking of eight epochs (SciPy's ``spearmanr`` would say p = 0.0):

    >>> c = correlate(range(8), [v**2 for v in range(8)])
    >>> c.spearman_rho, f"{c.spearman_p:.3g}", f"{2 / math.factorial(8):.3g}"
    (1.0, '4.96e-05', '4.96e-05')
    """
    pairs = [(a, b) for a, b in zip(x, y, strict=True) if a is not None and b is not None]
    n = len(pairs)
    xs = np.array([p[0] for p in pairs], dtype=float)
    ys = np.array([p[1] for p in pairs], dtype=float)
    r = _pearson(xs, ys)
    rho = _pearson(_ranks(xs), _ranks(ys)) if n >= 3 else None
    if n < MIN_N_INFERENCE or r is None:
        return Correlation(names[0], names[1], n, r, rho, descriptive_only=True)
    pearson_p = _permutation_p(xs, ys)
    spearman_p = _permutation_p(_ranks(xs), _ranks(ys)) if rho is not None else None
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
