"""The body carried on past the photo's edge, where the made photo's frame reaches beyond it.

A frame that reaches past the photo (a narrow phone portrait made into a
square US passport photo, a photo short below the chest) is background
there, except for the body the photo cuts off: it goes on down below the
photo, and beside it only as shoulders that the side cuts off
(:func:`carry_on`). How much of the made photo is carried on, below and
beside, is what :mod:`webapp.vision.idmake.make` weighs against
:data:`BODY_SHORTFALL_MAX` and :data:`SIDE_SHORTFALL_MAX` (:func:`shortfall`).
"""

from __future__ import annotations

import cv2
import numpy as np
from numpy.typing import NDArray

#: Beyond the photo, the body may be carried on (edge rows repeated) over at most this
#: share of the made photo's height; more is ``not_enough_photo``.
BODY_SHORTFALL_MAX = 0.04
#: ... and over at most this share of its width at the sides (the shoulders' ends).
SIDE_SHORTFALL_MAX = 0.25
#: At a side of the photo, the body is carried on outwards only from this share of the
#: made photo's height below where the person meets that side (the segmentation is soft
#: there: the background would be carried on as a band) ...
SHOULDER_EDGE_MARGIN = 0.015
#: ... and its top falls away as the shoulder inside the photo does (measured over this
#: share of the width next to the side), at least SHOULDER_SLOPE[0] rows per column and at
#: most SHOULDER_SLOPE[1]: a shoulder, not a block with a level top.
SHOULDER_SPAN = 0.08
SHOULDER_SLOPE = (0.25, 1.2)
#: A row is carried on beside the photo only if the matte has the person across this
#: share of the width just inside the photo's side.
SHOULDER_BAND = 0.01


def carry_on(
    image: NDArray[np.uint8],
    valid: NDArray[np.float32],
    person: NDArray[np.float32],
    alpha: NDArray[np.float32],
    chin_row: int,
) -> tuple[NDArray[np.uint8], NDArray[np.float32], NDArray[np.bool_]]:
    """The frame with the body carried on past the photo's edge, how much of each pixel is,
    and which pixels are beside the photo (the others past its edge are above or below it).

    Below the photo the mask's last rows go on down (the body continues).
    Beside it, rows repeated outwards would end the shoulder in a block with a
    level top, and carry on as a band whatever background the coarse mask
    took for person at the side. There the refined matte (``alpha``) decides:
    a row is carried on only where the matte has the person at the side, from
    SHOULDER_EDGE_MARGIN below where the person first meets it, and the
    body's top falls away outwards as the shoulder's top does next to the
    side (SHOULDER_SPAN, SHOULDER_SLOPE). Its pixels are the body mirrored
    across the side (the clothes' own texture), or where the mirror falls off
    the person, each row's colour just inside that band, smoothed down the rows
    (never the photo's outermost column: it may be a light border). Nothing is
    carried on above the chin.

    Parameters
    ----------
    image : ndarray of shape (H, W, 3) and dtype uint8
        The frame cut from the photo, its edge pixels repeated past the photo.
        Not modified: a copy is returned.
    valid : ndarray of shape (H, W)
        Where the frame has photo (1) and where it is past the photo's edge (0).
    person : ndarray of shape (H, W)
        The person probability carried into the frame (edge rows and columns
        repeated past the photo).
    alpha : ndarray of shape (H, W)
        The refined matte of ``image``.
    chin_row : int
        The chin's row in the frame.
    """
    height, width = valid.shape
    inside = valid >= 0.5
    outside = ~inside
    carried = (outside & (person >= 0.5)).astype(np.float32)
    carried[:chin_row] = 0.0
    has_photo = inside.any(axis=1)
    rows = np.flatnonzero(has_photo[chin_row:]) + chin_row
    beside_any = np.zeros_like(inside)
    if rows.size == 0:
        return image, carried, beside_any
    image = image.copy()
    first = np.argmax(inside, axis=1)
    last = width - 1 - np.argmax(inside[:, ::-1], axis=1)
    margin = max(2, round(SHOULDER_EDGE_MARGIN * height))
    span = max(3, round(SHOULDER_SPAN * width))
    columns = np.arange(width)
    # Photo a little way above a pixel: the pixel is below the photo's (slanted, once the
    # head is straightened) bottom edge, not beside it.
    rise = max(2, round(SHOULDER_EDGE_MARGIN * height))
    photo_above = np.zeros_like(inside)
    photo_above[rise:] = inside[:-rise]
    for edge, outward in ((first, -1), (last, 1)):
        # The side's pixels next to the photo, in the rows that have photo.
        beside = has_photo[:, None] & (
            columns[None, :] < edge[:, None] if outward < 0 else columns[None, :] > edge[:, None]
        )
        beside[:chin_row] = False
        beside &= ~photo_above
        if not beside.any():
            continue
        beside_any |= beside
        carried[beside] = 0.0
        # Per row: the matte has the person all across a band just inside the photo
        # (a soft edge column alone may be background the matte half took for person).
        every_row = np.arange(height)
        side_person = np.ones(height, dtype=bool)
        band = max(3, round(SHOULDER_BAND * width))
        for step in range(2, 2 + band):
            column = np.clip(edge - step * outward, 0, width - 1)
            side_person &= alpha[every_row, column] >= 0.5
        at_edge = side_person[rows]
        if not at_edge[-1]:
            # The person does not run on to the photo's bottom at this side: an arm or
            # hair touching it, not a body the side cuts off. Nothing is carried on.
            continue
        # Where the person meets this side: the top of the run that reaches the bottom.
        gaps = np.flatnonzero(~at_edge)
        meet = int(rows[gaps[-1] + 1] if gaps.size else rows[0])
        side_person[:meet] = False
        start = meet + margin
        # The shoulder's top next to the side: rows per column falling away outwards.
        ref = int(edge[meet])
        cols = np.arange(ref - outward * 2, ref - outward * (2 + span), -outward)
        cols = cols[(cols >= 0) & (cols < width)]
        tops = []
        for c in cols:
            hit = np.flatnonzero(alpha[chin_row:, c] >= 0.5)
            tops.append(chin_row + hit[0] if hit.size else np.nan)
        tops_arr = np.array(tops, dtype=np.float64)
        known = ~np.isnan(tops_arr)
        slope = SHOULDER_SLOPE[0]
        if known.sum() >= 3:
            # Rows gained per column towards the side (positive: the shoulder falls outwards).
            fall = -np.polyfit(np.abs(cols[known] - ref), tops_arr[known], 1)[0]
            slope = float(np.clip(fall, *SHOULDER_SLOPE))
        # The body's top beside the photo: from `start` at the side, falling away outwards.
        distance = np.abs(columns[None, :] - edge[:, None]).astype(np.float32)
        top = start + slope * distance
        depth = np.arange(height, dtype=np.float32)[:, None] - top
        body = np.clip(depth + 0.5, 0.0, 1.0)
        body *= side_person[:, None]
        carried[beside] = body[beside]
        # Each row's colour just inside the band, smoothed down the rows: one column
        # repeated outwards would draw its texture on as streaks.
        inside_band = np.stack(
            [
                image[every_row, np.clip(edge - k * outward, 0, width - 1)]
                for k in range(2, 2 + band)
            ]
        ).astype(np.float32)
        colour = cv2.GaussianBlur(
            np.median(inside_band, axis=0)[:, None, :], (1, 0), sigmaX=0, sigmaY=band
        )[:, 0, :]
        ys, xs = np.nonzero(beside & (carried > 0))
        fill = np.clip(colour[ys] + 0.5, 0, 255).astype(np.uint8)
        # The clothes' own texture where the photo has it: the body mirrored across
        # the side (from two pixels inside), where the mirror still falls on person.
        mirror = np.clip(edge[ys] - outward * (2 + np.abs(xs - edge[ys])), 0, width - 1)
        on_person = (alpha[ys, mirror] >= 0.5) & (valid[ys, mirror] >= 0.5)
        fill[on_person] = image[ys[on_person], mirror[on_person]]
        image[ys, xs] = fill
    return image, carried, beside_any


def shortfall(carried: NDArray[np.float32], beside: NDArray[np.bool_]) -> tuple[float, float]:
    """The made photo's share carried on (below, beside), as :func:`carry_on` gave it.

    Below: the share of the rows carried on under the face, column by column,
    averaged over the middle third of the columns (a bottom edge slanted by
    straightening the head is short by more at one end than at the other).
    Beside: the share of the columns carried on beside the photo.
    """
    short = carried >= 0.5
    width = short.shape[1]
    centre = slice(width // 3, width - width // 3)
    below = float((short & ~beside)[:, centre].mean())
    sides = float((short & beside).any(axis=0).mean())
    return below, sides
