"""Several sites side by side: area, growth and density per epoch, and a summary per site.

:func:`compare_sites` takes finished :class:`~kaesong_geo.report.GrowthReport` objects (one per
site) and lines up, for each site and epoch, the area, the growth and compound annual rate from
the site's previous epoch, the years since the site's first epoch and the workers per hectare
where counts exist; and for each site its whole span (first and last epoch, total growth, compound
annual rate). Pure: no files, no printing. The numbers are those of each site's own report (same
areas, same day counts, same rate formula).

Examples
--------
>>> from kaesong_geo.report import growth_report
>>> comparison = compare_sites([growth_report()])
>>> s = comparison.summaries[0]
>>> s.first_epoch, s.last_epoch, s.total_growth_pct > 0
('2004-04', '2009-09', True)
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from kaesong_geo.dates import DAYS_PER_YEAR, days_between
from kaesong_geo.economy import per_area
from kaesong_geo.growth import annual_rate_pct

if TYPE_CHECKING:
    from kaesong_geo.report import GrowthReport

__all__ = ["Comparison", "SiteEpoch", "SiteSummary", "compare_sites"]


@dataclass(frozen=True)
class SiteEpoch:
    """One site at one epoch (growth and rate from that site's previous epoch)."""

    site: str
    epoch: str
    date: str
    years: float
    area_m2: float
    growth_m2: float | None
    growth_pct: float | None
    annual_rate_pct: float | None
    workers_per_ha: float | None


@dataclass(frozen=True)
class SiteSummary:
    """One site over its whole span, first to last epoch."""

    site: str
    first_epoch: str
    last_epoch: str
    years: float
    first_area_m2: float
    last_area_m2: float
    total_growth_pct: float | None
    annual_rate_pct: float | None


@dataclass(frozen=True)
class Comparison:
    """Rows per site and epoch, and one summary per site, in the order the sites were given."""

    rows: tuple[SiteEpoch, ...]
    summaries: tuple[SiteSummary, ...]

    def to_dict(self) -> dict[str, Any]:
        """The comparison as JSON-ready data (areas in m² and km², rounded as in the reports)."""
        return {
            "epochs": [
                {
                    "site": r.site,
                    "epoch": r.epoch,
                    "date": r.date,
                    "years_since_first": round(r.years, 4),
                    "area_m2": round(r.area_m2, 1),
                    "area_km2": round(r.area_m2 / 1e6, 6),
                    "growth_m2": _round(r.growth_m2, 1),
                    "growth_pct": _round(r.growth_pct, 3),
                    "annual_rate_pct": _round(r.annual_rate_pct, 3),
                    "workers_per_ha": _round(r.workers_per_ha, 3),
                }
                for r in self.rows
            ],
            "sites": [
                {
                    "site": s.site,
                    "first_epoch": s.first_epoch,
                    "last_epoch": s.last_epoch,
                    "years": round(s.years, 4),
                    "first_area_km2": round(s.first_area_m2 / 1e6, 6),
                    "last_area_km2": round(s.last_area_m2 / 1e6, 6),
                    "total_growth_pct": _round(s.total_growth_pct, 3),
                    "annual_rate_pct": _round(s.annual_rate_pct, 3),
                }
                for s in self.summaries
            ],
        }


def _round(x: float | None, digits: int) -> float | None:
    return None if x is None else round(x, digits)


def compare_sites(reports: Sequence[GrowthReport]) -> Comparison:
    """Line up the sites of ``reports`` epoch by epoch.

    Parameters
    ----------
    reports : sequence of GrowthReport
        One report per site, each with at least one epoch; site names must differ.

    Returns
    -------
    Comparison

    Raises
    ------
    ValueError
        No reports, a report without epochs, or two reports of the same site name.

    Examples
    --------
    >>> compare_sites([])
    Traceback (most recent call last):
    ...
    ValueError: no sites to compare
    """
    if not reports:
        raise ValueError("no sites to compare")
    names = [r.site.name for r in reports]
    twice = sorted({n for n in names if names.count(n) > 1})
    if twice:
        raise ValueError(f"two sites are named {twice[0]!r}")
    rows: list[SiteEpoch] = []
    summaries: list[SiteSummary] = []
    for report in reports:
        if not report.epochs:
            raise ValueError(f"{report.site.name}: no epochs to compare")
        first = report.epochs[0]
        previous = None
        for r in report.epochs:
            area = r.measure.area_m2
            growth = pct = rate = None
            if previous is not None:
                before = previous.measure.area_m2
                growth = area - before
                pct = 100.0 * growth / before if before > 0 else None
                rate = annual_rate_pct(
                    before, area, days_between(previous.epoch.date, r.epoch.date)
                )
            rows.append(
                SiteEpoch(
                    site=report.site.name,
                    epoch=r.label,
                    date=r.epoch.date.placed.isoformat(),
                    years=days_between(first.epoch.date, r.epoch.date) / DAYS_PER_YEAR,
                    area_m2=area,
                    growth_m2=growth,
                    growth_pct=pct,
                    annual_rate_pct=rate,
                    workers_per_ha=per_area(r.value("workers"), area, 1e4),
                )
            )
            previous = r
        last = report.epochs[-1]
        start, end = first.measure.area_m2, last.measure.area_m2
        days = days_between(first.epoch.date, last.epoch.date)
        summaries.append(
            SiteSummary(
                site=report.site.name,
                first_epoch=first.label,
                last_epoch=last.label,
                years=days / DAYS_PER_YEAR,
                first_area_m2=start,
                last_area_m2=end,
                total_growth_pct=(
                    100.0 * (end - start) / start if start > 0 and last is not first else None
                ),
                annual_rate_pct=annual_rate_pct(start, end, days),
            )
        )
    return Comparison(tuple(rows), tuple(summaries))
