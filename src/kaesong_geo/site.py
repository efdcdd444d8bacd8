"""The site being watched: a reference point, its local UTM zone and how far footprints may lie.

Examples
--------
>>> from kaesong_geo.site import KAESONG, utm_epsg_for
>>> KAESONG.utm_epsg
32652
>>> utm_epsg_for(126.6333, 37.9333)
32652
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["KAESONG", "Site", "utm_epsg_for"]


def utm_epsg_for(lon: float, lat: float) -> int:
    """EPSG code of the WGS 84 UTM zone containing ``(lon, lat)``.

    Examples
    --------
    >>> utm_epsg_for(126.63, 37.93), utm_epsg_for(-70.0, -33.0)
    (32652, 32719)
    """
    zone = int((lon + 180.0) // 6.0) % 60 + 1
    return (32600 if lat >= 0 else 32700) + zone


@dataclass(frozen=True)
class Site:
    """A watched site.

    Attributes
    ----------
    name : str
        Human-readable name.
    lon, lat : float
        Reference point in WGS 84 degrees.
    utm_epsg : int
        EPSG code of the local UTM zone used for the projected cross-check.
    max_distance_km : float
        A footprint any vertex of which lies farther than this (geodesic distance) from the
        reference point is refused as misplaced (wrong CRS, swapped axes, wrong file, a
        mistyped vertex): the whole extent is checked, not the centroid.
    reference_source : str
        Where the reference point comes from.
    """

    name: str
    lon: float
    lat: float
    utm_epsg: int
    max_distance_km: float
    reference_source: str


#: The Kaesong Industrial Complex (Phyonghwa-ri, Panmun county). Reference point from Wikipedia
#: "Kaesong Industrial Region" (37°56'N 126°38'E); local UTM zone 52N.
KAESONG = Site(
    name="Kaesong Industrial Complex",
    lon=126.6333,
    lat=37.9333,
    utm_epsg=32652,
    max_distance_km=20.0,
    reference_source="Wikipedia \"Kaesong Industrial Region\" (37°56'N 126°38'E)",
)
