"""Add, list and remove the epochs of a workspace (``kaesong-geo epochs``).

:func:`add_epoch` takes what an analyst brings for a date — a footprint traced in Google Earth
Pro or QGIS, a georeferenced scene, a screenshot with ground control points — and writes it
into a workspace made by ``kaesong-geo init``:

* the footprint becomes ``boundaries/<DATE>.geojson`` (any readable format converted, with
  its provenance: ``source``, ``method``, the image it was traced on);
* a scene becomes a Cloud Optimized GeoTIFF in ``imagery/``, clipped to the site, and a
  screenshot is warped through its ground control points into one; each gets a row of
  ``imagery/catalog.csv`` with its date, resolution, source and (for a screenshot) its
  georeferencing error, which becomes the positional uncertainty of a footprint traced on it.

Everything is staged in a :class:`~kaesong_geo.io.transaction.Transaction`, checked as the
workspace will be (the same checks as ``kaesong-geo validate``), then applied at once: a
refusal, an error, Ctrl-C or a killed process leaves the workspace byte-for-byte as it was.
The bundled data is never written.

An epoch may hold several images (each its own file and catalogue row; the map shows them
all with the epoch's footprint, later ones on top). A footprint added in the same command as
images is recorded as traced on the screenshot if one is given, else on the scene if there is
exactly one.

:func:`add_epochs` adds several epochs in one transaction (``kaesong-geo extract-series``): a
footprint each and a scene already clipped elsewhere (:func:`prepare_scene`, on a Dask
worker), with one inspection of the workspace before and one after, an epoch refused by its
checks left out while the others are added.

A footprint extracted from a scene that is not kept (``extract --no-imagery``) names it in a
catalogue row without a file (:class:`SceneReference`: its path or URI, its pixel size, "not
kept"), as the catalogue names imagery that may not be shipped: the epoch's imagery is said,
and ``validate --strict`` accepts it.

Examples
--------
>>> from kaesong_geo.io.datadir import bundled_data_dir
>>> [(e.label, e.parts, round(e.area_m2 / 1e6, 2)) for e in list_epochs(bundled_data_dir())]
[('2004-04', 1, 0.09), ('2006-01', 2, 1.74), ('2009-09', 1, 3.3)]
"""

from __future__ import annotations

import contextlib
import csv
import datetime as dt
import io
import math
import os
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from kaesong_geo.dates import EpochDate, parse_epoch
from kaesong_geo.errors import DataError, KaesongGeoError, UsageError
from kaesong_geo.io.datadir import bundled_data_dir, resolve_data_dir
from kaesong_geo.io.footprints import _SIDECARS, of_epoch, suffix_of
from kaesong_geo.io.imagery import (
    CATALOG_COLUMNS,
    CATALOG_FILE,
    OPTIONAL_COLUMNS,
    ImageryRecord,
)
from kaesong_geo.io.problems import Problem
from kaesong_geo.io.transaction import Transaction, recover
from kaesong_geo.io.validate import Inspection, inspect_data_dir
from kaesong_geo.measure import geodesic_area_m2
from kaesong_geo.model import Epoch, Footprint

if TYPE_CHECKING:
    from shapely.geometry.base import BaseGeometry

    from kaesong_geo.gcp import GCP, GcpFit
    from kaesong_geo.io.scene import SceneInfo
    from kaesong_geo.site import Site

__all__ = [
    "DEFAULT_MAX_ERROR_PX",
    "AddedEpoch",
    "AddedImage",
    "EpochListing",
    "NewEpoch",
    "PreparedScene",
    "RemovedEpoch",
    "SceneReference",
    "add_epoch",
    "add_epochs",
    "check_new_epoch",
    "list_epochs",
    "prepare_scene",
    "remove_epoch",
    "writable_workspace",
]

#: A screenshot whose leave-one-out RMSE exceeds this many of its pixels is refused unless
#: forced: a point clicked that far off, or a transform too stiff for the image.
DEFAULT_MAX_ERROR_PX = 3.0
#: The earliest year an epoch may have (aerial photography; satellites came in the 1960s).
_EARLIEST_YEAR = 1900
_SLUG = re.compile(r"[^A-Za-z0-9._-]+")


# -- results ----------------------------------------------------------------------------------
@dataclass(frozen=True)
class AddedImage:
    """An image written into the workspace by :func:`add_epoch`."""

    id: str
    file: str  # inside imagery/
    kind: Literal["scene", "screenshot"]
    source_path: Path
    info: SceneInfo
    fit: GcpFit | None = None
    uncertainty_m: float | None = None


@dataclass(frozen=True)
class AddedEpoch:
    """What :func:`add_epoch` did."""

    data_dir: Path
    label: str
    replaced: bool
    footprint_file: str | None
    footprints: tuple[Footprint, ...]
    area_m2: float | None
    images: tuple[AddedImage, ...]
    skipped: tuple[str, ...]
    changes: tuple[str, ...]
    warnings: tuple[str, ...] = ()
    #: The catalogue id of the scene recorded without its file (a :class:`SceneReference`).
    referenced: str | None = None


@dataclass(frozen=True)
class SceneReference:
    """A scene a footprint was extracted from, catalogued without its file.

    For an epoch added without its image (``extract --no-imagery``): a row of
    ``imagery/catalog.csv`` with an empty ``file`` says where the scene is and that it was not
    kept, and the footprint's ``imagery`` names that row. Only for an epoch with no row yet.

    Attributes
    ----------
    source : str
        Where the scene is: its path or URI (and, say, the STAC item naming it).
    name : str
        The scene's file name (the row's id is the date and its stem).
    resolution_m : float or None
        Its pixel size in metres.
    """

    source: str
    name: str
    resolution_m: float | None = None


def _reference_row(
    label: str,
    ref: SceneReference,
    ident: str,
    provider: str | None,
    licence: str | None,
    redistributable: bool,
) -> dict[str, str]:
    """The catalogue row of a scene not kept (no file).

    Examples
    --------
    >>> row = _reference_row("2021-06", SceneReference("/data/s2.tif", "s2.tif", 10.0),
    ...                      "2021-06-s2", None, "CC BY-SA 3.0 IGO", False)
    >>> row["file"], row["source"], row["resolution_m"], row["id"]
    ('', '/data/s2.tif', '10', '2021-06-s2')
    >>> row["note"]
    'scene s2.tif not kept in the workspace (--no-imagery): ...; licence: CC BY-SA 3.0 IGO'
    """
    note = (
        f"scene {ref.name} not kept in the workspace (--no-imagery): the footprint was "
        "extracted from it"
    )
    if licence:
        note += f"; licence: {licence}"
    resolution = ref.resolution_m
    return {
        "date": label,
        "provider": provider or "provider not given",
        "resolution_m": "" if resolution is None else f"{resolution:.3g}",
        "redistributable": "yes" if redistributable else "no",
        "file": "",
        "source": ref.source,
        "note": note,
        "id": ident,
        "uncertainty_m": "",
    }


def _reference_ident(
    ref: SceneReference | None,
    epoch_date: EpochDate,
    images: Sequence[ImageryRecord],
    taken_ids: set[str],
) -> str | None:
    """The id of a new row for ``ref``; None without one, or when the epoch has a row."""
    if ref is None or any(of_epoch(r.date, epoch_date) for r in images):
        return None
    stem = _slug(ref.name.split(".")[0])
    return _unique(f"{epoch_date.label}-{stem}", taken_ids)


@dataclass(frozen=True)
class EpochListing:
    """One epoch of a workspace, as ``epochs list`` shows it."""

    label: str
    parts: int
    area_m2: float | None  # None: images of the date, but no footprint yet
    files: tuple[str, ...]
    images: tuple[ImageryRecord, ...]
    sources: tuple[str, ...]
    methods: tuple[str, ...]
    uncertainty_m: float | None
    imagery_ids: tuple[str, ...] = ()
    flags: tuple[str, ...] = field(default=())


@dataclass(frozen=True)
class RemovedEpoch:
    """What :func:`remove_epoch` removed (or, unless confirmed, would remove)."""

    data_dir: Path
    label: str
    removed: tuple[str, ...]
    done: bool
    #: Rows of imagery/catalog.csv removed with the images.
    catalog_rows: int = 0


# -- helpers ----------------------------------------------------------------------------------
def writable_workspace(data_dir: str | os.PathLike[str] | None) -> Path:
    """The workspace to write; never the bundled data.

    Raises
    ------
    UsageError
        ``data_dir`` is (or resolves to) the bundled data.
    DataError
        The workspace is not writable.
    """
    root = resolve_data_dir(data_dir)
    if root.resolve() == bundled_data_dir().resolve():
        raise UsageError(
            "is the bundled data, which kaesong-geo never changes; make a workspace with "
            "'kaesong-geo init DIR' and give it with --data-dir DIR (or KAESONG_GEO_DATA)",
            path=root,
        )
    if not os.access(root, os.W_OK | os.X_OK):
        raise DataError("the workspace is not writable", path=root)
    return root


def _label(text: str, today: dt.date, what: str = "DATE") -> EpochDate:
    try:
        date = parse_epoch(text)
    except ValueError as exc:
        raise UsageError(f"{what} {text!r}: {exc}") from None
    parts = [int(x) for x in date.label.split("-")] + [1, 1]
    if parts[0] < _EARLIEST_YEAR:
        raise UsageError(
            f"{what} {text!r} is before {_EARLIEST_YEAR}: no aerial or satellite image is that "
            "old (a typo?)"
        )
    if dt.date(parts[0], parts[1], parts[2]) > today:  # begins after today
        raise UsageError(f"{what} {text!r} is in the future (today is {today.isoformat()})")
    return date


def _refuse_conflicts(
    label: str,
    epochs: Sequence[tuple[str, Sequence[str]]],
    root: Path,
    replace_epoch: bool,
    what: str = "DATE",
) -> None:
    """Refuse an epoch that overlaps another (a day within a month) or exists, unless replaced.

    ``epochs`` are the workspace's (label, footprint files).
    """
    for other, _ in epochs:
        if other != label and (other.startswith(label + "-") or label.startswith(other + "-")):
            inner, outer = (label, other) if label.startswith(other) else (other, label)
            raise UsageError(
                f"{what} {label} overlaps epoch {other} ({inner} lies within {outer}); an image "
                f"of a day is of its month's epoch: use {other} (with --replace to replace its "
                f"footprint), or remove {other} first",
                path=root,
            )
    for other, files in epochs:
        if other == label and not replace_epoch:
            raise UsageError(
                f"epoch {label} exists ({', '.join(Path(f).name for f in files)}); "
                "give --replace to replace its footprint",
                path=root,
            )


def check_new_epoch(
    data_dir: str | os.PathLike[str] | None,
    date: str,
    *,
    replace_epoch: bool = False,
    today: dt.date | None = None,
    what: str = "DATE",
) -> tuple[Path, str]:
    """Refuse, before any input is read, a footprint that :func:`add_epoch` would refuse.

    A bad, too old or future date; the bundled data or a read-only workspace; an epoch that
    overlaps another or exists (without ``replace_epoch``). ``what`` names the date in
    messages (``"--epoch"`` for ``kaesong-geo extract``).

    Returns
    -------
    (Path, str)
        The workspace and the epoch's label.
    """
    label = _label(date, today or dt.date.today(), what).label
    root = writable_workspace(data_dir)
    epochs = [(e.label, e.files) for e in list_epochs(root) if e.area_m2 is not None]
    _refuse_conflicts(label, epochs, root, replace_epoch, what)
    return root, label


def _slug(text: str) -> str:
    """A file-name and id-safe form of ``text``.

    Examples
    --------
    >>> _slug("Screen Shot 2013-06-20 at 10.14.22 (2)")
    'Screen-Shot-2013-06-20-at-10.14.22-2'
    >>> _slug("위성 2013"), _slug("장면")  # letters lost: a short hash keeps names apart
    ('2013-e04f04', 'image-ffbb9e')
    """
    slug = _SLUG.sub("-", text).strip("-._")[:48]
    if sum(ch.isalnum() for ch in slug) < sum(ch.isalnum() for ch in text):
        # letters were lost (Hangul, accents): keep names apart with a short hash of the name
        import hashlib

        tag = hashlib.sha1(text.encode("utf-8")).hexdigest()[:6]
        slug = f"{slug}-{tag}" if slug else f"image-{tag}"
    return slug or "image"


def _unique(base: str, taken: set[str], suffix: str = "") -> str:
    name, k = base + suffix, 2
    while name.lower() in taken:
        name, k = f"{base}-{k}{suffix}", k + 1
    taken.add(name.lower())
    return name


def _shown(problem: Problem, view: Path, root: Path) -> Problem:
    """A problem found in the transaction's view, named at its place in the workspace."""
    v = str(view)
    return replace(
        problem,
        path=problem.path.replace(v, str(root)),
        message=problem.message.replace(v, str(root)),
    )


def _catalog_text(root: Path, rows: Sequence[Mapping[str, str]]) -> bytes:
    """The catalogue with ``rows`` appended (columns added if the file lacks some)."""
    path = root / CATALOG_FILE
    wanted = [*CATALOG_COLUMNS, *OPTIONAL_COLUMNS]
    if not path.is_file():
        header, text = wanted, ""
    else:
        with open(path, encoding="utf-8-sig", newline="") as fh:  # line ends kept as written
            text = fh.read()
        first = next(csv.reader(io.StringIO(text)), [])
        header = [c.strip() for c in first] or wanted
    missing = [c for c in wanted if c not in header and any(r.get(c) for r in rows)]
    end = "\r\n" if "\r\n" in text else "\n"
    out = io.StringIO(newline="")
    if not text or missing:  # write the whole table again, with the new columns
        header = header + missing
        writer = csv.DictWriter(out, fieldnames=header, lineterminator=end, extrasaction="ignore")
        writer.writeheader()
        if text:
            for old in csv.DictReader(io.StringIO(text)):
                writer.writerow({k: v for k, v in old.items() if k is not None})
    else:  # keep every byte that is there; append
        out.write(text if text.endswith("\n") else text + end)
        writer = csv.DictWriter(out, fieldnames=header, lineterminator=end, extrasaction="ignore")
    for row in rows:
        writer.writerow({c: row.get(c, "") for c in header})
    return out.getvalue().encode("utf-8")


def _epoch_files(epoch: Epoch, root: Path) -> list[Path]:
    """The files the epoch was read from, absolute (they are named as the reader opened them)."""
    return [Path(f).absolute() for f in epoch.files]


def _sidecars(path: Path) -> list[Path]:
    """The files that travel with a footprint file (the readers' list), removed with it."""
    stem = path.name[: len(path.name) - len(suffix_of(path))]
    return [
        p
        for p in path.parent.iterdir()
        if p != path
        and p.name.lower().startswith(stem.lower() + ".")
        and any(p.name.lower() == (stem + s).lower() for s in _SIDECARS)
    ]


def _own_files(epoch: Epoch, root: Path, others: Sequence[Epoch], action: str) -> list[Path]:
    """The files holding ``epoch`` and nothing else; refuse a file shared with other epochs."""
    files = _epoch_files(epoch, root)
    for f in files:
        shared = [o.label for o in others if o.label != epoch.label and f in _epoch_files(o, root)]
        if shared:
            raise UsageError(
                f"epoch {epoch.label} is in {f.name} together with {', '.join(shared)}; "
                f"{action} it there (kaesong-geo changes only files that hold one epoch)",
                path=f,
            )
    return [p for f in files for p in (f, *_sidecars(f))]


def _scene_tags(
    label: str, source: str, licence: str, provider: str, path: Path, sha256: str
) -> dict[str, str]:
    """The GeoTIFF metadata of an added image: when, from where, under which licence."""
    return {
        "ACQUISITION_DATE": label,
        "SOURCE": source,
        "PROVIDER": provider,
        "LICENCE": licence,
        "ORIGINAL_FILE": path.name,
        "WRITTEN_BY": f"kaesong-geo {_version()} epochs add",
        "SOURCE_SHA256": sha256,
    }


def _scene_note(path: Path, info: SceneInfo) -> str:
    """The catalogue's note on a scene added to the workspace.

    A scene named by a STAC item's file is the item's band files, stacked
    (:mod:`kaesong_geo.io.stack`).

    >>> from kaesong_geo.io.scene import SceneInfo
    >>> info = SceneInfo(Path("x.tif"), 96, 110, 3, "uint8", "EPSG:32652", 10.0, (0, 0, 1, 1),
    ...                  (), {})
    >>> _scene_note(Path("s2.tif"), info)
    'scene s2.tif clipped to the site (96 x 110 px)'
    >>> _scene_note(Path("S2B_52SCG_20210514.json"), info)
    'bands of STAC item S2B_52SCG_20210514 stacked and clipped to the site (96 x 110 px)'
    """
    size = f"({info.width} x {info.height} px)"
    if path.suffix.lower() == ".json":
        return f"bands of STAC item {path.stem} stacked and clipped to the site {size}"
    return f"scene {path.name} clipped to the site {size}"


def _catalog_row(
    label: str,
    provider: str | None,
    info: SceneInfo,
    redistributable: bool,
    filename: str,
    source: str,
    note: str,
    ident: str,
    uncertainty_m: float | None,
) -> dict[str, str]:
    """The row of ``imagery/catalog.csv`` of an image added to the workspace."""
    return {
        "date": label,
        "provider": provider or "provider not given",
        "resolution_m": f"{info.resolution_m:.3g}",
        "redistributable": "yes" if redistributable else "no",
        "file": filename,
        "source": source,
        "note": note,
        "id": ident,
        "uncertainty_m": "" if uncertainty_m is None else f"{uncertainty_m:.2f}",
    }


def _version() -> str:
    from kaesong_geo import __version__

    return __version__


def _fit_summary(fit: GcpFit) -> str:
    """One line of a screenshot's georeferencing error, for the catalogue's note.

    Examples
    --------
    >>> from kaesong_geo.gcp import GCP, fit_gcps
    >>> g = [GCP(c, r, 126.6 + c * 1e-5, 37.95 - r * 1e-5) for c, r in
    ...      [(0, 0), (900, 0), (0, 700), (900, 700), (450, 350)]]
    >>> g.append(GCP(300, 200, 126.6 + 310e-5, 37.95 - 200e-5))  # clicked 10 px off
    >>> print(_fit_summary(fit_gcps(g, "poly1")))
    georeferenced from a screenshot with 6 ground control points (poly1): RMSE 3.2 m
    (3.62 px), leave-one-out RMSE 5.1 m (5.80 px), worst point 6 at pixel 300, 200: 8.8 m
    """
    worst = fit.worst()
    k = fit.points.index(worst) + 1
    worst_m = worst.loo_m if worst.loo_m is not None else worst.residual_m
    loo = (
        f"leave-one-out RMSE {fit.loo_rmse_m:.1f} m ({fit.loo_rmse_px:.2f} px)"
        if fit.loo_rmse_m is not None and fit.loo_rmse_px is not None
        else "leave-one-out error unknown (too few points)"
    )
    return (
        f"georeferenced from a screenshot with {len(fit.points)} ground control points "
        f"({fit.transform}): RMSE {fit.rmse_m:.1f} m ({fit.rmse_px:.2f} px), {loo}, "
        f"worst point {k} at pixel {worst.gcp.px:.0f}, {worst.gcp.py:.0f}: {worst_m:.1f} m"
    )


_DATE_IN_NAME = re.compile(
    r"(?<!\d)((?:19|20)\d\d)[-_.]?(0[1-9]|1[0-2])[-_.]?([0-2]\d|3[01])(?!\d)"
)


def _date_in_name(path: Path) -> EpochDate | None:
    """A day written in a file's name (``2013-06-20``, ``20130620``, ``2013_06_20``), if any.

    Examples
    --------
    >>> _date_in_name(Path("WV2 20130620 pan.tif")).label
    '2013-06-20'
    >>> _date_in_name(Path("Screen Shot 2013-06-20 at 10.14.22.png")).label
    '2013-06-20'
    >>> _date_in_name(Path("scene.tif")) is None
    True
    """
    found = _DATE_IN_NAME.search(path.stem)
    if not found:
        return None
    try:
        return parse_epoch("-".join(found.groups()))
    except ValueError:
        return None


def _warn_dates(paths: Sequence[Path], epoch: EpochDate) -> None:
    """Warn about each file whose name holds a day that is not of ``epoch``."""
    import warnings

    from kaesong_geo.errors import InputSlipWarning

    for path in paths:
        day = _date_in_name(path)
        if day is not None and not of_epoch(day, epoch):
            warnings.warn(
                f"{path}: its name says {day.label}, which is not of epoch {epoch.label}; "
                "is DATE right? (added as given)",
                InputSlipWarning,
                stacklevel=3,
            )


def _traced_on(
    given: str | None,
    plans: Sequence[tuple[str, str, Path, str]],
    known: Mapping[str, ImageryRecord],
    root: Path,
) -> str | None:
    """The id of the image a footprint was traced on, or None.

    ``given`` is an id, a file added in the same command, or ``none``; without it, the
    screenshot added with the footprint, else its only scene.
    """
    if given is None:
        shots = [ident for ident, _, _, kind in plans if kind == "screenshot"]
        scenes = [ident for ident, _, _, kind in plans if kind == "scene"]
        return shots[0] if shots else scenes[0] if len(scenes) == 1 else None
    if given.lower() == "none":
        return None
    for ident, _, path, _ in plans:
        if given in (ident, path.name, str(path)):
            return ident
    if given in known:
        return given
    choices = [ident for ident, *_ in plans] + sorted(known)
    raise UsageError(
        f"--traced-on {given!r} is neither an image added now nor a catalogue id "
        f"(ids: {', '.join(choices) or 'none'}; or 'none')",
        path=root,
    )


@contextlib.contextmanager
def _writing(root: Path) -> Iterator[None]:
    """Turn a file-system error while writing into one line (the transaction has rolled back)."""
    from kaesong_geo.io.output import OutputError
    from kaesong_geo.io.transaction import TXN_DIR

    try:
        yield
    except OSError as exc:
        why = exc.strerror or str(exc)
        names = [Path(n) for n in (exc.filename2, exc.filename) if n]
        inside = [n for n in names if n.absolute().is_relative_to(root.absolute())]
        if names and not inside:  # an input the user gave
            raise DataError(f"cannot be read: {why}", path=names[-1]) from None
        shown = root
        if inside:
            rel = inside[0].absolute().relative_to(root.absolute())
            if rel.parts[:2] in ((TXN_DIR, "new"), (TXN_DIR, "old")):
                rel = Path(*rel.parts[2:])
            shown = root / rel if rel.parts and rel.parts[0] != TXN_DIR else root
        raise OutputError(
            f"cannot write to the workspace: {why}; nothing was changed",
            path=shown.parent if shown != root else root,
        ) from None


def _sha256(path: Path) -> str:
    import hashlib

    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _source_tag(path: Path) -> str | None:
    """The ``SOURCE_SHA256`` tag 'epochs add' writes into its COGs, if the raster has one."""
    from kaesong_geo.io.raster import offline_env, open_raster

    try:
        with offline_env(), open_raster(path) as src:
            tag: str | None = src.tags().get("SOURCE_SHA256")
    except Exception:  # not a raster GDAL reads: the checks and the writer name it
        return None
    return tag


def _refuse_duplicates(
    paths: Sequence[Path], root: Path, images: Sequence[ImageryRecord]
) -> dict[Path, str]:
    """The sha256 of each file to add; refuse one given twice or already added (same bytes).

    Images added by ``epochs add`` carry the sha256 of their source in the tag
    ``SOURCE_SHA256``.
    """
    digests: dict[Path, str] = {}
    for path in paths:
        _refuse_inside(path, root)
        digest = _sha256(path)
        if digest in digests.values():
            raise UsageError("is given twice (the same bytes); nothing was added", path=path)
        digests[path] = digest
    if not digests:
        return digests
    # A COG written by 'epochs add' (copied out of a workspace) names its source's bytes.
    origins = {path: {digest, _source_tag(path) or digest} for path, digest in digests.items()}
    _refuse_added(origins, _added_sources(root, images))
    return digests


def _refuse_inside(path: Path, root: Path) -> None:
    """Refuse a file to add that is already in the workspace's ``imagery/``."""
    if path.resolve().is_relative_to((root / "imagery").resolve()):
        raise UsageError("is already in this workspace's imagery/; nothing was added", path=path)


def _added_sources(root: Path, images: Sequence[ImageryRecord]) -> list[tuple[ImageryRecord, str]]:
    """The catalogued images written by ``epochs add``, each with its ``SOURCE_SHA256``."""
    out = []
    for record in images:
        target = root / "imagery" / record.file
        if not record.file or target.suffix.lower() not in (".tif", ".tiff"):
            continue
        known = _source_tag(target)
        if known is not None:  # else not written by 'epochs add': no duplicate to find
            out.append((record, known))
    return out


def _refuse_added(
    origins: Mapping[Path, set[str]], added: Sequence[tuple[ImageryRecord, str]]
) -> None:
    """Refuse a file to add whose bytes (or origin) are an image's ``SOURCE_SHA256``."""
    for record, known in added:
        for path, digests in origins.items():
            if known in digests:
                raise UsageError(
                    f"is already in the workspace as imagery/{record.file} (of "
                    f"{record.date.label}); nothing was added (remove it first with "
                    f"'kaesong-geo epochs remove {record.date.label} --image "
                    f"{record.id or record.file}')",
                    path=path,
                )


def _check_screenshot(image: Path, points: Sequence[GCP], where: str) -> None:
    """Refuse GCPs off the screenshot; warn when the image has a georeference of its own."""
    import warnings

    from kaesong_geo.errors import InputSlipWarning
    from kaesong_geo.io.raster import offline_env, open_raster

    with offline_env(), open_raster(image) as src:  # DataError when GDAL cannot read it
        width, height = src.width, src.height
        own = src.crs is not None and not src.transform.is_identity
    for k, g in enumerate(points, start=1):
        if not (0 <= g.px <= width and 0 <= g.py <= height):
            raise DataError(
                f"point {k}: pixel {g.px:g}, {g.py:g} is outside the {width} x {height} image "
                f"{image.name} (another screenshot's points?)",
                path=where,
            )
    if own:
        warnings.warn(
            f"{image}: has a georeference of its own, which --image replaces by the warp "
            "through the ground control points; to keep it, add it with --imagery",
            InputSlipWarning,
            stacklevel=3,
        )


def _check_fit(fit: GcpFit, max_error_px: float, force: bool, where: str) -> None:
    """Refuse a georeference whose error is unknown or above ``max_error_px`` unless forced."""
    if force:
        return
    from kaesong_geo.gcp import MIN_POINTS

    if fit.loo_rmse_px is None:
        need = MIN_POINTS[fit.transform] + 1
        raise DataError(
            f"{len(fit.points)} ground control points fix a {fit.transform} transform exactly, "
            f"so its error cannot be measured; give at least {need} (or --force to add it with "
            "unknown error)",
            path=where,
        )
    if fit.loo_rmse_px > max_error_px:
        worst = fit.worst()
        k = fit.points.index(worst) + 1
        raise DataError(
            f"leave-one-out RMSE {fit.loo_rmse_px:.1f} px ({fit.loo_rmse_m or 0:.1f} m) is above "
            f"{max_error_px:g} px; worst: point {k} (pixel {worst.gcp.px:g}, {worst.gcp.py:g}) "
            f"is {worst.loo_m or 0:.1f} m from where the others place it; check it, try "
            "another --transform, or --force",
            path=where,
        )


def _check_view(
    txn: Transaction, root: Path, before: Inspection, inputs: Mapping[str, Path]
) -> tuple[Inspection, tuple[str, ...]]:
    """Inspect the workspace as the transaction will leave it; refuse it with an error.

    ``inputs`` maps each new image (its path in the workspace) to the file it was made from,
    which an error about it names.

    Returns
    -------
    (Inspection, tuple of str)
        The workspace as it will be, and its new warnings.

    Raises
    ------
    DataError
        Its first error (and how many more), ending ``nothing was added``.
    """
    import warnings as _w

    view = txn.view()
    with _w.catch_warnings(record=True) as caught:
        _w.simplefilter("always")
        after = inspect_data_dir(view, before.site)
    seen = {str(q) for q in before.problems}
    problems = [_shown(q, view, root) for q in after.problems]
    errors = [p for p in problems if p.severity == "error"]
    if errors:
        first = errors[0]
        if first.path in inputs:  # a new image: name the file the user gave
            message = re.sub(r" \([^()]*catalog\.csv line \d+\)$", "", first.message)
            first = replace(first, path=str(inputs[first.path]), message=message)
        pre = " (it was there before this command)" if str(first) in seen else ""
        more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
        raise DataError(f"{first.message}{pre}{more}; nothing was added", path=first.path)
    new_warnings = tuple(
        str(q) for q in problems if q.severity == "warning" and str(q) not in seen
    ) + tuple(str(w.message).replace(str(view), str(root)) for w in caught)
    return after, tuple(dict.fromkeys(new_warnings))


# -- add --------------------------------------------------------------------------------------
def add_epoch(
    data_dir: str | os.PathLike[str] | None,
    date: str,
    *,
    footprint: str | os.PathLike[str] | None = None,
    layer: str | None = None,
    imagery: Sequence[str | os.PathLike[str]] = (),
    image: str | os.PathLike[str] | None = None,
    gcps_file: str | os.PathLike[str] | None = None,
    gcps: Sequence[GCP] = (),
    transform: str = "poly1",
    max_error_px: float = DEFAULT_MAX_ERROR_PX,
    force: bool = False,
    source: str | None = None,
    method: str | None = None,
    uncertainty_m: float | None = None,
    provider: str | None = None,
    image_source: str | None = None,
    licence: str | None = None,
    redistributable: bool = False,
    replace_epoch: bool = False,
    traced_on_given: str | None = None,
    margin_km: float | None = None,
    scene_reference: SceneReference | None = None,
    progress: bool | None = None,
    today: dt.date | None = None,
) -> AddedEpoch:
    """Add an epoch (footprint, scenes, a screenshot) to a workspace, all or nothing.

    Parameters
    ----------
    data_dir : path or None
        The workspace (``None``: ``KAESONG_GEO_DATA``); never the bundled data.
    date : str
        The epoch, ``YYYY``, ``YYYY-MM`` or ``YYYY-MM-DD``, not in the future.
    footprint : path, optional
        A footprint file in any format the readers take (GeoJSON, GeoPackage with ``layer``,
        Shapefile or zipped Shapefile, GeoParquet, FlatGeobuf, KML, KMZ).
    imagery : sequence of path
        Georeferenced rasters (GeoTIFF, COG, JPEG 2000, any GDAL raster), each clipped to
        the site plus ``margin_km`` and written as a COG.
    image, gcps_file, gcps : optional
        A screenshot and its ground control points (a QGIS ``.points`` file or CSV, or GCPs);
        warped by ``transform`` (``poly1``, ``poly2``, ``poly3``, ``tps``) into a COG. Refused
        when the leave-one-out RMSE exceeds ``max_error_px`` pixels, or cannot be measured,
        unless ``force``.
    source, method, uncertainty_m : optional
        Provenance of the footprint (``source`` is the images' too when no footprint is
        given).
    image_source : str, optional
        Where the images come from (default: ``source`` without a footprint, else each
        file's name).
    provider, licence, redistributable : optional
        Who supplied the images, their licence (written into the GeoTIFF tags and the
        catalogue's note), and whether they may be passed on.
    replace_epoch : bool
        Replace the epoch's footprint if it has one (else refused).
    traced_on_given : str, optional
        The image the footprint was traced on: a catalogue id, an image added in the same
        command (its file name), or ``"none"``; default: the screenshot added with it, else
        its only scene.
    scene_reference : SceneReference, optional
        The scene the footprint comes from, when it is not added: catalogued without its file
        (and named by the footprint unless ``traced_on_given``) if no image is added and the
        epoch has no catalogue row.

    Returns
    -------
    AddedEpoch

    Raises
    ------
    UsageError
        Bad date, nothing to add, the bundled data, an existing epoch without
        ``replace_epoch`` (exit 2).
    DataError
        An input or the resulting workspace fails a check (exit 1); nothing was written.
    """
    today = today or dt.date.today()
    epoch_date = _label(date, today)
    label = epoch_date.label
    if footprint is None and not imagery and image is None:
        raise UsageError("nothing to add: give --footprint, --imagery or --image with GCPs")
    if image is None and (gcps_file is not None or gcps):
        raise UsageError("ground control points need the screenshot they belong to: --image FILE")
    if image is not None and gcps_file is None and not gcps:
        raise UsageError(
            f"{Path(image).name} needs ground control points: --gcps FILE (QGIS .points or CSV "
            "pixel_x,pixel_y,lon,lat) or --gcp PX,PY,LON,LAT (repeated)"
        )
    for given in [footprint, *imagery, image, gcps_file]:
        if given is not None and not Path(given).expanduser().is_file():
            what = "does not exist" if not Path(given).expanduser().exists() else "is not a file"
            raise UsageError(what, path=Path(given))
    root = writable_workspace(data_dir)
    recover(root)
    before = inspect_data_dir(root)
    site = before.site
    existing = next((e for e in before.epochs if e.label == label), None)
    _refuse_conflicts(
        label,
        [(e.label, e.files) for e in before.epochs],
        root,
        replace_epoch or footprint is None,  # images alone join an existing epoch
    )
    to_remove: list[Path] = []
    if existing is not None and footprint is not None:
        to_remove = _own_files(existing, root, before.epochs, "replace")

    taken_files = (
        {p.name.lower() for p in (root / "imagery").glob("*")}
        if (root / "imagery").is_dir()
        else set()
    )
    from kaesong_geo.io.imagery import catalog_ids

    known = catalog_ids(root)
    taken_ids = {k.lower() for k in known}
    plans: list[tuple[str, str, Path, Literal["scene", "screenshot"]]] = []
    for path in imagery:
        p = Path(path).expanduser()
        stem = _slug(p.name.split(".")[0])
        ident = _unique(f"{label}-{stem}", taken_ids)
        plans.append((ident, _unique(f"{label}-{stem}", taken_files, ".tif"), p, "scene"))
    fit: GcpFit | None = None
    if image is not None:
        from kaesong_geo.gcp import fit_gcps

        p = Path(image).expanduser()
        where = str(gcps_file) if gcps_file is not None else "--gcp"
        points: list[GCP] = list(gcps)
        if gcps_file is not None:
            from kaesong_geo.io.gcpfile import read_gcps

            points += read_gcps(Path(gcps_file).expanduser())
        _check_screenshot(p, points, where)
        try:
            fit = fit_gcps(points, transform)  # type: ignore[arg-type]
        except ValueError as exc:
            raise DataError(str(exc), path=where) from None
        _check_fit(fit, max_error_px, force, where)
        stem = _slug(p.name.split(".")[0])
        ident = _unique(f"{label}-{stem}", taken_ids)
        plans.append((ident, _unique(f"{label}-{stem}", taken_files, ".tif"), p, "screenshot"))
    digests = _refuse_duplicates([p for *_, p, _ in plans], root, before.images)
    _warn_dates([p for *_, p, _ in plans] + ([Path(footprint)] if footprint else []), epoch_date)
    traced_on: str | None = None
    referenced = None
    if footprint is not None:
        traced_on = _traced_on(traced_on_given, plans, known, root)
        if not plans:
            referenced = _reference_ident(scene_reference, epoch_date, before.images, taken_ids)
        if referenced is not None and traced_on_given is None:
            traced_on = referenced

    # --source describes the footprint; the images too when no footprint is given.
    source_text = image_source or ("" if footprint is not None else source or "")
    shot_uncertainty: float | None = None
    pixel_m: float | None = None
    if fit is not None:
        from kaesong_geo.io.scene import _mean_gsd_m

        # A warp error and the pixel itself (nothing is placed better than a pixel) combined.
        figure = fit.loo_rmse_m if fit.loo_rmse_m is not None else fit.rmse_m
        pixel_m = _mean_gsd_m(fit, site.utm_epsg)
        shot_uncertainty = round(math.hypot(figure, pixel_m), 2)  # as the catalogue stores it
    planned_records = dict(known)
    for ident, _, p, kind in plans:
        planned_records[ident] = ImageryRecord(
            epoch_date,
            provider or "",
            None,
            redistributable,
            "",
            source_text or p.name,
            "",
            ident,
            shot_uncertainty if kind == "screenshot" else None,
        )
    if referenced is not None:
        assert scene_reference is not None
        planned_records[referenced] = ImageryRecord(
            epoch_date, provider or "", scene_reference.resolution_m, redistributable, "",
            scene_reference.source, "", referenced, None,
        )  # fmt: skip

    imported = None
    if footprint is not None:
        from kaesong_geo.io.footprint_import import import_footprints

        imported = import_footprints(
            Path(footprint).expanduser(),
            label,
            site,
            layer=layer,
            source=source,
            method=method,
            uncertainty_m=uncertainty_m,
            imagery=traced_on,
            catalog=planned_records,
        )
    region: tuple[float, float, float, float] | None = None
    if any(kind == "scene" for *_, kind in plans):
        from kaesong_geo.io.scene import DEFAULT_MARGIN_KM, clip_region

        geoms: list[BaseGeometry] = [
            e.geometry for e in before.epochs if e.label != label or imported is None
        ]
        if imported is not None:
            geoms += [f.geometry for f in imported.footprints]
        region = clip_region(site, geoms, DEFAULT_MARGIN_KM if margin_km is None else margin_km)

    added: list[AddedImage] = []
    rows: list[dict[str, str]] = []
    with _writing(root), Transaction(root) as txn:
        for ident, filename, p, kind in plans:
            rel = f"imagery/{filename}"
            tags = _scene_tags(
                label,
                source_text or p.name,
                licence or "not given",
                provider or "provider not given",
                p,
                digests[p],
            )
            if kind == "scene":
                from kaesong_geo.io.scene import write_scene

                assert region is not None
                info = write_scene(
                    p, txn.path_for(rel), site=site, region=region, tags=tags, progress=progress
                )
                note = _scene_note(p, info)
                unc = None
            else:
                from kaesong_geo.io.scene import write_screenshot

                assert fit is not None
                info = write_screenshot(
                    p, fit, txn.path_for(rel), site=site, tags=tags, progress=progress
                )
                note = _fit_summary(fit) + (" (forced)" if force else "")
                unc = shot_uncertainty
                note += (
                    f"; positional uncertainty {unc:.2f} m (that error and the {pixel_m:.2f} m "
                    "pixel, combined)"
                )
            if licence:
                note += f"; licence: {licence}"
            added.append(
                AddedImage(ident, filename, kind, p, info, fit if kind != "scene" else None, unc)
            )
            rows.append(
                _catalog_row(
                    label, provider, info, redistributable, filename, source_text or p.name,
                    note, ident, unc,
                )
            )  # fmt: skip
        if referenced is not None:
            assert scene_reference is not None
            rows.append(
                _reference_row(
                    label, scene_reference, referenced, provider, licence, redistributable
                )
            )
        if rows:
            txn.write_bytes(CATALOG_FILE.as_posix(), _catalog_text(root, rows))
        footprint_rel: str | None = None
        if imported is not None:
            for old in to_remove:
                txn.remove(old.relative_to(root.absolute()).as_posix())
            footprint_rel = f"boundaries/{label}.geojson"
            txn.write_bytes(footprint_rel, imported.geojson)
        inputs = {str(root / "imagery" / name): src for _, name, src, _ in plans}
        after, new_warnings = _check_view(txn, root, before, inputs)
        epoch_after = next((e for e in after.epochs if e.label == label), None)
        changes = tuple(txn.changes)
        txn.commit()
    fps: tuple[Footprint, ...] = ()
    area: float | None = None
    if epoch_after is not None:
        fps = epoch_after.footprints
        area = float(geodesic_area_m2(epoch_after.geometry))
    return AddedEpoch(
        root,
        label,
        bool(to_remove),
        footprint_rel,
        fps,
        area,
        tuple(added),
        tuple(imported.skipped) if imported is not None else (),
        changes,
        new_warnings,
        referenced,
    )


# -- add a batch (extract-series) ------------------------------------------------------------
@dataclass(frozen=True)
class PreparedScene:
    """A scene clipped to the site and encoded as a COG by :func:`prepare_scene`.

    Made where the scene is read (a Dask worker), staged by :func:`add_epochs` as it is:
    the COG travels as bytes, so the process adding it needs no access to the scene.

    Attributes
    ----------
    path : Path
        The scene as given (its name makes the image's id and file name).
    label : str
        The epoch it was made for (its ``ACQUISITION_DATE`` tag).
    data : bytes
        The Cloud Optimized GeoTIFF, byte for byte what :func:`add_epoch` writes from the
        scene and the same region.
    info : SceneInfo
        What it holds (``info.path``: where it was written, removed since).
    sha256 : str
        The digest of the scene's bytes (the COG's tag ``SOURCE_SHA256``).
    origin : str
        The ``SOURCE_SHA256`` tag of the scene when it is a COG written by ``epochs add``,
        else ``sha256``: the same image is not added twice.
    source, licence, provider : str
        What the COG's tags say (``licence`` and ``provider`` empty when not given).
    """

    path: Path
    label: str
    data: bytes = field(repr=False)
    info: SceneInfo
    sha256: str
    origin: str
    source: str
    licence: str = ""
    provider: str = ""


def prepare_scene(
    path: str | os.PathLike[str],
    date: str,
    *,
    site: Site,
    footprint: BaseGeometry,
    others: Sequence[BaseGeometry] = (),
    margin_km: float | None = None,
    image_source: str | None = None,
    licence: str | None = None,
    provider: str | None = None,
    root: str | os.PathLike[str] | None = None,
) -> PreparedScene:
    r"""Clip a scene to the site as :func:`add_epoch` does, into bytes for :func:`add_epochs`.

    The region is :func:`~kaesong_geo.io.scene.clip_region` of ``footprint`` (the epoch's new
    footprint) and ``others`` (the workspace's other footprints) widened by ``margin_km``;
    the COG is written by :func:`~kaesong_geo.io.scene.write_scene` with the tags
    :func:`add_epoch` writes (a temporary file, read back and removed). ``root``: the
    folder a VRT scene's sources must lie within (default: the VRT's own folder).

    Raises
    ------
    DataError
        Naming the scene: unreadable, without georeference, not meeting the region.
    UsageError
        A bad date.

    Examples
    --------
    >>> import tempfile, numpy as np, rasterio
    >>> from rasterio.transform import from_origin
    >>> from shapely.geometry import box
    >>> from kaesong_geo.site import KAESONG
    >>> scene = Path(tempfile.mkdtemp()) / "s2.tif"
    >>> with rasterio.open(scene, "w", driver="GTiff", width=400, height=400, count=1,
    ...                    dtype="uint8", crs="EPSG:32652",
    ...                    transform=from_origin(290_000, 4_203_000, 10, 10)) as dst:
    ...     dst.write(np.full((1, 400, 400), 90, "uint8"))
    >>> x, y = KAESONG.lon, KAESONG.lat
    >>> zone = box(x - 0.003, y - 0.003, x + 0.003, y + 0.003)  # the new footprint
    >>> ready = prepare_scene(scene, "2019-04-02", site=KAESONG, footprint=zone, margin_km=0.2)
    >>> ready.label, ready.data[:4], ready.info.tags["ORIGINAL_FILE"], ready.source
    ('2019-04-02', b'II*\x00', 's2.tif', 's2.tif')
    >>> ready.info.width, ready.info.height  # the footprint and 0.2 km around, 10 m pixels
    (96, 110)
    """
    import tempfile

    from kaesong_geo.io.scene import DEFAULT_MARGIN_KM, clip_region, write_scene

    try:
        label = parse_epoch(date).label
    except ValueError as exc:
        raise UsageError(f"DATE {date!r}: {exc}") from None
    p = Path(path).expanduser()
    margin = DEFAULT_MARGIN_KM if margin_km is None else margin_km
    region = clip_region(site, [*others, footprint], margin)
    digest = _sha256(p)
    source = image_source or p.name
    tags = _scene_tags(
        label, source, licence or "not given", provider or "provider not given", p, digest
    )
    with tempfile.TemporaryDirectory(prefix="kaesong-geo-scene-") as tmp:
        info = write_scene(
            p, Path(tmp) / "scene.tif", site=site, region=region, tags=tags, progress=False,
            root=None if root is None else Path(root),
        )  # fmt: skip
        data = info.path.read_bytes()
    return PreparedScene(
        p, label, data, info, digest, _source_tag(p) or digest, source, licence or "",
        provider or "",
    )  # fmt: skip


@dataclass(frozen=True)
class NewEpoch:
    """One epoch for :func:`add_epochs`: a footprint file and, optionally, its scene.

    Attributes
    ----------
    date : str
        ``YYYY``, ``YYYY-MM`` or ``YYYY-MM-DD``, not in the future.
    footprint : Path
        A footprint file (any format :func:`add_epoch` reads).
    scene : PreparedScene, optional
        Its scene, clipped already (:func:`prepare_scene`), recorded as what the footprint
        was traced on.
    source, method, uncertainty_m : optional
        The footprint's provenance.
    redistributable : bool
        Whether the scene may be passed on.
    replace_epoch : bool
        Replace the epoch's footprint if it has one (else refused).
    keep_images : bool
        When the epoch has images already, its scene is not added and the footprint names
        its image if it has exactly one (what ``extract --epoch`` does).
    scene_reference : SceneReference, optional
        Without ``scene``: the scene the footprint comes from, catalogued without its file
        if the epoch has no catalogue row (see :func:`add_epoch`).
    """

    date: str
    footprint: Path
    scene: PreparedScene | None = None
    source: str | None = None
    method: str | None = None
    uncertainty_m: float | None = None
    redistributable: bool = False
    replace_epoch: bool = False
    keep_images: bool = False
    scene_reference: SceneReference | None = None


@dataclass(frozen=True)
class _Staged:
    """An epoch of a batch that passed its checks, ready to be written."""

    index: int
    label: str
    scene: PreparedScene | None
    ident: str
    filename: str
    to_remove: tuple[Path, ...]
    geojson: bytes
    skipped: tuple[str, ...]
    #: The catalogue row of a scene not kept (its id is ``ident``), else None.
    reference_row: dict[str, str] | None = None


def _images_of(label: str, before: Inspection) -> list[ImageryRecord]:
    """The images of epoch ``label``, as :func:`list_epochs` lists them."""
    epoch = next((e for e in before.epochs if e.label == label), None)
    if epoch is not None:
        return [r for r in before.images if of_epoch(r.date, epoch.date)]
    return [
        r
        for r in before.images
        if r.file
        and r.date.label == label
        and not any(of_epoch(r.date, e.date) for e in before.epochs)
    ]


def add_epochs(
    data_dir: str | os.PathLike[str] | None,
    epochs: Sequence[NewEpoch],
    *,
    today: dt.date | None = None,
) -> list[AddedEpoch | KaesongGeoError]:
    """Add several epochs in one transaction; an epoch refused does not stop the others.

    The workspace is inspected once before and once as it will be (not once or more per
    epoch); each epoch is checked as :func:`add_epoch` checks it (its date, an overlapping
    or existing epoch, a scene already added or given twice, its footprint) and, if refused,
    left out with its error. The others are written and committed together, all or nothing
    (an error or Ctrl-C leaves the workspace byte-for-byte as it was). Should the workspace
    as it would be fail a check, each epoch is added again on its own, so that only the one
    at fault is refused.

    Parameters
    ----------
    data_dir : path or None
        The workspace (``None``: ``KAESONG_GEO_DATA``); never the bundled data.
    epochs : sequence of NewEpoch
        At most one per date.
    today : datetime.date, optional
        For the check that no date lies in the future.

    Returns
    -------
    list of AddedEpoch or KaesongGeoError
        One per epoch, in order: what was added, or why it was refused (one line).

    Raises
    ------
    UsageError, DataError
        The workspace is the bundled data, not writable, or cannot be read or written (then
        none of the epochs was added).
    """
    from kaesong_geo.io.footprint_import import import_footprints
    from kaesong_geo.io.imagery import catalog_ids

    today = today or dt.date.today()
    root = writable_workspace(data_dir)
    recover(root)
    before = inspect_data_dir(root)
    site = before.site
    out: list[AddedEpoch | KaesongGeoError | None] = [None] * len(epochs)
    folder = root / "imagery"
    taken_files = {p.name.lower() for p in folder.glob("*")} if folder.is_dir() else set()
    known = catalog_ids(root)
    taken_ids = {k.lower() for k in known}
    added_sources = _added_sources(root, before.images)
    present = [(e.label, e.files) for e in before.epochs]
    staged: list[_Staged] = []
    for i, item in enumerate(epochs):
        try:
            epoch_date = _label(item.date, today)
            label = epoch_date.label
            if any(st.label == label for st in staged):
                raise UsageError(f"epoch {label} is given twice; one footprint per epoch")
            _refuse_conflicts(label, present, root, item.replace_epoch)
            existing = next((e for e in before.epochs if e.label == label), None)
            to_remove = _own_files(existing, root, before.epochs, "replace") if existing else []
            scene, traced_given = item.scene, None
            images = _images_of(label, before) if item.keep_images else []
            if images:
                scene = None
                traced_given = images[0].id if len(images) == 1 else None
            ids, files = set(taken_ids), set(taken_files)
            plans: list[tuple[str, str, Path, Literal["scene", "screenshot"]]] = []
            records = dict(known)
            if scene is not None:
                if scene.label != label:
                    raise UsageError(f"the scene was prepared for {scene.label}, not {label}")
                _refuse_inside(scene.path, root)
                _refuse_added({scene.path: {scene.sha256, scene.origin}}, added_sources)
                stem = _slug(scene.path.name.split(".")[0])
                ident = _unique(f"{label}-{stem}", ids)
                plans.append(
                    (ident, _unique(f"{label}-{stem}", files, ".tif"), scene.path, "scene")
                )
                records[ident] = ImageryRecord(
                    epoch_date, scene.provider, None, item.redistributable, "", scene.source,
                    "", ident, None,
                )  # fmt: skip
            referenced = None
            if scene is None:
                referenced = _reference_ident(item.scene_reference, epoch_date, before.images, ids)
            if referenced is not None:
                ref = item.scene_reference
                assert ref is not None
                records[referenced] = ImageryRecord(
                    epoch_date, "", ref.resolution_m, item.redistributable, "", ref.source, "",
                    referenced, None,
                )  # fmt: skip
            _warn_dates([p for *_, p, _ in plans] + [item.footprint], epoch_date)
            traced_on = _traced_on(traced_given, plans, known, root)
            if referenced is not None and traced_given is None:
                traced_on = referenced
            imported = import_footprints(
                item.footprint,
                label,
                site,
                source=item.source,
                method=item.method,
                uncertainty_m=item.uncertainty_m,
                imagery=traced_on,
                catalog=records,
            )
        except KaesongGeoError as exc:
            out[i] = exc
            continue
        if scene is not None or referenced is not None:  # ids, file names, bytes taken now
            taken_ids, taken_files = ids, files
        if scene is not None:
            added_sources.append(
                (
                    ImageryRecord(epoch_date, "", None, False, plans[0][1], "", "", plans[0][0]),
                    scene.sha256,
                )
            )
        present.append((label, (f"boundaries/{label}.geojson",)))
        staged.append(
            _Staged(
                i, label, scene, plans[0][0] if plans else referenced or "",
                plans[0][1] if plans else "", tuple(to_remove), imported.geojson,
                tuple(imported.skipped),
                None if referenced is None or item.scene_reference is None else _reference_row(
                    label, item.scene_reference, referenced, None, None, item.redistributable
                ),
            )
        )  # fmt: skip
    if staged:
        done = _write_batch(root, before, staged)
        if done is None:  # the batch as a whole fails a check: each on its own
            for st in staged:
                out[st.index] = add_epochs(root, [epochs[st.index]], today=today)[0]
        else:
            for st, result in zip(staged, done, strict=True):
                out[st.index] = result
    assert all(r is not None for r in out)
    return [r for r in out if r is not None]


def _write_batch(
    root: Path, before: Inspection, staged: Sequence[_Staged]
) -> list[AddedEpoch | KaesongGeoError] | None:
    """Write the staged epochs in one transaction; None when it fails a check (several)."""
    rows: list[dict[str, str]] = []
    inputs: dict[str, Path] = {}
    with _writing(root), Transaction(root) as txn:
        for st in staged:
            if st.scene is not None:
                rel = f"imagery/{st.filename}"
                txn.write_bytes(rel, st.scene.data)
                inputs[str(root / rel)] = st.scene.path
                note = _scene_note(st.scene.path, st.scene.info)
                if st.scene.licence:
                    note += f"; licence: {st.scene.licence}"
                rows.append(
                    _catalog_row(
                        st.label, st.scene.provider, st.scene.info, False, st.filename,
                        st.scene.source, note, st.ident, None,
                    )
                )  # fmt: skip
            if st.reference_row is not None:
                rows.append(st.reference_row)
            for old in st.to_remove:
                txn.remove(old.relative_to(root.absolute()).as_posix())
            txn.write_bytes(f"boundaries/{st.label}.geojson", st.geojson)
        if rows:  # a batch's rows in date order, whatever order its scenes finished in
            rows.sort(key=lambda row: row.get("date", ""))
            txn.write_bytes(CATALOG_FILE.as_posix(), _catalog_text(root, rows))
        try:
            after, new_warnings = _check_view(txn, root, before, inputs)
        except DataError as exc:
            if len(staged) > 1:
                return None
            return [exc]
        txn.commit()
    results: list[AddedEpoch | KaesongGeoError] = []
    unclaimed = list(new_warnings)
    for st in staged:
        epoch = next(e for e in after.epochs if e.label == st.label)
        own = [f"boundaries/{st.label}.geojson"] + ([f"imagery/{st.filename}"] if st.scene else [])
        mine = tuple(w for w in new_warnings if any(o in w for o in own))
        unclaimed = [w for w in unclaimed if w not in mine]
        image: tuple[AddedImage, ...] = ()
        if st.scene is not None:
            info = replace(st.scene.info, path=root / "imagery" / st.filename)
            image = (AddedImage(st.ident, st.filename, "scene", st.scene.path, info),)
        catalogued = st.scene is not None or st.reference_row is not None
        changes = [*own, *([CATALOG_FILE.as_posix()] if catalogued else [])]
        changes += [o.relative_to(root.absolute()).as_posix() for o in st.to_remove]
        results.append(
            AddedEpoch(
                root, st.label, bool(st.to_remove), own[0], epoch.footprints,
                float(geodesic_area_m2(epoch.geometry)), image, st.skipped,
                tuple(sorted(set(changes))), mine,
                st.ident if st.reference_row is not None else None,
            )
        )  # fmt: skip
    if unclaimed and results:  # warnings about the workspace as a whole: with the first
        first = results[0]
        assert isinstance(first, AddedEpoch)
        results[0] = replace(first, warnings=first.warnings + tuple(unclaimed))
    return results


# -- list -------------------------------------------------------------------------------------
def list_epochs(data_dir: str | os.PathLike[str] | None = None) -> list[EpochListing]:
    """Every epoch of a data directory with its parts, area, imagery and provenance.

    Dates with images in the folder but no footprint are listed too (``area_m2`` None, flag
    ``no footprint``).

    Raises
    ------
    DataError
        The data directory has an error (as ``kaesong-geo validate`` names it); a workspace
        without any footprint yet is not an error here (an empty list).
    """
    from kaesong_geo.io.problems import raise_first

    root = resolve_data_dir(data_dir)
    recover(root)
    found = inspect_data_dir(root)
    if not found.epochs:
        if not found.complete:
            raise_first(found.problems)
    else:
        raise_first(found.problems)
    out = []
    # Dates with images in the folder but no footprint ('epochs add DATE --imagery' alone).
    loose: dict[str, list[ImageryRecord]] = {}
    for r in found.images:
        if r.file and not any(of_epoch(r.date, e.date) for e in found.epochs):
            loose.setdefault(r.date.label, []).append(r)
    for label, records in loose.items():
        out.append(
            EpochListing(
                label, 0, None, (), tuple(records), tuple(dict.fromkeys(r.source for r in records)),
                (), None, (), ("no footprint",),
            )
        )  # fmt: skip
    for e in found.epochs:
        images = tuple(r for r in found.images if of_epoch(r.date, e.date))
        flags = []
        if e.estimated:
            flags.append("estimated")
        if "reconstructed" in e.methods:
            flags.append("reconstructed")
        if e.max_uncertainty_m is None:
            flags.append("uncertainty unknown")
        if found.site.assumed_note:
            flags.append("site assumed")
        out.append(
            EpochListing(
                e.label,
                len(e.footprints),
                float(geodesic_area_m2(e.geometry)),
                tuple(Path(f).name for f in e.files),
                images,
                tuple(dict.fromkeys(f.source for f in e.footprints if f.source)),
                e.methods,
                e.max_uncertainty_m,
                tuple(dict.fromkeys(f.imagery for f in e.footprints if f.imagery)),
                tuple(flags),
            )
        )
    return sorted(out, key=lambda e: parse_epoch(e.label))


# -- remove -----------------------------------------------------------------------------------
def remove_epoch(
    data_dir: str | os.PathLike[str] | None,
    date: str,
    *,
    yes: bool = False,
    keep_imagery: bool = False,
    image: str | None = None,
) -> RemovedEpoch:
    """Remove an epoch's footprint file(s) and, unless ``keep_imagery``, its added images.

    Without ``yes`` nothing is removed: the result lists what would be (``done`` False).
    Images are the catalogue rows of the epoch's date that name a ``file``; rows without a
    file (images known to exist, not shipped) are kept. A date with images but no footprint
    (``epochs add DATE --imagery ...`` alone) has its images removed. With ``image`` (an id
    or file name) only that image goes, and the footprint stays; refused when the footprint
    was traced on it.
    """
    root = writable_workspace(data_dir)
    try:
        epoch_date = parse_epoch(date)
    except ValueError as exc:
        raise UsageError(f"DATE {date!r}: {exc}") from None
    label = epoch_date.label
    recover(root)
    found = inspect_data_dir(root)
    epoch = next((e for e in found.epochs if e.label == label), None)
    rels: list[str] = []
    if epoch is not None and image is None:
        files = _own_files(epoch, root, found.epochs, "remove")
        rels = [f.relative_to(root.absolute()).as_posix() for f in files]
    keep_rows: list[int] = []
    table: list[list[str]] = []
    images: list[str] = []
    catalog = root / CATALOG_FILE
    if (not keep_imagery or image is not None) and catalog.is_file():
        with open(catalog, encoding="utf-8-sig", newline="") as fh:
            table = list(csv.reader(fh))
        header = [c.strip() for c in table[0]] if table else []
        if "date" in header and "file" in header:
            di, fi = header.index("date"), header.index("file")
            ii = header.index("id") if "id" in header else None
            for k, row in enumerate(table[1:], start=1):
                try:
                    match = bool(
                        len(row) > max(di, fi)
                        and row[fi].strip()
                        and of_epoch(parse_epoch(row[di].strip()), epoch_date)
                    )
                except ValueError:
                    match = False
                if match and any(  # an image another epoch claims too (hand-made data) stays
                    o.label != label and of_epoch(parse_epoch(row[di].strip()), o.date)
                    for o in found.epochs
                ):
                    match = False
                if match and image is not None:
                    names = {row[fi].strip(), Path(row[fi].strip()).name}
                    if ii is not None and len(row) > ii:
                        names.add(row[ii].strip())
                    match = image in names
                if match:
                    images.append(f"imagery/{row[fi].strip()}")
                else:
                    keep_rows.append(k)
    images = [i for i in images if (root / i).is_file()]
    if image is not None and not images:
        raise UsageError(f"no image {image!r} of {label} with a file in the catalogue", path=root)
    if epoch is None and not images:
        known = ", ".join(e.label for e in found.epochs) or "none"
        raise UsageError(f"no epoch {label} in this workspace (epochs: {known})", path=root)
    removed = tuple(rels + images)
    if not yes:
        return RemovedEpoch(root, label, removed, False, len(images))
    with _writing(root), Transaction(root) as txn:
        for rel in rels + images:
            txn.remove(rel)
        if images:
            out = io.StringIO(newline="")
            raw = catalog.read_bytes()
            writer = csv.writer(out, lineterminator="\r\n" if b"\r\n" in raw else "\n")
            writer.writerows([table[0]] + [table[k] for k in keep_rows])
            txn.write_bytes(CATALOG_FILE.as_posix(), out.getvalue().encode("utf-8"))
        view = txn.view()
        after = inspect_data_dir(view, found.site)
        seen = {str(q) for q in found.problems}
        errors = [
            _shown(q, view, root)
            for q in after.problems
            if q.severity == "error"
            and str(_shown(q, view, root)) not in seen
            and "holds no footprint files" not in q.message
        ]
        if errors:
            raise DataError(
                f"{errors[0].message}; nothing was removed (a footprint was traced on it: "
                "remove the epoch, or add its footprint again with --traced-on none --replace)",
                path=errors[0].path,
            )
        txn.commit()
    return RemovedEpoch(root, label, removed, True, len(images))
