"""Operating events: the shipped file, its reader, and every output that must name them."""

from __future__ import annotations

import datetime as dt
import itertools
import json
from pathlib import Path

import pytest

from kaesong_geo.errors import DataError
from kaesong_geo.io.datadir import bundled_data_dir
from kaesong_geo.io.events import COLUMNS, EVENTS_FILE, inspect_events, load_events
from kaesong_geo.maps.charts import make_chart

from .common import BOX, EAST, feature, write_geojson
from .conftest import tree_digest

HEADER = ",".join(COLUMNS)
STOP = "2013-04-08,All workers withdrawn,suspended,reported,Yonhap,"
GO = "2013-09-16,Operations resume,resumed,reported,Yonhap,"


def write(data_dir: Path, *lines: str, header: str = HEADER) -> Path:
    path = data_dir / EVENTS_FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join([header, *lines]) + "\n", encoding="utf-8")
    return path


def add_epochs(data_dir: Path) -> Path:
    """A copy of the bundled data with a 2013-06 epoch (in the shutdown) and a 2016-06 one."""
    write_geojson(data_dir / "boundaries" / "2013-06.geojson", feature(BOX, epoch="2013-06"))
    write_geojson(
        data_dir / "boundaries" / "2016-06.geojson", feature(BOX.union(EAST), epoch="2016-06")
    )
    return data_dir


# ---------------------------------------------------------------- the shipped events


def test_shipped_events_have_sources_and_an_honest_status() -> None:
    events = load_events(bundled_data_dir())
    assert [(e.date.isoformat(), e.effect) for e in events] == [
        ("2008-12-01", "restriction"),
        ("2010-05-24", "restriction"),
        ("2013-04-03", "restriction"),
        ("2013-04-08", "suspended"),
        ("2013-09-16", "resumed"),
        ("2016-02-10", "suspended"),
        ("2016-02-11", "closed"),
        ("2020-06-16", "other"),
    ]
    assert all(e.source and e.event for e in events)
    # The 12.1 measures' scope is not verified: the file must say so.
    assert [e.date.isoformat() for e in events if e.status != "reported"] == ["2008-12-01"]


# ---------------------------------------------------------------- the reader


def test_file_is_optional(tmp_path: Path) -> None:
    assert inspect_events(tmp_path) == ([], [])
    assert load_events(tmp_path) == []


def test_excel_utf8_bom_is_read(tmp_path: Path) -> None:
    path = write(tmp_path, STOP, GO)
    path.write_bytes(b"\xef\xbb\xbf" + path.read_bytes())
    events, problems = inspect_events(tmp_path)
    assert problems == []
    assert [e.date for e in events] == [dt.date(2013, 4, 8), dt.date(2013, 9, 16)]


def test_rows_are_returned_in_date_order(tmp_path: Path) -> None:
    write(tmp_path, GO, STOP)
    assert [e.effect for e in load_events(tmp_path)] == ["suspended", "resumed"]


@pytest.mark.parametrize(
    ("line", "message"),
    [
        (
            "08/04/2013,x,suspended,reported,Yonhap,",
            "line 2: date '08/04/2013' is not a YYYY-MM-DD date",
        ),
        (
            "20130408,x,suspended,reported,Yonhap,",
            "line 2: date '20130408' is not a YYYY-MM-DD date",
        ),
        (
            "2013-W15-1,x,suspended,reported,Yonhap,",
            "line 2: date '2013-W15-1' is not a YYYY-MM-DD date",
        ),
        (
            "2013-02-30,x,suspended,reported,Yonhap,",
            "line 2: date '2013-02-30' is not a YYYY-MM-DD date",
        ),
        ("nan,x,suspended,reported,Yonhap,", "line 2: date 'nan' is not a YYYY-MM-DD date"),
        ("inf,x,suspended,reported,Yonhap,", "line 2: date 'inf' is not a YYYY-MM-DD date"),
        (",x,suspended,reported,Yonhap,", "line 2: date '' is not a YYYY-MM-DD date"),
        ("2013-04-08,,suspended,reported,Yonhap,", "line 2: has no event (say what happened)"),
        (
            "2013-04-08,x,paused,reported,Yonhap,",
            "line 2: unknown effect 'paused' (expected suspended, resumed, closed, "
            "restriction, other)",
        ),
        (
            "2013-04-08,x,suspended,derived,Yonhap,",
            "line 2: unknown status 'derived' (expected reported, approximate, unverified)",
        ),
        ("2013-04-08,x,suspended,reported, ,", "line 2: has no source"),
    ],
)
def test_bad_rows_name_file_and_line(tmp_path: Path, line: str, message: str) -> None:
    path = write(tmp_path, line)
    _, problems = inspect_events(tmp_path)
    assert [str(p) for p in problems] == [f"{path}: {message}"]
    with pytest.raises(DataError) as exc:
        load_events(tmp_path)
    assert str(exc.value) == f"{path}: {message}"


def test_unknown_and_missing_columns(tmp_path: Path) -> None:
    write(tmp_path, STOP + ",x", header=HEADER.replace(",effect", ",kind") + ",colour")
    _, problems = inspect_events(tmp_path)
    assert [p.message for p in problems] == [
        f"unknown columns 'kind', 'colour'; missing column 'effect' (expected {', '.join(COLUMNS)})"
    ]


def test_sequence_and_duplicate_problems_are_all_listed(tmp_path: Path) -> None:
    write(
        tmp_path,
        "2012-01-01,Too early,resumed,reported,Yonhap,",
        STOP,
        STOP,
        "2013-05-01,Again,suspended,reported,Yonhap,",
        "2013-05-01,Same day,closed,reported,Yonhap,",
        GO,
    )
    _, problems = inspect_events(tmp_path)
    assert [p.message for p in problems] == [
        "line 4: duplicate of line 3 (2013-04-08)",
        "line 2: resumed on 2012-01-01, but no earlier suspended or closed event stopped "
        "operations",
        "line 5: suspended on 2013-05-01 while operations are already stopped since "
        "2013-04-08 (line 3)",
        "line 6: a second event that stops or resumes operations on 2013-05-01 (line 5); "
        "their order is unknown",
    ]


def test_closure_after_suspension_and_restrictions_anywhere_are_fine(tmp_path: Path) -> None:
    write(
        tmp_path,
        "2016-02-10,Suspended,suspended,reported,MOU,",
        "2016-02-11,Closed,closed,reported,MOU,",
        "2016-03-01,Assets frozen,restriction,reported,MOU,",
        "2020-06-16,Office demolished,other,reported,BBC,",
    )
    assert inspect_events(tmp_path)[1] == []


# ---------------------------------------------------------------- every output names them


def test_bad_events_file_fails_every_command_and_changes_nothing(cli, data_dir: Path) -> None:
    path = write(data_dir, STOP, "2013-09-16,Operations resume,restarted,reported,Yonhap,")
    before = tree_digest(data_dir)
    for command in ("growth", "chart", "report", "map"):
        out = data_dir.parent / f"out.{ {'chart': 'png', 'growth': 'txt'}.get(command, 'html') }"
        r = cli(command, "--data-dir", str(data_dir), "--output", str(out))
        assert r.code == 1, command
        assert r.err == (
            f"kaesong-geo: error: {path}: line 3: unknown effect 'restarted' "
            "(expected suspended, resumed, closed, restriction, other)\n"
        )
    r = cli("validate", "--data-dir", str(data_dir))
    assert r.code == 1 and f"{path}: line 3: unknown effect 'restarted'" in r.out
    assert tree_digest(data_dir) == before


def test_json_names_the_event_for_2013_06_and_2016_06(cli, data_dir: Path) -> None:
    r = cli("growth", "--data-dir", str(add_epochs(data_dir)), "--format", "json")
    assert r.code == 0, r.err
    data = json.loads(r.out)
    assert data["schema_version"] == 1
    by_epoch = {e["epoch"]: e for e in data["epochs"]}
    e13 = by_epoch["2013-06"]
    assert (e13["workers"], e13["firms"], e13["production_usd_per_year"]) == (0.0, 0.0, None)
    workers = e13["aligned"]["workers"]
    assert (workers["method"], workers["verified"], workers["observations"]) == (
        "event",
        False,
        [],
    )
    assert [(ev["date"], ev["effect"]) for ev in workers["events"]] == [("2013-04-08", "suspended")]
    assert workers["events"][0]["source"] == "Wikipedia 'Kaesong Industrial Region'; Yonhap"
    assert "2013-04-08" in workers["reason"]
    production = e13["aligned"]["production_usd"]
    assert production["method"] == "unavailable"
    assert production["reason"].startswith("production stopped from the event 2013-04-08")
    assert e13["flags"]["counts_verified"] is False
    e16 = by_epoch["2016-06"]
    assert e16["workers"] == 0.0
    assert [ev["date"] for ev in e16["aligned"]["firms"]["events"]] == [
        "2016-02-10",
        "2016-02-11",
    ]
    # Epochs before the events are untouched and carry no event.
    assert by_epoch["2009-09"]["aligned"]["workers"]["method"] == "interpolated"
    assert by_epoch["2009-09"]["aligned"]["workers"]["events"] == []
    assert len(data["events"]) == 8 and all(ev["source"] for ev in data["events"])
    assert data["provenance"]["events_file"] == str(data_dir / EVENTS_FILE)
    notes = " ".join(data["notes"])
    assert "Epoch 2013-06: firms 0 (event), workers 0 (event), production_usd unavailable" in notes
    assert "no operations 2013-04-08 until 2013-09-16; from 2016-02-10 on" in notes


@pytest.mark.parametrize("fmt", ["table", "markdown"])
def test_table_and_markdown_flag_and_name_the_event(cli, data_dir: Path, fmt: str) -> None:
    r = cli("growth", "--data-dir", str(add_epochs(data_dir)), "--format", fmt)
    assert r.code == 0, r.err
    row = next(line for line in r.out.splitlines() if line.lstrip("| ").startswith("2013-06"))
    flagged = "0\\*" if fmt == "markdown" else "0*"  # Markdown escapes the star
    assert flagged in row and "52,545" not in r.out
    assert "Epoch 2013-06:" in r.out and "2013-04-08 (suspended: North Korea" in r.out


def test_report_and_map_carry_the_event_notes(data_dir: Path) -> None:
    from kaesong_geo.maps.build import make_map
    from kaesong_geo.maps.htmlreport import make_report

    add_epochs(data_dir)
    for html in (make_report(data_dir), make_map(data_dir)):
        assert "Epoch 2013-06:" in html and "2016-02-11 (closed: North Korea expels" in html


def test_without_events_file_the_report_says_so(cli, data_dir: Path) -> None:
    (data_dir / EVENTS_FILE).unlink()
    r = cli("growth", "--data-dir", str(add_epochs(data_dir)), "--format", "json")
    assert r.code == 0, r.err
    data = json.loads(r.out)
    assert data["events"] == [] and data["provenance"]["events_file"] is None
    assert any("No economy/events.csv" in n for n in data["notes"])
    # Without the events the old rule applies: the 52,545 workers come back.
    e13 = next(e for e in data["epochs"] if e["epoch"] == "2013-06")
    assert e13["aligned"]["workers"]["method"] == "interpolated"
    assert round(e13["workers"]) == 52545


def test_chart_marks_events_in_its_time_range(data_dir: Path) -> None:
    svg = make_chart(add_epochs(data_dir), fmt="svg").decode()
    for day in ("2013-04-08", "2016-02-10", "2008-12-01", "2010-05-24", "2013-04-03"):
        assert f'id="event-{day}"' in svg
    assert 'id="event-2020-06-16"' not in svg  # outside the axis (2003-2017)
    png = make_chart(data_dir, fmt="png")
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    # The bundled epochs (2004-2009) only reach the two restrictions.
    bundled = make_chart(fmt="svg").decode()
    assert 'id="event-2008-12-01"' in bundled and 'id="event-2013-04-08"' not in bundled


def test_event_zeros_stay_out_of_correlation_and_elasticities(data_dir: Path) -> None:
    """A stoppage's 0 workers is shown, but says nothing of how counts scale with area."""
    from kaesong_geo.report import growth_report

    report = growth_report(add_epochs(data_dir))
    by_label = {r.label: r for r in report.epochs}
    assert by_label["2013-06"].value("workers") == 0.0
    assert by_label["2013-06"].operating_value("workers") is None
    assert by_label["2009-09"].operating_value("workers") == by_label["2009-09"].value("workers")
    workers = next(c for c in report.correlations if c.y == "workers")
    assert workers.n == 3  # 5 epochs, of which 2013-06 and 2016-06 lie in stoppages
    into_shutdown = next(
        i
        for i in report.intervals
        if (i.growth.start.label, i.growth.end.label) == ("2009-09", "2013-06")
    )
    assert into_shutdown.elasticity_workers is None and into_shutdown.elasticity_firms is None
    assert any("left out of the correlation and the elasticities" in n for n in report.notes)


# ---------------------------------------------------------------- the chart's count lines

SVG_NS = "{http://www.w3.org/2000/svg}"


def svg_paths(svg: str) -> dict[str, list[tuple[float, float]]]:
    """Vertices of the first path of every ``<g id=...>`` (SVG user units, y down)."""
    from xml.etree import ElementTree

    found: dict[str, list[tuple[float, float]]] = {}
    for g in ElementTree.fromstring(svg).iter(f"{SVG_NS}g"):
        path = g.find(f"{SVG_NS}path")
        tokens = [] if path is None else path.attrib["d"].split()
        if "id" in g.attrib and tokens and set(tokens) & {"C", "Q"} == set():  # no curves
            numbers = [float(t) for t in tokens if t not in {"M", "L", "z"}]
            found[g.attrib["id"]] = list(zip(numbers[::2], numbers[1::2], strict=True))
    return found


def test_chart_never_draws_a_count_line_across_a_stoppage(data_dir: Path, cli, tmp_path) -> None:
    """Observed lines break at every stoppage, show its documented 0, and resume after it.

    A count published inside the 2013 shutdown (0 on 2013-06-30) must not be joined to the
    52000 of 2013-12-31 either: that line would rise through the resumption of 2013-09-16.
    """
    add_epochs(data_dir)
    with (data_dir / "economy" / "observations.csv").open("a", encoding="utf-8") as f:
        f.write("workers,2013-06,2013-06-30,0,persons,derived,test,inside the shutdown\n")
    out = tmp_path / "chart.svg"
    r = cli("chart", "--data-dir", str(data_dir), "--output", str(out))
    assert r.code == 0, r.err
    svg = out.read_text(encoding="utf-8")
    paths = svg_paths(svg)
    spans = {}
    for day in ("2013-04-08", "2016-02-10"):
        xs = [x for x, _ in paths[f"event-{day}"]]
        spans[day] = (min(xs), max(xs))
    zero_y = max(y for _, y in paths["event-2013-04-08"])  # the bottom of the axes: y = 0
    for indicator in ("workers", "firms"):
        runs = [v for k, v in paths.items() if k.startswith(f"{indicator}-observed-")]
        segments = [(a[0], b[0]) for run in runs for a, b in itertools.pairwise(run)]
        assert len(segments) > 8
        for x0, x1 in spans.values():
            crossing = [(a, b) for a, b in segments if a < x1 and b > x0]
            assert crossing == [], (indicator, crossing)
        # Nothing drawn as operating after the closure of 2016-02-10...
        assert max(x for run in runs for x, _ in run) < spans["2016-02-10"][0]
        # ...but the line resumes after 2013 (2013-12-31 to 2015-12-31).
        assert any(a > spans["2013-04-08"][1] for a, _ in segments)
        # Aligned counts are markers only, never joined by a line.
        for method in ("interpolated", "event"):
            assert f'id="{indicator}-aligned-{method}"' in svg
            assert f"{indicator}-aligned-{method}" not in paths
        for day, (x0, x1) in spans.items():
            stopped = paths[f"{indicator}-stopped-{day}"]
            assert [y for _, y in stopped] == pytest.approx([zero_y] * len(stopped))
            assert x0 - 1e-6 <= min(x for x, _ in stopped) < max(x for x, _ in stopped) <= x1


def test_chart_scatter_shows_what_the_correlation_uses(data_dir: Path, cli, tmp_path) -> None:
    """The area-against-workers panel leaves stopped epochs out, as the correlation does."""
    import re

    out = tmp_path / "chart.svg"
    r = cli("chart", "--data-dir", str(add_epochs(data_dir)), "--output", str(out))
    assert r.code == 0, r.err
    svg = out.read_text(encoding="utf-8")
    assert 'id="workers-not-shown-stopped"' in svg
    assert "n = 3 (descriptive only)" in svg  # 5 epochs, 2 of them in stoppages
    assert "2013-06, 2016-06" in svg
    # Scatter labels carry the '*' of aligned, unverified counts: only the operating epochs.
    assert sorted(re.findall(r"<!-- (20\d\d-\d\d)\* -->", svg)) == ["2004-04", "2006-01", "2009-09"]
