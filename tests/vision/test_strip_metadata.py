"""Metadata cut out of a JPEG without re-encoding: the same pixels, nothing personal left."""

from __future__ import annotations

import io
import struct

import numpy as np
import pytest
from PIL import Image

from webapp.vision import ImageError, load_image, strip_jpeg_metadata

from .conftest import DATA

XMP = b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:Description City="SecretTown"/></x:xmpmeta>'


def _segments(data: bytes) -> list[int]:
    """The markers of the segments before the first scan."""
    markers, pos = [], 2
    while data[pos + 1] != 0xDA:
        markers.append(data[pos + 1])
        (length,) = struct.unpack(">H", data[pos + 2 : pos + 4])
        pos += 2 + length
    return markers


def _with_metadata(**options) -> bytes:
    with Image.open(DATA / "faces" / "obama.jpg") as im:
        image = im.convert("RGB")
    exif = Image.Exif()
    exif[0x010F] = "SecretCam"
    exif.get_ifd(0x8825)[2] = (48.0, 51.0, 24.0)  # GPS latitude
    icc = b"\x00\x00\x02\x0cSecretProfile" + bytes(500)
    buf = io.BytesIO()
    image.save(
        buf, "JPEG", quality=90, exif=exif, icc_profile=icc, comment=b"SecretNote", **options
    )
    data = buf.getvalue()
    # An XMP packet, as phones write it, after the EXIF segment.
    xmp = b"http://ns.adobe.com/xap/1.0/\x00" + XMP
    segment = b"\xff\xe1" + struct.pack(">H", len(xmp) + 2) + xmp
    return data[:2] + segment + data[2:]


@pytest.mark.parametrize("options", [{}, {"progressive": True}, {"subsampling": 0}])
def test_the_pixels_stay_and_the_metadata_goes(options):
    data = _with_metadata(**options)
    for secret in (b"SecretCam", b"SecretProfile", b"SecretNote", b"SecretTown"):
        assert secret in data
    stripped = strip_jpeg_metadata(data)
    for secret in (b"SecretCam", b"SecretProfile", b"SecretNote", b"SecretTown"):
        assert secret not in stripped
    with Image.open(io.BytesIO(stripped)) as im:
        assert not im.getexif()
        assert not {"exif", "icc_profile", "comment", "xmp"} & set(im.info)
    assert set(_segments(stripped)) <= {0xE0, 0xEE, 0xDB, 0xC0, 0xC2, 0xC4, 0xDD}
    np.testing.assert_array_equal(load_image(stripped), load_image(data))
    assert len(data) - len(stripped) > 500


def test_every_test_photo_keeps_its_pixels():
    for path in sorted((DATA / "faces").glob("*.jpg")) + sorted((DATA / "idphoto").glob("*.jpg")):
        data = path.read_bytes()
        stripped = strip_jpeg_metadata(data)
        np.testing.assert_array_equal(load_image(stripped), load_image(data), err_msg=path.name)
        with Image.open(io.BytesIO(stripped)) as im:
            assert not im.getexif(), path.name


def test_an_adobe_cmyk_jpeg_keeps_its_colour_transform():
    with Image.open(DATA / "faces" / "obama.jpg") as im:
        cmyk = im.convert("CMYK")
    buf = io.BytesIO()
    cmyk.save(buf, "JPEG", quality=90)
    data = buf.getvalue()
    stripped = strip_jpeg_metadata(data)
    assert 0xEE in _segments(stripped)
    np.testing.assert_array_equal(load_image(stripped), load_image(data))


def test_what_follows_the_image_is_dropped():
    data = _with_metadata()
    # A multi-picture file's second view (with its own EXIF) follows the first image.
    stripped = strip_jpeg_metadata(data + data)
    assert stripped == strip_jpeg_metadata(data)
    assert stripped.endswith(b"\xff\xd9") and stripped.count(b"\xff\xd8") == 1


def test_a_truncated_file_is_refused():
    data = _with_metadata()
    for cut in (len(data) // 2, 40, 3):
        with pytest.raises(ImageError) as caught:
            strip_jpeg_metadata(data[:cut])
        assert caught.value.code == "damaged"
    with pytest.raises(ImageError):
        strip_jpeg_metadata(b"\x89PNG\r\n\x1a\n")


@pytest.mark.parametrize("orientation", range(2, 9))
def test_a_turned_photo_keeps_its_orientation_alone(orientation):
    with Image.open(DATA / "faces" / "obama.jpg") as im:
        photo = im.convert("RGB")
    exif = Image.Exif()
    exif[0x0112] = orientation
    exif[0x010F] = "SecretCam"
    buf = io.BytesIO()
    photo.save(buf, "JPEG", quality=90, exif=exif)
    data = buf.getvalue()
    stripped = strip_jpeg_metadata(data, orientation=orientation)
    assert b"SecretCam" not in stripped
    with Image.open(io.BytesIO(stripped)) as im:
        assert dict(im.getexif()) == {0x0112: orientation}
    # The same upright pixels: the compressed data is not touched.
    np.testing.assert_array_equal(load_image(stripped), load_image(data))


def test_an_orientation_outside_exif_is_refused():
    with pytest.raises(ValueError):
        strip_jpeg_metadata((DATA / "faces" / "obama.jpg").read_bytes(), orientation=9)
