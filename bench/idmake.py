"""How well the ID-photo maker makes photos the check accepts, and how fast.

Runs :func:`webapp.vision.idmake.make_checked` (make, encode, check, and frame
again once when only a framing rule fails) on every photo of
tests/data/idmake/ (labels.json: ``fixable`` by eye, and for the others the
reasons a new photo is needed) for six specifications, encodes each made
photo as the specification asks (DPI, KB range) and re-checks the file with
:func:`webapp.vision.idphoto.check_id_photo`. It prints, per specification:

- pass rate: the share of fixable photos whose made file passes the check
  (target >= 95 %), and how many failures carry a reason the maker decides
  (framing, size, background, file) rather than the input's own (pose, eyes,
  mouth, glasses, occlusion, sharpness, light);
- the unfixable photos told so with one of their labelled reasons (as the
  maker's error, its retake lists or the re-check's reasons; target 100 %).

Whether a photo reaches far enough below the chin and to the sides, and has
pixels enough, depends on the specification (a US passport photo needs much
more chest than a Chinese ID card photo, and a square frame more width). A
second measure, independent of the maker (the face mesh's chin and forehead,
the crown estimated above them, against the photo's bottom and side edges
and the specification's band middles), decides these two per specification:
a photo it finds too short below the chin, or whose frame would reach past
its sides, is expected to be told ``shoulders_missing`` (or ``not_enough_photo``), one
needing more than the maker's 2x enlargement ``face_too_small``; a photo
labelled only with one of these reasons that the measure finds fine for a
specification counts as fixable for it. The measure is rough (an estimated
crown): when it alone expects a refusal and the maker makes the photo without
carrying the body on past the edge, or makes one that passes, the made photo
is judged as a fixable one (the check decides).
- geometry measured a second way, independently of the check: the crown from
  the made photo's own matte (column profile over the face), the eye line
  from the eye corners and the chin and face width from the mesh re-fitted
  on the made photo; every band figure inside, none on the edge (within 10 %
  of the half-band);
- background: mean CIEDE2000 to the asked colour away from the person
  (target <= 2) and in the thin band just outside the person (halo, target
  <= 6 for >= 95 % of photos);
- speed: one made photo from a 1000 px input on one core, median of repeated
  runs after a warm-up (target <= 200 ms), with the face detector alone on
  the same photo as a reference in the same run; and its 6-inch print sheet
  laid out and written as JPEG or PDF (target <= 100 ms more)::

    python -m bench.idmake [--verbose] [--repeat 7] [--hair-crops DIR]

``--hair-crops DIR`` also writes, for three photos with hair against a busy
or coloured background, the made photo's hair edge beside its matte
(``hair-edges.png``), to look at what the halo figure summarises.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from bench.common import DATA, machine_line
from webapp.vision.faces import detect_faces
from webapp.vision.idmake import (
    IdMakeError,
    background_delta_e,
    delta_e2000,
    encode_photo,
    make_checked,
    make_id_photo,
)
from webapp.vision.idmake.make import MAX_UPSCALE
from webapp.vision.idmake.measure import halo_band
from webapp.vision.idmake.sheet import layout_sheet, sheet_jpeg, sheet_pdf
from webapp.vision.idphoto import get_spec, warm_up_idphoto
from webapp.vision.idphoto.geometry import face_geometry
from webapp.vision.images import load_image
from webapp.vision.mesh import CHIN, FOREHEAD

SET = DATA / "idmake"
SPECS = ("cn_id_card", "cn_passport", "us_passport", "schengen_visa", "uk_passport", "japan_visa")
PASS_TARGET = 0.95
TOLD_TARGET = 1.0
BACKGROUND_TARGET = 2.0
HALO_TARGET = 6.0
HALO_SHARE_TARGET = 0.95
SPEED_TARGET_MS = 200.0
#: The print sheet: at most this much more than the photo (laid out and written).
SHEET_TARGET_MS = 100.0
#: A band figure this share of its half-band from an edge is "on the edge".
EDGE_SHARE = 0.1
#: The mesh's eye corners (outer and inner of each eye).
EYE_CORNERS = (33, 133, 263, 362)
#: The crown estimated from the mesh alone: this share of forehead-to-chin above the forehead.
CROWN_ABOVE_FOREHEAD = 0.3


def load_labels(folder: Path = SET) -> dict[str, dict[str, Any]]:
    return json.loads((folder / "labels.json").read_text())


def kb_range(spec: Any) -> tuple[float | None, float | None] | None:
    low, high = spec.file_size
    if low is None and high is None:
        return None
    # A little inside the range: the check counts bytes, the encoder KB of 1024.
    return (
        None if low is None else low / 1024 * 1.05,
        None if high is None else high / 1024 * 0.95,
    )


def second_geometry(made: Any) -> dict[str, float] | None:
    """The band figures measured without the check: matte column profile and mesh."""
    image, alpha = made.image, made.alpha
    faces = detect_faces(image, max_faces=1)
    if not faces:
        return None
    mesh = faces[0].mesh
    g = face_geometry(mesh)
    height, width = alpha.shape
    half = max(1, int(0.15 * g.width))
    cx = int(round(g.centre_x))
    columns = alpha[:, max(0, cx - half) : min(width, cx + half + 1)] >= 0.5
    tops = [int(np.argmax(col)) for col in columns.T if col.any()]
    if not tops:
        return None
    crown = float(np.median(tops))
    eye = float(np.mean(mesh[list(EYE_CORNERS), 1]))
    chin = float(mesh[CHIN, 1])
    return {
        "head_height": (chin - crown) / height,
        "head_top": crown / height,
        "eye_line": eye / height,
        "face_width": g.width / width,
    }


def head_from_mesh(image: np.ndarray) -> tuple[float, float, float] | None:
    """(head height in pixels, head heights of photo below the chin, head heights of photo
    beside the face's middle on its narrower side), from the mesh alone.

    The crown is estimated as CROWN_ABOVE_FOREHEAD of the forehead-to-chin
    distance above the mesh's forehead point (no segmentation); the face's
    middle is midway between the outer eye corners.
    """
    faces = detect_faces(image, max_faces=1)
    if not faces:
        return None
    mesh = faces[0].mesh
    chin, forehead = float(mesh[CHIN, 1]), float(mesh[FOREHEAD, 1])
    head = max((chin - forehead) * (1 + CROWN_ABOVE_FOREHEAD), 1.0)
    middle = float(mesh[[EYE_CORNERS[0], EYE_CORNERS[2]], 0].mean())
    beside = min(middle, image.shape[1] - middle)
    return head, (image.shape[0] - chin) / head, beside / head


def _mid(band: tuple[float, float]) -> float:
    return (band[0] + band[1]) / 2


def head_share(spec: Any) -> float:
    """The head's height over the photo's at the middle of the specification's bands."""
    width, height = spec.size_px
    if spec.head_height:
        return _mid(spec.head_height)
    # Crown to chin is about 1.45 face widths (ear to ear).
    return _mid(spec.face_width) * width / height * 1.45


def need_below_chin(spec: Any) -> float:
    """Head heights below the chin a specification's band middles ask for."""
    head = head_share(spec)
    if spec.head_top:
        top = _mid(spec.head_top)
    elif spec.eye_line:
        top = _mid(spec.eye_line) - 0.45 * head
    else:
        top = min(0.12, 0.4 * (1 - head))
    return (1 - top - head) / head


def need_beside(spec: Any) -> float:
    """Head heights beside the face's middle a specification's frame spans (half its width)."""
    width, height = spec.size_px
    return width / height / head_share(spec) / 2


def expected_for(spec: Any, head: tuple[float, float, float] | None) -> set[str]:
    """What a photo cannot give this specification, by the second measure: too short below
    the chin or too narrow beside the face (``shoulders_missing``: the frame reaches past the
    photo where the shoulders are), or too small for its pixel size (``face_too_small``)."""
    if head is None:
        return set()
    pixels, reach, beside = head
    want = set()
    if reach < need_below_chin(spec) or beside < need_beside(spec):
        want.add("shoulders_missing")
    if head_share(spec) * spec.size_px[1] / pixels > MAX_UPSCALE:
        want.add("face_too_small")
    return want


#: Reasons that depend on the specification (the second measure decides them per spec).
PER_SPEC = {"shoulders_missing", "face_too_small"}
#: What the maker decides in a made photo: framing, size, background and the file. Any
#: other reason the check gives is the input's own (pose, eyes, mouth, glasses, what
#: covers the face, sharpness, light, shoulders' line).
MAKERS = {
    "face_too_small",
    "face_too_large",
    "face_too_left",
    "face_too_right",
    "face_too_high",
    "face_too_low",
    "head_cut_off",
    "head_too_small",
    "head_too_large",
    "head_top_too_close",
    "head_top_too_far",
    "head_tilted",
    "background_cluttered",
    "background_gradient",
    "clothes_like_background",
    "transparent_background",
    "wrong_background_colour",
    "wrong_size",
    "wrong_dpi",
    "file_too_small",
    "file_too_large",
    "wrong_format",
    "not_enough_photo",
    "shoulders_missing",
}


def evaluate_set(folder: Path = SET, *, verbose: bool = False) -> dict[str, Any]:
    labels = load_labels(folder)
    stats: dict[str, Any] = defaultdict(lambda: defaultdict(list))
    for name, label in sorted(labels.items()):
        image = load_image((folder / name).read_bytes())
        head = head_from_mesh(image)
        for spec_name in SPECS:
            spec = get_spec(spec_name)
            s = stats[spec_name]
            found: set[str] = set()
            made = None
            passed = False
            try:
                made, _, report = make_checked(
                    image,
                    spec,
                    lambda made, spec=spec: encode_photo(
                        made.image, format="jpg", dpi=spec.dpi, kb=kb_range(spec)
                    ),
                )
            except IdMakeError as error:
                found.add(error.code)
                found.add(error.params.get("retake", error.code))
                found |= set(error.params.get("retakes", ()))
            if made is not None:
                passed = report.passed
                found |= set(made.retake) | set(report.reasons)
                if report.error:
                    found.add(report.error)
            expected = expected_for(spec, head)
            reasons = set(label.get("reasons", ()))
            want = set(expected)
            if spec.glasses_allowed is False and label.get("glasses"):
                want.add("glasses")
            if not label["fixable"]:
                # Labelled reasons that only some specifications meet are expected where the
                # second measure agrees; the others always.
                want |= (reasons - PER_SPEC) | (reasons & expected)
            accept = want | reasons
            if (
                want
                and want <= PER_SPEC
                and (not found & accept or (passed and not want & reasons))
            ):
                # Only the rough second measure expected a refusal, and the maker made the
                # photo without carrying the body on, or made one that passes (the body
                # carried on a little): judge the made photo as a fixable one.
                want = set()
            if not want and found & reasons:
                want = reasons  # refused for a labelled reason the measure did not expect here
            if not want:
                s["fixable"].append(passed)
                if not passed:
                    s["failed"].append(f"{name}: {', '.join(sorted(found))}")
                    s["makers_failure"].append(bool(found & MAKERS))
                if made is not None:
                    _measure(made, spec, s, name)
            else:
                told = bool(found & accept)
                s["told"].append(told)
                if not told:
                    s["not_told"].append(f"{name}: want {sorted(accept)} got {sorted(found)}")
            if verbose:
                print(
                    f"{spec_name:14s} {name:46s} want={sorted(want)} passed={passed} "
                    f"{sorted(found)}",
                    flush=True,
                )
    return stats


def _measure(made: Any, spec: Any, s: dict[str, list[Any]], name: str) -> None:
    colour = made.background
    s["background"].append(background_delta_e(made.image, made.alpha, colour))
    band = halo_band(made.alpha)
    if band.any():
        s["halo"].append(float(delta_e2000(made.image[band], colour).mean()))
    figures = second_geometry(made)
    if figures is None:
        s["geometry_missing"].append(1)
        return
    for field, value in figures.items():
        limits = getattr(spec, field)
        if limits is None:
            continue
        low, high = limits
        edge = EDGE_SHARE * (high - low) / 2
        if not low <= value <= high:
            s["geometry_outside"].append(f"{name}: {field}={value:.3f} not in {low:.3f}-{high:.3f}")
        elif not low + edge <= value <= high - edge:
            s["geometry_edge"].append(f"{name}: {field}={value:.3f} near {low:.3f}-{high:.3f}")
        s["geometry_checked"].append(field)


def pin_to_one_core() -> str:
    import os

    if not hasattr(os, "sched_setaffinity"):
        return "all cores (no CPU affinity on this system)"
    cpu = min(os.sched_getaffinity(0))
    os.sched_setaffinity(0, {cpu})
    return f"one core (cpu {cpu})"


def time_maker(*, repeat: int = 7) -> tuple[float, float, float, tuple[int, int]]:
    """Median ms of make_id_photo (with and without hd) and of detect_faces on a 1000 px photo."""
    image = load_image((SET / "dualstylegan__unsplash-rDEOVtE7vOs.jpg").read_bytes())
    if max(image.shape[:2]) != 1000:
        factor = 1000 / max(image.shape[:2])
        image = cv2.resize(image, (round(image.shape[1] * factor), round(image.shape[0] * factor)))
    make_id_photo(image, "cn_id_card")
    made, plain, detector = [], [], []
    for _ in range(repeat):
        t = time.perf_counter()
        make_id_photo(image, "cn_id_card")
        made.append((time.perf_counter() - t) * 1000)
        t = time.perf_counter()
        make_id_photo(image, "cn_id_card", hd=False)
        plain.append((time.perf_counter() - t) * 1000)
        t = time.perf_counter()
        detect_faces(image, max_faces=4)
        detector.append((time.perf_counter() - t) * 1000)
    return (
        statistics.median(made),
        statistics.median(plain),
        statistics.median(detector),
        image.shape[:2],
    )


def time_sheet(*, repeat: int = 7) -> tuple[float, float, float]:
    """Median ms of laying out a 6-inch sheet of a made cn_id_card photo, its JPEG, its PDF."""
    image = load_image((SET / "dualstylegan__unsplash-rDEOVtE7vOs.jpg").read_bytes())
    made = make_id_photo(image, "cn_id_card", hd=False).image
    photo_mm = get_spec("cn_id_card").size_mm

    def lay_out() -> Any:
        return layout_sheet(made, photo_mm=photo_mm, paper="6inch", dpi=300, cut_lines=True)

    sheet = lay_out()
    times: dict[str, list[float]] = defaultdict(list)
    for _ in range(repeat):
        for name, run in (
            ("layout", lay_out),
            ("jpeg", lambda: sheet_jpeg(sheet)),
            ("pdf", lambda: sheet_pdf(sheet)),
        ):
            t = time.perf_counter()
            run()
            times[name].append((time.perf_counter() - t) * 1000)
    return tuple(statistics.median(times[name]) for name in ("layout", "jpeg", "pdf"))  # type: ignore[return-value]


def _verdict(value: float, target: float, *, higher: bool) -> str:
    met = value >= target if higher else value <= target
    sign = ">=" if higher else "<="
    return f"(target {sign} {target:g}: {'met' if met else 'MISSED'})"


#: Photos (and specifications) whose hair edge ``--hair-crops`` shows: curls against sky
#: and buildings, straight red hair against a blue lake, dark waves against a pale wall.
HAIR_CROPS = (
    ("bgmatting__0001_img.jpg", "cn_passport"),
    ("dualstylegan__unsplash-rDEOVtE7vOs.jpg", "cn_passport"),
    ("faceapi__neutral.jpg", "schengen_visa"),
)


def write_hair_crops(folder: Path) -> Path:
    """The upper left of each HAIR_CROPS photo made on its document's background, beside its
    matte, in one PNG."""
    rows = []
    for name, spec_name in HAIR_CROPS:
        made = make_id_photo(load_image((SET / name).read_bytes()), spec_name)
        height, width = made.image.shape[:2]
        corner = (slice(0, int(0.45 * height)), slice(0, int(0.55 * width)))
        matte = cv2.cvtColor((made.alpha[corner] * 255).astype(np.uint8), cv2.COLOR_GRAY2RGB)
        row = np.hstack([made.image[corner], matte])
        row = cv2.resize(row, (round(row.shape[1] * 360 / row.shape[0]), 360))
        cv2.putText(
            row, f"{name} {spec_name}", (6, 18), cv2.FONT_HERSHEY_SIMPLEX, 0.45, (200, 0, 0)
        )
        rows.append(row)
    side = max(row.shape[1] for row in rows)
    sheet = np.vstack(
        [
            cv2.copyMakeBorder(r, 0, 6, 0, side - r.shape[1], cv2.BORDER_CONSTANT, value=(255,) * 3)
            for r in rows
        ]
    )
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "hair-edges.png"
    cv2.imwrite(str(path), cv2.cvtColor(sheet, cv2.COLOR_RGB2BGR))
    return path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--verbose", action="store_true")
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--no-speed", action="store_true")
    parser.add_argument("--hair-crops", type=Path, metavar="DIR")
    args = parser.parse_args(argv)
    cores = pin_to_one_core()
    print(f"machine: {machine_line()}; timed on {cores}")
    warm_up_idphoto()
    labels = load_labels()
    fixable = sum(1 for v in labels.values() if v["fixable"])
    print(
        f"set: {len(labels)} photos, {fixable} fixable by eye, {len(labels) - fixable} not "
        "(per specification, as the second measure finds them)\n"
    )
    stats = evaluate_set(verbose=args.verbose)
    problems = 0
    halos: list[float] = []
    backgrounds: list[float] = []
    for spec_name in SPECS:
        s = stats[spec_name]
        rate = sum(s["fixable"]) / max(1, len(s["fixable"]))
        told = sum(s["told"]) / max(1, len(s["told"]))
        problems += rate < PASS_TARGET or told < TOLD_TARGET
        print(
            f"{spec_name:14s} pass {sum(s['fixable'])}/{len(s['fixable'])} = {rate:.0%} "
            f"{_verdict(rate, PASS_TARGET, higher=True)}; "
            f"unfixable told {sum(s['told'])}/{len(s['told'])} = {told:.0%} "
            f"{_verdict(told, TOLD_TARGET, higher=True)}"
        )
        print(
            f"{'':14s} failures with a reason the maker decides (framing, size, background, "
            f"file, not enough photo): {sum(s['makers_failure'])} of "
            f"{len(s['makers_failure'])}; the others are the input's own"
        )
        print(
            f"{'':14s} geometry (second method): {len(s['geometry_checked'])} band figures, "
            f"{len(s['geometry_outside'])} outside, {len(s['geometry_edge'])} on the edge"
        )
        if args.verbose or rate < PASS_TARGET:
            for line in s["failed"]:
                print(f"{'':16s}failed: {line}")
        for line in s["not_told"]:
            print(f"{'':16s}not told: {line}")
        for line in s["geometry_outside"] + s["geometry_edge"]:
            print(f"{'':16s}geometry: {line}")
        halos += s["halo"]
        backgrounds += s["background"]
    if backgrounds:
        mean_bg = float(np.mean(backgrounds))
        halo_ok = float(np.mean([h <= HALO_TARGET for h in halos])) if halos else 1.0
        problems += mean_bg > BACKGROUND_TARGET or halo_ok < HALO_SHARE_TARGET
        print(
            f"\nbackground: mean CIEDE2000 {mean_bg:.2f} over {len(backgrounds)} made photos "
            f"{_verdict(mean_bg, BACKGROUND_TARGET, higher=False)}; halo band within "
            f"{HALO_TARGET:g}: {halo_ok:.0%} (median {np.median(halos):.2f}, worst "
            f"{max(halos):.2f}) {_verdict(halo_ok, HALO_SHARE_TARGET, higher=True)}"
        )
    if not args.no_speed:
        ms, plain_ms, detector_ms, shape = time_maker(repeat=args.repeat)
        problems += plain_ms > SPEED_TARGET_MS
        print(
            f"speed: {plain_ms:.0f} ms per made cn_id_card photo from a {shape[1]}x{shape[0]} "
            f"photo {_verdict(plain_ms, SPEED_TARGET_MS, higher=False)}; {ms:.0f} ms with its "
            f"high-resolution copy too (median of {args.repeat}; the face detector alone "
            f"{detector_ms:.0f} ms, ratios {plain_ms / detector_ms:.1f} and "
            f"{ms / detector_ms:.1f})"
        )
        layout_ms, jpeg_ms, pdf_ms = time_sheet(repeat=args.repeat)
        problems += layout_ms + max(jpeg_ms, pdf_ms) > SHEET_TARGET_MS
        print(
            f"sheet: 6-inch paper at 300 dpi, cut lines: laid out in {layout_ms:.0f} ms, "
            f"written as JPEG {jpeg_ms:.0f} ms or PDF {pdf_ms:.0f} ms; "
            f"{layout_ms + max(jpeg_ms, pdf_ms):.0f} ms more than the photo "
            f"{_verdict(layout_ms + max(jpeg_ms, pdf_ms), SHEET_TARGET_MS, higher=False)}"
        )
    if args.hair_crops is not None:
        print(f"hair edges: {write_hair_crops(args.hair_crops)}")
    return 1 if problems else 0


if __name__ == "__main__":
    raise SystemExit(main())
