"""probe_image, load_image and encode_jpeg: formats, conversions and every refusal."""

from __future__ import annotations

import io
import struct
import zlib

import cv2
import numpy as np
import pytest
from PIL import Image, ImageFile, ImageOps

from webapp.vision import (
    ImageError,
    InvalidImageError,
    encode_jpeg,
    load_image,
    open_image,
    probe_image,
)
from webapp.vision.errors import IMAGE_ERROR_CODES
from webapp.vision.images import _to_rgb


def _png_chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


def _huge_png_header(width: int, height: int) -> bytes:
    """A valid PNG header claiming width x height; the data is a few zero rows."""
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    rows = zlib.compress(b"\0" * (width + 1) * 4)
    return (
        b"\x89PNG\r\n\x1a\n"
        + _png_chunk(b"IHDR", ihdr)
        + _png_chunk(b"IDAT", rows)
        + _png_chunk(b"IEND", b"")
    )


def _refusal(source: object, **limits: int) -> ImageError:
    with pytest.raises(ImageError) as info:
        load_image(source, **limits)
    # probe_image refuses the same way, from the header alone.
    with pytest.raises(ImageError) as probed:
        probe_image(source, **limits)
    assert (probed.value.code, probed.value.params) == (info.value.code, info.value.params)
    return info.value


# --- accepted files ---------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["PNG", "JPEG", "WEBP", "BMP"])
def test_load_image_formats(make_image_bytes, fmt):
    data = make_image_bytes(size=(64, 48), color=(200, 100, 50), fmt=fmt)
    image = load_image(data)
    assert image.shape == (48, 64, 3)
    assert image.dtype == np.uint8
    assert np.abs(image[24, 32].astype(int) - (200, 100, 50)).max() <= 3
    info = probe_image(data)
    assert (info.format, info.width, info.height, info.frames) == (fmt, 64, 48, 1)


def test_load_image_from_path_and_bytes_agree(data_dir):
    path = data_dir / "faces" / "obama.jpg"
    from_path = load_image(path)
    assert np.array_equal(from_path, load_image(str(path)))
    assert np.array_equal(from_path, load_image(path.read_bytes()))
    assert from_path.shape == (1137, 910, 3)


def test_it_loads_png_named_jpg_by_content(tmp_path, make_image_bytes):
    path = tmp_path / "photo.jpg"
    path.write_bytes(make_image_bytes(size=(40, 40), fmt="PNG"))
    assert probe_image(path).format == "PNG"
    assert load_image(path).shape == (40, 40, 3)


@pytest.mark.parametrize("orientation", range(1, 9))
@pytest.mark.parametrize("fmt", ["JPEG", "PNG", "WEBP"])
def test_it_applies_exif_orientation(orientation, fmt):
    rng = np.random.default_rng(orientation)
    pixels = rng.integers(0, 256, (40, 60, 3), dtype=np.uint8)
    exif = Image.Exif()
    exif[0x0112] = orientation
    buf = io.BytesIO()
    options = {"JPEG": {"quality": 95}, "PNG": {}, "WEBP": {"lossless": True}}[fmt]
    Image.fromarray(pixels).save(buf, fmt, exif=exif.tobytes(), **options)
    data = buf.getvalue()

    expected = np.asarray(ImageOps.exif_transpose(Image.open(io.BytesIO(data))).convert("RGB"))
    image = load_image(data)
    assert np.array_equal(image, expected)
    info = probe_image(data)
    assert (info.height, info.width) == image.shape[:2]
    assert info.orientation == orientation


def test_it_flattens_alpha_onto_white(data_dir, make_image_bytes):
    transparent = load_image(make_image_bytes(mode="RGBA", color=(0, 0, 0, 0)))
    assert (transparent == 255).all()
    half = load_image(make_image_bytes(mode="RGBA", color=(0, 0, 0, 128)))
    assert (half == 127).all()
    photo = load_image(data_dir / "faces" / "32bit.png")
    assert photo.shape == (1200, 626, 3)


def test_it_converts_palette_with_transparency(make_image_bytes):
    image = Image.new("P", (40, 40), 0)
    image.putpalette([10, 20, 30] * 256)
    buf = io.BytesIO()
    image.save(buf, "PNG", transparency=0)
    assert (load_image(buf.getvalue()) == 255).all()


@pytest.mark.parametrize(
    ("mode", "color", "expected"),
    [
        ("L", 90, (90, 90, 90)),
        ("LA", (90, 255), (90, 90, 90)),
        ("1", 1, (255, 255, 255)),
        ("CMYK", (0, 255, 0, 0), (255, 0, 255)),
    ],
)
def test_it_converts_modes_to_rgb(make_image_bytes, mode, color, expected):
    fmt = "JPEG" if mode == "CMYK" else "PNG"
    image = load_image(make_image_bytes(mode=mode, color=color, fmt=fmt))
    assert image.dtype == np.uint8 and image.shape == (48, 64, 3)
    assert np.abs(image[0, 0].astype(int) - expected).max() <= 2


def test_it_scales_16_bit_greyscale():
    values = np.array([[0, 257, 32896, 65535]] * 40, dtype=np.uint16).repeat(10, axis=1)
    buf = io.BytesIO()
    Image.fromarray(values).save(buf, "PNG")
    image = load_image(buf.getvalue())
    assert image[0, ::10, 0].tolist() == [0, 1, 128, 255]
    assert (image[..., 0] == image[..., 2]).all()


# --- refusals -----------------------------------------------------------------------


def test_error_codes_are_the_documented_ones():
    assert set(IMAGE_ERROR_CODES) == {
        "empty", "too_large_bytes", "not_image", "unsupported_format", "animated",
        "too_many_pixels", "too_small", "damaged",
    }  # fmt: skip


def test_it_refuses_empty_bytes():
    error = _refusal(b"")
    assert (error.code, error.params, str(error)) == ("empty", {}, "The file is empty.")


def test_it_refuses_too_many_bytes(data_dir):
    data = (data_dir / "faces" / "obama.jpg").read_bytes()
    error = _refusal(data, max_bytes=1000)
    assert error.code == "too_large_bytes"
    assert error.params == {"size": 279922, "limit": 1000}
    assert str(error) == "The file is 279922 bytes; the limit is 1000 bytes."
    # A path is refused from its size, before it is read.
    assert _refusal(data_dir / "faces" / "obama.jpg", max_bytes=1000).params["size"] == 279922


def test_it_refuses_random_bytes():
    data = np.random.default_rng(42).bytes(5000)
    error = _refusal(data)
    assert (error.code, error.params, str(error)) == ("not_image", {}, "The file is not an image.")


def test_it_refuses_a_tiny_text_file():
    assert _refusal(b"vm\n").code == "not_image"


@pytest.mark.parametrize(("fmt", "name"), [("TIFF", "TIFF"), ("PPM", "PPM"), ("GIF", "GIF")])
def test_it_refuses_other_formats(make_image_bytes, fmt, name):
    error = _refusal(make_image_bytes(fmt=fmt, mode="RGB" if fmt != "GIF" else "P", color=1))
    assert (error.code, error.params) == ("unsupported_format", {"format": name})
    assert str(error) == f"{name} images are not supported; use JPEG, PNG, WebP or BMP."


def _animation(fmt: str) -> bytes:
    frames = [Image.new("RGB", (64, 64), c) for c in ("red", "green", "blue")]
    buf = io.BytesIO()
    frames[0].save(buf, fmt, save_all=True, append_images=frames[1:])
    return buf.getvalue()


@pytest.mark.parametrize("fmt", ["GIF", "PNG", "WEBP"])
def test_it_refuses_animations(fmt):
    error = _refusal(_animation(fmt))
    assert (error.code, error.params) == ("animated", {"frames": 3})
    assert str(error) == "The image is animated (3 frames); use a still image."


def test_it_refuses_a_huge_png_header_without_decoding():
    data = _huge_png_header(20000, 20000)
    assert len(data) < 1000
    error = _refusal(data)
    assert error.code == "too_many_pixels"
    assert error.params == {"width": 20000, "height": 20000, "limit": 40_000_000}
    assert str(error) == "The image is 20000x20000 pixels; the limit is 40000000 pixels."


def test_our_pixel_limit_wins_over_pillows(monkeypatch):
    # Pillow would raise its own DecompressionBombError at open; ours must come first.
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 1000)
    error = _refusal(_huge_png_header(2000, 2000), max_pixels=100_000)
    assert error.params == {"width": 2000, "height": 2000, "limit": 100_000}
    # And an image within our limit loads even though Pillow's would refuse it.
    buf = io.BytesIO()
    Image.new("RGB", (100, 100)).save(buf, "PNG")
    assert load_image(buf.getvalue(), max_pixels=100_000).shape == (100, 100, 3)


def test_it_refuses_a_huge_webp_header():
    # VP8X header claiming 16384x16384; the rest of the file is missing.
    body = bytes([0, 0, 0, 0]) + (16383).to_bytes(3, "little") + (16383).to_bytes(3, "little")
    chunk = b"VP8X" + struct.pack("<I", len(body)) + body
    data = b"RIFF" + struct.pack("<I", 4 + len(chunk)) + b"WEBP" + chunk
    error = _refusal(data)
    assert (error.code, error.params["width"], error.params["height"]) == (
        "too_many_pixels", 16384, 16384,
    )  # fmt: skip


def test_it_refuses_a_one_pixel_image(make_image_bytes):
    error = _refusal(make_image_bytes(size=(1, 1)))
    assert error.code == "too_small"
    assert error.params == {"width": 1, "height": 1, "min_side": 32}
    assert str(error) == "The image is 1x1 pixels; each side must be at least 32."


def test_too_small_uses_the_upright_size():
    exif = Image.Exif()
    exif[0x0112] = 6  # rotated: 100x20 stored, 20x100 shown
    buf = io.BytesIO()
    Image.new("RGB", (100, 20)).save(buf, "JPEG", exif=exif.tobytes())
    error = _refusal(buf.getvalue(), min_side=32)
    assert error.params == {"width": 20, "height": 100, "min_side": 32}


def test_it_refuses_a_truncated_jpeg(data_dir):
    data = (data_dir / "faces" / "obama.jpg").read_bytes()
    truncated = data[: len(data) // 2]
    assert probe_image(truncated).format == "JPEG"  # the header is fine
    with pytest.raises(ImageError) as info:
        load_image(truncated)
    assert (info.value.code, str(info.value)) == ("damaged", "The image is damaged or truncated.")


def test_it_refuses_truncated_files_even_if_pillow_is_told_to_accept_them(
    data_dir, monkeypatch, make_image_bytes
):
    monkeypatch.setattr(ImageFile, "LOAD_TRUNCATED_IMAGES", True)
    jpeg = (data_dir / "faces" / "obama.jpg").read_bytes()
    png = (data_dir / "faces" / "astronaut.png").read_bytes()
    bmp = make_image_bytes(size=(64, 64), fmt="BMP")
    for data in (jpeg[: len(jpeg) // 2], png[: len(png) // 2], bmp[:-100]):
        with pytest.raises(ImageError) as info:
            load_image(data)
        assert info.value.code == "damaged"


def test_it_refuses_corrupt_png_data(data_dir):
    data = bytearray((data_dir / "faces" / "astronaut.png").read_bytes())
    start = data.index(b"IDAT") + 8
    data[start : start + 2000] = bytes(2000)
    with pytest.raises(ImageError) as info:
        load_image(bytes(data))
    assert info.value.code == "damaged"


# --- encode_jpeg --------------------------------------------------------------------


def test_encode_jpeg_writes_no_metadata(data_dir):
    image = load_image(data_dir / "faces" / "biden.jpg")  # the source carries EXIF
    data = encode_jpeg(image)
    reopened = Image.open(io.BytesIO(data))
    assert reopened.format == "JPEG" and reopened.size == (970, 2204)
    assert not reopened.getexif()
    assert not set(reopened.info) & {"exif", "icc_profile", "comment", "xmp", "photoshop"}
    assert not any(m in data for m in (b"Exif\0", b"ICC_PROFILE", b"http://ns.adobe.com"))
    assert np.abs(load_image(data).astype(int) - image).mean() < 3


def test_encode_jpeg_checks_its_input():
    with pytest.raises(InvalidImageError):
        encode_jpeg(np.zeros((8, 8), np.uint8))
    with pytest.raises(ValueError):
        encode_jpeg(np.zeros((8, 8, 3), np.uint8), quality=0)


def test_encode_jpeg_leaves_input_unchanged():
    image = np.random.default_rng(0).integers(0, 256, (32, 32, 3), dtype=np.uint8)
    before = image.copy()
    encode_jpeg(image)
    assert np.array_equal(image, before)


@pytest.mark.parametrize("mode,bits", [("RGB", 8), ("RGB", 16), ("RGBA", 8), ("P", 8), ("L", 8)])
def test_a_png_decodes_to_the_same_pixels_whichever_decoder_reads_it(mode, bits):
    # Plain RGB PNGs are read by OpenCV, the others by Pillow: the pixels are Pillow's.
    rng = np.random.default_rng(bits)
    if bits == 16:
        wide = rng.integers(0, 65535, (48, 64, 3)).astype(np.uint16)
        ok, encoded = cv2.imencode(".png", wide)
        data = encoded.tobytes()
    else:
        image = Image.fromarray(rng.integers(0, 255, (48, 64, 3), dtype=np.uint8)).convert(mode)
        buf = io.BytesIO()
        image.save(buf, "PNG", icc_profile=b"\0" * 200)  # a (faulty) colour profile
        data = buf.getvalue()
    with Image.open(io.BytesIO(data)) as im:
        im.load()
        expected = _to_rgb(im)
    np.testing.assert_array_equal(load_image(data), expected)
    np.testing.assert_array_equal(open_image(data).pixels(), expected)
    damaged = bytearray(data)
    damaged[len(data) // 2] ^= 0xFF
    with pytest.raises(ImageError):
        load_image(bytes(damaged))
