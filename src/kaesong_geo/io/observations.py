"""Read the economic observations (``economy/observations.csv``).

The file is tidy: one published figure per row, with its source.

=============  ===========================================================================
column         meaning
=============  ===========================================================================
indicator      ``firms`` (operating), ``workers`` (North Korean employees), ``production_usd``
               or ``trade_usd``
period         ``YYYY`` or ``YYYY-MM``: the year or month the figure describes
as_of          ``YYYY-MM-DD``: for counts, the day they refer to (year-end unless the source
               names a month); for flows, the last day of the period. Empty: period end
value          a non-negative number, in ``unit``
unit           ``count``, ``persons`` or ``USD`` (must match the indicator)
status         ``reported``, ``approximate`` (source says "about"), ``unverified`` (not found
               in a primary or news source) or ``derived`` (inferred from a dated fact, e.g.
               no firm operated before the first plant opened)
source         where it was published; required
note           free text
=============  ===========================================================================

Examples
--------
>>> from kaesong_geo.io.datadir import bundled_data_dir
>>> obs = load_observations(bundled_data_dir())
>>> [o.value for o in obs if o.indicator == "production_usd" and o.period == "2011-03"]
[34720000.0]
"""

from __future__ import annotations

import calendar
import datetime as dt
import math
import os
import re
from pathlib import Path

from kaesong_geo.economy import INDICATORS, STATUSES, Observation
from kaesong_geo.io.problems import Problem, raise_first
from kaesong_geo.io.tables import one_of, parse_rows, read_table, required

__all__ = ["COLUMNS", "OBSERVATIONS_FILE", "inspect_observations", "load_observations"]

#: Path of the file inside a data directory.
OBSERVATIONS_FILE = Path("economy") / "observations.csv"
#: Columns of the file, all required.
COLUMNS = ("indicator", "period", "as_of", "value", "unit", "status", "source", "note")
_PERIOD = re.compile(r"^(\d{4})(?:-(\d{2}))?$")


def _period_end(period: str) -> dt.date:
    match = _PERIOD.match(period)
    if not match:
        raise ValueError(f"period {period!r} is not YYYY or YYYY-MM")
    year = int(match.group(1))
    if match.group(2) is None:
        return dt.date(year, 12, 31)
    month = int(match.group(2))
    if not 1 <= month <= 12:
        raise ValueError(f"period {period!r} has no month {month}")
    return dt.date(year, month, calendar.monthrange(year, month)[1])


def _row(row: dict[str, str]) -> Observation:
    indicator = row["indicator"].strip()
    if indicator not in INDICATORS:
        raise ValueError(f"unknown indicator {indicator!r} (expected {', '.join(INDICATORS)})")
    period = row["period"].strip()
    end = _period_end(period)
    text = row["as_of"].strip()
    try:
        as_of = dt.date.fromisoformat(text) if text else end
    except ValueError:
        raise ValueError(f"as_of {text!r} is not a YYYY-MM-DD date") from None
    raw = row["value"].strip()
    try:
        value = float(raw.replace("_", ""))
    except ValueError:
        raise ValueError(f"value {raw!r} is not a number") from None
    if not math.isfinite(value):
        raise ValueError(f"value {raw!r} is not a finite number")
    if value < 0:
        raise ValueError(f"value {raw} is negative")
    unit = row["unit"].strip()
    if unit != INDICATORS[indicator]:
        raise ValueError(
            f"unit {unit!r} does not fit {indicator} (expected {INDICATORS[indicator]!r})"
        )
    status = one_of(row, "status", STATUSES)
    source = required(row, "source")
    return Observation(indicator, period, as_of, value, unit, status, source, row["note"].strip())


def inspect_observations(
    data_dir: str | os.PathLike[str],
) -> tuple[list[Observation], list[Problem]]:
    """Read the observations, collecting every problem instead of raising.

    Returns
    -------
    observations : list of Observation
        The rows that passed.
    problems : list of Problem
        One per bad row (with its line number), plus header and duplicate problems.
    """
    path = Path(data_dir) / OBSERVATIONS_FILE
    name = str(path)
    if not path.is_file():
        return [], [Problem(name, "is missing (economic observations)")]
    rows, problem = read_table(path, COLUMNS)
    if problem:
        return [], [Problem(name, problem)]
    parsed, messages = parse_rows(
        rows,
        _row,
        key=lambda o: (o.indicator, o.period, o.as_of),
        describe=lambda o: f"{o.indicator}, {o.period}, as of {o.as_of}",
    )
    observations = [obs for obs, _ in parsed]
    problems = [Problem(name, m) for m in messages]
    stocks_at: dict[tuple[str, dt.date], str] = {}
    for obs in observations:
        if obs.indicator in ("firms", "workers"):
            key2 = (obs.indicator, obs.as_of)
            if key2 in stocks_at:
                problems.append(
                    Problem(
                        name,
                        f"two {obs.indicator} counts as of {obs.as_of} "
                        f"(periods {stocks_at[key2]} and {obs.period})",
                    )
                )
            stocks_at[key2] = obs.period
    return observations, problems


def load_observations(data_dir: str | os.PathLike[str]) -> list[Observation]:
    """Read the observations of a data directory; raise on the first problem.

    Raises
    ------
    DataError
        Naming the file, the line and the problem.
    """
    observations, problems = inspect_observations(data_dir)
    raise_first(problems)
    return observations
