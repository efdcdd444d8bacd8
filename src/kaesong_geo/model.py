"""The data model: footprint polygons with provenance, grouped into epochs.

Pure data classes; reading them from files is :mod:`kaesong_geo.io.footprints`.

A *footprint* is one polygon (or multipolygon) of one epoch (its ``date``), with a
``category`` (``developed``, ``under construction``, ...; the ``class`` attribute of the
files) and its provenance:

========================  ===============================================================
field                     meaning
========================  ===============================================================
``method``                ``reconstructed`` (placed and sized from documents, not traced
                          from imagery), ``traced`` (digitized by hand over imagery) or
                          ``extracted`` (derived automatically from imagery)
``source``                where it comes from (documents, imagery, person)
``uncertainty_m``         positional uncertainty of the outline in metres (None: unknown)
``area_uncertainty_pct``  relative uncertainty of its area in percent (None: unknown)
``estimated``             True when no documented figure backs it
``reference_area_m2``     documented area it should match, if any
``note``                  free text
``imagery``               ``id`` of the image (``imagery/catalog.csv``) it was traced on,
                          or None
========================  ===============================================================

Examples
--------
>>> from shapely.geometry import box
>>> from kaesong_geo.dates import parse_epoch
>>> fp = Footprint(box(126.63, 37.93, 126.64, 37.94), parse_epoch("2009-09"), source="test")
>>> ep = Epoch(parse_epoch("2009-09"), (fp,))
>>> ep.label, ep.estimated, ep.methods, ep.max_uncertainty_m is None
('2009-09', False, ('traced',), True)
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import Literal

from shapely.geometry import MultiPolygon
from shapely.geometry.base import BaseGeometry

from kaesong_geo.dates import EpochDate
from kaesong_geo.measure import dissolve

__all__ = ["METHODS", "Epoch", "Footprint", "Method"]

Method = Literal["reconstructed", "traced", "extracted"]
METHODS: tuple[Method, ...] = ("reconstructed", "traced", "extracted")


@dataclass(frozen=True)
class Footprint:
    """One polygon of an epoch's footprint, with provenance (see the module docstring)."""

    geometry: BaseGeometry = field(repr=False)
    date: EpochDate
    category: str = "developed"
    name: str = ""
    source: str = ""
    method: Method = "traced"
    uncertainty_m: float | None = None
    area_uncertainty_pct: float | None = None
    estimated: bool = False
    reference_area_m2: float | None = None
    note: str = ""
    file: str = ""
    feature: int = 0
    imagery: str | None = None


@dataclass(frozen=True)
class Epoch:
    """All footprints of one epoch."""

    date: EpochDate
    footprints: tuple[Footprint, ...]

    @property
    def label(self) -> str:
        """The epoch as written, e.g. ``2009-09``."""
        return self.date.label

    @cached_property
    def geometry(self) -> MultiPolygon:
        """The union of every footprint of the epoch, computed once (on first use)."""
        return dissolve(f.geometry for f in self.footprints)

    def category_geometries(self) -> dict[str, MultiPolygon]:
        """Union of the footprints of each category, in order of first appearance."""
        classes = dict.fromkeys(f.category for f in self.footprints)
        if len(classes) == 1:  # one class: its union is the epoch's
            return dict.fromkeys(classes, self.geometry)
        return {
            c: dissolve(f.geometry for f in self.footprints if f.category == c) for c in classes
        }

    @property
    def estimated(self) -> bool:
        """True when any footprint of the epoch is estimated."""
        return any(f.estimated for f in self.footprints)

    @property
    def methods(self) -> tuple[str, ...]:
        """The distinct methods, in order of appearance."""
        return tuple(dict.fromkeys(f.method for f in self.footprints))

    @property
    def max_uncertainty_m(self) -> float | None:
        """Largest positional uncertainty; ``None`` if any footprint has none recorded."""
        values = [f.uncertainty_m for f in self.footprints]
        if not values or any(v is None for v in values):
            return None
        return max(v for v in values if v is not None)

    @property
    def files(self) -> tuple[str, ...]:
        """The files the footprints were read from."""
        return tuple(dict.fromkeys(f.file for f in self.footprints if f.file))
