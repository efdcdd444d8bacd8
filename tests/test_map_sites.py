"""``kaesong-geo map`` with several ``--data-dir``: one map of all the sites, one layer group
per site, the view fitting them all; bad combinations are usage errors that change nothing,
and one data directory still gives the page it gave before."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path
from typing import Any

import pytest
from shapely.geometry import box, shape

from kaesong_geo.errors import UsageError
from kaesong_geo.io.datadir import bundled_data_dir
from kaesong_geo.maps.build import build_map, make_map, page_geojson
from kaesong_geo.report import growth_report

from .common import feature, write_geojson
from .conftest import tree_digest

RASON = "Rason test zone"
LON, LAT = 130.30, 42.30
FOOTPRINTS = {
    "2008-06": [box(LON, LAT, LON + 0.01, LAT + 0.01)],
    "2012": [box(LON, LAT, LON + 0.02, LAT + 0.01), box(LON + 0.03, LAT, LON + 0.04, LAT + 0.01)],
}


def make_rason(cli: Any, target: Path, *init_args: str) -> Path:
    """A second site, made as a user would: ``init --site`` and footprint files."""
    r = cli("init", str(target), "--site", RASON, "--lon", str(LON), "--lat", str(LAT), *init_args)
    assert r.code == 0, r.err
    for label, geoms in FOOTPRINTS.items():
        write_geojson(target / "boundaries" / f"{label}.geojson", *(feature(g) for g in geoms))
    return target


@pytest.fixture
def rason(cli: Any, tmp_path: Path) -> Path:
    return make_rason(cli, tmp_path / "rason")


@pytest.fixture
def kaesong() -> str:
    return str(bundled_data_dir())


def config_of(html: str) -> dict[str, Any]:
    match = re.search(r"KaesongMap\.init\(\w+, (\{.*?\}), \[", html, re.S)
    assert match, "no KaesongMap.init call"
    return page_geojson(json.loads(match.group(1)))


def test_two_sites_on_one_map(cli: Any, kaesong: str, rason: Path, tmp_path: Path) -> None:
    out = tmp_path / "sites.html"
    before = tree_digest(rason)
    r = cli("map", "--data-dir", kaesong, "--data-dir", str(rason), "-o", str(out))
    assert r.code == 0, r.err
    assert r.out == "" and f"wrote {out}" in r.err
    assert tree_digest(rason) == before
    html = out.read_text(encoding="utf-8")
    kaesong_name = growth_report(kaesong).site.name
    assert f"<title>{kaesong_name} and {RASON}: footprint growth</title>" in html
    config = config_of(html)
    assert [s["name"] for s in config["sites"]] == [kaesong_name, RASON]
    # Labels carry each site's short name ("Kaesong"; Rason's is its name, init's default).
    labels = [(e["site"], e["label"]) for e in config["epochs"]]
    assert labels == [
        (0, "Kaesong 2004-04"),
        (0, "Kaesong 2006-01"),
        (0, "Kaesong 2009-09"),
        (1, f"{RASON} 2008-06"),
        (1, f"{RASON} 2012"),
    ]
    assert [(i["site"], i["end"], i["label"]) for i in config["intervals"]] == [
        (0, "Kaesong 2006-01", "Kaesong 2004-04 to 2006-01"),
        (0, "Kaesong 2009-09", "Kaesong 2006-01 to 2009-09"),
        (1, f"{RASON} 2012", f"{RASON} 2008-06 to 2012"),
    ]
    # Colours follow the date over both sites: the oldest (Kaesong 2004) darkest, Rason 2012
    # (the newest) lightest.
    assert config["epochs"][0]["color"] == "#440154"
    assert config["epochs"][-1]["color"] == "#fde725"
    # The drawn shapes are each site's footprints; the bounds cover both sites.
    [(x0, y0, x1, y1)] = [
        shape(f["geometry"]).bounds for f in config["epochs"][3]["geojson"]["features"]
    ]
    assert (x0, y0, x1, y1) == pytest.approx((LON, LAT, LON + 0.01, LAT + 0.01), abs=2e-6)
    (south, west), (north, east) = config["bounds"]
    (k_south, k_west), (k_north, k_east) = config["sites"][0]["bounds"]
    [[r_south, r_west], [r_north, r_east]] = config["sites"][1]["bounds"]
    assert (r_south, r_west, r_north, r_east) == pytest.approx((LAT, LON, LAT + 0.01, LON + 0.04))
    assert (south, west, north, east) == pytest.approx((k_south, k_west, LAT + 0.01, LON + 0.04))
    assert 37.8 < k_south < k_north < 38.1 and 126.5 < k_west < k_east < 126.8
    assert any(n.startswith(f"{RASON}: ") for n in config["notes"])
    assert any(n.startswith(f"{kaesong_name}: ") for n in config["notes"])


@pytest.mark.parametrize(
    ("short", "prefixes"),
    [
        ("Rason", ["Kaesong", "Rason"]),
        # two sites of one short name: labels fall back to the full names, which differ
        ("Kaesong", ["Kaesong Industrial Complex", RASON]),
    ],
)
def test_labels_use_short_names_that_tell_sites_apart(
    cli: Any, kaesong: str, tmp_path: Path, short: str, prefixes: list[str]
) -> None:
    rason = make_rason(cli, tmp_path / "rason", "--short-name", short)
    config = config_of(make_map([kaesong, rason]))
    labels = [e["label"] for e in config["epochs"]]
    assert labels == [f"{prefixes[0]} {e}" for e in ("2004-04", "2006-01", "2009-09")] + [
        f"{prefixes[1]} {e}" for e in FOOTPRINTS
    ]
    assert [i["label"] for i in config["intervals"]][-1] == f"{prefixes[1]} 2008-06 to 2012"
    assert {i["epoch"] for i in config["imagery"]} <= set(labels)
    # layer groups and markers keep the full names
    assert [s["name"] for s in config["sites"]] == ["Kaesong Industrial Complex", RASON]


def test_library_takes_reports_or_directories(kaesong: str, rason: Path) -> None:
    reports = [growth_report(kaesong), growth_report(rason)]
    from_reports = build_map(reports).get_root().render()
    from_dirs = make_map([kaesong, rason])
    strip = re.compile(r"_[0-9a-f]{32}\b")
    assert strip.sub("", from_reports) == strip.sub("", from_dirs)
    with pytest.raises(ValueError, match="one overlay mapping per report"):
        build_map(reports, [{}])


def test_one_data_dir_keeps_its_page(kaesong: str) -> None:
    """The same page as before: no site prefix in labels, title of the one site."""
    config = config_of(make_map(kaesong))
    assert [e["label"] for e in config["epochs"]] == ["2004-04", "2006-01", "2009-09"]
    assert [i["label"] for i in config["intervals"]] == ["2004-04 to 2006-01", "2006-01 to 2009-09"]
    assert {e["site"] for e in config["epochs"]} == {0} and len(config["sites"]) == 1
    site_name = config["sites"][0]["name"]
    assert not any(n.startswith(f"{site_name}: ") for n in config["notes"])
    strip = re.compile(r"_[0-9a-f]{32}\b")
    assert strip.sub("", make_map([kaesong])) == strip.sub("", make_map(kaesong))


def _refused(cli: Any, data: Path, *args: str) -> str:
    before = tree_digest(data)
    r = cli(*args)
    assert r.code == 2, (r.code, r.out, r.err)
    assert r.out == ""
    assert "Traceback" not in r.err
    assert tree_digest(data) == before
    return str(r.err)


def test_same_folder_twice(cli: Any, rason: Path, tmp_path: Path) -> None:
    link = tmp_path / "link"
    link.symlink_to(rason)
    out = tmp_path / "map.html"
    err = _refused(
        cli, rason, "map", "--data-dir", str(rason), "--data-dir", str(link), "-o", str(out)
    )
    assert f"--data-dir {rason} and {link} are the same folder ({rason})" in err
    assert not out.exists()


def test_same_site_name_twice(cli: Any, rason: Path, tmp_path: Path) -> None:
    copy = tmp_path / "copy"
    shutil.copytree(rason, copy)
    out = tmp_path / "map.html"
    err = _refused(
        cli, rason, "map", "--data-dir", str(rason), "--data-dir", str(copy), "-o", str(out)
    )
    assert f"--data-dir {rason} and {copy} are both the site '{RASON}'" in err
    assert not out.exists()


def test_epochs_are_per_site(cli: Any, kaesong: str, rason: Path, tmp_path: Path) -> None:
    err = _refused(
        cli, rason, "map", "--data-dir", kaesong, "--data-dir", str(rason), "--epochs", "2012"
    )
    assert "--epochs cannot be used with several --data-dir: epochs are per site" in err
    with pytest.raises(UsageError, match="epochs are per site"):
        make_map([kaesong, str(rason)], ["2012"])


def test_output_inside_any_data_dir_is_refused(cli: Any, kaesong: str, rason: Path) -> None:
    out = rason / "map.html"
    args = ("map", "--data-dir", kaesong, "--data-dir", str(rason), "-o", str(out))
    err = _refused(cli, rason, *args)
    assert not out.exists() and "map.html" in err
