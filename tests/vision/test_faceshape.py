"""face_shape: the 88-point layout, its order, and its placement on real photos."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image

from bench.accuracy import faceshape_accuracy
from webapp.vision import (
    FACE_SHAPE_GROUPS,
    FaceShape,
    InvalidImageError,
    face_shape,
    load_image,
)


def _all_points(face) -> np.ndarray:
    return np.array([p for group in FACE_SHAPE_GROUPS for p in getattr(face, group)])


@pytest.fixture
def astronaut(photo):
    return face_shape(photo("faces/astronaut.png")).faces[0]


def test_groups_and_counts():
    assert list(FACE_SHAPE_GROUPS.items()) == [
        ("face_profile", 21),
        ("left_eye", 8),
        ("right_eye", 8),
        ("left_eyebrow", 8),
        ("right_eyebrow", 8),
        ("mouth", 22),
        ("nose", 13),
    ]
    assert sum(FACE_SHAPE_GROUPS.values()) == 88


def test_result_shape(photo, astronaut):
    result = face_shape(photo("faces/astronaut.png"))
    assert isinstance(result, FaceShape)
    assert (result.width, result.height, len(result.faces)) == (512, 512, 1)
    for group, count in FACE_SHAPE_GROUPS.items():
        points = getattr(astronaut, group)
        assert len(points) == count
        assert all(type(x) is int and type(y) is int for x, y in points)


# Eyeballed on a 8x zoom of astronaut.png, not taken from the engine's output.
ASTRONAUT = {
    ("left_eye", 0): (193, 101),
    ("left_eye", 4): (212, 102),
    ("right_eye", 4): (236, 104),
    ("right_eye", 0): (258, 103),
    ("mouth", 0): (203, 140),
    ("mouth", 6): (244, 140),
    ("nose", 0): (224, 127),
}


@pytest.mark.parametrize(("where", "expected"), ASTRONAUT.items())
def test_astronaut_points_are_where_the_features_are(astronaut, where, expected):
    group, index = where
    x, y = getattr(astronaut, group)[index]
    assert abs(x - expected[0]) <= 4 and abs(y - expected[1]) <= 4


def test_order_follows_tencents_example(astronaut):
    f = astronaut
    # Eyes: 0 outer corner, 4 inner corner; "left" is the image's left.
    assert f.left_eye[0][0] < f.left_eye[4][0] < f.right_eye[4][0] < f.right_eye[0][0]
    # 1-3 lower lid below 5-7 upper lid, both running away from the outer corner and back.
    for eye in (f.left_eye, f.right_eye):
        assert all(eye[i][1] > eye[8 - i][1] for i in (1, 2, 3))
    assert f.left_eye[1][0] < f.left_eye[2][0] < f.left_eye[3][0]
    assert f.right_eye[1][0] > f.right_eye[2][0] > f.right_eye[3][0]
    # Eyebrows: 0 outer end, 4 inner end, above the eyes; 5-7 upper edge above 1-3.
    brows_x = [
        f.left_eyebrow[0][0],
        f.left_eyebrow[4][0],
        f.right_eyebrow[4][0],
        f.right_eyebrow[0][0],
    ]
    assert brows_x == sorted(brows_x)
    for brow, eye in ((f.left_eyebrow, f.left_eye), (f.right_eyebrow, f.right_eye)):
        # The edges above the whole eye; the ends (where people put a brow's tail: low, on
        # this tilted head level with the top of the other lid) above the eye's corners.
        assert all(brow[i][1] < min(y for _, y in eye) for i in (1, 2, 3, 5, 6, 7))
        assert brow[0][1] < eye[0][1] and brow[4][1] < eye[4][1]
        assert all(brow[8 - i][1] < brow[i][1] for i in (1, 2, 3))
    # Mouth: 0 left corner, 6 right corner, 3 lower lip centre, 9 upper lip centre.
    m = f.mouth
    assert m[0][0] < m[3][0] < m[6][0] and m[0][0] < m[9][0] < m[6][0]
    assert m[9][1] < m[3][1]
    assert [x for x, _ in m[1:6]] == sorted(x for x, _ in m[1:6])  # lower lip left to right
    assert [x for x, _ in m[7:12]] == sorted((x for x, _ in m[7:12]), reverse=True)
    assert [x for x, _ in m[12:17]] == sorted(x for x, _ in m[12:17])  # inner lower, left to right
    assert [x for x, _ in m[17:22]] == sorted((x for x, _ in m[17:22]), reverse=True)
    # Top to bottom: outer upper, inner upper, inner lower, outer lower lip centres.
    assert m[9][1] <= m[19][1] <= m[14][1] <= m[3][1]
    # Nose: 0 tip; 1 top left, 5 left wing, 9 right wing, 12 top right; base 6-8 below the tip.
    n = f.nose
    assert n[5][0] < n[0][0] < n[9][0]
    assert n[1][1] < n[3][1] < n[5][1] and n[12][1] < n[10][1] < n[9][1]
    assert all(n[i][1] > n[0][1] for i in (6, 7, 8)) and n[6][0] < n[7][0] < n[8][0]
    # Profile: image-left temple at eye height, down to the chin (10, the lowest), up the right.
    p = f.face_profile
    assert max(range(21), key=lambda i: p[i][1]) == 10
    assert p[0][0] < f.left_eye[0][0] and p[20][0] > f.right_eye[0][0]
    assert abs(p[0][1] - f.left_eye[0][1]) <= 3 and abs(p[20][1] - f.right_eye[0][1]) <= 3
    assert [y for _, y in p[:11]] == sorted(y for _, y in p[:11])
    assert [y for _, y in p[10:]] == sorted((y for _, y in p[10:]), reverse=True)


def test_profile_points_are_evenly_spaced(astronaut):
    p = np.array(astronaut.face_profile, dtype=float)
    for half in (p[:11], p[10:]):
        steps = np.hypot(*np.diff(half, axis=0).T)
        assert steps.max() - steps.min() <= 3  # even arc length, up to rounding


def test_mode_1_returns_the_largest_face(photo):
    image = photo("faces/two_people.jpg")
    every = face_shape(image, mode=0)
    largest = face_shape(image, mode=1)
    assert len(every.faces) == 2 and len(largest.faces) == 1
    assert largest.faces[0] == every.faces[0]
    assert largest.faces[0].nose[0][0] > 600  # the person on the right
    assert every.faces[1].nose[0][0] < 600


@pytest.mark.parametrize(
    ("name", "count"),
    [
        ("landmarks68/breakingbad.jpg", 2),
        ("faces/biden.jpg", 1),
        ("landmarks68/einstein.jpg", 2),  # with the small seated man
        ("faces/32bit.png", 1),  # RGBA, flattened onto white
    ],
)
def test_every_face_is_found(photo, name, count):
    assert len(face_shape(photo(name)).faces) == count


def test_no_face_gives_an_empty_result():
    ramp = np.linspace(0, 255, 256, dtype=np.uint8)
    image = np.stack([np.tile(ramp, (200, 1))] * 3, axis=2)
    assert face_shape(image) == FaceShape(width=256, height=200, faces=())
    assert face_shape(image, mode=1).faces == ()


def test_points_are_clipped_to_the_image(photo):
    image = photo("faces/obama_partial_face.jpg")
    face = face_shape(image).faces[0]
    points = _all_points(face)
    assert points.min() >= 0
    assert (points[:, 0] <= image.shape[1] - 1).all() and (points[:, 1] <= image.shape[0] - 1).all()
    assert face.face_profile[0][0] == 0  # the image-left temple is outside the picture


def test_exif_rotated_copy_gives_the_same_upright_points(photo, astronaut):
    # Store the pixels turned a quarter left, with EXIF saying "turn right to view".
    upright = photo("faces/astronaut.png")
    exif = Image.Exif()
    exif[0x0112] = 6
    buf = io.BytesIO()
    Image.fromarray(np.rot90(upright, k=1)).save(buf, "PNG", exif=exif.tobytes())
    loaded = load_image(buf.getvalue())
    assert np.array_equal(loaded, upright)
    assert face_shape(loaded).faces[0] == astronaut


def test_exif_mirrored_copy_gives_mirrored_points(photo, astronaut):
    exif = Image.Exif()
    exif[0x0112] = 2  # mirrored: viewing flips left and right
    buf = io.BytesIO()
    Image.fromarray(photo("faces/astronaut.png")).save(buf, "PNG", exif=exif.tobytes())
    mirrored = face_shape(load_image(buf.getvalue())).faces[0]
    for mine, theirs in (("left_eye", "right_eye"), ("left_eyebrow", "right_eyebrow")):
        for index in (0, 4):
            x, y = getattr(mirrored, mine)[index]
            x0, y0 = getattr(astronaut, theirs)[index]
            assert abs(x - (511 - x0)) <= 3 and abs(y - y0) <= 3
    assert abs(mirrored.mouth[0][0] - (511 - astronaut.mouth[6][0])) <= 3


def test_it_works_on_greyscale(photo):
    result = face_shape(photo("landmarks68/einstein.jpg"))
    assert len(result.faces) == 2  # Einstein and the man seated at the lower left
    assert (result.width, result.height) == (817, 1024)


def test_input_is_unchanged(photo):
    image = np.array(photo("faces/two_people.jpg"))
    before = image.copy()
    face_shape(image, mode=0)
    face_shape(image, mode=1)
    assert np.array_equal(image, before)


def test_it_checks_its_arguments(photo):
    with pytest.raises(InvalidImageError):
        face_shape(np.zeros((64, 64, 3), np.int32))
    with pytest.raises(ValueError, match="mode must be 0"):
        face_shape(photo("faces/astronaut.png"), mode=2)


# --- accuracy against iBUG 68-point ground truth --------------------------------------


@pytest.fixture(scope="module")
def accuracy():
    return faceshape_accuracy()


def test_every_annotated_face_is_found(accuracy):
    assert set(accuracy["images"]) == {"breakingbad.jpg", "einstein.jpg", "takeo.ppm"}
    assert accuracy["all_found"]


def test_accuracy_does_not_regress(accuracy):
    # A guard against regressions at today's level, not the product target (4%),
    # which `make bench` measures and reports as met or missed.
    # Measured: breakingbad 7.8%, einstein 7.8%, takeo 4.0%, mean 6.5%.
    assert accuracy["mean_error"] <= 0.07
    assert all(r["error"] <= 0.085 for r in accuracy["images"].values())
