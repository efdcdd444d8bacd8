"""kaesong-geo: footprints, geodesic growth and economy of the Kaesong Industrial Complex.

The package is layered in one direction:

* pure measurement and statistics: :mod:`kaesong_geo.dates`, :mod:`kaesong_geo.measure`,
  :mod:`kaesong_geo.growth`, :mod:`kaesong_geo.economy` (no files, no CLI);
* input and output: :mod:`kaesong_geo.io`;
* the application, which joins the two: :mod:`kaesong_geo.report` and the renderers in
  :mod:`kaesong_geo.render`;
* the command line, :mod:`kaesong_geo.cli`, which only parses arguments, calls one library
  function and prints its result.

Heavy modules (shapely, pyproj, geopandas) are imported only when a function that needs them
is first used, so ``import kaesong_geo`` is cheap.

Examples
--------
>>> import kaesong_geo
>>> report = kaesong_geo.growth_report()  # the bundled data
>>> [e.epoch.label for e in report.epochs]
['2004-04', '2006-01', '2009-09']
>>> round(report.epochs[-1].measure.area_m2 / 1e6, 1)  # km²
3.3
"""

from __future__ import annotations

import importlib
from typing import Any

__version__ = "0.1.0"

# public name -> module that defines it
_LAZY = {
    "EpochDate": "kaesong_geo.dates",
    "parse_epoch": "kaesong_geo.dates",
    "Site": "kaesong_geo.site",
    "KAESONG": "kaesong_geo.site",
    "measure_geometry": "kaesong_geo.measure",
    "Measure": "kaesong_geo.measure",
    "compare": "kaesong_geo.growth",
    "IntervalGrowth": "kaesong_geo.growth",
    "Observation": "kaesong_geo.economy",
    "align": "kaesong_geo.economy",
    "correlate": "kaesong_geo.economy",
    "Event": "kaesong_geo.economy",
    "Footprint": "kaesong_geo.model",
    "Epoch": "kaesong_geo.model",
    "load_footprints": "kaesong_geo.io.footprints",
    "read_footprint_file": "kaesong_geo.io.footprints",
    "load_observations": "kaesong_geo.io.observations",
    "load_events": "kaesong_geo.io.events",
    "inspect_data_dir": "kaesong_geo.io.validate",
    "resolve_data_dir": "kaesong_geo.io.datadir",
    "validate_data_dir": "kaesong_geo.io.validate",
    "growth_report": "kaesong_geo.report",
    "GrowthReport": "kaesong_geo.report",
    "render_report": "kaesong_geo.render",
    "make_map": "kaesong_geo.maps.build",
    "make_chart": "kaesong_geo.maps.charts",
    "make_report": "kaesong_geo.maps.htmlreport",
    "extract_footprint": "kaesong_geo.extract",
    "extract_chunked": "kaesong_geo.extract_chunked",
    "extract_scene": "kaesong_geo.io.scene_extract",
    "compare_footprints": "kaesong_geo.footprint_compare",
    "KaesongGeoError": "kaesong_geo.errors",
    "DataError": "kaesong_geo.errors",
    "UsageError": "kaesong_geo.errors",
}

__all__ = ["__version__", *sorted(_LAZY)]


def __getattr__(name: str) -> Any:
    """Import public names on first use (PEP 562)."""
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'kaesong_geo' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY))
