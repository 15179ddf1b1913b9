"""The face-fusion engine, on real photos and synthetic arrays (no Django)."""

from __future__ import annotations

import io
import json
from pathlib import Path

import numpy as np
import pytest
from mediapipe.python.solutions.face_mesh_connections import FACEMESH_TESSELATION
from PIL import Image

from webapp.vision.errors import InvalidImageError
from webapp.vision.fusion import (
    AI_STATEMENT,
    FusionResult,
    TemplateFaces,
    blend,
    encode_fused,
    fuse_faces,
    prepare_template,
    warp,
)
from webapp.vision.fusion.blend import draw_mark
from webapp.vision.images import load_image, open_image
from webapp.vision.mesh import CHIN, FACE_OVAL, MIDLINE, MIRROR, N_MESH, SUBNASALE, face_frame

FACES = Path(__file__).parent.parent / "data" / "faces"


@pytest.fixture(scope="module")
def template() -> np.ndarray:
    return load_image(FACES / "astronaut.png")


@pytest.fixture(scope="module")
def template_faces(template: np.ndarray) -> TemplateFaces:
    return prepare_template(template)


@pytest.fixture(scope="module")
def user() -> np.ndarray:
    return load_image(FACES / "obama.jpg")


@pytest.fixture(scope="module")
def fused(template: np.ndarray, template_faces: TemplateFaces, user: np.ndarray) -> FusionResult:
    return fuse_faces(template, template_faces, user)


def _outside(result: FusionResult) -> np.ndarray:
    """Pixels outside the blend mask and the mark."""
    assert result.face_mask is not None
    outside = result.face_mask == 0
    if result.mark_box is not None:
        x, y, w, h = result.mark_box
        outside[y : y + h, x : x + w] = False
    return outside


def _psnr(a: np.ndarray, b: np.ndarray) -> float:
    mse = np.mean((a.astype(np.float64) - b) ** 2)
    return float("inf") if mse == 0 else float(10 * np.log10(255**2 / mse))


def test_it_finds_the_template_face(template_faces: TemplateFaces) -> None:
    assert template_faces.ok
    assert (template_faces.width, template_faces.height) == (512, 512)
    assert template_faces.replace == (0,)
    x, y, w, h = template_faces.boxes[0]
    # The astronaut's face: around (180-270, 70-180) in the 512x512 photo.
    assert 160 < x < 200 and 50 < y < 90 and 70 < w < 120 and 90 < h < 130


def test_it_returns_the_template_at_0_and_0(template, template_faces, user) -> None:
    result = fuse_faces(template, template_faces, user, shape=0, features=0, mark=False)
    assert result.ok
    assert np.array_equal(result.image, template)


def test_it_returns_the_template_apart_from_the_mark_at_0_and_0(
    template, template_faces, user
) -> None:
    result = fuse_faces(template, template_faces, user, shape=0, features=0)
    x, y, w, h = result.mark_box
    outside_mark = np.ones(template.shape[:2], bool)
    outside_mark[y : y + h, x : x + w] = False
    assert np.array_equal(result.image[outside_mark], template[outside_mark])


def test_it_changes_the_face_at_100_and_100(template, fused: FusionResult) -> None:
    assert fused.ok and fused.reasons == () and fused.faces_fused == 1
    face = fused.face_mask > 128
    # Most of the face oval of a 512x512 portrait (about 90x110 pixels).
    assert face.sum() > 5000
    assert np.abs(fused.image[face].astype(int) - template[face]).mean() > 10


def test_it_leaves_the_outside_within_40_db_at_100_and_100(template, fused) -> None:
    outside = _outside(fused)
    assert _psnr(fused.image[outside], template[outside]) >= 40


def test_it_leaves_the_outside_bit_exact_without_reshaping(template, template_faces, user) -> None:
    result = fuse_faces(template, template_faces, user, shape=0, features=100)
    outside = _outside(result)
    assert np.array_equal(result.image[outside], template[outside])


def test_it_keeps_the_face_shape_at_features_0(template, template_faces, user) -> None:
    result = fuse_faces(template, template_faces, user, shape=100, features=0, mark=False)
    changed = np.any(result.image != template, axis=2)
    # The face is reshaped, the jaw moves: the lower face and a band around
    # it, nothing far from it, and all of it inside the reported mask.
    assert 0 < changed.sum() < 0.1 * changed.size
    assert not changed[:40].any() and not changed[-40:].any()
    assert not (changed & (result.face_mask == 0)).any()


@pytest.mark.parametrize("shape, features", [(100, 100), (100, 0), (40, 70), (0, 100)])
def test_the_mask_holds_every_changed_pixel(
    template, template_faces, user, shape, features
) -> None:
    result = fuse_faces(template, template_faces, user, shape=shape, features=features)
    changed = np.any(result.image != template, axis=2) & _outside(result)
    assert not changed.any()
    assert result.face_mask.any()


def test_the_mask_stays_on_the_face(template, template_faces, fused) -> None:
    # The astronaut's face box is about (180-270, 70-180): the mask (face,
    # and the band the jaw moves) stays within it, but for a band below the
    # chin, off the hair above and the suit's collar well below.
    x, y, w, h = template_faces.boxes[0]
    ys, xs = np.nonzero(fused.face_mask)
    assert x - 0.1 * w < xs.min() and xs.max() < x + 1.1 * w
    assert y < ys.min() and ys.max() < y + 1.2 * h
    # Feathered: a soft edge all round a full-weight inside.
    edge = (fused.face_mask > 0) & (fused.face_mask < 255)
    assert (fused.face_mask == 255).sum() > 2 * edge.sum()


def test_the_mask_is_empty_at_0_and_0(template, template_faces, user) -> None:
    result = fuse_faces(template, template_faces, user, shape=0, features=0)
    assert not result.face_mask.any()


def test_features_blend_gradually(template, template_faces, user) -> None:
    half = fuse_faces(template, template_faces, user, shape=0, features=50, mark=False)
    full = fuse_faces(template, template_faces, user, shape=0, features=100, mark=False)
    face = full.face_mask > 200
    d_half = np.abs(half.image[face].astype(int) - template[face]).mean()
    d_full = np.abs(full.image[face].astype(int) - template[face]).mean()
    assert 0.35 * d_full < d_half < 0.65 * d_full


def test_it_reports_no_face_in_the_user_photo(template, template_faces) -> None:
    rng = np.random.default_rng(0)
    noise = rng.integers(0, 256, (300, 300, 3), dtype=np.uint8)
    result = fuse_faces(template, template_faces, noise)
    assert not result.ok
    assert result.reasons == ("no_face",)
    assert result.image is None


def test_it_reports_a_template_without_a_face(user) -> None:
    grey = np.full((200, 300, 3), 128, np.uint8)
    faces = prepare_template(grey)
    assert faces.reasons == ("template_no_face",)
    assert not faces.ok and faces.replace == ()
    result = fuse_faces(grey, faces, user)
    assert not result.ok and result.reasons == ("template_no_face",)


def test_it_replaces_every_face_of_a_group_template(user) -> None:
    group = load_image(FACES / "two_people.jpg")
    faces = prepare_template(group)
    assert faces.replace == (0, 1)
    result = fuse_faces(group, faces, user, mark=False)
    assert result.faces_fused == 2
    for x, y, w, h in faces.boxes:
        cx, cy = int(x + w / 2), int(y + h / 2)
        assert result.face_mask[cy, cx] == 255


def test_it_replaces_only_the_chosen_faces(user) -> None:
    group = load_image(FACES / "two_people.jpg")
    faces = prepare_template(group, faces=[1])
    assert faces.replace == (1,)
    result = fuse_faces(group, faces, user, mark=False)
    (x0, y0, w0, h0), (x1, y1, w1, h1) = faces.boxes
    assert result.face_mask[int(y0 + h0 / 2), int(x0 + w0 / 2)] == 0
    assert result.face_mask[int(y1 + h1 / 2), int(x1 + w1 / 2)] == 255


def test_it_reports_a_chosen_face_the_template_does_not_have(template) -> None:
    faces = prepare_template(template, faces=[0, 3])
    assert faces.reasons == ("template_face_missing",)
    assert not faces.ok


@pytest.mark.parametrize("faces", ["some", [], [-1], [True], [0.5]])
def test_it_rejects_bad_face_choices(template, faces) -> None:
    with pytest.raises(ValueError, match="faces must be"):
        prepare_template(template, faces=faces)


def test_it_marks_the_result_by_default(template, fused) -> None:
    x, y, w, h = fused.mark_box
    # Bottom-right corner, small, and readable: white text on a darkened label.
    assert x + w > 0.9 * template.shape[1] and y + h > 0.9 * template.shape[0]
    assert w * h < 0.02 * template.shape[0] * template.shape[1]
    label = fused.image[y : y + h, x : x + w]
    assert np.mean(label.min(axis=2) > 200) > 0.05  # white strokes


def test_the_mark_is_readable_on_white() -> None:
    white = np.full((400, 600, 3), 255, np.uint8)
    marked, (x, y, w, h) = draw_mark(white, "AI-generated")
    label = marked[y : y + h, x : x + w]
    assert np.median(label) <= 102  # a dark label...
    assert np.mean(label.min(axis=2) > 200) > 0.05  # ...under white strokes


def test_it_does_not_mark_with_mark_false(template, template_faces, user, fused) -> None:
    result = fuse_faces(template, template_faces, user, mark=False)
    assert result.mark_box is None
    x, y, w, h = fused.mark_box
    assert np.array_equal(result.image[y : y + h, x : x + w], template[y : y + h, x : x + w])


@pytest.mark.parametrize("size", [(24, 24), (40, 300), (2000, 60)])
def test_the_mark_fits_any_image(size) -> None:
    image = np.full((*size, 3), 200, np.uint8)
    marked, (x, y, w, h) = draw_mark(image, "AI-generated")
    assert x >= 0 and y >= 0 and x + w <= size[1] and y + h <= size[0]
    assert not np.array_equal(marked, image)
    assert (image == 200).all()


def test_the_jpeg_carries_the_statement_and_nothing_else(fused) -> None:
    data = encode_fused(fused)
    with Image.open(io.BytesIO(data)) as im:
        assert im.format == "JPEG"
        exif = im.getexif()
        assert dict(exif) == {0x010E: AI_STATEMENT}
        assert "icc_profile" not in im.info and "comment" not in im.info


def test_the_png_carries_the_statement(fused) -> None:
    data = encode_fused(fused, fmt="PNG")
    with Image.open(io.BytesIO(data)) as im:
        assert im.format == "PNG"
        assert im.text == {"Description": AI_STATEMENT}
        assert np.array_equal(np.asarray(im), fused.image)


def test_it_does_not_encode_a_failed_fusion() -> None:
    with pytest.raises(ValueError, match="a failed fusion has no image"):
        encode_fused(FusionResult(False, ("no_face",)))


def test_it_refuses_other_formats(fused) -> None:
    with pytest.raises(ValueError, match="fmt must be 'JPEG' or 'PNG'"):
        encode_fused(fused, fmt="GIF")  # type: ignore[arg-type]


def test_it_does_not_modify_its_inputs(template, template_faces, user) -> None:
    template_copy, user_copy = template.copy(), user.copy()
    faces_copy = TemplateFaces.from_dict(template_faces.to_dict())
    fuse_faces(template, template_faces, user, shape=70, features=80)
    prepare_template(template)
    assert np.array_equal(template, template_copy)
    assert np.array_equal(user, user_copy)
    assert template_faces == faces_copy


def test_template_faces_round_trip_through_json(template_faces) -> None:
    data = json.loads(json.dumps(template_faces.to_dict()))
    assert TemplateFaces.from_dict(data) == template_faces
    assert len(data["faces"][0]["mesh"]) == 478


def test_a_faceless_template_round_trips_too() -> None:
    faces = prepare_template(np.zeros((64, 64, 3), np.uint8))
    assert TemplateFaces.from_dict(json.loads(json.dumps(faces.to_dict()))) == faces


@pytest.mark.parametrize(
    "change, message",
    [
        ({"format": 2}, "unknown template format 2"),
        ({"replace": [4]}, "bad box or face index"),
        ({"faces": [{"box": [1, 2, 3, 4], "mesh": [[0, 0, 0]]}]}, r"shape \(478, 3\)"),
        ({"width": None}, "not a TemplateFaces dict"),
    ],
)
def test_from_dict_rejects_other_data(template_faces, change, message) -> None:
    data = {**template_faces.to_dict(), **change}
    with pytest.raises(ValueError, match=message):
        TemplateFaces.from_dict(data)


def test_it_rejects_template_faces_of_another_photo(template_faces, user) -> None:
    other = np.zeros((100, 100, 3), np.uint8)
    with pytest.raises(
        ValueError, match="template_faces is for a 512x512 photo, template_image is 100x100"
    ):
        fuse_faces(other, template_faces, user)


@pytest.mark.parametrize(
    "name, value", [("shape", 101), ("shape", -1), ("features", True), ("features", 50.0)]
)
def test_it_rejects_degrees_outside_0_to_100(template, template_faces, user, name, value) -> None:
    with pytest.raises(ValueError, match=f"{name} must be an integer from 0 to 100"):
        fuse_faces(template, template_faces, user, **{name: value})


@pytest.mark.parametrize(
    "bad",
    [
        np.zeros((64, 64), np.uint8),
        np.zeros((64, 64, 3), np.float32),
        np.zeros((64, 64, 4), np.uint8),
    ],
)
def test_it_rejects_arrays_that_are_not_rgb_images(template, template_faces, bad) -> None:
    with pytest.raises(
        InvalidImageError, match="The parameter `user_image` must be a 3-dimensional"
    ):
        fuse_faces(template, template_faces, bad)


# --- geometry, on synthetic points -------------------------------------------------


def test_the_mirror_table_is_the_symmetry_of_the_mesh() -> None:
    mirror = MIRROR
    assert np.array_equal(mirror[mirror], np.arange(468))
    assert {i for i in range(468) if mirror[i] == i} == set(MIDLINE)
    edges = {tuple(sorted(e)) for e in FACEMESH_TESSELATION}
    mapped = sum(tuple(sorted((mirror[a], mirror[b]))) in edges for a, b in edges)
    assert mapped >= 0.99 * len(edges)
    # The subject's right eye corners mirror the left's.
    assert (mirror[33], mirror[133]) == (263, 362)


def test_align_mesh_undoes_a_similarity_in_3d() -> None:
    rng = np.random.default_rng(1)
    mesh = rng.normal(0, 50, (478, 3)) + (200, 300, 0)
    angle = np.deg2rad(25)
    rotation = np.array(
        [[np.cos(angle), 0, np.sin(angle)], [0, 1, 0], [-np.sin(angle), 0, np.cos(angle)]]
    )
    moved = 1.7 * mesh @ rotation.T + (40, -30, 12)
    assert np.allclose(warp.align_mesh(moved, mesh), mesh, atol=1e-6)


def test_piecewise_affine_map_reproduces_an_affine() -> None:
    rng = np.random.default_rng(2)
    dst = rng.uniform(10, 90, (30, 2))
    affine = np.array([[0.9, 0.2, 5.0], [-0.1, 1.1, -3.0]])
    src = dst @ affine[:, :2].T + affine[:, 2]
    triangles = warp.triangulate(dst)
    map_x, map_y, index = warp.piecewise_affine_map(dst, src, triangles, (0, 0, 100, 100))
    ys, xs = np.nonzero(index)
    expected = np.column_stack([xs, ys]) @ affine[:, :2].T + affine[:, 2]
    assert np.allclose(map_x[ys, xs], expected[:, 0], atol=1e-3)
    assert np.allclose(map_y[ys, xs], expected[:, 1], atol=1e-3)
    # Identity outside the triangles.
    assert map_x[0, 0] == 0 and map_y[99, 99] == 99 and index[0, 0] == 0


def test_mask_polygon_lowers_only_the_forehead() -> None:
    rng = np.random.default_rng(3)
    mesh = rng.normal(0, 30, (478, 2)) + 200
    whole = warp.mask_polygon(mesh, forehead=1.0)
    half = warp.mask_polygon(mesh, forehead=0.5)
    assert np.allclose(whole, mesh[list(FACE_OVAL)])
    moved = np.any(np.abs(half - whole) > 1e-9, axis=1)
    assert 0 < moved.sum() < len(whole)


def test_face_triangles_close_the_eyes_and_mouth() -> None:
    triangles = warp.face_triangles()
    assert triangles.shape == (898, 3)  # the canonical face model's count
    uses: dict[tuple[int, int], int] = {}
    for a, b, c in triangles.tolist():
        for edge in ((a, b), (a, c), (b, c)):
            uses[tuple(sorted(edge))] = uses.get(tuple(sorted(edge)), 0) + 1
    # A disc: every edge is shared by two triangles except the face oval's 36.
    border = {edge for edge, n in uses.items() if n == 1}
    oval = FACE_OVAL
    assert border == {tuple(sorted((oval[i], oval[i - 1]))) for i in range(len(oval))}
    assert set(uses.values()) == {1, 2}


def test_mirror_weights_complete_only_a_turned_face(template_faces) -> None:
    mesh = template_faces.mesh(0)[:N_MESH, :2]
    triangles = warp.face_triangles()
    assert warp.mirror_weights(mesh, mesh, triangles) is None
    # Squash the image-right half of the face, as a head turned away shows it.
    centre = mesh[list(MIDLINE), 0].mean()
    turned = mesh.copy()
    right = turned[:, 0] > centre
    turned[right, 0] = centre + 0.25 * (turned[right, 0] - centre)
    weights = warp.mirror_weights(turned, mesh, triangles)
    assert weights is not None
    far = mesh[:, 0] > centre + 0.5 * (mesh[:, 0].max() - centre)
    near = mesh[:, 0] < centre - 0.5 * (centre - mesh[:, 0].min())
    assert weights[far].mean() > 0.8 and weights[near].max() == 0


def test_the_ring_encloses_both_outlines_and_hugs_the_held_one(template_faces) -> None:
    mesh = template_faces.mesh(0)[:, :2]
    frame = face_frame(mesh, eyes="middle")
    origin, down = frame.centre, frame.down
    # A longer, wider jaw: points below the nose pushed out and down.
    target = mesh.copy()
    lower = (mesh - origin) @ down > ((mesh[SUBNASALE] - origin) @ down)
    target[lower] = origin + 1.1 * (mesh[lower] - origin)
    ring = warp.ring_points(mesh, target)
    oval = list(FACE_OVAL)
    centre = mesh[oval].mean(axis=0)
    reach = np.hypot(*(ring - centre).T)
    assert (reach >= np.hypot(*(mesh[oval] - centre).T) - 1e-9).all()
    assert (reach >= np.hypot(*(target[oval] - centre).T) - 1e-9).all()
    # Above the jaw, where the outline and its neighbours stay, the ring is right on it.
    still = np.all(target[oval] == mesh[oval], axis=1)
    held = (warp.jaw_weight(mesh, mesh[oval]) == 0) & np.all(
        [np.roll(still, k) for k in range(-2, 3)], axis=0
    )
    assert held.sum() > 10
    assert np.abs(ring[held] - mesh[oval][held]).max() < 1.0


def test_the_ring_search_avoids_a_strong_edge(template_faces) -> None:
    mesh = template_faces.mesh(0)[:, :2]
    target = mesh.copy()
    plain = warp.ring_points(mesh, target)
    # A bright line (a collar, a jawline) just where the plain ring's band is.
    chin = plain[FACE_OVAL.index(CHIN)]
    ground = np.zeros((512, 512), np.float32)
    ground[int(chin[1]) - 6 : int(chin[1]) + 2] = 500.0
    moved = warp.ring_points(mesh, target, ground=ground)
    below = moved[FACE_OVAL.index(CHIN), 1] - chin[1]
    assert below > 2
    assert np.allclose(moved[:5], plain[:5])  # the forehead's ring does not search


def test_match_grain_adds_what_the_face_lacks() -> None:
    rng = np.random.default_rng(4)
    weight = np.ones((120, 120), np.float32)
    template = np.zeros((120, 120, 3), np.float32)
    template[..., 0] = 60 + rng.normal(0, 2.0, (120, 120))
    smooth = np.zeros_like(template)
    smooth[..., 0] = 60
    wanted = blend.grain(template[..., 0], weight)
    grained = blend.match_grain(smooth, template, weight)
    assert abs(blend.grain(grained[..., 0], weight) - wanted) < 0.1 * wanted
    assert np.array_equal(grained[..., 1:], smooth[..., 1:])
    # Same inputs, same output; and a face as grainy as the template is left alone.
    assert np.array_equal(blend.match_grain(smooth, template, weight), grained)
    assert blend.match_grain(template, template, weight) is template


def test_a_phone_photo_is_fused_from_a_reduction_as_from_the_whole_array(
    template, template_faces
) -> None:
    # A 12-megapixel phone JPEG: only a reduction with enough detail is decoded.
    with Image.open(FACES / "obama.jpg") as im:
        big = im.convert("RGB").resize((4000, 3000), Image.Resampling.BICUBIC)
    buf = io.BytesIO()
    big.save(buf, "JPEG", quality=90)
    picture = open_image(buf.getvalue(), max_bytes=2**26, max_pixels=50_000_000)
    reduced = fuse_faces(template, template_faces, picture)
    assert reduced.ok and max(picture.decoded()) == 8 and 1 not in picture.decoded()
    whole = fuse_faces(template, template_faces, load_image(buf.getvalue(), max_pixels=50_000_000))
    changed = reduced.face_mask > 0
    difference = np.abs(reduced.image.astype(int) - whole.image.astype(int))[changed]
    # The user's mesh fitted on a reduction is 0.8% of the eye distance from the one
    # fitted on the whole photo. Measured on the fused face: a mean of 3.3 grey levels,
    # 31.5 dB.
    assert difference.mean() < 5
    assert 10 * np.log10(255**2 / (difference.astype(float) ** 2).mean()) > 28
