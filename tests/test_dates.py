from __future__ import annotations

import datetime as dt

import pytest

from kaesong_geo.dates import days_between, parse_epoch


@pytest.mark.parametrize(
    ("text", "placed", "precision", "half"),
    [
        ("2004-04", dt.date(2004, 4, 15), "month", 15),
        ("2009-09-07", dt.date(2009, 9, 7), "day", 0),
        ("2007", dt.date(2007, 7, 2), "year", 183),
        (" 2006-01 ", dt.date(2006, 1, 15), "month", 15),
    ],
)
def test_placement_rule(text: str, placed: dt.date, precision: str, half: int) -> None:
    e = parse_epoch(text)
    assert (e.placed, e.precision, e.half_width_days) == (placed, precision, half)
    assert e.label == text.strip()


@pytest.mark.parametrize(
    "bad", ["April 2004", "2004-4", "2004-13", "2004-02-30", "04-2004", "", "2004/04"]
)
def test_malformed_dates_are_refused(bad: str) -> None:
    with pytest.raises(ValueError, match=r"epoch date|valid date"):
        parse_epoch(bad)


def test_sorting_and_exact_day_counts() -> None:
    dates = [parse_epoch(t) for t in ("2009-09", "2004-04", "2006-01")]
    assert [d.label for d in sorted(dates)] == ["2004-04", "2006-01", "2009-09"]
    assert days_between(parse_epoch("2004-04"), parse_epoch("2009-09")) == 1979
    assert days_between(parse_epoch("2008-02"), parse_epoch("2008-03")) == 29  # leap year


def test_date_objects_are_day_precision() -> None:
    assert parse_epoch(dt.date(2011, 3, 1)).precision == "day"


def test_equality_uses_every_field() -> None:
    """A month and the day it is placed on are different epochs, and hash apart."""
    month, day = parse_epoch("2009-09"), parse_epoch("2009-09-15")
    assert month.placed == day.placed
    assert month != day and len({month, day}) == 2
    assert parse_epoch("2009-09") == month and hash(parse_epoch("2009-09")) == hash(month)
    assert sorted([day, month]) == [month, day]  # same day: then by label
