"""Read a local STAC catalog or collection as a list of scenes (``kaesong-geo extract-series``).

Every item of a ``catalog.json`` or ``collection.json`` (children followed, read with pystac)
is one scene: its id, its date (the item's ``datetime``, else its ``start_datetime``; the day
in UTC, ``YYYY-MM-DD``), its data asset (the asset with the role ``data``, else its only
image asset; the href made absolute) and the band names of the STAC ``eo:bands`` (each band's
``common_name``, else its ``name``; on the asset or on the item), else ``None``: the file's own
band descriptions are used. An item whose bands are files of their own (several data assets,
as Sentinel-2 and Landsat items have) is a scene of the bands the extraction needs (red, NIR
and SWIR1, else red, green and blue; named by each asset's ``eo:bands``, scaled by its
``raster:bands``), stacked when it is extracted (:mod:`kaesong_geo.io.stack`). A single item
file is read as a series of one scene.

A catalog that cannot be read (missing, not JSON, not STAC, broken links, no items) raises
:class:`~kaesong_geo.errors.DataError` naming the file. An item that cannot be extracted
(remote asset: no network; data assets without band names, or without the bands needed; no
date) is kept with its ``problem``, so that the series reports it and goes on with the others.

Examples
--------
>>> import pathlib, tempfile, datetime as dt
>>> import pystac
>>> root = pathlib.Path(tempfile.mkdtemp())
>>> cat = pystac.Catalog(id="scenes", description="two scenes")
>>> for day, href in [(3, "./a.tif"), (9, "https://example.com/b.tif")]:
...     item = pystac.Item(id=f"s{day}", geometry=None, bbox=None, properties={},
...                        datetime=dt.datetime(2021, 5, day, 10, 30))
...     item.add_asset("image", pystac.Asset(href=href, roles=["data"]))
...     _ = cat.add_item(item)
>>> cat.normalize_hrefs(str(root))
>>> cat.save(catalog_type=pystac.CatalogType.SELF_CONTAINED)
>>> scenes = read_stac_scenes(root / "catalog.json")
>>> [(s.id, s.date, s.path.name if s.path else None) for s in scenes]
[('s3', '2021-05-03', 'a.tif'), ('s9', '2021-05-09', None)]
>>> scenes[1].problem
'asset image is remote (https://example.com/b.tif): kaesong-geo reads local files only, ...'
>>> read_stac_scenes(root / "missing.json")
Traceback (most recent call last):
...
kaesong_geo.errors.DataError: .../missing.json: does not exist
"""

from __future__ import annotations

import datetime as dt
import json
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlparse

from kaesong_geo.deps import require
from kaesong_geo.errors import DataError
from kaesong_geo.io.stack import BandSource

__all__ = ["CatalogScene", "read_stac_scenes"]

#: Files looked for when a folder is given instead of a catalog file.
CATALOG_NAMES = ("catalog.json", "collection.json")
#: STAC object types read; an item file is a series of one scene.
_STAC_TYPES = {"Catalog", "Collection", "Feature"}


@dataclass(frozen=True)
class CatalogScene:
    """One item of a STAC catalog, as a scene to extract.

    Attributes
    ----------
    id : str
        The item's id.
    date : str or None
        The day of the item (UTC), ``YYYY-MM-DD``; ``None`` when the item has no date.
    path : Path or None
        The data asset, a local file (absolute); for a scene stacked from ``sources``, the
        item's own file (which names it); ``None`` when there is a ``problem``.
    band_names : tuple of str or None
        The bands' names from ``eo:bands``; ``None``: the file's band descriptions are used.
    asset : str
        The key of the data asset (empty when none was found).
    problem : str or None
        Why the item cannot be extracted (one line), else ``None``.
    sources : tuple of BandSource
        The band files to stack (several data assets), in ``band_names``' order; empty for
        a scene in one file.
    """

    id: str
    date: str | None
    path: Path | None
    band_names: tuple[str, ...] | None = None
    asset: str = ""
    problem: str | None = None
    sources: tuple[BandSource, ...] = ()


def _catalog_file(catalog: Path) -> Path:
    """The catalog file: ``catalog`` itself, or the catalog/collection file in a folder."""
    if not catalog.exists():
        raise DataError("does not exist", path=catalog)
    if catalog.is_dir():
        for name in CATALOG_NAMES:
            if (catalog / name).is_file():
                return catalog / name
        raise DataError(
            f"is a folder without {' or '.join(CATALOG_NAMES)}: give the STAC catalog file",
            path=catalog,
        )
    return catalog


def _check_json(path: Path) -> None:
    """Refuse a file that is not a JSON STAC object, naming it, before pystac reads it."""
    try:
        doc = json.loads(path.read_bytes())
    except OSError as exc:
        raise DataError(f"cannot be read: {exc.strerror or exc}", path=path) from None
    except (UnicodeDecodeError, ValueError) as exc:
        where = f" (line {exc.lineno})" if isinstance(exc, json.JSONDecodeError) else ""
        raise DataError(f"is not JSON{where}: not a STAC catalog", path=path) from None
    kind = doc.get("type") if isinstance(doc, dict) else None
    if kind not in _STAC_TYPES or "stac_version" not in doc:
        raise DataError(
            "is not a STAC catalog, collection or item (no 'type' Catalog/Collection/Feature "
            "with a 'stac_version')",
            path=path,
        )


def _local_path(href: str) -> Path | None:
    """The local file of an absolute href; ``None`` for a remote URL (http, s3, ...)."""
    parsed = urlparse(href)
    if parsed.scheme == "file":
        return Path(unquote(parsed.path))
    if parsed.scheme and len(parsed.scheme) > 1:  # one letter: a Windows drive, C:\...
        return None
    return Path(href)


def _band_names(bands: Any) -> tuple[str, ...] | None:
    """``common_name`` (else ``name``) of each band of an ``eo:bands`` or STAC 1.1 ``bands`` list.

    Examples
    --------
    >>> _band_names([{"name": "B04", "common_name": "red"}, {"name": "B08"}])
    ('red', 'B08')
    >>> _band_names([{"name": "b1", "eo:common_name": "nir"}]), _band_names(None)
    (('nir',), None)
    >>> _band_names([{"description": "no name"}]) is None
    True
    """
    if not isinstance(bands, list) or not bands:
        return None
    names: list[str] = []
    for band in bands:
        if not isinstance(band, Mapping):
            return None
        name = band.get("common_name") or band.get("eo:common_name") or band.get("name")
        if not isinstance(name, str) or not name.strip():
            return None  # one unnamed band: the file's descriptions are the better guess
        names.append(name.strip())
    return tuple(names)


def _bands_of(fields: Mapping[str, Any]) -> tuple[str, ...] | None:
    return _band_names(fields.get("eo:bands")) or _band_names(fields.get("bands"))


def _item_date(item: Any) -> str | None:
    when = item.datetime or item.common_metadata.start_datetime
    if when is None:
        return None
    if when.tzinfo is not None:
        when = when.astimezone(dt.timezone.utc)
    return str(when.date().isoformat())


def _data_asset(item: Any) -> tuple[str, Any] | str:
    """The item's data asset as ``(key, asset)``, or a one-line reason there is none.

    Several data assets come as ``("several", {key: asset})``.
    """
    data: dict[str, Any] = item.get_assets(role="data")
    if len(data) == 1:
        key, asset = next(iter(data.items()))
        return key, asset
    if len(data) > 1:
        return "several", data
    images = {
        key: a
        for key, a in item.assets.items()
        if (a.media_type or "").startswith("image/")
        and not {"thumbnail", "overview", "visual"} & set(a.roles or ())
    }
    if len(images) == 1:
        key, asset = next(iter(images.items()))
        return key, asset
    if not images:
        return "no asset with the role 'data' and no image asset"
    return (
        f"{len(images)} image assets ({', '.join(sorted(images))}) and none with the role "
        "'data': mark the scene's file with roles: [\"data\"]"
    )


def _scene(item: Any) -> CatalogScene:
    date = _item_date(item)
    found = _data_asset(item)
    if date is None:
        return CatalogScene(item.id, None, None, problem="no datetime nor start_datetime")
    if isinstance(found, str):
        return CatalogScene(item.id, date, None, problem=found)
    key, asset = found
    if key == "several" and isinstance(asset, dict):
        return _stacked_scene(item, date, asset)
    href = asset.get_absolute_href() or asset.href
    path = _local_path(href)
    if path is None:
        return CatalogScene(
            item.id,
            date,
            None,
            asset=key,
            problem=f"asset {key} is remote ({href}): kaesong-geo reads local files only, "
            "with no network; download the file and point the item at it",
        )
    bands = _bands_of(asset.extra_fields) or _bands_of(item.properties)
    return CatalogScene(item.id, date, path.absolute(), bands, asset=key)


def _raster_band(fields: Mapping[str, Any], i: int) -> dict[str, float | None]:
    """Scale, offset and nodata of band ``i`` of an asset (None: unset).

    From STAC 1.0's ``raster:bands`` (``scale``, ``offset``, ``nodata``), else STAC 1.1's
    ``bands`` (``raster:scale``, ``raster:offset``, ``nodata``).

    >>> _raster_band({"raster:bands": [{"scale": 0.0001, "nodata": 0}]}, 0)
    {'scale': 0.0001, 'offset': None, 'nodata': 0.0}
    >>> _raster_band({"bands": [{"raster:scale": 2.75e-05, "raster:offset": -0.2}]}, 0)
    {'scale': 2.75e-05, 'offset': -0.2, 'nodata': None}
    """
    out: dict[str, float | None] = {"scale": None, "offset": None, "nodata": None}
    for list_key, prefix in (("raster:bands", ""), ("bands", "raster:")):
        bands = fields.get(list_key)
        band = bands[i] if isinstance(bands, list) and i < len(bands) else None
        if not isinstance(band, Mapping):
            continue
        for key in out:
            value = band.get(key if key == "nodata" else prefix + key)
            if out[key] is None and isinstance(value, int | float) and not isinstance(value, bool):
                out[key] = float(value)
    return out


def _stacked_scene(item: Any, date: str, data: Mapping[str, Any]) -> CatalogScene:
    """A scene of the bands the extraction needs, each a band of one of several data assets."""
    from kaesong_geo.extract import index_bands

    keys = ", ".join(sorted(data))
    head = f"{len(data)} data assets ({keys})"
    candidates: list[tuple[str, BandSource | None, str]] = []  # (name, band, asset key)
    for key in sorted(data):
        asset = data[key]
        asset_names = _bands_of(asset.extra_fields)
        if asset_names is None:
            continue  # an asset that names no band (a mask, a classification) is not stacked
        href = asset.get_absolute_href() or asset.href
        path = _local_path(href)
        for i, name in enumerate(asset_names):
            source = None
            if path is not None:
                source = BandSource(
                    path.absolute(), name, i + 1, **_raster_band(asset.extra_fields, i)
                )
            candidates.append((name, source, key))
    names = [name for name, _, _ in candidates]
    try:
        needed = index_bands(names)
    except ValueError:
        listed = ", ".join(names) if names else "none named by eo:bands"
        return CatalogScene(
            item.id, date, None,
            problem=f"{head}: their bands ({listed}) have neither red, NIR and SWIR1 nor red, "
            "green and blue; name each band asset's band with eo:bands common_name",
        )  # fmt: skip
    picked = [candidates[i] for i in needed]
    for name, source, key in picked:
        if source is None:
            href = data[key].get_absolute_href() or data[key].href
            return CatalogScene(
                item.id, date, None, asset=key,
                problem=f"asset {key} ({name}) is remote ({href}): kaesong-geo reads local "
                "files only, with no network; download the file and point the item at it",
            )  # fmt: skip
    for name, source, key in picked:
        if source is not None and not source.path.is_file():
            return CatalogScene(
                item.id, date, None, asset=key,
                problem=f"asset {key} ({name}): {source.path} is not a file",
            )  # fmt: skip
    sources = tuple(source for _, source, _ in picked if source is not None)
    own = item.get_self_href()
    path = _local_path(own) if own else None
    return CatalogScene(
        item.id, date, (path or sources[0].path).absolute(),
        tuple(s.name for s in sources), asset=", ".join(key for _, _, key in picked),
        sources=sources,
    )  # fmt: skip


def read_stac_scenes(catalog: str | os.PathLike[str]) -> list[CatalogScene]:
    """Every item of a local STAC catalog, collection or item file, as scenes.

    Parameters
    ----------
    catalog : path
        A ``catalog.json`` or ``collection.json`` (its children are followed), an item's JSON
        file, or a folder holding a ``catalog.json`` or ``collection.json``.

    Returns
    -------
    list of CatalogScene
        In the catalog's order; items that cannot be extracted carry their ``problem``.

    Raises
    ------
    DataError
        The catalog is missing, not JSON, not STAC, has a broken link, or has no items.
    """
    path = _catalog_file(Path(catalog).expanduser())
    _check_json(path)
    pystac = require("pystac", "reading a STAC catalog", extra="scale")
    try:
        root = pystac.read_file(str(path))
        items: Sequence[Any] = (
            [root] if isinstance(root, pystac.Item) else list(root.get_items(recursive=True))
        )
    except (
        OSError,
        ValueError,
        KeyError,
        TypeError,
        AttributeError,
        pystac.STACError,
        pystac.STACTypeError,
    ) as exc:
        if isinstance(exc, KeyError):
            text = f"no field {exc.args[0]!r}" if exc.args else "a field is missing"
        else:
            text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise DataError(f"is not a readable STAC catalog: {text}", path=path) from None
    if not items:
        raise DataError("has no items: a series needs at least one scene", path=path)
    return [_scene(item) for item in items]
