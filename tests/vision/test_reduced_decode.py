"""Decoding only what is needed: a Picture's reductions, and faces found through them."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image

from webapp.vision import ImageError, detect_faces, load_image, open_image
from webapp.vision.landmarks import dense_landmarks

from .conftest import DATA

LIMITS = {"max_bytes": 50 * 2**20, "max_pixels": 40_000_000}


def _phone_jpeg(name: str, size: tuple[int, int], orientation: int = 1) -> bytes:
    """A test photo enlarged to a phone's size, saved as a phone saves it (EXIF orientation).

    With an orientation, the pixels are stored turned so that the tag turns them upright.
    """
    with Image.open(DATA / "faces" / name) as im:
        big = im.convert("RGB").resize(size, Image.Resampling.BICUBIC)
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"
    if orientation == 6:  # stored turned 90 degrees anticlockwise; the viewer turns it clockwise
        big = big.transpose(Image.Transpose.ROTATE_90)
        exif[0x0112] = 6
    buf = io.BytesIO()
    big.save(buf, "JPEG", quality=88, exif=exif)
    return buf.getvalue()


def _same_faces(reduced, whole) -> None:
    assert len(reduced) == len(whole) >= 1
    for a, b in zip(reduced, whole, strict=True):
        iod = np.linalg.norm(b.mesh[33, :2] - b.mesh[263, :2])
        distance = np.linalg.norm(a.mesh[:, :2] - b.mesh[:, :2], axis=1)
        # Different pixels (a reduced decode), the same face: within 3% of the
        # eye distance at the median point (measured: under 1%).
        assert np.median(distance) < 0.03 * iod
        ax, ay, aw, ah = a.box
        bx, by, bw, bh = b.box
        assert abs(ax - bx) < 0.1 * bw and abs(ay - by) < 0.1 * bh
        assert abs(aw - bw) < 0.1 * bw and abs(ah - bh) < 0.1 * bh


@pytest.mark.parametrize(
    "name", ["astronaut.png", "obama.jpg", "two_people.jpg", "biden.jpg", "32bit.png"]
)
def test_a_picture_gives_the_faces_of_the_whole_array(name):
    path = DATA / "faces" / name
    reduced = detect_faces(open_image(path))
    whole = detect_faces(load_image(path))
    _same_faces(reduced, whole)


@pytest.mark.parametrize("orientation", [1, 6])
def test_a_phone_photo_is_searched_reduced_with_the_same_faces(orientation):
    data = _phone_jpeg("two_people.jpg", (4000, 2348), orientation)
    picture = open_image(data, **LIMITS)
    assert picture.shape == (2348, 4000, 3)
    largest = detect_faces(picture, max_faces=1)
    # The largest face was found and fitted without decoding the whole photo.
    assert 1 not in picture.decoded()
    every = detect_faces(picture)
    assert 1 not in picture.decoded()
    whole = load_image(data, **LIMITS)
    assert whole.shape == picture.shape
    _same_faces(every, detect_faces(whole))
    _same_faces(largest, detect_faces(whole, max_faces=1))


def test_a_small_face_in_a_large_photo_is_fitted_on_enough_pixels():
    # biden.jpg's face is small: enlarged 3x it is about 150 px wide, which the
    # mesh needs at full resolution (a reduction by 2 would leave its crop enlarged).
    with Image.open(DATA / "faces" / "biden.jpg") as im:
        big = im.convert("RGB").resize((im.width * 3, im.height * 3), Image.Resampling.BICUBIC)
    buf = io.BytesIO()
    big.save(buf, "JPEG", quality=90)
    picture = open_image(buf.getvalue(), **LIMITS)
    faces = detect_faces(picture, max_faces=1)
    whole = detect_faces(load_image(buf.getvalue(), **LIMITS), max_faces=1)
    _same_faces(faces, whole)


@pytest.mark.parametrize("orientation", [1, 6])
@pytest.mark.parametrize("factor", [2, 4, 8])
def test_a_reduction_is_the_whole_picture_averaged(factor, orientation):
    data = _phone_jpeg("obama.jpg", (1603, 1201), orientation)
    picture = open_image(data)
    reduced = picture.reduced(factor)
    height, width = picture.shape[:2]
    assert reduced.shape == (-(-height // factor), -(-width // factor), 3)
    whole = load_image(data)
    ox, oy = picture.offset(factor)
    if orientation == 1:
        assert (ox, oy) == (0, 0)
    else:  # turned clockwise: the stored bottom rows (1603 = 200 * 8 + 3) come first
        assert (ox, oy) == (-1603 % factor, 0)
    # Reduction pixel i covers whole pixels factor * i - offset ... factor * (i + 1) - 1 - offset.
    padded = np.pad(
        whole,
        (
            (oy, reduced.shape[0] * factor - height - oy),
            (ox, reduced.shape[1] * factor - width - ox),
            (0, 0),
        ),
        mode="edge",
    ).astype(float)
    expected = padded.reshape(reduced.shape[0], factor, reduced.shape[1], factor, 3).mean(
        axis=(1, 3)
    )
    # libjpeg's scaled decode is not exactly an average of the full decode's pixels.
    difference = np.abs(reduced.astype(int) - expected)
    assert difference.mean() < 3
    assert np.percentile(difference, 99) < 30


def test_the_whole_picture_is_load_image():
    data = _phone_jpeg("obama.jpg", (801, 601), orientation=6)
    picture = open_image(data)
    assert picture.decoded() == ()
    np.testing.assert_array_equal(picture.pixels(), load_image(data))
    assert picture.pixels() is picture.pixels()  # decoded once


def test_png_reductions_are_made_from_the_whole_decode():
    picture = open_image(DATA / "faces" / "astronaut.png")
    assert picture.reduced(2).shape == (256, 256, 3)
    assert picture.decoded() == (1, 2)


def test_open_image_checks_what_load_image_checks(tmp_path):
    data = _phone_jpeg("obama.jpg", (801, 601))
    with pytest.raises(ImageError) as caught:
        open_image(data[: len(data) // 2])
    assert caught.value.code == "damaged"
    with pytest.raises(ImageError) as caught:
        open_image(data, max_pixels=1000)
    assert caught.value.code == "too_many_pixels"
    with pytest.raises(ValueError):
        open_image(data).reduced(3)


def test_damage_inside_the_data_is_refused_when_decoded():
    data = bytearray(_phone_jpeg("obama.jpg", (801, 601)))
    start = data.index(b"\xff\xda")
    # Markers that do not belong in the compressed data: the decoder fails on them.
    data[start + 2000 : start + 2400] = b"\xff\xd0\xff\xc0" * 100
    picture = open_image(bytes(data))
    with pytest.raises(ImageError) as caught:
        picture.reduced(8)
        picture.pixels()
    assert caught.value.code == "damaged"


@pytest.mark.parametrize("orientation", [1, 6])
def test_dense_landmarks_on_a_phone_photo_are_those_of_the_whole_array(orientation):
    # The hairline is searched in a reduction with enough pixels, not the whole photo.
    data = _phone_jpeg("obama.jpg", (3204, 2403), orientation)
    reduced = dense_landmarks(open_image(data, **LIMITS))
    whole = dense_landmarks(load_image(data, **LIMITS))
    assert (reduced.width, reduced.height) == (whole.width, whole.height)
    assert reduced.hairline_method == whole.hairline_method == "skin"
    a, b = reduced.landmark["face"], whole.landmark["face"]
    assert a.keys() == b.keys()
    left, right = whole.landmark["left_eye"], whole.landmark["right_eye"]
    iod = np.linalg.norm(np.subtract(left["left_eye_0"], right["right_eye_0"]))
    distance = [np.linalg.norm(np.subtract(a[k], b[k])) for k in a]
    # Measured: 1.0% of the eye distance on average, 2.2% at most.
    assert np.mean(distance) < 0.02 * iod and max(distance) < 0.08 * iod
