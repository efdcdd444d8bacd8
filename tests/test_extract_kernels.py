"""The compiled RGB texture equals the NumPy reference bit for bit, and is optional."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kaesong_geo.extract import rgb_texture_product, rgb_texture_product_numpy

kernels = pytest.importorskip("kaesong_geo.extract_kernels")


@settings(max_examples=80, deadline=None)
@given(
    seed=st.integers(0, 2**32 - 1),
    shape=st.tuples(st.integers(1, 48), st.integers(1, 48)),
    texture_px=st.sampled_from([3, 5, 7, 9, 11]),
    scale=st.sampled_from([1.0, 255.0, 10_000.0, 1e-3]),
    nodata=st.floats(0.0, 0.5),
    floor=st.floats(1e-6, 10.0),
)
def test_the_compiled_texture_is_the_numpy_texture(
    seed: int,
    shape: tuple[int, int],
    texture_px: int,
    scale: float,
    nodata: float,
    floor: float,
) -> None:
    # every edge case of the mirrored edges: chunks thinner than the filters, odd sizes
    rng = np.random.default_rng(seed)
    rgb = (rng.random((3, *shape)) * scale).astype(np.float32)
    rgb[:, rng.random(shape) < nodata] = np.nan
    rgb[1, rng.random(shape) < nodata / 4] = np.inf
    fill = float(scale / 2)
    fast = kernels.texture_product(rgb[0], rgb[1], rgb[2], fill, texture_px, floor)
    reference = rgb_texture_product_numpy(rgb[0], rgb[1], rgb[2], fill, texture_px, floor)
    assert fast.dtype == reference.dtype == np.float32
    assert np.array_equal(fast, reference, equal_nan=True)
    # non-contiguous views (a chunk of a larger array) give the same values
    view = rgb[:, ::-1, :]
    assert np.array_equal(
        rgb_texture_product(view[0], view[1], view[2], fill, texture_px, floor),
        rgb_texture_product_numpy(view[0], view[1], view[2], fill, texture_px, floor),
        equal_nan=True,
    )


def test_extraction_without_numba_is_the_same() -> None:
    # numba is optional: blocked, the NumPy reference gives the same footprint, byte for byte
    code = textwrap.dedent(
        """
        import sys
        if sys.argv[1] == "blocked":
            sys.modules["numba"] = None
        from kaesong_geo.extract import extract_footprint
        from kaesong_geo.site import KAESONG
        from tests.synthetic_scenes import make_scene
        bands, transform, crs, names, _ = make_scene("rgb", size=300, seed=4)
        e = extract_footprint(bands, transform, crs, names, KAESONG)
        import kaesong_geo.extract as x
        print(x._compiled_texture() is None, e.threshold, e.geometry.wkb_hex)
        """
    )
    out = {
        mode: subprocess.run(
            [sys.executable, "-c", code, mode],
            capture_output=True,
            text=True,
            check=True,
            cwd=Path(__file__).parents[1],
        ).stdout.split()
        for mode in ("blocked", "numba")
    }
    assert out["blocked"][0] == "True" and out["numba"][0] == "False"
    assert out["blocked"][1:] == out["numba"][1:]
    assert len(out["numba"][2]) > 100  # a footprint was found
