"""``kaesong-geo extract-series CATALOG``: every scene of a STAC catalog, extracted on Dask."""

from __future__ import annotations

import argparse
import json
import sys
from typing import TYPE_CHECKING, Any

from kaesong_geo.cli.options import (
    add_command,
    add_data_dir,
    band_list,
    number,
    user_path,
    whole_number,
    write_stdout,
)

if TYPE_CHECKING:
    from kaesong_geo.io.series import SeriesResult

HELP = "extract every scene of a STAC catalog on Dask and add each as an epoch"
EPILOG = """\
examples:
  $ kaesong-geo extract-series scenes/catalog.json --data-dir ~/kaesong-data
  $ kaesong-geo extract-series scenes/catalog.json --data-dir ~/ws --scheduler tcp://host:8786
  $ kaesong-geo extract-series scenes/ --data-dir ~/ws --replace --format json
  $ kaesong-geo extract-series scenes/ --data-dir ~/ws --bands B02,B03,B04,B08,B11

CATALOG: a local STAC catalog.json or collection.json (or a folder holding one); each item is
a scene: its datetime (else start_datetime) is the epoch's day, its asset with the role
'data' (else its only image asset) the file, eo:bands (common_name, else name) the band
names, else the file's band descriptions, else --bands (e.g. --bands B02,B03,B04,B08,B11 for
stacks written without names), else red/green/blue from the file's colour interpretation.
Remote assets (http, s3) are refused: no network.

Without --scheduler the scenes are extracted on a local Dask cluster, one worker process per
CPU (--workers N to choose). With --scheduler tcp://host:8786, on a running cluster
('dask scheduler', then 'dask worker tcp://host:8786 --nthreads 1' on each machine, with
kaesong-geo[scale] installed): the workers read the scene files, so their paths must be the
same on every machine (a shared file system). The worker that extracts a scene also clips it
into the epoch's image; the scenes done are added as epochs (method extracted) in batches, one
transaction each; a scene that fails or is refused is reported and the others are kept
(Ctrl-C undoes only the batch being written). An epoch already in the workspace is skipped
(--replace: extracted again, its footprint replaced, its images kept).

exit codes: 0 every scene added (or skipped: already there); 1 a scene failed, the catalog
cannot be read, or the scheduler cannot be reached or has no workers; 2 bad usage (a
malformed scheduler address, the bundled data, a missing data directory)."""

FORMATS = ("table", "json")


def register(sub: Any) -> None:
    """Add the command to the subparsers ``sub``."""
    parser = add_command(sub, "extract-series", HELP, EPILOG)
    parser.add_argument(
        "catalog", metavar="CATALOG", type=user_path, help="STAC catalog.json or collection.json"
    )
    add_data_dir(parser)
    parser.add_argument(
        "--scheduler",
        metavar="ADDRESS",
        help="a running Dask scheduler, e.g. tcp://host:8786 (default: a local cluster)",
    )
    parser.add_argument(
        "--workers",
        metavar="N",
        type=whole_number(1),
        help="workers of the local cluster (default: one per CPU); with --scheduler, the "
        "number of workers to wait for (default 1)",
    )
    parser.add_argument(
        "--timeout",
        metavar="SECONDS",
        type=number(above=True, unit="seconds"),
        default=10.0,
        help="wait this long for the scheduler and its workers (default: 10)",
    )
    parser.add_argument(
        "--bands",
        metavar="B1,B2,...",
        type=band_list,
        help="one name per band, for the scenes whose bands neither the STAC item (eo:bands) "
        "nor the file (band descriptions) names, e.g. B02,B03,B04,B08,B11",
    )
    parser.add_argument(
        "--replace",
        action="store_true",
        help="extract the epochs already in the workspace again and replace their footprints",
    )
    parser.add_argument(
        "--no-imagery",
        action="store_true",
        help="add the footprints only, not the scenes clipped to the site (imagery/catalog.csv "
        "names each scene, its path and item, without a file)",
    )
    parser.add_argument(
        "-f", "--format", choices=FORMATS, default="table", help="output format (default: table)"
    )
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    """Run the command."""
    from kaesong_geo.deps import SCALE_MODULES, require_all

    require_all(SCALE_MODULES, "extract-series", "scale")
    from kaesong_geo.io.series import extract_series
    from kaesong_geo.render import terminal_safe

    result = extract_series(
        args.catalog,
        args.data_dir,
        scheduler=args.scheduler,
        n_workers=args.workers,
        replace=args.replace,
        with_imagery=not args.no_imagery,
        band_names=args.bands,
        timeout_s=args.timeout,
    )
    write_stdout(_json(result) if args.format == "json" else _table(result))
    for scene in result.scenes:
        if scene.status == "failed":
            line = f"kaesong-geo: error: scene {scene.id} ({scene.date}): {scene.message}"
            print(terminal_safe(line, one_line=True), file=sys.stderr)
    return 0 if result.ok else 1


def _area(m2: float | None) -> str:
    return "" if m2 is None else f"{m2 / 1e4:,.2f}"


def _table(result: SeriesResult) -> str:
    """One row per scene (status, epoch, item, area in ha, what or why), then the counts."""
    from kaesong_geo.render import terminal_safe

    where = (
        f"on {result.cluster} ({result.workers} worker{'s' if result.workers != 1 else ''})"
        if result.workers
        else "(nothing to extract)"
    )
    head = (
        f"{len(result.scenes)} scene{'s' if len(result.scenes) != 1 else ''} of "
        f"{result.catalog} into {result.data_dir} {where}, {result.seconds:.1f} s"
    )
    rows = [("status", "epoch", "item", "area (ha)", "")]
    for s in result.scenes:
        status = "replaced" if s.replaced else s.status
        rows.append((status, s.date or "-", s.id, _area(s.area_m2), s.message))
    widths = [max(len(r[k]) for r in rows) for k in range(4)]
    lines = [head, ""]
    for r in rows:
        lines.append(
            f"{r[0]:<{widths[0]}}  {r[1]:<{widths[1]}}  {r[2]:<{widths[2]}}  "
            f"{r[3]:>{widths[3]}}  {r[4]}".rstrip()
        )
    c = result.counts
    replaced = sum(1 for s in result.scenes if s.replaced)
    added = f"{c['added']} added" + (f" ({replaced} of them replaced)" if replaced else "")
    lines += ["", f"{added}, {c['skipped']} skipped, {c['failed']} failed"]
    return "\n".join(terminal_safe(line, one_line=True) for line in lines) + "\n"


def _json(result: SeriesResult) -> str:
    """One object (schema_version 1): the run, its counts and one entry per scene."""
    doc = {
        "schema_version": 1,
        "catalog": str(result.catalog),
        "data_dir": str(result.data_dir),
        "cluster": result.cluster or None,
        "workers": result.workers,
        "seconds": round(result.seconds, 3),
        **result.counts,
        "scenes": [
            {
                "id": s.id,
                "epoch": s.date,
                "status": s.status,
                "replaced": s.replaced,
                "area_m2": None if s.area_m2 is None else round(s.area_m2, 1),
                "message": s.message,
            }
            for s in result.scenes
        ],
    }
    return json.dumps(doc, indent=1, ensure_ascii=False) + "\n"
