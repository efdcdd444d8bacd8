"""Extract a series of scenes on Dask and add each as an epoch (``kaesong-geo extract-series``).

Every item of a local STAC catalog (:mod:`kaesong_geo.io.stac`) is one scene. The scenes are
extracted in parallel on a ``dask.distributed`` cluster, one task per scene
(:func:`~kaesong_geo.io.scene_extract.extract_scene` with the ``"sync"`` scheduler, so a
scene stays on its worker). The same task clips the scene to the site and encodes it as a
Cloud Optimized GeoTIFF (:func:`~kaesong_geo.io.epochs.prepare_scene`: the bytes
``kaesong-geo epochs add --imagery`` writes) and returns those bytes with the footprint, so
the client never reads a scene and needs no file system in common with the workers. The
client adds the results in batches (:func:`~kaesong_geo.io.epochs.add_epochs`): whatever
has arrived is added in one transaction, all or nothing, with one inspection of the
workspace before and one after; results arriving meanwhile make the next batch. A scene that
fails (unreadable, nothing built-up within the site, an epoch that overlaps another, a date
in the future...) is reported with a one-line reason and the others are kept, in its batch
too.

Each scene is clipped to its own footprint and the footprints the workspace had when the
series began (other than its own epoch's, when replaced), plus 1 km: the image does not
depend on which scenes finished first. An epoch that has images already keeps them (with
``replace``) and its new footprint names its image if it has one. Without imagery
(``with_imagery=False``), an epoch with no catalogue row gets one without a file, naming the
scene's path and STAC item (:class:`~kaesong_geo.io.epochs.SceneReference`).

The cluster: without ``scheduler`` a ``LocalCluster`` sized to the machine (one worker
process per CPU, one thread each, the memory shared out among them; never more workers than
scenes); with ``scheduler="tcp://host:8786"`` an existing cluster (``dask scheduler`` and
``dask worker``). The workers read the scene files, so their paths must be the same on every
worker (a shared file system); the client only writes the workspace.

Statuses: ``added``; ``skipped`` (the epoch is already in the workspace: not extracted again
unless ``replace``); ``failed`` (with the reason).
"""

from __future__ import annotations

import ast
import contextlib
import logging
import os
import re
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from kaesong_geo.deps import require
from kaesong_geo.errors import DataError, KaesongGeoError, UsageError
from kaesong_geo.extract import DEFAULT_MIN_PATCH_M2
from kaesong_geo.io.stac import CatalogScene, read_stac_scenes
from kaesong_geo.io.stack import BandSource
from kaesong_geo.text import plural

__all__ = [
    "DEFAULT_TIMEOUT_S",
    "SceneOutcome",
    "SeriesResult",
    "extract_series",
    "failure_reason",
]

#: Seconds to wait for a scheduler to answer, and for its workers to join.
DEFAULT_TIMEOUT_S = 10.0

Status = Literal["added", "skipped", "failed"]


@dataclass(frozen=True)
class SceneOutcome:
    """What became of one scene of the series.

    Attributes
    ----------
    id : str
        The STAC item's id.
    date : str or None
        The epoch it was (or would have been) added as, ``YYYY-MM-DD``.
    status : {"added", "skipped", "failed"}
    area_m2 : float or None
        The added footprint's geodesic area.
    message : str
        Why it failed or was skipped (one line); what was added.
    replaced : bool
        The epoch existed and was replaced.
    """

    id: str
    date: str | None
    status: Status
    area_m2: float | None = None
    message: str = ""
    replaced: bool = False


@dataclass(frozen=True)
class SeriesResult:
    """The outcome of :func:`extract_series`.

    Attributes
    ----------
    catalog : Path
        The catalog read.
    data_dir : Path
        The workspace written.
    cluster : str
        Where the scenes were extracted (``"local cluster"`` or the scheduler's address;
        empty when nothing needed extracting).
    workers : int
        The number of workers (0 when no cluster was needed).
    scenes : tuple of SceneOutcome
        One per item, in the catalog's order.
    seconds : float
        Wall time, from reading the catalog to the last epoch added.
    """

    catalog: Path
    data_dir: Path
    cluster: str
    workers: int
    scenes: tuple[SceneOutcome, ...]
    seconds: float
    counts: dict[str, int] = field(init=False)

    def __post_init__(self) -> None:
        counts = {s: 0 for s in ("added", "skipped", "failed")}
        for scene in self.scenes:
            counts[scene.status] += 1
        object.__setattr__(self, "counts", counts)

    @property
    def ok(self) -> bool:
        """No scene failed."""
        return self.counts["failed"] == 0


_WRAPPED = re.compile(r"^([A-Za-z_][\w.]*)\((['\"])(.*)\2,?\)$", re.DOTALL)


def _extract_on_worker(
    path: str,
    site: Any,
    *,
    date: str,
    image: tuple[str, Any] | None,
    item: str,
    bands: tuple[str, ...] | None,
    default_bands: tuple[str, ...] | None,
    sources: tuple[BandSource, ...] = (),
    **kwargs: Any,
) -> tuple[Any, Any]:
    """``extract_scene`` on a worker, then its scene clipped into COG bytes.

    ``image``: ``None`` (no image wanted), else the image's source text and the box of the
    workspace's other footprints. ``bands``: the item's STAC band names; ``default_bands``:
    ``--bands``, for a file whose bands neither STAC nor the file name (see
    :func:`_series_band_names`). ``sources``: the band files of an item that keeps its bands
    in files of their own, stacked here (:func:`~kaesong_geo.io.stack.stacked_scene`, a
    VRT in the worker's temporary folder) and read as one scene; ``path`` is then the item's
    file, which the results name. Warnings are kept for the client to show (once). Returns
    the :class:`~kaesong_geo.io.scene_extract.SceneExtraction` and the
    :class:`~kaesong_geo.io.epochs.PreparedScene` (``None`` without image or footprint).
    """
    import dataclasses

    if not sources:
        names = _series_band_names(Path(path), item, bands, default_bands)
        return _extract_file(path, site, date, image, names, None, **kwargs)
    from kaesong_geo.io.stack import stack_problem, stack_root, stacked_scene

    problem = stack_problem(sources)
    if problem is not None:
        raise DataError(problem, path=Path(path))
    with stacked_scene(sources, item) as stacked:
        names = tuple(s.name for s in sources)
        try:
            result, prepared = _extract_file(
                str(stacked), site, date, image, names, stack_root(sources), **kwargs
            )
        except KaesongGeoError as exc:  # name the item, not the temporary stack
            message = exc.message
            if "must be reflectance" in message:
                message = message.split(": scale the digital numbers")[0] + (
                    ": give each band asset a raster:bands scale and offset (Sentinel-2 L2A "
                    "from baseline 04.00: scale 0.0001, offset -0.1; Landsat Collection 2 "
                    "surface reflectance: scale 0.0000275, offset -0.2)"
                )
            raise type(exc)(message, path=Path(path)) from None
    # named after the item: the stack was a temporary file
    result = dataclasses.replace(result, path=Path(path))
    if prepared is not None:
        prepared = dataclasses.replace(prepared, path=Path(path))
    return result, prepared


def _extract_file(
    path: str,
    site: Any,
    date: str,
    image: tuple[str, Any] | None,
    names: tuple[str, ...] | None,
    root: Path | None,
    **kwargs: Any,
) -> tuple[Any, Any]:
    """:func:`_extract_on_worker` on one file (``root``: where a VRT's sources may lie)."""
    import warnings

    from kaesong_geo.errors import SuspectExtractionWarning
    from kaesong_geo.io.epochs import prepare_scene
    from kaesong_geo.io.scene_extract import extract_scene

    with warnings.catch_warnings():  # one thread per task: safe here
        warnings.simplefilter("ignore", SuspectExtractionWarning)
        result = extract_scene(path, site, band_names=names, root=root, **kwargs)
    geometry = result.extraction.geometry
    if image is None or geometry.is_empty:  # nothing built-up: the client says so
        return result, None
    source, others = image
    others_list = [] if others is None else [others]
    prepared = prepare_scene(
        path, date, site=site, footprint=geometry, others=others_list, image_source=source,
        root=root,
    )  # fmt: skip
    return result, prepared


def _series_band_names(
    path: Path, item: str, bands: tuple[str, ...] | None, default_bands: tuple[str, ...] | None
) -> tuple[str, ...] | None:
    """The band names a scene of the series is extracted with (``None``: the file's own).

    The item's STAC ``eo:bands`` (``bands``) first, then the file's band descriptions, then
    ``default_bands`` (``extract-series --bands``), then red/green/blue from the file's colour
    interpretation. A file that cannot be opened is left to
    :func:`~kaesong_geo.io.scene_extract.extract_scene` to report.

    Raises
    ------
    DataError
        Nothing names the bands (the message names the item and both ways to name them), or
        ``default_bands`` does not give one name per band of the file.
    """
    if bands is not None:
        return bands
    from rasterio.enums import ColorInterp
    from rasterio.errors import RasterioError

    from kaesong_geo.io.raster import network_problem, offline_env, open_raster
    from kaesong_geo.io.scene_extract import scene_band_names

    if network_problem(path, path.parent):
        return None  # extract_scene says what is wrong with the file
    with offline_env():
        try:
            src = open_raster(path)
        except (DataError, RasterioError, OSError):
            return None  # extract_scene says what is wrong with the file
        with src:
            count = sum(1 for c in src.colorinterp if c != ColorInterp.alpha)
            if all(tuple(src.descriptions)[:count]):
                return None
            if default_bands is not None:
                if len(default_bands) != count:
                    raise DataError(
                        f"has {plural(count, 'band')} and no band names in STAC item {item} "
                        "(eo:bands) or in the file (band descriptions), and --bands gives "
                        f"{plural(len(default_bands), 'name')} ({', '.join(default_bands)}): "
                        "give one name per band, or name them in the item's eo:bands",
                        path=path,
                    )
                return default_bands
            try:
                scene_band_names(src, None, count)
            except DataError:
                raise DataError(
                    f"has {plural(count, 'band')} and no band names in STAC item {item} "
                    "(eo:bands) or in the file (band descriptions): name them in the item's "
                    "asset (eo:bands), or give extract-series --bands NAMES for every scene "
                    "without them (e.g. --bands B02,B03,B04,B08,B11)",
                    path=path,
                ) from None
    return None


def _box_of(geometries: list[Any]) -> Any:
    """The bounding box of ``geometries`` (all a scene's clip region needs), or None."""
    if not geometries:
        return None
    from shapely.geometry import box

    bounds = [g.bounds for g in geometries if not g.is_empty]
    if not bounds:
        return None
    return box(
        min(b[0] for b in bounds),
        min(b[1] for b in bounds),
        max(b[2] for b in bounds),
        max(b[3] for b in bounds),
    )


def failure_reason(exc: BaseException) -> str:
    r"""One line saying why a scene failed: kaesong-geo's own message, else ``type: message``.

    Exceptions that do not survive the trip back from a worker arrive re-wrapped as a plain
    ``Exception("RasterioIOError('...')")`` (kaesong-geo's too, when raised while handling a
    rasterio error: its context does not unpickle); the original type is put back in front.

    Examples
    --------
    >>> from kaesong_geo.errors import DataError
    >>> failure_reason(DataError("not a raster", path="a.tif"))
    'a.tif: not a raster'
    >>> failure_reason(ValueError("bad\nvalue"))
    'ValueError: bad value'
    >>> failure_reason(Exception("RasterioIOError('x.tif: not recognized')"))
    'RasterioIOError: x.tif: not recognized'
    >>> failure_reason(Exception("DataError('x.tif: no built-up area found')"))
    'x.tif: no built-up area found'
    >>> failure_reason(Exception(repr(OSError("it's\tgone"))))
    "OSError: it's gone"
    >>> failure_reason(MemoryError())
    'MemoryError'
    """
    from kaesong_geo import errors

    text = " ".join(str(exc).split())
    name = type(exc).__name__
    wrapped = _WRAPPED.match(text) if type(exc) is Exception else None
    if wrapped:
        name, text = wrapped.group(1).rsplit(".", 1)[-1], wrapped.group(3)
        with contextlib.suppress(ValueError, SyntaxError, MemoryError, RecursionError):
            quoted = ast.literal_eval(wrapped.group(2) + wrapped.group(3) + wrapped.group(2))
            text = " ".join(str(quoted).split())  # the repr's escapes undone (\\n, \\')
        if name in errors.__all__ and text:  # ours, re-wrapped: its message names the file
            return text
    if isinstance(exc, KaesongGeoError) and text:
        return text
    return f"{name}: {text}" if text else name


@contextlib.contextmanager
def _local_client(n_workers: int) -> Iterator[Any]:
    """A client of a new ``LocalCluster``: ``n_workers`` processes of one thread each."""
    distributed = require("distributed", "extract-series", extra="scale")
    memory = int(distributed.system.MEMORY_LIMIT // max(n_workers, 1))
    with (
        tempfile.TemporaryDirectory(prefix="kaesong-geo-dask-") as scratch,
        contextlib.ExitStack() as stack,
    ):
        # Ctrl-C in a terminal goes to every process of the group: the workers would each
        # print a traceback. Started with SIGINT blocked (kept across exec), they leave the
        # interrupt to this process, which closes the cluster. A Ctrl-C while it starts is
        # held, not lost: raised once the cluster is up (and in the stack, to be closed).
        with _sigint_held():
            cluster = stack.enter_context(
                distributed.LocalCluster(
                    n_workers=n_workers,
                    threads_per_worker=1,
                    processes=True,
                    memory_limit=memory,
                    dashboard_address=":0",
                    silence_logs=logging.CRITICAL,
                    local_directory=scratch,
                )
            )
        yield stack.enter_context(distributed.Client(cluster))


@contextlib.contextmanager
def _sigint_held() -> Iterator[None]:
    """Meanwhile, SIGINT is kept from the processes started and held for this one.

    Ctrl-C in a terminal goes to every process of the group. The processes started meanwhile
    (a local cluster's workers, from the threads started meanwhile) inherit SIGINT blocked,
    so they leave it to this process. Here a SIGINT is noted, not raised (a
    ``KeyboardInterrupt`` in the middle of starting a cluster would leave it running), and
    raised again once the block ends, for the handler that was there before: Ctrl-C is
    neither lost nor shown as a traceback per worker. Only in the main thread, where SIGINT
    is not ignored (elsewhere nothing changes); where signals cannot be blocked (Windows),
    SIGINT is ignored meanwhile.

    Examples
    --------
    >>> import os, signal
    >>> before = signal.signal(signal.SIGINT, signal.default_int_handler)  # as in a terminal
    >>> try:
    ...     with _sigint_held():
    ...         os.kill(os.getpid(), signal.SIGINT)  # held...
    ...         print("not interrupted here")
    ... except KeyboardInterrupt:
    ...     print("...and raised at the end")
    not interrupted here
    ...and raised at the end
    >>> _ = signal.signal(signal.SIGINT, before)
    """
    import signal
    import threading

    previous = signal.getsignal(signal.SIGINT)
    if threading.current_thread() is not threading.main_thread() or previous == signal.SIG_IGN:
        yield
        return
    mask = getattr(signal, "pthread_sigmask", None)
    if mask:
        # Starting, multiprocessing's resource tracker unblocks SIGINT in the thread that
        # starts it (the first to make a semaphore: a cluster's event loop), and every
        # process started from there on would take Ctrl-C: started now, it does not then.
        from multiprocessing import resource_tracker

        resource_tracker.ensure_running()
    caught: list[int] = []
    signal.signal(signal.SIGINT, signal.SIG_IGN if mask is None else lambda n, _: caught.append(n))
    try:
        blocked = mask(signal.SIG_BLOCK, {signal.SIGINT}) if mask else None
        try:
            yield
        finally:
            if mask:
                mask(signal.SIG_SETMASK, blocked)  # a SIGINT still pending is noted here
    finally:
        signal.signal(signal.SIGINT, previous)
    if caught:
        signal.raise_signal(signal.SIGINT)


@contextlib.contextmanager
def _remote_client(address: str, n_workers: int | None, timeout_s: float) -> Iterator[Any]:
    """A client of the scheduler at ``address``, once ``n_workers`` (default 1) have joined."""
    distributed = require("distributed", "extract-series", extra="scale")
    try:
        client = distributed.Client(address, timeout=f"{timeout_s:g}s")
    except ValueError as exc:  # no port, an unknown scheme
        raise UsageError(
            f"--scheduler {address}: {exc} (give the scheduler's address, e.g. tcp://host:8786)"
        ) from None
    except OSError as exc:
        raise KaesongGeoError(
            f"cannot reach the Dask scheduler at {address} within {timeout_s:g} s ({exc}); "
            f"is 'dask scheduler' running there?"
        ) from None
    try:
        wanted = n_workers or 1
        try:
            client.wait_for_workers(wanted, timeout=timeout_s)
        except TimeoutError:
            raise KaesongGeoError(
                f"the Dask scheduler at {address} has fewer than {wanted} worker"
                f"{'s' if wanted > 1 else ''} after {timeout_s:g} s: start some with "
                f"'dask worker {address} --nthreads 1'"
            ) from None
        yield client
    finally:
        client.close()


def _worker_count(client: Any) -> int:
    return len(client.scheduler_info(n_workers=-1).get("workers", {}))


def _plan(
    scenes: list[CatalogScene], existing: set[str], replace: bool
) -> tuple[dict[int, SceneOutcome], list[int]]:
    """Outcomes known before any extraction, and the indices of the scenes to extract."""
    decided: dict[int, SceneOutcome] = {}
    todo: list[int] = []
    first_of_day: dict[str, str] = {}
    for i, scene in enumerate(scenes):
        if scene.problem is not None or scene.date is None or scene.path is None:
            reason = scene.problem or "no date"
            decided[i] = SceneOutcome(scene.id, scene.date, "failed", message=reason)
        elif scene.date in first_of_day:
            decided[i] = SceneOutcome(
                scene.id,
                scene.date,
                "failed",
                message=f"same day as item {first_of_day[scene.date]}: one epoch per day "
                "(mosaic the scenes of a day into one file first)",
            )
        elif scene.date in existing and not replace:
            first_of_day[scene.date] = scene.id
            decided[i] = SceneOutcome(
                scene.id,
                scene.date,
                "skipped",
                message=f"epoch {scene.date} is already in the workspace (--replace to "
                "extract it again)",
            )
        else:
            first_of_day[scene.date] = scene.id
            todo.append(i)
    return decided, todo


def extract_series(
    catalog: str | os.PathLike[str],
    data_dir: str | os.PathLike[str] | None,
    *,
    scheduler: str | None = None,
    n_workers: int | None = None,
    progress: bool | None = None,
    replace: bool = False,
    with_imagery: bool = True,
    band_names: Sequence[str] | None = None,
    min_patch_m2: float = DEFAULT_MIN_PATCH_M2,
    closing_m: float | None = None,
    opening_m: float | None = None,
    timeout_s: float = DEFAULT_TIMEOUT_S,
) -> SeriesResult:
    """Extract every scene of a STAC catalog on Dask and add each as an epoch.

    Parameters
    ----------
    catalog : path
        A local STAC ``catalog.json`` / ``collection.json`` (or a folder holding one).
    data_dir : path or None
        The workspace (``None``: ``KAESONG_GEO_DATA``); never the bundled data.
    scheduler : str, optional
        The address of a running Dask scheduler (``tcp://host:8786``); default: a local
        cluster sized to the machine.
    n_workers : int, optional
        Workers of the local cluster (default: one per CPU, at most one per scene); with
        ``scheduler``, the number of workers to wait for (default 1).
    progress : bool, optional
        A progress bar of the scenes on standard error (default: when it is a terminal).
    replace : bool
        Extract again and replace the footprints of the epochs already in the workspace (else
        they are skipped); their images stay as they are.
    with_imagery : bool
        Add each scene, clipped to the site on its worker, as the epoch's image; not to an
        epoch that has images already.
    band_names : sequence of str, optional
        One name per band, for the scenes whose bands are named neither by their STAC item
        (``eo:bands``) nor by the file (band descriptions); those win where present.
    min_patch_m2, closing_m, opening_m : see :func:`kaesong_geo.extract.extract_footprint`.
    timeout_s : float
        Seconds to wait for the scheduler to answer and for its workers to join.

    Returns
    -------
    SeriesResult

    Raises
    ------
    DataError
        The catalog cannot be read (nothing done).
    UsageError
        The workspace is the bundled data or missing; a malformed scheduler address.
    KaesongGeoError
        The scheduler cannot be reached, or has no workers (exit code 1).
    """
    from kaesong_geo.io.epochs import list_epochs, writable_workspace
    from kaesong_geo.io.sitefile import read_site
    from kaesong_geo.io.validate import inspect_data_dir

    start = time.perf_counter()
    catalog_path = Path(catalog).expanduser()
    default_bands = None if band_names is None else tuple(b.strip() for b in band_names)
    scenes = read_stac_scenes(catalog_path)
    root = writable_workspace(data_dir)
    site = read_site(root)
    listing = list_epochs(root)
    existing = {e.label for e in listing}
    # --replace swaps an epoch's footprint; its images stay (the same scene is refused twice).
    outcomes, todo = _plan(scenes, existing, replace)
    if not todo:
        return SeriesResult(
            catalog_path, root, "", 0, tuple(outcomes[i] for i in range(len(scenes))), 0.0
        )
    imaged = {e.label for e in listing if e.images}
    footprints = [(e.label, e.geometry) for e in inspect_data_dir(root, site).epochs]
    require("distributed", "extract-series", extra="scale")
    if scheduler is None:
        cpus = int(require("dask.system", "extract-series", extra="scale").CPU_COUNT)
        workers = max(1, min(n_workers or cpus, len(todo)))
        client_cm = _local_client(workers)
    else:
        client_cm = _remote_client(scheduler, n_workers, timeout_s)
    show = sys.stderr.isatty() if progress is None else progress
    with client_cm as client:
        cluster = "local cluster" if scheduler is None else scheduler
        workers = _worker_count(client)
        futures = {}
        for i in todo:
            scene = scenes[i]
            assert scene.date is not None and scene.path is not None
            label = _label_of(scene.date)
            image = None
            if with_imagery and label is not None and label not in imaged:
                others = _box_of([g for lab, g in footprints if lab != label])
                source = f"{scene.path.name} (STAC item {scene.id} of {catalog_path.name})"
                image = (source, others)
            future = client.submit(
                _extract_on_worker,
                str(scene.path),
                site,
                date=scene.date,
                image=image,
                item=scene.id,
                bands=scene.band_names,
                default_bands=default_bands,
                sources=scene.sources,
                min_patch_m2=min_patch_m2,
                closing_m=closing_m,
                opening_m=opening_m,
                scheduler="sync",
                progress=False,
                compiled=True,  # a worker extracts scene after scene: numba pays after one
                pure=False,
                key=f"extract-scene-{i}-{os.urandom(4).hex()}",
            )
            futures[future] = i
        _add_as_completed(futures, scenes, outcomes, root, replace, show, catalog_path)
    return SeriesResult(
        catalog_path,
        root,
        cluster,
        workers,
        tuple(outcomes[i] for i in range(len(scenes))),
        time.perf_counter() - start,
    )


def _label_of(date: str) -> str | None:
    """The epoch label of a date, or None when it is not one (the batch says why)."""
    from kaesong_geo.dates import parse_epoch

    try:
        return parse_epoch(date).label
    except ValueError:
        return None


def _add_as_completed(
    futures: dict[Any, int],
    scenes: list[CatalogScene],
    outcomes: dict[int, SceneOutcome],
    root: Path,
    replace: bool,
    show: bool,
    catalog: Path,
) -> None:
    """Add the scenes' epochs in batches, as their tasks complete; fill ``outcomes``.

    Whatever has completed is one batch (:func:`~kaesong_geo.io.epochs.add_epochs`, one
    transaction); tasks completing while it is written wait for the next.
    """
    distributed = require("distributed", "extract-series", extra="scale")
    tqdm = require("tqdm").tqdm
    import geopandas as gpd

    from kaesong_geo.io.epochs import NewEpoch, SceneReference, add_epochs
    from kaesong_geo.io.scene_extract import (
        describe_extraction,
        extraction_properties,
        warn_suspect,
    )

    bar = tqdm(total=len(futures), desc="scenes", unit="scene", file=sys.stderr, disable=not show)
    with bar, tempfile.TemporaryDirectory(prefix="kaesong-geo-series-") as tmp:
        for batch in distributed.as_completed(list(futures)).batches():
            ready: list[tuple[int, NewEpoch]] = []
            for future in batch:
                i = futures.pop(future)
                scene = scenes[i]
                assert scene.date is not None and scene.path is not None
                if future.status != "finished":  # an error, or lost with its worker
                    reason = (
                        failure_reason(future.exception())
                        if future.status == "error"
                        else f"the task was {future.status} (a worker died?)"
                    )
                    outcomes[i] = SceneOutcome(scene.id, scene.date, "failed", message=reason)
                    continue
                result, prepared = future.result()
                future.release()
                warn_suspect(result.path, result.extraction)  # raised on the worker
                try:
                    props = extraction_properties(result, epoch=scene.date)
                except KaesongGeoError as exc:
                    outcomes[i] = SceneOutcome(
                        scene.id, scene.date, "failed", message=failure_reason(exc)
                    )
                    continue
                # handed to add_epochs as GeoParquet: read without parsing text (a GeoJSON
                # of the footprint took GDAL 0.1 s to list its one layer, and as much to read)
                footprint = Path(tmp) / str(i) / f"{result.path.stem}.parquet"
                footprint.parent.mkdir()
                frame = gpd.GeoDataFrame(
                    [props], geometry=[result.extraction.geometry], crs="EPSG:4326"
                )
                frame.to_parquet(footprint)
                reference = None
                if prepared is None:  # no image kept: the catalogue names the scene
                    reference = SceneReference(
                        f"{scene.path} (STAC item {scene.id} of {catalog.name})",
                        scene.path.name,
                        round(result.extraction.pixel_m, 3),
                    )
                new = NewEpoch(
                    scene.date,
                    footprint,
                    scene=prepared,
                    scene_reference=reference,
                    source=describe_extraction(result),
                    method="extracted",
                    uncertainty_m=round(result.extraction.pixel_m, 3),
                    replace_epoch=replace,
                    keep_images=True,
                )
                ready.append((i, new))
            if ready:
                try:
                    added = add_epochs(root, [new for _, new in ready])
                except KaesongGeoError as exc:  # the workspace itself: the whole batch
                    added = [exc] * len(ready)
                for (i, _), one in zip(ready, added, strict=True):
                    scene = scenes[i]
                    if isinstance(one, KaesongGeoError):
                        outcomes[i] = SceneOutcome(
                            scene.id, scene.date, "failed", message=failure_reason(one)
                        )
                    else:
                        outcomes[i] = SceneOutcome(
                            scene.id,
                            scene.date,
                            "added",
                            area_m2=one.area_m2,
                            message=one.footprint_file or "",
                            replaced=one.replaced,
                        )
            bar.update(len(batch))
