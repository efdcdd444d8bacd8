"""Time `kaesong-geo growth` as a whole process against the `import geopandas` floor.

Both are measured in the same run, interleaved, as separate processes with the same Python,
so the ratio is independent of how fast this machine is. Goal: growth <= 1.3x the floor.

    python benchmarks/bench_growth.py [--repeat 9]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time

GOAL = 1.3

CASES = {
    "floor: python -c 'import geopandas'": [sys.executable, "-c", "import geopandas"],
    "kaesong-geo growth": [sys.executable, "-m", "kaesong_geo.cli", "growth"],
    "kaesong-geo growth --format json": [
        sys.executable,
        "-m",
        "kaesong_geo.cli",
        "growth",
        "--format",
        "json",
    ],
    "start-up floor: python -c pass": [sys.executable, "-c", "pass"],
    "kaesong-geo --help": [sys.executable, "-m", "kaesong_geo.cli", "--help"],
}


def once(cmd: list[str]) -> float:
    start = time.perf_counter()
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - start


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=9)
    args = parser.parse_args()
    for cmd in CASES.values():  # warm the file cache
        once(cmd)
    times: dict[str, list[float]] = {name: [] for name in CASES}
    for _ in range(args.repeat):
        for name, cmd in CASES.items():
            times[name].append(once(cmd))
    med = {name: statistics.median(t) for name, t in times.items()}
    width = max(map(len, CASES))
    print(f"{'case':<{width}}  median s   min s  (n={args.repeat})")
    for name in CASES:
        print(f"{name:<{width}}  {med[name]:8.3f}  {min(times[name]):6.3f}")
    names = list(CASES)
    ratio = med[names[1]] / med[names[0]]
    ratio_json = med[names[2]] / med[names[0]]
    ratio_help = med[names[4]] / med[names[3]]
    print(
        f"\ngrowth / import-geopandas floor: {ratio:.2f}x (json {ratio_json:.2f}x); goal <= {GOAL}x"
    )
    print(f"--help / bare python start-up:    {ratio_help:.2f}x")
    return 0 if ratio <= GOAL else 1


if __name__ == "__main__":
    sys.exit(main())
