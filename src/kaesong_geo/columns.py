"""One specification of the report's tables, read by every output.

Each table of a growth report (epochs, intervals, correlation, footprints, sites side by
side) is a tuple of :class:`Column`: the field it reads in the rows of
:meth:`GrowthReport.to_dict() <kaesong_geo.report.GrowthReport.to_dict>`, its header and
unit, how a number is formatted (spec, sign, scale such as m² to km²), its alignment,
whether the narrow terminal table shows it, and which outputs show it. The terminal table
and Markdown (:mod:`kaesong_geo.render`), the CSV header (its raw keys and raw values), the
HTML report (:mod:`kaesong_geo.maps.htmlreport`) and the map's popups and legend
(:mod:`kaesong_geo.maps.build`) all read these tuples: a new column is one line.

A value that is missing is shown as :data:`MISSING` in every output (CSV leaves the cell
empty). Composite cells (a count with the ``*`` mark of unverified figures, the provenance
of an epoch, the three growth types) are columns with a formatter function.

This module is pure: it formats values and knows nothing of files or markup.

Examples
--------
>>> row = {"epoch": "2009-09", "area_km2": 3.3, "growth_pct": None}
>>> [c.text(row) for c in EPOCH_COLUMNS if c.key in row and "terminal" in c.outputs]
['2009-09', '3.300', '–']
>>> [c.title for c in EPOCH_COLUMNS if c.key == "area_km2"]
['area km²']
>>> csv_header(INTERVAL_COLUMNS)[:4]
('start', 'end', 'kind', 'days')
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal, NamedTuple

__all__ = [
    "COMPARISON_COLUMNS",
    "CORRELATION_COLUMNS",
    "EPOCH_COLUMNS",
    "FOOTPRINT_COLUMNS",
    "INTERVAL_COLUMNS",
    "MISSING",
    "OUTPUTS",
    "Cell",
    "Column",
    "Output",
    "csv_header",
    "csv_row",
    "epoch_headline",
    "format_value",
    "has_counts",
    "has_flag",
    "popup_rows",
    "shown",
]

#: The one mark of a missing value (an en dash) in the terminal, Markdown, HTML and popups.
MISSING = "–"

Output = Literal["terminal", "markdown", "csv", "html", "popup"]
#: Where a table can go: ``terminal`` (``--format table``), ``markdown``, ``csv`` (raw keys and
#: values), ``html`` (the report's tables) and ``popup`` (the map's popups, label: value).
OUTPUTS: tuple[Output, ...] = ("terminal", "markdown", "csv", "html", "popup")
_TEXT: frozenset[Output] = frozenset({"terminal", "markdown"})
_TABLES: frozenset[Output] = frozenset({"terminal", "markdown", "html"})
_ALL: frozenset[Output] = frozenset(OUTPUTS)

Row = Mapping[str, Any]


class Cell(NamedTuple):
    """A cell's text and an optional flag after it (HTML shows the flag in red).

    Examples
    --------
    >>> str(Cell("6,225", "*")), str(Cell("–"))
    ('6,225*', '–')
    """

    text: str
    flag: str = ""

    def __str__(self) -> str:
        return self.text + self.flag


def format_value(
    value: Any, spec: str = "", *, signed: bool = False, scale: float = 1.0, unit: str = ""
) -> str:
    """``value`` as shown to people: numbers formatted, None as :data:`MISSING`.

    Parameters
    ----------
    value : number, bool, str or None
    spec : str
        Format specification of a number (``",.1f"``), without the sign.
    signed : bool
        Always show the sign of a number.
    scale : float
        Divide a number by it first (``1e6``: m² to km²).
    unit : str
        Appended to a present value: directly if it starts with ``%``, else after a space.

    Examples
    --------
    >>> format_value(1652046.8, ".3f", signed=True, scale=1e6, unit="km²")
    '+1.652 km²'
    >>> format_value(89.2, ",.1f", signed=True, unit="%"), format_value(None, ".1f", unit="%")
    ('+89.2%', '–')
    >>> format_value(True), format_value("reconstructed"), format_value(1979, ",d")
    ('yes', 'reconstructed', '1,979')
    """
    if value is None:
        return MISSING
    if isinstance(value, bool):
        text = "yes" if value else "no"
    elif isinstance(value, int | float):
        number = value / scale if scale != 1 else value
        text = format(number, ("+" if signed else "") + spec)
    else:
        text = str(value)
    if not unit:
        return text
    return text + unit if unit.startswith("%") else f"{text} {unit}"


@dataclass(frozen=True)
class Column:
    """One column of a table and how every output shows it.

    Parameters
    ----------
    key : str
        The field read in a row (a row of ``GrowthReport.to_dict()``); for CSV also the
        header, and the raw value is written (unless ``raw`` gives it).
    header : str
        Short name in table headers, without the unit.
    unit : str
        Unit of the value as shown (after ``scale``); the header shows it after the name.
    spec : str
        Format of a number (Python format spec without the sign), e.g. ``",.1f"``.
    signed : bool
        Show the sign of numbers (growth).
    scale : float
        Shown value = raw value / ``scale`` (``1e6``: m² to km²; ``1e4``: m² to ha).
    align : {'left', 'right'}
        Text left, numbers right.
    narrow : bool
        Shown by the default (narrow) terminal table; ``--wide`` shows every terminal column.
    outputs : frozenset of Output
        The outputs that show the column (see :data:`OUTPUTS`).
    label : str
        Longer name: the row title in the map's popups (default: the header, capitalised).
    wrap : {'', 'words', 'prose'}
        Free text: HTML wraps it (``prose``: in a wider column); the terminal cuts it.
    cell : callable, optional
        Composite cell: the whole row to a :class:`Cell` (or text, or None for missing).
    popup : callable, optional
        Composite popup text from the whole row (default: the cell with its unit).
    raw : callable, optional
        The raw value from the whole row (default ``row[key]``): what CSV writes and the
        other outputs format.
    counts : bool
        Shows counts (firms, workers) or figures derived from them: the tables leave it out
        of a report without counts (see :func:`has_counts`); CSV keeps it.
    sparse : bool
        Mostly missing (an optional property): tables and popups leave it out where no row
        has it, rather than fill it with :data:`MISSING`; CSV keeps it.
    """

    key: str
    header: str
    unit: str = ""
    spec: str = ""
    signed: bool = False
    scale: float = 1.0
    align: Literal["left", "right"] = "right"
    narrow: bool = False
    outputs: frozenset[Output] = _ALL
    label: str = ""
    wrap: Literal["", "words", "prose"] = ""
    cell: Callable[[Row], Cell | str | None] | None = None
    popup: Callable[[Row], str] | None = None
    raw: Callable[[Row], Any] | None = None
    counts: bool = False
    sparse: bool = False

    @property
    def title(self) -> str:
        """Header with its unit.

        Examples
        --------
        >>> Column("area_km2", "area", "km²").title, Column("epoch", "epoch").title
        ('area km²', 'epoch')
        """
        return f"{self.header} {self.unit}" if self.unit else self.header

    @property
    def popup_label(self) -> str:
        """Row title in a popup."""
        return self.label or self.header[:1].upper() + self.header[1:]

    def value(self, row: Row) -> Any:
        """The raw value (as CSV writes it)."""
        return self.raw(row) if self.raw else row.get(self.key)

    def cell_of(self, row: Row) -> Cell:
        """The cell shown in a table: text and flag.

        Examples
        --------
        >>> COUNT = next(c for c in EPOCH_COLUMNS if c.key == "workers" and c.cell)
        >>> COUNT.cell_of({"aligned": {"workers": {"value": 6224.521, "verified": False}}})
        Cell(text='6,225', flag='*')
        """
        if self.cell is not None:
            out = self.cell(row)
            if out is None:
                return Cell(MISSING)
            return out if isinstance(out, Cell) else Cell(out)
        value = self.value(row)
        if isinstance(value, str) and not value.strip():  # an empty note or source
            return Cell(MISSING)
        return Cell(format_value(value, self.spec, signed=self.signed, scale=self.scale))

    def text(self, row: Row) -> str:
        """The cell as plain text (flag included)."""
        return str(self.cell_of(row))

    def text_with_unit(self, row: Row) -> str:
        """The cell with its unit (no unit after :data:`MISSING`).

        Examples
        --------
        >>> Column("area_ha", "area", "ha", ",.1f").text_with_unit({"area_ha": 330.0})
        '330.0 ha'
        """
        cell = self.cell_of(row)
        if cell.text == MISSING or not self.unit:
            return str(cell)
        return format_value(str(cell), unit=self.unit)

    def popup_text(self, row: Row) -> str:
        """The value in a popup, with its unit.

        Examples
        --------
        >>> GROWTH = next(c for c in EPOCH_COLUMNS if c.key == "growth_pct")
        >>> GROWTH.popup_label, GROWTH.popup_text({"growth_pct": 89.2})
        ('Growth from previous', '+89.2%')
        """
        return self.popup(row) if self.popup is not None else self.text_with_unit(row)


def shown(
    columns: Iterable[Column],
    output: Output,
    *,
    wide: bool = True,
    counts: bool = True,
    rows: Sequence[Row] | None = None,
) -> list[Column]:
    """The columns that ``output`` shows; for ``terminal`` unless ``wide``, the narrow ones.

    Without ``counts`` (a report with no count aligned to any epoch) the tables leave out
    the columns of counts, which would hold only :data:`MISSING`; with ``rows``, a
    ``sparse`` column none of them has is left out too. CSV keeps every column.

    Examples
    --------
    >>> [c.title for c in shown(INTERVAL_COLUMNS, "terminal", wide=False)][:4]
    ['from', 'to', 'days', 'growth km²']
    >>> [c.title for c in shown(EPOCH_COLUMNS, "terminal", wide=False, counts=False)]
    ['epoch', 'date', 'area km²', '± km²', 'growth %', 'provenance']
    >>> [c.key for c in shown(FOOTPRINT_COLUMNS, "html", rows=[{"imagery": None}])][-3:]
    ['area_uncertainty_pct', 'source', 'note']
    >>> [c.key for c in shown(FOOTPRINT_COLUMNS, "html", rows=[{"imagery": "ge-2013-06"}])][-3:]
    ['imagery', 'source', 'note']
    """
    keep_counts = counts or output == "csv"
    return [
        c
        for c in columns
        if output in c.outputs
        and (wide or output != "terminal" or c.narrow)
        and (keep_counts or not c.counts)
        and (
            not c.sparse
            or rows is None
            or output == "csv"
            or any(c.value(r) not in (None, "") for r in rows)
        )
    ]


def has_counts(epochs: Iterable[Row]) -> bool:
    """Whether any count (firms, workers, production) is aligned to any of ``epochs``.

    ``epochs``: rows of ``GrowthReport.to_dict()["epochs"]``. A 0 inside a stoppage is a count.

    Examples
    --------
    >>> def row(value):
    ...     return {"aligned": {"workers": {"value": value}, "firms": {"value": None}}}
    >>> has_counts([row(None), row(None)]), has_counts([row(None), row(0)]), has_counts([])
    (False, True, False)
    """
    return any(a.get("value") is not None for e in epochs for a in e["aligned"].values())


def has_flag(columns: Iterable[Column], rows: Sequence[Row], flag: str) -> bool:
    """Whether any cell of ``columns`` in ``rows`` carries ``flag`` (a footnote's mark).

    Examples
    --------
    >>> row = {"aligned": {"workers": {"value": 6224.5, "verified": False}}}
    >>> workers = [c for c in EPOCH_COLUMNS if c.key == "workers"]
    >>> has_flag(workers, [row], "*")
    True
    >>> row["aligned"]["workers"]["verified"] = True
    >>> has_flag(workers, [row], "*")
    False
    """
    columns = list(columns)
    return any(c.cell_of(r).flag == flag for r in rows for c in columns)


def csv_header(columns: Iterable[Column]) -> tuple[str, ...]:
    """The CSV header: the raw keys of the CSV columns."""
    return tuple(c.key for c in shown(columns, "csv"))


def csv_row(columns: Iterable[Column], row: Row) -> list[Any]:
    """The raw values of ``row`` in the CSV columns (None stays None).

    Examples
    --------
    >>> csv_row(CORRELATION_COLUMNS, {"x": "area_m2", "y": "firms", "n": 3})[:4]
    ['area_m2', 'firms', 3, None]
    """
    return [c.value(row) for c in shown(columns, "csv")]


def popup_rows(columns: Iterable[Column], row: Row) -> list[list[str]]:
    """``[label, text]`` pairs of a map popup.

    Examples
    --------
    >>> popup_rows(FOOTPRINT_COLUMNS, {"class": "developed", "area_m2": 92561.5})[:2]
    [['Class', 'developed'], ['Area', '9.3 ha']]
    """
    return [[c.popup_label, c.popup_text(row)] for c in shown(columns, "popup", rows=[row])]


def _column(columns: Sequence[Column], key: str, output: Output) -> Column:
    return next(c for c in columns if c.key == key and output in c.outputs)


def epoch_headline(row: Row) -> str:
    """An epoch in a few words: area and growth (the map's tooltips and legend).

    Examples
    --------
    >>> epoch_headline({"area_km2": 3.3, "area_ha": 330.0, "growth_pct": 89.2})
    '3.300 km² (330.0 ha), +89.2% from previous'
    >>> epoch_headline({"area_km2": 0.093, "area_ha": 9.3, "growth_pct": None})
    '0.093 km² (9.3 ha)'
    """
    km2 = _column(EPOCH_COLUMNS, "area_km2", "terminal")
    ha = _column(EPOCH_COLUMNS, "area_ha", "terminal")
    growth = _column(EPOCH_COLUMNS, "growth_pct", "terminal")
    text = f"{km2.text_with_unit(row)} ({ha.text_with_unit(row)})"
    if row.get("growth_pct") is not None:
        text += f", {growth.text_with_unit(row)} from previous"
    return text


# ---------------------------------------------------------------- composite cells


def _count(key: str) -> Callable[[Row], Cell | None]:
    def cell(row: Row) -> Cell | None:
        a = row["aligned"][key]
        if a["value"] is None:
            return None
        return Cell(format_value(a["value"], ",.0f"), "" if a["verified"] else "*")

    return cell


def _per_area(key: str) -> Callable[[Row], Cell | None]:
    """A count per area, with the ``*`` of the count it comes from."""

    def cell(row: Row) -> Cell | None:
        value = row.get(key)
        if value is None:
            return None
        verified = row.get("aligned", {}).get("workers", {}).get("verified", True)
        return Cell(format_value(value, ",.1f"), "" if verified else "*")

    return cell


def _count_popup(key: str) -> Callable[[Row], str]:
    def text(row: Row) -> str:
        a = row["aligned"][key]
        if a["value"] is None:
            return f"{MISSING} ({a['reason']})" if a.get("reason") else MISSING
        extra = "" if a["verified"] else ", rests on unverified, approximate or derived figures"
        return f"{a['value']:,.0f} ({a['method']}{extra})"

    return text


#: The provenance of an epoch whose positional uncertainty is not recorded (or not for every
#: footprint): short in the terminal table, in words where there is room.
UNRECORDED_SHORT = f"± {MISSING}"
UNRECORDED = "uncertainty not recorded"


def _provenance(unrecorded: str) -> Callable[[Row], Cell]:
    """The provenance cell: methods, positional uncertainty (or ``unrecorded``), ESTIMATED.

    Examples
    --------
    >>> row = {"flags": {"methods": ["traced"], "uncertainty_m": None, "estimated": False}}
    >>> str(_provenance(UNRECORDED)(row)), str(_provenance(UNRECORDED_SHORT)(row))
    ('traced, uncertainty not recorded', 'traced, ± –')
    >>> row["flags"].update(uncertainty_m=1500, estimated=True)
    >>> str(_provenance(UNRECORDED)(row))
    'traced ±1,500 m ESTIMATED'
    """

    def cell(row: Row) -> Cell:
        flags = row["flags"]
        sigma = flags["uncertainty_m"]
        text = "/".join(flags["methods"])
        text += f" ±{sigma:,.0f} m" if sigma is not None else f", {unrecorded}"
        return Cell(text, " ESTIMATED" if flags["estimated"] else "")

    return cell


def _by_type(row: Row) -> str:
    t = row["added_by_type_m2"]
    kinds = ("infill", "extension", "leapfrog")
    return " / ".join(format_value(t[k], ".3f", scale=1e6) for k in kinds)


def _area_popup(row: Row) -> str:
    km2 = format_value(row["area_km2"], ".3f", unit="km²")
    return f"{km2} = {format_value(row['area_ha'], ',.1f', unit='ha')} (geodesic, WGS 84)"


def _date_popup(row: Row) -> str:
    return f"{row['date']} ({row['date_precision']} precision)"


def _estimated_popup(row: Row) -> str:
    return "YES: no documented figure backs it" if row["flags"]["estimated"] else "no"


def _flag_yes(key: str) -> Callable[[Row], Cell]:
    return lambda row: Cell("", "yes") if row.get(key) else Cell("no")


def _file_popup(row: Row) -> str:
    if not row.get("file"):
        return MISSING
    return f"{os.path.basename(row['file'])}, feature {row['feature']}"


def _aligned(key: str, field: str) -> Callable[[Row], Any]:
    return lambda row: row["aligned"][key][field]


def _flag(field: str) -> Callable[[Row], Any]:
    return lambda row: row["flags"][field]


def _by_type_of(kind: str) -> Callable[[Row], Any]:
    return lambda row: row["added_by_type_m2"][kind]


# ---------------------------------------------------------------- the tables

_L: Literal["left"] = "left"
_CSV: frozenset[Output] = frozenset({"csv"})
_CSV_HTML: frozenset[Output] = frozenset({"csv", "html"})


def _o(*outputs: Output) -> frozenset[Output]:
    return frozenset(outputs)


_TEXT_HTML_POPUP = _TABLES | _o("popup")


#: The epochs table (rows: ``to_dict()["epochs"]``). CSV: every raw field, in this order.
EPOCH_COLUMNS: tuple[Column, ...] = (
    Column("epoch", "epoch", align=_L, narrow=True, outputs=_TABLES | _CSV),
    Column("date", "date", align=_L, narrow=True, outputs=_ALL, popup=_date_popup),
    Column("date_precision", "date precision", outputs=_CSV),
    Column("area_m2", "area", "m²", ",.0f", outputs=_CSV),
    Column("area_km2", "area", "km²", ".3f", narrow=True, popup=_area_popup),
    Column("area_uncertainty_m2", "±", "km²", ".3f", scale=1e6, narrow=True, outputs=_TEXT),
    Column("area_ha", "area", "ha", ",.1f", outputs=_TABLES | _CSV),
    Column(
        "area_uncertainty_m2", "±", "ha", ",.1f", scale=1e4, outputs=_TEXT_HTML_POPUP,
        label="Area uncertainty",
    ),
    Column("area_utm_m2", "UTM area", "m²", ",.0f", outputs=_CSV_HTML),
    Column(
        "utm_diff_pct", "UTM diff", "%", "+.3f", outputs=_o("csv", "html", "popup"),
        label="UTM cross-check",
    ),
    Column("perimeter_m", "perimeter", "m", ",.0f", outputs=_CSV_HTML),
    Column("area_uncertainty_m2", "area ±", "m²", ",.0f", outputs=_CSV),
    Column("reference_area_m2", "documented area", "m²", ",.0f", outputs=_CSV),
    Column("polsby_popper", "Polsby-Popper", "", ".3f", outputs=_CSV_HTML),
    Column("convex_hull_ratio", "convex hull ratio", "", ".3f", outputs=_CSV),
    Column("growth_m2", "growth", "m²", ",.0f", signed=True, outputs=_CSV),
    Column(
        "growth_pct", "growth", "%", ",.1f", signed=True, narrow=True, outputs=_ALL,
        label="Growth from previous",
    ),
    Column(
        "annual_rate_pct", "annual", "%", ",.1f", signed=True, outputs=_ALL, label="Annual rate",
        popup=lambda row: format_value(row["annual_rate_pct"], ",.1f", signed=True, unit="%/yr"),
    ),
    Column(
        "firms", "firms", narrow=True, cell=_count("firms"), popup=_count_popup("firms"),
        counts=True,
    ),
    Column("firms_method", "firms method", outputs=_CSV, raw=_aligned("firms", "method")),
    Column("firms_verified", "firms verified", outputs=_CSV, raw=_aligned("firms", "verified")),
    Column(
        "workers", "workers", narrow=True, cell=_count("workers"), popup=_count_popup("workers"),
        counts=True,
    ),
    Column("workers_method", "workers method", outputs=_CSV, raw=_aligned("workers", "method")),
    Column(
        "workers_verified", "workers verified", outputs=_CSV, raw=_aligned("workers", "verified")
    ),
    Column("production_usd_per_year", "production", "US$/yr", ",.0f", outputs=_CSV),
    Column(
        "workers_per_ha", "workers/ha", "", ",.1f", outputs=_ALL, label="Workers per ha",
        counts=True, cell=_per_area("workers_per_ha"),
    ),
    Column("firms_per_km2", "firms/km²", "", ",.1f", outputs=_CSV),
    Column("production_usd_per_ha_year", "production/ha", "US$/yr", ",.0f", outputs=_CSV),
    Column(
        "estimated", "estimated", outputs=_o("csv", "popup"), raw=_flag("estimated"),
        popup=_estimated_popup,
    ),
    Column(
        "methods", "method", outputs=_o("csv", "popup"),
        raw=lambda row: ";".join(row["flags"]["methods"]),
        popup=lambda row: ", ".join(row["flags"]["methods"]),
    ),
    Column(
        "uncertainty_m", "±", "m", ",.0f", outputs=_o("csv", "popup"), raw=_flag("uncertainty_m"),
        label="Positional uncertainty",
    ),
    Column(
        "provenance", "provenance", align=_L, narrow=True, outputs=_o("terminal"), wrap="words",
        cell=_provenance(UNRECORDED_SHORT),
    ),
    Column(
        "provenance", "provenance", align=_L, outputs=_o("markdown", "html"), wrap="words",
        cell=_provenance(UNRECORDED),
    ),
)  # fmt: skip

#: Growth from the previous epoch (or the interval's start), shared by intervals and sites.
_GROWTH: tuple[Column, ...] = (
    Column(
        "growth_m2", "growth", "km²", ".3f", signed=True, scale=1e6, narrow=True,
        outputs=_TABLES | _CSV,
    ),
    Column("growth_pct", "growth", "%", ",.1f", signed=True, narrow=True, outputs=_TABLES | _CSV),
    Column(
        "annual_rate_pct", "annual", "%", ",.1f", signed=True, narrow=True, outputs=_TABLES | _CSV
    ),
)  # fmt: skip

#: The intervals table (rows: ``to_dict()["intervals"]``).
INTERVAL_COLUMNS: tuple[Column, ...] = (
    Column("start", "from", align=_L, narrow=True, outputs=_TABLES | _CSV),
    Column("end", "to", align=_L, narrow=True, outputs=_TABLES | _CSV),
    Column("kind", "kind", align=_L, outputs=_CSV_HTML),
    Column("days", "days", "", ",d", narrow=True, outputs=_TABLES | _CSV),
    Column("start_area_m2", "area at start", "m²", ",.0f", outputs=_CSV),
    Column("end_area_m2", "area at end", "m²", ",.0f", outputs=_CSV),
    *_GROWTH,
    Column("added_m2", "added", "km²", ".3f", scale=1e6, outputs=_TABLES | _CSV),
    Column("lost_m2", "lost", "km²", ".3f", scale=1e6, outputs=_TABLES | _CSV),
    Column(
        "added_by_type_m2", "infill/extension/leapfrog", "km²", narrow=True, outputs=_TEXT,
        cell=_by_type,
    ),
    Column(
        "infill_m2", "infill", "km²", ".3f", scale=1e6, outputs=_CSV_HTML,
        raw=_by_type_of("infill"),
    ),
    Column(
        "extension_m2", "extension", "km²", ".3f", scale=1e6, outputs=_CSV_HTML,
        raw=_by_type_of("extension"),
    ),
    Column(
        "leapfrog_m2", "leapfrog", "km²", ".3f", scale=1e6, outputs=_CSV_HTML,
        raw=_by_type_of("leapfrog"),
    ),
    Column(
        "elasticity_workers", "elasticity workers", "", ".2f", outputs=_TABLES | _CSV,
        counts=True,
    ),
    Column("elasticity_firms", "elasticity firms", "", ".2f", outputs=_CSV),
)  # fmt: skip

#: The correlation table (rows: ``to_dict()["correlation"]["pairs"]``, each with the
#: table's ``descriptive_only``).
CORRELATION_COLUMNS: tuple[Column, ...] = (
    Column("x", "x", align=_L, outputs=_CSV_HTML),
    Column("y", "y", align=_L, outputs=_CSV_HTML),
    Column("n", "n", "", "d", outputs=_CSV_HTML),
    Column("pearson_r", "Pearson r", "", ".3f", outputs=_CSV_HTML),
    Column("spearman_rho", "Spearman rho", "", ".3f", outputs=_CSV_HTML),
    Column("pearson_p", "p", "", ".3g", outputs=_CSV_HTML),
    Column("spearman_p", "Spearman p", "", ".3g", outputs=_CSV),
    Column("descriptive_only", "descriptive only", outputs=_CSV),
)  # fmt: skip

#: The footprints of an epoch (rows: ``to_dict()["epochs"][i]["footprints"]``, each with its
#: ``epoch``): the HTML report's table and each footprint's popup on the map.
FOOTPRINT_COLUMNS: tuple[Column, ...] = (
    Column("epoch", "epoch", align=_L, outputs=_o("html")),
    Column("name", "name", align=_L, outputs=_o("html"), wrap="words"),
    Column("class", "class", align=_L, outputs=_o("html", "popup")),
    Column("area_m2", "area", "ha", ",.1f", scale=1e4, outputs=_o("popup")),
    Column("method", "method", align=_L, outputs=_o("html", "popup")),
    Column(
        "estimated", "estimated", align=_L, outputs=_o("html", "popup"),
        cell=_flag_yes("estimated"),
    ),
    Column("area_m2", "area", "m²", ",.0f", outputs=_o("html")),
    Column("reference_area_m2", "documented", "m²", ",.0f", outputs=_o("html")),
    Column(
        "uncertainty_m", "±", "m", ",.0f", outputs=_o("html", "popup"),
        label="Positional uncertainty",
    ),
    Column(
        "area_uncertainty_pct", "area ±", "%", "g", outputs=_o("html", "popup"),
        label="Area uncertainty",
    ),
    Column(
        "imagery", "traced on", align=_L, outputs=_o("html", "popup"),
        label="Traced on image (imagery/catalog.csv id)", sparse=True,
    ),
    Column("source", "source", align=_L, outputs=_o("html", "popup"), wrap="prose"),
    Column("note", "note", align=_L, outputs=_o("html", "popup"), wrap="prose"),
    Column("file", "file", align=_L, outputs=_o("popup"), popup=_file_popup),
)  # fmt: skip

#: Sites side by side (rows: ``Comparison.to_dict()["epochs"]``); the terminal shows one
#: table per site, without the site column.
COMPARISON_COLUMNS: tuple[Column, ...] = (
    Column("site", "site", align=_L, outputs=_o("markdown", "csv", "html")),
    Column("epoch", "epoch", align=_L, narrow=True, outputs=_TABLES | _CSV),
    Column("date", "date", align=_L, narrow=True, outputs=_TABLES | _CSV),
    Column("years_since_first", "years", "", ".2f", narrow=True, outputs=_TABLES | _CSV),
    Column("area_m2", "area", "m²", ",.0f", outputs=_CSV),
    Column("area_km2", "area", "km²", ".3f", narrow=True, outputs=_TABLES | _CSV),
    *_GROWTH,
    Column(
        "workers_per_ha", "workers/ha", "", ",.1f", narrow=True, outputs=_TABLES | _CSV,
        counts=True,
    ),
)  # fmt: skip
