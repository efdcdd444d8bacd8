"""The interactive map: footprints per epoch, added area by growth type, imagery, controls.

The map is a Folium (Leaflet) page. Folium makes the map, the two basemaps (OpenStreetMap
and Esri World Imagery, with their attributions), the scale bar, the fullscreen button and the
measuring tool; ``static/kaesong-map.js`` adds the epoch layers with their tooltips and popups,
the layer control, the time control, the swipe comparison, the imagery opacity slider, the
legend and the provenance note. Everything the data says reaches the page as JSON and is
written into it with ``textContent``, so no text from a footprint file is ever parsed as HTML.

Examples
--------
>>> html = make_map(self_contained=True)
>>> "KaesongMap.init(" in html, "cdn.jsdelivr" in html
(True, False)
"""

from __future__ import annotations

import base64
import datetime as dt
import html as html_lib
import json
import math
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

import numpy as np
import shapely

from kaesong_geo.columns import EPOCH_COLUMNS, FOOTPRINT_COLUMNS, epoch_headline, popup_rows
from kaesong_geo.growth import Patch
from kaesong_geo.io.imagery import ImageryRecord
from kaesong_geo.io.raster import Overlay, read_overlay
from kaesong_geo.maps import assets
from kaesong_geo.measure import from_utm, lon_near, to_utm
from kaesong_geo.report import EpochResult, GrowthReport, growth_reports
from kaesong_geo.site import Site
from kaesong_geo.text import plural

if TYPE_CHECKING:
    import folium
    from branca.element import Figure

__all__ = [
    "GROWTH_COLORS",
    "MAX_DRAWN_FOOTPRINTS",
    "MAX_ZOOM",
    "EpochImage",
    "SiteImages",
    "build_map",
    "display_tolerance_m",
    "epoch_colors",
    "load_overlays",
    "make_map",
    "safe_json",
]

#: Colours of the growth types (ColorBrewer Dark2).
GROWTH_COLORS = {"infill": "#1b9e77", "extension": "#d95f02", "leapfrog": "#7570b3"}
_STATIC = Path(__file__).resolve().parent / "static"
_STREET = ("OpenStreetMap", "Street (OpenStreetMap)")
_SATELLITE = (
    "https://server.arcgisonline.com/ArcGIS/rest/services/World_Imagery/MapServer/tile/{z}/{y}/{x}",
    "Tiles &copy; Esri &mdash; Source: Esri, Maxar, Earthstar Geographics, "
    "and the GIS User Community",
    "Satellite (Esri World Imagery)",
)


def safe_json(value: Any) -> str:
    r"""JSON that can sit inside a ``<script>`` element whatever strings it holds.

    Examples
    --------
    >>> safe_json({"name": "</script><img src=x onerror=alert(1)>"})
    '{"name": "\\u003c/script\\u003e\\u003cimg src=x onerror=alert(1)\\u003e"}'
    """
    text = json.dumps(value, ensure_ascii=False, allow_nan=False)
    for char, escape in (
        ("<", "\\u003c"),
        (">", "\\u003e"),
        ("&", "\\u0026"),
        ("\u2028", "\\u2028"),
        ("\u2029", "\\u2029"),
    ):
        text = text.replace(char, escape)
    return text


def epoch_colors(dates: Sequence[dt.date]) -> list[str]:
    """Colours on a sequential scale (viridis) by date: oldest dark, newest light.

    Examples
    --------
    >>> epoch_colors([dt.date(2004, 4, 15), dt.date(2009, 9, 15)])
    ['#440154', '#fde725']
    """
    import branca.colormap as cm

    scale = cm.linear.viridis.scale(0.0, 1.0)  # type: ignore[attr-defined]
    if len(dates) == 1:
        return [str(scale(1.0))[:7]]
    first, last = min(dates), max(dates)
    span = (last - first).days or 1
    return [str(scale((d - first).days / span))[:7] for d in dates]


#: The deepest zoom the page allows (Leaflet's default); footprints are drawn for it.
MAX_ZOOM = 18
#: Above this many footprints in an epoch, the map draws each class of the epoch as one
#: shape, with the class's figures in its popup, instead of one shape and popup per footprint.
MAX_DRAWN_FOOTPRINTS = 2000


def display_tolerance_m(lat: float, zoom: int = MAX_ZOOM) -> float:
    """Size in metres of one screen pixel of a Web Mercator map at ``zoom`` and latitude ``lat``.

    Examples
    --------
    >>> round(display_tolerance_m(37.93), 3), round(display_tolerance_m(0.0, 0))
    (0.471, 156543)
    """
    return float(2 * math.pi * 6378137.0 * math.cos(math.radians(lat)) / (256 * 2**zoom))


@dataclass(frozen=True)
class EpochImage:
    """One catalogued image of an epoch, warped for the map.

    Attributes
    ----------
    overlay : Overlay
        The warped image (:func:`~kaesong_geo.io.raster.read_overlay`).
    record : ImageryRecord, optional
        Its catalogue row (date, provider, note); None for an image given without one.
    """

    overlay: Overlay
    record: ImageryRecord | None = None

    @property
    def name(self) -> str:
        """What the map calls the image: its catalogue ``id``, else its file name ("" if none).

        Examples
        --------
        >>> from kaesong_geo.dates import parse_epoch
        >>> ov = Overlay(b"", ((37.9, 126.5), (38.0, 126.6)), 1, 1, "EPSG:32652")
        >>> row = ImageryRecord(parse_epoch("2013-06-20"), "USGS", 30.0, True, "a/b.tif", "", "")
        >>> EpochImage(ov, row).name, EpochImage(ov).name
        ('b.tif', '')
        """
        if self.record is None:
            return ""
        return self.record.id or Path(self.record.file).name


#: What :func:`build_map` takes for one site: by epoch label, one image or a list of them
#: (in drawing order, later on top), each an :class:`EpochImage` or a bare ``Overlay``.
SiteImages = Mapping[str, "Overlay | EpochImage | Sequence[Overlay | EpochImage]"]


def _epoch_images(images: SiteImages) -> list[tuple[str, EpochImage]]:
    """``(epoch label, image)`` pairs of ``images``, in order."""
    out = []
    for label, value in images.items():
        items = [value] if isinstance(value, (Overlay, EpochImage)) else list(value)
        for item in items:
            out.append((label, item if isinstance(item, EpochImage) else EpochImage(item)))
    return out


def _image_entry(label: str, image: EpochImage, lon: float) -> dict[str, Any]:
    """One image as the page's script reads it (see ``config.imagery`` in ``kaesong-map.js``).

    ``name`` is the layer control's name, ``details`` the date, provider and note of the
    catalogue row (the note says, for a screenshot, how it was georeferenced and how wrong
    that may be: the legend shows it), ``attribution`` what Leaflet's attribution line shows
    while the image is drawn: its provider (Leaflet shows one provider once however many of
    its images are drawn).

    Examples
    --------
    >>> from kaesong_geo.dates import parse_epoch
    >>> from kaesong_geo.io.raster import Overlay
    >>> row = ImageryRecord(parse_epoch("2013-06-20"), "Screenshot", None, False, "s.tif", "",
    ...                     "georeferenced from a screenshot: 4 GCPs, LOO RMSE 6.1 m", "shot")
    >>> ov = Overlay(b"", ((37.9, 126.5), (38.0, 126.6)), 1, 1, "EPSG:32652")
    >>> entry = _image_entry("2013-06", EpochImage(ov, row), 126.55)
    >>> entry["name"], entry["details"]
    ('Imagery 2013-06 (shot)', '2013-06-20, Screenshot; georeferenced from a screenshot: 4 GCPs, LOO RMSE 6.1 m')
    >>> entry["attribution"]
    'Imagery: Screenshot'
    """  # noqa: E501
    ov, record = image.overlay, image.record
    name = f"Imagery {label}" + (f" ({image.name})" if image.name else "")
    details = attribution = ""
    if record is not None:
        details = f"{record.date.label}, {record.provider}" + (
            f"; {record.note}" if record.note else ""
        )
        attribution = f"Imagery: {record.provider}" if record.provider else ""
    return {
        "epoch": label,
        "name": name,
        "image": image.name,
        "details": details,
        "attribution": attribution,
        "url": "data:image/png;base64," + base64.b64encode(ov.png).decode("ascii"),
        "bounds": _bounds_near(ov.bounds, lon),
    }


#: Coordinates reach the page as integers in units of ``1 / COORD_SCALE`` degree (~0.1 m).
COORD_SCALE = 1_000_000


class _Shapes:
    """The geometries a page draws, each distinct geometry once, simplified at screen resolution.

    Epochs and intervals refer to shapes by index, so a building kept from one epoch to the
    next is written once however many epochs show it. Each geometry is simplified in its
    site's UTM zone to the size of a pixel at :data:`MAX_ZOOM` (topology kept) and its
    coordinates rounded to ``1 / COORD_SCALE`` degree. Only the drawing is simplified: every
    figure shown is computed by the caller from the full-resolution geometry.
    """

    def __init__(self) -> None:
        self.drawn: list[Any] = []
        self._index: dict[bytes, int] = {}

    def add(self, geoms: Sequence[Any], site: Site, lon: float | None = None) -> list[int]:
        """Indices of ``geoms`` in the table, adding those not in it yet.

        Longitudes are drawn within 180° of ``lon`` (default the site's).
        """
        if not len(geoms):
            return []
        keys = shapely.to_wkb(np.asarray(geoms, dtype=object))
        out = []
        fresh: list[Any] = []
        for key, geom in zip(keys.tolist(), geoms, strict=True):
            index = self._index.get(key)
            if index is None:
                index = self._index[key] = len(self.drawn) + len(fresh)
                fresh.append(geom)
            out.append(index)
        if fresh:
            utm = to_utm(np.asarray(fresh, dtype=object), site.utm_epsg)
            simple = shapely.simplify(utm, display_tolerance_m(site.lat), preserve_topology=True)
            drawn = _oriented(
                _around(from_utm(simple, site.utm_epsg), site.lon if lon is None else lon)
            )
            self.drawn.extend(drawn.tolist())
        return out

    def encode(self) -> dict[str, list[int]]:
        """The table as flat integer arrays (see :func:`decode_shapes`)."""
        return encode_shapes(self.drawn)


def _bounds_near(bounds: Any, lon: float) -> list[list[float]]:
    """Leaflet bounds ``[[south, west], [north, east]]`` moved by 360° to lie around ``lon``.

    Examples
    --------
    >>> _bounds_near(((-16.6, -179.95), (-16.4, -179.85)), 179.9)
    [[-16.6, 180.05], [-16.4, 180.15]]
    """
    (south, west), (north, east) = bounds
    shift = float(lon_near(west, lon)) - west
    return [[float(south), float(west + shift)], [float(north), float(east + shift)]]


def _around(geoms: Any, lon: float) -> Any:
    """Geometries with each longitude within 180° of ``lon`` (shifted by 360° if need be).

    UTM gives longitudes back in -180..180; a footprint across the antimeridian is kept
    continuous around its site (Leaflet draws longitudes beyond 180° where the view is).
    Far from ±180° nothing moves and the same array is returned.

    Examples
    --------
    >>> from shapely.geometry import box
    >>> [g.bounds for g in _around(np.asarray([box(-180.0, 0, -179.99, 1)]), 179.99)]
    [(180.0, 0.0, 180.01, 1.0)]
    """
    lon_all = shapely.get_coordinates(geoms)[:, 0]
    if not len(lon_all) or np.all(np.abs(lon_all - lon) <= 180):
        return geoms

    def shifted(xy: np.ndarray) -> np.ndarray:
        return np.column_stack([lon_near(xy[:, 0], lon), xy[:, 1]])

    return shapely.transform(geoms, shifted)


def _oriented(geoms: Any) -> Any:
    """Polygons with their exteriors counter-clockwise and holes clockwise.

    A class drawn as one path of many shapes is filled with the non-zero rule, which then
    fills overlapping shapes once and leaves holes empty.
    """
    if hasattr(shapely, "orient_polygons"):  # shapely >= 2.1
        return shapely.orient_polygons(geoms)
    from shapely.geometry import MultiPolygon, Polygon
    from shapely.geometry.polygon import orient

    def one(g: Any) -> Any:
        if isinstance(g, Polygon):
            return orient(g)
        if isinstance(g, MultiPolygon):
            return MultiPolygon([orient(p) for p in g.geoms])
        return g

    return np.asarray([one(g) for g in geoms], dtype=object)


def encode_shapes(geoms: Sequence[Any]) -> dict[str, list[int]]:
    """Polygons as compact integer arrays: the page's shape table.

    ``coords`` holds x, y pairs in units of ``1 / COORD_SCALE`` degree, each pair the difference
    from the previous one (the first from 0, 0), without the closing vertex of each ring;
    ``rings`` the number of vertices of each ring, ``polygons`` the number of rings of each
    polygon, ``shapes`` the number of polygons of each shape (as GeoArrow's offsets, but
    counts, which are shorter).

    Examples
    --------
    >>> from shapely.geometry import box
    >>> table = encode_shapes([box(126.5, 37.9, 126.5002, 37.9001)])
    >>> table["coords"]
    [126500200, 37900000, 0, 100, -200, 0, 0, -100]
    >>> table["rings"], table["polygons"], table["shapes"]
    ([4], [1], [1])
    >>> decode_shapes(table)[0]["coordinates"][0][0][:2]
    [[126.5002, 37.9], [126.5002, 37.9001]]
    """
    from shapely import GeometryType

    if not len(geoms):
        return {"coords": [], "rings": [], "polygons": [], "shapes": []}
    kind, coords, offsets = shapely.to_ragged_array(np.asarray(geoms, dtype=object))
    shapes: Any
    if kind == GeometryType.POLYGON:
        rings, polygons = offsets
        shapes = np.arange(len(geoms) + 1)
    elif kind == GeometryType.MULTIPOLYGON:
        rings, polygons, shapes = offsets
    else:  # pragma: no cover - footprints and patches are polygons
        raise ValueError(f"cannot draw {kind.name} geometries")
    ints = np.rint(np.asarray(coords)[:, :2] * COORD_SCALE).astype(np.int64)
    keep = np.ones(len(ints), dtype=bool)
    keep[np.asarray(rings[1:]) - 1] = False  # the closing vertex repeats the first
    deltas = np.diff(ints[keep], axis=0, prepend=np.zeros((1, 2), dtype=np.int64))
    return {
        "coords": deltas.ravel().tolist(),
        "rings": (np.diff(rings) - 1).tolist(),
        "polygons": np.diff(polygons).tolist(),
        "shapes": np.diff(shapes).tolist(),
    }


def decode_shapes(table: dict[str, list[int]]) -> list[dict[str, Any]]:
    """GeoJSON MultiPolygons from :func:`encode_shapes`, as ``kaesong-map.js`` decodes them."""
    xy = np.cumsum(np.asarray(table["coords"], dtype=np.int64).reshape(-1, 2), axis=0)
    points = (xy / COORD_SCALE).tolist()
    rings, polygons, shapes = (
        np.concatenate([[0], np.cumsum(table[k], dtype=np.int64)]).tolist()
        for k in ("rings", "polygons", "shapes")
    )

    def ring(r: int) -> list[list[float]]:
        vertices = points[rings[r] : rings[r + 1]]
        return [*vertices, vertices[0]]

    return [
        {
            "type": "MultiPolygon",
            "coordinates": [
                [ring(r) for r in range(polygons[p], polygons[p + 1])]
                for p in range(shapes[s], shapes[s + 1])
                if polygons[p + 1] > polygons[p]
            ],
        }
        for s in range(len(shapes) - 1)
    ]


def shape_runs(ids: Sequence[int]) -> list[int]:
    """Shape indices as runs: ``[start, count, start, count, ...]`` (what a feature names).

    Examples
    --------
    >>> shape_runs([4, 5, 6, 9, 2])
    [4, 3, 9, 1, 2, 1]
    >>> shape_ids(shape_runs([4, 5, 6, 9, 2]))
    [4, 5, 6, 9, 2]
    """
    runs: list[int] = []
    for i in ids:
        if runs and runs[-2] + runs[-1] == i:
            runs[-1] += 1
        else:
            runs += [i, 1]
    return runs


def shape_ids(runs: Sequence[int]) -> list[int]:
    """The shape indices of :func:`shape_runs`."""
    return [i for k in range(0, len(runs), 2) for i in range(runs[k], runs[k] + runs[k + 1])]


def page_geojson(config: dict[str, Any]) -> dict[str, Any]:
    """``config`` with a GeoJSON ``geojson`` FeatureCollection in each epoch and interval.

    What the page's script builds from the shape table, for tests and scripting: a feature's
    geometry is the MultiPolygon of all its shapes, its properties the rest of its entry.
    """
    drawn = decode_shapes(config["shapes"])
    out = dict(config)

    def collection(features: list[dict[str, Any]]) -> dict[str, Any]:
        return {
            "type": "FeatureCollection",
            "features": [
                {
                    "type": "Feature",
                    "properties": {k: v for k, v in f.items() if k != "shapes"},
                    "geometry": {
                        "type": "MultiPolygon",
                        "coordinates": [
                            p for s in shape_ids(f["shapes"]) for p in drawn[s]["coordinates"]
                        ],
                    },
                }
                for f in features
            ],
        }

    for key in ("epochs", "intervals"):
        out[key] = [{**item, "geojson": collection(item["features"])} for item in config[key]]
    return out


def _footprint_features(
    result: EpochResult, headline: str, shape_ids: list[int]
) -> list[dict[str, Any]] | None:
    """One feature per class of a crowded epoch (see :data:`MAX_DRAWN_FOOTPRINTS`), else None.

    The class is drawn as the footprints of the class, shape by shape, as one path.
    """
    footprints = result.epoch.footprints
    if len(footprints) <= MAX_DRAWN_FOOTPRINTS:
        return None
    features = []
    for cls in dict.fromkeys(fp.category for fp in footprints):
        members = [fp for fp in footprints if fp.category == cls]
        ids = [i for fp, i in zip(footprints, shape_ids, strict=True) if fp.category == cls]
        files = dict.fromkeys(fp.file for fp in members)
        rows = [
            ["Class", cls],
            ["Footprints", f"{len(members):,}"],
            ["Area", f"{result.class_area_m2[cls] / 1e4:,.1f} ha (geodesic, full resolution)"],
            ["Methods", ", ".join(dict.fromkeys(fp.method for fp in members))],
            ["Files", ", ".join(dict.fromkeys(Path(f).name for f in files if f))],
        ]
        name = f"{cls}, {plural(len(members), 'footprint')} drawn as one shape"
        runs = shape_runs(list(dict.fromkeys(ids)))
        features.append({"name": name, "headline": headline, "rows": rows, "shapes": runs})
    return features


def _patch_features(patches: Sequence[Patch], shape_ids: list[int]) -> list[dict[str, Any]]:
    """One feature per added patch; above :data:`MAX_DRAWN_FOOTPRINTS`, one per growth type.

    A growth type drawn as one shape gives the number of its patches, their total (geodesic,
    full-resolution) area and their mean LEI weighted by area.
    """
    if len(patches) <= MAX_DRAWN_FOOTPRINTS:
        return [
            {
                "type": p.growth_type,
                "lei": f"{p.lei:.1f}",
                "area": f"{p.area_m2 / 1e4:,.2f} ha",
                "shapes": [i, 1],
            }
            for p, i in zip(patches, shape_ids, strict=True)
        ]
    features = []
    for kind in GROWTH_COLORS:
        members = [(p, i) for p, i in zip(patches, shape_ids, strict=True) if p.growth_type == kind]
        if not members:
            continue
        area = math.fsum(p.area_m2 for p, _ in members)
        lei = math.fsum(p.lei * p.area_m2 for p, _ in members) / area if area else 0.0
        features.append(
            {
                "type": kind,
                "lei": f"{lei:.1f} (mean weighted by area)",
                "area": f"{area / 1e4:,.2f} ha in {len(members):,} "
                f"{'patch' if len(members) == 1 else 'patches'} drawn as one shape",
                "shapes": shape_runs([i for _, i in members]),
            }
        )
    return features


def _site_names(names: Sequence[str]) -> str:
    """Site names as an English list.

    Examples
    --------
    >>> _site_names(["Kaesong"]), _site_names(["Kaesong", "Rason", "Sinuiju"])
    ('Kaesong', 'Kaesong, Rason and Sinuiju')
    """
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def _config(reports: Sequence[GrowthReport], overlays: Sequence[SiteImages]) -> dict[str, Any]:
    """What the page's script reads: epochs, intervals and imagery of every site, and shapes.

    With several sites, each epoch, interval and image carries its site's index (``site``)
    and its label is prefixed with the site's short name (its full name where two sites share
    a short name); colours follow the date over all sites.
    """
    shapes = _Shapes()
    several = len(reports) > 1
    names = [r.site.short_name or r.site.name for r in reports]
    if len(set(names)) < len(names):
        names = [r.site.name for r in reports]
    all_dates = [r.epoch.date.placed for report in reports for r in report.epochs]
    all_colors = epoch_colors(all_dates) if all_dates else []
    epochs: list[dict[str, Any]] = []
    intervals: list[dict[str, Any]] = []
    imagery: list[dict[str, Any]] = []
    notes: list[str] = []
    sites: list[dict[str, Any]] = []
    for k, (report, site_overlays) in enumerate(zip(reports, overlays, strict=True)):
        prefix = f"{names[k]} " if several else ""
        colors = all_colors[len(epochs) : len(epochs) + len(report.epochs)]
        # Sites either side of 180° are drawn side by side: each around the first one's lon.
        lon = float(lon_near(report.site.lon, reports[0].site.lon))
        site_config = _site_config(report, site_overlays, shapes, colors, prefix, lon)
        for item in (*site_config["epochs"], *site_config["intervals"], *site_config["imagery"]):
            item["site"] = k
        epochs += site_config["epochs"]
        intervals += site_config["intervals"]
        imagery += site_config["imagery"]
        notes += [f"{report.site.name}: {n}" if several else n for n in site_config["notes"]]
        sites.append({"name": report.site.name, "short": names[k], "bounds": site_config["bounds"]})
    boxes = [s["bounds"] for s in sites if s["bounds"]]
    bounds = None
    if boxes:
        bounds = [
            [min(b[0][0] for b in boxes), min(b[0][1] for b in boxes)],
            [max(b[1][0] for b in boxes), max(b[1][1] for b in boxes)],
        ]
    return {
        "sites": sites,
        "epochs": epochs,
        "intervals": intervals,
        "imagery": imagery,
        "shapes": shapes.encode(),
        "growthColors": GROWTH_COLORS,
        "notes": notes,
        "provenanceTitle": "Data provenance and quality (read me)",
        "bounds": bounds,
    }


def _site_config(
    report: GrowthReport,
    overlays: SiteImages,
    shapes: _Shapes,
    colors: list[str],
    prefix: str = "",
    lon: float | None = None,
) -> dict[str, Any]:
    """One site's part of :func:`_config` (popup and legend rows are built here).

    Everything is drawn within 180° of ``lon`` (default: the site's longitude). Images of a
    label that is not one of the report's epochs are left out: the time control shows each
    image with its epoch, and such an image has none.
    """
    lon = report.site.lon if lon is None else lon
    data = report.to_dict()
    epochs = []
    for r, e, color in zip(report.epochs, data["epochs"], colors, strict=True):
        headline = epoch_headline(e)
        rows = popup_rows(EPOCH_COLUMNS, e)
        shape_ids = shapes.add([fp.geometry for fp in r.epoch.footprints], report.site, lon)
        features = _footprint_features(r, headline, shape_ids) or []
        pairs = zip(r.epoch.footprints, e["footprints"], shape_ids, strict=True)
        for fp, fp_row, shape_id in pairs if not features else ():
            fp_rows = popup_rows(FOOTPRINT_COLUMNS, fp_row)
            features.append(
                {"name": fp.name, "headline": headline, "rows": fp_rows, "shapes": [shape_id, 1]}
            )
        epochs.append(
            {
                "label": prefix + r.label,
                "date": e["date"],
                "color": color,
                "estimated": e["flags"]["estimated"],
                "headline": headline,
                "rows": rows,
                "features": features,
            }
        )
    intervals = []
    for i in report.intervals:
        if i.kind != "consecutive":
            continue
        g = i.growth
        ids = shapes.add([p.geometry for p in g.patches], report.site, lon)
        intervals.append(
            {
                "start": prefix + g.start.label,
                "end": prefix + g.end.label,
                "label": f"{prefix}{g.start.label} to {g.end.label}",
                "features": _patch_features(g.patches, ids),
            }
        )
    labels = {r.label for r in report.epochs}
    imagery = [
        _image_entry(prefix + label, image, lon)
        for label, image in _epoch_images(overlays)
        if label in labels
    ]
    bounds = None
    if report.epochs:
        xs, ys = [], []
        for r in report.epochs:
            minx, miny, maxx, maxy = r.epoch.geometry.bounds
            xs += [minx, maxx]
            ys += [miny, maxy]
        bounds = _bounds_near(((min(ys), min(xs)), (max(ys), max(xs))), lon)
    return {
        "epochs": epochs,
        "intervals": intervals,
        "imagery": imagery,
        "notes": data["notes"] + [f"Warning: {w}" for w in data["warnings"]],
        "bounds": bounds,
    }


def _no_leaflet_script() -> str:
    """An inline script saying why the page is blank when Leaflet could not be loaded.

    A CDN-linked map opened with no network loads none of its scripts; without this the
    page is simply empty. The script needs nothing from the network, names the host of the
    script that failed, and does nothing when Leaflet is there (always, in a self-contained
    page, which therefore names no CDN at all).
    """
    return (
        "<script>window.addEventListener('load', function () {"
        "if (window.L) { return; }"
        "var src = document.querySelector('script[src*=\"leaflet\"]');"
        "var host = src ? new URL(src.src, location.href).host : 'the network';"
        "var box = document.createElement('div');"
        "box.className = 'ks-no-leaflet'; box.setAttribute('role', 'alert');"
        "box.textContent = 'This map needs its scripts (Leaflet) from ' + host + ', and they "
        "could not be loaded: you are probably offline. For a map that works offline, run: "
        "kaesong-geo map --self-contained';"
        "box.style.cssText = 'position:fixed;top:20%;left:50%;transform:translateX(-50%);"
        "max-width:min(34em,90vw);padding:14px 18px;background:#fff4e5;"
        "border-left:5px solid #e67e00;font:15px/1.5 system-ui,sans-serif;color:#222;"
        "box-shadow:0 1px 6px rgba(0,0,0,.35);z-index:10000;';"
        "document.body.appendChild(box);"
        "});</script>"
    )


def build_map(
    reports: GrowthReport | Sequence[GrowthReport],
    overlays: SiteImages | Sequence[SiteImages] | None = None,
) -> folium.Map:
    """A Folium map of one report or of several sites, with image ``overlays`` by epoch label.

    ``overlays`` maps an epoch label to its images (:func:`load_overlays`), each drawn in
    the layer control as "Imagery <epoch> (<image>)" and shown by the time control with its
    epoch only; images of one epoch are all drawn, later ones on top.
    With several reports (one per site), ``overlays`` is a sequence with one mapping per
    report; the map has one layer group per site, named after it, a time control shared by
    date (each site shows its latest epoch as of the chosen date) and fits all sites.
    The page links Leaflet and its plugins from the CDN; :func:`make_map` can inline them.
    """
    if isinstance(reports, GrowthReport):
        reports = [reports]
        overlays = [cast("SiteImages", overlays or {})]
    elif overlays is None:
        overlays = [{} for _ in reports]
    if not reports:
        raise ValueError("build_map needs at least one report")
    if isinstance(overlays, Mapping) or len(overlays) != len(reports):
        raise ValueError("build_map: give one overlay mapping per report")
    import folium
    import folium.plugins
    from branca.element import Element, MacroElement
    from jinja2 import Template

    class _Map(folium.Map):
        default_js = [  # noqa: RUF012
            ("leaflet", assets.url("leaflet_js"))
        ]
        default_css = [  # noqa: RUF012
            ("leaflet_css", assets.url("leaflet_css"))
        ]

    class _Measure(folium.plugins.MeasureControl):
        default_js = [  # noqa: RUF012
            ("measure_js", assets.url("measure_js"))
        ]
        default_css = [  # noqa: RUF012
            ("measure_css", assets.url("measure_css"))
        ]

    class _Fullscreen(folium.elements.JSCSSMixin, MacroElement):
        _template = Template(
            "{% macro script(this, kwargs) %}"
            "new L.Control.FullScreen({position: 'topleft', title: 'Full screen', "
            "titleCancel: 'Exit full screen'}).addTo({{ this._parent.get_name() }});"
            "{% endmacro %}"
        )
        default_js = [  # noqa: RUF012
            ("fullscreen_js", assets.url("fullscreen_js"))
        ]
        default_css = [  # noqa: RUF012
            ("fullscreen_css", assets.url("fullscreen_css"))
        ]

    class _Kaesong(MacroElement):
        _template = Template(
            "{% macro script(this, kwargs) %}"
            "{{ this.library }}\n"
            "KaesongMap.init({{ this._parent.get_name() }}, {{ this.config }}, "
            "[{% for var, name in this.bases %}{layer: {{ var }}, name: {{ name }}}"
            "{{ ',' if not loop.last }}{% endfor %}]);"
            "{% endmacro %}"
        )

        def __init__(self, config: dict[str, Any], bases: list[tuple[str, str]]) -> None:
            super().__init__()  # type: ignore[no-untyped-call]
            self._name = "KaesongMap"
            self.library = (_STATIC / "kaesong-map.js").read_text(encoding="utf-8")
            self.config = safe_json(config)
            self.bases = [(var, safe_json(name)) for var, name in bases]

    config = _config(reports, overlays)
    center = [reports[0].site.lat, reports[0].site.lon]
    m = _Map(location=center, zoom_start=14, tiles=None, control_scale=True, prefer_canvas=False)
    street = folium.TileLayer(_STREET[0], name=_STREET[1], show=True).add_to(m)
    satellite = folium.TileLayer(
        tiles=_SATELLITE[0], attr=_SATELLITE[1], name=_SATELLITE[2], show=False
    ).add_to(m)
    root = cast("Figure", m.get_root())
    css = (_STATIC / "kaesong-map.css").read_text(encoding="utf-8")
    root.header.add_child(Element(f"<style>{css}</style>"))
    title = html_lib.escape(f"{_site_names([r.site.name for r in reports])}: footprint growth")
    root.header.add_child(Element(f"<title>{title}</title>"))
    root.header.add_child(Element(_no_leaflet_script()))
    _Fullscreen().add_to(m)  # type: ignore[no-untyped-call]
    _Measure(  # type: ignore[no-untyped-call]
        position="topleft",
        primary_length_unit="meters",
        secondary_length_unit="kilometers",
        primary_area_unit="hectares",
        secondary_area_unit="sqmeters",
    ).add_to(m)
    _Kaesong(
        config, [(street.get_name(), _STREET[1]), (satellite.get_name(), _SATELLITE[2])]
    ).add_to(m)
    return m


def load_overlays(
    report: GrowthReport, *, progress: bool | None = None
) -> dict[str, list[EpochImage]]:
    """Every image catalogued with a ``file`` for the report's epochs, warped for the map.

    By epoch label, the epoch's images in catalogue order (an image dated ``2013-06-20``
    is of epoch ``2013-06``, see :func:`~kaesong_geo.io.footprints.of_epoch`); an image
    of no epoch of the report is not read. The same file catalogued twice for an epoch is
    read once.
    """
    folder = report.data_dir / "imagery"
    out: dict[str, list[EpochImage]] = {}
    read: dict[str, Overlay] = {}
    for r in report.epochs:
        images = []
        for record in r.imagery:
            if not record.file:
                continue
            if record.file not in read:
                read[record.file] = read_overlay(
                    folder / record.file, progress=progress, root=folder
                )
            images.append(EpochImage(read[record.file], record))
        if images:
            out[r.label] = images
    return out


def make_map(
    data_dir: str | os.PathLike[str] | Sequence[str | os.PathLike[str]] | None = None,
    epochs: Sequence[str] | None = None,
    *,
    self_contained: bool = False,
    progress: bool | None = None,
    site: Site | None = None,
) -> str:
    """The map of a data directory, or of several sites, as one HTML document.

    Parameters
    ----------
    data_dir : path or sequence of paths, optional
        Data directory (default ``KAESONG_GEO_DATA`` or the bundled data). A list of several
        directories (one site each) makes one map of all of them (see :func:`build_map`).
    epochs : sequence of str, optional
        Epochs to show (default all); one data directory only (epochs are per site).
    self_contained : bool, default False
        Inline every script and stylesheet, so the file works with no network at all.
        Basemap tiles then do not appear: when the first tiles fail to load the page switches
        to a blank basemap and says so. A map that is not self-contained, opened offline,
        says that it needs its scripts from the CDN.
    progress : bool, optional
        Progress bars while warping imagery (default: on a terminal).
    site : Site, optional
        Default: the data directory's ``site.toml`` (see :func:`~kaesong_geo.report.growth_report`);
        one data directory only.

    Raises
    ------
    UsageError
        Several directories with ``epochs`` or ``site``, the same folder twice, or two sites
        of one name.
    """
    reports = growth_reports(data_dir, epochs, site=site)
    overlays = [load_overlays(r, progress=progress) for r in reports]
    html: str = build_map(reports, overlays).get_root().render()
    return assets.inline_html(html) if self_contained else html
