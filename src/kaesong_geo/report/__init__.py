"""The growth report: footprints measured, compared and set beside the economy.

This is the application layer: it reads a data directory through :mod:`kaesong_geo.io` and
computes with the pure modules (:mod:`~kaesong_geo.measure`, :mod:`~kaesong_geo.growth`,
:mod:`~kaesong_geo.economy`). :meth:`GrowthReport.to_dict` is the stable JSON contract
(``schema_version`` 1) that every output format is rendered from.

By concern: :mod:`~kaesong_geo.report.build` builds the report (:func:`growth_report`),
:mod:`~kaesong_geo.report.shape` gives its JSON shape (:meth:`GrowthReport.to_dict`, whose
JSON Schema :mod:`kaesong_geo.schema` ships), :mod:`~kaesong_geo.report.notes` writes its
notes.

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

from kaesong_geo.report.build import (
    ALIGNED_INDICATORS,
    EpochResult,
    GrowthReport,
    IntervalResult,
    growth_report,
    growth_reports,
)
from kaesong_geo.report.shape import SCHEMA_VERSION

__all__ = [
    "ALIGNED_INDICATORS",
    "SCHEMA_VERSION",
    "EpochResult",
    "GrowthReport",
    "IntervalResult",
    "growth_report",
    "growth_reports",
]
