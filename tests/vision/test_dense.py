"""dense_landmarks: Face++'s dense layout, its directions, the hairline, accuracy on real photos."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from bench.accuracy import read_pts
from bench.dense import image_accuracy, order_problems, sequences
from webapp.vision import InvalidImageError, load_image
from webapp.vision.faces import detect_faces
from webapp.vision.landmarks.curves import catmull_rom, resample
from webapp.vision.landmarks.dense import (
    ALL_PARTS,
    PART_FIELDS,
    DenseLandmarks,
    dense_landmarks,
    dense_landmarks_for_face,
)
from webapp.vision.landmarks.hairline import HAIRLINE_POINTS, find_hairline
from webapp.vision.landmarks.outline import face_outline

SEQUENCE_COUNTS = {
    "face_hairline": 145,
    "face_contour_right": 64,
    "face_contour_left": 64,
    "left_eyebrow": 64,
    "right_eyebrow": 64,
    "left_eye": 63,
    "right_eye": 63,
    "nose_left": 63,
    "nose_right": 63,
    "nose_midline": 60,
    "upper_lip": 64,
    "lower_lip": 64,
}


DATA = Path(__file__).resolve().parent.parent / "data"


@pytest.fixture(scope="module")
def obama() -> DenseLandmarks:
    return dense_landmarks(load_image(DATA / "faces" / "obama.jpg"))


@pytest.fixture(scope="module")
def seq(obama) -> dict[str, np.ndarray]:
    return sequences(obama)


def _point(result: DenseLandmarks, part: str, name: str) -> np.ndarray:
    return np.array(result.landmark[part][name], dtype=float)


# --- names and counts --------------------------------------------------------------


def test_parts_and_field_names_follow_face_plus_plus():
    assert ALL_PARTS == (
        "face",
        "left_eyebrow",
        "right_eyebrow",
        "left_eye",
        "right_eye",
        "nose",
        "mouth",
    )
    assert PART_FIELDS["face"][:1] == ("face_hairline_0",)
    assert PART_FIELDS["face"][144:146] == ("face_hairline_144", "face_contour_right_0")
    assert PART_FIELDS["face"][-1] == "face_contour_left_63"
    assert PART_FIELDS["left_eye"][-3:] == (
        "left_eye_62",
        "left_eye_pupil_center",
        "left_eye_pupil_radius",
    )
    assert PART_FIELDS["right_eye"][-2:] == ("right_eye_pupil_center", "right_eye_pupil_radius")
    assert PART_FIELDS["nose"][126:128] == ("left_nostril", "right_nostril")
    assert PART_FIELDS["nose"][-1] == "nose_midline_59"
    assert PART_FIELDS["mouth"][63:65] == ("upper_lip_63", "lower_lip_0")
    counts = {part: len(names) for part, names in PART_FIELDS.items()}
    assert counts == {
        "face": 145 + 64 + 64,
        "left_eyebrow": 64,
        "right_eyebrow": 64,
        "left_eye": 65,
        "right_eye": 65,
        "nose": 63 + 63 + 2 + 60,
        "mouth": 128,
    }
    assert all(len(set(names)) == len(names) for names in PART_FIELDS.values())


def test_a_result_has_every_field_in_order(obama):
    assert obama.found
    assert list(obama.landmark) == list(ALL_PARTS)
    for part, names in PART_FIELDS.items():
        assert tuple(obama.landmark[part]) == names


def test_points_are_int_pairs_and_radii_bare_ints(obama):
    for fields in obama.landmark.values():
        for name, value in fields.items():
            if name.endswith("_pupil_radius"):
                assert type(value) is int and 2 <= value <= 30
            else:
                assert type(value) is tuple and len(value) == 2
                assert all(type(v) is int for v in value)


def test_sequence_lengths(seq):
    assert {name: len(points) for name, points in seq.items()} == SEQUENCE_COUNTS


def test_face_rectangle_spans_brows_to_chin(obama, seq):
    top, left, width, height = obama.face_rectangle
    assert (obama.width, obama.height) == (910, 1137)
    brows = np.vstack([seq["left_eyebrow"], seq["right_eyebrow"]])
    chin = seq["face_contour_right"][0]
    assert abs(top - brows[:, 1].min()) <= 2
    assert abs(top + height - chin[1]) <= 2
    assert left <= seq["face_contour_left"][:, 0].min() + 2
    assert left + width >= seq["face_contour_right"][:, 0].max() - 2


# --- directions (Face++'s "left" is the image's left; clockwise as on screen) ----------


def test_eyes(seq, obama):
    left, right = seq["left_eye"], seq["right_eye"]
    # left_eye: from its left corner, clockwise: the upper lid first, the right corner at 31.
    assert left[0, 0] == left[:, 0].min() and abs(left[31, 0] - left[:, 0].max()) <= 1
    assert left[15, 1] < left[47, 1]  # upper lid above lower lid
    assert left[10, 0] < left[20, 0] and left[42, 0] > left[52, 0]
    # right_eye: from its right corner, counter-clockwise: the upper lid first, leftwards.
    assert right[0, 0] == right[:, 0].max() and abs(right[31, 0] - right[:, 0].min()) <= 1
    assert right[15, 1] < right[47, 1]
    assert right[10, 0] > right[20, 0] and right[42, 0] < right[52, 0]
    assert left[:, 0].max() < right[:, 0].min()
    for eye, points in (("left_eye", left), ("right_eye", right)):
        cx, cy = obama.landmark[eye][f"{eye}_pupil_center"]
        assert (
            points[:, 0].min() < cx < points[:, 0].max()
            and points[:, 1].min() <= cy <= points[:, 1].max()
        )


def test_eyebrows(seq):
    left, right = seq["left_eyebrow"], seq["right_eyebrow"]
    # left_eyebrow: from its left end, clockwise (upper edge rightwards), its right end at 32.
    assert left[0, 0] == left[:, 0].min() and left[32, 0] == left[:, 0].max()
    assert left[16, 1] < left[48, 1] and left[8, 0] < left[24, 0]
    # right_eyebrow: from its right end, counter-clockwise (upper edge leftwards).
    assert right[0, 0] == right[:, 0].max() and right[32, 0] == right[:, 0].min()
    assert right[16, 1] < right[48, 1] and right[8, 0] > right[24, 0]
    assert left[:, 0].max() < right[:, 0].min()
    assert left[:, 1].max() < seq["left_eye"][:, 1].min()


def test_lips(seq):
    upper, lower = seq["upper_lip"], seq["lower_lip"]
    # 0-31 the outer edge from the left corner rightwards, 32-63 the inner edge back.
    for lip in (upper, lower):
        assert lip[0, 0] == lip[:, 0].min() and lip[32, 0] == lip[:, 0].max()
        assert lip[8, 0] < lip[16, 0] < lip[24, 0] < lip[31, 0]
        assert lip[40, 0] > lip[48, 0] > lip[56, 0] > lip[63, 0]
    assert upper[16, 1] < upper[48, 1]  # outer edge of the upper lip above its inner edge
    assert lower[16, 1] > lower[48, 1]  # outer edge of the lower lip below its inner edge
    assert upper[16, 1] < lower[16, 1]
    np.testing.assert_allclose(upper[0], lower[0], atol=1)  # both start at the left corner


def test_contours_run_from_the_chin(seq):
    right, left = seq["face_contour_right"], seq["face_contour_left"]
    np.testing.assert_allclose(right[0], left[0], atol=1)  # face_contour_right_0: the chin's centre
    assert right[0, 1] >= right[:, 1].max() - 1 and left[0, 1] >= left[:, 1].max() - 1
    # Up towards the right ear (counter-clockwise) and the left ear (clockwise).
    assert right[63, 0] > right[0, 0] + 100 and right[63, 1] < right[0, 1] - 150
    assert left[63, 0] < left[0, 0] - 100 and left[63, 1] < left[0, 1] - 150
    # They end a little below the eyes.
    eyes_y = np.vstack([seq["left_eye"], seq["right_eye"]])[:, 1].mean()
    assert 0 < right[63, 1] - eyes_y < 40 and 0 < left[63, 1] - eyes_y < 40


def test_hairline_runs_from_the_right_ear_over_the_top(seq):
    hair = seq["face_hairline"]
    brows_top = np.vstack([seq["left_eyebrow"], seq["right_eyebrow"]])[:, 1].min()
    centre_x = seq["nose_midline"][:, 0].mean()
    # Starts on the image's right side, below the eyes; ends on the left side.
    assert hair[0, 0] > centre_x + 100 and hair[144, 0] < centre_x - 100
    assert hair[0, 1] > seq["right_eye"][:, 1].max() and hair[144, 1] > seq["left_eye"][:, 1].max()
    # Counter-clockwise: up the right side, across the top right to left, down the left.
    assert hair[36, 0] > centre_x > hair[108, 0]
    assert hair[72, 1] < min(hair[36, 1], hair[108, 1]) and abs(hair[72, 0] - centre_x) < 40
    assert hair[:, 1].min() < brows_top - 80
    # Its sides overlap the contours' upper ends, as in Face++'s example responses.
    assert hair[0, 1] > seq["face_contour_right"][63, 1]


def test_nose(seq, obama):
    left, right, mid = seq["nose_left"], seq["nose_right"], seq["nose_midline"]
    # Sides from the top of the nose down round the wings to the base under the tip.
    assert left[0, 1] < left[62, 1] - 50 and right[0, 1] < right[62, 1] - 50
    np.testing.assert_allclose(left[62], right[62], atol=2)
    assert left[:, 0].min() < mid[30, 0] < right[:, 0].max()
    assert left[31, 0] < right[31, 0]
    # Midline from between the brows to the philtrum.
    brows = np.vstack([seq["left_eyebrow"], seq["right_eyebrow"]])
    assert brows[:, 1].min() < mid[0, 1] < seq["left_eye"][:, 1].min()
    assert left[62, 1] < mid[59, 1] < seq["upper_lip"][:, 1].min()
    assert np.all(np.diff(mid[:, 1]) >= 0)
    (lx, ly), (rx, ry) = (
        obama.landmark["nose"]["left_nostril"],
        obama.landmark["nose"]["right_nostril"],
    )
    assert left[:, 0].min() < lx < mid[50, 0] < rx < right[:, 0].max()
    assert mid[40, 1] < ly < left[62, 1] and mid[40, 1] < ry < right[62, 1]


PHOTOS = (
    "faces/astronaut.png",
    "faces/obama.jpg",
    "faces/obama2.jpg",
    "faces/biden.jpg",
    "faces/two_people.jpg",
    "faces/obama_partial_face.jpg",
    "landmarks68/einstein.jpg",
    "landmarks68/breakingbad.jpg",
    "landmarks68/takeo.ppm",
)


@pytest.mark.parametrize("name", PHOTOS)
def test_every_sequence_runs_in_order(photo, name):
    result = dense_landmarks(photo(name))
    assert result.found
    assert order_problems(result) == []


# --- accuracy against iBUG 68-point annotations --------------------------------------

# The mean distance of the annotated eyebrow, eye, lip and jaw points to the
# matching dense polyline, over the outer eye-corner distance. The benchmark's
# target (3 %) holds on the frontal takeo; on the tilted einstein and the far
# turned breakingbad the mesh itself is off (raw mesh polylines score 6.3 % and
# 7.4 % there), so these bounds guard against regressions.
ACCURACY_BOUNDS = {"takeo.ppm": 0.025, "einstein.jpg": 0.06, "breakingbad.jpg": 0.055}


@pytest.mark.parametrize(("name", "bound"), ACCURACY_BOUNDS.items())
def test_accuracy_on_annotated_photos(photo, data_dir, name, bound):
    truth = read_pts((data_dir / "landmarks68" / name).with_suffix(".pts"))
    measured = image_accuracy(dense_landmarks(photo(f"landmarks68/{name}")), truth)
    assert measured["found"]
    assert measured["mean"] <= bound
    assert measured["groups"]["eyes"] <= 0.025


# --- hairline ----------------------------------------------------------------------


def test_hairline_follows_the_skin_edge_on_a_clear_forehead(obama, seq):
    assert obama.hairline_method == "skin" and not obama.hairline_estimated
    assert 0.55 <= obama.hairline_coverage <= 1
    # obama.jpg: the hair meets the middle of the forehead at y 82-90 (eyeballed on a 2.5x zoom).
    top = seq["face_hairline"][60:85, 1]
    assert 76 <= top.min() and top.max() <= 96


def _paint_above_brows(image: np.ndarray, colour: tuple[int, int, int]) -> np.ndarray:
    face = detect_faces(image, max_faces=1)[0]
    brows_top = int(face.mesh[[70, 63, 105, 66, 107, 336, 296, 334, 293, 300], 1].min())
    painted = image.copy()
    painted[: brows_top - 8] = colour
    return painted


@pytest.mark.parametrize(
    "colour",
    [(70, 50, 40), None],
    ids=["covered by a dark hat", "bald (skin colour up to the border)"],
)
def test_hairline_falls_back_to_an_estimate(photo, colour):
    image = photo("faces/obama.jpg")
    if colour is None:
        face = detect_faces(image, max_faces=1)[0]
        x, y = face.mesh[151, :2].astype(int)
        colour = tuple(
            int(c) for c in np.median(image[y - 5 : y + 5, x - 5 : x + 5].reshape(-1, 3), axis=0)
        )
    result = dense_landmarks(_paint_above_brows(image, colour))
    assert result.found
    assert result.hairline_method == "estimate" and result.hairline_estimated
    hair = sequences(result)["face_hairline"]
    reference = sequences(dense_landmarks(image))["face_hairline"]
    # The estimate is still a plausible hairline: within a fifth of the face of the real one.
    assert np.abs(hair[72] - reference[72]).max() < 0.2 * result.face_rectangle[2]


def test_find_hairline_checks_the_mesh(photo):
    with pytest.raises(ValueError, match="mesh"):
        find_hairline(photo("faces/astronaut.png"), np.zeros((10, 3)))


def test_hairline_points_and_outline(photo):
    image = photo("faces/biden.jpg")
    face = detect_faces(image, max_faces=1)[0]
    outline = face_outline(face.mesh)
    hairline = find_hairline(image, face.mesh, outline=outline)
    assert hairline.points.shape == (HAIRLINE_POINTS, 2)
    steps = np.hypot(*np.diff(hairline.points, axis=0).T)
    assert steps.std() < 0.05 * steps.mean()  # evenly spaced along the line
    np.testing.assert_allclose(find_hairline(image, face.mesh).points, hairline.points)


# --- parts, no face, inputs --------------------------------------------------------


def test_parts_filter(photo):
    image = photo("faces/astronaut.png")
    result = dense_landmarks(image, parts=["mouth", "left_eye"])
    assert list(result.landmark) == ["left_eye", "mouth"]
    assert result.hairline_method == "" and result.face_rectangle is not None
    full = dense_landmarks(image)
    assert result.landmark["mouth"] == full.landmark["mouth"]
    assert result.landmark["left_eye"] == full.landmark["left_eye"]


def test_unknown_part_is_refused(photo):
    with pytest.raises(ValueError, match="unknown part"):
        dense_landmarks(photo("faces/astronaut.png"), parts=["mouse"])


@pytest.mark.parametrize(
    "image",
    [
        np.full((240, 320, 3), 128, np.uint8),
        np.random.default_rng(7).integers(0, 256, (200, 200, 3), dtype=np.uint8),
    ],
    ids=["grey", "noise"],
)
def test_no_face_is_an_empty_result(image):
    result = dense_landmarks(image)
    assert result == DenseLandmarks(width=image.shape[1], height=image.shape[0])
    assert not result.found and result.landmark == {} and result.face_rectangle is None


def test_input_is_not_modified(photo):
    image = photo("faces/two_people.jpg").copy()
    before = image.copy()
    dense_landmarks(image)
    np.testing.assert_array_equal(image, before)


def test_largest_face_only(photo):
    image = photo("faces/two_people.jpg")
    faces = detect_faces(image)
    result = dense_landmarks(image)
    x, y, w, h = faces[0].box
    cx = sequences(result)["nose_midline"][:, 0].mean()
    assert len(faces) == 2 and x < cx < x + w
    assert result == dense_landmarks_for_face(image, faces[0])


@pytest.mark.parametrize(
    "bad",
    [
        np.zeros((64, 64), np.uint8),
        np.zeros((64, 64, 3), np.float32),
        np.zeros((64, 64, 4), np.uint8),
        [[0]],
    ],
    ids=["2-D", "float", "RGBA", "list"],
)
def test_it_refuses_what_is_not_an_rgb_image(bad):
    with pytest.raises(InvalidImageError, match="`image` must be a 3-dimensional array"):
        dense_landmarks(bad)


# --- curve helpers -----------------------------------------------------------------


def test_resample_is_even_and_keeps_the_ends():
    line = np.array([[0.0, 0.0], [3.0, 0.0], [3.0, 4.0]])
    points = resample(line, 8)
    np.testing.assert_allclose(points[[0, -1]], line[[0, -1]])
    np.testing.assert_allclose(np.hypot(*np.diff(points, axis=0).T), 1.0)


def test_catmull_rom_passes_through_its_control_points():
    control = np.array([[0.0, 0.0], [10.0, 5.0], [20.0, 0.0], [10.0, -5.0]])
    for closed in (False, True):
        curve, at = catmull_rom(control, closed=closed)
        np.testing.assert_allclose(curve[at], control, atol=1e-9)
    assert np.allclose(curve[-1], control[0])
