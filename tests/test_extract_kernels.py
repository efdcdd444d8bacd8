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

from kaesong_geo.extract import (
    StoredBands,
    local_classes,
    rgb_texture_product,
    rgb_texture_product_numpy,
)

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


@settings(max_examples=60, deadline=None)
@given(
    seed=st.integers(0, 2**32 - 1),
    shape=st.tuples(st.integers(1, 40), st.integers(1, 40)),
    dtype=st.sampled_from(["uint8", "uint16", "int16", "float32", "float64"]),
    order=st.permutations([0, 1, 2, 3]),
    nodata=st.sampled_from([None, 0, 7, "nan"]),
    alpha=st.booleans(),
    zero_is_nodata=st.booleans(),
    scaled=st.booleans(),
)
def test_stored_values_are_read_as_their_bands(
    seed: int,
    shape: tuple[int, int],
    dtype: str,
    order: list[int],
    nodata: object,
    alpha: bool,
    zero_is_nodata: bool,
    scaled: bool,
) -> None:
    # the compiled texture reading a file's stored values (any type, nodata, alpha, black
    # fill, scales and offsets, bands in any order) gives the classes of the bands made of them
    rng = np.random.default_rng(seed)
    raw = (rng.random((4, *shape)) * 40).astype(dtype)
    raw[:, rng.random(shape) < 0.1] = 0
    value: float | None = None
    if nodata == "nan" and raw.dtype.kind == "f":
        value = float("nan")
        raw[1, rng.random(shape) < 0.1] = np.nan
    elif isinstance(nodata, int):
        value = float(nodata)
    names = ["red", "green", "blue", "alpha"]
    band_names = [names[i] for i in order if names[i] != "alpha"]
    alpha_at = order.index(3)
    stored = StoredBands(
        keep=tuple(i for i in range(4) if i != alpha_at) if alpha else (0, 1, 2),
        nodata=(value,) * 4,
        scales=(1e-4, 2.5, 1.0, 1.0) if scaled else (1.0,) * 4,
        offsets=(0.0, -0.1, 0.0, 3.0) if scaled else (0.0,) * 4,
        alpha=(alpha_at,) if alpha else (),
        zero_is_nodata=zero_is_nodata,
    )
    if not alpha:
        raw = raw[:3]
        band_names = ["red", "green", "blue"]
    kwargs = dict(band_names=band_names, threshold=0.5, pixel_m=3.0, fill=11.0)
    direct = local_classes(raw, stored=stored, **kwargs)  # type: ignore[arg-type]
    made = local_classes(stored(raw), **kwargs)  # type: ignore[arg-type]
    assert np.array_equal(direct, made)


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
