"""Render a growth report as a terminal table, Markdown, CSV or JSON.

Every format is rendered from :meth:`GrowthReport.to_dict`, so they all show the same
numbers. JSON is the stable contract (``schema_version`` 1, documented in the README).

Examples
--------
>>> from kaesong_geo.report import growth_report
>>> text = render_report(growth_report(), "csv", table="intervals")
>>> text.splitlines()[0].split(",")[:4]
['start', 'end', 'kind', 'days']
"""

from __future__ import annotations

import csv
import io
import json
import textwrap
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, Literal, get_args

if TYPE_CHECKING:  # keep this module light: the CLI reads FORMATS at start-up
    from kaesong_geo.report import GrowthReport

__all__ = ["FORMATS", "TABLES", "Format", "Table", "render_report"]

Format = Literal["table", "json", "csv", "markdown"]
Table = Literal["epochs", "intervals", "correlation"]
#: Output formats, for type hints and the CLI's choices alike.
FORMATS: tuple[str, ...] = get_args(Format)
#: Tables that ``--format csv`` can write.
TABLES: tuple[str, ...] = get_args(Table)
_DASH = "-"

EPOCH_CSV_COLUMNS = (
    "epoch", "date", "date_precision", "area_m2", "area_km2", "area_ha", "area_utm_m2",
    "utm_diff_pct", "perimeter_m", "area_uncertainty_m2", "reference_area_m2", "polsby_popper",
    "convex_hull_ratio", "growth_m2", "growth_pct", "annual_rate_pct", "firms", "firms_method",
    "firms_verified", "workers", "workers_method", "workers_verified", "production_usd_per_year",
    "workers_per_ha", "firms_per_km2", "production_usd_per_ha_year", "estimated", "methods",
    "uncertainty_m",
)  # fmt: skip
INTERVAL_CSV_COLUMNS = (
    "start", "end", "kind", "days", "start_area_m2", "end_area_m2", "growth_m2", "growth_pct",
    "annual_rate_pct", "added_m2", "lost_m2", "infill_m2", "extension_m2", "leapfrog_m2",
    "elasticity_workers", "elasticity_firms",
)  # fmt: skip
CORRELATION_CSV_COLUMNS = (
    "x", "y", "n", "pearson_r", "spearman_rho", "pearson_p", "spearman_p", "descriptive_only",
)  # fmt: skip


def render_report(report: GrowthReport, fmt: Format = "table", *, table: Table = "epochs") -> str:
    """Render ``report`` in format ``fmt``.

    Parameters
    ----------
    report : GrowthReport
    fmt : {'table', 'json', 'csv', 'markdown'}
    table : {'epochs', 'intervals', 'correlation'}
        Which table ``csv`` writes (CSV holds one table).

    Returns
    -------
    str
        Ends with a newline.
    """
    if fmt not in FORMATS:
        raise ValueError(f"unknown format {fmt!r} (expected one of {', '.join(FORMATS)})")
    data = report.to_dict()
    if fmt == "json":
        return json.dumps(data, indent=2, ensure_ascii=False) + "\n"
    if fmt == "csv":
        return _csv(data, table)
    if fmt == "markdown":
        return _markdown(data)
    return _table(data)


# ---------------------------------------------------------------- helpers


def _f(value: Any, spec: str = ",.1f", signed: bool = False) -> str:
    if value is None:
        return _DASH
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int | float):
        return format(value, ("+" if signed else "") + spec)
    return str(value)


def _count(epoch: dict[str, Any], key: str, spec: str = ",.0f") -> str:
    a = epoch["aligned"][key]
    if a["value"] is None:
        return _DASH
    return _f(a["value"], spec) + ("" if a["verified"] else "*")


def _flags(epoch: dict[str, Any]) -> str:
    flags = epoch["flags"]
    parts = ["/".join(flags["methods"])]
    parts.append(
        f"±{flags['uncertainty_m']:,.0f} m" if flags["uncertainty_m"] is not None else "±? m"
    )
    if flags["estimated"]:
        parts.append("ESTIMATED")
    return " ".join(parts)


def _by_type(interval: dict[str, Any]) -> str:
    t = interval["added_by_type_m2"]
    return " / ".join(_f(t[k] / 1e6, ".3f") for k in ("infill", "extension", "leapfrog"))


Row = list[str]
Column = tuple[str, Callable[[dict[str, Any]], str], str]  # header, cell, align


def _epoch_columns() -> list[Column]:
    return [
        ("epoch", lambda e: e["epoch"], "<"),
        ("date", lambda e: e["date"], "<"),
        ("area km²", lambda e: _f(e["area_km2"], ".3f"), ">"),
        ("area ha", lambda e: _f(e["area_ha"], ",.1f"), ">"),
        (
            "± ha",
            lambda e: _f(e["area_uncertainty_m2"] and e["area_uncertainty_m2"] / 1e4, ",.1f"),
            ">",
        ),
        ("growth %", lambda e: _f(e["growth_pct"], ",.1f", True), ">"),
        ("annual %", lambda e: _f(e["annual_rate_pct"], ",.1f", True), ">"),
        ("firms", lambda e: _count(e, "firms"), ">"),
        ("workers", lambda e: _count(e, "workers"), ">"),
        ("workers/ha", lambda e: _f(e["workers_per_ha"], ",.1f"), ">"),
        ("provenance", _flags, "<"),
    ]


def _interval_columns() -> list[Column]:
    return [
        ("from", lambda i: i["start"], "<"),
        ("to", lambda i: i["end"], "<"),
        ("days", lambda i: _f(i["days"], ",d"), ">"),
        ("growth km²", lambda i: _f(i["growth_m2"] / 1e6, ".3f", True), ">"),
        ("growth %", lambda i: _f(i["growth_pct"], ",.1f", True), ">"),
        ("annual %", lambda i: _f(i["annual_rate_pct"], ",.1f", True), ">"),
        ("added km²", lambda i: _f(i["added_m2"] / 1e6, ".3f"), ">"),
        ("lost km²", lambda i: _f(i["lost_m2"] / 1e6, ".3f"), ">"),
        ("infill/extension/leapfrog km²", _by_type, ">"),
        ("elasticity workers", lambda i: _f(i["elasticity_workers"], ".2f"), ">"),
    ]


def _grid(columns: Sequence[Column], rows: Sequence[dict[str, Any]]) -> list[str]:
    cells = [[c[1](r) for c in columns] for r in rows]
    widths = [max([len(c[0])] + [len(row[k]) for row in cells]) for k, c in enumerate(columns)]

    def line(values: Sequence[str]) -> str:
        out = []
        for k, v in enumerate(values):
            out.append(v.ljust(widths[k]) if columns[k][2] == "<" else v.rjust(widths[k]))
        return "  ".join(out).rstrip()

    header = line([c[0] for c in columns])
    return [header, "-" * len(header), *(line(row) for row in cells)]


def _corr_lines(data: dict[str, Any]) -> list[str]:
    corr = data["correlation"]
    head = f"n = {corr['n']} epochs"
    if corr["descriptive_only"]:
        minimum = corr["min_n_for_inference"]
        head += f"; DESCRIPTIVE ONLY (fewer than {minimum}: no significance is claimed)"
    lines = [head]
    for p in corr["pairs"]:
        text = (
            f"  area vs {p['y']:<8} Pearson r = {_f(p['pearson_r'], '.3f')}   "
            f"Spearman rho = {_f(p['spearman_rho'], '.3f')}   (n = {p['n']})"
        )
        if p["pearson_p"] is not None:
            ci = p["pearson_ci95"]
            text += f"   p = {p['pearson_p']:.3g}, 95% CI [{ci[0]:.2f}, {ci[1]:.2f}]"
        lines.append(text)
    return lines


def _table(data: dict[str, Any]) -> str:
    out = [
        f"{data['site']['name']}: footprint growth (kaesong-geo {data['tool']['version']})",
        f"data: {data['data_dir']}",
        "",
        "EPOCHS (areas geodesic on WGS 84; growth from the previous epoch)",
        *_grid(_epoch_columns(), data["epochs"]),
        "  * aligned from unverified, approximate or derived observations",
        "",
        "UTM 52N CROSS-CHECK (EPSG:{}): ".format(data["site"]["utm_epsg"])
        + ", ".join(f"{e['epoch']} {e['utm_diff_pct']:+.3f}%" for e in data["epochs"]),
    ]
    if data["intervals"]:
        out += ["", "INTERVALS", *_grid(_interval_columns(), data["intervals"])]
    out += ["", "CORRELATION ACROSS EPOCHS", *_corr_lines(data), "", "NOTES ON DATA QUALITY"]
    for k, note in enumerate(data["notes"], 1):
        out += textwrap.wrap(note, 100, initial_indent=f"{k}. ", subsequent_indent="   ")
    for w in data["warnings"]:
        out += textwrap.wrap(w, 100, initial_indent="WARNING: ", subsequent_indent="   ")
    return "\n".join(out) + "\n"


def _md_table(columns: Sequence[Column], rows: Sequence[dict[str, Any]]) -> list[str]:
    def esc(text: str) -> str:
        return text.replace("|", "\\|")

    lines = ["| " + " | ".join(c[0] for c in columns) + " |"]
    lines.append("|" + "|".join("---:" if c[2] == ">" else "---" for c in columns) + "|")
    lines += ["| " + " | ".join(esc(c[1](r)) for c in columns) + " |" for r in rows]
    return lines


def _markdown(data: dict[str, Any]) -> str:
    out = [
        f"# {data['site']['name']}: footprint growth",
        "",
        f"kaesong-geo {data['tool']['version']}; areas geodesic on WGS 84, cross-checked in "
        f"UTM (EPSG:{data['site']['utm_epsg']}).",
        "",
        "## Epochs",
        "",
        *_md_table(_epoch_columns(), data["epochs"]),
        "",
        "\\* aligned from unverified, approximate or derived observations.",
    ]
    if data["intervals"]:
        out += ["", "## Intervals", "", *_md_table(_interval_columns(), data["intervals"])]
    out += [
        "",
        "## Correlation",
        "",
        *(line.strip() for line in _corr_lines(data)),
        "",
        "## Notes",
        "",
    ]
    out += [f"{k}. {n}" for k, n in enumerate(data["notes"], 1)]
    out += [f"- **Warning:** {w}" for w in data["warnings"]]
    return "\n".join(out) + "\n"


def _csv(data: dict[str, Any], table: Table) -> str:
    if table not in TABLES:
        raise ValueError(f"unknown table {table!r} (expected one of {', '.join(TABLES)})")
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    rows: list[list[Any]]
    if table == "epochs":
        writer.writerow(EPOCH_CSV_COLUMNS)
        rows = []
        for e in data["epochs"]:
            flat = dict(e)
            for key in ("firms", "workers"):
                flat[f"{key}_method"] = e["aligned"][key]["method"]
                flat[f"{key}_verified"] = e["aligned"][key]["verified"]
            flat["estimated"] = e["flags"]["estimated"]
            flat["methods"] = ";".join(e["flags"]["methods"])
            flat["uncertainty_m"] = e["flags"]["uncertainty_m"]
            rows.append([flat[c] for c in EPOCH_CSV_COLUMNS])
    elif table == "intervals":
        writer.writerow(INTERVAL_CSV_COLUMNS)
        rows = []
        for i in data["intervals"]:
            flat = dict(i)
            for k, v in i["added_by_type_m2"].items():
                flat[f"{k}_m2"] = v
            rows.append([flat[c] for c in INTERVAL_CSV_COLUMNS])
    else:
        writer.writerow(CORRELATION_CSV_COLUMNS)
        desc = data["correlation"]["descriptive_only"]
        rows = [
            [p[c] if c != "descriptive_only" else desc for c in CORRELATION_CSV_COLUMNS]
            for p in data["correlation"]["pairs"]
        ]
    for row in rows:
        writer.writerow(["" if v is None else v for v in row])
    return buf.getvalue()
