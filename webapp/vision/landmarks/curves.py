"""Curves through mesh points: centripetal Catmull-Rom splines, even resampling.

Every sequence of the dense layout is such a curve through mesh points,
resampled at even arc length.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray


def resample(line: NDArray[np.float64], count: int) -> NDArray[np.float64]:
    """``count`` points evenly spaced along a polyline, both ends included.

    Parameters
    ----------
    line : ndarray of shape (N, 2)
        The polyline's vertices, in order.
    count : int
        Number of points wanted (at least 2).

    Returns
    -------
    ndarray of shape (count, 2) and dtype float64

    Examples
    --------
    >>> import numpy as np
    >>> resample(np.array([[0.0, 0.0], [4.0, 0.0]]), 5)[:, 0].tolist()
    [0.0, 1.0, 2.0, 3.0, 4.0]
    """
    line = np.asarray(line, dtype=np.float64)
    steps = np.hypot(*np.diff(line, axis=0).T)
    arc = np.concatenate([[0.0], np.cumsum(steps)])
    if arc[-1] <= 0:
        return np.repeat(line[:1], count, axis=0)
    at = np.linspace(0.0, arc[-1], count)
    return np.column_stack([np.interp(at, arc, line[:, 0]), np.interp(at, arc, line[:, 1])])


def catmull_rom(
    points: NDArray[np.float64], *, closed: bool = False, per_segment: int = 16
) -> tuple[NDArray[np.float64], NDArray[np.intp]]:
    """A centripetal Catmull-Rom spline through ``points``, sampled densely.

    Parameters
    ----------
    points : ndarray of shape (N, 2)
        Control points, which the curve passes through, in order.
    closed : bool, optional
        Join the last point back to the first.
    per_segment : int, optional
        Samples per segment between two control points.

    Returns
    -------
    curve : ndarray of shape (M, 2)
        The sampled curve. When ``closed``, its last sample is the first
        control point again.
    at : ndarray of shape (N,) and dtype intp
        Index in ``curve`` of each control point.

    Examples
    --------
    >>> import numpy as np
    >>> curve, at = catmull_rom(np.array([[0.0, 0], [1, 1], [2, 0]]), per_segment=4)
    >>> curve.shape, at.tolist(), curve[at[1]].tolist()
    ((9, 2), [0, 4, 8], [1.0, 1.0])
    """
    p = np.asarray(points, dtype=np.float64)
    n = len(p)
    if closed:
        ext = np.vstack([p[-1:], p, p[:2]])
        segments = n
    else:
        ext = np.vstack([2 * p[0] - p[1], p, 2 * p[-1] - p[-2]])
        segments = n - 1
    p0, p1, p2, p3 = (ext[i : i + segments] for i in range(4))
    # Centripetal parametrisation: knot spacing is the square root of the chord.
    eps = 1e-6
    d01 = np.sqrt(np.hypot(*(p1 - p0).T)) + eps
    d12 = np.sqrt(np.hypot(*(p2 - p1).T)) + eps
    d23 = np.sqrt(np.hypot(*(p3 - p2).T)) + eps
    u = np.linspace(0.0, 1.0, per_segment, endpoint=False)[None, :, None]
    t1, t2, t3 = d01[:, None, None], (d01 + d12)[:, None, None], (d01 + d12 + d23)[:, None, None]
    t = t1 + u * (t2 - t1)
    a, b, c, d = (x[:, None, :] for x in (p0, p1, p2, p3))
    a1 = (t1 - t) / t1 * a + t / t1 * b
    a2 = (t2 - t) / (t2 - t1) * b + (t - t1) / (t2 - t1) * c
    a3 = (t3 - t) / (t3 - t2) * c + (t - t2) / (t3 - t2) * d
    b1 = (t2 - t) / t2 * a1 + t / t2 * a2
    b2 = (t3 - t) / (t3 - t1) * a2 + (t - t1) / (t3 - t1) * a3
    curve = ((t2 - t) / (t2 - t1) * b1 + (t - t1) / (t2 - t1) * b2).reshape(-1, 2)
    last = p[:1] if closed else p[-1:]
    curve = np.vstack([curve, last])
    at = np.arange(n) * per_segment
    return curve, at
