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
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

import numpy as np
import shapely

from kaesong_geo.columns import EPOCH_COLUMNS, FOOTPRINT_COLUMNS, epoch_headline, popup_rows
from kaesong_geo.io.raster import Overlay, read_overlay
from kaesong_geo.maps import assets
from kaesong_geo.measure import from_utm, to_utm
from kaesong_geo.report import EpochResult, GrowthReport, growth_report
from kaesong_geo.site import Site

if TYPE_CHECKING:
    import folium
    from branca.element import Figure

__all__ = [
    "GROWTH_COLORS",
    "MAX_DRAWN_FOOTPRINTS",
    "MAX_ZOOM",
    "build_map",
    "display_tolerance_m",
    "epoch_colors",
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


def _geojson(
    features: list[tuple[Any, dict[str, Any]]], site: Site | None = None
) -> dict[str, Any]:
    """A FeatureCollection of the geometries as drawn: simplified at screen resolution.

    With a ``site``, each geometry is simplified in the site's UTM zone to the size of a
    pixel at :data:`MAX_ZOOM` (topology kept), and coordinates are rounded to 1e-6 degrees
    (about 0.1 m). Only the drawing is simplified: every figure in the properties is computed
    by the caller from the full-resolution geometry.
    """
    geoms = np.asarray([g for g, _ in features], dtype=object)
    if site is not None and geoms.size:
        tolerance = display_tolerance_m(site.lat)
        simple = shapely.simplify(to_utm(geoms, site.utm_epsg), tolerance, preserve_topology=True)
        geoms = from_utm(simple, site.utm_epsg)
    rounded = shapely.transform(geoms, lambda xy: np.round(xy, 6))
    texts: list[str] = list(shapely.to_geojson(rounded)) if geoms.size else []
    out = [
        {"type": "Feature", "properties": props, "geometry": json.loads(text)}
        for (_, props), text in zip(features, texts, strict=True)
    ]
    return {"type": "FeatureCollection", "features": out}


def _footprint_features(
    result: EpochResult, headline: str
) -> list[tuple[Any, dict[str, Any]]] | None:
    """One feature per class of a crowded epoch (see :data:`MAX_DRAWN_FOOTPRINTS`), else None."""
    footprints = result.epoch.footprints
    if len(footprints) <= MAX_DRAWN_FOOTPRINTS:
        return None
    features = []
    for cls, geom in result.epoch.category_geometries().items():
        members = [fp for fp in footprints if fp.category == cls]
        rows = [
            ["Class", cls],
            ["Footprints", f"{len(members):,}"],
            ["Area", f"{result.class_area_m2[cls] / 1e4:,.1f} ha (geodesic, full resolution)"],
            ["Methods", ", ".join(dict.fromkeys(fp.method for fp in members))],
            ["Files", ", ".join(dict.fromkeys(Path(fp.file).name for fp in members if fp.file))],
        ]
        name = f"{cls}, {len(members):,} footprints drawn as one shape"
        features.append((geom, {"name": name, "headline": headline, "rows": rows}))
    return features


def _config(report: GrowthReport, overlays: dict[str, Overlay]) -> dict[str, Any]:
    data = report.to_dict()
    colors = epoch_colors([r.epoch.date.placed for r in report.epochs])
    epochs = []
    for r, e, color in zip(report.epochs, data["epochs"], colors, strict=True):
        headline = epoch_headline(e)
        rows = popup_rows(EPOCH_COLUMNS, e)
        features = _footprint_features(r, headline) or []
        pairs = zip(r.epoch.footprints, e["footprints"], strict=True) if not features else ()
        for fp, fp_row in pairs:
            fp_rows = popup_rows(FOOTPRINT_COLUMNS, fp_row)
            features.append((fp.geometry, {"name": fp.name, "headline": headline, "rows": fp_rows}))
        epochs.append(
            {
                "label": r.label,
                "date": e["date"],
                "color": color,
                "estimated": e["flags"]["estimated"],
                "headline": headline,
                "rows": rows,
                "geojson": _geojson(features, report.site),
            }
        )
    intervals = []
    for i in report.intervals:
        if i.kind != "consecutive":
            continue
        g = i.growth
        patches = [
            (
                p.geometry,
                {
                    "type": p.growth_type,
                    "lei": f"{p.lei:.1f}",
                    "area": f"{p.area_m2 / 1e4:,.2f} ha",
                },
            )
            for p in g.patches
        ]
        intervals.append(
            {"start": g.start.label, "end": g.end.label, "geojson": _geojson(patches, report.site)}
        )
    imagery = []
    for label, ov in overlays.items():
        imagery.append(
            {
                "epoch": label,
                "url": "data:image/png;base64," + base64.b64encode(ov.png).decode("ascii"),
                "bounds": [list(ov.bounds[0]), list(ov.bounds[1])],
            }
        )
    bounds = None
    if report.epochs:
        xs, ys = [], []
        for r in report.epochs:
            minx, miny, maxx, maxy = r.epoch.geometry.bounds
            xs += [minx, maxx]
            ys += [miny, maxy]
        bounds = [[min(ys), min(xs)], [max(ys), max(xs)]]
    return {
        "epochs": epochs,
        "intervals": intervals,
        "imagery": imagery,
        "growthColors": GROWTH_COLORS,
        "notes": data["notes"] + [f"Warning: {w}" for w in data["warnings"]],
        "provenanceTitle": "Data provenance and quality (read me)",
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


def build_map(report: GrowthReport, overlays: dict[str, Overlay] | None = None) -> folium.Map:
    """A Folium map of ``report``, with image ``overlays`` keyed by epoch label.

    The page links Leaflet and its plugins from the CDN; :func:`make_map` can inline them.
    """
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

    config = _config(report, overlays or {})
    center = [report.site.lat, report.site.lon]
    m = _Map(location=center, zoom_start=14, tiles=None, control_scale=True, prefer_canvas=False)
    street = folium.TileLayer(_STREET[0], name=_STREET[1], show=True).add_to(m)
    satellite = folium.TileLayer(
        tiles=_SATELLITE[0], attr=_SATELLITE[1], name=_SATELLITE[2], show=False
    ).add_to(m)
    root = cast("Figure", m.get_root())
    css = (_STATIC / "kaesong-map.css").read_text(encoding="utf-8")
    root.header.add_child(Element(f"<style>{css}</style>"))
    title = html_lib.escape(f"{report.site.name}: footprint growth")
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


def load_overlays(report: GrowthReport, *, progress: bool | None = None) -> dict[str, Overlay]:
    """Read the imagery catalogued for the report's epochs (``file`` column set)."""
    out: dict[str, Overlay] = {}
    for r in report.epochs:
        for record in r.imagery:
            if record.file:
                folder = report.data_dir / "imagery"
                out[r.label] = read_overlay(folder / record.file, progress=progress, root=folder)
    return out


def make_map(
    data_dir: str | os.PathLike[str] | None = None,
    epochs: Sequence[str] | None = None,
    *,
    self_contained: bool = False,
    progress: bool | None = None,
    site: Site | None = None,
) -> str:
    """The map of a data directory as one HTML document.

    Parameters
    ----------
    data_dir : path, optional
        Data directory (default ``KAESONG_GEO_DATA`` or the bundled data).
    epochs : sequence of str, optional
        Epochs to show (default all).
    self_contained : bool, default False
        Inline every script and stylesheet, so the file works with no network at all.
        Basemap tiles then do not appear: when the first tiles fail to load the page switches
        to a blank basemap and says so. A map that is not self-contained, opened offline,
        says that it needs its scripts from the CDN.
    progress : bool, optional
        Progress bars while warping imagery (default: on a terminal).
    site : Site, optional
        Default: the data directory's ``site.toml`` (see :func:`~kaesong_geo.report.growth_report`).
    """
    report = growth_report(data_dir, epochs, site=site)
    html: str = build_map(report, load_overlays(report, progress=progress)).get_root().render()
    return assets.inline_html(html) if self_contained else html
