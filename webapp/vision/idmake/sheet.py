"""Print sheets: as many copies of a photo as fit on a sheet of photo paper.

A photo lab prints a 6-inch (4R) or 5-inch sheet, or an office printer an A4
page, at the sheet's size; each copy on it then measures exactly the photo's
millimetres. The copies are laid in a grid with a small gap to cut along and
a margin a printer may crop, centred on the page; the page is turned when
that fits more copies (the photos themselves always stand upright).
"""

from __future__ import annotations

import io
from dataclasses import dataclass

import cv2
import numpy as np
from numpy.typing import NDArray
from PIL import Image

from webapp.vision.errors import check_image

MM_PER_INCH = 25.4
#: Paper sizes, (width, height) in millimetres, portrait.
PAPERS: dict[str, tuple[float, float]] = {
    "6inch": (101.6, 152.4),  # 4R, 4x6 in
    "5inch": (88.9, 127.0),  # 3R / 5-inch, 3.5x5 in
    "a4": (210.0, 297.0),
}
#: White space kept round the grid (a lab's borderless print crops a little).
MARGIN_MM = 3.0
#: Space between two copies, to cut along.
GAP_MM = 2.0
#: The print resolutions offered; any 72-1200 is accepted.
DPI_CHOICES = (300, 254)
CUT_LINE_GREY = 190
#: How far the photo's pixel shape may differ from its millimetre shape (the
#: rounding of a pixel size) before it would print visibly stretched.
ASPECT_TOLERANCE = 0.02
PAPER_WHITE = (255, 255, 255)


def print_copy(
    photo: NDArray[np.uint8], photo_mm: tuple[float, float], *, centre_x: float = 0.5
) -> NDArray[np.uint8]:
    """The photo cut to its printed shape, where the document's pixel and printed shapes differ.

    A UK passport photo is 600x750 pixels online (4:5) but printed 35x45 mm
    (7:9); a Chinese visa photo 354x472 (3:4) but 33x48 mm. The bands of
    the head are the printed photo's, so the print keeps the photo's height
    and loses columns at the sides, evenly about ``centre_x`` (the face's
    middle, a share of the width) as far as the edges allow. A photo too
    narrow for its printed shape loses rows at the bottom instead (below the
    chest; the head's margin above stays). Within ASPECT_TOLERANCE it is
    returned as it is. Nothing is stretched and nothing is invented.
    """
    check_image(photo, "photo")
    width_mm, height_mm = _size(photo_mm, "photo size")
    height, width = photo.shape[:2]
    wanted = width_mm / height_mm
    if abs((width / height) / wanted - 1) <= ASPECT_TOLERANCE:
        return photo
    if width / height > wanted:
        keep = max(1, round(height * wanted))
        left = int(np.clip(round(centre_x * width - keep / 2), 0, width - keep))
        return np.ascontiguousarray(photo[:, left : left + keep])
    keep = max(1, round(width / wanted))
    return np.ascontiguousarray(photo[:keep])


@dataclass(frozen=True)
class Sheet:
    """A laid-out print sheet.

    Attributes
    ----------
    image : ndarray of shape (H, W, 3), uint8
        The page, ``paper_mm * dpi / 25.4`` pixels.
    copies, rows, columns : int
        ``copies == rows * columns``.
    rotated : bool
        True when the page is turned (landscape for a portrait paper) because
        that fits more copies.
    dpi : int
        Pixels per inch of ``image``.
    paper_mm : (float, float)
        The page's (width, height) in millimetres as laid out.
    """

    image: NDArray[np.uint8]
    copies: int
    rows: int
    columns: int
    rotated: bool
    dpi: int
    paper_mm: tuple[float, float]


def mm_to_px(mm: float, dpi: int) -> int:
    """The pixels ``mm`` millimetres take at ``dpi``."""
    return round(mm * dpi / MM_PER_INCH)


def fit_count(photo_mm: tuple[float, float], paper_mm: tuple[float, float]) -> tuple[int, int]:
    """How many (columns, rows) of ``photo_mm`` fit on ``paper_mm`` with the margin and gaps."""
    width, height = photo_mm
    columns = int((paper_mm[0] - 2 * MARGIN_MM + GAP_MM) // (width + GAP_MM))
    rows = int((paper_mm[1] - 2 * MARGIN_MM + GAP_MM) // (height + GAP_MM))
    return max(columns, 0), max(rows, 0)


def layout_sheet(
    photo: NDArray[np.uint8],
    *,
    photo_mm: tuple[float, float],
    paper: str | tuple[float, float] = "6inch",
    dpi: int = 300,
    cut_lines: bool = False,
) -> Sheet:
    """Lay out as many copies of ``photo`` as fit on a sheet of paper.

    Parameters
    ----------
    photo : ndarray of shape (H, W, 3), uint8
        The finished ID photo. It is resized to exactly ``photo_mm`` at
        ``dpi``; its shape must be the photo's (within 2%).
    photo_mm : (width, height)
        The photo's print size in millimetres.
    paper : str or (width, height)
        A name of :data:`PAPERS` or a custom size in millimetres.
    dpi : int
        The print resolution (300 by default, 254 for labs that print at
        100 pixels per centimetre).
    cut_lines : bool
        Draw thin grey lines along every copy's edges, to cut along.

    Raises
    ------
    ValueError
        On an unknown paper, a size that is not positive, a DPI outside
        72-1200, a photo whose shape is not ``photo_mm``'s, or one that does
        not fit on the paper even once.
    """
    check_image(photo, "photo")
    paper_mm = _paper(paper)
    photo_mm = _size(photo_mm, "photo size")
    if not (isinstance(dpi, int | np.integer) and 72 <= dpi <= 1200):
        raise ValueError(f"The print resolution must be 72 to 1200 dpi, not {dpi!r}.")
    photo_ratio = photo.shape[1] / photo.shape[0]
    size_ratio = photo_mm[0] / photo_mm[1]
    if abs(photo_ratio / size_ratio - 1) > ASPECT_TOLERANCE:
        raise ValueError(
            f"The photo is {photo.shape[1]}x{photo.shape[0]} pixels, not the shape of "
            f"{photo_mm[0]:g}x{photo_mm[1]:g} mm: printed at that size it would be stretched."
        )
    upright = fit_count(photo_mm, paper_mm)
    turned_paper = (paper_mm[1], paper_mm[0])
    turned = fit_count(photo_mm, turned_paper)
    rotated = turned[0] * turned[1] > upright[0] * upright[1]
    page_mm = turned_paper if rotated else paper_mm
    columns, rows = turned if rotated else upright
    if columns * rows == 0:
        raise ValueError(
            f"A {photo_mm[0]:g}x{photo_mm[1]:g} mm photo does not fit on "
            f"{page_mm[0]:g}x{page_mm[1]:g} mm paper."
        )
    page = np.empty((mm_to_px(page_mm[1], dpi), mm_to_px(page_mm[0], dpi), 3), np.uint8)
    page[:] = PAPER_WHITE
    copy = _resized(photo, mm_to_px(photo_mm[0], dpi), mm_to_px(photo_mm[1], dpi))
    grid_w = columns * photo_mm[0] + (columns - 1) * GAP_MM
    grid_h = rows * photo_mm[1] + (rows - 1) * GAP_MM
    left_mm = (page_mm[0] - grid_w) / 2
    top_mm = (page_mm[1] - grid_h) / 2
    xs = [mm_to_px(left_mm + c * (photo_mm[0] + GAP_MM), dpi) for c in range(columns)]
    ys = [mm_to_px(top_mm + r * (photo_mm[1] + GAP_MM), dpi) for r in range(rows)]
    height, width = copy.shape[:2]
    if cut_lines:
        _draw_cut_lines(page, xs, ys, width, height)
    for y in ys:
        for x in xs:
            page[y : y + height, x : x + width] = copy
    return Sheet(page, columns * rows, rows, columns, rotated, int(dpi), page_mm)


def sheet_jpeg(sheet: Sheet, quality: int = 95) -> bytes:
    """The sheet as a JPEG file with its DPI written in, no other metadata."""
    buffer = io.BytesIO()
    Image.fromarray(sheet.image, "RGB").save(
        buffer, "JPEG", quality=quality, dpi=(sheet.dpi, sheet.dpi), subsampling=0
    )
    return buffer.getvalue()


def sheet_pdf(sheet: Sheet) -> bytes:
    """The sheet as a one-page PDF whose page is exactly the paper's size.

    The page's size in points is ``paper_mm / 25.4 * 72``: the resolution
    given to the PDF writer is the exact one the rounded pixel size stands
    for, so the page does not drift by the rounding of a pixel.
    """
    height, width = sheet.image.shape[:2]
    resolution = (width * MM_PER_INCH / sheet.paper_mm[0], height * MM_PER_INCH / sheet.paper_mm[1])
    buffer = io.BytesIO()
    # No creation or modification date: the file says nothing but the page.
    Image.fromarray(sheet.image, "RGB").save(
        buffer, "PDF", dpi=resolution, quality=95, creationDate=None, modDate=None
    )
    return buffer.getvalue()


def _paper(paper: str | tuple[float, float]) -> tuple[float, float]:
    if isinstance(paper, str):
        key = paper.strip().lower().replace("-", "").replace(" ", "")
        if key not in PAPERS:
            names = ", ".join(PAPERS)
            raise ValueError(f"Unknown paper {paper!r}: use {names} or a size in millimetres.")
        return PAPERS[key]
    return _size(paper, "paper size")


def _size(size: tuple[float, float], what: str) -> tuple[float, float]:
    try:
        width, height = (float(v) for v in size)
    except (TypeError, ValueError):
        raise ValueError(f"The {what} is (width, height) in millimetres, not {size!r}.") from None
    if not (0 < width <= 2000 and 0 < height <= 2000):
        raise ValueError(
            f"The {what} must be more than 0 and at most 2000 mm, not {width:g}x{height:g}."
        )
    return width, height


def _resized(photo: NDArray[np.uint8], width: int, height: int) -> NDArray[np.uint8]:
    if photo.shape[1] == width and photo.shape[0] == height:
        return photo
    shrinking = width < photo.shape[1] or height < photo.shape[0]
    return cv2.resize(
        photo, (width, height), interpolation=cv2.INTER_AREA if shrinking else cv2.INTER_CUBIC
    )


def _draw_cut_lines(
    page: NDArray[np.uint8], xs: list[int], ys: list[int], width: int, height: int
) -> None:
    """One-pixel grey lines through every copy's edges, across the page; the copies cover them."""
    grey = (CUT_LINE_GREY,) * 3
    for x in xs:
        page[:, max(x - 1, 0)] = grey
        page[:, min(x + width, page.shape[1] - 1)] = grey
    for y in ys:
        page[max(y - 1, 0), :] = grey
        page[min(y + height, page.shape[0] - 1), :] = grey
