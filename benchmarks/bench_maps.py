"""Size and build time of the self-contained map and the report, against the `import folium` floor.

All three are timed in the same run, interleaved, as separate processes with the same Python.
Goal: the self-contained map of the bundled data (no imagery) stays under 1.5 MB.

    python benchmarks/bench_maps.py [--repeat 5]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

SIZE_GOAL_BYTES = 1_500_000


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    out = Path(tempfile.mkdtemp())
    cli = [sys.executable, "-m", "kaesong_geo.cli"]
    cases = {
        "floor: python -c 'import folium'": [sys.executable, "-c", "import folium"],
        "kaesong-geo map --self-contained": [
            *cli,
            "map",
            "--self-contained",
            "--overwrite",
            "-o",
            str(out / "map.html"),
        ],
        "kaesong-geo map (CDN links)": [*cli, "map", "--overwrite", "-o", str(out / "online.html")],
        "kaesong-geo report": [*cli, "report", "--overwrite", "-o", str(out / "report.html")],
    }
    times: dict[str, list[float]] = {name: [] for name in cases}
    for cmd in cases.values():  # warm-up
        subprocess.run(cmd, check=True, capture_output=True)
    for _ in range(args.repeat):
        for name, cmd in cases.items():
            start = time.perf_counter()
            subprocess.run(cmd, check=True, capture_output=True)
            times[name].append(time.perf_counter() - start)
    floor = statistics.median(times["floor: python -c 'import folium'"])
    width = max(map(len, cases))
    print(f"{'case':<{width}}  median s  x floor  (n={args.repeat})")
    for name in cases:
        med = statistics.median(times[name])
        print(f"{name:<{width}}  {med:8.3f}  {med / floor:6.2f}x")
    print()
    sizes = {p.name: p.stat().st_size for p in sorted(out.glob("*.html"))}
    for name, size in sizes.items():
        print(f"{name:<12} {size / 1e6:6.3f} MB")
    ok = sizes["map.html"] < SIZE_GOAL_BYTES
    verdict = "met" if ok else "MISSED"
    print(f"\nself-contained map {sizes['map.html'] / 1e6:.3f} MB; goal < 1.5 MB: {verdict}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
