"""detect_faces on real photos: every face found, mesh in photo pixels."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from webapp.vision import Face, InvalidImageError, detect_faces
from webapp.vision.faces import MAX_TILES, TILE_OVERLAP, _tile_grid


def _centre(face: Face) -> tuple[float, float]:
    x, y, w, h = face.box
    return x + w / 2, y + h / 2


@pytest.mark.parametrize(
    ("name", "count"),
    [
        ("faces/astronaut.png", 1),
        ("faces/obama.jpg", 1),
        ("faces/biden.jpg", 1),  # small face in a tall full-body photo
        ("faces/obama_partial_face.jpg", 1),  # cut by the left border
        ("faces/two_people.jpg", 2),
        ("faces/32bit.png", 1),
        ("landmarks68/breakingbad.jpg", 2),
        # Greyscale, tilted: the short-range detector misses Einstein; the man
        # seated at the lower left (a 50 px face) only the tiled pass finds.
        ("landmarks68/einstein.jpg", 2),
        ("landmarks68/takeo.ppm", 1),
    ],
)
def test_it_finds_every_face(photo, name, count):
    assert len(detect_faces(photo(name))) == count


def test_it_finds_a_small_face_in_a_large_photo(photo):
    faces = detect_faces(photo("landmarks68/einstein.jpg"))
    # The man seated at the lower left: his face is about 50 px of 817x1024,
    # out of both detectors' reach on the whole photo.
    seated = [f for f in faces if f.box[2] < 70]
    assert len(seated) == 1
    assert _centre(seated[0]) == pytest.approx((155, 653), abs=15)
    # The largest face alone needs no tiles, and is Einstein's.
    (largest,) = detect_faces(photo("landmarks68/einstein.jpg"), max_faces=1)
    assert _centre(largest) == pytest.approx(_centre(faces[0]), abs=1)
    assert largest.box[2] > 70


def test_tiles_add_no_false_face(photo):
    # Short-range detectors on 512-px tiles took clothing here for faces.
    faces = detect_faces(photo("faces/biden.jpg"))
    assert len(faces) == 1
    for x, y in ((74, 1547), (820, 1485)):
        for face in faces:
            fx, fy, fw, fh = face.box
            assert not (fx - 50 < x < fx + fw + 50 and fy - 50 < y < fy + fh + 50)


@pytest.mark.parametrize(
    ("size", "tiles"),
    [
        ((512, 512), 0),  # the one-face benchmark photo: no tiled pass
        ((722, 500), 0),
        ((817, 1024), 4),
        ((1280, 720), 3),
        ((1920, 1080), 8),
        ((4032, 3024), 6),
        ((8000, 500), 7),  # a panorama: one row
    ],
)
def test_tiles_cover_the_photo_and_are_bounded(size, tiles):
    grid = _tile_grid(*size)
    if tiles == 0:
        assert grid is None
        return
    (width, height), xs, ys = grid
    assert len(xs) * len(ys) == tiles <= MAX_TILES
    for origins, side in ((xs, width), (ys, height)):
        assert origins[0] == 0
        assert origins[-1] + 192 >= side
        assert all(b - a <= 192 - TILE_OVERLAP for a, b in itertools.pairwise(origins))


def test_faces_are_in_photo_pixels(photo):
    faces = detect_faces(photo("faces/two_people.jpg"))
    # Largest first; the right-hand person (x ~ 860) is slightly larger.
    assert [round(_centre(f)[0], -1) for f in faces] == pytest.approx([860, 310], abs=20)
    for face in faces:
        x, y, w, h = face.box
        assert face.mesh.shape == (478, 3) and face.mesh.dtype == np.float32
        assert np.allclose(face.mesh[:, :2].min(axis=0), (x, y), atol=1e-3)
        assert np.allclose(face.mesh[:, :2].max(axis=0), (x + w, y + h), atol=1e-3)
        assert 0.5 <= face.score <= 1.0
    assert faces[0].box[2] * faces[0].box[3] >= faces[1].box[2] * faces[1].box[3]


def test_mesh_is_read_only(photo):
    face = detect_faces(photo("faces/astronaut.png"))[0]
    with pytest.raises(ValueError):
        face.mesh[0, 0] = 0


def test_irises_sit_in_the_eyes(photo):
    mesh = detect_faces(photo("faces/astronaut.png"))[0].mesh
    # 468 and 473 are the iris centres; 33/133 and 263/362 the eye corners.
    for iris, corners in ((468, (33, 133)), (473, (263, 362))):
        a, b = mesh[corners[0], :2], mesh[corners[1], :2]
        assert min(a[0], b[0]) < mesh[iris, 0] < max(a[0], b[0])
        assert abs(mesh[iris, 1] - (a[1] + b[1]) / 2) < 6


def test_it_finds_a_face_cut_by_the_border(photo):
    face = detect_faces(photo("faces/obama_partial_face.jpg"))[0]
    assert face.box[0] < 0  # the mesh extends past the left edge
    assert 0 < face.mesh[1, 0] < 491  # the nose tip is in the picture


def test_max_faces_keeps_the_largest(photo):
    image = photo("faces/two_people.jpg")
    both = detect_faces(image)
    largest = detect_faces(image, max_faces=1)
    assert len(largest) == 1
    assert largest[0].box == pytest.approx(both[0].box, abs=1)
    assert detect_faces(image, max_faces=0) == ()


def test_it_finds_no_face_on_a_gradient():
    ramp = np.linspace(0, 255, 320, dtype=np.uint8)
    red = np.tile(ramp, (240, 1))
    green = np.tile(ramp[:240, None], (1, 320))
    image = np.stack([red, green, np.full((240, 320), 90, np.uint8)], axis=2)
    assert detect_faces(image) == ()


def test_it_finds_no_face_in_seeded_noise():
    image = np.random.default_rng(7).integers(0, 256, (200, 300, 3), dtype=np.uint8)
    assert detect_faces(image) == ()


def test_it_works_on_greyscale_rgb(photo):
    grey = photo("faces/astronaut.png").mean(axis=2).round().astype(np.uint8)
    faces = detect_faces(np.repeat(grey[:, :, None], 3, axis=2))
    assert len(faces) == 1
    colour = detect_faces(photo("faces/astronaut.png"))[0]
    assert np.abs(faces[0].mesh[:, :2] - colour.mesh[:, :2]).mean() < 3


def test_input_is_unchanged(photo):
    image = np.array(photo("faces/astronaut.png"))  # writable copy
    before = image.copy()
    detect_faces(image)
    assert np.array_equal(image, before)


def test_it_accepts_non_contiguous_views(photo):
    image = photo("faces/two_people.jpg")
    flipped = image[:, ::-1]
    faces = detect_faces(flipped)
    assert len(faces) == 2
    # Mirrored photo, mirrored centres.
    original = sorted(_centre(f)[0] for f in detect_faces(image))
    mirrored = sorted(image.shape[1] - 1 - _centre(f)[0] for f in faces)
    assert mirrored == pytest.approx(original, abs=6)


@pytest.mark.parametrize(
    "bad",
    [
        np.zeros((64, 64), np.uint8),
        np.zeros((64, 64, 4), np.uint8),
        np.zeros((64, 64, 3), np.float32),
        np.zeros((0, 64, 3), np.uint8),
        [[0, 0, 0]],
    ],
)
def test_it_rejects_arrays_that_are_not_rgb_uint8(bad):
    with pytest.raises(InvalidImageError) as info:
        detect_faces(bad)
    assert str(info.value) == (
        "The parameter `image` must be a 3-dimensional array of shape (H, W, 3) and dtype uint8"
    )
