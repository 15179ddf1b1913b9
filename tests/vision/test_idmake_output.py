"""The ID-photo maker's output engine: colours, files, print sheets, watermark, matte."""

from __future__ import annotations

import importlib
import io
import re
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from webapp.vision import load_image
from webapp.vision.idmake import (
    NAMED_COLOURS,
    PAPERS,
    compose,
    delta_e2000,
    encode_photo,
    halo_delta_e,
    layout_sheet,
    matte_person,
    parse_colour,
    print_copy,
    resize_to_kb,
    rgba,
    sheet_jpeg,
    sheet_pdf,
    watermark,
)
from webapp.vision.idmake.measure import background_delta_e, delta_e2000_lab
from webapp.vision.idmake.sheet import GAP_MM, MARGIN_MM

BLUE = (67, 142, 219)
DATA = Path(__file__).resolve().parent.parent / "data"


@pytest.fixture(scope="module")
def portrait():
    return load_image(DATA / "idmake" / "matting_rose_leslie.jpg")


# --- colours -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "rgb"),
    [
        ("white", (255, 255, 255)),
        ("Blue", BLUE),
        ("red", (255, 0, 0)),
        ("light grey", (215, 215, 215)),
        ("lightgrey", (215, 215, 215)),
        ("grey", (215, 215, 215)),
        # Every name the catalogue gives a document's background (the page's table shows them).
        ("off-white", (240, 240, 235)),
        ("Cream", (240, 230, 210)),
        ("light blue", (200, 225, 245)),
        ("#438EDB", BLUE),
        ("438edb", BLUE),
        ("#fff", (255, 255, 255)),
        (" #FF0000 ", (255, 0, 0)),
    ],
)
def test_parse_colour_names_and_hex(text, rgb):
    assert parse_colour(text) == rgb


def test_every_catalogue_colour_name_is_a_colour_name():
    from webapp.vision.idphoto import SPECS

    for spec in SPECS.values():
        for colour in spec.backgrounds:
            assert parse_colour(colour.name) == colour.rgb, spec.name


def test_named_colours_blue_is_the_check_services_blue():
    from webapp.vision.idphoto.specs import BLUE as SPEC_BLUE

    assert NAMED_COLOURS["blue"] == SPEC_BLUE.rgb


@pytest.mark.parametrize("text", ["purple", "#12345", "#GGGGGG", "", "rgb(1,2,3)"])
def test_parse_colour_refuses_with_a_readable_message(text):
    with pytest.raises(
        ValueError,
        match=r"colour .*use white, blue, red, light grey, grey, off-white, cream, light blue, or",
    ):
        parse_colour(text)


def test_parse_colour_refuses_non_text():
    with pytest.raises(ValueError, match="must be text"):
        parse_colour(None)


# --- colour difference ---------------------------------------------------------------


def test_delta_e2000_matches_sharmas_published_pairs():
    # Sharma, Wu and Dalal (2005), test data pairs 1, 2, 7, 25, 34.
    a = [
        [50, 2.6772, -79.7751],
        [50, -1.3802, -84.2814],
        [50, 0, 0],
        [60.2574, -34.0099, 36.2677],
        [22.7233, 20.0904, -46.6940],
    ]
    b = [
        [50, 0, -82.7485],
        [50, 0, -82.7485],
        [50, -1, 2],
        [60.4626, -34.1751, 39.4387],
        [23.0331, 14.9730, -42.5619],
    ]
    expected = [2.0425, 1.0000, 2.3669, 1.2644, 2.0373]
    np.testing.assert_allclose(delta_e2000_lab(a, b), expected, atol=1e-4)


def test_delta_e2000_broadcasts_an_image_against_one_colour():
    image = np.zeros((4, 5, 3), np.uint8)
    image[0, 0] = (255, 255, 255)
    differences = delta_e2000(image, (0, 0, 0))
    assert differences.shape == (4, 5)
    assert differences[0, 0] == pytest.approx(100.0, abs=0.01)
    assert differences[1:].max() == 0


# --- photo files ---------------------------------------------------------------------


def _open(data: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(data))
    image.load()
    return image


def test_encode_jpeg_writes_the_dpi_and_no_metadata(portrait):
    encoded = encode_photo(portrait, format="jpg", dpi=300)
    image = _open(encoded.data)
    assert image.format == "JPEG"
    assert image.info["dpi"] == pytest.approx((300, 300))
    assert image.info.get("jfif_unit") == 1  # dots per inch
    assert not image.getexif()
    assert "exif" not in image.info and "icc_profile" not in image.info
    assert encoded.size_kb == pytest.approx(len(encoded.data) / 1024)
    assert encoded.kb_met and encoded.format == "jpg" and encoded.quality is not None


def test_encode_png_writes_the_dpi_in_phys(portrait):
    encoded = encode_photo(portrait[:200, :150], format="png", dpi=254)
    image = _open(encoded.data)
    assert image.format == "PNG"
    assert image.info["dpi"] == pytest.approx((254, 254), abs=0.01)
    assert b"pHYs" in encoded.data and b"eXIf" not in encoded.data
    assert encoded.quality is None
    assert np.array_equal(np.asarray(image), portrait[:200, :150])


def test_encode_meets_a_kb_range_by_quality(portrait):
    encoded = encode_photo(portrait, dpi=300, kb=(20, 40))
    assert encoded.kb_met
    assert 20 * 1024 <= len(encoded.data) <= 40 * 1024
    # The highest quality inside the range: one step up is too large.
    buffer = io.BytesIO()
    Image.fromarray(portrait).save(
        buffer, "JPEG", quality=encoded.quality + 1, optimize=True, dpi=(300, 300)
    )
    assert len(buffer.getvalue()) > 40 * 1024
    assert _open(encoded.data).size == (portrait.shape[1], portrait.shape[0])


def test_encode_reports_a_range_it_cannot_meet_without_padding(portrait):
    small = portrait[:120, :100]
    too_small = encode_photo(small, kb=(500, 800))
    assert not too_small.kb_met
    assert too_small.quality == 100  # the closest: the largest honest file
    assert too_small.data.endswith(b"\xff\xd9")  # nothing after the JPEG's end
    too_large = encode_photo(portrait, kb=(None, 1))
    assert not too_large.kb_met
    assert too_large.size_kb > 1 and too_large.quality == 1


def test_resize_to_kb_is_at_most_the_target_and_never_padded(portrait):
    encoded = resize_to_kb(portrait, 30)
    assert encoded.kb_met and len(encoded.data) <= 30 * 1024
    assert encoded.data.endswith(b"\xff\xd9")
    assert _open(encoded.data).info["dpi"] == pytest.approx((300, 300))


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"format": "gif"}, "Unknown photo format"),
        ({"dpi": 0}, "DPI must be"),
        ({"kb": (50, 20)}, "is empty"),
        ({"kb": (-1, None)}, "positive number"),
        ({"kb": 30}, "A KB range is"),
    ],
)
def test_encode_refuses_bad_fields_with_a_message(portrait, kwargs, message):
    with pytest.raises(ValueError, match=message):
        encode_photo(portrait, **kwargs)


# --- print sheets --------------------------------------------------------------------


def _by_hand(photo, paper):
    """Copies that fit with the margin all round and a gap between copies, by hand."""
    columns = int((paper[0] - 2 * MARGIN_MM + GAP_MM) // (photo[0] + GAP_MM))
    rows = int((paper[1] - 2 * MARGIN_MM + GAP_MM) // (photo[1] + GAP_MM))
    return columns, rows


def test_sheet_35x45_on_6inch_at_300dpi(portrait):
    photo = portrait[:450, :350]
    sheet = layout_sheet(photo, photo_mm=(35, 45), paper="6inch", dpi=300)
    # Portrait 101.6 mm wide: 2 columns (2*35+2 = 72; 3*35+2*2 = 109 > 95.6), 3 rows
    # (3*45+2*2 = 139 <= 146.4): 6. Turned, 152.4 mm wide: 4 columns (4*35+3*2 = 146
    # <= 146.4), 2 rows (2*45+2 = 92 <= 95.6): 8. The turned page holds more.
    assert _by_hand((35, 45), (101.6, 152.4)) == (2, 3)
    assert _by_hand((35, 45), (152.4, 101.6)) == (4, 2)
    assert sheet.rotated
    assert (sheet.copies, sheet.columns, sheet.rows) == (8, 4, 2)
    assert sheet.paper_mm == (152.4, 101.6)
    # The page is the paper's exact pixel size at 300 dpi: 152.4 mm = 6 in = 1800 px.
    assert sheet.image.shape == (1200, 1800, 3)


def test_sheet_keeps_the_page_upright_when_turning_fits_no_more(portrait):
    # 25x35 (one-inch) on 6-inch: upright 3x4 = 12, turned 5x2 = 10.
    sheet = layout_sheet(portrait[:350, :250], photo_mm=(25, 35), paper="6inch")
    assert not sheet.rotated
    assert (sheet.columns, sheet.rows) == _by_hand((25, 35), (101.6, 152.4)) == (3, 4)


def test_sheet_copies_are_exact_millimetres_on_white_paper(portrait):
    photo = np.full((90, 70, 3), (200, 30, 30), np.uint8)
    sheet = layout_sheet(photo, photo_mm=(35, 45), paper="a4", dpi=254)
    assert sheet.image.shape[:2] == (2970, 2100)  # 254 dpi = 10 px per mm
    red = np.all(sheet.image == (200, 30, 30), axis=2)
    columns = np.flatnonzero(red.any(axis=0))
    runs = np.split(columns, np.flatnonzero(np.diff(columns) > 1) + 1)
    assert [len(run) for run in runs] == [350] * sheet.columns  # 35 mm at 10 px/mm
    assert sheet.copies == int(red.sum() // (350 * 450))
    assert np.all(sheet.image[0, 0] == 255) and np.all(sheet.image[-1, -1] == 255)


def test_sheet_cut_lines_are_thin_grey_lines_outside_the_copies():
    photo = np.full((450, 350, 3), (0, 0, 0), np.uint8)
    plain = layout_sheet(photo, photo_mm=(35, 45), paper="5inch", cut_lines=False)
    lined = layout_sheet(photo, photo_mm=(35, 45), paper="5inch", cut_lines=True)
    changed = np.any(plain.image != lined.image, axis=2)
    assert changed.any()
    assert np.all(plain.image[changed] == 255)  # only paper is drawn on
    values = lined.image[changed]
    assert np.all(values == values[0]) and 100 < values[0][0] < 255


def test_sheet_custom_paper_and_refusals(portrait):
    sheet = layout_sheet(portrait[:100, :100], photo_mm=(50, 50), paper=(60, 60), dpi=300)
    assert sheet.copies == 1 and sheet.image.shape[:2] == (709, 709)
    with pytest.raises(ValueError, match="does not fit"):
        layout_sheet(portrait[:100, :100], photo_mm=(100, 100), paper="5inch")
    with pytest.raises(ValueError, match="Unknown paper"):
        layout_sheet(portrait[:450, :350], photo_mm=(35, 45), paper="letter-ish")
    with pytest.raises(ValueError, match="72 to 1200 dpi"):
        layout_sheet(portrait[:450, :350], photo_mm=(35, 45), dpi=5)
    with pytest.raises(ValueError, match="would be stretched"):
        layout_sheet(portrait[:450, :450], photo_mm=(35, 45))


def test_sheet_jpeg_carries_the_dpi(portrait):
    sheet = layout_sheet(portrait[:450, :350], photo_mm=(35, 45), paper="5inch", dpi=254)
    image = _open(sheet_jpeg(sheet))
    assert image.info["dpi"] == pytest.approx((254, 254))
    assert image.size == (sheet.image.shape[1], sheet.image.shape[0])


@pytest.mark.parametrize("paper", sorted(PAPERS))
def test_sheet_pdf_page_is_the_papers_size_in_points(portrait, paper):
    sheet = layout_sheet(portrait[:450, :350], photo_mm=(35, 45), paper=paper, dpi=300)
    data = sheet_pdf(sheet)
    assert data.startswith(b"%PDF")
    assert b"/CreationDate" not in data and b"/ModDate" not in data and b"/Title" not in data
    box = re.search(rb"/MediaBox \[ *([\d.]+) +([\d.]+) +([\d.]+) +([\d.]+) *\]", data)
    width_pt, height_pt = float(box.group(3)), float(box.group(4))
    assert width_pt == pytest.approx(sheet.paper_mm[0] / 25.4 * 72, abs=0.01)
    assert height_pt == pytest.approx(sheet.paper_mm[1] / 25.4 * 72, abs=0.01)


# --- watermark -----------------------------------------------------------------------


def test_watermark_marks_the_photo_lightly_and_leaves_the_input(portrait):
    before = portrait.copy()
    marked = watermark(portrait, "For visa use only", size=24, opacity=0.3, colour="#000000")
    assert np.array_equal(portrait, before)
    assert marked.shape == portrait.shape and marked.dtype == np.uint8
    changed = np.any(marked != portrait, axis=2)
    assert 0.05 < changed.mean() < 0.6  # text repeated across, not a wash
    assert np.all(marked.astype(int) <= portrait.astype(int))  # black ink only darkens
    darker = portrait.astype(int) - marked.astype(int)
    assert darker.max() <= 0.3 * 255 + 1  # at most the opacity


def test_watermark_refuses_bad_fields(portrait):
    with pytest.raises(ValueError, match="1 to 100 characters"):
        watermark(portrait, "  ")
    with pytest.raises(ValueError, match="opacity"):
        watermark(portrait, "x", opacity=2)
    with pytest.raises(ValueError, match="Unknown colour"):
        watermark(portrait, "x", colour="nope")


# --- matte and composition -----------------------------------------------------------


@pytest.fixture(scope="module")
def matte(portrait):
    return matte_person(portrait)


def test_matte_is_the_person_face_in_corners_out(portrait, matte):
    from webapp.vision import detect_faces

    assert matte.shape == portrait.shape[:2] and matte.dtype == np.float32
    assert 0.0 <= matte.min() and matte.max() <= 1.0
    face = detect_faces(portrait)[0]
    x, y, w, h = (int(v) for v in face.box)
    assert matte[y : y + h, x : x + w].mean() > 0.97
    height, width = matte.shape
    corner = max(10, height // 12)
    for rows, columns in (
        (slice(0, corner), slice(0, corner)),
        (slice(0, corner), slice(width - corner, width)),
    ):
        assert matte[rows, columns].mean() < 0.05


def test_compose_puts_the_person_on_the_colour_without_a_halo(portrait, matte):
    composed = compose(portrait, matte, BLUE)
    assert composed.shape == portrait.shape and composed.dtype == np.uint8
    assert background_delta_e(composed, matte, BLUE) <= 2.0
    assert halo_delta_e(portrait, matte, BLUE) <= 6.0


def test_compose_without_foreground_estimation_would_leave_a_halo(portrait, matte):
    """The halo measure can fail: the plain mix carries the old background into the band."""
    from webapp.vision.idmake.measure import halo_band

    weight = matte[..., None]
    plain = (portrait * weight + np.asarray(BLUE) * (1 - weight)).astype(np.uint8)
    band = halo_band(matte)
    plain_halo = float(delta_e2000(plain[band], BLUE).mean())
    assert plain_halo > halo_delta_e(portrait, matte, BLUE)


@pytest.mark.parametrize("render", ["updown", "center"])
def test_compose_gradients_run_from_the_colour_towards_white(portrait, matte, render):
    composed = compose(portrait, matte, BLUE, render=render)
    if render == "updown":
        top, bottom = composed[0, 0].astype(int), composed[-1, 0].astype(int)
        assert np.abs(top - BLUE).max() <= 2 and bottom.min() > 230
    else:
        corner = composed[0, 0].astype(int)
        assert np.all(corner > BLUE) and corner.min() < 200


def test_compose_refuses_a_bad_render_or_colour(portrait, matte):
    with pytest.raises(ValueError, match="Unknown background render"):
        compose(portrait, matte, BLUE, render="sparkles")
    with pytest.raises(ValueError, match="0 to 255"):
        compose(portrait, matte, (300, 0, 0))
    with pytest.raises(ValueError, match="must match"):
        compose(portrait, matte[:10], BLUE)


def test_rgba_is_transparent_outside_the_person(portrait, matte):
    out = rgba(portrait, matte)
    assert out.shape == (*portrait.shape[:2], 4) and out.dtype == np.uint8
    assert out[0, 0, 3] == 0 and out[matte >= 1.0][:, 3].min() == 255


def test_watermark_draws_chinese_with_a_cjk_font_of_the_machine_or_says_it_cannot(portrait):
    # The wheels carry no CJK font: the machine's own is used (Debian's fonts-noto-cjk,
    # for one). Whichever this machine is, the answer is a drawing or a clear refusal,
    # never boxes in place of the characters.
    module = importlib.import_module("webapp.vision.idmake.watermark")

    if any(Path(p).is_file() for p in module.CJK_FONTS):
        marked = module.watermark(portrait, "仅供办理签证使用", size=30, opacity=0.5)
        assert np.any(marked != portrait, axis=2).mean() > 0.05
    else:
        with pytest.raises(module.MissingFontError, match="No font on this server can draw"):
            module.watermark(portrait, "仅供办理签证使用", size=30, opacity=0.5)


def test_watermark_refuses_text_no_font_can_draw(portrait, monkeypatch):
    module = importlib.import_module("webapp.vision.idmake.watermark")

    monkeypatch.setattr(module, "CJK_FONTS", ())
    with pytest.raises(module.MissingFontError, match="No font on this server can draw"):
        module.watermark(portrait, "仅供办理签证使用")


def test_compose_on_a_large_photo(portrait):
    """A long outline: tens of thousands of edge pixels (more than one OpenCV map row holds)."""
    large = np.ascontiguousarray(np.repeat(np.repeat(portrait, 3, axis=0), 3, axis=1))
    alpha = matte_person(large)
    composed = compose(large, alpha, BLUE)
    assert composed.shape == large.shape
    assert halo_delta_e(large, alpha, BLUE) <= 6.0


@pytest.mark.parametrize("value", [0.0, 1.0, 0.5, float("nan")])
def test_compose_takes_a_uniform_or_broken_matte(portrait, value):
    """No sure background or no sure person to estimate from: still a photo, no crash."""
    alpha = np.full(portrait.shape[:2], value, np.float32)
    composed = compose(portrait, alpha, BLUE)
    if value == 1.0:
        assert np.array_equal(composed, portrait)
    elif value != 0.5:  # 0 and NaN: all background
        assert np.all(composed == BLUE)


def test_print_copy_cuts_a_photo_to_its_printed_shape_without_stretching():
    # A UK passport file is 600x750 (4:5); its print 35x45 mm (7:9): the sides go.
    photo = np.zeros((750, 600, 3), np.uint8)
    photo[:, :, 0] = np.arange(600, dtype=np.uint8)[None, :] // 3  # each column its own red
    cut = print_copy(photo, (35, 45), centre_x=0.5)
    assert cut.shape == (750, 583, 3)
    assert np.array_equal(cut, photo[:, 8:591]), "columns cut evenly about the face, none resampled"
    # A face off the middle keeps it in the middle as far as the edges allow.
    assert np.array_equal(print_copy(photo, (35, 45), centre_x=0.2), photo[:, :583])
    # A Chinese visa file 354x472 printed 33x48 mm.
    assert print_copy(np.zeros((472, 354, 3), np.uint8), (33, 48)).shape == (472, 324, 3)
    # Too narrow for its print: the bottom rows go (the head's margin above stays).
    narrow = np.zeros((800, 600, 3), np.uint8)
    assert print_copy(narrow, (40, 50)).shape == (750, 600, 3)
    # A shape within ASPECT_TOLERANCE of the print's is returned as it is.
    same = np.zeros((441, 358, 3), np.uint8)
    assert print_copy(same, (26, 32)) is same
    # And the sheet lays the cut copy out: the shapes agree.
    assert layout_sheet(cut, photo_mm=(35, 45), paper="6inch").copies >= 2
