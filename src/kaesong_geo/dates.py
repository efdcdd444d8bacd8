"""Epoch dates with their precision, and how a partial date is placed on the calendar.

Imagery epochs are often known only to the month ("April 2004") or the year. An
:class:`EpochDate` keeps the label as given and its precision, and places it on one day for
arithmetic by a fixed, documented rule:

* day precision (``2009-09-07``): that day;
* month precision (``2009-09``): the 15th of the month, so the placement error is at most
  about ±15 days;
* year precision (``2009``): 2 July, the middle of the year (±183 days).

Interval lengths, annual rates and the alignment of economic counts all use the placed day.

Examples
--------
>>> from kaesong_geo.dates import parse_epoch
>>> e = parse_epoch("2004-04")
>>> e.label, e.precision, e.placed.isoformat(), e.half_width_days
('2004-04', 'month', '2004-04-15', 15)
>>> parse_epoch("2009-09-07").placed.isoformat()
'2009-09-07'
>>> parse_epoch("April 2004")
Traceback (most recent call last):
...
ValueError: 'April 2004' is not an epoch date: use YYYY, YYYY-MM or YYYY-MM-DD
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Literal

__all__ = ["DAYS_PER_YEAR", "EpochDate", "Precision", "days_between", "parse_epoch"]

Precision = Literal["day", "month", "year"]

#: Mean Gregorian year in days, used to annualize rates from exact day counts.
DAYS_PER_YEAR = 365.2425

_PATTERN = re.compile(r"^(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?$")


@dataclass(frozen=True, order=True)
class EpochDate:
    """A date known to day, month or year precision.

    Instances sort by their placed day (then label). Two are equal only when all three fields
    are: ``2009-09`` (placed on the 15th) is not ``2009-09-15``. Build them with
    :func:`parse_epoch`.

    Examples
    --------
    >>> parse_epoch("2009-09") == parse_epoch("2009-09-15"), parse_epoch("2009-09").placed
    (False, datetime.date(2009, 9, 15))
    >>> sorted([parse_epoch("2010"), parse_epoch("2009-09-15"), parse_epoch("2009-09")])
    [EpochDate(placed=datetime.date(2009, 9, 15), label='2009-09', precision='month'), \
EpochDate(placed=datetime.date(2009, 9, 15), label='2009-09-15', precision='day'), \
EpochDate(placed=datetime.date(2010, 7, 2), label='2010', precision='year')]

    Attributes
    ----------
    placed : datetime.date
        The day used for arithmetic (see the module docstring for the rule).
    label : str
        The date as written: ``YYYY``, ``YYYY-MM`` or ``YYYY-MM-DD``.
    precision : {'day', 'month', 'year'}
        How precisely the date is known.
    """

    placed: dt.date
    label: str
    precision: Precision

    @property
    def half_width_days(self) -> int:
        """Largest distance in days between the placed day and the true date."""
        return {"day": 0, "month": 15, "year": 183}[self.precision]

    def __str__(self) -> str:
        return self.label


def parse_epoch(text: str | dt.date) -> EpochDate:
    """Parse ``YYYY``, ``YYYY-MM`` or ``YYYY-MM-DD`` into an :class:`EpochDate`.

    Parameters
    ----------
    text : str or datetime.date
        The epoch label. A :class:`datetime.date` is taken at day precision.

    Returns
    -------
    EpochDate

    Raises
    ------
    ValueError
        If the text is not one of the three forms or names an impossible date.

    Examples
    --------
    >>> parse_epoch("2006-01").placed
    datetime.date(2006, 1, 15)
    >>> parse_epoch("2007").placed
    datetime.date(2007, 7, 2)
    >>> parse_epoch("2004-13")
    Traceback (most recent call last):
    ...
    ValueError: '2004-13' is not a valid date: month must be in 1..12
    """
    if isinstance(text, dt.date):
        return EpochDate(text, text.isoformat(), "day")
    label = str(text).strip()
    match = _PATTERN.match(label)
    if not match:
        raise ValueError(f"{text!r} is not an epoch date: use YYYY, YYYY-MM or YYYY-MM-DD")
    year, month, day = (int(g) if g else None for g in match.groups())
    assert year is not None
    try:
        if day is not None:
            return EpochDate(dt.date(year, month or 1, day), label, "day")
        if month is not None:
            return EpochDate(dt.date(year, month, 15), label, "month")
        return EpochDate(dt.date(year, 7, 2), label, "year")
    except ValueError as exc:
        raise ValueError(f"{label!r} is not a valid date: {exc}") from None


def days_between(start: EpochDate | dt.date, end: EpochDate | dt.date) -> int:
    """Exact number of days from ``start`` to ``end`` using placed days.

    Examples
    --------
    >>> days_between(parse_epoch("2004-04"), parse_epoch("2006-01"))
    640
    """
    a = start.placed if isinstance(start, EpochDate) else start
    b = end.placed if isinstance(end, EpochDate) else end
    return (b - a).days
