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
from typing import Any

import numba
import numpy as np

__all__ = ["texture_bits", "texture_product", "trace_polygons", "unpack_classes"]

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


@numba.njit(nogil=True, cache=True, inline="always")
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


@numba.njit(nogil=True, cache=True, inline="always")
def _box_cols(x: np.ndarray, out: np.ndarray, radius: int, weight: np.float32) -> None:
    """A box of ``2 radius + 1`` along the rows: the window summed in order, then scaled."""
    rows, cols = x.shape
    m = max(cols - 2 * radius, 0)
    for i in range(rows):
        row = x[i]
        dst = out[i][radius:]
        if radius == 2:  # the default texture window, in one pass (the same sums)
            a, b, c, d, e = row[0:m], row[1 : 1 + m], row[2 : 2 + m], row[3 : 3 + m], row[4:]
            for j in range(m):
                dst[j] = ((((a[j] + b[j]) + c[j]) + d[j]) + e[j]) * weight
        else:
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
    _CLASS_SCRATCH.clear()
    _TRACE_SCRATCH.clear()


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


# --- the whole of an RGB chunk's classification, row by row --------------------------------


@numba.njit(nogil=True, cache=True, inline="always")
def _bright_row(
    red: np.ndarray,
    green: np.ndarray,
    blue: np.ndarray,
    invalid: np.ndarray,
    black: bool,
    scale: np.ndarray,
    offset: np.ndarray,
    fill: np.float32,
    i: int,
    dst: np.ndarray,
    unknown: np.ndarray,
) -> None:
    """Row ``i``'s brightness into ``dst`` (``fill`` where unknown), its unknown pixels.

    Unknown: a band not finite, ``invalid``, or (with ``black``) every band stored as 0.
    """
    three = _F32(3.0)
    masked = invalid.size > 0
    scaled = scale.size > 0
    for j in range(red.shape[1]):
        r, g, b = _F32(red[i, j]), _F32(green[i, j]), _F32(blue[i, j])
        dark = black and r == 0 and g == 0 and b == 0
        if scaled:
            r = r * scale[0] + offset[0]
            g = g * scale[1] + offset[1]
            b = b * scale[2] + offset[2]
        v = (r + g + b) / three
        ok = np.isfinite(v) and not (masked and invalid[i, j]) and not dark
        unknown[i, j] = 0 if ok else 1
        dst[j] = v if ok else fill


@numba.njit(nogil=True, cache=True, inline="always")
def _box_down(
    rows: np.ndarray, size: int, n: int, i: int, radius: int, weight: np.float32, dst: np.ndarray
) -> None:
    """Row ``i`` of a box of ``2 radius + 1`` down the columns, from ring-buffered rows.

    Row ``k`` (of ``n``) is ``rows[k % size]``; summed in order, then scaled, as
    :func:`_box_rows`.
    """
    first = rows[_mirror(i - radius, n) % size]
    if radius == 2:  # the default texture window, in one pass (the same sums)
        b, c = rows[_mirror(i - 1, n) % size], rows[_mirror(i, n) % size]
        d, e = rows[_mirror(i + 1, n) % size], rows[_mirror(i + 2, n) % size]
        for j in range(dst.size):
            dst[j] = ((((first[j] + b[j]) + c[j]) + d[j]) + e[j]) * weight
        return
    for j in range(dst.size):
        dst[j] = first[j]
    for t in range(1 - radius, radius + 1):
        src = rows[_mirror(i + t, n) % size]
        for j in range(dst.size):
            dst[j] = dst[j] + src[j]
    for j in range(dst.size):
        dst[j] = dst[j] * weight


@numba.njit(nogil=True, cache=True)
def _texture_built(
    red: np.ndarray,
    green: np.ndarray,
    blue: np.ndarray,
    invalid: np.ndarray,
    black: bool,
    scale: np.ndarray,
    offset: np.ndarray,
    fill: np.float32,
    radius: int,
    weight: np.float32,
    floor2: np.float32,
    floor: np.float32,
    limit: np.float32,
    bright: np.ndarray,
    detail2: np.ndarray,
    work: np.ndarray,
    built: np.ndarray,
    unknown: np.ndarray,
) -> None:
    """Built-up (T² B above ``limit``) and unknown pixels, into ``built`` and ``unknown``.

    The operations of :func:`_texture_product`, value for value, made row by row: the
    brightness and the detail's square are kept for the last ``bright.shape[0]`` rows only
    (ring buffers of at least ``2 radius + 5`` rows), so the working set stays in the cache
    however large the chunk.
    """
    rows, cols = red.shape
    size = bright.shape[0]
    w2, w3, w4 = _F32(6 / 16), _F32(4 / 16), _F32(1 / 16)
    blur_down, blur = work[0:1], work[1:2]
    box_t, texture2 = work[2:3], work[3:4]
    box_m, mean = work[4:5], work[5:6]
    for t in range(rows + 2 + radius):
        if t < rows:
            _bright_row(red, green, blue, invalid, black, scale, offset, fill, t,
                        bright[t % size], unknown)  # fmt: skip
        k = t - 2  # the detail of row k needs the brightness down to row k + 2
        if 0 <= k < rows:
            xa, xb = bright[_mirror(k - 2, rows) % size], bright[_mirror(k - 1, rows) % size]
            xc = bright[k % size]
            xd, xe = bright[_mirror(k + 1, rows) % size], bright[_mirror(k + 2, rows) % size]
            down = blur_down[0]
            for j in range(cols):
                acc = xc[j] * w2
                acc = acc + (xb[j] + xd[j]) * w3
                down[j] = acc + (xa[j] + xe[j]) * w4
            _binomial_cols(blur_down, blur)
            d2 = detail2[k % size]
            smooth = blur[0]
            for j in range(cols):
                d = xc[j] - smooth[j]
                d2[j] = d * d
        i = k - radius  # the boxes of row i need the rows down to i + radius
        if 0 <= i < rows:
            _box_down(detail2, size, rows, i, radius, weight, box_t[0])
            _box_cols(box_t, texture2, radius, weight)
            _box_down(bright, size, rows, i, radius, weight, box_m[0])
            _box_cols(box_m, mean, radius, weight)
            t2row, mrow = texture2[0], mean[0]
            for j in range(cols):
                t2 = t2row[j]
                if not t2 >= floor2:
                    t2 = floor2
                m = mrow[j]
                if not m >= floor:
                    m = floor
                built[i, j] = 1 if unknown[i, j] == 0 and t2 * m > limit else 0


# --- morphology on bits: a row of pixels as 64-bit words ------------------------------------

_U64 = numba.uint64
#: A byte -> 8 bytes of 0 or 1: bit k of the byte is byte k (little-endian words).
_UNPACK = np.array(
    [sum(((b >> k) & 1) << (8 * k) for k in range(8)) for b in range(256)], dtype=np.uint64
)


@numba.njit(nogil=True, cache=True, inline="always")
def _low_bits(n: int) -> Any:
    """A word with its ``n % 64`` low bits set (all 64 when ``n`` is a multiple of 64)."""
    if n % 64 == 0:
        return _U64(0xFFFFFFFFFFFFFFFF)
    return (_U64(1) << _U64(n % 64)) - _U64(1)


@numba.njit(nogil=True, cache=True)
def _pack_rows(flags: np.ndarray, cols: int, words: np.ndarray) -> None:
    """0/1 bytes ``(rows, 64 W)`` to words ``(rows, W)``: column ``64 k + j`` is bit ``j``.

    Eight bytes at a time: read as a word, multiplied so that byte ``g``'s bit lands on bit
    ``56 + g`` (no two partial products meet, so nothing carries). Columns from ``cols`` on
    are cleared.
    """
    rows, n = words.shape
    magic = _U64(0x0102040810204080)
    ones = _U64(0x0101010101010101)  # a byte's low bit only: bytes beyond ``cols`` may be any
    last = _low_bits(cols)
    for i in range(rows):
        v = flags[i].view(np.uint64)
        for k in range(n):
            w = _U64(0)
            for g in range(8):
                w |= (((v[8 * k + g] & ones) * magic) >> _U64(56)) << _U64(8 * g)
            words[i, k] = w
        words[i, n - 1] &= last


@numba.njit(nogil=True, cache=True)
def _unpack_classes(built: np.ndarray, unknown: np.ndarray, out: np.ndarray) -> None:
    """Classes as bytes ``(rows, 64 W)``: BUILT (1) from ``built``, UNKNOWN (2), else 0."""
    rows, n = built.shape
    for i in range(rows):
        o = out[i].view(np.uint64)
        for k in range(n):
            b, u = built[i, k], unknown[i, k]
            for g in range(8):
                at = _U64(8 * g)
                o[8 * k + g] = _UNPACK[(b >> at) & _U64(255)] | (
                    _UNPACK[(u >> at) & _U64(255)] << _U64(1)
                )


@numba.njit(nogil=True, cache=True, inline="always")
def _shifted(x: np.ndarray, n: int, k: int, s: int) -> Any:
    """Word ``k`` of a row of ``n`` words moved so that column ``c`` holds column ``c + s``.

    Outside the row is 0; ``|s| < 64``.
    """
    if s == 0:
        return x[k] if k < n else _U64(0)
    if s > 0:
        low = x[k] >> _U64(s) if k < n else _U64(0)
        high = x[k + 1] << _U64(64 - s) if k + 1 < n else _U64(0)
        return low | high
    t = -s
    low = x[k] << _U64(t) if k < n else _U64(0)
    high = x[k - 1] >> _U64(64 - t) if 1 <= k <= n else _U64(0)
    return low | high


@numba.njit(nogil=True, cache=True)
def _across_bits(x: np.ndarray, out: np.ndarray, cols: int, radius: int, erode: bool) -> None:
    """Erosion (AND) or dilation (OR) along every row over ``2 radius + 1`` columns.

    Outside the ``cols`` columns is 0 (the bits beyond them are cleared).
    """
    rows, n = x.shape
    last = _low_bits(cols)
    for i in range(rows):
        row, dst = x[i], out[i]
        for k in range(n):
            acc = row[k]
            for s in range(1, radius + 1):
                if erode:
                    acc &= _shifted(row, n, k, s) & _shifted(row, n, k, -s)
                else:
                    acc |= _shifted(row, n, k, s) | _shifted(row, n, k, -s)
            dst[k] = acc
        dst[n - 1] &= last


@numba.njit(nogil=True, cache=True)
def _down_bits(x: np.ndarray, out: np.ndarray, radius: int, erode: bool) -> None:
    """Erosion (AND) or dilation (OR) down the columns over ``2 radius + 1`` rows; outside 0."""
    rows, n = x.shape
    for i in range(rows):
        dst = out[i]
        lo, hi = i - radius, i + radius
        if erode and (lo < 0 or hi >= rows):
            for k in range(n):
                dst[k] = _U64(0)
            continue
        lo, hi = max(lo, 0), min(hi, rows - 1)
        for k in range(n):
            dst[k] = x[lo, k]
        for t in range(lo + 1, hi + 1):
            src = x[t]
            if erode:
                for k in range(n):
                    dst[k] &= src[k]
            else:
                for k in range(n):
                    dst[k] |= src[k]


@numba.njit(nogil=True, cache=True)
def _smooth_bits(
    built: np.ndarray,
    unknown: np.ndarray,
    cols: int,
    open_px: int,
    close_px: int,
    flat_a: np.ndarray,
    flat_b: np.ndarray,
    out_built: np.ndarray,
    out_unknown: np.ndarray,
) -> None:
    """The opening and closing of :func:`kaesong_geo.extract.smooth_mask`, on words.

    ``built`` and ``unknown`` are words ``(rows, W)`` of a mask ``cols`` wide; the closing
    works on the mask with its edge repeated ``close_px`` pixels outward, as the NumPy
    reference pads it. ``out_built`` gets the smoothed mask (BUILT), ``out_unknown`` the
    unknown pixels it leaves (UNKNOWN). ``flat_a`` and ``flat_b`` are scratch of
    ``(rows + 2 close_px) (W + 1)`` words. Radii below 64 pixels.
    """
    rows, n = built.shape
    mask = built
    if open_px > 0:
        a = flat_a[: rows * n].reshape((rows, n))
        b = flat_b[: rows * n].reshape((rows, n))
        _down_bits(built, a, open_px, True)
        _across_bits(a, b, cols, open_px, True)
        _down_bits(b, a, open_px, False)
        _across_bits(a, out_built, cols, open_px, False)
        mask = out_built
    c = close_px
    if c > 0:
        width = cols + 2 * c
        m = (width + 63) // 64
        padded = flat_a[: (rows + 2 * c) * m].reshape((rows + 2 * c, m))
        work = flat_b[: (rows + 2 * c) * m].reshape((rows + 2 * c, m))
        ends = _low_bits(width)
        for p in range(rows + 2 * c):
            src = mask[min(max(p - c, 0), rows - 1)]
            dst = padded[p]
            for k in range(m):
                dst[k] = _shifted(src, n, k, -c)
            if src[0] & _U64(1):
                dst[0] |= (_U64(1) << _U64(c)) - _U64(1)
            if (src[(cols - 1) // 64] >> _U64((cols - 1) % 64)) & _U64(1):
                for j in range(c + cols, width):
                    dst[j // 64] |= _U64(1) << _U64(j % 64)
            dst[m - 1] &= ends
        _down_bits(padded, work, c, False)
        _across_bits(work, padded, width, c, False)
        _down_bits(padded, work, c, True)
        _across_bits(work, padded, width, c, True)
        last = _low_bits(cols)
        for i in range(rows):
            src = padded[i + c]
            dst = out_built[i]
            for k in range(n):
                dst[k] = _shifted(src, m, k, c)
            dst[n - 1] &= last
        mask = out_built
    if open_px <= 0 and c <= 0:
        for i in range(rows):
            for k in range(n):
                out_built[i, k] = built[i, k]
    for i in range(rows):
        for k in range(n):
            out_unknown[i, k] = unknown[i, k] & ~out_built[i, k]


#: Per thread: the row buffers, bytes and words of :func:`texture_bits`.
_CLASS_SCRATCH: dict[int, tuple[np.ndarray, np.ndarray, np.ndarray]] = {}


def _class_scratch(
    floats: int, nbytes: int, words: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    held = _CLASS_SCRATCH.get(threading.get_ident())
    sizes = (floats, nbytes, words)
    if held is None or any(h.size < n for h, n in zip(held, sizes, strict=True)):
        had = (0, 0, 0) if held is None else tuple(h.size for h in held)
        grown = [max(n, m) for n, m in zip(sizes, had, strict=True)]
        held = (
            np.empty(grown[0], dtype=np.float32),
            np.empty(grown[1], dtype=np.uint8),
            np.empty(grown[2], dtype=np.uint64),
        )
        _CLASS_SCRATCH[threading.get_ident()] = held
    return held


#: The largest opening or closing radius done on bits (a word's width less one).
BITS_RADIUS_PX = 63


def texture_bits(
    red: np.ndarray,
    green: np.ndarray,
    blue: np.ndarray,
    fill: float,
    texture_px: int,
    floor: float,
    limit: float,
    open_px: int,
    close_px: int,
    *,
    invalid: np.ndarray | None = None,
    black: bool = False,
    scale: Sequence[float] | None = None,
    offset: Sequence[float] | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """The classes of :func:`kaesong_geo.extract.local_classes` for RGB, as bits.

    Built-up where T² B (:func:`texture_product`, the same values) is above ``limit``, then
    opened by ``open_px`` and closed by ``close_px`` pixels as
    :func:`kaesong_geo.extract.smooth_mask` does; unknown where a band is not finite or
    ``invalid``, or (with ``black``) 0 in all three bands as stored. The texture is made
    row by row in buffers of a few rows; the morphology works on 64 pixels at a time.

    Returns
    -------
    built, unknown : numpy.ndarray of uint64, shape (rows, ceil(cols / 64))
        The BUILT and the UNKNOWN pixels, column ``64 k + j`` of a row as bit ``j`` of its
        word ``k`` (:func:`kaesong_geo.extract.pack_classes` is the NumPy equivalent).

    Examples
    --------
    >>> import numpy as np
    >>> rgb = (np.random.default_rng(0).random((3, 30, 70)) * 255).astype(np.uint8)
    >>> built, unknown = texture_bits(rgb[0], rgb[1], rgb[2], 0.5, 5, 1e-3, 1e9, 2, 2)
    >>> built.shape, int(built.sum()), int(unknown.sum())
    ((30, 2), 0, 0)
    """
    if max(open_px, close_px) > BITS_RADIUS_PX:
        raise ValueError(f"radii above {BITS_RADIUS_PX} pixels are not done on bits")
    bands = [np.ascontiguousarray(b) for b in (red, green, blue)]
    if bands[0].dtype.kind not in "uif" or len({b.dtype for b in bands}) > 1:
        bands = [b.astype(np.float32) for b in bands]
    rows, cols = bands[0].shape
    f32 = np.float32
    mask = np.zeros(0, dtype=np.bool_) if invalid is None else np.ascontiguousarray(invalid)
    factors = np.zeros(0, dtype=f32) if scale is None else np.asarray(scale, dtype=f32)
    shifts = np.zeros(0, dtype=f32) if offset is None else np.asarray(offset, dtype=f32)
    radius = texture_px // 2
    size = 2 * radius + 6
    n = (cols + 63) // 64
    padded_words = (rows + 2 * close_px) * (n + 1)
    floats, flags, words = _class_scratch(
        2 * size * cols + 6 * cols, 2 * rows * 64 * n, 2 * rows * n + 2 * padded_words
    )
    ring = floats[: 2 * size * cols].reshape(2, size, cols)
    work = floats[2 * size * cols : 2 * size * cols + 6 * cols].reshape(6, cols)
    built = flags[: rows * 64 * n].reshape(rows, 64 * n)
    unknown = flags[rows * 64 * n : 2 * rows * 64 * n].reshape(rows, 64 * n)
    _texture_built(
        bands[0], bands[1], bands[2], mask.reshape(rows, cols) if mask.size else mask.reshape(0, 0),
        black, factors, shifts, f32(fill), radius, f32(1.0 / texture_px), f32(floor * floor),
        f32(floor), f32(limit), ring[0], ring[1], work, built, unknown,
    )  # fmt: skip
    packed = words[: 2 * rows * n].reshape(2, rows, n)
    _pack_rows(built, cols, packed[0])
    _pack_rows(unknown, cols, packed[1])
    rest = words[2 * rows * n :]
    out = np.empty((2, rows, n), dtype=np.uint64)
    _smooth_bits(packed[0], packed[1], cols, open_px, close_px, rest[:padded_words],
                 rest[padded_words:], out[0], out[1])  # fmt: skip
    return out[0], out[1]


def unpack_classes(built: np.ndarray, unknown: np.ndarray, cols: int) -> np.ndarray:
    """Classes (uint8: BUILT, UNKNOWN, else NOT_BUILT) of ``cols`` columns from their bits.

    >>> import numpy as np
    >>> unpack_classes(np.array([[5]], np.uint64), np.array([[2]], np.uint64), 4).tolist()
    [[1, 2, 1, 0]]
    """
    rows, n = built.shape
    out = np.empty((rows, 64 * n), dtype=np.uint8)
    _unpack_classes(np.ascontiguousarray(built), np.ascontiguousarray(unknown), out)
    return out[:, :cols]


# --- tracing: the rings of a mask's 4-connected patches ------------------------------------

#: Directions on the pixel grid, x to the right and y down: east, south, west, north.
_DX = np.array([1, 0, -1, 0], dtype=np.int64)
_DY = np.array([0, 1, 0, -1], dtype=np.int64)


@numba.njit(nogil=True, cache=True, inline="always")
def _ahead(m: np.ndarray, x: int, y: int, d: int) -> tuple[bool, bool]:
    """The pixels ahead-left and ahead-right of corner ``(x, y)`` moving in direction ``d``.

    ``m`` is the mask padded with a pixel of 0 on every side (pixel ``(r, c)`` at
    ``m[r + 1, c + 1]``); around the corner are pixels ``(y - 1, x - 1)``, ``(y - 1, x)``,
    ``(y, x - 1)`` and ``(y, x)``.
    """
    nw, ne = m[y, x] != 0, m[y, x + 1] != 0
    sw, se = m[y + 1, x] != 0, m[y + 1, x + 1] != 0
    if d == 0:
        return ne, se
    if d == 1:
        return se, sw
    if d == 2:
        return sw, nw
    return nw, ne


@numba.njit(nogil=True, cache=True)
def _trace_rings(
    m: np.ndarray, edge_walk: np.ndarray, corner_walk: np.ndarray, corner_at: np.ndarray,
    base: int, noded: bool,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray, int]:  # fmt: skip
    """Every boundary ring of the True pixels of padded mask ``m``, with its shell.

    The boundaries are followed with the True pixels on the left, turning left where two
    True pixels meet only at a corner (4-connectivity); vertices are the corners where the
    boundary turns (and, with ``noded``, every corner along the mask's border). A walk that
    passes a corner twice (a patch pinched at a corner) is cut there into minimal rings, as
    GEOS's polygonizer cuts its rings: an outline that touches itself becomes a shell and a
    hole touching it, both valid. A hole's shell is found by going up from its top edge
    through True pixels to the first boundary, which belongs to the same patch.

    ``edge_walk`` (``(rows + 1, cols)``, for horizontal edges) and ``corner_walk`` /
    ``corner_at`` (``(rows + 1, cols + 1)``) are scratch that this call marks with walk
    numbers from ``base`` on: marks below ``base``, left by earlier calls, mean nothing.

    Returns ``(xs, ys, ring_end, ring_shell, ring_area2, rings)``: the vertices of every
    ring, each ring closed, ring ``k`` ending at ``ring_end[k]`` (exclusive); the ring of
    its shell (a shell's is itself); twice its signed area (negative: a shell).
    """
    rows, cols = m.shape[0] - 2, m.shape[1] - 2
    horizontal = 0
    for r in range(rows + 1):
        above, below = m[r], m[r + 1]
        for c in range(1, cols + 1):
            horizontal += above[c] != below[c]
    vertical = 0
    for r in range(1, rows + 1):
        row = m[r]
        for c in range(cols + 1):
            vertical += row[c] != row[c + 1]
    cap = horizontal + vertical + horizontal + 1  # every edge's end, a closing vertex per ring
    xs, ys = np.empty(cap, np.int64), np.empty(cap, np.int64)
    side_x, side_y = np.empty(cap, np.int64), np.empty(cap, np.int64)
    side_end = np.empty(horizontal + 1, np.int64)
    ring_end = np.empty(horizontal + 1, np.int64)
    ring_shell = np.empty(horizontal + 1, np.int64)
    ring_area2 = np.empty(horizontal + 1, np.int64)
    walk_shell = np.empty(horizontal + 1, np.int64)  # a walk's shell ring
    n, rings, walks = 0, 0, 0
    for r0 in range(rows + 1):
        for c0 in range(cols):
            if m[r0, c0 + 1] == m[r0 + 1, c0 + 1] or edge_walk[r0, c0] >= base:
                continue
            walk = walks
            walks += 1
            stamp = base + walk
            hole = m[r0, c0 + 1] != 0  # True above the walk's first (top-left) edge
            d0 = 0 if hole else 1
            start, sides, side_n = n, 0, 0
            x, y, d = c0, r0, d0
            xs[n], ys[n] = x, y
            n += 1
            while True:
                if d == 0:
                    edge_walk[y, x] = stamp
                elif d == 2:
                    edge_walk[y, x - 1] = stamp
                x += _DX[d]
                y += _DY[d]
                left, right = _ahead(m, x, y, d)
                nd = d if left and not right else ((d + 3) % 4 if not left else (d + 1) % 4)
                if x == c0 and y == r0 and nd == d0:
                    break
                on_border = (y == 0 or y == rows) if d % 2 == 0 else (x == 0 or x == cols)
                if nd != d or (noded and on_border):
                    xs[n], ys[n] = x, y
                    n += 1
                if not left and right:  # two True pixels meet at this corner only
                    if corner_walk[y, x] == stamp and corner_at[y, x] >= start:
                        p = corner_at[y, x]  # passed before: the vertices since are a ring
                        for q in range(p, n - 1):
                            side_x[side_n], side_y[side_n] = xs[q], ys[q]
                            side_n += 1
                            if corner_walk[ys[q], xs[q]] == stamp and corner_at[ys[q], xs[q]] >= p:
                                corner_walk[ys[q], xs[q]] = 0
                        side_x[side_n], side_y[side_n] = xs[p], ys[p]
                        side_n += 1
                        side_end[sides] = side_n
                        sides += 1
                        n = p + 1
                    else:
                        corner_walk[y, x], corner_at[y, x] = stamp, n - 1
                d = nd
            xs[n], ys[n] = xs[start], ys[start]
            n += 1
            ring_end[rings] = n
            first_ring = rings
            rings += 1
            lo = 0
            for k in range(sides):
                for q in range(lo, side_end[k]):
                    xs[n], ys[n] = side_x[q], side_y[q]
                    n += 1
                lo = side_end[k]
                ring_end[rings] = n
                rings += 1
            if hole:  # up through the patch to its first boundary, traced already
                k = r0 - 1
                while k > 0 and m[k, c0 + 1] != 0:
                    k -= 1
                walk_shell[walk] = walk_shell[edge_walk[k, c0] - base]
            else:
                walk_shell[walk] = first_ring
            for k in range(first_ring, rings):
                ring_shell[k] = walk_shell[walk]
    lo = 0
    for k in range(rings):
        area2 = 0
        for q in range(lo, ring_end[k] - 1):
            area2 += xs[q] * ys[q + 1] - xs[q + 1] * ys[q]
        ring_area2[k] = area2
        lo = ring_end[k]
    return xs[:n], ys[:n], ring_end[:rings], ring_shell[:rings], ring_area2[:rings], walks


@numba.njit(nogil=True, cache=True)
def _polygon_coords(
    xs: np.ndarray, ys: np.ndarray, ring_end: np.ndarray, ring_shell: np.ndarray,
    ring_area2: np.ndarray, rows: int, cols: int, min_px: int, row0: float, col0: float,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:  # fmt: skip
    """The rings of the polygons kept, shell first, for ``shapely.linearrings`` / ``polygons``.

    A polygon is kept when ``min_px`` is at most 1, it touches the mask's border, or its
    area (holes taken off) is at least ``min_px``. Returns the coordinates ``(x, y)`` offset
    by ``col0`` and ``row0``, each vertex's ring and each ring's polygon, both numbered from 0.
    """
    n_rings = ring_end.size
    shell_of = ring_shell.copy()
    for k in range(n_rings):
        if ring_area2[k] < 0:  # a shell (a walk's own outline, or one cut from a hole's)
            shell_of[k] = k
    area2 = np.zeros(n_rings, np.int64)
    for k in range(n_rings):
        area2[shell_of[k]] -= ring_area2[k]
    keep = np.zeros(n_rings, np.bool_)
    holes = np.zeros(n_rings, np.int64)
    lo = 0
    for k in range(n_rings):
        if shell_of[k] == k:
            on_edge = False
            for q in range(lo, ring_end[k]):
                if xs[q] == 0 or ys[q] == 0 or xs[q] == cols or ys[q] == rows:
                    on_edge = True
                    break
            keep[k] = min_px <= 1 or on_edge or area2[k] >= 2 * min_px
        else:
            holes[shell_of[k]] += 1
        lo = ring_end[k]
    # polygons in the order of their shells; a polygon's rings: its shell, then its holes
    polygon = np.full(n_rings, -1, np.int64)
    n_kept = 0
    for k in range(n_rings):
        if shell_of[k] == k and keep[k]:
            polygon[k] = n_kept
            n_kept += 1
    slot = np.zeros(n_kept + 1, np.int64)
    for k in range(n_rings):
        s = shell_of[k]
        if keep[s]:
            slot[polygon[s] + 1] += 1
    for p in range(n_kept):
        slot[p + 1] += slot[p]
    order = np.empty(slot[n_kept], np.int64)
    for k in range(n_rings):  # shells come before their holes: a shell is its walk's first
        s = shell_of[k]
        if keep[s] and s == k:
            order[slot[polygon[s]]] = k
    fill = slot[:n_kept].copy() + 1
    for k in range(n_rings):
        s = shell_of[k]
        if keep[s] and s != k:
            order[fill[polygon[s]]] = k
            fill[polygon[s]] += 1
    start = np.empty(n_rings, np.int64)
    lo = 0
    for k in range(n_rings):
        start[k] = lo
        lo = ring_end[k]
    total = 0
    for k in order:
        total += ring_end[k] - start[k]
    coords = np.empty((total, 2), np.float64)
    vertex_ring = np.empty(total, np.int64)
    ring_polygon = np.empty(order.size, np.int64)
    q = 0
    for i in range(order.size):
        k = order[i]
        ring_polygon[i] = polygon[shell_of[k]]
        for v in range(start[k], ring_end[k]):
            coords[q, 0] = xs[v] + col0
            coords[q, 1] = ys[v] + row0
            vertex_ring[q] = i
            q += 1
    return coords, vertex_ring, ring_polygon


#: Per thread: the marks of :func:`_trace_rings` and the next walk number to mark with.
_TRACE_SCRATCH: dict[int, list[Any]] = {}


def trace_polygons(
    mask: np.ndarray, row0: int = 0, col0: int = 0, min_px: int = 0, *, noded: bool = False
) -> list[Any]:
    """:func:`kaesong_geo.extract.pixel_polygons`, compiled: the same polygons.

    The boundaries are followed pixel by pixel (:func:`_trace_rings`) and the polygons made
    by shapely from the rings' coordinates, instead of assembled by GEOS's polygonizer from
    the boundaries' straight runs.

    Examples
    --------
    >>> m = np.zeros((4, 5), bool); m[1:3, 1:4] = True; m[2, 2] = False
    >>> [p.wkt for p in trace_polygons(m, row0=10)]
    ['POLYGON ((1 11, 1 13, 2 13, 2 12, 3 12, 3 13, 4 13, 4 11, 1 11))']
    """
    import shapely

    mask = np.asarray(mask, dtype=bool)
    rows, cols = mask.shape
    padded = np.pad(mask, 1).view(np.uint8)
    key = threading.get_ident()
    held = _TRACE_SCRATCH.get(key)
    if held is None or held[0].shape[0] < rows + 1 or held[0].shape[1] < cols + 1:
        r, c = max(rows + 1, 0 if held is None else held[0].shape[0]), cols + 1
        c = max(c, 0 if held is None else held[0].shape[1])
        held = [np.zeros((r, c), np.int32), np.zeros((r, c), np.int32),
                np.zeros((r, c), np.int32), 1]  # fmt: skip
        _TRACE_SCRATCH[key] = held
    if held[3] > 2**30:  # walk numbers would overflow: clear the marks, number afresh
        for marks in held[:3]:
            marks[...] = 0
        held[3] = 1
    edge_walk = held[0][: rows + 1, :cols]
    corner_walk, corner_at = held[1][: rows + 1, : cols + 1], held[2][: rows + 1, : cols + 1]
    xs, ys, ring_end, ring_shell, area2, walks = _trace_rings(
        padded, edge_walk, corner_walk, corner_at, held[3], noded
    )
    held[3] += walks + 1
    if ring_end.size == 0:
        return []
    coords, vertex_ring, ring_polygon = _polygon_coords(
        xs, ys, ring_end, ring_shell, area2, rows, cols, min_px, float(row0), float(col0)
    )
    if ring_polygon.size == 0:
        return []
    rings: Any = shapely.linearrings(coords, indices=vertex_ring)
    polygons: Any = shapely.polygons(rings, indices=ring_polygon)
    return list(polygons)
