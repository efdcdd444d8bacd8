"""The one-file HTML report: tables, charts, the interactive map and the provenance.

Everything is inside the file: the chart is an inline SVG image, the map a self-contained
page in an ``<iframe srcdoc>``, the styles inline. It opens with no network (the map then
shows a blank basemap). Every piece of text from the data is escaped.

Examples
--------
>>> html = make_report()
>>> html.startswith("<!DOCTYPE html>"), "APPROXIMATE RECONSTRUCTIONS" in html
(True, True)
"""

from __future__ import annotations

import base64
import html as htmllib
import os
from collections.abc import Sequence
from typing import Any

from kaesong_geo.maps import assets
from kaesong_geo.maps.build import build_map, load_overlays
from kaesong_geo.maps.charts import chart_bytes
from kaesong_geo.report import growth_report
from kaesong_geo.site import Site
from kaesong_geo.text import plural

__all__ = ["make_report"]


_CSS = """
body { font: 15px/1.5 system-ui, sans-serif; margin: 0 auto; max-width: 1280px;
  padding: 0 20px 40px; color: #222; box-sizing: border-box; }
h1 { font-size: 26px; margin: 24px 0 4px; }
h2 { font-size: 19px; margin: 28px 0 8px; border-bottom: 1px solid #ddd; padding-bottom: 3px; }
.meta { color: #666; font-size: 13px; }
.warning { background: #fff4e5; border-left: 5px solid #e67e00; padding: 10px 14px;
  margin: 14px 0; }
table { border-collapse: collapse; font-size: 13px; line-height: 1.35; margin: 6px 0 12px; }
.scroll { overflow-x: auto; max-width: 100%; }
th, td { border-bottom: 1px solid #e3e3e3; padding: 4px 6px; text-align: right;
  vertical-align: top; }
td { white-space: nowrap; font-variant-numeric: tabular-nums; }
th { background: #f5f5f5; vertical-align: bottom; white-space: normal; min-width: 3.5em;
  overflow-wrap: normal; hyphens: manual; }
td.wrap { white-space: normal; min-width: 10em; max-width: 28em; overflow-wrap: anywhere; }
td.prose { min-width: 14em; }
td.text, th.text { text-align: left; }
.flag { color: #b30000; font-weight: 600; }
iframe { width: 100%; height: 640px; border: 1px solid #ccc; }
img.chart { width: 100%; height: auto; }
.small { font-size: 12px; color: #555; }
"""


def _e(value: Any) -> str:
    return htmllib.escape("" if value is None else str(value), quote=True)


def _n(value: float | None, spec: str) -> str:
    return "&ndash;" if value is None else _e(format(value, spec))


_WRAP = {"provenance", "source", "note", "name"}
_PROSE = {"source", "note"}  # long text: wrapped in wider columns


def _table(headers: list[tuple[str, bool]], rows: list[list[str]]) -> str:
    """Headers as (title, is_text_column); cells must already be escaped."""

    def cls(h: str, text: bool) -> str:
        return (
            ("text" if text else "")
            + (" wrap" if h in _WRAP else "")
            + (" prose" if h in _PROSE else "")
        )

    head = "".join(f'<th class="{cls(h, t)}">{_e(h)}</th>' for h, t in headers)
    body = "".join(
        "<tr>"
        + "".join(f'<td class="{cls(*headers[i])}">{c}</td>' for i, c in enumerate(r))
        + "</tr>"
        for r in rows
    )
    table = f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"
    return f'<div class="scroll">{table}</div>'


def _count(aligned: dict[str, Any]) -> str:
    if aligned["value"] is None:
        return "&ndash;"
    mark = "" if aligned["verified"] else '<span class="flag">*</span>'
    return _e(f"{aligned['value']:,.0f}") + mark


def make_report(
    data_dir: str | os.PathLike[str] | None = None,
    epochs: Sequence[str] | None = None,
    *,
    progress: bool | None = None,
    site: Site | None = None,
) -> str:
    """The report of a data directory as one self-contained HTML document.

    ``site`` defaults to the data directory's ``site.toml`` (see
    :func:`~kaesong_geo.report.growth_report`).

    Raises
    ------
    AssetsMissingError
        The Leaflet assets from npm are not installed (the map is always inlined).
    """
    report = growth_report(data_dir, epochs, site=site)
    data = report.to_dict()
    map_html = assets.inline_html(
        build_map(report, load_overlays(report, progress=progress)).get_root().render()
    )
    svg = chart_bytes(report, "svg")

    epoch_rows = []
    for e in data["epochs"]:
        flags = ", ".join(e["flags"]["methods"])
        if e["flags"]["uncertainty_m"] is not None:
            flags += f", ±{e['flags']['uncertainty_m']:,.0f} m"
        flag_html = _e(flags) + (
            ' <span class="flag">ESTIMATED</span>' if e["flags"]["estimated"] else ""
        )
        epoch_rows.append(
            [
                _e(e["epoch"]),
                _e(e["date"]),
                _n(e["area_km2"], ".3f"),
                _n(e["area_ha"], ",.1f"),
                _n(e["area_uncertainty_m2"] and e["area_uncertainty_m2"] / 1e4, ",.1f"),
                _n(e["area_utm_m2"], ",.0f"),
                _n(e["utm_diff_pct"], "+.3f"),
                _n(e["perimeter_m"], ",.0f"),
                _n(e["polsby_popper"], ".3f"),
                _n(e["growth_pct"], "+,.1f"),
                _n(e["annual_rate_pct"], "+,.1f"),
                _count(e["aligned"]["firms"]),
                _count(e["aligned"]["workers"]),
                _n(e["workers_per_ha"], ",.1f"),
                flag_html,
            ]
        )
    epochs_table = _table(
        [
            ("epoch", True),
            ("date", True),
            ("area km²", False),
            ("area ha", False),
            ("± ha", False),
            ("UTM area m²", False),
            ("UTM diff %", False),
            ("perimeter m", False),
            ("Polsby-Popper", False),
            ("growth %", False),
            ("annual %", False),
            ("firms", False),
            ("workers", False),
            ("workers/ha", False),
            ("provenance", True),
        ],
        epoch_rows,
    )
    interval_rows = []
    for i in data["intervals"]:
        t = i["added_by_type_m2"]
        interval_rows.append(
            [
                _e(i["start"]),
                _e(i["end"]),
                _e(i["kind"]),
                _n(i["days"], ",d"),
                _n(i["growth_m2"] / 1e6, "+.3f"),
                _n(i["growth_pct"], "+,.1f"),
                _n(i["annual_rate_pct"], "+,.1f"),
                _n(i["added_m2"] / 1e6, ".3f"),
                _n(i["lost_m2"] / 1e6, ".3f"),
                _n(t["infill"] / 1e6, ".3f"),
                _n(t["extension"] / 1e6, ".3f"),
                _n(t["leapfrog"] / 1e6, ".3f"),
                _n(i["elasticity_workers"], ".2f"),
            ]
        )
    intervals_table = _table(
        [
            ("from", True),
            ("to", True),
            ("kind", True),
            ("days", False),
            ("growth km²", False),
            ("growth %", False),
            ("annual %", False),
            ("added km²", False),
            ("lost km²", False),
            ("infill km²", False),
            ("extension km²", False),
            ("leapfrog km²", False),
            ("elasticity workers", False),
        ],
        interval_rows,
    )
    corr = data["correlation"]
    corr_rows = [
        [
            _e(p["x"]),
            _e(p["y"]),
            _n(p["n"], "d"),
            _n(p["pearson_r"], ".3f"),
            _n(p["spearman_rho"], ".3f"),
            _n(p["pearson_p"], ".3g"),
        ]
        for p in corr["pairs"]
    ]
    corr_table = _table(
        [
            ("x", True),
            ("y", True),
            ("n", False),
            ("Pearson r", False),
            ("Spearman rho", False),
            ("p", False),
        ],
        corr_rows,
    )
    fp_rows = []
    for e in data["epochs"]:
        for fp in e["footprints"]:
            fp_rows.append(
                [
                    _e(e["epoch"]),
                    _e(fp["name"]),
                    _e(fp["class"]),
                    _e(fp["method"]),
                    '<span class="flag">yes</span>' if fp["estimated"] else "no",
                    _n(fp["area_m2"], ",.0f"),
                    _n(fp["reference_area_m2"], ",.0f"),
                    _n(fp["uncertainty_m"], ",.0f"),
                    _n(fp["area_uncertainty_pct"], "g"),
                    _e(fp["source"]),
                    _e(fp["note"]),
                ]
            )
    fp_table = _table(
        [
            ("epoch", True),
            ("name", True),
            ("class", True),
            ("method", True),
            ("estimated", True),
            ("area m²", False),
            ("documented m²", False),
            ("± m", False),
            ("area ± %", False),
            ("source", True),
            ("note", True),
        ],
        fp_rows,
    )
    notes = "".join(f"<li>{_e(n)}</li>" for n in data["notes"])
    warnings = "".join(f'<li class="flag">{_e(w)}</li>' for w in data["warnings"])
    sources = "".join(f"<li>{_e(s)}</li>" for s in data["provenance"]["observation_sources"])
    descriptive = (
        f"<p><strong>Descriptive only:</strong> {plural(corr['n'], 'epoch')}, fewer than "
        f"{corr['min_n_for_inference']}; no significance is claimed.</p>"
        if corr["descriptive_only"]
        else ""
    )
    chart_uri = "data:image/svg+xml;base64," + base64.b64encode(svg).decode("ascii")
    first_notes = "".join(f"<p>{_e(n)}</p>" for n in data["notes"][:2])
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{_e(data["site"]["name"])}: footprint growth report</title>
<style>{_CSS}</style>
</head>
<body>
<h1>{_e(data["site"]["name"])}: footprint growth</h1>
<p class="meta">kaesong-geo {_e(data["tool"]["version"])} &middot;
data: {_e(data["data_dir"])} &middot; areas geodesic on WGS 84, cross-checked in UTM
(EPSG:{_e(data["site"]["utm_epsg"])})</p>
<div class="warning">{first_notes}</div>
<h2>Epochs</h2>
{epochs_table}
<p class="small"><span class="flag">*</span> aligned from unverified, approximate or derived
observations.</p>
<h2>Growth between epochs</h2>
{intervals_table}
<h2>Chart</h2>
<img class="chart" src="{chart_uri}"
 alt="Footprint area per epoch beside firms and workers; area against workers">
<h2>Map</h2>
<p class="small">Interactive: layers, time control (bottom left), swipe comparison (top left),
measuring tool. Offline the basemap is blank; everything else works.</p>
<iframe title="Interactive map of the footprints" allowfullscreen srcdoc="{_e(map_html)}"></iframe>
<h2>Correlation across epochs</h2>
{descriptive}
{corr_table}
<h2>Data quality and provenance</h2>
<ol>{notes}</ol>
{f"<ul>{warnings}</ul>" if warnings else ""}
<h3>Footprints</h3>
{fp_table}
<h3>Sources of the counts used</h3>
<ul>{sources}</ul>
</body>
</html>
"""
