"""``io.epochs.add_epochs``: several epochs in one transaction, scenes clipped elsewhere (#9)."""

from __future__ import annotations

import csv
import dataclasses
import json
from pathlib import Path

import pytest
from shapely.geometry.base import BaseGeometry

from kaesong_geo.errors import DataError, UsageError
from kaesong_geo.io.epochs import (
    AddedEpoch,
    NewEpoch,
    PreparedScene,
    add_epochs,
    list_epochs,
    prepare_scene,
)
from kaesong_geo.io.transaction import Transaction
from kaesong_geo.io.validate import inspect_data_dir
from kaesong_geo.io.workspace import make_workspace
from tests.conftest import tree_digest
from tests.synthetic_scenes import write_scene_file

#: (date, seed) of the scenes: days of months the bundled workspace has no epoch in.
DAYS = [("2019-04-02", 0), ("2020-05-08", 1), ("2021-06-03", 2)]


def _footprint(folder: Path, date: str, truth: BaseGeometry) -> Path:
    """A GeoJSON footprint file of ``truth`` for ``date``."""
    from shapely.geometry import mapping

    doc = {
        "type": "FeatureCollection",
        "features": [{"type": "Feature", "properties": {}, "geometry": mapping(truth)}],
    }
    path = folder / f"fp-{date}.geojson"
    path.write_text(json.dumps(doc), encoding="utf-8")
    return path


def _new(ws: Path, folder: Path, date: str, seed: int, **kw: object) -> NewEpoch:
    """An epoch with a generated scene, prepared as a worker prepares it."""
    scene = folder / f"scene-{seed}.tif"
    truth = write_scene_file(scene, "sentinel2", size=200, seed=seed, tile_px=128)
    found = inspect_data_dir(ws)
    others = [e.geometry for e in found.epochs if e.label != date]
    ready = prepare_scene(scene, date, site=found.site, footprint=truth, others=others)
    return NewEpoch(
        date, _footprint(folder, date, truth), scene=ready, source="drawn by a test",
        method="extracted", uncertainty_m=10.0, **kw,  # type: ignore[arg-type]
    )  # fmt: skip


def _rows(ws: Path) -> list[dict[str, str]]:
    with open(ws / "imagery" / "catalog.csv", encoding="utf-8-sig", newline="") as fh:
        return list(csv.DictReader(fh))


def test_a_refused_epoch_does_not_sink_its_batch(tmp_path: Path) -> None:
    ws = make_workspace(tmp_path / "ws")
    rows = _rows(ws)
    good = [_new(ws, tmp_path, d, s) for d, s in DAYS]
    overlap = dataclasses.replace(good[1], date="2009-09-15")  # the workspace has 2009-09
    overlap = dataclasses.replace(
        overlap,
        scene=dataclasses.replace(good[1].scene, label="2009-09-15"),  # type: ignore[arg-type]
    )
    future = dataclasses.replace(good[2], date="2099-01-01")
    batch = [good[0], overlap, future, good[2]]
    results = add_epochs(ws, batch)
    assert isinstance(results[1], UsageError) and isinstance(results[2], UsageError)
    assert "DATE 2009-09-15 overlaps epoch 2009-09" in str(results[1])
    assert "DATE '2099-01-01' is in the future" in str(results[2])
    first, last = results[0], results[3]
    assert isinstance(first, AddedEpoch) and isinstance(last, AddedEpoch)
    assert (first.label, last.label) == ("2019-04-02", "2021-06-03")
    assert first.footprint_file == "boundaries/2019-04-02.geojson"
    assert first.area_m2 is not None and first.area_m2 > 1e5
    assert [i.file for i in first.images] == ["2019-04-02-scene-0.tif"]
    assert first.changes == (
        "boundaries/2019-04-02.geojson", "imagery/2019-04-02-scene-0.tif", "imagery/catalog.csv"
    )  # fmt: skip
    # the two good ones: footprints, images and catalogue rows, provenance as 'epochs add'
    listed = {e.label: e for e in list_epochs(ws)}
    assert "2009-09-15" not in listed and "2099-01-01" not in listed
    for date, seed in (DAYS[0], DAYS[2]):
        image = f"{date}-scene-{seed}"
        assert (ws / "imagery" / f"{image}.tif").is_file()
        assert listed[date].methods == ("extracted",)
        assert listed[date].imagery_ids == (image,)  # traced on its scene
        doc = json.loads((ws / "boundaries" / f"{date}.geojson").read_text(encoding="utf-8"))
        props = doc["features"][0]["properties"]
        assert (props["source"], props["imagery"]) == ("drawn by a test", image)
    new_rows = _rows(ws)[len(rows) :]
    assert [r["id"] for r in new_rows] == ["2019-04-02-scene-0", "2021-06-03-scene-2"]
    assert new_rows[0]["note"].startswith("scene scene-0.tif clipped to the site (")
    assert new_rows[0]["source"] == "scene-0.tif" and new_rows[0]["provider"] == (
        "provider not given"
    )
    assert not [p for p in inspect_data_dir(ws).problems if p.severity == "error"]


def test_a_batch_interrupted_leaves_the_workspace_as_it_was(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    ws = make_workspace(tmp_path / "ws")
    first, second, third = (_new(ws, tmp_path, d, s) for d, s in DAYS)
    assert isinstance(add_epochs(ws, [first])[0], AddedEpoch)  # a completed batch stays
    before = tree_digest(ws)
    real = Transaction.write_bytes
    seen: list[str] = []

    def interrupted(self: Transaction, rel: str, data: bytes) -> None:
        seen.append(str(rel))
        if str(rel) == "boundaries/2021-06-03.geojson":  # Ctrl-C amid the second batch
            raise KeyboardInterrupt
        real(self, rel, data)

    monkeypatch.setattr(Transaction, "write_bytes", interrupted)
    with pytest.raises(KeyboardInterrupt):
        add_epochs(ws, [second, third])
    assert "imagery/2020-05-08-scene-1.tif" in seen  # it had begun writing
    assert tree_digest(ws) == before
    monkeypatch.setattr(Transaction, "write_bytes", real)
    assert [type(r) for r in add_epochs(ws, [second, third])] == [AddedEpoch] * 2
    assert {"2019-04-02", "2020-05-08", "2021-06-03"} <= {e.label for e in list_epochs(ws)}


def test_an_epoch_the_workspace_check_refuses_is_found_and_left_out(tmp_path: Path) -> None:
    """A batch whose result fails ``validate`` is added one epoch at a time."""
    ws = make_workspace(tmp_path / "ws")
    good, other = _new(ws, tmp_path, *DAYS[0]), _new(ws, tmp_path, *DAYS[1])
    far = tmp_path / "far"
    far.mkdir()
    # an image of another place (the same scene, 3° east) where the footprint wants one
    moved = far / "scene-1.tif"
    write_scene_file(moved, "sentinel2", size=200, seed=1, tile_px=128)
    import rasterio

    with rasterio.open(moved, "r+") as dst:
        t = dst.transform
        dst.transform = rasterio.Affine(t.a, t.b, t.c + 270_000, t.d, t.e, t.f)
    assert other.scene is not None
    with rasterio.open(moved) as src:
        from rasterio.io import MemoryFile

        profile = {**src.profile, "driver": "GTiff"}
        with MemoryFile() as mem:
            with mem.open(**profile) as dst:
                dst.write(src.read())
            data = mem.read()
    bad = dataclasses.replace(other, scene=dataclasses.replace(other.scene, data=data))
    before = tree_digest(ws)
    results = add_epochs(ws, [good, bad])
    assert isinstance(results[0], AddedEpoch)
    assert isinstance(results[1], DataError)
    message = str(results[1])
    assert message.startswith(f"{other.scene.path}: covers lon ")  # the scene given
    assert message.endswith("wrong CRS or wrong image?; nothing was added")
    after = tree_digest(ws)
    assert {k for k in after if after[k] != before.get(k)} == {
        "boundaries/2019-04-02.geojson",
        "imagery/2019-04-02-scene-0.tif",
        "imagery/catalog.csv",
    }


def test_a_scene_given_twice_or_already_added_is_refused(tmp_path: Path) -> None:
    ws = make_workspace(tmp_path / "ws")
    first = _new(ws, tmp_path, *DAYS[0])
    again = dataclasses.replace(first, date="2020-05-08")
    again = dataclasses.replace(
        again,
        scene=dataclasses.replace(first.scene, label="2020-05-08"),  # type: ignore[arg-type]
    )
    results = add_epochs(ws, [first, again])
    assert isinstance(results[0], AddedEpoch) and isinstance(results[1], UsageError)
    assert "is already in the workspace as imagery/2019-04-02-scene-0.tif (of 2019-04-02)" in (
        str(results[1])
    )
    results = add_epochs(ws, [again])
    assert isinstance(results[0], UsageError)  # the same, in a later batch
    assert "is already in the workspace as imagery/2019-04-02-scene-0.tif" in str(results[0])
    twice = [dataclasses.replace(first, scene=None, replace_epoch=True)] * 2
    results = add_epochs(ws, twice)  # one date twice in a batch: the second refused
    assert isinstance(results[0], AddedEpoch) and isinstance(results[1], UsageError)
    assert str(results[1]).endswith("epoch 2019-04-02 is given twice; one footprint per epoch")


def test_an_epoch_with_images_keeps_them(tmp_path: Path) -> None:
    """``keep_images``: the scene is not added again; the footprint names the one image."""
    ws = make_workspace(tmp_path / "ws")
    first = _new(ws, tmp_path, *DAYS[0])
    assert isinstance(add_epochs(ws, [first])[0], AddedEpoch)
    images = tree_digest(ws / "imagery")
    replaced = dataclasses.replace(first, replace_epoch=True, keep_images=True, source="again")
    (result,) = add_epochs(ws, [replaced])
    assert isinstance(result, AddedEpoch) and result.replaced and not result.images
    assert tree_digest(ws / "imagery") == images
    doc = json.loads((ws / "boundaries" / "2019-04-02.geojson").read_text(encoding="utf-8"))
    props = doc["features"][0]["properties"]
    assert (props["source"], props["imagery"]) == ("again", "2019-04-02-scene-0")
    (refused,) = add_epochs(ws, [dataclasses.replace(first, keep_images=True)])
    assert isinstance(refused, UsageError)  # exists, and no replace_epoch
    assert "epoch 2019-04-02 exists" in str(refused)


def test_prepared_scene_bytes_are_add_epochs_own(tmp_path: Path) -> None:
    """The COG staged is the bytes prepared, and its tags say where it came from."""
    ws = make_workspace(tmp_path / "ws")
    new = _new(ws, tmp_path, *DAYS[0])
    assert isinstance(new.scene, PreparedScene)
    (result,) = add_epochs(ws, [new])
    assert isinstance(result, AddedEpoch)
    written = ws / "imagery" / "2019-04-02-scene-0.tif"
    assert written.read_bytes() == new.scene.data
    tags = new.scene.info.tags
    assert tags["ACQUISITION_DATE"] == "2019-04-02" and tags["ORIGINAL_FILE"] == "scene-0.tif"
    assert tags["SOURCE_SHA256"] == new.scene.sha256 and tags["WRITTEN_BY"].endswith("epochs add")


def test_a_batch_is_catalogued_in_date_order(tmp_path: Path) -> None:
    # a series adds whatever has finished, in the order it finished: the catalogue rows of a
    # batch are written in date order all the same (found by an independent trial)
    ws = make_workspace(tmp_path / "ws")
    rows = _rows(ws)
    results = add_epochs(ws, [_new(ws, tmp_path, d, s) for d, s in reversed(DAYS)])
    assert all(isinstance(r, AddedEpoch) for r in results)
    assert [r["date"] for r in _rows(ws)[len(rows) :]] == [d for d, _ in DAYS]
