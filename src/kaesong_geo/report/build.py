"""Building the growth report: every epoch measured, intervals compared, the economy aligned.

Its JSON shape is :mod:`kaesong_geo.report.shape`; its notes :mod:`kaesong_geo.report.notes`.
"""

from __future__ import annotations

import itertools
import math
import os
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from kaesong_geo.economy import (
    Aligned,
    Correlation,
    Event,
    Observation,
    align,
    correlate,
    elasticity,
)
from kaesong_geo.errors import GeometryRepairedWarning, PlacemarksSkippedWarning, UsageError
from kaesong_geo.growth import IntervalGrowth, compare
from kaesong_geo.io.datadir import resolve_data_dir
from kaesong_geo.io.footprints import of_epoch
from kaesong_geo.io.imagery import ImageryRecord
from kaesong_geo.io.observations import OBSERVATIONS_FILE
from kaesong_geo.io.problems import raise_first
from kaesong_geo.io.validate import inspect_data_dir
from kaesong_geo.measure import (
    Measure,
    geodesic_area_m2,
    geodesic_areas_m2,
    measure_geometry,
)
from kaesong_geo.model import Epoch
from kaesong_geo.report.notes import report_notes
from kaesong_geo.site import Site

__all__ = [
    "ALIGNED_INDICATORS",
    "EpochResult",
    "GrowthReport",
    "IntervalResult",
    "growth_report",
    "growth_reports",
]

#: Indicators placed on every epoch.
ALIGNED_INDICATORS = ("firms", "workers", "production_usd")


@dataclass(frozen=True)
class EpochResult:
    """One epoch measured and set beside the economy."""

    epoch: Epoch
    measure: Measure
    class_area_m2: dict[str, float]
    area_uncertainty_m2: float | None
    reference_area_m2: float | None
    aligned: dict[str, Aligned]
    imagery: tuple[ImageryRecord, ...] = ()
    #: Geodesic area (m²) of each of the epoch's footprints, in order (measured once).
    footprint_areas_m2: tuple[float, ...] = field(default=(), repr=False)

    def footprint_areas(self) -> list[float]:
        """Geodesic area (m²) of each footprint, in order (measured when not given)."""
        if len(self.footprint_areas_m2) == len(self.epoch.footprints):
            return list(self.footprint_areas_m2)
        return [float(a) for a in geodesic_areas_m2([fp.geometry for fp in self.epoch.footprints])]

    @property
    def label(self) -> str:
        """The epoch label."""
        return self.epoch.label

    def value(self, indicator: str) -> float | None:
        """The aligned value of ``indicator`` (``None`` when unavailable)."""
        return self.aligned[indicator].value if indicator in self.aligned else None

    def operating_value(self, indicator: str) -> float | None:
        """The aligned value while the complex operated, for correlations and elasticities.

        ``None`` when an operating event (suspension, closure) decided it: a stoppage says
        nothing of how counts scale with area.
        """
        a = self.aligned.get(indicator)
        return None if a is None or a.method == "event" else a.value


@dataclass(frozen=True)
class IntervalResult:
    """Growth between two epochs, with elasticities of the counts."""

    growth: IntervalGrowth
    kind: Literal["consecutive", "overall"]
    elasticity_workers: float | None
    elasticity_firms: float | None


@dataclass(frozen=True)
class GrowthReport:
    """Everything ``kaesong-geo growth`` shows; see :func:`growth_report`."""

    data_dir: Path
    site: Site
    epochs: list[EpochResult]
    intervals: list[IntervalResult]
    correlations: list[Correlation]
    observations: list[Observation] = field(repr=False)
    notes: list[str]
    warnings: list[str]
    events: list[Event] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """The report as plain JSON-able data (the documented ``--format json`` contract)."""
        from kaesong_geo.report.shape import report_dict

        return report_dict(self)


def _select(epochs: list[Epoch], wanted: Sequence[str] | None) -> list[Epoch]:
    if not wanted:
        return epochs
    by_label = {e.label: e for e in epochs}
    unknown = [w for w in wanted if w not in by_label]
    if unknown:
        raise UsageError(f"unknown epoch {unknown[0]!r} (available: {', '.join(by_label)})")
    chosen = set(wanted)
    return [e for e in epochs if e.label in chosen]


def _area_uncertainty(epoch: Epoch, areas: Sequence[float]) -> float | None:
    """Combined area uncertainty (m², 1 sigma-like), assuming independent footprints."""
    pcts = [fp.area_uncertainty_pct for fp in epoch.footprints]
    if any(pct is None for pct in pcts):
        return None
    terms = [(a * pct / 100.0) ** 2 for a, pct in zip(areas, pcts, strict=True) if pct is not None]
    return math.sqrt(sum(terms))


def _reference(epoch: Epoch) -> float | None:
    refs = [fp.reference_area_m2 for fp in epoch.footprints]
    if not refs or any(r is None for r in refs):
        return None
    return sum(r for r in refs if r is not None)


def growth_report(
    data_dir: str | os.PathLike[str] | None = None,
    epochs: Sequence[str] | None = None,
    *,
    site: Site | None = None,
) -> GrowthReport:
    """Measure every epoch, compare consecutive epochs and align the economy.

    Parameters
    ----------
    data_dir : path, optional
        Data directory; default ``KAESONG_GEO_DATA`` or the bundled data.
    epochs : sequence of str, optional
        Labels of the epochs to include (default all). At least one.
    site : Site, optional
        Where footprints must lie, and the names and UTM zone used; default: the data
        directory's ``site.toml`` (without one, the Kaesong Industrial Complex, with a note).

    Returns
    -------
    GrowthReport

    Raises
    ------
    DataError
        A data file is unsound (exit code 1 on the command line).
    UsageError
        The data directory does not exist, or an epoch is unknown (exit code 2).
    """
    root = resolve_data_dir(data_dir)
    # The checks of 'kaesong-geo validate', the first error raised (repairs only warn here).
    inspection = inspect_data_dir(root, site)
    problems = inspection.problems
    raise_first(problems)
    site = inspection.site
    all_epochs = inspection.epochs
    report_warnings = []
    for problem in problems:
        if problem.code == "repaired":
            report_warnings.append(str(problem))
            warnings.warn(str(problem), GeometryRepairedWarning, stacklevel=2)
        elif problem.code == "skipped":  # KML pushpins and paths beside polygons
            report_warnings.append(str(problem))
            warnings.warn(str(problem), PlacemarksSkippedWarning, stacklevel=2)
        elif problem.code == "future":
            report_warnings.append(str(problem))
    chosen = _select(all_epochs, epochs)
    has_economy = (root / OBSERVATIONS_FILE).is_file()
    observations = inspection.observations
    events = inspection.events
    catalog = inspection.images

    results = []
    for ep in chosen:
        m = measure_geometry(ep.geometry, site.utm_epsg)
        areas = geodesic_areas_m2([fp.geometry for fp in ep.footprints]).tolist()
        disagreement = m.utm_disagreement()
        if disagreement:
            report_warnings.append(f"epoch {ep.label}: {disagreement}")
        results.append(
            EpochResult(
                epoch=ep,
                footprint_areas_m2=tuple(areas),
                measure=m,
                class_area_m2={c: geodesic_area_m2(g) for c, g in ep.category_geometries().items()},
                area_uncertainty_m2=_area_uncertainty(ep, areas),
                reference_area_m2=_reference(ep),
                aligned={
                    i: align(observations, i, ep.date.placed, events) for i in ALIGNED_INDICATORS
                },
                imagery=tuple(r for r in catalog if of_epoch(r.date, ep.date)),
            )
        )

    pairs = list(itertools.pairwise(results))
    if len(results) > 2:
        pairs.append((results[0], results[-1]))
    intervals = []
    for i, (a, b) in enumerate(pairs):
        g = compare(
            a.epoch.geometry, b.epoch.geometry, a.epoch.date, b.epoch.date, utm_epsg=site.utm_epsg
        )
        intervals.append(
            IntervalResult(
                growth=g,
                kind="overall" if i == len(results) - 1 else "consecutive",
                elasticity_workers=elasticity(
                    a.measure.area_m2,
                    b.measure.area_m2,
                    a.operating_value("workers"),
                    b.operating_value("workers"),
                ),
                elasticity_firms=elasticity(
                    a.measure.area_m2,
                    b.measure.area_m2,
                    a.operating_value("firms"),
                    b.operating_value("firms"),
                ),
            )
        )

    areas = [r.measure.area_m2 for r in results]
    correlations = [
        correlate(areas, [r.operating_value(ind) for r in results], ("area_m2", ind))
        for ind in ("firms", "workers")
    ]
    notes = report_notes(results, has_economy, correlations, site, events)
    return GrowthReport(
        root, site, results, intervals, correlations, observations, notes, report_warnings, events
    )


def growth_reports(
    data_dirs: str | os.PathLike[str] | Sequence[str | os.PathLike[str]] | None = None,
    epochs: Sequence[str] | None = None,
    *,
    site: Site | None = None,
) -> list[GrowthReport]:
    """The report of one data directory, or of each of several sites to set side by side.

    Parameters
    ----------
    data_dirs : path or sequence of paths, optional
        One data directory (default ``KAESONG_GEO_DATA`` or the bundled data), or several,
        one site each.
    epochs : sequence of str, optional
        Epochs to report; one data directory only (epochs are per site).
    site : Site, optional
        One data directory only; default: its ``site.toml``.

    Returns
    -------
    list of GrowthReport
        One per data directory, in order.

    Raises
    ------
    UsageError
        Several directories with ``epochs`` or ``site``, the same folder twice (also through
        a link), or two directories of the same site name.

    Examples
    --------
    >>> [r.site.short_name for r in growth_reports()]
    ['Kaesong']
    """
    if data_dirs is None or isinstance(data_dirs, str | os.PathLike):
        return [growth_report(data_dirs, epochs, site=site)]
    dirs = list(data_dirs)
    if len(dirs) == 1:
        return [growth_report(dirs[0], epochs, site=site)]
    if epochs:
        raise UsageError(
            "--epochs cannot be used with several --data-dir: epochs are per site "
            "(each site's report covers all its epochs)"
        )
    if site is not None:
        raise UsageError("site: with several data directories each reads its own site.toml")
    seen: dict[str, str] = {}
    for d in dirs:
        real = os.path.realpath(resolve_data_dir(d))
        if real in seen:
            raise UsageError(f"--data-dir {seen[real]} and {d} are the same folder ({real})")
        seen[real] = str(d)
    reports = [growth_report(d) for d in dirs]
    named: dict[str, str] = {}
    for d, report in zip(dirs, reports, strict=True):
        name = report.site.name
        if name in named:
            raise UsageError(
                f"--data-dir {named[name]} and {d} are both the site {name!r}: "
                "give each site its own name in site.toml"
            )
        named[name] = str(d)
    return reports
