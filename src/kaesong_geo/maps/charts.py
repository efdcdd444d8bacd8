r"""Charts of growth beside the economy (matplotlib, headless).

One figure with two panels:

* **left**: footprint area per epoch (bars, with the recorded area uncertainty as error bars;
  hatched where the epoch is estimated) and, on two right-hand axes, the published firm and
  worker counts over time: observed values as filled dots joined by lines, the values
  aligned to each epoch as open symbols (interpolated, never extrapolated);
* **right**: area against workers per epoch, labelled, with the same open/filled convention.

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
from typing import Literal

from kaesong_geo.report import GrowthReport, growth_report

__all__ = ["ChartFormat", "chart_bytes", "make_chart"]

ChartFormat = Literal["png", "svg"]
_AREA = "#3b528b"
_FIRMS = "#d95f02"
_WORKERS = "#1b9e77"


def _num(d: dt.date) -> float:
    import matplotlib.dates as mdates

    return float(mdates.date2num(d))  # type: ignore[no-untyped-call]


def chart_bytes(report: GrowthReport, fmt: ChartFormat = "png") -> bytes:
    """Render the chart of ``report`` as PNG or SVG bytes."""
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.dates as mdates
    from matplotlib.figure import Figure
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    fig = Figure(figsize=(13, 5.6), dpi=110, layout="constrained")
    ax, ax2 = fig.subplots(1, 2, width_ratios=[1.6, 1])
    epochs = report.epochs
    dates = [e.epoch.epoch.placed for e in epochs]
    areas = [e.measure.area_km2 for e in epochs]
    errs = [(e.area_uncertainty_m2 or 0) / 1e6 for e in epochs]
    x = [_num(d) for d in dates]
    bars = ax.bar(
        x,
        areas,
        width=120,
        color=_AREA,
        alpha=0.75,
        yerr=errs,
        capsize=4,
        zorder=2,
        label="footprint area (km²)",
    )
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

    workers_ax = ax.twinx()
    firms_ax = ax.twinx()
    firms_ax.spines["right"].set_position(("axes", 1.15))
    last = max(dates) if dates else dt.date(2010, 1, 1)
    first = min(dates) if dates else dt.date(2004, 1, 1)
    lo, hi = dt.date(first.year - 1, 1, 1), dt.date(last.year + 1, 12, 31)
    for indicator, axis, color in (("workers", workers_ax, _WORKERS), ("firms", firms_ax, _FIRMS)):
        obs = sorted(
            (o for o in report.observations if o.indicator == indicator and lo <= o.as_of <= hi),
            key=lambda o: o.as_of,
        )
        if obs:
            axis.plot(
                [_num(o.as_of) for o in obs],
                [o.value for o in obs],
                "-o",
                color=color,
                ms=4,
                lw=1.2,
                zorder=3,
            )
            unverified = [o for o in obs if o.status != "reported"]
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
            (e.epoch.epoch.placed, e.aligned[indicator])
            for e in epochs
            if e.aligned[indicator].value is not None
        ]
        axis.plot(
            [_num(d) for d, _ in aligned],
            [a.value for _, a in aligned],
            "D",
            mfc="none",
            mec=color,
            mew=1.8,
            ms=9,
            zorder=5,
        )
        axis.set_ylabel(f"{indicator} (published counts)", color=color)
        axis.tick_params(axis="y", colors=color)
        top = max(
            [o.value for o in obs] + [a.value for _, a in aligned if a.value is not None] + [1.0]
        )
        axis.set_ylim(0, top * 1.6)
    ax.set_xlim(_num(lo), _num(hi))
    for d in dates:
        ax.axvline(_num(d), color="grey", lw=0.6, ls=":", zorder=1)
    ax.set_title("Footprint area per imagery epoch, beside firms and workers")
    handles = [
        Patch(color=_AREA, alpha=0.75, label="footprint area (error bar: recorded uncertainty)"),
        Patch(facecolor="white", edgecolor=_AREA, hatch="//", label="estimated epoch"),
        Line2D([], [], color=_WORKERS, marker="o", ms=4, label="workers, observed"),
        Line2D([], [], color=_FIRMS, marker="o", ms=4, label="firms, observed"),
        Line2D(
            [],
            [],
            ls="",
            marker="o",
            mfc="white",
            mec="black",
            label="observed but unverified / approximate / derived",
        ),
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
    ax.legend(handles=handles, loc="upper left", fontsize=7.5, framealpha=0.9)

    for e in epochs:
        workers = e.value("workers")
        if workers is None:
            continue
        verified = e.aligned["workers"].verified
        ax2.errorbar(
            e.measure.area_km2,
            workers,
            xerr=(e.area_uncertainty_m2 or 0) / 1e6,
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
    footnote = " ".join(n for n in report.notes[:2])
    fig.text(
        0.005,
        0.002,
        "\n".join(textwrap.wrap(footnote, 190)),
        fontsize=7,
        va="bottom",
        ha="left",
        color="#444",
    )
    fig.set_layout_engine("constrained", rect=(0, 0.07, 1, 0.93))
    buf = io.BytesIO()
    if fmt == "svg":
        matplotlib.rcParams["svg.hashsalt"] = "kaesong-geo"
        fig.savefig(buf, format="svg", metadata={"Date": None})
    else:
        fig.savefig(buf, format="png", metadata={"Software": None})
    return buf.getvalue()


def make_chart(
    data_dir: str | os.PathLike[str] | None = None,
    epochs: Sequence[str] | None = None,
    *,
    fmt: ChartFormat = "png",
) -> bytes:
    """The chart of a data directory as PNG or SVG bytes (see the module docstring)."""
    return chart_bytes(growth_report(data_dir, epochs), fmt)
