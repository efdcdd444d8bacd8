"""Maps, charts and the report without a browser: content, sizes, assets, escaping, imagery."""

from __future__ import annotations

import datetime as dt
import html as htmllib
import itertools
import json
import re
from pathlib import Path

import pytest
import rasterio
from hypothesis import given
from hypothesis import strategies as st
from pyproj import Transformer

from kaesong_geo.economy import Observation, Stoppage
from kaesong_geo.errors import DataError
from kaesong_geo.io.raster import read_overlay
from kaesong_geo.maps import assets
from kaesong_geo.maps.build import make_map, page_geojson, safe_json
from kaesong_geo.maps.charts import _runs, make_chart
from kaesong_geo.maps.htmlreport import make_report

from .common import BOX, MALICIOUS, add_imagery, feature, write_geojson, write_geotiff
from .conftest import REPO

LIMIT_BYTES = 1_500_000


@pytest.fixture(scope="module")
def offline_map() -> str:
    return make_map(self_contained=True)


def config_of(html: str) -> dict:
    match = re.search(r"KaesongMap\.init\(\w+, (\{.*?\}), \[", html, re.S)
    assert match, "no KaesongMap.init call"
    return page_geojson(json.loads(match.group(1)))  # as the page's script draws it


def test_self_contained_map_needs_no_network_and_is_small(offline_map: str) -> None:
    assert assets.external_references(offline_map) == []
    assert "cdn.jsdelivr" not in offline_map
    assert len(offline_map.encode()) < LIMIT_BYTES
    for marker in ("leaflet@1.9.4", "leaflet-measure@3.1.0", "leaflet.fullscreen@5.3.3"):
        assert f"/* {marker} */" in offline_map
    assert "url(images/" not in offline_map and 'url("data:image/png;base64,' in offline_map


def test_online_map_links_the_same_pinned_assets() -> None:
    html = make_map()
    links = set(re.findall(r'(?:src|href)="(https://cdn\.jsdelivr\.net/[^"]+)"', html))
    assert links == {assets.url(a["name"]) for a in assets.manifest()["assets"]}


def test_cdn_linked_map_explains_itself_when_leaflet_is_missing(offline_map: str) -> None:
    """The notice is inline (no request), runs only without Leaflet, names the fix."""
    html = make_map()
    head = html[: html.index("</head>")]
    notice = re.search(r"<script>window\.addEventListener\('load'.*?</script>", head, re.S)
    assert notice, "no inline notice in the head"
    assert "if (window.L) { return; }" in notice.group(0)
    assert "kaesong-geo map --self-contained" in notice.group(0)
    assert assets.external_references(notice.group(0)) == []
    # The self-contained page carries it too, harmlessly, and still names no CDN.
    assert notice.group(0) in offline_map and "jsdelivr" not in notice.group(0)


def test_asset_versions_match_package_json_and_lock() -> None:
    pinned = json.loads((REPO / "package.json").read_text())["dependencies"]
    lock = json.loads((REPO / "package-lock.json").read_text())["packages"]
    for a in assets.manifest()["assets"]:
        assert pinned[a["package"]] == a["version"]
        assert lock[f"node_modules/{a['package']}"]["version"] == a["version"]


def test_map_config_carries_epochs_growth_and_provenance(offline_map: str) -> None:
    config = config_of(offline_map)
    assert [e["label"] for e in config["epochs"]] == ["2004-04", "2006-01", "2009-09"]
    assert [e["estimated"] for e in config["epochs"]] == [False, True, False]
    colors = [e["color"] for e in config["epochs"]]
    assert colors[0] == "#440154" and colors[-1] == "#fde725" and len(set(colors)) == 3
    rows = dict(config["epochs"][2]["rows"])
    assert (
        rows["Area"].startswith("3.300 km² = 330.0 ha") and rows["Growth from previous"] == "+89.2%"
    )
    assert rows["Workers"].startswith("40,905 (interpolated")
    assert [(i["start"], i["end"]) for i in config["intervals"]] == [
        ("2004-04", "2006-01"),
        ("2006-01", "2009-09"),
    ]
    assert {
        f["properties"]["type"] for i in config["intervals"] for f in i["geojson"]["features"]
    } == {"extension"}
    assert any("APPROXIMATE RECONSTRUCTIONS" in n for n in config["notes"])
    assert config["imagery"] == []


def test_missing_assets_give_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(assets, "asset_root", lambda: None)
    with pytest.raises(
        assets.AssetsMissingError, match=r"needs Leaflet and its plugins from npm; run 'npm ci'"
    ):
        make_map(self_contained=True)


def test_safe_json_cannot_close_a_script() -> None:
    text = safe_json({"a": "</script><script>alert(1)</script>", "b": "\u2028"})
    assert "<" not in text and ">" not in text and "\u2028" not in text
    assert json.loads(text)["a"] == "</script><script>alert(1)</script>"


@pytest.fixture
def malicious_dir(empty_data_dir: Path) -> Path:
    write_geojson(
        empty_data_dir / "boundaries" / "2011-03.geojson",
        feature(BOX, name=MALICIOUS, note=MALICIOUS, source=MALICIOUS, **{"class": MALICIOUS}),
    )
    return empty_data_dir


def test_malicious_text_is_never_markup(malicious_dir: Path) -> None:
    html = make_map(malicious_dir, self_contained=True)
    assert MALICIOUS not in html  # only as \u003c-escaped JSON
    assert config_of(html)["epochs"][0]["geojson"]["features"][0]["properties"]["name"] == MALICIOUS
    report = make_report(malicious_dir)
    assert MALICIOUS not in report
    assert "&lt;img src=x onerror=alert(1)&gt;" in report


def test_imagery_overlay_is_warped_and_placed(data_dir: Path) -> None:
    tif = add_imagery(data_dir, "2009-09")
    html = make_map(data_dir, self_contained=True)
    [image] = config_of(html)["imagery"]
    assert image["epoch"] == "2009-09" and image["url"].startswith("data:image/png;base64,")
    with rasterio.open(tif) as src:
        left, bottom, right, top = src.bounds
    to_ll = Transformer.from_crs(32652, 4326, always_xy=True)
    lons, lats = to_ll.transform([left, right, left, right], [bottom, bottom, top, top])
    (s, w), (n, e) = image["bounds"]
    # The warped grid encloses the tilted UTM rectangle: within one output pixel (~13 m).
    assert (
        s <= min(lats) + 1e-4
        and n >= max(lats) - 1e-4
        and w <= min(lons) + 1e-4
        and e >= max(lons) - 1e-4
    )
    assert n - max(lats) < 3e-4 and min(lons) - w < 3e-4


def test_overlay_from_ground_control_points(tmp_path: Path) -> None:
    gcp = read_overlay(write_geotiff(tmp_path / "gcp.tif", gcps=True))
    geo = read_overlay(write_geotiff(tmp_path / "geo.tif"))
    assert gcp.source_crs.startswith("GCPs: EPSG:32652")
    for a, b in zip(gcp.bounds, geo.bounds, strict=True):
        assert a == pytest.approx(b, abs=2e-4)


@pytest.mark.filterwarnings("ignore::rasterio.errors.NotGeoreferencedWarning")
def test_overlay_refuses_an_image_without_georeference(tmp_path: Path) -> None:
    with pytest.raises(DataError, match="has neither a CRS nor ground control points"):
        read_overlay(write_geotiff(tmp_path / "plain.tif", crs=None))
    (tmp_path / "bad.tif").write_bytes(b"not a tiff")
    with pytest.raises(DataError, match="cannot read as a raster"):
        read_overlay(tmp_path / "bad.tif")


def test_large_raster_is_read_at_reduced_size(tmp_path: Path) -> None:
    ov = read_overlay(write_geotiff(tmp_path / "big.tif"), max_size=64)
    assert max(ov.width, ov.height) <= 64


@pytest.mark.parametrize("fmt", ["png", "svg"])
def test_chart_formats(fmt: str) -> None:
    data = make_chart(fmt=fmt)
    if fmt == "png":
        assert data.startswith(b"\x89PNG")
    else:
        text = data.decode()
        assert (
            text.lstrip().startswith("<?xml") and "<svg" in text and "2006-01 (estimated)" in text
        )


def test_report_holds_tables_chart_map_and_notes() -> None:
    html = make_report()
    assert assets.external_references(html) == []
    assert html.count("<table>") == 4
    assert 'src="data:image/svg+xml;base64,' in html
    assert "<iframe" in html and "srcdoc=" in html and "KaesongMap.init(" in html
    assert "Descriptive only" in html and "ESTIMATED" in html


def test_cli_map_chart_report(cli, tmp_path: Path) -> None:
    out = tmp_path / "m.html"
    r = cli("map", "--self-contained", "--output", str(out))
    assert r.code == 0 and out.stat().st_size < LIMIT_BYTES
    assert cli("map", "--output", str(out)).code == 2
    assert cli("chart", "--output", str(tmp_path / "c.svg")).code == 0
    bad = cli("chart", "--output", str(tmp_path / "c.gif"))
    assert bad.code == 2 and "the chart is written as .png or .svg" in bad.err
    assert (
        cli("report", "--output", str(tmp_path / "r.html"), "--epochs", "2004-04", "2009-09").code
        == 0
    )
    assert (
        "2006-01"
        not in config_of(htmllib.unescape((tmp_path / "r.html").read_text()))["epochs"][0]["label"]
    )


def test_default_output_names(cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    assert cli("chart").code == 0 and (tmp_path / "kaesong-chart.png").is_file()


DAYS = st.dates(dt.date(2012, 1, 1), dt.date(2017, 12, 31))


@given(
    st.lists(DAYS, unique=True, max_size=12),
    st.lists(st.tuples(DAYS, st.integers(0, 400), st.booleans()), max_size=3),
)
def test_chart_runs_never_span_a_stoppage(
    days: list[dt.date], spans: list[tuple[dt.date, int, bool]]
) -> None:
    """Every observation is drawn once; no joined pair has a stoppage day between or on them."""
    obs = [Observation("workers", "x", d, 1.0, "persons", "reported", "s") for d in sorted(days)]
    stops = [
        Stoppage(start, None if open_ended else start + dt.timedelta(days=1 + length), ())
        for start, length, open_ended in spans
    ]
    runs = _runs(obs, stops)
    assert [o for run in runs for o in run] == obs
    for run in runs:
        for a, b in itertools.pairwise(run):
            day = a.as_of
            while day <= b.as_of:
                assert not any(day in s for s in stops), (a.as_of, b.as_of, day)
                day += dt.timedelta(days=1)


def test_chart_leaves_matplotlib_global_state_alone() -> None:
    """A library does not switch the caller's backend or change rcParams."""
    import matplotlib

    from kaesong_geo import make_chart

    backend = matplotlib.get_backend()
    before = dict(matplotlib.rcParams)
    for fmt in ("svg", "png"):
        assert make_chart(fmt=fmt)  # type: ignore[arg-type]
    assert matplotlib.get_backend() == backend
    assert dict(matplotlib.rcParams) == before
