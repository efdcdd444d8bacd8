"""A site without counts, and honest marks of unrecorded uncertainty (issue #7, D12-D14).

Every test works on a real workspace made by ``kaesong-geo init`` for another site, with
footprints written as GeoJSON files named by epoch, as the README tells users to.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from shapely.geometry import box, mapping

from kaesong_geo.columns import (
    CORRELATION_COLUMNS,
    EPOCH_COLUMNS,
    INTERVAL_COLUMNS,
    OUTPUTS,
    csv_header,
    shown,
)
from kaesong_geo.maps.charts import chart_bytes, make_chart
from kaesong_geo.maps.htmlreport import make_report
from kaesong_geo.report import growth_report

from .conftest import tree_digest

LON, LAT = 130.3, 42.3
NO_COUNTS = "No counts (economy/observations.csv): areas only."
UNVERIFIED = "aligned from unverified, approximate or derived observations"
HEADER = "indicator,period,as_of,value,unit,status,source,note\n"


def _footprint(ws: Path, epoch: str, size: float, **props: Any) -> None:
    """``boundaries/EPOCH.geojson``: one traced square of ``size`` degrees, without
    ``uncertainty_m`` unless given."""
    properties = {"class": "built", "name": "Zone", "source": "test tracing", "method": "traced"}
    feature = {
        "type": "Feature",
        "properties": {**properties, **props},
        "geometry": mapping(box(LON, LAT, LON + size, LAT + size)),
    }
    doc = {"type": "FeatureCollection", "features": [feature]}
    (ws / "boundaries" / f"{epoch}.geojson").write_text(json.dumps(doc), encoding="utf-8")


@pytest.fixture
def rason(cli: Any, tmp_path: Path) -> Path:
    """A workspace of another site: two traced epochs, no uncertainty, no economy data."""
    ws = tmp_path / "ws"
    r = cli("init", str(ws), "--site", "Rason", "--lon", str(LON), "--lat", str(LAT))
    assert r.code == 0, r.err
    _footprint(ws, "2015-06", 0.005)
    _footprint(ws, "2019-09", 0.01)
    return ws


def _observations(ws: Path, *rows: str) -> None:
    (ws / "economy").mkdir(exist_ok=True)
    (ws / "economy" / "observations.csv").write_text(HEADER + "".join(rows), encoding="utf-8")


def _growth(cli: Any, ws: Path, *args: str) -> str:
    before = tree_digest(ws)
    r = cli("growth", "--data-dir", str(ws), *args)
    assert r.code == 0, r.err
    assert tree_digest(ws) == before
    return str(r.out)


# ---------------------------------------------------------------- D13: no counts


def test_no_counts_terminal_shows_areas_only(cli: Any, rason: Path) -> None:
    for args in ((), ("--wide",)):
        out = _growth(cli, rason, *args)
        assert out.count(NO_COUNTS) == 1
        assert "CORRELATION" not in out and "DESCRIPTIVE ONLY" not in out
        assert "n = 0" not in out and "0 epochs" not in out
        assert UNVERIFIED not in out and "*" not in out
        assert "firms" not in out and "workers" not in out and "elasticity" not in out
        header = next(line for line in out.splitlines() if line.startswith("epoch "))
        wide = "area ha  ± ha  growth %  annual %" if args else "growth %"
        assert header.split() == f"epoch date area km²  ± km²  {wide}  provenance".split()
    hint = "(--wide shows every column: area ha, annual %, added, lost, ...)"
    assert hint in _growth(cli, rason)


def test_no_counts_markdown_shows_areas_only(cli: Any, rason: Path) -> None:
    md = _growth(cli, rason, "--format", "markdown")
    assert md.count(NO_COUNTS) == 1
    assert "## Correlation" not in md and "DESCRIPTIVE ONLY" not in md
    assert UNVERIFIED not in md and "\\*" not in md
    assert "firms" not in md and "workers" not in md
    assert "## Epochs" in md and "## Intervals" in md and "## Notes" in md


def test_no_counts_json_keeps_its_shape(cli: Any, rason: Path) -> None:
    """JSON is the stable contract: every field is there, the counts null."""
    data = json.loads(_growth(cli, rason, "--format", "json"))
    bundled = json.loads(cli("growth", "--format", "json").out)
    assert data.keys() == bundled.keys()
    assert data["epochs"][0].keys() == bundled["epochs"][0].keys()
    assert data["correlation"].keys() == bundled["correlation"].keys()
    assert [p["y"] for p in data["correlation"]["pairs"]] == ["firms", "workers"]
    assert data["correlation"]["n"] == 0 and data["provenance"]["observations_file"] is None
    assert all(e["firms"] is None and e["workers"] is None for e in data["epochs"])
    assert data["notes"].count(NO_COUNTS) == 1
    assert not any("DESCRIPTIVE ONLY" in n or "counts are not shown" in n for n in data["notes"])


def test_no_counts_csv_keeps_every_column(cli: Any, rason: Path) -> None:
    for table, spec in (
        ("epochs", EPOCH_COLUMNS),
        ("intervals", INTERVAL_COLUMNS),
        ("correlation", CORRELATION_COLUMNS),
    ):
        out = _growth(cli, rason, "--format", "csv", "--table", table)
        assert tuple(out.splitlines()[0].split(",")) == csv_header(spec)


def _body(html: str) -> str:
    """The report without its map (an iframe) and chart (a data URI)."""
    html = re.sub(r'srcdoc="[^"]*"', 'srcdoc=""', html)
    return re.sub(r"base64,[A-Za-z0-9+/=]+", "base64,", html)


def test_no_counts_html_report_omits_the_empty_sections(rason: Path) -> None:
    before = tree_digest(rason)
    html = _body(make_report(rason))
    assert tree_digest(rason) == before
    assert html.count(f"<li>{NO_COUNTS}</li>") == 1
    assert "Correlation across epochs" not in html and "Descriptive only" not in html
    assert "Sources of the counts used" not in html
    assert "aligned from unverified" not in html and 'class="flag"' not in html
    assert ">firms<" not in html and ">workers<" not in html and "workers/ha" not in html
    assert 'alt="Footprint area per epoch"' in html
    assert "<h2>Growth between epochs</h2>" in html and "<h3>Footprints</h3>" in html


def test_bundled_html_report_keeps_every_section() -> None:
    html = _body(make_report())
    for text in (
        "Correlation across epochs",
        "Sources of the counts used",
        "aligned from unverified",
        ">workers<",
        "beside firms and workers; area against workers",
    ):
        assert text in html
    assert NO_COUNTS not in html


def test_observations_outside_the_epochs_are_no_counts(cli: Any, rason: Path) -> None:
    """A file whose counts align with no epoch (never extrapolated): areas only, said why."""
    _observations(
        rason,
        "workers,2001,2001-12-31,100,persons,reported,Source A,\n",
        "workers,2002,2002-12-31,200,persons,reported,Source B,\n",
    )
    out = _growth(cli, rason)
    assert "No counts (economy/observations.csv has none that aligns with these epochs" in out
    assert "CORRELATION" not in out and "workers" not in out.split("NOTES")[0]
    assert "Values marked *" not in out
    svg = make_chart(rason, fmt="svg").decode()
    assert "published counts" not in svg and "Area against workers" not in svg


def test_verified_counts_have_no_footnote(cli: Any, rason: Path) -> None:
    """Counts that rest on reported figures only carry no * and so no footnote."""
    _observations(
        rason,
        "workers,2014,2014-12-31,1000,persons,reported,Source A,\n",
        "workers,2020,2020-12-31,4000,persons,reported,Source B,\n",
    )
    for args in ((), ("--format", "markdown")):
        out = _growth(cli, rason, *args)
        assert "orrelation" in out.replace("CORRELATION", "Correlation")
        assert NO_COUNTS not in out and UNVERIFIED not in out
        assert re.search(r"\b1,\d{3}\b", out)  # the workers column is there
        assert not re.search(r"\d\*", out)
    html = _body(make_report(rason))
    assert "Correlation across epochs" in html and "aligned from unverified" not in html
    assert "Sources of the counts used" in html and "Source A" in html
    chart = chart_bytes(growth_report(rason), "svg").decode("utf-8")
    assert "workers, observed" in chart and "observed but unverified" not in chart


def test_unverified_counts_keep_their_footnote(cli: Any, rason: Path) -> None:
    _observations(
        rason,
        "workers,2014,2014-12-31,1000,persons,approximate,Source A,\n",
        "workers,2020,2020-12-31,4000,persons,reported,Source B,\n",
    )
    out = _growth(cli, rason)
    assert re.search(r"\d\*", out) and f"  * {UNVERIFIED}" in out
    md = _growth(cli, rason, "--format", "markdown")
    assert f"\\* {UNVERIFIED}." in md
    chart = chart_bytes(growth_report(rason), "svg").decode("utf-8")
    assert "observed but unverified" in chart


# ---------------------------------------------------------------- D12: provenance wording


def test_unrecorded_uncertainty_is_said_not_questioned(cli: Any, rason: Path) -> None:
    _footprint(rason, "2015-06", 0.005, uncertainty_m=30, area_uncertainty_pct=8)
    out = _growth(cli, rason)
    md = _growth(cli, rason, "--format", "markdown")
    html = _body(make_report(rason))
    for text in (out, md, html):
        assert "±?" not in text and "± ?" not in text
    assert re.search(r"^2015-06 .* traced ±30 m$", out, re.M)
    assert re.search(r"^2019-09 .* traced, ± –$", out, re.M)
    assert "| traced ±30 m |" in md and "| traced, uncertainty not recorded |" in md
    assert ">traced, uncertainty not recorded</td>" in html and ">traced ±30 m</td>" in html


# ---------------------------------------------------------------- D14: chart error bars


def _error_bars(svg: str) -> int:
    """How many area error bars an SVG chart draws (one path each)."""
    group = re.search(r'<g id="area-uncertainty">(.*?)</g>', svg, re.S)
    return 0 if group is None else group.group(1).count("<path")


def test_chart_draws_no_error_bar_where_no_uncertainty_is_recorded(rason: Path) -> None:
    svg = make_chart(rason, fmt="svg").decode()
    assert _error_bars(svg) == 0
    assert (
        "error bar" not in svg and "<!-- footprint area; area uncertainty not recorded -->" in svg
    )
    assert "estimated epoch" not in svg  # no epoch is estimated
    _footprint(rason, "2015-06", 0.005, uncertainty_m=30, area_uncertainty_pct=8)
    svg = make_chart(rason, fmt="svg").decode()
    assert _error_bars(svg) == 1
    assert "<!-- footprint area (error bar: recorded uncertainty) -->" in svg


def test_bundled_chart_draws_an_error_bar_per_epoch() -> None:
    svg = make_chart(fmt="svg").decode()
    assert _error_bars(svg) == 3 and "estimated epoch" in svg


# ---------------------------------------------------------------- the column specification


@given(st.sampled_from(OUTPUTS), st.booleans())
def test_without_counts_only_the_count_columns_go(output: Any, wide: bool) -> None:
    for spec in (EPOCH_COLUMNS, INTERVAL_COLUMNS, CORRELATION_COLUMNS):
        every = shown(spec, output, wide=wide)
        some = shown(spec, output, wide=wide, counts=False)
        gone = [c for c in every if c not in some]
        assert [c for c in every if c in some] == some
        assert all(c.counts for c in gone)
        assert gone == [] if output == "csv" else all(not c.counts for c in some)


def test_sites_side_by_side_without_counts_drop_workers_per_ha(
    cli: Any, rason: Path, tmp_path: Path
) -> None:
    other = tmp_path / "other"
    assert cli("init", str(other), "--site", "Sonbong", "--lon", "130.4", "--lat", "42.3").code == 0
    _footprint(other, "2016-06", 0.004)
    _footprint(other, "2020-06", 0.006)
    args = ("--data-dir", str(other))
    out = _growth(cli, rason, *args)
    md = _growth(cli, rason, *args, "--format", "markdown")
    html = _body(make_report([rason, other]))
    for text in (out, md, html):
        assert "workers" not in text and "correlation" not in text.lower()
    assert out.count(NO_COUNTS) == md.count(NO_COUNTS) == html.count(f"<li>{NO_COUNTS}</li>") == 2
    csv = _growth(cli, rason, *args, "--format", "csv")
    assert csv.splitlines()[0].endswith(",workers_per_ha")
