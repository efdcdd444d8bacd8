"""The growth report: footprints measured, compared and set beside the economy.

This is the application layer: it reads a data directory through :mod:`kaesong_geo.io` and
computes with the pure modules (:mod:`~kaesong_geo.measure`, :mod:`~kaesong_geo.growth`,
:mod:`~kaesong_geo.economy`). :meth:`GrowthReport.to_dict` is the stable JSON contract
(``schema_version`` 1) that every output format is rendered from.

Examples
--------
>>> report = growth_report()
>>> [round(e.measure.area_km2, 3) for e in report.epochs]
[0.093, 1.745, 3.3]
>>> report.correlations[0].descriptive_only
True
>>> growth_report(epochs=["2007-01"])
Traceback (most recent call last):
...
kaesong_geo.errors.UsageError: unknown epoch '2007-01' (available: 2004-04, 2006-01, 2009-09)
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

from kaesong_geo import __version__
from kaesong_geo.economy import (
    MIN_N_INFERENCE,
    Aligned,
    Correlation,
    Event,
    Observation,
    align,
    correlate,
    elasticity,
    per_area,
    stoppages,
)
from kaesong_geo.errors import GeometryRepairedWarning, UsageError
from kaesong_geo.growth import LEI_BUFFER_M, LEI_INFILL_MIN, IntervalGrowth, compare
from kaesong_geo.io.datadir import resolve_data_dir
from kaesong_geo.io.events import EVENTS_FILE
from kaesong_geo.io.imagery import ImageryRecord
from kaesong_geo.io.observations import OBSERVATIONS_FILE
from kaesong_geo.io.problems import raise_first
from kaesong_geo.io.validate import inspect_data_dir
from kaesong_geo.measure import (
    UTM_TOLERANCE_PCT,
    Measure,
    geodesic_area_m2,
    geodesic_areas_m2,
    measure_geometry,
)
from kaesong_geo.model import Epoch
from kaesong_geo.site import Site
from kaesong_geo.text import plural

__all__ = [
    "ALIGNED_INDICATORS",
    "SCHEMA_VERSION",
    "EpochResult",
    "GrowthReport",
    "IntervalResult",
    "growth_report",
]

#: Version of the JSON contract of :meth:`GrowthReport.to_dict`.
SCHEMA_VERSION = 1
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
        return _to_dict(self)


def _select(epochs: list[Epoch], wanted: Sequence[str] | None) -> list[Epoch]:
    if not wanted:
        return epochs
    by_label = {e.label: e for e in epochs}
    unknown = [w for w in wanted if w not in by_label]
    if unknown:
        raise UsageError(f"unknown epoch {unknown[0]!r} (available: {', '.join(by_label)})")
    chosen = set(wanted)
    return [e for e in epochs if e.label in chosen]


def _area_uncertainty(epoch: Epoch) -> float | None:
    """Combined area uncertainty (m², 1 sigma-like), assuming independent footprints."""
    pcts = [fp.area_uncertainty_pct for fp in epoch.footprints]
    if any(pct is None for pct in pcts):
        return None
    areas = geodesic_areas_m2([fp.geometry for fp in epoch.footprints]).tolist()
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
    chosen = _select(all_epochs, epochs)
    has_economy = (root / OBSERVATIONS_FILE).is_file()
    observations = inspection.observations
    events = inspection.events
    catalog = inspection.images

    results = []
    for ep in chosen:
        m = measure_geometry(ep.geometry, site.utm_epsg)
        if abs(m.utm_diff_pct) > UTM_TOLERANCE_PCT:
            report_warnings.append(
                f"epoch {ep.label}: UTM area differs from the geodesic area by "
                f"{m.utm_diff_pct:+.3f}% (more than {UTM_TOLERANCE_PCT}%)"
            )
        results.append(
            EpochResult(
                epoch=ep,
                measure=m,
                class_area_m2={c: geodesic_area_m2(g) for c, g in ep.category_geometries().items()},
                area_uncertainty_m2=_area_uncertainty(ep),
                reference_area_m2=_reference(ep),
                aligned={
                    i: align(observations, i, ep.date.placed, events) for i in ALIGNED_INDICATORS
                },
                imagery=tuple(r for r in catalog if r.date.label == ep.label),
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
    notes = _notes(results, has_economy, correlations, site)
    if has_economy:
        after = notes.index(_ALIGN_NOTE) + 1
        notes[after:after] = _event_notes(results, events)
    return GrowthReport(
        root, site, results, intervals, correlations, observations, notes, report_warnings, events
    )


_ALIGN_NOTE = (
    "Counts are aligned to each epoch's placed date by linear interpolation between the "
    "bracketing observations (stocks at their as-of day; annual production at mid-year, "
    "as US$/year); never extrapolated, and never across a suspension or closure recorded in "
    f"{EVENTS_FILE}. Values marked * rest on unverified, approximate or derived observations "
    "or on an operating event."
)


def _event_notes(results: list[EpochResult], events: list[Event]) -> list[str]:
    """One note on the operating events, and one per epoch whose counts they decided."""
    if not events:
        return [f"No {EVENTS_FILE} in the data directory: no suspension or closure is known."]
    periods = [
        f"{s.start} until {s.end}" if s.end else f"from {s.start} on" for s in stoppages(events)
    ]
    notes = [
        f"Operating events ({EVENTS_FILE}, {len(events)} with sources) stop the alignment: "
        + (f"no operations {'; '.join(periods)}." if periods else "none stops operations.")
        + " Inside a stoppage workers and firms are 0, derived from the event, and production "
        "is unavailable."
    ]
    for r in results:
        named = dict.fromkeys(e for a in r.aligned.values() for e in a.events)
        if not named:
            continue
        states = ", ".join(
            f"{k} unavailable" if a.value is None else f"{k} {a.value:,.0f} ({a.method})"
            for k, a in r.aligned.items()
            if a.events
        )
        notes.append(f"Epoch {r.label}: {states}, decided by {'; '.join(e.label for e in named)}.")
    if any(a.method == "event" for r in results for a in r.aligned.values()):
        notes[0] += (
            " These 0 counts (no operations, not a smaller complex) are left out of the "
            "correlation and the elasticities."
        )
    return notes


def _site_notes(site: Site) -> tuple[list[str], list[str]]:
    """Where the site comes from, and the documented areas footprints are compared with."""
    notes, documented = [], []
    if site.assumed:
        notes.append(
            f"No site.toml in the data directory: assumed the {site.name} (reference point "
            f"{site.lat:g}, {site.lon:g}; footprints within {site.max_distance_km:g} km)."
        )
    if site.documented_areas:
        listed = "; ".join(
            f"{a.label}: {a.area_m2:,.0f} m² = {a.area_m2 / 1e6:,.3g} km² ({a.source})"
            for a in site.documented_areas
        )
        documented.append(f"Documented areas of the {site.name} (site.toml): {listed}.")
    return notes, documented


def _notes(
    results: list[EpochResult],
    has_economy: bool,
    correlations: list[Correlation],
    site: Site,
) -> list[str]:
    notes, documented = _site_notes(site)
    recon = [r.label for r in results if "reconstructed" in r.epoch.methods]
    if recon:
        worst = max((fp.uncertainty_m or 0) for r in results for fp in r.epoch.footprints)
        notes.append(
            f"Footprints of {', '.join(recon)} are APPROXIMATE RECONSTRUCTIONS: placed at the "
            "documented location and sized from documented areas, not traced from imagery; "
            f"their outlines are schematic (positional uncertainty up to {worst:,.0f} m). "
            "Replace them with tracings of the imagery to measure real growth."
        )
    est = [r.label for r in results if r.epoch.estimated]
    if est:
        notes.append(
            f"ESTIMATED: {', '.join(est)} {'rests' if len(est) == 1 else 'rest'} on no documented "
            "figure (see each footprint's note); growth to and from "
            f"{'it' if len(est) == 1 else 'them'} is an estimate."
        )
    unknown = [r.label for r in results if r.epoch.max_uncertainty_m is None]
    if unknown:
        notes.append(f"No positional uncertainty is recorded for {', '.join(unknown)}.")
    notes += documented
    notes.append(
        "Areas are geodesic on the WGS 84 ellipsoid (pyproj.Geod), cross-checked in UTM "
        f"{site.utm_zone} (EPSG:{site.utm_epsg}); month-precision dates are "
        "placed on the 15th and annual rates use exact day counts."
    )
    if has_economy:
        notes.append(_ALIGN_NOTE)
    else:
        notes.append(f"No {OBSERVATIONS_FILE} in the data directory: counts are not shown.")
    n = max((c.n for c in correlations), default=0)
    if n < MIN_N_INFERENCE:
        notes.append(
            f"Correlation across {plural(n, 'epoch')} is DESCRIPTIVE ONLY: with fewer than "
            f"{MIN_N_INFERENCE} epochs no p-value or interval is meaningful, and the counts "
            "are themselves interpolated."
        )
    notes.append(
        f"Added patches are typed by the landscape expansion index (Liu et al. 2010) with a "
        f"{LEI_BUFFER_M:g} m buffer: infill LEI >= {LEI_INFILL_MIN:g}, extension 0 < LEI < "
        f"{LEI_INFILL_MIN:g}, leapfrog LEI = 0."
    )
    return notes


def _num(x: float | None, digits: int = 6) -> float | None:
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return None
    return round(float(x), digits)


def _counts_verified(r: EpochResult) -> bool | None:
    """True when every count placed on the epoch rests on reported observations only.

    ``None`` when no count could be placed at all: nothing to vouch for (``all`` of nothing
    would say True).
    """
    placed = [a for a in r.aligned.values() if a.used or a.method == "event"]
    return all(a.verified for a in placed) if placed else None


def _sig(x: float | None, digits: int = 4) -> float | None:
    """``x`` to ``digits`` significant digits, for p-values: a small p keeps its size.

    Examples
    --------
    >>> _sig(2 / 40320), _sig(0.0461538), _sig(None) is None
    (4.96e-05, 0.04615, True)
    """
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return None
    return float(f"{float(x):.{digits}g}")


def _event_dict(e: Event) -> dict[str, Any]:
    return {
        "date": e.date.isoformat(),
        "event": e.event,
        "effect": e.effect,
        "status": e.status,
        "source": e.source,
        "note": e.note,
    }


def _aligned_dict(a: Aligned) -> dict[str, Any]:
    return {
        "value": _num(a.value, 3),
        "method": a.method,
        "verified": a.verified if a.used or a.method == "event" else None,
        "reason": a.reason or None,
        "observations": [
            {
                "period": o.period,
                "as_of": o.as_of.isoformat(),
                "reference_date": o.reference_date.isoformat(),
                "value": o.value,
                "status": o.status,
                "source": o.source,
                "weight": round(w, 6),
            }
            for o, w in zip(a.used, a.weights, strict=True)
        ],
        "events": [_event_dict(e) for e in a.events],
    }


def _to_dict(report: GrowthReport) -> dict[str, Any]:
    epochs: list[dict[str, Any]] = []
    previous: EpochResult | None = None
    consecutive = {(i.growth.start.label, i.growth.end.label): i for i in report.intervals}
    for r in report.epochs:
        m = r.measure
        step = consecutive.get((previous.label, r.label)) if previous else None
        workers, firms, prod = r.value("workers"), r.value("firms"), r.value("production_usd")
        epochs.append(
            {
                "epoch": r.label,
                "date": r.epoch.date.placed.isoformat(),
                "date_precision": r.epoch.date.precision,
                "area_m2": _num(m.area_m2, 1),
                "area_km2": _num(m.area_km2, 6),
                "area_ha": _num(m.area_ha, 3),
                "area_utm_m2": _num(m.area_utm_m2, 1),
                "utm_diff_pct": _num(m.utm_diff_pct, 4),
                "perimeter_m": _num(m.perimeter_m, 1),
                "perimeter_utm_m": _num(m.perimeter_utm_m, 1),
                "area_uncertainty_m2": _num(r.area_uncertainty_m2, 1),
                "reference_area_m2": _num(r.reference_area_m2, 1),
                "class_area_m2": {c: _num(a, 1) for c, a in r.class_area_m2.items()},
                "n_polygons": m.n_polygons,
                "n_holes": m.n_holes,
                "polsby_popper": _num(m.polsby_popper, 4),
                "convex_hull_ratio": _num(m.convex_hull_ratio, 4),
                "growth_m2": _num(step.growth.growth_m2, 1) if step else None,
                "growth_pct": _num(step.growth.growth_pct, 3) if step else None,
                "annual_rate_pct": _num(step.growth.annual_rate_pct, 3) if step else None,
                "firms": _num(firms, 3),
                "workers": _num(workers, 3),
                "production_usd_per_year": _num(prod, 0),
                "workers_per_ha": _num(per_area(workers, m.area_m2, 1e4), 3),
                "firms_per_km2": _num(per_area(firms, m.area_m2, 1e6), 3),
                "production_usd_per_ha_year": _num(per_area(prod, m.area_m2, 1e4), 0),
                "aligned": {k: _aligned_dict(a) for k, a in r.aligned.items()},
                "flags": {
                    "estimated": r.epoch.estimated,
                    "methods": list(r.epoch.methods),
                    "uncertainty_m": r.epoch.max_uncertainty_m,
                    "counts_verified": _counts_verified(r),
                },
                "footprints": [
                    {
                        "name": fp.name,
                        "class": fp.category,
                        "method": fp.method,
                        "estimated": fp.estimated,
                        "uncertainty_m": fp.uncertainty_m,
                        "area_uncertainty_pct": fp.area_uncertainty_pct,
                        "reference_area_m2": fp.reference_area_m2,
                        "area_m2": _num(area, 1),
                        "source": fp.source,
                        "note": fp.note,
                        "file": fp.file,
                        "feature": fp.feature,
                    }
                    for fp, area in zip(
                        r.epoch.footprints,
                        geodesic_areas_m2([fp.geometry for fp in r.epoch.footprints]).tolist(),
                        strict=True,
                    )
                ],
                "imagery": [
                    {
                        "date": rec.date.label,
                        "provider": rec.provider,
                        "redistributable": rec.redistributable,
                        "file": rec.file or None,
                        "source": rec.source,
                    }
                    for rec in r.imagery
                ],
            }
        )
        previous = r
    intervals: list[dict[str, Any]] = []
    for i in report.intervals:
        g = i.growth
        intervals.append(
            {
                "start": g.start.label,
                "end": g.end.label,
                "kind": i.kind,
                "days": g.days,
                "start_area_m2": _num(g.start_area_m2, 1),
                "end_area_m2": _num(g.end_area_m2, 1),
                "growth_m2": _num(g.growth_m2, 1),
                "growth_pct": _num(g.growth_pct, 3),
                "annual_rate_pct": _num(g.annual_rate_pct, 3),
                "added_m2": _num(g.added_m2, 1),
                "lost_m2": _num(g.lost_m2, 1),
                "added_by_type_m2": {k: _num(v, 1) for k, v in g.added_by_type_m2().items()},
                "patches": [
                    {"area_m2": _num(p.area_m2, 1), "lei": _num(p.lei, 3), "type": p.growth_type}
                    for p in g.patches
                ],
                "elasticity_workers": _num(i.elasticity_workers, 4),
                "elasticity_firms": _num(i.elasticity_firms, 4),
            }
        )
    corr = report.correlations
    return {
        "schema_version": SCHEMA_VERSION,
        "tool": {"name": "kaesong-geo", "version": __version__},
        "site": {
            "name": report.site.name,
            "lon": report.site.lon,
            "lat": report.site.lat,
            "utm_epsg": report.site.utm_epsg,
            "utm_zone": report.site.utm_zone,
            "short_name": report.site.short_name,
            "radius_km": report.site.max_distance_km,
            "reference_source": report.site.reference_source,
            "site_file": report.site.source_file or None,
            "documented_areas": [
                {"label": a.label, "area_m2": a.area_m2, "source": a.source}
                for a in report.site.documented_areas
            ],
        },
        "data_dir": str(report.data_dir),
        "epochs": epochs,
        "intervals": intervals,
        "correlation": {
            "n": max((c.n for c in corr), default=0),
            "descriptive_only": all(c.descriptive_only for c in corr),
            "min_n_for_inference": MIN_N_INFERENCE,
            "pairs": [
                {
                    "x": c.x,
                    "y": c.y,
                    "n": c.n,
                    "pearson_r": _num(c.pearson_r, 4),
                    "spearman_rho": _num(c.spearman_rho, 4),
                    "pearson_p": _sig(c.pearson_p),
                    "spearman_p": _sig(c.spearman_p),
                    "pearson_ci95": [_num(v, 4) for v in c.pearson_ci95]
                    if c.pearson_ci95
                    else None,
                }
                for c in corr
            ],
        },
        "provenance": {
            "footprint_files": sorted({fp["file"] for e in epochs for fp in e["footprints"]}),
            "observations_file": str(report.data_dir / OBSERVATIONS_FILE)
            if report.observations
            else None,
            "observation_sources": sorted(
                {
                    o["source"]
                    for e in epochs
                    for a in e["aligned"].values()
                    for o in a["observations"]
                }
            ),
            "events_file": str(report.data_dir / EVENTS_FILE) if report.events else None,
            "methods": sorted({m for e in epochs for m in e["flags"]["methods"]}),
            "estimated_epochs": [e["epoch"] for e in epochs if e["flags"]["estimated"]],
        },
        "events": [_event_dict(e) for e in report.events],
        "notes": report.notes,
        "warnings": report.warnings,
    }
