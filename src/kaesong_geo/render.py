"""Render a growth report as a terminal table, Markdown, CSV or JSON.

Every format is rendered from :meth:`GrowthReport.to_dict`, so they all show the same
numbers, and every table from the column specification of :mod:`kaesong_geo.columns` (headers,
units, formats, the one missing mark ``–``; CSV: the raw keys and values). JSON is the stable
contract (``schema_version`` 1, documented in the README) and strict: a non-finite number (NaN,
infinity) in a report is a :class:`~kaesong_geo.errors.DataError` in every format,
never ``NaN`` or ``Infinity`` in the output.

User text (footprint names, notes, warnings, site name) is made safe for where it goes:
:func:`markdown_escape` for Markdown (HTML-special characters, table pipes, emphasis and link
characters), :func:`terminal_safe` for the terminal table (escape sequences and other control
characters removed). The terminal table fits :data:`TABLE_WIDTH` columns unless ``wide``.

Examples
--------
>>> from kaesong_geo.report import growth_report
>>> text = render_report(growth_report(), "csv", table="intervals")
>>> text.splitlines()[0].split(",")[:4]
['start', 'end', 'kind', 'days']
"""

from __future__ import annotations

import csv
import html
import io
import json
import math
import re
import textwrap
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Literal, get_args

if TYPE_CHECKING:  # keep this module light: the CLI reads FORMATS at start-up
    from kaesong_geo.compare_sites import Comparison
    from kaesong_geo.report import GrowthReport

from kaesong_geo.columns import (
    COMPARISON_COLUMNS,
    CORRELATION_COLUMNS,
    EPOCH_COLUMNS,
    INTERVAL_COLUMNS,
    Column,
    csv_header,
    csv_row,
    format_value,
    has_counts,
    has_flag,
    shown,
)
from kaesong_geo.errors import DataError
from kaesong_geo.site import utm_zone_label
from kaesong_geo.text import plural

__all__ = [
    "COMPARISON_CSV_COLUMNS",
    "COMPARISON_SCHEMA_VERSION",
    "FORMATS",
    "TABLES",
    "TABLE_WIDTH",
    "Format",
    "Table",
    "comparison_summary",
    "json_text",
    "markdown_escape",
    "render_comparison",
    "render_report",
    "terminal_safe",
]

Format = Literal["table", "json", "csv", "markdown"]
Table = Literal["epochs", "intervals", "correlation"]
#: Output formats, for type hints and the CLI's choices alike.
FORMATS: tuple[str, ...] = get_args(Format)
#: Tables that ``--format csv`` can write.
TABLES: tuple[str, ...] = get_args(Table)
#: Width of the terminal table (``--format table``) unless ``wide``.
TABLE_WIDTH = 100
# Escape sequences (CSI, OSC, two-character) and the other control characters: C0 but for
# newline, DEL, C1, and the Unicode bidirectional overrides that reorder what is shown.
_ESCAPE_SEQUENCE = re.compile(
    r"\x1b(?:\[[0-?]*[ -/]*[@-~]|\][^\x07\x1b]*(?:\x07|\x1b\\)?|[@-Z\\-_])"
    r"|\x9b[0-?]*[ -/]*[@-~]"
)
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
_MARKDOWN_SPECIAL = re.compile(r"([\\`*_\[\]|])")

#: CSV headers (raw keys), from the column specification in :mod:`kaesong_geo.columns`.
EPOCH_CSV_COLUMNS = csv_header(EPOCH_COLUMNS)
INTERVAL_CSV_COLUMNS = csv_header(INTERVAL_COLUMNS)
COMPARISON_CSV_COLUMNS = csv_header(COMPARISON_COLUMNS)
CORRELATION_CSV_COLUMNS = csv_header(CORRELATION_COLUMNS)
#: ``schema_version`` of the JSON of several sites (each site's report inside is version 1).
COMPARISON_SCHEMA_VERSION = 2


def render_report(
    report: GrowthReport, fmt: Format = "table", *, table: Table = "epochs", wide: bool = False
) -> str:
    """Render ``report`` in format ``fmt``.

    Parameters
    ----------
    report : GrowthReport
    fmt : {'table', 'json', 'csv', 'markdown'}
    table : {'epochs', 'intervals', 'correlation'}
        Which table ``csv`` writes (CSV holds one table).
    wide : bool
        ``table``: every column, however wide; by default the main columns, within
        :data:`TABLE_WIDTH` characters.

    Returns
    -------
    str
        Ends with a newline.

    Raises
    ------
    DataError
        The report holds a non-finite number (NaN or infinity).
    """
    if fmt not in FORMATS:
        raise ValueError(f"unknown format {fmt!r} (expected one of {', '.join(FORMATS)})")
    data = report.to_dict()
    if fmt == "json":
        return json_text(data)
    _ensure_finite(data)
    if fmt == "csv":
        return _csv(data, table)
    if fmt == "markdown":
        return _markdown(data)
    return terminal_safe(_table(data, wide))


def terminal_safe(text: str, *, one_line: bool = False) -> str:
    r"""``text`` without escape sequences or control characters (tabs become spaces).

    Parameters
    ----------
    text : str
    one_line : bool
        Also turn newlines into spaces (for one-line messages).

    Examples
    --------
    >>> terminal_safe("\x1b[31mred\x1b[0m\rname\bx\ttab\nnext")
    'rednamex tab\nnext'
    >>> terminal_safe("a\nb", one_line=True)
    'a b'
    """
    text = _CONTROL.sub("", _ESCAPE_SEQUENCE.sub("", text.replace("\t", " ")))
    return text.replace("\n", " ") if one_line else text


def markdown_escape(text: str) -> str:
    r"""``text`` as literal Markdown: HTML-special characters and Markdown syntax escaped.

    Newlines become spaces (a table cell or list item stays one line); control characters
    are removed.

    Examples
    --------
    >>> markdown_escape("<img src=x onerror=alert(1)> & a|b *c* [l](u)")
    '&lt;img src=x onerror=alert(1)&gt; &amp; a\\|b \\*c\\* \\[l\\](u)'
    """
    text = terminal_safe(text, one_line=True).replace("\r", "")
    return _MARKDOWN_SPECIAL.sub(r"\\\1", html.escape(text, quote=False))


_RECORD = json.JSONEncoder(ensure_ascii=False, allow_nan=False, separators=(", ", ": "))


def json_text(data: Any) -> str:
    """``data`` as indented JSON with every flat record on one line; strict about numbers.

    Objects and arrays are indented by two spaces, except those that hold no object or
    array (a footprint entry, an aligned count, a list of methods): each of those is one line,
    so a report of 50,000 footprints reads one footprint per line and is written with the C
    encoder. The text parses to ``data`` exactly.

    Raises
    ------
    DataError
        ``data`` holds a non-finite number (NaN or infinity), named by its path.

    Examples
    --------
    >>> print(json_text({"site": {"name": "K", "point": [126.6, 37.9]}, "n": [], "m": {}}))
    {
      "site": {
        "name": "K",
        "point": [126.6, 37.9]
      },
      "n": [],
      "m": {}
    }
    <BLANKLINE>
    """
    out: list[str] = []
    try:
        _json_lines(data, "", out)
    except ValueError:  # a non-finite number: name it
        _check_finite(data)
        raise
    return "".join(out) + "\n"


def _json_lines(value: Any, indent: str, out: list[str]) -> None:
    if isinstance(value, dict):
        items = value.items()
        if not any(isinstance(v, dict | list | tuple) for _, v in items):
            out.append(_RECORD.encode(value))
            return
        inner = indent + "  "
        out.append("{")
        for k, (key, v) in enumerate(items):
            out.append(("," if k else "") + "\n" + inner + _RECORD.encode(str(key)) + ": ")
            _json_lines(v, inner, out)
        out.append("\n" + indent + "}")
    elif isinstance(value, list | tuple):
        if not any(isinstance(v, dict | list | tuple) for v in value):
            out.append(_RECORD.encode(value))
            return
        inner = indent + "  "
        out.append("[")
        for k, v in enumerate(value):
            out.append(("," if k else "") + "\n" + inner)
            _json_lines(v, inner, out)
        out.append("\n" + indent + "]")
    else:
        out.append(_RECORD.encode(value))


def _ensure_finite(data: Any) -> None:
    """Raise DataError naming the first non-finite number in ``data`` (C-encoder fast path)."""
    try:
        _RECORD.encode(data)
    except ValueError:
        _check_finite(data)
        raise


def _check_finite(value: Any, where: str = "report") -> None:
    """Raise DataError naming the first non-finite number in ``value``.

    Examples
    --------
    >>> _check_finite({"epochs": [{"area_m2": 1.0}, {"area_m2": float("inf")}]})
    Traceback (most recent call last):
    ...
    kaesong_geo.errors.DataError: the report holds a non-finite number (inf) at epochs[1].area_m2...
    """
    if isinstance(value, float) and not math.isfinite(value):
        path = where.removeprefix("report.")
        raise DataError(
            f"the report holds a non-finite number ({value}) at {path}; check the inputs it "
            "comes from (run 'kaesong-geo validate')"
        )
    if isinstance(value, dict):
        for k, v in value.items():
            _check_finite(v, f"{where}.{k}")
    elif isinstance(value, list | tuple):
        for i, v in enumerate(value):
            _check_finite(v, f"{where}[{i}]")


# ---------------------------------------------------------------- helpers


def _f(value: Any, spec: str = ",.1f", signed: bool = False) -> str:
    return format_value(value, spec, signed=signed)


def _grid(
    spec: Sequence[Column], rows: Sequence[dict[str, Any]], wide: bool = True, counts: bool = True
) -> list[str]:
    """Aligned rows; unless ``wide``, the narrow columns only, the last cut to fit the width.

    Without ``counts``, no column of counts (see :func:`~kaesong_geo.columns.shown`).
    """
    columns = shown(spec, "terminal", wide=wide, counts=counts)
    cells = [[c.text(r) for c in columns] for r in rows]
    widths = [max([len(c.title)] + [len(row[k]) for row in cells]) for k, c in enumerate(columns)]
    excess = sum(widths) + 2 * (len(widths) - 1) - TABLE_WIDTH
    if not wide and excess > 0:  # cut the last column's text (free text, left-aligned)
        widths[-1] = max(len(columns[-1].title), widths[-1] - excess)
        for row in cells:
            if len(row[-1]) > widths[-1]:
                row[-1] = row[-1][: widths[-1] - 1] + "…"

    def line(values: Sequence[str]) -> str:
        out = []
        for k, v in enumerate(values):
            out.append(v.ljust(widths[k]) if columns[k].align == "left" else v.rjust(widths[k]))
        return "  ".join(out).rstrip()

    header = line([c.title for c in columns])
    return [header, "-" * len(header), *(line(row) for row in cells)]


def _wrap(text: str, first: str = "", rest: str = "   ") -> list[str]:
    """Lines of at most :data:`TABLE_WIDTH` characters (long words, such as paths, are cut)."""
    return textwrap.wrap(
        terminal_safe(text, one_line=True),  # measure what will be shown
        TABLE_WIDTH,
        initial_indent=first,
        subsequent_indent=rest,
        break_on_hyphens=False,
    ) or [first.rstrip()]


def _corr_lines(data: dict[str, Any]) -> list[str]:
    corr = data["correlation"]
    head = f"n = {plural(corr['n'], 'epoch')}"
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


_UNVERIFIED = "aligned from unverified, approximate or derived observations"


def _unverified_marked(data: dict[str, Any], output: Literal["terminal", "markdown"]) -> bool:
    """Whether a count of the epochs table carries the ``*`` of :data:`_UNVERIFIED`."""
    return has_flag(shown(EPOCH_COLUMNS, output), data["epochs"], "*")


def _table(data: dict[str, Any], wide: bool = False) -> str:
    scales = {f"{e['utm_scale_pct']:+.3f}%" for e in data["epochs"]}
    if len(scales) == 1:  # the usual case: one figure for the site
        utm = ", ".join(f"{e['epoch']} {e['utm_diff_pct']:+.3f}%" for e in data["epochs"])
        utm += f" (the projection's own scale here: {scales.pop()})"
    else:
        utm = ", ".join(
            f"{e['epoch']} {e['utm_diff_pct']:+.3f}% (scale {e['utm_scale_pct']:+.3f}%)"
            for e in data["epochs"]
        )
    zone = utm_zone_label(data["site"]["utm_epsg"])
    counts = has_counts(data["epochs"])
    out = [
        *_wrap(f"{data['site']['name']}: footprint growth (kaesong-geo {data['tool']['version']})"),
        *_wrap(f"data: {data['data_dir']}"),
        "",
        "EPOCHS (areas geodesic on WGS 84; growth from the previous epoch)",
        *_grid(EPOCH_COLUMNS, data["epochs"], wide, counts),
    ]
    if _unverified_marked(data, "terminal"):
        out.append(f"  * {_UNVERIFIED}")
    out += ["", *_wrap(f"UTM {zone} CROSS-CHECK (EPSG:{data['site']['utm_epsg']}): {utm}")]
    if data["intervals"]:
        out += ["", "INTERVALS", *_grid(INTERVAL_COLUMNS, data["intervals"], wide, counts)]
    if counts:  # else one note says so: no counts, areas only
        out += ["", "CORRELATION ACROSS EPOCHS"]
    for line in _corr_lines(data) if counts else []:
        head, sep, inference = line.partition("   p = ")
        if sep and len(line) > TABLE_WIDTH:  # p-value and interval on a line of their own
            out += [head, f"{' ' * 11}p = {inference}"]
        else:
            out += _wrap(line.strip(), first=line[: len(line) - len(line.lstrip())], rest="      ")
    out += ["", "NOTES ON DATA QUALITY"]
    for k, note in enumerate(data["notes"], 1):
        out += _wrap(note, first=f"{k}. ")
    for w in data["warnings"]:
        out += _wrap(w, first="WARNING: ")
    if not wide:
        more = "area ha, annual %, " + ("workers/ha, " if counts else "") + "added, lost"
        out += ["", f"(--wide shows every column: {more}, ...)"]
    return "\n".join(out) + "\n"


def _md_table(
    spec: Sequence[Column], rows: Sequence[dict[str, Any]], counts: bool = True
) -> list[str]:
    esc = markdown_escape
    columns = shown(spec, "markdown", counts=counts)
    lines = ["| " + " | ".join(esc(c.title) for c in columns) + " |"]
    lines.append("|" + "|".join("---:" if c.align == "right" else "---" for c in columns) + "|")
    lines += ["| " + " | ".join(esc(c.text(r)) for c in columns) + " |" for r in rows]
    return lines


def _markdown(data: dict[str, Any]) -> str:
    counts = has_counts(data["epochs"])
    out = [
        f"# {markdown_escape(data['site']['name'])}: footprint growth",
        "",
        f"kaesong-geo {data['tool']['version']}; areas geodesic on WGS 84, cross-checked in "
        f"UTM {utm_zone_label(data['site']['utm_epsg'])} (EPSG:{data['site']['utm_epsg']}).",
        "",
        "## Epochs",
        "",
        *_md_table(EPOCH_COLUMNS, data["epochs"], counts),
    ]
    if _unverified_marked(data, "markdown"):
        out += ["", f"\\* {_UNVERIFIED}."]
    if data["intervals"]:
        out += ["", "## Intervals", "", *_md_table(INTERVAL_COLUMNS, data["intervals"], counts)]
    if counts:  # else one note says so: no counts, areas only
        out += ["", "## Correlation", ""]
        out += [markdown_escape(line.strip()) + "  " for line in _corr_lines(data)]
    out += ["", "## Notes", ""]
    out += [f"{k}. {markdown_escape(n)}" for k, n in enumerate(data["notes"], 1)]
    out += [f"- **Warning:** {markdown_escape(w)}" for w in data["warnings"]]
    return "\n".join(out) + "\n"


def _csv(data: dict[str, Any], table: Table) -> str:
    if table not in TABLES:
        raise ValueError(f"unknown table {table!r} (expected one of {', '.join(TABLES)})")
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    if table == "correlation":
        desc = data["correlation"]["descriptive_only"]
        spec, records = (
            CORRELATION_COLUMNS,
            [{**p, "descriptive_only": desc} for p in data["correlation"]["pairs"]],
        )
    else:
        spec = EPOCH_COLUMNS if table == "epochs" else INTERVAL_COLUMNS
        records = data[table]
    writer.writerow(csv_header(spec))
    rows = [csv_row(spec, r) for r in records]
    for row in rows:
        writer.writerow(["" if v is None else v for v in row])
    return buf.getvalue()


# ---------------------------------------------------------------- several sites


def render_comparison(
    reports: Sequence[GrowthReport],
    comparison: Comparison,
    fmt: Format = "table",
    *,
    wide: bool = False,
) -> str:
    """Render several sites: each site's report, then their ``comparison``.

    Parameters
    ----------
    reports : sequence of GrowthReport
        One per site, in the order of ``comparison``.
    comparison : Comparison
        From :func:`kaesong_geo.compare_sites.compare_sites` of ``reports``.
    fmt : {'table', 'json', 'csv', 'markdown'}
        ``json``: ``schema_version`` 2, every site's full report (version 1) and the comparison;
        ``csv``: the comparison table alone, one row per site and epoch.
    wide : bool
        ``table``: every column of each site's report.

    Returns
    -------
    str
        Ends with a newline.

    Raises
    ------
    DataError
        A report holds a non-finite number (NaN or infinity).

    Examples
    --------
    >>> from kaesong_geo.compare_sites import compare_sites
    >>> from kaesong_geo.report import growth_report
    >>> r = growth_report()
    >>> print(render_comparison([r], compare_sites([r]), "csv").splitlines()[1])
    Kaesong Industrial Complex,2004-04,2004-04-15,0.0,...
    """
    if fmt not in FORMATS:
        raise ValueError(f"unknown format {fmt!r} (expected one of {', '.join(FORMATS)})")
    sites = [r.to_dict() for r in reports]
    comp = comparison.to_dict()
    data = {
        "schema_version": COMPARISON_SCHEMA_VERSION,
        "tool": sites[0]["tool"] if sites else {},
        "sites": sites,
        "comparison": comp,
    }
    if fmt == "json":
        return json_text(data)
    _ensure_finite(data)
    if fmt == "csv":
        buf = io.StringIO()
        writer = csv.writer(buf, lineterminator="\n")
        writer.writerow(COMPARISON_CSV_COLUMNS)
        for row in comp["epochs"]:
            writer.writerow(["" if v is None else v for v in csv_row(COMPARISON_COLUMNS, row)])
        return buf.getvalue()
    n = len(sites)
    counts = any(has_counts(site["epochs"]) for site in sites)  # else no workers/ha column
    if fmt == "markdown":
        md = [_markdown(site) for site in sites]
        md += [
            "# Sites side by side\n\nGrowth and annual rates from each site's previous epoch; "
            "years since the site's first epoch.\n",
            "\n".join(_md_table(COMPARISON_COLUMNS, comp["epochs"], counts)) + "\n",
            "\n".join(markdown_escape(comparison_summary(s)) + "  " for s in comp["sites"]) + "\n",
        ]
        return "\n".join(md)
    out: list[str] = []
    for k, site in enumerate(sites, 1):
        head = f"SITE {k} OF {n}: {site['site']['name']}"
        out += [*_wrap(head), "=" * min(len(head), TABLE_WIDTH), _table(site, wide), ""]
    out += [
        "SITES SIDE BY SIDE (growth and annual % from the site's previous epoch; "
        "years since its first)",
    ]
    for s in comp["sites"]:
        rows = [e for e in comp["epochs"] if e["site"] == s["site"]]
        out += ["", *_wrap(s["site"]), *_grid(COMPARISON_COLUMNS, rows, counts=counts)]
    out += ["", "SUMMARY (first to last epoch; annual % compound over the whole span)"]
    for s in comp["sites"]:
        out += _wrap(comparison_summary(s), rest="  ")
    return terminal_safe("\n".join(out) + "\n")


def comparison_summary(s: dict[str, Any]) -> str:
    """One site's summary line: first to last epoch, total and annual growth.

    Parameters
    ----------
    s : dict
        An item of ``Comparison.to_dict()["sites"]``.

    Examples
    --------
    >>> from kaesong_geo.compare_sites import compare_sites
    >>> from kaesong_geo.report import growth_report
    >>> [s] = compare_sites([growth_report()]).to_dict()["sites"]
    >>> comparison_summary(s)
    'Kaesong Industrial Complex: 2004-04 to 2009-09 (5.42 years), 0.093 → 3.300 km², ...'
    >>> comparison_summary({**s, "last_epoch": "2004-04", "last_area_km2": 0.093})
    'Kaesong Industrial Complex: one epoch (2004-04), 0.093 km²: no growth to measure'
    """
    if s["first_epoch"] == s["last_epoch"]:
        return (
            f"{s['site']}: one epoch ({s['first_epoch']}), {s['first_area_km2']:.3f} km²: "
            "no growth to measure"
        )
    return (
        f"{s['site']}: {s['first_epoch']} to {s['last_epoch']} ({s['years']:.2f} years), "
        f"{s['first_area_km2']:.3f} → {s['last_area_km2']:.3f} km², "
        f"total growth {_f(s['total_growth_pct'], ',.1f', True)}%, "
        f"annual {_f(s['annual_rate_pct'], ',.1f', True)}% (compound)"
    )
