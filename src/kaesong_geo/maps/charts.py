r"""Charts of growth beside the economy (matplotlib, headless).

One figure with two panels:

* **left**: footprint area per epoch (bars, with the recorded area uncertainty as error bars,
  none where it is not recorded; hatched where the epoch is estimated) and, on two right-hand
  axes, the published firm and worker counts over time: observed values as filled dots
  joined by lines, the values aligned to each epoch as open symbols (interpolated, never
  extrapolated);
* **right**: area against workers per epoch, labelled, with the same open/filled convention.

Operating events (``economy/events.csv``) within the time axis are marked on the left panel:
a shaded span for each stoppage (suspension or closure, labelled with its events; no
observed line is drawn across any day of it, the documented count of 0 is drawn as a thick
line at 0 along it, and counts aligned inside it are drawn as crosses at 0) and a
dashed line for each event that left operations running (restrictions), labelled at the
bottom. In SVG each mark has an id ``event-YYYY-MM-DD``; the count lines have ids
``workers-observed-K`` (K-th unbroken run), ``workers-stopped-YYYY-MM-DD`` and
``workers-aligned-interpolated`` / ``-event`` (likewise for ``firms``).

A footnote repeats the data-quality flags. PNG or SVG, chosen by file extension.

Examples
--------
>>> png = make_chart(fmt="png")
>>> png[:8] == b"\x89PNG\r\n\x1a\n"
True
"""

from __future__ import annotations

import datetime as dt
import io
import os
import textwrap
from collections.abc import Sequence
from typing import Any, Literal

from kaesong_geo.economy import Event, Observation, Stoppage, stoppages
from kaesong_geo.report import GrowthReport, growth_report
from kaesong_geo.site import Site

__all__ = ["ChartFormat", "chart_bytes", "draws_counts", "make_chart"]

ChartFormat = Literal["png", "svg"]
_AREA = "#3b528b"
_FIRMS = "#d95f02"
_WORKERS = "#1b9e77"
_STOP = "#b2182b"
_EVENT = "#555555"


def _num(d: dt.date) -> float:
    import matplotlib.dates as mdates

    return float(mdates.date2num(d))  # type: ignore[no-untyped-call]


def _crosses(first: dt.date, last: dt.date, stop: Stoppage) -> bool:
    """Whether the days ``[first, last]`` meet the stoppage ``[start, end)``."""
    return stop.start <= last and (stop.end is None or first < stop.end)


def _runs(obs: list[Observation], stops: list[Stoppage]) -> list[list[Observation]]:
    """Observations (sorted by day) split so that no segment's time span meets a stoppage.

    A line from one observation to the next would say that the complex kept operating in
    between; it is drawn only when no day between them (both included) is in a stoppage.

    Examples
    --------
    >>> def o(day):
    ...     return Observation("workers", day[:4], dt.date.fromisoformat(day), 1, "persons",
    ...                        "reported", "s")
    >>> stop = Stoppage(dt.date(2013, 4, 8), dt.date(2013, 9, 16), ())
    >>> days = ["2012-12-31", "2013-12-31", "2014-12-31"]
    >>> [[r.as_of.year for r in run] for run in _runs([o(d) for d in days], [stop])]
    [[2012], [2013, 2014]]
    >>> inside = ["2013-05-01", "2013-12-31"]  # a point inside a stoppage stands alone
    >>> [[r.as_of.month for r in run] for run in _runs([o(d) for d in inside], [stop])]
    [[5], [12]]
    """
    runs: list[list[Observation]] = []
    for o in obs:
        if runs and not any(_crosses(runs[-1][-1].as_of, o.as_of, s) for s in stops):
            runs[-1].append(o)
        else:
            runs.append([o])
    return runs


def _visible_events(report: GrowthReport, lo: dt.date, hi: dt.date) -> list[Event]:
    """Events on the time axis ``[lo, hi]``, with every event of a stoppage that shows."""
    shown = {e for e in report.events if lo <= e.date <= hi}
    for s in stoppages(report.events):
        if s.start <= hi and (s.end is None or s.end >= lo):
            shown.update(s.events)
    return sorted(shown, key=lambda e: (e.date, report.events.index(e)))


def _event_lines(events: list[Event], total: int) -> list[str]:
    """Footnote lines listing the marked events with their sources."""
    if not events:
        return []
    lines = [f"Operating events marked E1–E{len(events)} (economy/events.csv"]
    for k, e in enumerate(events, 1):
        status = "" if e.status == "reported" else f", {e.status}"
        lines.append(f"  E{k}  {e.date.isoformat()} {e.effect}{status}: {e.event} ({e.source})")
    more = total - len(events)
    lines[0] += f"; {more} more outside the time axis):" if more else "):"
    return lines


def _mark_events(ax: Any, events: list[Event], lo: dt.date, hi: dt.date) -> list[Any]:
    """Shade stoppages, draw other events, tag both E1, E2...; legend handles for them."""
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    number = {e: k for k, e in enumerate(events, 1)}
    trans = ax.get_xaxis_transform()
    handles: list[Any] = []
    placed: dict[str, list[tuple[dt.date, float]]] = {"top": [], "bottom": []}

    def tag(day: dt.date, text: str, row: str, color: str) -> None:
        # Stagger tags that would touch the previous one in their row.
        y = 0.985 if row == "top" else 0.015
        step = -0.055 if row == "top" else 0.055
        for other, other_y in placed[row]:
            if abs((day - other).days) < 240 and abs(other_y - y) < 0.01:
                y += step
        placed[row].append((day, y))
        label = ax.text(
            _num(min(max(day, lo), hi)),
            y,
            text,
            transform=trans,
            ha="center",
            va="top" if row == "top" else "bottom",
            fontsize=7.5,
            fontweight="bold",
            color=color,
            bbox={"facecolor": "white", "alpha": 0.85, "edgecolor": color, "pad": 1.5, "lw": 0.6},
            zorder=6,
        )
        label.set_in_layout(False)

    for s in stoppages(events):
        if not (s.start <= hi and (s.end is None or s.end >= lo)):
            continue
        start, end = max(s.start, lo), min(s.end or hi, hi)
        ax.axvspan(
            _num(start),
            _num(end),
            color=_STOP,
            alpha=0.15,
            lw=0,
            zorder=0.5,
            gid=f"event-{s.start.isoformat()}",
        )
        numbers = [number[e] for e in s.events]
        text = f"E{numbers[0]}" + (f"–E{numbers[-1]}" if len(numbers) > 1 else "")
        tag(start, text, "top", _STOP)
        if not handles:
            handles.append(Patch(color=_STOP, alpha=0.3, label="no operations (counts 0)"))
    points = [e for e in events if not e.breaks_counts]
    for e in points:
        ax.axvline(_num(e.date), color=_EVENT, ls="--", lw=0.8, zorder=0.6, gid=f"event-{e.date}")
        tag(e.date, f"E{number[e]}", "bottom", _EVENT)
    if points:
        handles.append(
            Line2D([], [], color=_EVENT, ls="--", lw=0.8, label="event, operations continue")
        )
    return handles


def _scatter(ax2: Any, report: GrowthReport) -> None:
    """The right panel: area against workers, for the epochs the correlation uses."""
    epochs = report.epochs
    # The points the correlation uses: an epoch whose 0 comes from a stoppage is left out of
    # both (no operations says nothing of how workers scale with area), and named instead.
    stopped = [e.label for e in epochs if e.aligned["workers"].method == "event"]
    for e in epochs:
        workers = e.operating_value("workers")
        if workers is None:
            continue
        verified = e.aligned["workers"].verified
        ax2.errorbar(
            e.measure.area_km2,
            workers,
            xerr=None if e.area_uncertainty_m2 is None else e.area_uncertainty_m2 / 1e6,
            fmt="o",
            ms=9,
            mfc=_WORKERS if verified else "white",
            mec=_WORKERS,
            ecolor="grey",
            capsize=3,
        )
        ax2.annotate(
            e.label + ("*" if not verified else ""),
            (e.measure.area_km2, workers),
            xytext=(6, 6),
            textcoords="offset points",
            fontsize=8,
        )
    if stopped:
        ax2.text(
            0.98,
            0.02,
            f"not shown (no operations, 0 workers):\n{', '.join(stopped)}",
            transform=ax2.transAxes,
            ha="right",
            va="bottom",
            fontsize=7.5,
            color="#7a1f2b",
            gid="workers-not-shown-stopped",
        )
    ax2.set_xlabel("footprint area (km²)")
    ax2.set_ylabel("workers aligned to epoch")
    ax2.set_xlim(left=0)
    ax2.set_ylim(bottom=0)
    ax2.grid(alpha=0.3)
    corr = next((c for c in report.correlations if c.y == "workers"), None)
    if corr is not None and corr.pearson_r is not None:
        note = f"Pearson r = {corr.pearson_r:.2f}, n = {corr.n}"
        note += " (descriptive only)" if corr.descriptive_only else f", p = {corr.pearson_p:.2g}"
        ax2.set_title(f"Area against workers\n{note}", fontsize=10)
    else:
        ax2.set_title("Area against workers")


def _time_axis(report: GrowthReport) -> tuple[dt.date, dt.date]:
    """The chart's time axis: from the year before the first epoch to the year after the last."""
    dates = [e.epoch.date.placed for e in report.epochs]
    last = max(dates) if dates else dt.date(2010, 1, 1)
    first = min(dates) if dates else dt.date(2004, 1, 1)
    return dt.date(first.year - 1, 1, 1), dt.date(last.year + 1, 12, 31)


def draws_counts(report: GrowthReport) -> bool:
    """Whether the chart of ``report`` draws counts: a firm or worker count on its time axis.

    That is, one observed within the time axis or one aligned to an epoch. Without them the
    chart is the areas alone: no empty count axes, no empty scatter, no legend entries for
    data that is not there.
    """
    lo, hi = _time_axis(report)
    indicators = ("workers", "firms")
    return any(
        o.indicator in indicators and lo <= o.as_of <= hi for o in report.observations
    ) or any(e.aligned[i].value is not None for e in report.epochs for i in indicators)


def chart_bytes(report: GrowthReport, fmt: ChartFormat = "png") -> bytes:
    """Render the chart of ``report`` as PNG or SVG bytes."""
    # No pyplot, no backend switch and no rcParams change: a Figure prints itself, and the
    # caller's matplotlib state is left as it was.
    import matplotlib
    import matplotlib.dates as mdates
    from matplotlib.figure import Figure
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    epochs = report.epochs
    dates = [e.epoch.date.placed for e in epochs]
    lo, hi = _time_axis(report)
    events = _visible_events(report, lo, hi)
    has_counts = draws_counts(report)
    footnote = textwrap.wrap(" ".join(n for n in report.notes[:2]), 190 if has_counts else 130)
    footnote += _event_lines(events, len(report.events))
    footnote_in = 0.125 * len(footnote) + 0.05
    height_in = 5.2 + footnote_in
    fig = Figure(figsize=(13 if has_counts else 9, height_in), dpi=110, layout="constrained")
    if has_counts:
        ax, ax2 = fig.subplots(1, 2, width_ratios=[1.6, 1])
    else:
        ax, ax2 = fig.subplots(1, 1), None
    areas = [e.measure.area_km2 for e in epochs]
    # An error bar only where an area uncertainty is recorded: none (not one of zero height,
    # which would claim an exact area) where it is unknown.
    recorded = [e.area_uncertainty_m2 is not None for e in epochs]
    errs = [(e.area_uncertainty_m2 or 0) / 1e6 for e in epochs]
    x = [_num(d) for d in dates]
    bars = ax.bar(
        x,
        areas,
        width=120,
        color=_AREA,
        alpha=0.75,
        zorder=2,
        label="footprint area (km²)",
    )
    if any(recorded):  # in SVG: one path per bar in the group "area-uncertainty"
        _, caps, (lines,) = ax.errorbar(
            [xi for xi, r in zip(x, recorded, strict=True) if r],
            [a for a, r in zip(areas, recorded, strict=True) if r],
            yerr=[err for err, r in zip(errs, recorded, strict=True) if r],
            fmt="none",
            ecolor="black",
            capsize=4,
            zorder=2,
        )
        lines.set_gid("area-uncertainty")
        for k, cap in enumerate(caps):
            cap.set_gid(f"area-uncertainty-caps-{k}")
    for bar, e, err in zip(bars, epochs, errs, strict=True):
        if e.epoch.estimated:
            bar.set_hatch("//")
            bar.set_facecolor("white")
            bar.set_edgecolor(_AREA)
        label = e.label + (" (estimated)" if e.epoch.estimated else "")
        ax.annotate(
            f"{label}\n{e.measure.area_km2:.2f} km²",
            (bar.get_x() + bar.get_width() / 2, bar.get_height() + err),
            xytext=(0, 6),
            textcoords="offset points",
            ha="center",
            fontsize=8,
        )
    ax.set_ylabel("footprint area (km², geodesic)")
    ax.set_ylim(0, max([a + e for a, e in zip(areas, errs, strict=True)] + [0.1]) * 1.3)
    ax.xaxis.set_major_locator(mdates.YearLocator())  # type: ignore[no-untyped-call]
    ax.xaxis.set_major_formatter(mdates.DateFormatter("%Y"))  # type: ignore[no-untyped-call]
    ax.grid(axis="y", alpha=0.3)

    stops = stoppages(report.events)
    count_axes = []
    if has_counts:
        workers_ax = ax.twinx()
        firms_ax = ax.twinx()
        firms_ax.spines["right"].set_position(("axes", 1.15))
        count_axes = [("workers", workers_ax, _WORKERS), ("firms", firms_ax, _FIRMS)]
    any_unverified = False
    for indicator, axis, color in count_axes:
        obs = sorted(
            (o for o in report.observations if o.indicator == indicator and lo <= o.as_of <= hi),
            key=lambda o: o.as_of,
        )
        for k, run in enumerate(_runs(obs, stops)):
            axis.plot(
                [_num(o.as_of) for o in run],
                [o.value for o in run],
                "-o",
                color=color,
                ms=4,
                lw=1.2,
                zorder=3,
                gid=f"{indicator}-observed-{k}",
            )
        # The documented state inside a stoppage: 0 present / operating (economy.align).
        for s in stops:
            if not (s.start <= hi and (s.end is None or s.end > lo)):
                continue
            end = min(s.end - dt.timedelta(days=1), hi) if s.end else hi
            axis.plot(
                [_num(max(s.start, lo)), _num(end)],
                [0, 0],
                color=color,
                lw=3,
                ls="-" if indicator == "workers" else (0, (3, 3)),
                solid_capstyle="butt",
                zorder=4,
                clip_on=False,
                gid=f"{indicator}-stopped-{s.start.isoformat()}",
            )
        if obs:
            unverified = [o for o in obs if o.status != "reported"]
            any_unverified = any_unverified or bool(unverified)
            axis.plot(
                [_num(o.as_of) for o in unverified],
                [o.value for o in unverified],
                "o",
                mfc="white",
                mec=color,
                ms=6,
                zorder=4,
            )
        aligned = [
            (e.epoch.date.placed, e.aligned[indicator])
            for e in epochs
            if e.aligned[indicator].value is not None
        ]
        for from_event, marker in ((False, "D"), (True, "X")):
            chosen = [(d, a) for d, a in aligned if (a.method == "event") is from_event]
            if not chosen:
                continue
            axis.plot(
                [_num(d) for d, _ in chosen],
                [a.value for _, a in chosen],
                marker,
                ls="",
                gid=f"{indicator}-aligned-{'event' if from_event else 'interpolated'}",
                mfc="none" if marker == "D" else color,
                mec=color,
                mew=1.8,
                ms=9,
                zorder=5,
                clip_on=False,
            )
        axis.set_ylabel(f"{indicator} (published counts)", color=color)
        axis.tick_params(axis="y", colors=color)
        top = max(
            [o.value for o in obs] + [a.value for _, a in aligned if a.value is not None] + [1.0]
        )
        axis.set_ylim(0, top * 1.6)
    ax.set_xlim(_num(lo), _num(hi))
    event_handles = _mark_events(ax, events, lo, hi)
    for d in dates:
        ax.axvline(_num(d), color="grey", lw=0.6, ls=":", zorder=1)
    ax.set_title(
        f"{report.site.short_name or report.site.name}: footprint area per imagery epoch"
        + (", beside firms and workers" if has_counts else "")
    )
    area_label = "footprint area" + (
        " (error bar: recorded uncertainty)" if any(recorded) else "; area uncertainty not recorded"
    )
    handles: list[Any] = [Patch(color=_AREA, alpha=0.75, label=area_label)]
    if any(e.epoch.estimated for e in epochs):
        handles.append(
            Patch(facecolor="white", edgecolor=_AREA, hatch="//", label="estimated epoch")
        )
    count_handles = [
        Line2D([], [], color=_WORKERS, marker="o", ms=4, label="workers, observed"),
        Line2D([], [], color=_FIRMS, marker="o", ms=4, label="firms, observed"),
        Line2D(
            [],
            [],
            ls="",
            marker="D",
            mfc="none",
            mec="black",
            mew=1.8,
            ms=8,
            label="aligned to epoch (interpolated)",
        ),
    ]
    if any_unverified:  # only where such an observation is drawn
        count_handles.insert(
            2,
            Line2D(
                [],
                [],
                ls="",
                marker="o",
                mfc="white",
                mec="black",
                label="observed but unverified / approximate / derived",
            ),
        )
    if has_counts:
        handles += count_handles
    if has_counts and any(s.start <= hi and (s.end is None or s.end > lo) for s in stops):
        handles.append(
            Line2D(
                [], [], color=_WORKERS, lw=3, label="workers, firms: 0 in a stoppage (documented)"
            )
        )
    if any(a.method == "event" for e in epochs for a in e.aligned.values()):
        handles.append(
            Line2D([], [], ls="", marker="X", color="black", ms=8, label="0 from an event")
        )
    handles += event_handles
    # Below the panel, so that it never hides a bar, a label or an event.
    ax.legend(
        handles=handles,
        loc="upper center",
        bbox_to_anchor=(0.5, -0.07),
        ncols=3,
        fontsize=7.5,
        framealpha=0.9,
    )

    if ax2 is not None:
        _scatter(ax2, report)
    fig.text(
        0.005,
        0.002,
        "\n".join(footnote),
        fontsize=7,
        va="bottom",
        ha="left",
        color="#444",
    )
    fig.set_layout_engine(
        "constrained", rect=(0, footnote_in / height_in, 1, 1 - footnote_in / height_in)
    )
    buf = io.BytesIO()
    if fmt == "svg":
        with matplotlib.rc_context({"svg.hashsalt": "kaesong-geo"}):  # stable ids, restored
            fig.savefig(buf, format="svg", metadata={"Date": None})
    else:
        fig.savefig(buf, format="png", metadata={"Software": None})
    return buf.getvalue()


def make_chart(
    data_dir: str | os.PathLike[str] | None = None,
    epochs: Sequence[str] | None = None,
    *,
    fmt: ChartFormat = "png",
    site: Site | None = None,
) -> bytes:
    """The chart of a data directory as PNG or SVG bytes (see the module docstring).

    ``site`` defaults to the data directory's ``site.toml`` (see
    :func:`~kaesong_geo.report.growth_report`).
    """
    return chart_bytes(growth_report(data_dir, epochs, site=site), fmt)
