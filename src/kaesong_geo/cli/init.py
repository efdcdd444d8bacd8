"""``kaesong-geo init``: make a writable workspace (a data directory)."""

from __future__ import annotations

import argparse
import shlex
from typing import Any

from kaesong_geo.cli.options import add_command, user_path
from kaesong_geo.errors import UsageError

HELP = "make a writable workspace: a copy of the bundled data, or an empty one for another site"
EPILOG = """\
examples:
  $ kaesong-geo init ~/kaesong-data            # the bundled Kaesong data, writable
  $ kaesong-geo validate --data-dir ~/kaesong-data
  $ kaesong-geo init ~/durban --site "Durban test zone" --lon 31.03 --lat -29.86 --radius-km 15
  $ kaesong-geo init ~/rason --site "Rason Economic Zone" --short-name Rason --lon 130.3 --lat 42.3

DIR must not exist (or be an empty folder); its parent must exist. The workspace is built
beside DIR and renamed into place, so a failure leaves nothing behind. An empty workspace
holds site.toml, boundaries/ (add one footprint file per imagery epoch) and
imagery/catalog.csv (header only); economy/ is optional and left out."""


def register(sub: Any) -> None:
    """Add the command to the subparsers ``sub``."""
    parser = add_command(sub, "init", HELP, EPILOG)
    parser.add_argument("dir", metavar="DIR", type=user_path, help="the new workspace folder")
    parser.add_argument("--site", metavar="NAME", help="name of another site (empty workspace)")
    parser.add_argument(
        "--short-name",
        metavar="SHORT",
        help="its short name, for the labels of maps of several sites (default: NAME)",
    )
    parser.add_argument("--lon", type=float, help="its reference longitude, WGS 84 degrees")
    parser.add_argument("--lat", type=float, help="its reference latitude, WGS 84 degrees")
    parser.add_argument(
        "--radius-km",
        type=float,
        help="footprints must lie within this distance of the point (default: 20)",
    )
    parser.add_argument("--source", default="", help="where the reference point comes from")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    """Run the command."""
    from kaesong_geo.io.workspace import make_workspace
    from kaesong_geo.render import terminal_safe
    from kaesong_geo.site import Site

    site = None
    given = [f"--{k}" for k in ("lon", "lat") if getattr(args, k) is not None]
    if args.site is None:
        others = {"--radius-km": args.radius_km, "--source": args.source or None}
        others["--short-name"] = args.short_name
        given_any = given + [k for k, v in others.items() if v is not None]
        if given_any:
            raise UsageError(
                f"{given_any[0]} describes another site: give --site NAME, --lon and --lat "
                "(without them, init copies the bundled Kaesong data)"
            )
    else:
        if len(given) < 2:
            raise UsageError("--site needs --lon and --lat (the site's reference point)")
        if args.short_name is not None and not args.short_name.strip():
            raise UsageError("--short-name is empty; leave it out to use the site's name")
        try:
            site = Site.at(
                args.site,
                args.lon,
                args.lat,
                **({} if args.radius_km is None else {"radius_km": args.radius_km}),
                reference_source=args.source or "given to kaesong-geo init",
                short_name=args.short_name or "",
            )
        except ValueError as exc:
            message = str(exc).replace("radius_km", "--radius-km")
            message = message.replace("name is empty", "--site is empty")
            for key in ("lon", "lat"):  # name the option, as for the others
                if message.startswith(key + " "):
                    message = "--" + message
            raise UsageError(message) from None
    path = make_workspace(args.dir, site)
    if site is None:
        what = "a copy of the bundled Kaesong data"
    else:
        what = f"an empty workspace for {site.name} (UTM {site.utm_zone}, EPSG:{site.utm_epsg})"
    print(terminal_safe(f"made {path}: {what}"))
    print(terminal_safe(f"next: kaesong-geo validate --data-dir {shlex.quote(str(path))}"))
    return 0
