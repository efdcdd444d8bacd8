"""The compiled kernels (RGB texture and classes, tracer) equal the NumPy and GEOS references."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st

from kaesong_geo.extract import (
    StoredBands,
    local_class_bits,
    local_classes,
    pack_classes,
    rgb_texture_product,
    rgb_texture_product_numpy,
    unpack_classes,
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


@settings(max_examples=120, deadline=None)
@given(
    seed=st.integers(0, 2**32 - 1),
    shape=st.tuples(st.integers(1, 48), st.integers(1, 48)),
    dtype=st.sampled_from(["uint8", "uint16", "float32"]),
    texture_px=st.sampled_from([1, 3, 5, 7, 9]),
    radii=st.tuples(st.integers(0, 3), st.integers(0, 3)),
    unknown=st.sampled_from(["none", "invalid", "black", "nan"]),
    scaled=st.booleans(),
    quantile=st.floats(0.0, 1.0),
)
def test_the_compiled_classes_are_the_numpy_classes(
    seed: int,
    shape: tuple[int, int],
    dtype: str,
    texture_px: int,
    radii: tuple[int, int],
    unknown: str,
    scaled: bool,
    quantile: float,
) -> None:
    # texture, threshold, opening, closing and classes in one compiled pass, row by row:
    # pixel for pixel the NumPy path, whatever the size (thinner than every window), the
    # nodata (a mask, a black fill found by the kernel, NaN), the scales and the threshold
    from unittest import mock

    import kaesong_geo.extract as extract

    rng = np.random.default_rng(seed)
    raw = (rng.random((3, *shape)) * 200).astype(dtype)
    raw[:, rng.random(shape) < 0.3] //= 4  # darker, smoother patches among the bright
    raw[:, rng.random(shape) < 0.1] = 0
    nodata: tuple[float | None, ...] = (None,) * 3
    if unknown == "nan" and raw.dtype.kind == "f":
        raw[2, rng.random(shape) < 0.1] = np.nan
    elif unknown == "invalid":
        nodata = (7.0,) * 3
        raw[1, rng.random(shape) < 0.1] = 7
    stored = StoredBands(
        keep=(0, 1, 2),
        nodata=nodata,
        scales=(1e-3, 2e-3, 1.5e-3) if scaled else (1.0,) * 3,
        offsets=(0.0, -0.01, 0.02) if scaled else (0.0,) * 3,
        zero_is_nodata=unknown == "black",
    )
    product = rgb_texture_product_numpy(*stored(raw), 0.1, texture_px, 1e-4)
    finite = product[np.isfinite(product)]
    threshold = 0.5 * float(np.log(np.quantile(finite, quantile))) if finite.size else 0.0
    pixel_m = 3.0
    kwargs = dict(
        band_names=["red", "green", "blue"], threshold=threshold, pixel_m=pixel_m, fill=0.1,
        texture_px=texture_px, opening_m=radii[0] * pixel_m, closing_m=radii[1] * pixel_m,
    )  # fmt: skip
    compiled = local_classes(raw, stored=stored, **kwargs)  # type: ignore[arg-type]
    with mock.patch.object(extract, "_compiled_texture", lambda: None):
        reference = local_classes(raw, stored=stored, **kwargs)  # type: ignore[arg-type]
        made = local_classes(stored(raw), **kwargs)  # type: ignore[arg-type]
    assert np.array_equal(compiled, reference)
    assert np.array_equal(compiled, made)
    # as bits (what a chunk's first pass keeps): the compiled words are NumPy's packing
    bits = local_class_bits(raw, stored=stored, **kwargs)  # type: ignore[arg-type]
    for ours, packed in zip(bits, pack_classes(reference), strict=True):
        assert ours.dtype == packed.dtype == np.uint64
        assert np.array_equal(ours, packed)
    assert np.array_equal(unpack_classes(*bits, shape[1]), reference)


@settings(max_examples=150, deadline=None)
@given(
    seed=st.integers(0, 2**32 - 1),
    shape=st.tuples(st.integers(1, 40), st.integers(1, 40)),
    density=st.floats(0.0, 1.0),
    grow=st.integers(0, 2),
    min_px=st.sampled_from([0, 1, 2, 5, 12]),
    noded=st.booleans(),
    offset=st.tuples(st.integers(0, 5000), st.integers(0, 5000)),
)
def test_the_compiled_tracer_gives_geos_polygons(
    seed: int,
    shape: tuple[int, int],
    density: float,
    grow: int,
    min_px: int,
    noded: bool,
    offset: tuple[int, int],
) -> None:
    # salt and pepper (pixels touching at corners, outlines pinched at a corner, holes in
    # holes) and grown blobs: the rings followed pixel by pixel make the polygons GEOS's
    # polygonizer assembles, vertex for vertex, valid, small patches left out alike
    from scipy import ndimage

    from kaesong_geo.extract import pixel_polygons

    rng = np.random.default_rng(seed)
    mask = rng.random(shape) < density
    if grow:
        mask = ndimage.binary_dilation(mask, iterations=grow) & (rng.random(shape) < 0.9)
    ours = kernels.trace_polygons(mask, *offset, min_px=min_px, noded=noded)
    geos = pixel_polygons(mask, *offset, min_px=min_px, noded=noded, compiled=False)
    assert all(p.is_valid for p in ours)
    key = sorted(shapely.normalize(p).wkb for p in geos)
    assert sorted(shapely.normalize(p).wkb for p in ours) == key
    # the same coordinates, not only the same shapes: noded borders keep every corner
    assert sorted(len(shapely.get_coordinates(p)) for p in ours) == sorted(
        len(shapely.get_coordinates(p)) for p in geos
    )
