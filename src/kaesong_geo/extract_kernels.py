"""Compiled (numba) form of the RGB texture of :mod:`kaesong_geo.extract`, equal bit for bit.

The RGB built-up index is a chain of small filters (brightness, a binomial blur, the detail's
square, two box sums) over every pixel. In NumPy each step is a pass over the whole chunk
with a temporary array; compiled, the chain makes a few passes with no temporaries, several
times faster, and releases the GIL, so Dask's threads run chunks side by side.

The compiled functions do exactly the floating-point operations of the NumPy reference
(:func:`kaesong_geo.extract.rgb_texture_product_numpy`) in the same order, in single
precision, without fast-math (no reassociation, no fused multiply-add), so the results are
equal bit for bit (tested); :func:`kaesong_geo.extract.rgb_texture_product` uses them when
numba is installed (the ``scale`` extra) and the NumPy reference otherwise. Compiled code is
cached on disk (numba's ``cache=True``): the first call in a new installation compiles for a
few seconds.

Examples
--------
>>> import numpy as np
>>> from kaesong_geo.extract import rgb_texture_product_numpy
>>> rgb = np.random.default_rng(0).random((3, 20, 30)).astype(np.float32)
>>> fast = texture_product(rgb[0], rgb[1], rgb[2], 0.5, 5, 1e-4)
>>> bool((fast == rgb_texture_product_numpy(rgb[0], rgb[1], rgb[2], 0.5, 5, 1e-4)).all())
True
"""

from __future__ import annotations

import threading
from collections.abc import Sequence

import numba
import numpy as np

__all__ = ["texture_product"]

_F32 = numba.float32


@numba.njit(nogil=True, cache=True)
def _mirror(i: int, n: int) -> int:
    """Index ``i`` reflected into ``0..n-1`` as ``numpy.pad(mode="symmetric")`` does."""
    if 0 <= i < n:
        return i
    if -n <= i < 0:
        return -1 - i
    if n <= i < 2 * n:
        return 2 * n - 1 - i
    i = i % (2 * n)  # an array narrower than the filter: reflected again
    return i if i < n else 2 * n - 1 - i


@numba.njit(nogil=True, cache=True)
def _binomial_rows(x: np.ndarray, out: np.ndarray) -> None:
    """[1, 4, 6, 4, 1] / 16 down the columns (axis 0), edges mirrored.

    ``x[i] w2 + (x[i-1] + x[i+1]) w3 + (x[i-2] + x[i+2]) w4``, as the NumPy reference adds.
    """
    w2, w3, w4 = _F32(6 / 16), _F32(4 / 16), _F32(1 / 16)
    rows, cols = x.shape
    for i in range(rows):
        a, b = _mirror(i - 2, rows), _mirror(i - 1, rows)
        d, e = _mirror(i + 1, rows), _mirror(i + 2, rows)
        for j in range(cols):
            acc = x[i, j] * w2
            acc = acc + (x[b, j] + x[d, j]) * w3
            out[i, j] = acc + (x[a, j] + x[e, j]) * w4


@numba.njit(nogil=True, cache=True)
def _binomial_cols(x: np.ndarray, out: np.ndarray) -> None:
    """[1, 4, 6, 4, 1] / 16 along the rows (axis 1), edges mirrored."""
    w2, w3, w4 = _F32(6 / 16), _F32(4 / 16), _F32(1 / 16)
    rows, cols = x.shape
    m = max(cols - 4, 0)
    for i in range(rows):
        row = x[i]
        dst = out[i]
        # shifted views indexed from 0: numba then knows no index is negative (no wraparound
        # test per element) and the loop vectorizes
        a, b, c, d, e, o = row[0:m], row[1 : 1 + m], row[2 : 2 + m], row[3:], row[4:], dst[2:]
        for j in range(m):
            acc = c[j] * w2
            acc = acc + (b[j] + d[j]) * w3
            o[j] = acc + (a[j] + e[j]) * w4
        for j in range(min(2, cols)):
            _binomial_at(row, dst, j, cols, w2, w3, w4)
        for j in range(max(2, cols - 2), cols):
            _binomial_at(row, dst, j, cols, w2, w3, w4)


@numba.njit(nogil=True, cache=True, inline="always")
def _binomial_at(
    row: np.ndarray, dst: np.ndarray, j: int, n: int, w2: np.float32, w3: np.float32, w4: np.float32
) -> None:
    acc = row[j] * w2
    acc = acc + (row[_mirror(j - 1, n)] + row[_mirror(j + 1, n)]) * w3
    dst[j] = acc + (row[_mirror(j - 2, n)] + row[_mirror(j + 2, n)]) * w4


@numba.njit(nogil=True, cache=True)
def _box_rows(x: np.ndarray, out: np.ndarray, radius: int, weight: np.float32) -> None:
    """A box of ``2 radius + 1`` down the columns: the window summed in order, then scaled."""
    rows, cols = x.shape
    for i in range(rows):
        dst = out[i]
        first = x[_mirror(i - radius, rows)]
        for j in range(cols):
            dst[j] = first[j]
        for t in range(1 - radius, radius + 1):
            src = x[_mirror(i + t, rows)]
            for j in range(cols):
                dst[j] = dst[j] + src[j]
        for j in range(cols):
            dst[j] = dst[j] * weight


@numba.njit(nogil=True, cache=True)
def _box_cols(x: np.ndarray, out: np.ndarray, radius: int, weight: np.float32) -> None:
    """A box of ``2 radius + 1`` along the rows: the window summed in order, then scaled."""
    rows, cols = x.shape
    m = max(cols - 2 * radius, 0)
    for i in range(rows):
        row = x[i]
        dst = out[i][radius:]
        for j in range(m):
            dst[j] = row[j]
        for t in range(1, 2 * radius + 1):
            src = row[t:]
            for j in range(m):
                dst[j] = dst[j] + src[j]
        for j in range(m):
            dst[j] = dst[j] * weight
        dst = out[i]
        for j in range(min(radius, cols)):
            _box_at(row, dst, j, cols, radius, weight)
        for j in range(max(radius, cols - radius), cols):
            _box_at(row, dst, j, cols, radius, weight)


@numba.njit(nogil=True, cache=True, inline="always")
def _box_at(
    row: np.ndarray, dst: np.ndarray, j: int, n: int, radius: int, weight: np.float32
) -> None:
    acc = row[_mirror(j - radius, n)]
    for t in range(1 - radius, radius + 1):
        acc = acc + row[_mirror(j + t, n)]
    dst[j] = acc * weight


@numba.njit(nogil=True, cache=True)
def _texture_product(
    red: np.ndarray,
    green: np.ndarray,
    blue: np.ndarray,
    invalid: np.ndarray,
    scale: np.ndarray,
    offset: np.ndarray,
    fill: np.float32,
    radius: int,
    weight: np.float32,
    floor2: np.float32,
    floor: np.float32,
    scratch: np.ndarray,
    out: np.ndarray,
) -> None:
    """T² B into ``out``; the bands as stored (any type), ``invalid`` empty when none."""
    rows, cols = red.shape
    bright, tmp, detail2 = scratch[0], scratch[1], scratch[2]
    three = _F32(3.0)
    nan = _F32(np.nan)
    masked = invalid.size > 0
    scaled = scale.size > 0
    for i in range(rows):
        for j in range(cols):
            r, g, b = _F32(red[i, j]), _F32(green[i, j]), _F32(blue[i, j])
            if scaled:  # as StoredBands does: value * scale + offset, in single precision
                r = r * scale[0] + offset[0]
                g = g * scale[1] + offset[1]
                b = b * scale[2] + offset[2]
            v = (r + g + b) / three
            ok = np.isfinite(v) and not (masked and invalid[i, j])
            out[i, j] = 0.0 if ok else nan  # NaN marks the unknown pixels until the end
            bright[i, j] = v if ok else fill
    _binomial_rows(bright, tmp)
    _binomial_cols(tmp, detail2)
    for i in range(rows):
        for j in range(cols):
            d = bright[i, j] - detail2[i, j]
            detail2[i, j] = d * d
    _box_rows(detail2, tmp, radius, weight)
    _box_cols(tmp, detail2, radius, weight)
    _box_rows(bright, tmp, radius, weight)
    _box_cols(tmp, bright, radius, weight)  # bright is the mean brightness from here on
    for i in range(rows):
        for j in range(cols):
            t2 = detail2[i, j]
            if not t2 >= floor2:
                t2 = floor2
            m = bright[i, j]
            if not m >= floor:
                m = floor
            if out[i, j] == 0.0:
                out[i, j] = t2 * m


#: Per thread: the scratch arrays of the last chunk (a chunk's intermediate arrays are
#: reused by the next, not allocated afresh: fresh pages cost more than the filters).
_SCRATCH: dict[int, np.ndarray] = {}


def _scratch(rows: int, cols: int) -> np.ndarray:
    held = _SCRATCH.get(threading.get_ident())
    if held is None or held.shape[1] < rows * cols:
        held = np.empty((3, rows * cols), dtype=np.float32)
        _SCRATCH[threading.get_ident()] = held
    return held[:, : rows * cols].reshape(3, rows, cols)


def release_scratch() -> None:
    """Free every thread's scratch arrays (at the end of an extraction)."""
    _SCRATCH.clear()


def texture_product(
    red: np.ndarray,
    green: np.ndarray,
    blue: np.ndarray,
    fill: float,
    texture_px: int,
    floor: float,
    *,
    invalid: np.ndarray | None = None,
    scale: Sequence[float] | None = None,
    offset: Sequence[float] | None = None,
) -> np.ndarray:
    """T² B of every pixel, compiled; see :func:`kaesong_geo.extract.rgb_texture_product_numpy`.

    The bands may be given as stored in a file (any numeric type) with ``invalid`` (True
    where a pixel is nodata) and the bands' ``scale`` and ``offset`` (applied as
    :class:`kaesong_geo.extract.StoredBands` does, in single precision): no floating-point
    copy of the bands is made.
    """
    bands = [np.ascontiguousarray(b) for b in (red, green, blue)]
    if bands[0].dtype.kind not in "uif" or len({b.dtype for b in bands}) > 1:
        bands = [b.astype(np.float32) for b in bands]
    rows, cols = bands[0].shape
    out = np.empty((rows, cols), dtype=np.float32)
    f32 = np.float32
    mask = np.zeros(0, dtype=np.bool_) if invalid is None else np.ascontiguousarray(invalid)
    factors = np.zeros(0, dtype=f32) if scale is None else np.asarray(scale, dtype=f32)
    shifts = np.zeros(0, dtype=f32) if offset is None else np.asarray(offset, dtype=f32)
    _texture_product(
        bands[0], bands[1], bands[2], mask.reshape(rows, cols) if mask.size else mask.reshape(0, 0),
        factors, shifts, f32(fill), texture_px // 2, f32(1.0 / texture_px),
        f32(floor * floor), f32(floor), _scratch(rows, cols), out,
    )  # fmt: skip
    return out
