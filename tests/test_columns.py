"""One column specification: every output reads it, CSV keeps its raw keys and values, and a
missing value has one mark everywhere."""

from __future__ import annotations

import csv
import io
import json
import re
from html.parser import HTMLParser
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kaesong_geo.columns import (
    COMPARISON_COLUMNS,
    CORRELATION_COLUMNS,
    EPOCH_COLUMNS,
    FOOTPRINT_COLUMNS,
    INTERVAL_COLUMNS,
    MISSING,
    OUTPUTS,
    Cell,
    Column,
    csv_header,
    epoch_headline,
    format_value,
    popup_rows,
    shown,
)
from kaesong_geo.compare_sites import compare_sites
from kaesong_geo.maps.build import make_map
from kaesong_geo.render import TABLE_WIDTH, render_report
from kaesong_geo.report import growth_report

from .test_maps import config_of

TABLES = {
    "epochs": EPOCH_COLUMNS,
    "intervals": INTERVAL_COLUMNS,
    "correlation": CORRELATION_COLUMNS,
    "footprints": FOOTPRINT_COLUMNS,
    "comparison": COMPARISON_COLUMNS,
}

# The CSV headers users and scripts rely on: pinned here, derived from the spec in the code.
CSV_HEADERS = {
    "epochs": (
        "epoch", "date", "date_precision", "area_m2", "area_km2", "area_ha", "area_utm_m2",
        "utm_diff_pct", "perimeter_m", "area_uncertainty_m2", "reference_area_m2",
        "polsby_popper", "convex_hull_ratio", "growth_m2", "growth_pct", "annual_rate_pct",
        "firms", "firms_method", "firms_verified", "workers", "workers_method",
        "workers_verified", "production_usd_per_year", "workers_per_ha", "firms_per_km2",
        "production_usd_per_ha_year", "estimated", "methods", "uncertainty_m",
    ),
    "intervals": (
        "start", "end", "kind", "days", "start_area_m2", "end_area_m2", "growth_m2",
        "growth_pct", "annual_rate_pct", "added_m2", "lost_m2", "infill_m2", "extension_m2",
        "leapfrog_m2", "elasticity_workers", "elasticity_firms",
    ),
    "correlation": (
        "x", "y", "n", "pearson_r", "spearman_rho", "pearson_p", "spearman_p",
        "descriptive_only",
    ),
    "comparison": (
        "site", "epoch", "date", "years_since_first", "area_m2", "area_km2", "growth_m2",
        "growth_pct", "annual_rate_pct", "workers_per_ha",
    ),
}  # fmt: skip


@pytest.fixture(scope="module")
def data() -> dict[str, Any]:
    return growth_report().to_dict()


def _rows(data: dict[str, Any], table: str) -> list[dict[str, Any]]:
    if table == "epochs":
        return list(data["epochs"])
    if table == "intervals":
        return list(data["intervals"])
    if table == "correlation":
        desc = data["correlation"]["descriptive_only"]
        return [{**p, "descriptive_only": desc} for p in data["correlation"]["pairs"]]
    if table == "footprints":
        return [{"epoch": e["epoch"], **fp} for e in data["epochs"] for fp in e["footprints"]]
    return list(compare_sites([growth_report()]).to_dict()["epochs"])


@pytest.mark.parametrize("table", sorted(CSV_HEADERS))
def test_csv_headers_are_the_raw_keys_users_rely_on(table: str) -> None:
    assert csv_header(TABLES[table]) == CSV_HEADERS[table]


@pytest.mark.parametrize("table", sorted(TABLES))
def test_every_plain_column_reads_a_field_the_rows_have(data: dict[str, Any], table: str) -> None:
    """A misspelt key would show the missing mark silently: every key must exist in the rows."""
    rows = _rows(data, table)
    assert rows
    for column in TABLES[table]:
        assert set(column.outputs) <= set(OUTPUTS)
        if column.cell is None and column.raw is None:
            assert all(column.key in row for row in rows), (table, column.key)
        for row in rows:  # every column formats every row of the real report
            column.text(row)
            column.popup_text(row)
            column.value(row)


def test_csv_values_are_raw(data: dict[str, Any]) -> None:
    text = render_report(growth_report(), "csv", table="epochs")
    rows = list(csv.DictReader(io.StringIO(text)))
    assert rows[0]["growth_pct"] == "" and rows[0]["methods"] == "reconstructed"
    assert float(rows[1]["area_m2"]) == data["epochs"][1]["area_m2"]
    assert rows[1]["firms_verified"] == "False" and rows[1]["estimated"] == "True"
    intervals = list(
        csv.DictReader(io.StringIO(render_report(growth_report(), "csv", table="intervals")))
    )
    assert (
        float(intervals[0]["extension_m2"]) == data["intervals"][0]["added_by_type_m2"]["extension"]
    )


def test_terminal_and_markdown_headers_come_from_the_spec() -> None:
    report = growth_report()
    table = render_report(report, "table")
    narrow = [c.title for c in shown(EPOCH_COLUMNS, "terminal", wide=False)]
    header = next(line for line in table.splitlines() if line.startswith("epoch "))
    assert header.split() == " ".join(narrow).split()
    wide = render_report(report, "table", wide=True)
    assert all(c.title in wide for c in shown(INTERVAL_COLUMNS, "terminal"))
    assert max(len(line) for line in table.splitlines()) <= TABLE_WIDTH
    md = render_report(report, "markdown")
    titles = [c.title for c in shown(EPOCH_COLUMNS, "markdown")]
    assert "| " + " | ".join(titles) + " |" in md


def test_one_missing_mark_in_every_output(data: dict[str, Any]) -> None:
    """The first epoch has no growth: every output shows the en dash, none the old marks."""
    report = growth_report()
    table = render_report(report, "table", wide=True)
    first = next(line for line in table.splitlines() if line.startswith("2004-04  2004-04-15"))
    assert first.split()[6:8] == [MISSING, MISSING]  # growth %, annual %
    md = render_report(report, "markdown")
    assert f"| 0.9 | {MISSING} | {MISSING} |" in md
    config = config_of(make_map())
    rows = dict(config["epochs"][0]["rows"])
    assert rows["Growth from previous"] == MISSING and rows["Annual rate"] == MISSING
    for text in (table, md, json.dumps(config, ensure_ascii=False)):
        assert "n/a" not in text and "&ndash;" not in text
        assert not re.search(r"\s-\s", text.split("NOTES")[0])  # no lone hyphen as a mark


def test_map_popups_and_legend_read_the_spec(data: dict[str, Any]) -> None:
    config = config_of(make_map())
    for e, row in zip(config["epochs"], data["epochs"], strict=True):
        assert e["rows"] == popup_rows(EPOCH_COLUMNS, row)
        assert e["headline"] == epoch_headline(row)
        labels = [label for label, _ in e["rows"]]
        assert labels == [c.popup_label for c in shown(EPOCH_COLUMNS, "popup")]
        for feature, fp in zip(e["geojson"]["features"], row["footprints"], strict=True):
            assert feature["properties"]["rows"] == popup_rows(FOOTPRINT_COLUMNS, fp)
    last = dict(config["epochs"][2]["rows"])
    assert last["Annual rate"] == "+19.0%/yr" and last["Positional uncertainty"] == "500 m"


def test_composite_cells() -> None:
    row = {
        "aligned": {
            "firms": {"value": None, "verified": True, "reason": "no observations"},
            "workers": {"value": 40905.2, "verified": False, "method": "interpolated"},
        },
        "flags": {"methods": ["traced", "reconstructed"], "uncertainty_m": None, "estimated": True},
    }
    by_key = {c.key: c for c in EPOCH_COLUMNS if c.cell is not None}
    assert by_key["firms"].text(row) == MISSING
    assert by_key["firms"].popup_text(row) == f"{MISSING} (no observations)"
    assert tuple(by_key["workers"].cell_of(row)) == ("40,905", "*")
    provenance = {o: shown(EPOCH_COLUMNS, o)[-1] for o in ("terminal", "markdown", "html")}
    assert tuple(provenance["terminal"].cell_of(row)) == ("traced/reconstructed, ± –", " ESTIMATED")
    for output in ("markdown", "html"):
        assert tuple(provenance[output].cell_of(row)) == (
            "traced/reconstructed, uncertainty not recorded",
            " ESTIMATED",
        )


@given(
    st.none() | st.floats(allow_nan=False, allow_infinity=False, width=32) | st.integers(),
    st.sampled_from(["", ",.1f", ".3f", ",.0f", "g"]),
    st.booleans(),
    st.sampled_from([1.0, 1e4, 1e6]),
)
def test_missing_mark_only_for_missing(value: Any, spec: str, signed: bool, scale: float) -> None:
    text = format_value(value, spec, signed=signed, scale=scale)
    assert (text == MISSING) == (value is None)
    if value is not None and signed and spec:
        assert text[0] in "+-"


def test_a_new_column_is_one_line() -> None:
    extra = Column("n_holes", "holes", "", "d", outputs=frozenset({"terminal", "csv", "popup"}))
    spec = (*EPOCH_COLUMNS, extra)
    assert csv_header(spec)[-1] == "n_holes"
    assert popup_rows(spec, {**_first_epoch(), "n_holes": 2})[-1] == ["Holes", "2"]


def _first_epoch() -> dict[str, Any]:
    return dict(growth_report().to_dict()["epochs"][0])


class _Tables(HTMLParser):
    """The header texts of each <table> in an HTML page."""

    def __init__(self) -> None:
        super().__init__()
        self.tables: list[list[str]] = []
        self._in_th = False

    def handle_starttag(self, tag: str, attrs: Any) -> None:
        if tag == "table":
            self.tables.append([])
        self._in_th = tag == "th"
        if self._in_th:
            self.tables[-1].append("")

    def handle_endtag(self, tag: str) -> None:
        if tag == "th":
            self._in_th = False

    def handle_data(self, data: str) -> None:
        if self._in_th:
            self.tables[-1][-1] += data


def html_headers(html: str) -> list[list[str]]:
    parser = _Tables()
    parser.feed(html)
    return parser.tables


def test_html_report_tables_come_from_the_spec() -> None:
    from kaesong_geo.maps.htmlreport import make_report

    html = make_report()
    expected = [  # the bundled footprints name no image: the sparse column is left out
        [c.title for c in shown(spec, "html") if not c.sparse]
        for spec in (EPOCH_COLUMNS, INTERVAL_COLUMNS, CORRELATION_COLUMNS, FOOTPRINT_COLUMNS)
    ]
    assert html_headers(html) == expected
    assert f'<td class="">{MISSING}</td>' in html and "&ndash;" not in html
    assert 'reconstructed ±700 m<span class="flag"> ESTIMATED</span>' in html


def test_derived_counts_carry_the_mark_and_empty_text_is_missing() -> None:
    """workers/ha from unverified workers is marked *; an empty note is – like any missing value."""
    per_ha = next(c for c in EPOCH_COLUMNS if c.key == "workers_per_ha")
    row = {"workers_per_ha": 35.7, "aligned": {"workers": {"value": 6225.0, "verified": False}}}
    assert per_ha.cell_of(row) == Cell("35.7", "*")
    row["aligned"]["workers"]["verified"] = True
    assert per_ha.cell_of(row) == Cell("35.7", "")
    assert per_ha.cell_of({"workers_per_ha": None}) == Cell(MISSING)
    note = next(c for c in FOOTPRINT_COLUMNS if c.key == "note" and "popup" in c.outputs)
    assert note.popup_text({"note": ""}) == MISSING and note.popup_text({"note": "  "}) == MISSING
    assert note.popup_text({"note": "traced"}) == "traced"
