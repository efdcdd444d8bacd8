"""The one-file HTML report: tables, charts, the interactive map and the provenance.

Everything is inside the file: the chart is an inline SVG image, the map a self-contained
page in an ``<iframe srcdoc>``, the styles inline. It opens with no network (the map then
shows a blank basemap). The page comes from the Jinja2 templates in ``maps/templates/``
(``report.html``, its macros in ``macros.html``, the styles in ``report.css``) with
autoescaping on: every piece of text from the data, and the map in ``srcdoc``, is escaped by
the template engine. The tables are drawn from the column specification
(:mod:`kaesong_geo.columns`). Several sites: a comparison table, then one section per site.

Examples
--------
>>> html = make_report()
>>> html.startswith("<!DOCTYPE html>"), "APPROXIMATE RECONSTRUCTIONS" in html
(True, True)
"""

from __future__ import annotations

import base64
import functools
import os
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from kaesong_geo.columns import (
    COMPARISON_COLUMNS,
    CORRELATION_COLUMNS,
    EPOCH_COLUMNS,
    FOOTPRINT_COLUMNS,
    INTERVAL_COLUMNS,
    Column,
    has_counts,
    has_flag,
    shown,
)
from kaesong_geo.maps import assets
from kaesong_geo.maps.build import SiteImages, build_map, load_overlays
from kaesong_geo.maps.charts import chart_bytes, draws_counts
from kaesong_geo.report import GrowthReport, growth_reports
from kaesong_geo.site import Site, utm_zone_label
from kaesong_geo.text import plural

if TYPE_CHECKING:
    import jinja2

__all__ = ["make_report", "render_html"]


def _css(column: Column) -> str:
    """The CSS classes of a column's cells: text left-aligned, free text wrapped.

    Examples
    --------
    >>> html = shown(FOOTPRINT_COLUMNS, "html")
    >>> [_css(c) for c in html if c.key in ("name", "source", "area_m2")]
    ['text wrap', '', 'text wrap prose']
    """
    classes = ["text"] if column.align == "left" else []
    if column.wrap:
        classes.append("wrap")
    if column.wrap == "prose":
        classes.append("prose")
    return " ".join(classes)


@functools.lru_cache(maxsize=1)
def _environment() -> jinja2.Environment:
    """The templates of ``maps/templates``, autoescaped, with the column specification."""
    import jinja2

    env = jinja2.Environment(
        loader=jinja2.PackageLoader("kaesong_geo.maps", "templates"),
        autoescape=jinja2.select_autoescape(default=True, default_for_string=True),
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
    )
    env.globals.update(
        shown=shown,
        css=_css,
        plural=plural,
        utm_zone_label=utm_zone_label,
        EPOCH_COLUMNS=EPOCH_COLUMNS,
        INTERVAL_COLUMNS=INTERVAL_COLUMNS,
        CORRELATION_COLUMNS=CORRELATION_COLUMNS,
        FOOTPRINT_COLUMNS=FOOTPRINT_COLUMNS,
        COMPARISON_COLUMNS=COMPARISON_COLUMNS,
    )
    return env


def _map_html(reports: Sequence[GrowthReport], overlays: Sequence[SiteImages]) -> str:
    """The self-contained page of the map of ``reports`` (one site or several)."""
    return assets.inline_html(build_map(list(reports), list(overlays)).get_root().render())


def _site(report: GrowthReport, overlays: SiteImages | None) -> dict[str, Any]:
    """What the templates show of one site: its report, chart and (``overlays`` given) map."""
    data = report.to_dict()
    map_html = None if overlays is None else _map_html([report], [overlays])
    svg = chart_bytes(report, "svg")
    corr = data["correlation"]
    counts = has_counts(data["epochs"])
    return {
        "data": data,
        # Without counts: no columns of counts, no correlation (one note says so: areas only).
        "counts": counts,
        "unverified_marked": has_flag(
            shown(EPOCH_COLUMNS, "html", counts=counts), data["epochs"], "*"
        ),
        "chart_uri": "data:image/svg+xml;base64," + base64.b64encode(svg).decode("ascii"),
        "chart_alt": "Footprint area per epoch beside firms and workers; area against workers"
        if draws_counts(report)
        else "Footprint area per epoch",
        "map_html": map_html,
        "correlation_rows": [
            {**p, "descriptive_only": corr["descriptive_only"]} for p in corr["pairs"]
        ],
        "footprint_rows": [
            {"epoch": e["epoch"], **fp} for e in data["epochs"] for fp in e["footprints"]
        ],
    }


def render_html(reports: Sequence[GrowthReport], *, progress: bool | None = None) -> str:
    """The HTML report of one site, or of several side by side.

    One site: its tables, chart, map and provenance. Several: a comparison table
    (:func:`~kaesong_geo.compare_sites.compare_sites`) and one map of all the sites (a layer
    group each), then one section per site with its tables, chart and provenance.

    Parameters
    ----------
    reports : sequence of GrowthReport
        At least one; with several, the sites must have distinct names.
    progress : bool, optional
        Progress bars while warping imagery (default: on a terminal).

    Raises
    ------
    AssetsMissingError
        The Leaflet assets from npm are not installed (the map is always inlined).
    """
    if not reports:
        raise ValueError("render_html needs at least one report")
    overlays = [load_overlays(r, progress=progress) for r in reports]
    if len(reports) == 1:
        sites = [_site(reports[0], overlays[0])]
    else:  # one map of all the sites, a layer group each
        sites = [_site(r, None) for r in reports]
    context: dict[str, Any] = {"sites": sites}
    if len(reports) == 1:
        context["title"] = f"{reports[0].site.name}: footprint growth report"
    else:
        from kaesong_geo.compare_sites import compare_sites
        from kaesong_geo.render import comparison_summary

        comparison = compare_sites(reports).to_dict()
        context["title"] = "Sites side by side: footprint growth report"
        context["comparison"] = comparison
        context["counts"] = any(site["counts"] for site in sites)  # else no workers/ha column
        context["summary"] = [comparison_summary(s) for s in comparison["sites"]]
        context["map_html"] = _map_html(reports, overlays)
    return _environment().get_template("report.html").render(context)


def make_report(
    data_dir: str | os.PathLike[str] | Sequence[str | os.PathLike[str]] | None = None,
    epochs: Sequence[str] | None = None,
    *,
    progress: bool | None = None,
    site: Site | None = None,
) -> str:
    """The report of a data directory, or of several side by side, as one HTML document.

    Parameters
    ----------
    data_dir : path or sequence of paths, optional
        Data directory (default ``KAESONG_GEO_DATA`` or the bundled data); several: one
        section per site and a comparison table.
    epochs : sequence of str, optional
        Epochs to include (one data directory only: epochs are per site).
    progress : bool, optional
        Progress bars while warping imagery (default: on a terminal).
    site : Site, optional
        One data directory only; default: its ``site.toml`` (see
        :func:`~kaesong_geo.report.growth_report`).

    Raises
    ------
    AssetsMissingError
        The Leaflet assets from npm are not installed (the map is always inlined).
    UsageError
        Several data directories with ``epochs`` or ``site``, the same folder twice, or two
        sites of one name.
    """
    return render_html(growth_reports(data_dir, epochs, site=site), progress=progress)
