"""``kaesong-geo epochs``: list, add and remove the epochs of a workspace."""

from __future__ import annotations

import argparse
import json
import math
import shlex
from typing import TYPE_CHECKING, Any

from kaesong_geo.cli.options import (
    add_command,
    add_data_dir,
    add_provenance_options,
    number,
    user_path,
    write_stdout,
)
from kaesong_geo.errors import UsageError

if TYPE_CHECKING:
    from kaesong_geo.gcp import GCP, GcpFit
    from kaesong_geo.io.epochs import AddedEpoch, EpochListing, RemovedEpoch

HELP = "list, add or remove the epochs of a workspace (footprints, scenes, screenshots)"
EPILOG = """\
examples:
  $ kaesong-geo init ~/kaesong-data
  $ kaesong-geo epochs list --data-dir ~/kaesong-data
  $ kaesong-geo epochs add 2013-06 --footprint traced.kml --data-dir ~/kaesong-data
  $ kaesong-geo epochs add 2013-06 --imagery scene.tif --source "Maxar via ..." --data-dir ~/ws
  $ kaesong-geo epochs add 2013-06 --image shot.png --gcps shot.png.points --transform tps \\
        --footprint traced.kml --data-dir ~/kaesong-data
  $ kaesong-geo epochs remove 2013-06 --yes --data-dir ~/kaesong-data

Epochs are written only into a workspace (made by 'kaesong-geo init'), never into the
bundled data. Every change is all or nothing: a refusal, an error or an interrupt leaves the
workspace byte-for-byte as it was."""

ADD_HELP = "add an epoch: a footprint, georeferenced scenes, a screenshot with GCPs"
ADD_EPILOG = """\
footprints: GeoJSON, GeoPackage (--layer), Shapefile (.shp or zipped), GeoParquet, FlatGeobuf,
KML and KMZ as Google Earth Pro saves them (pushpins and paths beside the polygons are skipped,
with a warning naming them). Written as boundaries/DATE.geojson with their provenance.

scenes (--imagery, repeatable): any georeferenced GDAL raster; clipped to the site's footprints
plus --margin-km, written to imagery/ as a Cloud Optimized GeoTIFF with overviews and a row of
imagery/catalog.csv. An epoch may hold several images; the map shows them all with it.

screenshots (--image with --gcps FILE or --gcp PX,PY,LON,LAT ...): ground control points
from a QGIS Georeferencer .points file or a CSV (pixel_x,pixel_y,lon,lat); warped by
--transform (poly1, poly2, poly3: polynomials; tps: thin-plate spline). Every point's residual
and leave-one-out error is shown; the leave-one-out RMSE (the error between points, honest for
a spline whose residuals are zero by construction) must be at most --max-error-px, else the
screenshot is refused unless --force. It becomes the positional uncertainty of a footprint
traced on the screenshot (added in the same command) unless --uncertainty-m is given."""

REMOVE_HELP = "remove an epoch's footprint file and the images added for it"
LIST_HELP = "every epoch with its parts, area, imagery, source, method, uncertainty and flags"


def _gcp(text: str) -> GCP:
    """``PX,PY,LON,LAT`` as a ground control point.

    Examples
    --------
    >>> _gcp("812,430,126.6321,37.9301")
    GCP(px=812.0, py=430.0, lon=126.6321, lat=37.9301)
    """
    from kaesong_geo.gcp import GCP

    parts = [p.strip() for p in text.split(",")]
    try:
        values = [float(p) for p in parts]
    except ValueError:
        values = []
    if len(values) != 4 or not all(math.isfinite(v) for v in values):
        raise argparse.ArgumentTypeError(
            f"{text!r} is not PX,PY,LON,LAT (pixel column, row, WGS 84 longitude, latitude)"
        )
    px, py, lon, lat = values
    if not (-180 <= lon <= 360 and -90 <= lat <= 90):
        raise argparse.ArgumentTypeError(f"{text!r}: LON,LAT out of range (swapped?)")
    return GCP(px, py, lon, lat)


def register(sub: Any) -> None:
    """Add the command to the subparsers ``sub``."""
    parser = add_command(sub, "epochs", HELP, EPILOG)
    actions = parser.add_subparsers(dest="action", metavar="ACTION")

    listing = add_command(actions, "list", LIST_HELP, "")
    add_data_dir(listing)
    listing.add_argument("--format", choices=["table", "json"], default="table")
    listing.set_defaults(run=run_list)

    add = add_command(actions, "add", ADD_HELP, ADD_EPILOG)
    # One short usage line above an error (the full list is in -h).
    add.usage = "%(prog)s DATE [--footprint FILE] [--imagery FILE] [--image FILE --gcps FILE] ..."
    add.add_argument("date", metavar="DATE", help="the epoch: YYYY, YYYY-MM or YYYY-MM-DD")
    add_data_dir(add)
    add.add_argument("--footprint", metavar="FILE", type=user_path, help="footprint file")
    add.add_argument(
        "--layer", metavar="NAME", help="layer of a GeoPackage (or other file with several)"
    )
    add.add_argument(
        "--imagery",
        metavar="FILE",
        type=user_path,
        action="append",
        default=[],
        help="a georeferenced scene (repeat for several)",
    )
    add.add_argument("--image", metavar="FILE", type=user_path, help="a screenshot (PNG, JPEG)")
    add.add_argument(
        "--gcps", metavar="FILE", type=user_path, help="its GCPs: QGIS .points file or CSV"
    )
    add.add_argument(
        "--gcp",
        metavar="PX,PY,LON,LAT",
        type=_gcp,
        action="append",
        default=[],
        help="a ground control point (repeat; with or instead of --gcps)",
    )
    add.add_argument(
        "--transform",
        choices=["poly1", "poly2", "poly3", "tps"],
        default="poly1",
        help="screenshot transform (default: poly1, affine)",
    )
    add.add_argument(
        "--max-error-px",
        metavar="PX",
        type=number(),
        default=None,
        help="refuse a screenshot whose leave-one-out RMSE exceeds this (default: 3 px)",
    )
    add.add_argument("--force", action="store_true", help="add a screenshot despite its error")
    add.add_argument(
        "--source",
        metavar="TEXT",
        help="where the footprint comes from (the images too, when no footprint is given)",
    )
    add.add_argument(
        "--image-source", metavar="TEXT", help="where the images come from (scene, screenshot)"
    )
    add.add_argument("--method", choices=["traced", "extracted", "reconstructed"])
    add.add_argument(
        "--uncertainty-m",
        metavar="M",
        type=number(),
        help="positional uncertainty of the footprint, m",
    )
    add_provenance_options(add, "the images")
    add.add_argument(
        "--margin-km",
        metavar="KM",
        type=number(),
        default=None,
        help="keep this much of a scene around the site's footprints (default: 1)",
    )
    add.add_argument("--replace", action="store_true", help="replace the epoch's footprint")
    add.add_argument(
        "--traced-on",
        metavar="IMAGE",
        help="the image the footprint was traced on: a catalogue id, a file added with it, or "
        "'none' (default: the screenshot added with it, else its only scene)",
    )
    add.set_defaults(run=run_add)

    remove = add_command(actions, "remove", REMOVE_HELP, "")
    remove.add_argument("date", metavar="DATE")
    add_data_dir(remove)
    remove.add_argument("--yes", action="store_true", help="do it (without: list what would go)")
    remove.add_argument(
        "--keep-imagery", action="store_true", help="keep the epoch's images and their rows"
    )
    remove.add_argument(
        "--image", metavar="ID", help="remove only this image (catalogue id or file name)"
    )
    remove.set_defaults(run=run_remove)
    parser.set_defaults(run=_no_action, epochs_parser=parser)


def _no_action(args: argparse.Namespace) -> int:
    raise UsageError("epochs needs an action: list, add or remove (see kaesong-geo epochs -h)")


# -- list ---------------------------------------------------------------------------------------
def _area(m2: float) -> str:
    return f"{m2 / 1e6:,.3f} km²" if m2 >= 1e5 else f"{m2 / 1e4:,.2f} ha"


def _listing_json(rows: list[EpochListing]) -> str:
    return (
        json.dumps(
            [
                {
                    "epoch": r.label,
                    "parts": r.parts,
                    "area_m2": None if r.area_m2 is None else round(r.area_m2, 1),
                    "files": list(r.files),
                    "imagery": [
                        {"id": i.id, "date": i.date.label, "file": i.file or None} for i in r.images
                    ],
                    "traced_on": list(r.imagery_ids),
                    "sources": list(r.sources),
                    "methods": list(r.methods),
                    "uncertainty_m": r.uncertainty_m,
                    "flags": list(r.flags),
                }
                for r in rows
            ],
            indent=1,
            ensure_ascii=False,
        )
        + "\n"
    )


def _listing_table(rows: list[EpochListing]) -> str:
    from kaesong_geo.render import terminal_safe

    if not rows:
        return "no epochs yet: add one with 'kaesong-geo epochs add DATE --footprint FILE'\n"
    out = []
    for r in rows:
        if r.area_m2 is None:
            ids = ", ".join(i.id or i.file for i in r.images)
            out.append(f"{r.label}  no footprint yet, images only: {ids}")
            continue
        unc = "unknown" if r.uncertainty_m is None else f"±{r.uncertainty_m:.3g} m"
        images = ", ".join(
            (i.id or i.file or i.provider) + ("" if i.file else " (not in the folder)")
            for i in r.images
        )
        out.append(
            f"{r.label}  {r.parts} part{'s' if r.parts != 1 else ''}, {_area(r.area_m2)}, "
            f"{', '.join(r.methods)}, uncertainty {unc}"
            + (f"  [{', '.join(r.flags)}]" if r.flags else "")
        )
        out.append(f"    files:   {', '.join(r.files)}")
        out.append(f"    imagery: {images or 'none catalogued'}")
        for s in r.sources:
            out.append(f"    source:  {s if len(s) <= 110 else s[:107] + '...'}")
    return terminal_safe("\n".join(out)) + "\n"


def run_list(args: argparse.Namespace) -> int:
    """Run ``epochs list``."""
    from kaesong_geo.io.epochs import list_epochs

    rows = list_epochs(args.data_dir)
    write_stdout(_listing_json(rows) if args.format == "json" else _listing_table(rows))
    return 0


# -- add ----------------------------------------------------------------------------------------
def _fit_lines(fit: GcpFit) -> list[str]:
    lines = [
        f"    {len(fit.points)} ground control points, {fit.transform}: RMSE {fit.rmse_m:.2f} m "
        f"({fit.rmse_px:.2f} px)"
        + (
            f", leave-one-out RMSE {fit.loo_rmse_m:.2f} m ({fit.loo_rmse_px:.2f} px)"
            if fit.loo_rmse_m is not None and fit.loo_rmse_px is not None
            else ", leave-one-out error unknown (too few points)"
        ),
        "    point   pixel x   pixel y   residual m   px   leave-one-out m   px",
    ]
    worst = fit.worst()
    for k, p in enumerate(fit.points, start=1):
        loo = (
            f"{p.loo_m:17.2f} {p.loo_px:6.2f}"
            if p.loo_m is not None and p.loo_px is not None
            else f"{'–':>17} {'–':>6}"
        )
        mark = "  <- worst" if p is worst and len(fit.points) > 1 else ""
        lines.append(
            f"    {k:5d} {p.gcp.px:9.1f} {p.gcp.py:9.1f} {p.residual_m:12.2f} "
            f"{p.residual_px:5.2f} {loo}{mark}"
        )
    return lines


def _added_text(result: AddedEpoch) -> str:
    from kaesong_geo.render import terminal_safe

    n = len(result.images)
    images = f"{n} image{'s' if n != 1 else ''}"
    if result.footprint_file:
        verb = "replaced" if result.replaced else "added"
        head = f"{verb} epoch {result.label} in {result.data_dir}"
    elif result.area_m2 is not None:  # images of an epoch that has its footprint
        head = f"added {images} to epoch {result.label} in {result.data_dir}"
    else:
        head = f"catalogued {images} of {result.label} in {result.data_dir} (no epoch yet)"
    lines = [head]
    if result.footprint_file:
        fps = result.footprints
        traced = {f.imagery for f in fps if f.imagery}
        unc = {f.uncertainty_m for f in fps}
        known = sorted(u for u in unc if u is not None)
        unc_text = (
            "uncertainty unknown (give --uncertainty-m, or --traced-on the image it was traced on)"
            if None in unc
            else "uncertainty ±" + "/".join(f"{u:.3g}" for u in known) + " m"
        )
        lines.append(
            f"  footprint  {result.footprint_file}: {len(fps)} part{'s' if len(fps) != 1 else ''}"
            + (f", {_area(result.area_m2)}" if result.area_m2 is not None else "")
            + f", {unc_text}"
            + (
                f", traced on {', '.join(sorted(traced))} (--traced-on to say otherwise)"
                if traced
                else ""
            )
        )
    for im in result.images:
        info = im.info
        lines.append(
            f"  {im.kind:<10} imagery/{im.file} (id {im.id}): {info.width:,} x {info.height:,} px, "
            f"{info.resolution_m:.2f} m, {info.crs}, overviews "
            + (" ".join(str(o) for o in info.overviews) or "none")
        )
        if im.fit is not None:
            lines += _fit_lines(im.fit)
    if result.referenced:
        lines.append(
            f"  scene      not kept; imagery/catalog.csv names it (id {result.referenced}) "
            "without a file"
        )
    # Skipped placemarks are named by the warning on standard error, as in every command.
    if result.footprint_file is None and result.area_m2 is None:  # images of a date only
        lines.append(
            f"  no footprint for {result.label} yet: add one with 'kaesong-geo epochs add "
            f"{result.label} --footprint FILE --data-dir {shlex.quote(str(result.data_dir))}'"
        )
    lines.append(f"next: kaesong-geo growth --data-dir {shlex.quote(str(result.data_dir))}")
    return terminal_safe("\n".join(lines)) + "\n"


def run_add(args: argparse.Namespace) -> int:
    """Run ``epochs add``."""
    from kaesong_geo.io.epochs import DEFAULT_MAX_ERROR_PX, add_epoch

    if (args.gcps or args.gcp) and not args.image:
        raise UsageError("--gcps/--gcp need the screenshot they belong to: --image FILE")
    if args.layer is not None and not args.footprint:
        raise UsageError("--layer chooses a layer of --footprint FILE; give --footprint")
    result = add_epoch(
        args.data_dir,
        args.date,
        footprint=args.footprint,
        layer=args.layer,
        imagery=args.imagery,
        image=args.image,
        gcps_file=args.gcps,
        gcps=args.gcp,
        transform=args.transform,
        max_error_px=DEFAULT_MAX_ERROR_PX if args.max_error_px is None else args.max_error_px,
        force=args.force,
        source=args.source,
        method=args.method,
        uncertainty_m=args.uncertainty_m,
        provider=args.provider,
        image_source=args.image_source,
        licence=args.licence,
        redistributable=args.redistributable,
        replace_epoch=args.replace,
        traced_on_given=args.traced_on,
        margin_km=args.margin_km,
    )
    write_stdout(_added_text(result))
    return 0


# -- remove -------------------------------------------------------------------------------------
def _removed_text(result: RemovedEpoch) -> str:
    from kaesong_geo.render import terminal_safe

    files = "\n".join(f"  {p}" for p in result.removed)
    if result.catalog_rows:
        rows = result.catalog_rows
        files += f"\n  {rows} row{'s' if rows != 1 else ''} of imagery/catalog.csv"
    footprint = any(p.startswith("boundaries/") for p in result.removed)
    what = f"epoch {result.label}" if footprint else f"images of {result.label}"
    verb = "removed" if result.done else "would remove"
    return terminal_safe(f"{verb} {what} from {result.data_dir}:\n{files}") + "\n"


def run_remove(args: argparse.Namespace) -> int:
    """Run ``epochs remove``."""
    from kaesong_geo.io.epochs import remove_epoch

    if args.image is not None and args.keep_imagery:
        raise UsageError("--image removes one image; --keep-imagery keeps them: give one")
    result = remove_epoch(
        args.data_dir, args.date, yes=args.yes, keep_imagery=args.keep_imagery, image=args.image
    )
    write_stdout(_removed_text(result))
    if not result.done:
        raise UsageError("nothing removed: add --yes to remove these files")
    return 0
