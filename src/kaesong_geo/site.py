"""The site being watched: a reference point, its local UTM zone and how far footprints may lie.

A data directory describes its site in ``site.toml`` (read by :mod:`kaesong_geo.io.sitefile`);
this module holds the pure description. Generic code takes every name, UTM zone and distance
from a :class:`Site`; :data:`KAESONG` is what a data directory without ``site.toml`` is read as.

Examples
--------
>>> from kaesong_geo.site import KAESONG, Site, utm_epsg_for, utm_zone_label
>>> KAESONG.utm_epsg, KAESONG.utm_zone
(32652, '52N')
>>> utm_epsg_for(126.6333, 37.9333)
32652
>>> durban = Site.at("Durban test zone", 31.03, -29.86, radius_km=15)
>>> durban.utm_epsg, durban.utm_zone, durban.short_name
(32736, '36S', 'Durban test zone')
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # shapely stays out of the CLI's start-up
    from shapely.geometry.base import BaseGeometry

__all__ = [
    "DEFAULT_OUTLINE_MARGIN_KM",
    "DEFAULT_RADIUS_KM",
    "KAESONG",
    "MAX_RADIUS_KM",
    "DocumentedArea",
    "Site",
    "utm_epsg_for",
    "utm_zone_label",
]

#: Latitudes the UTM grid covers (the polar caps use UPS, which the cross-check does not).
UTM_SOUTH, UTM_NORTH = -80.0, 84.0
#: Largest ``radius_km`` a site may have: a zone, not a country (the checks that footprints
#: and imagery lie within it would mean nothing beyond).
MAX_RADIUS_KM = 500.0

#: Radius (km) of a site whose ``site.toml`` gives none, and of ``kaesong-geo init --site``.
DEFAULT_RADIUS_KM = 20.0
#: How far (km) outside its outline a footprint may reach when the site has an outline.
DEFAULT_OUTLINE_MARGIN_KM = 1.0


def utm_epsg_for(lon: float, lat: float) -> int:
    """EPSG code of the WGS 84 UTM zone containing ``(lon, lat)``.

    The southern hemisphere (``lat < 0``) has codes 327xx, the northern 326xx; longitude 180
    is zone 60. The grid's two exceptions apply: south-west Norway (56° to 64°N, 3° to 12°E)
    is zone 32, and Svalbard (72° to 84°N, 0° to 42°E) zones 31, 33, 35 and 37.

    Examples
    --------
    >>> utm_epsg_for(126.63, 37.93), utm_epsg_for(-70.0, -33.0), utm_epsg_for(31.03, -29.86)
    (32652, 32719, 32736)
    >>> utm_epsg_for(180.0, 0.0), utm_epsg_for(-180.0, -0.1)
    (32660, 32701)
    >>> utm_epsg_for(-1e-16, 0.0), utm_epsg_for(0.0, 0.0)  # a hair west of Greenwich: zone 30
    (32630, 32631)
    >>> utm_epsg_for(5.32, 60.39), utm_epsg_for(15.63, 78.22)  # Bergen 32V, Longyearbyen 33X
    (32632, 32633)
    """
    # lon / 6 rather than (lon + 180) / 6: adding 180 rounds a tiny negative longitude to 180.
    zone = min(math.floor(lon / 6.0) + 31, 60)
    if 56.0 <= lat < 64.0 and 3.0 <= lon < 12.0:
        zone = 32
    elif 72.0 <= lat <= 84.0 and 0.0 <= lon < 42.0:
        zone = 31 if lon < 9.0 else 33 if lon < 21.0 else 35 if lon < 33.0 else 37
    return (32600 if lat >= 0 else 32700) + zone


def utm_zone_label(utm_epsg: int) -> str:
    """The zone of a WGS 84 UTM EPSG code as printed ("52N", "36S"), or ``EPSG:code``.

    Examples
    --------
    >>> utm_zone_label(32652), utm_zone_label(32736), utm_zone_label(3857)
    ('52N', '36S', 'EPSG:3857')
    """
    if 32601 <= utm_epsg <= 32660:
        return f"{utm_epsg - 32600}N"
    if 32701 <= utm_epsg <= 32760:
        return f"{utm_epsg - 32700}S"
    return f"EPSG:{utm_epsg}"


@dataclass(frozen=True)
class DocumentedArea:
    """A documented figure footprints are compared with (``[[documented_area]]`` in site.toml).

    Attributes
    ----------
    label : str
        What it is ("pilot complex").
    area_m2 : float
        Its area in square metres.
    source : str
        Where the figure was found.
    """

    label: str
    area_m2: float
    source: str


@dataclass(frozen=True)
class Site:
    """A watched site.

    Attributes
    ----------
    name : str
        Human-readable name, used in every title.
    lon, lat : float
        Reference point in WGS 84 degrees.
    utm_epsg : int
        EPSG code of the local UTM zone used for the projected cross-check (derived from the
        reference point by :meth:`at` and by ``site.toml``).
    max_distance_km : float
        A footprint any vertex of which lies farther than this (geodesic distance) from the
        reference point is refused as misplaced (wrong CRS, swapped axes, wrong file, a
        mistyped vertex): the whole extent is checked, not the centroid. ``radius_km`` in
        ``site.toml``.
    reference_source : str
        Where the reference point comes from.
    short_name : str
        A short name for tight labels (default: ``name``).
    outline : shapely geometry, optional
        The zone's planned boundary (WGS 84 lon/lat). A vertex farther than the radius is
        still accepted when it lies within ``outline_margin_km`` of the outline.
    outline_margin_km : float
        How far outside the outline a vertex may lie.
    outline_file : str
        The file the outline was read from (for messages).
    documented_areas : tuple of DocumentedArea
        Documented figures the footprints are compared with (shown in the report's notes).
    source_file : str
        The ``site.toml`` it was read from; empty when assumed (no ``site.toml``) or built in code.
    assumed : bool
        True when a data directory had no ``site.toml`` and was read as this site.
    """

    name: str
    lon: float
    lat: float
    utm_epsg: int
    max_distance_km: float
    reference_source: str
    short_name: str = ""
    outline: BaseGeometry | None = field(default=None, compare=False, repr=False)
    outline_margin_km: float = DEFAULT_OUTLINE_MARGIN_KM
    outline_file: str = ""
    documented_areas: tuple[DocumentedArea, ...] = ()
    source_file: str = ""
    assumed: bool = False

    def __post_init__(self) -> None:
        if not self.short_name:
            object.__setattr__(self, "short_name", self.name)

    @classmethod
    def at(
        cls,
        name: str,
        lon: float,
        lat: float,
        *,
        radius_km: float = DEFAULT_RADIUS_KM,
        reference_source: str = "",
        short_name: str = "",
    ) -> Site:
        """A site at ``(lon, lat)`` with the UTM zone derived from the point.

        Raises
        ------
        ValueError
            The point is out of range or not finite, the radius is not positive, or the
            name is empty.

        Examples
        --------
        >>> Site.at("Zone", 200.0, 0.0)
        Traceback (most recent call last):
        ...
        ValueError: lon must be a finite number in -180..180, got 200.0
        """
        for key, value, limit in (("lon", lon, 180.0), ("lat", lat, 90.0)):
            if not math.isfinite(value) or abs(value) > limit:
                raise ValueError(
                    f"{key} must be a finite number in {-limit:g}..{limit:g}, got {value!r}"
                )
        if not UTM_SOUTH <= lat <= UTM_NORTH:
            raise ValueError(
                f"lat {lat:g} is beyond the UTM grid of the area cross-check "
                f"({-UTM_SOUTH:g}°S to {UTM_NORTH:g}°N)"
            )
        if not math.isfinite(radius_km) or not 0 < radius_km <= MAX_RADIUS_KM:
            raise ValueError(
                f"radius_km must be a number of km above 0, at most {MAX_RADIUS_KM:,g}, "
                f"got {radius_km!r}"
            )
        if not name.strip():
            raise ValueError("name is empty")
        return cls(
            name=name.strip(),
            lon=float(lon),
            lat=float(lat),
            utm_epsg=utm_epsg_for(lon, lat),
            max_distance_km=float(radius_km),
            reference_source=reference_source,
            short_name=short_name.strip(),
        )

    @property
    def radius_km(self) -> float:
        """The same as :attr:`max_distance_km` (its name in ``site.toml``)."""
        return self.max_distance_km

    @property
    def assumed_note(self) -> str | None:
        """What to say when the site was assumed (no ``site.toml``); None otherwise.

        Examples
        --------
        >>> import dataclasses
        >>> print(dataclasses.replace(KAESONG, assumed=True).assumed_note)  # doctest: +ELLIPSIS
        No site.toml in the data directory: assumed the Kaesong Industrial Complex (reference...
        >>> KAESONG.assumed_note is None
        True
        """
        if not self.assumed:
            return None
        return (
            f"No site.toml in the data directory: assumed the {self.name} (reference point lon "
            f"{self.lon:g}, lat {self.lat:g}; footprints within {self.max_distance_km:g} km); "
            "for another zone run: kaesong-geo init DIR --site NAME --lon X --lat Y"
        )

    @property
    def utm_zone(self) -> str:
        """The local UTM zone as printed: ``"52N"``, ``"36S"``."""
        return utm_zone_label(self.utm_epsg)


#: The Kaesong Industrial Complex (Phyonghwa-ri, Panmun county). Reference point from Wikipedia
#: "Kaesong Industrial Region" (37°56'N 126°38'E); local UTM zone 52N. What a data directory
#: without ``site.toml`` is read as; the bundled ``data/site.toml`` says the same with sources.
KAESONG = Site(
    name="Kaesong Industrial Complex",
    lon=126.6333,
    lat=37.9333,
    utm_epsg=32652,
    max_distance_km=20.0,
    reference_source="Wikipedia \"Kaesong Industrial Region\" (37°56'N 126°38'E)",
    short_name="Kaesong",
)
