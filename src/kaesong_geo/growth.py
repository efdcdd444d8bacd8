"""Growth between two epochs: area change, annualized rate, and what was added and lost.

Pure: footprints in (shapely geometries in WGS 84 lon/lat), numbers and geometries out.

Definitions
-----------
``growth_m2``
    End area minus start area (geodesic, m²).
``growth_pct``
    ``100 * growth_m2 / start_area_m2``; undefined (``None``) when the start area is 0.
``annual_rate_pct``
    Compound annual growth rate from the exact number of days between the placed dates
    (see :mod:`kaesong_geo.dates`): ``100 * ((end / start) ** (365.2425 / days) - 1)``.
``added`` / ``lost``
    ``end - start`` and ``start - end`` as geometries. ``added_m2 - lost_m2`` equals
    ``growth_m2`` up to rounding.

Each connected patch of added area is classified with the landscape expansion index (LEI) of
Liu et al. (2010): ``LEI = 100 * A_o / (A_o + A_v)``, where ``A_o`` and ``A_v`` are the parts
of a buffer ring of width ``lei_buffer_m`` around the patch that fall on old footprint and on
land outside it. A patch is *infill* when ``LEI >= 50``, *extension* (edge-expansion) when
``0 < LEI < 50`` and *leapfrog* (outlying) when ``LEI == 0``. The ring is built in the local UTM
zone so that the buffer width is in metres; LEI is a ratio of areas, so the projection's tiny
scale error cancels.

References
----------
Liu, X., Li, X., Chen, Y., Tan, Z., Li, S., & Ai, B. (2010). A new landscape index for
quantifying urban expansion using multi-temporal remotely sensed data. *Landscape Ecology*,
25(5), 671-682. https://doi.org/10.1007/s10980-010-9454-5

Examples
--------
>>> from shapely.geometry import box
>>> from kaesong_geo.dates import parse_epoch
>>> old = box(126.630, 37.930, 126.635, 37.935)
>>> new = box(126.630, 37.930, 126.640, 37.935)           # doubled eastwards
>>> g = compare(old, new, parse_epoch("2004-04"), parse_epoch("2006-04"), utm_epsg=32652)
>>> round(g.growth_pct, 1), g.days, [p.growth_type for p in g.patches]
(100.0, 730, ['extension'])
>>> round(g.annual_rate_pct, 1)
41.5
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import shapely
from shapely.geometry import MultiPolygon, Polygon
from shapely.geometry.base import BaseGeometry

from kaesong_geo.dates import DAYS_PER_YEAR, EpochDate, days_between
from kaesong_geo.measure import (
    dissolve,
    geodesic_area_m2,
    geodesic_areas_m2,
    polygons_of,
    to_utm,
)

__all__ = [
    "GROWTH_TYPES",
    "LEI_BUFFER_M",
    "LEI_INFILL_MIN",
    "MIN_PATCH_M2",
    "GrowthType",
    "IntervalGrowth",
    "Patch",
    "annual_rate_pct",
    "classify_lei",
    "compare",
    "landscape_expansion_index",
    "landscape_expansion_indices",
]

GrowthType = Literal["infill", "extension", "leapfrog"]
GROWTH_TYPES: tuple[GrowthType, ...] = ("infill", "extension", "leapfrog")

#: Width in metres of the buffer ring used for the landscape expansion index.
LEI_BUFFER_M = 10.0
#: LEI at or above this is infill (Liu et al. 2010).
LEI_INFILL_MIN = 50.0
#: Added patches smaller than this (m², geodesic) are dropped as digitizing slivers.
MIN_PATCH_M2 = 1.0


@dataclass(frozen=True)
class Patch:
    """One connected patch of added area.

    Attributes
    ----------
    geometry : shapely.Polygon
        The patch in WGS 84 lon/lat.
    area_m2 : float
        Geodesic area.
    lei : float
        Landscape expansion index, 0 to 100.
    growth_type : {'infill', 'extension', 'leapfrog'}
    """

    geometry: Polygon
    area_m2: float
    lei: float
    growth_type: GrowthType


@dataclass(frozen=True)
class IntervalGrowth:
    """Growth of a footprint between two epochs (see the module docstring)."""

    start: EpochDate
    end: EpochDate
    days: int
    start_area_m2: float
    end_area_m2: float
    added: MultiPolygon = field(repr=False)
    lost: MultiPolygon = field(repr=False)
    added_m2: float
    lost_m2: float
    patches: tuple[Patch, ...] = field(repr=False)

    @property
    def growth_m2(self) -> float:
        """End area minus start area (m²)."""
        return self.end_area_m2 - self.start_area_m2

    @property
    def growth_pct(self) -> float | None:
        """Growth relative to the start area, in percent; ``None`` if the start is empty."""
        if self.start_area_m2 <= 0:
            return None
        return 100.0 * self.growth_m2 / self.start_area_m2

    @property
    def annual_rate_pct(self) -> float | None:
        """Compound annual growth rate in percent; ``None`` where undefined."""
        return annual_rate_pct(self.start_area_m2, self.end_area_m2, self.days)

    def added_by_type_m2(self) -> dict[GrowthType, float]:
        """Added area (m²) per growth type, every type present (0 where none).

        Examples
        --------
        >>> from shapely.geometry import box
        >>> from kaesong_geo.dates import parse_epoch
        >>> a = box(126.63, 37.93, 126.64, 37.94)
        >>> g = compare(a, a, parse_epoch("2004"), parse_epoch("2005"), utm_epsg=32652)
        >>> g.added_by_type_m2()
        {'infill': 0.0, 'extension': 0.0, 'leapfrog': 0.0}
        """
        out: dict[GrowthType, float] = dict.fromkeys(GROWTH_TYPES, 0.0)
        for patch in self.patches:
            out[patch.growth_type] += patch.area_m2
        return out


def annual_rate_pct(start_m2: float, end_m2: float, days: int) -> float | None:
    """Compound annual growth rate in percent over ``days`` days.

    ``None`` when the start area is 0 or the interval is not positive.

    Examples
    --------
    >>> round(annual_rate_pct(100.0, 121.0, 730.485), 6)
    10.0
    >>> annual_rate_pct(0.0, 5.0, 365) is None
    True
    """
    if start_m2 <= 0 or days <= 0:
        return None
    return 100.0 * (float((end_m2 / start_m2) ** (DAYS_PER_YEAR / days)) - 1.0)


def classify_lei(lei: float) -> GrowthType:
    """Growth type for a landscape expansion index value.

    Examples
    --------
    >>> classify_lei(0.0), classify_lei(12.5), classify_lei(50.0), classify_lei(100.0)
    ('leapfrog', 'extension', 'infill', 'infill')
    """
    if lei >= LEI_INFILL_MIN:
        return "infill"
    if lei > 0.0:
        return "extension"
    return "leapfrog"


def landscape_expansion_index(
    patch: BaseGeometry, old: BaseGeometry, utm_epsg: int, buffer_m: float = LEI_BUFFER_M
) -> float:
    """Landscape expansion index (Liu et al. 2010) of a new patch against the old footprint.

    Parameters
    ----------
    patch, old : shapely geometry
        The new patch and the old footprint, WGS 84 lon/lat.
    utm_epsg : int
        UTM zone in which the buffer ring is built.
    buffer_m : float, default 10
        Width of the buffer ring in metres.

    Returns
    -------
    float
        0 (no contact with the old footprint) to 100 (surrounded by it).

    Examples
    --------
    >>> from shapely.geometry import box
    >>> hole = box(126.634, 37.934, 126.636, 37.936)
    >>> old = box(126.630, 37.930, 126.640, 37.940).difference(hole)
    >>> round(landscape_expansion_index(hole, old, 32652))
    100
    >>> landscape_expansion_index(box(126.7, 37.9, 126.71, 37.91), old, 32652)
    0.0
    """
    patch_utm = to_utm(patch, utm_epsg)
    ring = patch_utm.buffer(buffer_m).difference(patch_utm)
    if ring.area <= 0:
        return 0.0
    old_utm = to_utm(old, utm_epsg)
    overlap = ring.intersection(old_utm).area
    return max(0.0, min(100.0, 100.0 * overlap / ring.area))


def landscape_expansion_indices(
    patches: Sequence[BaseGeometry],
    old: BaseGeometry,
    utm_epsg: int,
    buffer_m: float = LEI_BUFFER_M,
) -> np.ndarray:
    """:func:`landscape_expansion_index` of many patches against one old footprint at once.

    The patches and the old footprint are projected once, the rings are built as an array,
    and each ring meets only the old polygons an STRtree finds near it. The old footprint's
    polygons must not overlap one another (a dissolved footprint, as :func:`compare` passes).

    Examples
    --------
    >>> from shapely.geometry import box
    >>> hole = box(126.634, 37.934, 126.636, 37.936)
    >>> old = box(126.630, 37.930, 126.640, 37.940).difference(hole)
    >>> far = box(126.7, 37.9, 126.71, 37.91)
    >>> [round(x) for x in landscape_expansion_indices([hole, far], old, 32652)]
    [100, 0]
    """
    out = np.zeros(len(patches))
    if not len(patches):
        return out
    patches_utm = to_utm(np.asarray(patches, dtype=object), utm_epsg)
    # quad_segs=16 as BaseGeometry.buffer, so the rings are those of the single-patch form.
    rings = shapely.difference(shapely.buffer(patches_utm, buffer_m, quad_segs=16), patches_utm)
    ring_area = shapely.area(rings)
    parts = np.asarray(polygons_of(old), dtype=object)
    if parts.size:
        parts_utm = to_utm(parts, utm_epsg)
        ring_i, part_j = shapely.STRtree(parts_utm).query(rings, predicate="intersects")
        pieces = shapely.area(shapely.intersection(rings[ring_i], parts_utm[part_j]))
        overlap = np.zeros(len(patches))
        # Summed in order per ring, as np.add.at does.
        np.add.at(overlap, ring_i, pieces)
        positive = ring_area > 0
        out[positive] = np.clip(100.0 * overlap[positive] / ring_area[positive], 0.0, 100.0)
    return out


def _difference(a: MultiPolygon, b: MultiPolygon) -> MultiPolygon:
    """``a - b`` of two dissolved footprints, part by part.

    A part of ``a`` that meets no part of ``b`` (found with an STRtree) is kept whole; the
    others lose the parts of ``b`` they meet. Same area as ``shapely.difference(a, b)``,
    without one overlay of two large multipolygons.
    """
    parts_a = np.asarray(polygons_of(a), dtype=object)
    parts_b = np.asarray(polygons_of(b), dtype=object)
    if parts_a.size == 0 or parts_b.size == 0:
        return dissolve(parts_a.tolist())
    i, j = shapely.STRtree(parts_b).query(parts_a, predicate="intersects")
    order = np.argsort(i, kind="stable")
    i, j = i[order], j[order]
    hit = np.zeros(parts_a.size, dtype=bool)
    hit[i] = True
    pieces: list[BaseGeometry] = list(parts_a[~hit])
    met = np.flatnonzero(hit)
    starts = np.searchsorted(i, met, side="left")
    ends = np.searchsorted(i, met, side="right")
    single = ends - starts == 1  # most parts meet one part: one array operation for them all
    a1, b1 = parts_a[met[single]], parts_b[j[starts[single]]]
    changed = ~shapely.equals_exact(a1, b1, tolerance=0.0)  # an unchanged part leaves nothing
    pieces += list(shapely.difference(a1[changed], b1[changed]))
    for k, s, e in zip(
        met[~single].tolist(), starts[~single].tolist(), ends[~single].tolist(), strict=True
    ):
        pieces.append(shapely.difference(parts_a[k], shapely.union_all(parts_b[j[s:e]])))
    return dissolve(pieces)


def compare(
    start_geom: BaseGeometry,
    end_geom: BaseGeometry,
    start: EpochDate,
    end: EpochDate,
    *,
    utm_epsg: int,
    lei_buffer_m: float = LEI_BUFFER_M,
    min_patch_m2: float = MIN_PATCH_M2,
) -> IntervalGrowth:
    """Compare two footprints: growth, rate, added and lost area, and added patches by type.

    Parameters
    ----------
    start_geom, end_geom : shapely geometry
        Polygonal footprints in WGS 84 lon/lat; parts are dissolved first.
    start, end : EpochDate
        Their dates.
    utm_epsg : int
        UTM zone for the LEI buffer (the site's, ``Site.utm_epsg``).
    lei_buffer_m : float, default 10
        Width of the LEI buffer ring in metres.
    min_patch_m2 : float, default 1
        Added patches smaller than this are dropped as slivers.

    Returns
    -------
    IntervalGrowth

    Examples
    --------
    >>> from shapely.geometry import box
    >>> from kaesong_geo.dates import parse_epoch
    >>> a = box(126.63, 37.93, 126.64, 37.94)
    >>> g = compare(a, a, parse_epoch("2004-04"), parse_epoch("2006-01"), utm_epsg=32652)
    >>> g.growth_m2, g.growth_pct, g.added_m2, g.patches
    (0.0, 0.0, 0.0, ())
    """
    old = dissolve([start_geom])
    new = dissolve([end_geom])
    added = _difference(new, old)
    lost = _difference(old, new)
    polys = list(added.geoms)
    areas = geodesic_areas_m2(polys)
    kept = [i for i, area in enumerate(areas.tolist()) if area >= min_patch_m2]
    measured = [i for i in kept if areas[i]]  # a patch of no area has no ring: LEI 0
    leis = np.zeros(len(polys))
    leis[measured] = landscape_expansion_indices(
        [polys[i] for i in measured], old, utm_epsg, lei_buffer_m
    )
    patches = [
        Patch(polys[i], float(areas[i]), float(leis[i]), classify_lei(float(leis[i]))) for i in kept
    ]
    return IntervalGrowth(
        start=start,
        end=end,
        days=days_between(start, end),
        start_area_m2=geodesic_area_m2(old),
        end_area_m2=geodesic_area_m2(new),
        added=added,
        lost=lost,
        added_m2=geodesic_area_m2(added),
        lost_m2=geodesic_area_m2(lost),
        patches=tuple(patches),
    )
