"""The JSON shape of the growth report (``--format json``, ``schema_version`` 1).

:meth:`~kaesong_geo.report.GrowthReport.to_dict` is this module's :func:`report_dict`. Fields
are added, never removed; the JSON Schema that pins them ships in ``kaesong_geo/schemas``
(:mod:`kaesong_geo.schema`).
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

from kaesong_geo import __version__
from kaesong_geo.economy import MIN_N_INFERENCE, Aligned, Event, per_area
from kaesong_geo.io.events import EVENTS_FILE
from kaesong_geo.io.observations import OBSERVATIONS_FILE

if TYPE_CHECKING:
    from kaesong_geo.report.build import EpochResult, GrowthReport

__all__ = ["SCHEMA_VERSION", "report_dict"]

#: Version of the JSON contract of :meth:`~kaesong_geo.report.GrowthReport.to_dict`.
SCHEMA_VERSION = 1


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


def report_dict(report: GrowthReport) -> dict[str, Any]:
    """The report as plain JSON-able data (the documented ``--format json`` contract)."""
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
                "utm_scale_pct": _num(m.utm_scale_pct, 4),
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
                        "imagery": fp.imagery,
                    }
                    for fp, area in zip(r.epoch.footprints, r.footprint_areas(), strict=True)
                ],
                "imagery": [
                    {
                        "date": rec.date.label,
                        "provider": rec.provider,
                        "redistributable": rec.redistributable,
                        "file": rec.file or None,
                        "source": rec.source,
                        "id": rec.id or None,
                        "resolution_m": rec.resolution_m,
                        "uncertainty_m": rec.uncertainty_m,
                        "note": rec.note,
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
