"""Sites as data: site.toml, and every command on a second site in the southern hemisphere."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from hypothesis import example, given
from hypothesis import strategies as st
from pyproj import Transformer
from shapely.geometry import LineString, Point, box

from kaesong_geo.io.datadir import bundled_data_dir
from kaesong_geo.io.sitefile import SITE_FILE, inspect_site, read_site, site_toml
from kaesong_geo.io.validate import validate_data_dir
from kaesong_geo.io.workspace import make_workspace
from kaesong_geo.report import growth_report
from kaesong_geo.site import KAESONG, Site, utm_epsg_for, utm_zone_label

from .common import feature, write_geojson
from .conftest import tree_digest

# A fictitious zone near Durban (South Africa): southern hemisphere, UTM zone 36S.
DURBAN_LON, DURBAN_LAT = 31.03, -29.86
DURBAN = Site.at("Durban test zone", DURBAN_LON, DURBAN_LAT, radius_km=15, short_name="Durban")
D0 = box(DURBAN_LON - 0.005, DURBAN_LAT - 0.005, DURBAN_LON + 0.005, DURBAN_LAT + 0.005)
D1 = box(DURBAN_LON - 0.005, DURBAN_LAT - 0.005, DURBAN_LON + 0.015, DURBAN_LAT + 0.005)
D2 = box(DURBAN_LON - 0.015, DURBAN_LAT - 0.005, DURBAN_LON + 0.015, DURBAN_LAT + 0.012)
KAESONG_BOX = box(126.630, 37.925, 126.640, 37.935)

#: Tool names that may contain "kaesong": the tool, its map script and its files.
TOOL_NAMES = re.compile(r"kaesong[-_]geo|KaesongMap|kaesong-map|map\.kaesong", re.IGNORECASE)


def _geotiff_36s(path: Path) -> None:
    """A small RGB GeoTIFF over the Durban zone, in UTM 36S."""
    import numpy as np
    import rasterio
    from rasterio.transform import from_origin

    x, y = Transformer.from_crs(4326, 32736, always_xy=True).transform(DURBAN_LON, DURBAN_LAT)
    rgb = np.full((3, 50, 60), 120, dtype="uint8")
    with rasterio.open(
        path,
        "w",
        driver="GTiff",
        width=60,
        height=50,
        count=3,
        dtype="uint8",
        crs="EPSG:32736",
        transform=from_origin(x - 300, y + 250, 10.0, 10.0),
    ) as dst:
        dst.write(rgb)


@pytest.fixture
def durban(tmp_path: Path) -> Path:
    """An init'ed workspace for the Durban zone with three traced epochs and one image."""
    ws = make_workspace(tmp_path / "durban", DURBAN)
    for label, geom in (("2015-06", D0), ("2018-03", D1), ("2021-09", D2)):
        write_geojson(ws / "boundaries" / f"{label}.geojson", feature(geom))
    _geotiff_36s(ws / "imagery" / "scene.tif")
    catalog = ws / "imagery" / "catalog.csv"
    catalog.write_text(
        catalog.read_text(encoding="utf-8")
        + "2015-06,Synthetic test scene,10,yes,scene.tif,test fixture,\n"
        + "2018-03,Sentinel-2 (not shipped),10,yes,,test fixture,\n"
        + "2021-09,Sentinel-2 (not shipped),10,yes,,test fixture,\n",
        encoding="utf-8",
    )
    return ws


def _no_kaesong(text: str, where: str) -> None:
    rest = TOOL_NAMES.sub("", text)
    found = re.search(r".{0,40}kaesong.{0,40}", rest, re.IGNORECASE)
    assert found is None, f"{where} names Kaesong: {found.group(0)!r}"


def test_durban_site_is_read_from_its_workspace(durban: Path) -> None:
    site = read_site(durban)
    assert (site.name, site.short_name, site.utm_epsg, site.utm_zone) == (
        "Durban test zone",
        "Durban",
        32736,
        "36S",
    )
    assert site.radius_km == 15 and not site.assumed
    assert site.source_file == str(durban / SITE_FILE)


def test_every_command_on_a_southern_site(cli, durban: Path, tmp_path: Path) -> None:
    before = tree_digest(durban)
    d = str(durban)
    r = cli("validate", "--data-dir", d, "--strict")
    assert r.code == 0, r.out + r.err
    assert r.out.startswith("ok: ") and "3 epochs (2015-06, 2018-03, 2021-09)" in r.out
    outputs: dict[str, str] = {"validate": r.out + r.err}

    r = cli("growth", "--data-dir", d)
    assert r.code == 0, r.err
    assert r.out.startswith("Durban test zone: footprint growth (kaesong-geo ")
    assert "UTM 36S CROSS-CHECK (EPSG:32736): 2015-06 " in r.out
    assert "cross-checked in UTM 36S (EPSG:32736)" in " ".join(r.out.split())
    outputs["table"] = r.out

    r = cli("growth", "--data-dir", d, "--format", "json")
    assert r.code == 0, r.err
    data = json.loads(r.out)
    assert data["site"]["name"] == "Durban test zone"
    assert (data["site"]["utm_epsg"], data["site"]["utm_zone"]) == (32736, "36S")
    assert (data["site"]["lon"], data["site"]["lat"], data["site"]["radius_km"]) == (
        31.03,
        -29.86,
        15.0,
    )
    assert [e["epoch"] for e in data["epochs"]] == ["2015-06", "2018-03", "2021-09"]
    assert all(abs(e["utm_diff_pct"]) < 0.1 for e in data["epochs"])  # the right zone
    outputs["json"] = r.out

    r = cli("growth", "--data-dir", d, "--format", "markdown")
    assert r.code == 0 and r.out.startswith("# Durban test zone: footprint growth")
    assert "UTM 36S (EPSG:32736)" in r.out
    outputs["markdown"] = r.out
    for table in ("epochs", "intervals"):
        r = cli("growth", "--data-dir", d, "--format", "csv", "--table", table)
        assert r.code == 0, r.err
        outputs[f"csv {table}"] = r.out

    for command, name in (("map", "map.html"), ("chart", "chart.svg"), ("report", "report.html")):
        out = tmp_path / name
        r = cli(command, "--data-dir", d, "-o", str(out))
        assert r.code == 0, r.err
        outputs[command] = out.read_text(encoding="utf-8") + r.out + r.err
    assert "<title>Durban test zone: footprint growth</title>" in outputs["map"]
    assert "<h1>Durban test zone: footprint growth</h1>" in outputs["report"]
    assert "UTM 36S" in outputs["report"] or "EPSG:32736" in outputs["report"]
    for where, text in outputs.items():
        _no_kaesong(text, where)
    assert tree_digest(durban) == before


def test_a_kaesong_footprint_is_refused_in_the_southern_site(cli, durban: Path) -> None:
    write_geojson(durban / "boundaries" / "2022-01.geojson", feature(KAESONG_BOX))
    before = tree_digest(durban)
    r = cli("validate", "--data-dir", str(durban))
    assert r.code == 1
    errors = [line for line in r.out.splitlines() if line.startswith("error: ")]
    assert len(errors) == 1
    assert "2022-01.geojson" in errors[0]
    assert re.search(
        r"lies 12,4\d\d km from the reference point of Durban test zone "
        r"\(31\.03, -29\.86; site\.toml \[point\]\), more than 15 km: wrong place or CRS, "
        r"or a wrong point in site\.toml\?$",
        errors[0],
    )
    r = cli("growth", "--data-dir", str(durban))
    assert r.code == 1 and "from the reference point of Durban test zone" in r.err and r.out == ""
    assert tree_digest(durban) == before


def test_a_durban_footprint_is_refused_in_kaesong(cli, data_dir: Path) -> None:
    write_geojson(data_dir / "boundaries" / "2011-03.geojson", feature(D0))
    r = cli("growth", "--data-dir", str(data_dir))
    assert r.code == 1
    assert (
        "km from the reference point of Kaesong Industrial Complex "
        "(126.6333, 37.9333; site.toml [point]), more than 20 km" in r.err
    )


def test_no_site_toml_is_read_as_kaesong_with_a_note(empty_data_dir: Path) -> None:
    write_geojson(empty_data_dir / "boundaries" / "2009-09.geojson", feature(KAESONG_BOX))
    report = growth_report(empty_data_dir)
    assert report.site.assumed and report.site.utm_epsg == 32652
    assert report.notes[0].startswith(
        "No site.toml in the data directory: assumed the Kaesong Industrial Complex"
    )
    bundled = growth_report()
    assert not bundled.site.assumed
    assert not any("No site.toml" in n for n in bundled.notes)
    assert any("pilot complex" in n and "92,562 m²" in n for n in bundled.notes)


def test_validate_says_when_the_site_is_assumed(cli: Any, empty_data_dir: Path) -> None:
    write_geojson(empty_data_dir / "boundaries" / "2009-09.geojson", feature(KAESONG_BOX))
    r = cli("validate", "--data-dir", str(empty_data_dir))
    assert r.code == 0
    assert r.out.splitlines()[0] == (
        "note: No site.toml in the data directory: assumed the Kaesong Industrial Complex "
        "(reference point lon 126.633, lat 37.9333; footprints within 20 km); for another zone "
        "run: kaesong-geo init DIR --site NAME --lon X --lat Y"
    )
    assert "note:" not in cli("validate").out


def test_explicit_site_overrides_site_toml(durban: Path) -> None:
    wide = Site.at("Elsewhere", 31.0, -29.9, radius_km=50)
    report = growth_report(durban, site=wide)
    assert report.site.name == "Elsewhere"
    assert validate_data_dir(durban, site=wide).site.name == "Elsewhere"


def test_bundled_site_toml_matches_the_sources() -> None:
    site = read_site(bundled_data_dir())
    assert (site.name, site.lon, site.lat, site.utm_epsg, site.radius_km) == (
        KAESONG.name,
        126.6333,
        37.9333,
        32652,
        20.0,
    )
    assert "Wikipedia" in site.reference_source
    areas = {a.label.split(" (")[0].split(",")[0]: a for a in site.documented_areas}
    assert areas["pilot complex"].area_m2 == pytest.approx(28_000 * 400 / 121, abs=1)
    assert areas["phase 1"].area_m2 == 3_300_000
    assert all(a.source for a in site.documented_areas)


GOOD = 'name = "Zone"\nradius_km = 10\n[point]\nlon = 31.03\nlat = -29.86\nsource = "test"\n'


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('name = "Zone\n', "is not valid TOML: "),
        ("radius_km = 10\n[point]\nlon = 1\nlat = 2\n", "has no 'name'"),
        ('name = ""\n[point]\nlon = 1\nlat = 2\n', "name is empty"),
        ('name = "Zone"\n', "has no [point] table"),
        ('name = "Zone"\n[point]\nlat = 2\n', "[point] has no 'lon'"),
        ('name = "Zone"\n[point]\nlon = 181\nlat = 2\n', "[point] lon 181 is out of range"),
        ('name = "Zone"\n[point]\nlon = 1\nlat = -90.5\n', "[point] lat -90.5 is out of range"),
        ('name = "Zone"\n[point]\nlon = 1\nlat = 85\n', "[point] lat 85 is beyond the UTM grid"),
        ('name = "Zone"\n[point]\nlon = nan\nlat = 2\n', "[point] lon is not finite (nan)"),
        ('name = "Zone"\n[point]\nlon = 1\nlat = inf\n', "[point] lat is not finite (inf)"),
        ('name = "Zone"\n[point]\nlon = "1"\nlat = 2\n', "[point] lon must be a number"),
        ('name = "Zone"\nradius_km = 0\n[point]\nlon = 1\nlat = 2\n', "radius_km must be positive"),
        (
            'name = "Zone"\nradius_km = -3\n[point]\nlon = 1\nlat = 2\n',
            "radius_km must be positive",
        ),
        ('name = "Zone"\nradius = 3\n[point]\nlon = 1\nlat = 2\n', "unknown key 'radius'"),
        (
            'outline = "site/none.geojson"\n' + GOOD,
            "outline file 'site/none.geojson' does not exist",
        ),
        ('outline = "site/line.geojson"\n' + GOOD, "outline 'site/line.geojson' is not a polygon"),
        ('outline = "../x.geojson"\n' + GOOD, "is not inside the data directory"),
        (GOOD + "[[documented_area]]\nlabel = 'x'\narea_m2 = 0\nsource = 's'\n", "area_m2 must be"),
        (GOOD.replace("radius_km = 10", "radius_km = 1e9"), "radius_km 1e+09 is more than 500"),
    ],
)
def test_bad_site_toml_is_one_line_exit_1(cli, durban: Path, text: str, message: str) -> None:
    (durban / "site").mkdir()
    write_geojson(
        durban / "site" / "line.geojson", feature(LineString([(31, -29.8), (31.1, -29.9)]))
    )
    (durban / SITE_FILE).write_text(text, encoding="utf-8")
    before = tree_digest(durban)
    r = cli("validate", "--data-dir", str(durban))
    assert r.code == 1
    assert r.out.startswith(f"error: {durban / SITE_FILE}: ")
    assert message in r.out.splitlines()[0]
    assert len([line for line in r.out.splitlines() if line.startswith("error: ")]) == 1
    assert r.out.splitlines()[-1] == (
        f"FAILED: {durban}: site.toml must be fixed first: footprints, statistics and imagery "
        "not checked; 1 error, 0 warnings"
    )
    for command, name in (
        ("growth", "g.txt"),
        ("map", "m.html"),
        ("chart", "c.svg"),
        ("report", "r.html"),
    ):
        r = cli(command, "--data-dir", str(durban), "-o", str(durban.parent / f"out-{name}"))
        assert r.code == 1, command
        assert r.err.count("\n") == 1 and f"{SITE_FILE}: " in r.err and message in r.err
        assert "Traceback" not in r.err
    assert tree_digest(durban) == before
    assert not list(durban.parent.glob("out-*"))


def _with_outline(ws: Path, margin: str = "") -> None:
    """A 1 km radius, and an outline 12 km long to the east of the point."""
    (ws / "site").mkdir()
    outline = box(DURBAN_LON, DURBAN_LAT - 0.01, DURBAN_LON + 0.12, DURBAN_LAT + 0.01)
    write_geojson(ws / "site" / "outline.geojson", feature(outline))
    text = GOOD.replace(
        "radius_km = 10", f'radius_km = 1\noutline = "site/outline.geojson"{margin}'
    )
    (ws / SITE_FILE).write_text(text, encoding="utf-8")


def test_outline_accepts_footprints_beyond_the_radius(tmp_path: Path) -> None:
    ws = make_workspace(tmp_path / "ws", DURBAN)
    _with_outline(ws)
    site = read_site(ws)
    assert site.outline is not None and site.outline_margin_km == 1.0
    inside = box(DURBAN_LON + 0.09, DURBAN_LAT - 0.005, DURBAN_LON + 0.1, DURBAN_LAT + 0.005)
    write_geojson(ws / "boundaries" / "2020-01.geojson", feature(inside))
    assert validate_data_dir(ws).errors == []
    # 0.015 deg north of the outline's edge: ~1.7 km, more than the 1 km margin
    north = box(DURBAN_LON + 0.09, DURBAN_LAT + 0.02, DURBAN_LON + 0.1, DURBAN_LAT + 0.025)
    write_geojson(ws / "boundaries" / "2021-01.geojson", feature(north))
    errors = validate_data_dir(ws).errors
    assert len(errors) == 1
    assert "more than 1 km nor within 1 km of its outline" in errors[0].message
    assert errors[0].path.endswith("2021-01.geojson")


def test_outline_margin_is_configurable(tmp_path: Path) -> None:
    ws = make_workspace(tmp_path / "ws", DURBAN)
    _with_outline(ws, "\noutline_margin_km = 3")
    north = box(DURBAN_LON + 0.09, DURBAN_LAT + 0.02, DURBAN_LON + 0.1, DURBAN_LAT + 0.025)
    write_geojson(ws / "boundaries" / "2021-01.geojson", feature(north))
    assert validate_data_dir(ws).errors == []


def test_site_toml_round_trip(tmp_path: Path) -> None:
    site = Site.at('A "quoted" zone\\ with ünïcode', -70.0, -33.0, radius_km=7.5, short_name="Q")
    (tmp_path / SITE_FILE).write_text(site_toml(site), encoding="utf-8")
    back, problems = inspect_site(tmp_path)
    assert problems == [] and back is not None
    assert (back.name, back.short_name, back.lon, back.lat, back.radius_km, back.utm_epsg) == (
        site.name,
        "Q",
        -70.0,
        -33.0,
        7.5,
        32719,
    )


@given(
    st.floats(-180, 180, allow_nan=False),
    st.floats(-90, 90, allow_nan=False),
)
@example(180.0, 0.0)
@example(-180.0, -0.0001)
@example(31.03, -29.86)
@example(-4.767830115286599e-16, 0.0)  # (lon + 180) rounded to 180 once: zone 31
@example(31.0, 72.0)  # Svalbard: zone 35, 4° from its meridian
@example(3.5, 60.0)  # south-west Norway: zone 32
def test_utm_zone_contains_the_point(lon: float, lat: float) -> None:
    epsg = utm_epsg_for(lon, lat)
    zone = epsg % 100
    assert epsg // 100 == (326 if lat >= 0 else 327)
    assert 1 <= zone <= 60
    central = zone * 6 - 183
    # The grid's exceptions widen zones: 32V reaches 3°E (6° from 9°E), Svalbard's are 12° wide.
    norway = 56 <= lat < 64 and 3 <= lon < 12
    svalbard = 72 <= lat <= 84 and 0 <= lon < 42
    half_width = 6 if norway or svalbard else 3
    assert abs(lon - central) <= half_width or abs(abs(lon - central) - 360) <= 3
    assert utm_zone_label(epsg) == f"{zone}{'N' if lat >= 0 else 'S'}"


def test_site_at_refuses_bad_points() -> None:
    bad: list[tuple[Any, ...]] = [
        ("Z", float("nan"), 0.0),
        ("Z", 0.0, 91.0),
        ("", 0.0, 0.0),
    ]
    for name, lon, lat in bad:
        with pytest.raises(ValueError):
            Site.at(name, lon, lat)
    for radius in (0, -1, 500.1, 1e9, float("nan")):
        with pytest.raises(
            ValueError, match="radius_km must be a number of km above 0, at most 500"
        ):
            Site.at("Z", 0.0, 0.0, radius_km=radius)
    assert Site.at("Z", 0.0, 0.0, radius_km=500).radius_km == 500
    assert Point(0, 0)  # shapely imported for geometries above


def test_site_toml_refuses_unknown_keys_in_its_tables(cli, tmp_path: Path) -> None:
    """A typo inside [point] or [[documented_area]] is named, not silently ignored."""
    ws = tmp_path / "ws"
    assert cli("init", str(ws), "--site", "Rason", "--lon", "130.3", "--lat", "42.25").code == 0
    toml = ws / "site.toml"
    text = toml.read_text(encoding="utf-8")
    toml.write_text(text.replace("source = ", "sorce = ", 1), encoding="utf-8")
    r = cli("validate", "--data-dir", str(ws))
    assert r.code == 1
    assert f"{toml}: [point] unknown key 'sorce' (known: lon, lat, source)" in r.out
    toml.write_text(
        text + '\n[[documented_area]]\nlabel = "zone"\narea_m2 = 1e6\nsorce = "x"\n',
        encoding="utf-8",
    )
    r = cli("validate", "--data-dir", str(ws))
    assert "documented_area 1: unknown key 'sorce' (known: label, area_m2, source)" in r.out


def _rason_chart(cli, tmp_path: Path) -> str:
    """The SVG chart of a fresh Rason workspace (no economy/) with one traced epoch."""
    ws = tmp_path / "ws"
    assert cli("init", str(ws), "--site", "Rason", "--lon", "130.3", "--lat", "42.25").code == 0
    write_geojson(
        ws / "boundaries" / "2020-06.geojson",
        feature(box(130.30, 42.25, 130.31, 42.26), method="traced", source="t", uncertainty_m=5),
    )
    r = cli("chart", "--data-dir", str(ws), "-o", str(tmp_path / "c.svg"))
    assert r.code == 0, r.err
    return (tmp_path / "c.svg").read_text()


def test_chart_title_names_the_site(cli, tmp_path: Path) -> None:
    assert "Rason: footprint area per imagery epoch" in _rason_chart(cli, tmp_path)


def test_chart_without_counts_draws_the_areas_alone(cli, tmp_path: Path) -> None:
    """A workspace with no economy/ gets no empty count axes, scatter or count legend."""
    svg = _rason_chart(cli, tmp_path)
    assert "<!-- Rason: footprint area per imagery epoch -->" in svg
    for absent in ("workers (published counts)", "Area against workers", "workers, observed"):
        assert absent not in svg


def test_a_site_at_its_zone_edge_validates_strictly(cli: Any, tmp_path: Path) -> None:
    """Shenzhen (114.06°E) lies 2.9° from its zone's meridian: UTM is 0.146 % larger, as due."""
    ws = tmp_path / "shenzhen"
    r = cli("init", str(ws), "--site", "Shenzhen SEZ test", "--lon", "114.06", "--lat", "22.54")
    assert r.code == 0, r.err
    write_geojson(ws / "boundaries" / "1985-06.geojson", feature(box(114.05, 22.53, 114.07, 22.55)))
    r = cli("validate", "--strict", "--data-dir", str(ws))
    assert r.code == 0, r.out
    assert "UTM area differs" not in r.out
    data = json.loads(cli("growth", "--format", "json", "--data-dir", str(ws)).out)
    epoch = data["epochs"][0]
    assert epoch["utm_diff_pct"] == pytest.approx(0.146, abs=0.002)
    assert epoch["utm_scale_pct"] == pytest.approx(epoch["utm_diff_pct"], abs=0.001)
    assert data["warnings"] == []


def test_site_toml_saved_with_a_byte_order_mark_is_read(tmp_path: Path) -> None:
    """Windows Notepad's "UTF-8 with BOM" (and CRLF) must not make site.toml invalid TOML."""
    (tmp_path / "boundaries").mkdir()
    text = GOOD.replace("\n", "\r\n")
    (tmp_path / SITE_FILE).write_bytes(b"\xef\xbb\xbf" + text.encode("utf-8"))
    site, problems = inspect_site(tmp_path)
    assert problems == []
    assert site is not None and (site.name, site.lon, site.lat) == ("Zone", 31.03, -29.86)


def test_an_epoch_in_the_future_is_a_warning(cli: Any, durban: Path) -> None:
    write_geojson(durban / "boundaries" / "2099-01.geojson", feature(D2))
    r = cli("validate", "--data-dir", str(durban))
    assert r.code == 0
    assert "epoch 2099-01 lies in the future (today is " in r.out
    r = cli("validate", "--strict", "--data-dir", str(durban))
    assert r.code == 1
    data = json.loads(cli("growth", "--format", "json", "--data-dir", str(durban)).out)
    assert any("epoch 2099-01 lies in the future" in w for w in data["warnings"])
