"""Several images per epoch on the map: every catalogued image with a ``file`` is an overlay,
named by epoch and image, with its date, provider and note, and kept with its own epoch (and
its own site); an image dated between epochs is not drawn; the page weighs what its images
weigh (base64) and little more."""

from __future__ import annotations

import base64
import json
import re
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from kaesong_geo.io.raster import Overlay
from kaesong_geo.maps.build import build_map, load_overlays, make_map
from kaesong_geo.report import growth_report

from .common import BOX, EAST, MALICIOUS, feature, write_geojson
from .conftest import tree_digest

#: The screenshot's catalogue note, as ``epochs add --image --gcps`` writes it.
SCREENSHOT_NOTE = (
    "georeferenced from a screenshot with 6 GCPs (poly1): RMSE 1.9 px = 2.1 m, "
    "leave-one-out RMSE 3.4 m"
)
#: id, date, file, colour (RGB), offset (m, east and north of the first image), note.
IMAGES = [
    ("old-a", "2004-04-15", "old-a.tif", (200, 40, 40), (0, 0), ""),
    ("new-a", "2009-09", "new-a.tif", (40, 40, 200), (0, 0), ""),
    ("between", "2006-05", "between.tif", (200, 200, 40), (0, 0), ""),
    ("new-b", "2009-09-20", "shots/new-b.tif", (40, 200, 40), (600, 400), SCREENSHOT_NOTE),
]
#: Which images are drawn, by epoch, in drawing order.
DRAWN = {"2004-04": ["old-a"], "2009-09": ["new-a", "new-b"]}


def write_scene(
    path: Path,
    color: tuple[int, int, int],
    *,
    x0: float = 290_600.0,
    y0: float = 4_201_400.0,
    size: tuple[int, int] = (64, 48),
    pixel_m: float = 30.0,
) -> Path:
    """A small plain-coloured 3-band GeoTIFF in UTM 52N (upper left ``x0``, ``y0``)."""
    import rasterio
    from rasterio.transform import from_origin

    width, height = size
    data = np.empty((3, height, width), dtype="uint8")
    for band, value in enumerate(color):
        data[band] = value
    data[:, ::8, :] = 255  # a grid, so the image is not flat
    path.parent.mkdir(parents=True, exist_ok=True)
    with rasterio.open(
        path,
        "w",
        driver="GTiff",
        width=width,
        height=height,
        count=3,
        dtype="uint8",
        crs="EPSG:32652",
        transform=from_origin(x0, y0, pixel_m, pixel_m),
    ) as dst:
        dst.write(data)
    return path


def imagery_workspace(
    target: Path, *, note: str = SCREENSHOT_NOTE, provider: str = "Test scene new-b"
) -> Path:
    """A workspace with epochs 2004-04 and 2009-09 and the catalogued :data:`IMAGES`.

    Two images are of 2009-09 (the second, a georeferenced screenshot with ``note`` and
    ``provider``, overlaps the first); one is dated 2006-05, between the epochs.
    """
    (target / "boundaries").mkdir(parents=True)
    write_geojson(target / "boundaries" / "2004-04.geojson", feature(BOX, name="old"))
    write_geojson(
        target / "boundaries" / "2009-09.geojson", feature(BOX, name="a"), feature(EAST, name="b")
    )
    rows = ["date,provider,resolution_m,redistributable,file,source,note,id"]
    for image_id, date, name, color, (dx, dy), image_note in IMAGES:
        write_scene(target / "imagery" / name, color, x0=290_600.0 + dx, y0=4_201_400.0 + dy)
        text = note if image_note else ""
        by = provider if image_note else f"Test scene {image_id}"
        rows.append(f'{date},{by},30,yes,{name},test fixture,"{text}",{image_id}')
    (target / "imagery" / "catalog.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    return target


def raw_config(html: str) -> dict[str, Any]:
    match = re.search(r"KaesongMap\.init\(\w+, (\{.*?\}), \[", html, re.S)
    assert match, "no KaesongMap.init call"
    data: dict[str, Any] = json.loads(match.group(1))
    return data


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    return imagery_workspace(tmp_path / "ws")


def test_every_image_of_an_epoch_is_an_overlay_named_by_epoch_and_image(workspace: Path) -> None:
    before = tree_digest(workspace)
    config = raw_config(make_map(workspace, self_contained=True))
    images = config["imagery"]
    assert [(i["epoch"], i["image"]) for i in images] == [
        ("2004-04", "old-a"),
        ("2009-09", "new-a"),
        ("2009-09", "new-b"),
    ]
    assert [i["name"] for i in images] == [
        "Imagery 2004-04 (old-a)",
        "Imagery 2009-09 (new-a)",
        "Imagery 2009-09 (new-b)",
    ]
    assert [i["details"] for i in images] == [
        "2004-04-15, Test scene old-a",
        "2009-09, Test scene new-a",
        f"2009-09-20, Test scene new-b; {SCREENSHOT_NOTE}",
    ]
    assert images[2]["attribution"] == "Imagery: Test scene new-b"
    # Each image is its own file, warped: the screenshot lies 600 m east and 400 m north.
    (s0, w0), _ = images[1]["bounds"]
    (s1, w1), _ = images[2]["bounds"]
    assert w1 - w0 == pytest.approx(600 / 88_000, rel=0.1)  # ~88 km per degree at 37.9°N
    assert s1 - s0 == pytest.approx(400 / 111_000, rel=0.1)
    assert len({i["url"] for i in images}) == 3
    labels = {e["label"] for e in config["epochs"]}
    assert {i["epoch"] for i in images} <= labels
    assert tree_digest(workspace) == before


def test_load_overlays_lists_each_epochs_images_in_catalogue_order(workspace: Path) -> None:
    report = growth_report(workspace)
    overlays = load_overlays(report, progress=False)
    assert {label: [i.name for i in images] for label, images in overlays.items()} == DRAWN
    [old] = overlays["2004-04"]
    assert old.record is not None and old.record.date.label == "2004-04-15"
    assert all(i.overlay.png.startswith(b"\x89PNG") for v in overlays.values() for i in v)


def test_an_image_named_by_id_else_by_its_file_name(tmp_path: Path) -> None:
    ws = imagery_workspace(tmp_path / "ws")
    catalog = ws / "imagery" / "catalog.csv"
    lines = catalog.read_text(encoding="utf-8").splitlines()
    catalog.write_text(
        "\n".join([lines[0]] + [line.rsplit(",", 1)[0] + "," for line in lines[1:]]) + "\n",
        encoding="utf-8",
    )
    names = [i["name"] for i in raw_config(make_map(ws))["imagery"]]
    assert names == [
        "Imagery 2004-04 (old-a.tif)",
        "Imagery 2009-09 (new-a.tif)",
        "Imagery 2009-09 (new-b.tif)",
    ]


def test_an_epoch_left_out_takes_its_images_with_it(workspace: Path) -> None:
    config = raw_config(make_map(workspace, ["2009-09"]))
    assert [i["image"] for i in config["imagery"]] == ["new-a", "new-b"]


def test_images_given_for_a_label_that_is_no_epoch_are_not_drawn(workspace: Path) -> None:
    report = growth_report(workspace)
    overlays = load_overlays(report, progress=False)
    stray = Overlay(b"\x89PNG", ((37.9, 126.6), (38.0, 126.7)), 1, 1, "EPSG:32652")
    html = build_map(report, {**overlays, "2006-05": [stray]}).get_root().render()
    assert [i["epoch"] for i in raw_config(html)["imagery"]] == ["2004-04", "2009-09", "2009-09"]
    # A bare Overlay (no catalogue row) is still accepted, named after its epoch alone.
    html = build_map(report, {"2004-04": stray}).get_root().render()
    [image] = raw_config(html)["imagery"]
    assert (image["name"], image["image"], image["details"]) == ("Imagery 2004-04", "", "")


def test_note_and_provider_text_is_never_markup(tmp_path: Path) -> None:
    ws = imagery_workspace(tmp_path / "ws", note=MALICIOUS, provider=MALICIOUS)
    html = make_map(ws, self_contained=True)
    assert MALICIOUS not in html
    image = raw_config(html)["imagery"][2]
    assert image["details"] == f"2009-09-20, {MALICIOUS}; {MALICIOUS}"
    assert image["attribution"] == f"Imagery: {MALICIOUS}"


def test_each_site_keeps_its_own_images(cli: Any, tmp_path: Path) -> None:
    from .test_map_sites import LAT, LON, RASON, make_rason

    kaesong = imagery_workspace(tmp_path / "kaesong")
    rason = make_rason(cli, tmp_path / "rason")
    import rasterio.warp

    [x], [y] = rasterio.warp.transform("EPSG:4326", "EPSG:32652", [LON], [LAT + 0.01])
    write_scene(rason / "imagery" / "r.tif", (90, 90, 90), x0=x, y0=y)
    (rason / "imagery" / "catalog.csv").write_text(
        "date,provider,resolution_m,redistributable,file,source,note,id\n"
        "2012-03-01,Rason scene,30,yes,r.tif,test fixture,,rason-2012\n",
        encoding="utf-8",
    )
    config = raw_config(make_map([kaesong, rason]))
    epoch_site = {e["label"]: e["site"] for e in config["epochs"]}
    images = config["imagery"]
    assert [(i["epoch"], i["site"]) for i in images] == [
        ("Kaesong 2004-04", 0),
        ("Kaesong 2009-09", 0),
        ("Kaesong 2009-09", 0),
        (f"{RASON} 2012", 1),
    ]
    assert all(epoch_site[i["epoch"]] == i["site"] for i in images)
    assert images[3]["name"] == f"Imagery {RASON} 2012 (rason-2012)"
    (south, west), (north, east) = images[3]["bounds"]
    assert west < LON + 0.01 < east and south < LAT < north


def test_the_page_weighs_its_images_and_little_more(workspace: Path) -> None:
    """Each image reaches the page once, as base64 of its PNG (4/3 of its bytes)."""
    report = growth_report(workspace)
    overlays = load_overlays(report, progress=False)
    without = build_map(report).get_root().render()
    with_images = build_map(report, overlays).get_root().render()
    pngs = [i.overlay.png for v in overlays.values() for i in v]
    encoded = sum(len(base64.b64encode(p)) for p in pngs)
    extra = len(with_images.encode()) - len(without.encode())
    assert encoded <= extra <= encoded + 600 * len(pngs)
    for png in pngs:
        assert with_images.count(base64.b64encode(png).decode("ascii")) == 1
