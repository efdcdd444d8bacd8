"""Read operating events (``economy/events.csv``), the dated changes that break counts.

The file is optional. One dated change per row, with its source:

=========  ================================================================================
column     meaning
=========  ================================================================================
date       ``YYYY-MM-DD``: the first day the effect applies
event      what happened, in a few words; required
effect     ``suspended`` (no worker present, no firm operating from this day),
           ``resumed`` (operations restart), ``closed`` (0 from here on),
           ``restriction`` or ``other`` (operations continue; informational)
status     ``reported``, ``approximate`` (the date is approximate) or ``unverified`` (date or
           scope not confirmed in a primary or news source)
source     where it was published; required
note       free text
=========  ================================================================================

A period without operations starts at a ``suspended`` or ``closed`` row and ends at the next
``resumed`` row; :func:`kaesong_geo.economy.align` never interpolates across one. The reader
checks that the rows make such periods: a ``resumed`` needs an earlier stop, a ``suspended``
cannot come while operations are already stopped, and two rows that stop or resume on the
same day would leave their order unknown.

Examples
--------
>>> from kaesong_geo.io.datadir import bundled_data_dir
>>> events = load_events(bundled_data_dir())
>>> [(e.date.isoformat(), e.effect) for e in events if e.breaks_counts]
[('2013-04-08', 'suspended'), ('2013-09-16', 'resumed'), ('2016-02-10', 'suspended'), \
('2016-02-11', 'closed')]
"""

from __future__ import annotations

import datetime as dt
import os
import re
from pathlib import Path

from kaesong_geo.economy import EFFECTS, EVENT_STATUSES, STOPPING, Event
from kaesong_geo.io.problems import Problem, raise_first
from kaesong_geo.io.tables import one_of, parse_rows, read_table, required

__all__ = ["COLUMNS", "EVENTS_FILE", "inspect_events", "load_events"]

#: Path of the file inside a data directory.
EVENTS_FILE = Path("economy") / "events.csv"
#: Columns of the file, all required.
COLUMNS = ("date", "event", "effect", "status", "source", "note")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def _row(row: dict[str, str]) -> Event:
    text = row["date"].strip()
    try:
        if not _DATE.match(text):
            raise ValueError
        date = dt.date.fromisoformat(text)
    except ValueError:
        raise ValueError(f"date {text!r} is not a YYYY-MM-DD date") from None
    event = required(row, "event", "say what happened")
    effect = one_of(row, "effect", EFFECTS)
    status = one_of(row, "status", EVENT_STATUSES)
    source = required(row, "source")
    return Event(date, event, effect, status, source, row["note"].strip())


def _sequence_problems(name: str, events: list[tuple[Event, int]]) -> list[Problem]:
    """Rows that do not make clean stop/resume periods."""
    problems = []
    stopped: tuple[Event, int] | None = None
    last_day: dict[dt.date, int] = {}
    for e, line in sorted(events, key=lambda pair: (pair[0].date, pair[1])):
        if not e.breaks_counts:
            continue
        if e.date in last_day:
            problems.append(
                Problem(
                    name,
                    f"line {line}: a second event that stops or resumes operations on {e.date} "
                    f"(line {last_day[e.date]}); their order is unknown",
                )
            )
            continue
        last_day[e.date] = line
        if e.effect == "resumed":
            if stopped is None:
                problems.append(
                    Problem(
                        name,
                        f"line {line}: {e.effect} on {e.date}, but no earlier suspended or "
                        "closed event stopped operations",
                    )
                )
            stopped = None
        elif e.effect == "suspended" and stopped is not None:
            problems.append(
                Problem(
                    name,
                    f"line {line}: suspended on {e.date} while operations are already stopped "
                    f"since {stopped[0].date} (line {stopped[1]})",
                )
            )
        elif e.effect in STOPPING and stopped is None:
            stopped = (e, line)
    return problems


def inspect_events(data_dir: str | os.PathLike[str]) -> tuple[list[Event], list[Problem]]:
    """Read the events, collecting every problem instead of raising.

    A missing file is no problem (no events are recorded). A UTF-8 byte-order mark, as
    written by Excel, is accepted.

    Returns
    -------
    events : list of Event
        The rows that passed, in date order.
    problems : list of Problem
        One per bad row (with its line number), plus header, duplicate and sequence problems.
    """
    path = Path(data_dir) / EVENTS_FILE
    name = str(path)
    if not path.exists():
        return [], []
    rows, problem = read_table(path, COLUMNS)
    if problem:
        return [], [Problem(name, problem)]
    good, messages = parse_rows(
        rows, _row, key=lambda e: (e.date, e.event), describe=lambda e: str(e.date)
    )
    problems = [Problem(name, m) for m in messages]
    problems += _sequence_problems(name, good)
    return [e for e, _ in sorted(good, key=lambda pair: (pair[0].date, pair[1]))], problems


def load_events(data_dir: str | os.PathLike[str]) -> list[Event]:
    """Read the events of a data directory (none when the file is absent); raise on a problem.

    Raises
    ------
    DataError
        Naming the file, the line and the problem.

    Examples
    --------
    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as empty:
    ...     load_events(empty)
    []
    """
    events, problems = inspect_events(data_dir)
    raise_first(problems)
    return events
