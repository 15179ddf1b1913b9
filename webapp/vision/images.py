"""Image files in, RGB ``uint8`` arrays out.

:func:`load_image` is the only place in the engine that decodes files. It
applies the EXIF orientation, converts every mode to RGB and refuses what the
engine cannot or should not process with an :class:`~webapp.vision.errors.ImageError`.
:func:`probe_image` runs the same checks from the header alone, cheaply enough
for a web request.
"""

from __future__ import annotations

import io
import os
import re
import struct
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import cv2
import numpy as np
from numpy.typing import NDArray
from PIL import Image, ImageFile

from .errors import ImageError, check_image

DEFAULT_MAX_BYTES = 10 * 2**20
DEFAULT_MAX_PIXELS = 40_000_000
DEFAULT_MIN_SIDE = 32

Source = bytes | bytearray | memoryview | str | Path
Format = Literal["JPEG", "PNG", "WEBP", "BMP"]

_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
# Exceptions Pillow's plugins raise on data that is not their format.
_NOT_THIS_FORMAT = (SyntaxError, IndexError, TypeError, ValueError, struct.error, EOFError, OSError)
# Exceptions a decoder raises on damaged data.
_DECODE_ERRORS = (OSError, SyntaxError, ValueError, IndexError, struct.error, EOFError)
# EXIF orientations that swap width and height.
_TRANSPOSED = {5, 6, 7, 8}
_ORIENTATION_TAG = 0x0112


@dataclass(frozen=True)
class ImageInfo:
    """What the header of an accepted image file says.

    Attributes
    ----------
    format : {'JPEG', 'PNG', 'WEBP', 'BMP'}
        The format found from the content (never from a file name).
    width, height : int
        Size in pixels once the EXIF orientation is applied.
    frames : int
        Number of frames (always 1 for an accepted file).
    orientation : int
        The EXIF orientation tag (1 to 8, 1 when absent).
    """

    format: Format
    width: int
    height: int
    frames: int = 1
    orientation: int = 1


def probe_image(
    source: Source,
    *,
    max_bytes: int = DEFAULT_MAX_BYTES,
    max_pixels: int = DEFAULT_MAX_PIXELS,
    min_side: int = DEFAULT_MIN_SIDE,
) -> ImageInfo:
    """Check an image file from its header, without decoding the pixels.

    Parameters
    ----------
    source : bytes or str or Path
        The file's content, or its path. The format is found from the
        content; a file name's extension is ignored.
    max_bytes : int, optional
        Largest accepted file size in bytes.
    max_pixels : int, optional
        Largest accepted ``width * height``. Checked from the header, before
        anything is allocated, so a decompression bomb is refused quickly.
    min_side : int, optional
        Smallest accepted width and height, in pixels.

    Returns
    -------
    ImageInfo
        Format, and width and height after the EXIF orientation.

    Raises
    ------
    ImageError
        With ``code``, in the order checked: ``"empty"``, ``"too_large_bytes"``
        (params ``size``, ``limit``), ``"not_image"``, ``"unsupported_format"``
        (param ``format``), ``"animated"`` (param ``frames``),
        ``"too_many_pixels"`` (params ``width``, ``height``, ``limit``),
        ``"too_small"`` (params ``width``, ``height``, ``min_side``).

    Examples
    --------
    >>> import io
    >>> from PIL import Image
    >>> buf = io.BytesIO()
    >>> Image.new("RGB", (64, 48)).save(buf, "PNG")
    >>> probe_image(buf.getvalue())
    ImageInfo(format='PNG', width=64, height=48, frames=1, orientation=1)
    """
    data = _read(source, max_bytes)
    info, _ = _probe(data, max_pixels=max_pixels, min_side=min_side)
    return info


def load_image(
    source: Source,
    *,
    max_bytes: int = DEFAULT_MAX_BYTES,
    max_pixels: int = DEFAULT_MAX_PIXELS,
    min_side: int = DEFAULT_MIN_SIDE,
) -> NDArray[np.uint8]:
    """Decode an image file into an RGB array, upright.

    Runs every check of :func:`probe_image` first, then decodes. The EXIF
    orientation is applied; greyscale, palette, CMYK and 16-bit images are
    converted to 8-bit RGB (16-bit values are rounded from 0-65535 to
    0-255); transparency is flattened onto white.

    Parameters
    ----------
    source : bytes or str or Path
        The file's content, or its path.
    max_bytes, max_pixels, min_side : int, optional
        As in :func:`probe_image`.

    Returns
    -------
    image : ndarray of shape (H, W, 3) and dtype uint8
        RGB pixels; row 0 is the top of the upright picture.

    Raises
    ------
    ImageError
        Any code of :func:`probe_image`, or ``"damaged"`` when the header is
        valid but the data is truncated or corrupt.

    Examples
    --------
    >>> import io
    >>> from PIL import Image
    >>> buf = io.BytesIO()
    >>> Image.new("L", (40, 32), 200).save(buf, "PNG")
    >>> image = load_image(buf.getvalue())
    >>> image.shape, image.dtype, image[0, 0].tolist()
    ((32, 40, 3), dtype('uint8'), [200, 200, 200])
    """
    data, info, im = _checked(source, max_bytes, max_pixels, min_side)
    return _decode_whole(data, info, im)


def encode_jpeg(image: NDArray[np.uint8], *, quality: int = 92) -> bytes:
    """Encode an RGB array as a baseline JPEG file with no metadata.

    No EXIF, ICC profile, comment or thumbnail is written: only the JFIF
    header libjpeg always writes, and the pixels.

    Parameters
    ----------
    image : ndarray of shape (H, W, 3) and dtype uint8
        RGB pixels.
    quality : int, optional
        JPEG quality, 1 (worst) to 95 (best).

    Returns
    -------
    bytes
        The JPEG file.

    Raises
    ------
    InvalidImageError
        If ``image`` is not an (H, W, 3) uint8 array.
    ValueError
        If ``quality`` is outside 1-95.

    Examples
    --------
    >>> import numpy as np
    >>> data = encode_jpeg(np.zeros((8, 8, 3), np.uint8))
    >>> data[:2], data[-2:]
    (b'\\xff\\xd8', b'\\xff\\xd9')
    """
    check_image(image)
    if not 1 <= quality <= 95:
        raise ValueError(f"quality must be between 1 and 95, got {quality}")
    buf = io.BytesIO()
    Image.fromarray(np.ascontiguousarray(image), "RGB").save(buf, "JPEG", quality=quality)
    return buf.getvalue()


def scale_down(data: bytes, max_side: int, *, max_pixels: int = DEFAULT_MAX_PIXELS) -> bytes:
    """Return the image file `data` scaled so that its longer side is at most `max_side`.

    The file keeps its format (JPEG at quality 95; PNG, WebP and BMP as they
    are, alpha kept) and its physical size: a dpi it declares is scaled with
    the pixels. The EXIF orientation is applied; no other metadata is kept. A
    file already small enough is returned unchanged.

    Raises
    ------
    ImageError
        As :func:`load_image`, for a file that is not an acceptable image.

    Examples
    --------
    >>> buf = io.BytesIO()
    >>> Image.new("RGB", (3000, 1500), "white").save(buf, "PNG", dpi=(600, 600))
    >>> small = Image.open(io.BytesIO(scale_down(buf.getvalue(), 1000)))
    >>> small.format, small.size, [round(d) for d in small.info["dpi"]]
    ('PNG', (1000, 500), [200, 200])
    """
    info = probe_image(data, max_bytes=max(len(data), 1), max_pixels=max_pixels)
    if max(info.width, info.height) <= max_side:
        return data
    im = _open_as(data, info.format)
    try:
        im.load()
    except _DECODE_ERRORS as exc:
        raise ImageError("damaged") from exc
    dpi = im.info.get("dpi")
    alpha = "A" in im.getbands() or "transparency" in im.info
    im = im.convert("RGBA" if alpha else "RGB")
    oriented = Image.fromarray(_orient(np.asarray(im), info.orientation))
    factor = max_side / max(oriented.size)
    size = (max(1, round(oriented.width * factor)), max(1, round(oriented.height * factor)))
    scaled = oriented.resize(size, Image.Resampling.LANCZOS)
    options: dict[str, object] = {}
    if dpi and len(dpi) == 2 and dpi[0] and dpi[1]:
        options["dpi"] = (float(dpi[0]) * factor, float(dpi[1]) * factor)
    if info.format == "JPEG":
        scaled = scaled.convert("RGB")
        options["quality"] = 95
    elif info.format == "WEBP":
        options["quality"] = 95
    buf = io.BytesIO()
    scaled.save(buf, info.format, **options)
    return buf.getvalue()


# --- reading and identifying -------------------------------------------------------


def _read(source: Source, max_bytes: int) -> bytes:
    if isinstance(source, (str, Path)):
        size = os.stat(source).st_size
        _check_size(size, max_bytes)
        with open(source, "rb") as f:
            # Read one byte more than allowed: the file may have grown since stat.
            data = f.read(max_bytes + 1)
    else:
        data = bytes(source)
    _check_size(len(data), max_bytes)
    return data


def _checked(
    source: Source, max_bytes: int, max_pixels: int, min_side: int
) -> tuple[bytes, ImageInfo, ImageFile.ImageFile]:
    """The file's bytes, its header's facts and its opened (not decoded) image.

    Every refusal of :func:`probe_image`, and ``"damaged"`` when the file has no end.
    """
    data = _read(source, max_bytes)
    info, im = _probe(data, max_pixels=max_pixels, min_side=min_side)
    if not _is_complete(data, info.format):
        raise ImageError("damaged")
    return data, info, im


def _check_size(size: int, max_bytes: int) -> None:
    if size == 0:
        raise ImageError("empty")
    if size > max_bytes:
        raise ImageError("too_large_bytes", size=size, limit=max_bytes)


def _probe(data: bytes, *, max_pixels: int, min_side: int) -> tuple[ImageInfo, ImageFile.ImageFile]:
    """Return the header's facts and the opened (not decoded) Pillow image."""
    fmt = _sniff(data)
    if fmt is None:
        name = _identify_other(data)
        if name is None:
            raise ImageError("not_image")
        raise ImageError("unsupported_format", format=name)
    if fmt == "GIF":
        frames = _gif_frames(_open_as(data, "GIF"))
        if frames > 1:
            raise ImageError("animated", frames=frames)
        raise ImageError("unsupported_format", format="GIF")
    im, width, height, exif = _open_checked(data, fmt, max_pixels)
    orientation = _orientation(exif)
    if orientation in _TRANSPOSED:
        width, height = height, width
    if min(width, height) < min_side:
        raise ImageError("too_small", width=width, height=height, min_side=min_side)
    return ImageInfo(fmt, width, height, 1, orientation), im


def _open_checked(
    data: bytes, fmt: str, max_pixels: int
) -> tuple[ImageFile.ImageFile, int, int, bytes | None]:
    """Open an accepted format after the frame and pixel checks; return its EXIF block."""
    if fmt == "WEBP":
        # Pillow's WebP reader allocates the whole canvas when it opens a file,
        # so the size and frame count come from the RIFF chunks instead.
        width, height, frames, exif = _webp_header(data)
        _check_frames(frames)
        _check_pixels(width, height, max_pixels)
        return _open_as(data, "WEBP"), width, height, exif
    im = _open_as(data, fmt)
    width, height = im.size
    _check_frames(getattr(im, "n_frames", 1) if fmt == "PNG" else 1)
    _check_pixels(width, height, max_pixels)
    exif = _png_exif(data) if fmt == "PNG" else im.info.get("exif")
    return im, width, height, exif


def _sniff(data: bytes) -> str | None:
    if data[:3] == b"\xff\xd8\xff":
        return "JPEG"
    if data[:8] == _PNG_SIGNATURE:
        return "PNG"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "WEBP"
    if data[:2] == b"BM":
        return "BMP"
    if data[:6] in (b"GIF87a", b"GIF89a"):
        return "GIF"
    return None


def _open_as(data: bytes, fmt: str) -> ImageFile.ImageFile:
    """Open with one Pillow plugin, bypassing ``Image.open``'s decompression-bomb check.

    Our own ``max_pixels`` check replaces it, so that the refusal carries our
    code and numbers whatever ``Image.MAX_IMAGE_PIXELS`` is set to.
    """
    Image.init()
    factory, _accept = Image.OPEN[fmt]
    try:
        im = factory(io.BytesIO(data), "")
    except _NOT_THIS_FORMAT as exc:
        raise ImageError("not_image") from exc
    if im.format == "MPO":
        # Multi-picture JPEGs (some cameras) are a JPEG plus extra views: use the first.
        im.format = "JPEG"
    return im


def _identify_other(data: bytes) -> str | None:
    """Return the name of a format Pillow knows but we do not accept, or None."""
    Image.init()
    prefix = data[:16]
    for name in Image.ID:
        factory, accept = Image.OPEN[name]
        # Formats with no magic number (TGA, IM...) would claim random bytes.
        if accept is None:
            continue
        try:
            result = accept(prefix)
            if not result or isinstance(result, str):
                continue
            im = factory(io.BytesIO(data), "")
        except _NOT_THIS_FORMAT:
            continue
        return str(im.format or name)
    return None


def _gif_frames(im: ImageFile.ImageFile) -> int:
    # n_frames walks the frame headers without decoding them.
    try:
        return int(getattr(im, "n_frames", 1))
    except _DECODE_ERRORS:
        return 1


def _check_frames(frames: int) -> None:
    if frames > 1:
        raise ImageError("animated", frames=frames)


def _check_pixels(width: int, height: int, max_pixels: int) -> None:
    if width * height > max_pixels:
        raise ImageError("too_many_pixels", width=width, height=height, limit=max_pixels)


def _riff_chunks(data: bytes) -> list[tuple[bytes, int, int]]:
    """(fourcc, start, end) of each chunk of a RIFF/WEBP file."""
    chunks = []
    pos = 12
    while pos + 8 <= len(data):
        fourcc = data[pos : pos + 4]
        (size,) = struct.unpack("<I", data[pos + 4 : pos + 8])
        chunks.append((fourcc, pos + 8, min(pos + 8 + size, len(data))))
        pos += 8 + size + (size & 1)
    return chunks


def _webp_header(data: bytes) -> tuple[int, int, int, bytes | None]:
    """Width, height, frames and EXIF block of a WebP file, from its chunks."""
    chunks = _riff_chunks(data)
    if not chunks:
        raise ImageError("not_image")
    fourcc, start, end = chunks[0]
    body = data[start:end]
    try:
        if fourcc == b"VP8X":
            animated = bool(body[0] & 0x02)
            width = 1 + int.from_bytes(body[4:7], "little")
            height = 1 + int.from_bytes(body[7:10], "little")
        elif fourcc == b"VP8 ":
            animated = False
            width, height = struct.unpack("<HH", body[6:10])
            width, height = width & 0x3FFF, height & 0x3FFF
        elif fourcc == b"VP8L":
            animated = False
            bits = int.from_bytes(body[1:5], "little")
            width, height = (bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1
        else:
            raise ImageError("not_image")
    except (IndexError, struct.error) as exc:
        raise ImageError("not_image") from exc
    frames = sum(1 for c in chunks if c[0] == b"ANMF") if animated else 1
    exif = next((data[s:e] for c, s, e in chunks if c == b"EXIF"), None)
    return width, height, max(frames, 1), exif


def _png_exif(data: bytes) -> bytes | None:
    """The eXIf chunk of a PNG file, wherever it is, found without decoding."""
    pos = len(_PNG_SIGNATURE)
    while pos + 8 <= len(data):
        (length,) = struct.unpack(">I", data[pos : pos + 4])
        kind = data[pos + 4 : pos + 8]
        if kind == b"eXIf":
            return data[pos + 8 : pos + 8 + length]
        if kind == b"IEND":
            break
        pos += 12 + length
    return None


def _orientation(exif: bytes | None) -> int:
    if not exif:
        return 1
    try:
        parsed = Image.Exif()
        parsed.load(exif)
        value = int(parsed.get(_ORIENTATION_TAG, 1))
    except _DECODE_ERRORS:
        # A broken EXIF block does not make the picture unusable.
        return 1
    return value if 1 <= value <= 8 else 1


# --- decoding ----------------------------------------------------------------------


def _is_complete(data: bytes, fmt: str) -> bool:
    """Whether the file has its end marker.

    Pillow refuses a truncated file only while ``ImageFile.LOAD_TRUNCATED_IMAGES``
    is false, a process-wide switch any library may flip; this check does not
    depend on it.
    """
    if fmt == "JPEG":
        sos = _jpeg_first_scan(data)
        # FF D9 cannot occur inside entropy-coded data (FF is stuffed with 00).
        return sos > 0 and data.rfind(b"\xff\xd9") > sos
    if fmt == "PNG":
        return data.rfind(b"IEND") > len(_PNG_SIGNATURE)
    if fmt == "WEBP":
        (riff_size,) = struct.unpack("<I", data[4:8])
        return len(data) >= 8 + riff_size
    if fmt == "BMP":
        (file_size,) = struct.unpack("<I", data[2:6])
        return file_size == 0 or len(data) >= file_size
    return True


def _jpeg_first_scan(data: bytes) -> int:
    """Offset of the main image's first SOS marker, walking the marker segments.

    Walking (rather than searching) skips an EXIF thumbnail's own SOS and EOI.
    """
    pos = 2
    while pos + 4 <= len(data):
        if data[pos] != 0xFF:
            return -1
        marker = data[pos + 1]
        if marker == 0xFF:  # fill byte
            pos += 1
        elif marker == 0xDA:
            return pos
        elif 0xD0 <= marker <= 0xD8 or marker == 0x01:
            pos += 2
        else:
            (length,) = struct.unpack(">H", data[pos + 2 : pos + 4])
            pos += 2 + length
    return -1


def load_image_with_alpha(
    source: Source,
    *,
    max_bytes: int = DEFAULT_MAX_BYTES,
    max_pixels: int = DEFAULT_MAX_PIXELS,
    min_side: int = DEFAULT_MIN_SIDE,
) -> tuple[NDArray[np.uint8], NDArray[np.float32] | None]:
    """Decode an image file into its RGB colours and its alpha, upright.

    As :func:`load_image` (same checks and failures), except that
    transparency is not flattened: the colours are the file's own and the
    alpha is returned as float32 in [0, 1], or None when the image has none.
    """
    _, info, im = _checked(source, max_bytes, max_pixels, min_side)
    try:
        im.load()
    except _DECODE_ERRORS as exc:
        raise ImageError("damaged") from exc
    if not (im.mode in ("RGBA", "LA", "PA", "La", "RGBa") or "transparency" in im.info):
        return _orient(_to_rgb(im), info.orientation), None
    rgba = _orient(np.array(im.convert("RGBA"), dtype=np.uint8), info.orientation)
    return np.ascontiguousarray(rgba[:, :, :3]), rgba[:, :, 3].astype(np.float32) / 255.0


def _decode_whole(data: bytes, info: ImageInfo, im: ImageFile.ImageFile) -> NDArray[np.uint8]:
    """The whole picture's upright RGB pixels.

    A plain 8-bit RGB PNG (no alpha, no palette) is decoded by OpenCV's
    libpng, which is about 1.7 times as fast as Pillow's decoder for the same
    pixels and refuses damaged data alike (a broken CRC, a cut stream); every
    other file by Pillow.
    """
    if info.format == "PNG" and im.mode == "RGB" and "transparency" not in im.info:
        flags = cv2.IMREAD_COLOR | cv2.IMREAD_IGNORE_ORIENTATION
        bgr = cv2.imdecode(_without_colour_profile(data), flags)
        if bgr is None:
            raise ImageError("damaged")
        if bgr.shape[:2] == (im.height, im.width):
            return _orient(cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB), info.orientation)
    try:
        im.load()
    except _DECODE_ERRORS as exc:
        raise ImageError("damaged") from exc
    return _orient(_to_rgb(im), info.orientation)


def _without_colour_profile(png: bytes) -> NDArray[np.uint8]:
    """The PNG's bytes without its iCCP chunk, as an array for OpenCV.

    Pillow ignores the profile too, and libpng warns on stderr about common
    faulty ones. Chunks are walked by their lengths, not decoded.
    """
    data = np.frombuffer(png, np.uint8)
    pos = 8
    while pos + 8 <= len(png):
        (length,) = struct.unpack(">I", png[pos : pos + 4])
        kind = png[pos + 4 : pos + 8]
        if kind == b"iCCP":
            return np.concatenate([data[:pos], data[pos + 12 + length :]])
        if kind == b"IDAT":
            break  # the profile comes before the pixels or not at all
        pos += 12 + length
    return data


def _to_rgb(im: Image.Image) -> NDArray[np.uint8]:
    mode = im.mode
    if mode in ("I;16", "I;16B", "I;16L", "I;16N", "I"):
        # 16-bit greyscale: Pillow's convert("RGB") would clip, not scale.
        grey = np.asarray(im, dtype=np.float64)
        grey = np.clip(np.rint(grey / 257.0), 0, 255).astype(np.uint8)
        return np.repeat(grey[:, :, None], 3, axis=2)
    has_alpha = mode in ("RGBA", "LA", "PA", "La", "RGBa") or "transparency" in im.info
    if has_alpha:
        rgba = np.asarray(im.convert("RGBA"), dtype=np.uint16)
        alpha = rgba[:, :, 3:4]
        flat = (rgba[:, :, :3] * alpha + 255 * (255 - alpha) + 127) // 255
        return flat.astype(np.uint8)
    if mode != "RGB":
        im = im.convert("RGB")
    return np.array(im, dtype=np.uint8)


def _orient(image: NDArray[np.uint8], orientation: int) -> NDArray[np.uint8]:
    """Apply an EXIF orientation to an array (the transforms of ImageOps.exif_transpose).

    OpenCV's flips and rotations copy in one pass, several times faster than
    NumPy's strided copy of a turned view on a large photo.
    """
    transforms = {
        2: lambda a: cv2.flip(a, 1),
        3: lambda a: cv2.rotate(a, cv2.ROTATE_180),
        4: lambda a: cv2.flip(a, 0),
        5: lambda a: cv2.transpose(a),
        6: lambda a: cv2.rotate(a, cv2.ROTATE_90_CLOCKWISE),
        7: lambda a: cv2.flip(cv2.transpose(a), -1),
        8: lambda a: cv2.rotate(a, cv2.ROTATE_90_COUNTERCLOCKWISE),
    }
    if orientation in transforms:
        image = transforms[orientation](np.ascontiguousarray(image))
    return np.ascontiguousarray(image)


# --- decoding on demand ------------------------------------------------------------

#: The reductions a photo can be decoded at: libjpeg scales a JPEG's DCT blocks
#: by 1/2, 1/4 and 1/8 while decoding (Pillow's ``draft``), for a fraction of
#: the cost of a full decode; other formats are decoded whole, then halved.
REDUCTIONS = (1, 2, 4, 8)


class Picture:
    """An accepted image file whose pixels are decoded when first needed.

    :func:`open_image` makes one. It holds the file's bytes and header facts;
    :meth:`reduced` decodes the picture at 1/2, 1/4 or 1/8 of its size (a JPEG
    at that scale directly, far cheaper than decoding it whole) and
    :meth:`pixels` decodes it whole. Each is decoded once and kept. The EXIF
    orientation is applied to every one of them, as by :func:`load_image`.

    Attributes
    ----------
    info : ImageInfo
        What the header says; ``info.width`` and ``info.height`` are the
        upright picture's.
    data : bytes
        The file.
    """

    def __init__(self, data: bytes, info: ImageInfo) -> None:
        self.data = data
        self.info = info
        self._levels: dict[int, NDArray[np.uint8]] = {}
        self._offsets: dict[int, tuple[int, int]] = {1: (0, 0)}

    @property
    def shape(self) -> tuple[int, int, int]:
        """``(height, width, 3)`` of the upright picture, as its array would have."""
        return (self.info.height, self.info.width, 3)

    def pixels(self) -> NDArray[np.uint8]:
        """The whole picture, as :func:`load_image` returns it (decoded once, then kept).

        Raises
        ------
        ImageError
            ``"damaged"`` when the data turns out to be corrupt.
        """
        return self.reduced(1)

    def reduced(self, factor: int) -> NDArray[np.uint8]:
        """The picture decoded at ``1/factor`` of its size, upright.

        Each side is ``ceil(side / factor)`` pixels; pixel ``i`` covers the
        whole picture's pixels ``factor * i - offset`` to
        ``factor * (i + 1) - 1 - offset``, where ``offset`` is
        :meth:`offset` (0 unless the EXIF orientation flips an axis whose
        length ``factor`` does not divide).

        Parameters
        ----------
        factor : {1, 2, 4, 8}
            The reduction.

        Raises
        ------
        ValueError
            If ``factor`` is not one of :data:`REDUCTIONS`.
        ImageError
            ``"damaged"`` when the data turns out to be corrupt.
        """
        if factor not in REDUCTIONS:
            raise ValueError(f"factor must be one of {REDUCTIONS}, got {factor!r}")
        if factor not in self._levels:
            finer = [f for f in self._levels if f < factor]
            if finer or (factor > 1 and self.info.format != "JPEG"):
                # Halving a reduction already decoded costs less than decoding again.
                self._levels[factor] = halve(self.reduced(factor // 2))
                # halve() pads at the end: the grid starts where the finer one does.
                self._offsets[factor] = self._offsets[factor // 2]
            else:
                self._levels[factor] = self._decode(factor)
        return self._levels[factor]

    def offset(self, factor: int) -> tuple[int, int]:
        """``(x, y)``: the reduction's first pixel starts this many pixels before the picture.

        A JPEG is reduced by whole 8x8 blocks of its stored pixels from the
        stored top-left corner; an orientation that flips an axis turns the
        last, partial block of that axis into the first one upright.
        """
        self.reduced(factor)
        return self._offsets[factor]

    def first_centre(self, factor: int) -> NDArray[np.float64]:
        """``(x, y)``: the picture's pixel on which :meth:`reduced` ``(factor)``'s first is centred.

        Reduction pixel ``i`` is centred on the picture's pixel
        ``factor * i - offset + (factor - 1) / 2``: this is ``i = 0``.
        """
        return (factor - 1) / 2 - np.asarray(self.offset(factor), dtype=np.float64)

    def reduced_points(self, points: NDArray[np.floating], factor: int) -> NDArray[np.float64]:
        """Points (x, y in the first two columns) in pixels of :meth:`reduced` ``(factor)``.

        See :meth:`first_centre`; further columns (a mesh's depth) are scaled alike.
        """
        out = np.array(points, dtype=np.float64)
        out[:, :2] = (out[:, :2] - self.first_centre(factor)) / factor
        out[:, 2:] /= factor
        return out

    def picture_points(self, points: NDArray[np.floating], factor: int) -> NDArray[np.float64]:
        """Points in pixels of :meth:`reduced` ``(factor)`` back in the picture's own."""
        out = np.array(points, dtype=np.float64)
        out[:, :2] = out[:, :2] * factor + self.first_centre(factor)
        out[:, 2:] *= factor
        return out

    def reduction_with(self, length: float, pixels: float) -> int:
        """The largest reduction in which ``length`` picture pixels are still ``pixels`` long.

        No side of the reduction is under 32 pixels (the smallest photo accepted).
        """
        shorter = min(self.info.width, self.info.height)
        return max(f for f in REDUCTIONS if f == 1 or (length / f >= pixels and shorter / f >= 32))

    def decoded(self) -> tuple[int, ...]:
        """The reductions decoded so far (1 is the whole picture), smallest first."""
        return tuple(sorted(self._levels))

    def _decode(self, factor: int) -> NDArray[np.uint8]:
        im = _open_as(self.data, self.info.format)
        if factor == 1:
            return _decode_whole(self.data, self.info, im)
        if factor > 1:
            width, height = im.size
            # Pillow picks the scale from the floor of the ratio; libjpeg rounds up.
            im.draft(None, (width // factor, height // factor))
            if im.size != (-(-width // factor), -(-height // factor)):  # pragma: no cover
                # libjpeg could not scale this file (never seen): halve a finer one.
                finer = self.reduced(factor // 2)
                self._offsets[factor] = self._offsets[factor // 2]
                return halve(finer)
        try:
            im.load()
        except _DECODE_ERRORS as exc:
            raise ImageError("damaged") from exc
        if factor > 1:
            width, height = self.info.width, self.info.height
            if self.info.orientation in _TRANSPOSED:
                width, height = height, width  # the stored picture's
            pad_x, pad_y = -width % factor, -height % factor
            self._offsets[factor] = _ORIENTED_OFFSETS[self.info.orientation](pad_x, pad_y)
        return _orient(_to_rgb(im), self.info.orientation)

    def __repr__(self) -> str:
        return f"<Picture {self.info.format} {self.info.width}x{self.info.height}>"


# The upright (x, y) offsets of a reduction from its stored padding (pad_x, pad_y):
# an axis the orientation flips starts with the stored last, partial block.
_ORIENTED_OFFSETS = {
    1: lambda px, py: (0, 0),
    2: lambda px, py: (px, 0),
    3: lambda px, py: (px, py),
    4: lambda px, py: (0, py),
    5: lambda px, py: (0, 0),
    6: lambda px, py: (py, 0),
    7: lambda px, py: (py, px),
    8: lambda px, py: (0, px),
}


def open_image(
    source: Source,
    *,
    max_bytes: int = DEFAULT_MAX_BYTES,
    max_pixels: int = DEFAULT_MAX_PIXELS,
    min_side: int = DEFAULT_MIN_SIDE,
) -> Picture:
    """Check an image file as :func:`load_image` does, without decoding it yet.

    Parameters
    ----------
    source : bytes or str or Path
        The file's content, or its path.
    max_bytes, max_pixels, min_side : int, optional
        As in :func:`probe_image`.

    Returns
    -------
    Picture
        Decoded on demand, whole or reduced.

    Raises
    ------
    ImageError
        Any code of :func:`probe_image`, or ``"damaged"`` when the file has no
        end (its data is checked only when it is decoded).

    Examples
    --------
    >>> import io
    >>> from PIL import Image
    >>> buf = io.BytesIO()
    >>> Image.new("RGB", (64, 48), "red").save(buf, "JPEG")
    >>> picture = open_image(buf.getvalue())
    >>> picture.shape, picture.reduced(2).shape, picture.decoded()
    ((48, 64, 3), (24, 32, 3), (2,))
    """
    data, info, _ = _checked(source, max_bytes, max_pixels, min_side)
    return Picture(data, info)


def as_pixels(image: NDArray[np.uint8] | Picture) -> NDArray[np.uint8]:
    """The whole picture's array: ``image`` itself, or a :class:`Picture` decoded."""
    return image.pixels() if isinstance(image, Picture) else image


def check_photo(image: object, name: str = "image") -> None:
    """Accept a :class:`Picture` or what :func:`~webapp.vision.errors.check_image` accepts."""
    if not isinstance(image, Picture):
        check_image(image, name)


def halve(image: NDArray[np.uint8]) -> NDArray[np.uint8]:
    """``image`` at half its size, each side rounded up, by averaging 2x2 blocks."""
    height, width = image.shape[:2]
    if height % 2 or width % 2:
        image = cv2.copyMakeBorder(image, 0, height % 2, 0, width % 2, cv2.BORDER_REPLICATE)
    return cv2.resize(image, (-(-width // 2), -(-height // 2)), interpolation=cv2.INTER_AREA)


# --- metadata ----------------------------------------------------------------------

# Markers that stand alone, without a length: TEM, RST0-7.
_STANDALONE = {0x01, *range(0xD0, 0xD8)}
# Inside entropy-coded data, 0xFF is followed by 00 (a stuffed byte), a restart
# marker or a fill byte; any other byte after it is the next marker.
_NEXT_MARKER = re.compile(rb"\xff(?=[^\x00\xd0-\xd7\xff])")
_APP0, _APP14, _COM, _SOS, _EOI = 0xE0, 0xEE, 0xFE, 0xDA, 0xD9


def strip_jpeg_metadata(data: bytes, *, orientation: int = 1) -> bytes:
    """A JPEG file without its metadata, its pixels untouched (no re-encoding).

    Every APP segment (EXIF with its thumbnail and GPS, XMP, ICC profile,
    maker notes, Photoshop's) and every comment is removed, except the
    JFIF header (rewritten without its thumbnail) and Adobe's colour-transform
    segment, which tell the decoder how to read the pixels. Anything after
    the image's end (a multi-picture file's other views) is dropped. The
    compressed data is copied byte for byte, so the decoded pixels are the
    same. The EXIF orientation goes too unless it is given: a photo a phone
    stored turned then keeps a minimal EXIF segment holding that one tag
    (no re-encoding, and viewers and :func:`load_image` still turn it).

    Parameters
    ----------
    data : bytes
        A JPEG file accepted by :func:`probe_image`.
    orientation : int, optional
        The EXIF orientation (1-8) to keep, usually the file's own
        (``ImageInfo.orientation``); 1, upright, writes none.

    Returns
    -------
    bytes
        The file without metadata.

    Raises
    ------
    ImageError
        ``"damaged"`` if the marker segments cannot be walked to the end.

    Examples
    --------
    >>> import io
    >>> from PIL import Image
    >>> buf = io.BytesIO()
    >>> Image.new("RGB", (16, 16)).save(buf, "JPEG", comment=b"secret")
    >>> b"secret" in buf.getvalue(), b"secret" in strip_jpeg_metadata(buf.getvalue())
    (True, False)
    """
    if data[:2] != b"\xff\xd8":
        raise ImageError("damaged")
    out = [b"\xff\xd8"]
    pos, size = 2, len(data)
    while pos + 2 <= size:
        if data[pos] != 0xFF:
            raise ImageError("damaged")
        marker = data[pos + 1]
        if marker == 0xFF:  # fill byte
            pos += 1
            continue
        if marker == _EOI:
            out.append(b"\xff\xd9")
            if orientation != 1:
                # After the JFIF header when there is one (it must come first).
                at = 2 if len(out) > 1 and out[1].startswith(b"\xff\xe0") else 1
                out.insert(at, _orientation_segment(orientation))
            return b"".join(out)
        if marker in _STANDALONE:
            out.append(data[pos : pos + 2])
            pos += 2
            continue
        if pos + 4 > size:
            break
        (length,) = struct.unpack(">H", data[pos + 2 : pos + 4])
        end = pos + 2 + length
        if length < 2 or end > size:
            break
        if marker == _APP0:
            out.append(_plain_jfif(data[pos + 4 : end]))
        elif marker == _APP14 and data[pos + 4 : pos + 9] == b"Adobe":
            out.append(data[pos:end])
        elif not (0xE1 <= marker <= 0xEF or marker == _COM):
            out.append(data[pos:end])
        pos = end
        if marker == _SOS:
            found = _NEXT_MARKER.search(data, pos)
            if found is None:
                break
            out.append(data[pos : found.start()])
            pos = found.start()
    raise ImageError("damaged")


def _orientation_segment(orientation: int) -> bytes:
    """An EXIF APP1 segment holding only the orientation tag (0x0112)."""
    if not 1 <= orientation <= 8:
        raise ValueError(f"EXIF orientation must be 1-8, not {orientation}")
    # TIFF header (big-endian, first directory at 8), one entry: tag, SHORT, count 1, value.
    tiff = b"MM\x00\x2a\x00\x00\x00\x08" + struct.pack(
        ">HHHIHHI", 1, 0x0112, 3, 1, orientation, 0, 0
    )
    body = b"Exif\x00\x00" + tiff
    return b"\xff\xe1" + struct.pack(">H", len(body) + 2) + body


def _plain_jfif(body: bytes) -> bytes:
    """The JFIF APP0 segment with its version and density but no thumbnail ('' if not JFIF)."""
    if body[:5] != b"JFIF\x00" or len(body) < 14:
        return b""  # a JFXX thumbnail or another APP0: not needed to decode
    return b"\xff\xe0\x00\x10" + body[:12] + b"\x00\x00"
