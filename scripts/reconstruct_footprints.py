"""Rebuild the shipped approximate footprints in data/boundaries/ from documented figures.

Nobody on this project could see the 2004/2006/2009 Google Earth images, so the shipped
footprints are *reconstructions*, not tracings: rectangles in UTM zone 52N placed at the
documented location and sized so that their geodesic areas equal the documented areas.

* Location: the centre of phase 1 is the mean of four published points (Wikipedia's
  coordinates of the Kaesong Industrial Region, and three hand-placed map markers: the
  complex, the Pyonghwa substation and a tenant factory). The pilot complex is centred on
  the complex's map marker. Both are schematic: the true outline is unknown, hence the
  positional uncertainty of several hundred metres recorded on every polygon.
* 2004-04: the pilot complex, 28,000 pyeong = 92,562 m², under construction (completed
  2004-06-30).
* 2009-09: phase 1, 3.3 km² (1,000,000 pyeong), works finished June 2007.
* 2006-01: the finished pilot complex plus an *estimated* area under construction. No
  figure is documented for January 2006; the total is interpolated linearly in time between
  the pilot's completion (2004-06-30, 92,562 m²) and phase 1's completion (2007-06-30,
  3.3 km²), drawn as the southern band of the phase-1 rectangle around the pilot.

Run: python scripts/reconstruct_footprints.py [OUTPUT_DIR]   (default data/boundaries)
"""

from __future__ import annotations

import datetime as dt
import json
import math
import sys
from pathlib import Path

import numpy as np
import shapely
from pyproj import Transformer
from shapely.geometry import Polygon, box, mapping
from shapely.geometry.polygon import orient

from kaesong_geo.measure import geodesic_area_m2

UTM = 32652
TO_UTM = Transformer.from_crs("EPSG:4326", f"EPSG:{UTM}", always_xy=True)
TO_LONLAT = Transformer.from_crs(f"EPSG:{UTM}", "EPSG:4326", always_xy=True)
PYEONG_M2 = 400 / 121

ANCHORS = {  # lon, lat, source (data-brief "Location")
    "Kaesong Industrial Region": (126.6333, 37.9333, 'Wikipedia "Kaesong Industrial Region"'),
    "개성공업지구 map marker": (126.63468, 37.92713, "public map-marker data file"),
    "평화변전소 (Pyonghwa substation)": (126.62565, 37.92935, "public map-marker data file"),
    "개성부천공업 (tenant factory)": (126.63647, 37.92945, "public map-marker data file"),
}
PILOT_M2 = 28_000 * PYEONG_M2  # 92,562 m²
PHASE1_M2 = 3.3e6
PILOT_DONE = dt.date(2004, 6, 30)
PHASE1_DONE = dt.date(2007, 6, 30)
EPOCH_2006 = dt.date(2006, 1, 15)  # 2006-01 placed on the 15th
ASPECT = 4 / 3  # width (E-W) over height (N-S) of the phase-1 rectangle; schematic

SRC_LOCATION = (
    "Location: mean of Wikipedia 'Kaesong Industrial Region' (37.9333, 126.6333) and "
    "public map markers of the complex (37.92713, 126.63468), the Pyonghwa substation "
    "(37.92935, 126.62565) and a tenant factory (37.92945, 126.63647)"
)
SRC_PILOT = (
    "Area: pilot complex 28,000 pyeong (nk.chosun.com idxno=56457; JoongAng 424843); "
    "completed 2004-06-30 (Dong-A 2004-06-29). "
)
SRC_PHASE1 = "Area: phase 1 3.3 km² (1,000,000 pyeong), works finished June 2007 (etoday 142576). "


def lonlat_to_utm(lon: float, lat: float) -> tuple[float, float]:
    x, y = TO_UTM.transform(lon, lat)
    return float(x), float(y)


def to_lonlat(poly: Polygon) -> Polygon:
    return shapely.transform(poly, lambda xy: np.column_stack(TO_LONLAT.transform(*xy.T)))


def rounded(poly: Polygon) -> Polygon:
    def r(ring):  # type: ignore[no-untyped-def]
        return [(round(x, 7), round(y, 7)) for x, y in ring.coords]

    return orient(Polygon(r(poly.exterior), [r(h) for h in poly.interiors]), 1.0)


def sized_rectangle(cx: float, cy: float, aspect: float, target_m2: float) -> Polygon:
    """Axis-aligned UTM rectangle centred on (cx, cy) whose geodesic area is target_m2."""
    scale = 1.0
    for _ in range(4):
        h = math.sqrt(target_m2 / aspect) * scale
        w = h * aspect
        rect = box(cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2)
        scale *= math.sqrt(target_m2 / geodesic_area_m2(to_lonlat(rect)))
    return rect


def band_with_union_area(phase1: Polygon, pilot: Polygon, target_m2: float) -> Polygon:
    """Southern band of phase1 whose union with pilot has geodesic area target_m2."""
    minx, miny, maxx, maxy = phase1.bounds
    lo, hi = 0.0, maxy - miny
    for _ in range(60):
        mid = (lo + hi) / 2
        union = box(minx, miny, maxx, miny + mid).union(pilot)
        if geodesic_area_m2(to_lonlat(union)) < target_m2:
            lo = mid
        else:
            hi = mid
    return box(minx, miny, maxx, miny + hi)


def feature(poly: Polygon, **props: object) -> dict:
    return {"type": "Feature", "properties": props, "geometry": mapping(rounded(to_lonlat(poly)))}


def build() -> dict[str, dict]:
    xs, ys = zip(*(lonlat_to_utm(lon, lat) for lon, lat, _ in ANCHORS.values()), strict=True)
    cx, cy = sum(xs) / len(xs), sum(ys) / len(ys)
    px, py = lonlat_to_utm(*ANCHORS["개성공업지구 map marker"][:2])
    phase1 = sized_rectangle(cx, cy, ASPECT, PHASE1_M2)
    pilot = sized_rectangle(px, py, 1.0, PILOT_M2)
    share = (EPOCH_2006 - PILOT_DONE).days / (PHASE1_DONE - PILOT_DONE).days
    target_2006 = PILOT_M2 + share * (PHASE1_M2 - PILOT_M2)
    band = band_with_union_area(phase1, pilot, target_2006).difference(pilot)
    assert isinstance(band, Polygon) and len(band.interiors) == 1, "pilot must lie inside band"
    common = {"method": "reconstructed"}
    pilot_props = {
        "name": "Pilot complex (시범단지)",
        "reference_area_m2": round(PILOT_M2, 1),
        "uncertainty_m": 500,
        "area_uncertainty_pct": 10,
        "estimated": False,
        **common,
    }
    return {
        "2004-04": fc(
            [
                feature(
                    pilot,
                    epoch="2004-04",
                    **{"class": "under construction"},
                    **pilot_props,
                    source=SRC_PILOT + SRC_LOCATION,
                    note=(
                        "Approximate reconstruction, not traced from imagery: a square of the "
                        "documented pilot-complex area centred on the complex's map marker. The "
                        "April 2004 image may show wider graded land (phase-1 site works began "
                        "2003-06-30); only the pilot complex is represented."
                    ),
                )
            ]
        ),
        "2006-01": fc(
            [
                feature(
                    pilot,
                    epoch="2006-01",
                    **{"class": "developed"},
                    **pilot_props,
                    source=SRC_PILOT + SRC_LOCATION,
                    note="Approximate reconstruction: the finished pilot complex, as in 2004-04.",
                ),
                feature(
                    band,
                    epoch="2006-01",
                    **{"class": "under construction"},
                    name="Phase 1 works in progress (estimated)",
                    method="reconstructed",
                    reference_area_m2=None,
                    uncertainty_m=700,
                    area_uncertainty_pct=50,
                    estimated=True,
                    source=(
                        "Estimate, no documented figure: total interpolated linearly in time "
                        "between pilot completion (2004-06-30, Dong-A 2004-06-29) and phase-1 "
                        "completion (2007-06, etoday 142576). " + SRC_LOCATION
                    ),
                    note=(
                        f"ESTIMATED. Union with the pilot complex sized to {target_2006:,.0f} m² "
                        f"({share:.3f} of the way from pilot to phase 1 at 2006-01-15); drawn as "
                        "the southern band of the phase-1 rectangle. Replace with a tracing of "
                        "the January 2006 image."
                    ),
                ),
            ]
        ),
        "2009-09": fc(
            [
                feature(
                    phase1,
                    epoch="2009-09",
                    **{"class": "developed"},
                    name="Phase 1",
                    method="reconstructed",
                    reference_area_m2=PHASE1_M2,
                    uncertainty_m=500,
                    area_uncertainty_pct=10,
                    estimated=False,
                    source=SRC_PHASE1 + SRC_LOCATION,
                    note=(
                        "Approximate reconstruction, not traced from imagery: a 4:3 rectangle "
                        "(UTM 52N) of the documented phase-1 area centred on the mean of the "
                        "published points. The real outline is irregular."
                    ),
                )
            ]
        ),
    }


def fc(features: list[dict]) -> dict:
    return {"type": "FeatureCollection", "features": features}


def dumps(collection: dict) -> str:
    """GeoJSON text with readable properties and one line of coordinates per feature."""
    features = []
    for f in collection["features"]:
        props = json.dumps(f["properties"], ensure_ascii=False, indent=2).replace("\n", "\n  ")
        geom = json.dumps(f["geometry"])
        features.append(f'  {{"type": "Feature",\n  "properties": {props},\n  "geometry": {geom}}}')
    return '{"type": "FeatureCollection", "features": [\n' + ",\n".join(features) + "\n]}\n"


def main(out: Path) -> None:
    for epoch, collection in build().items():
        text = dumps(collection)
        assert json.loads(text) == json.loads(json.dumps(collection))
        (out / f"{epoch}.geojson").write_text(text, encoding="utf-8")
        print(f"wrote {out / f'{epoch}.geojson'}")


if __name__ == "__main__":
    main(
        Path(sys.argv[1])
        if len(sys.argv) > 1
        else Path(__file__).parents[1] / "data" / "boundaries"
    )
