"""HivisionIDPhotos' own endpoints, drop-in: a Hivision client switches by its base URL.

`POST /idphoto`, `/idphoto_crop`, `/human_matting`, `/add_background`,
`/generate_layout_photos`, `/watermark` and `/set_kb`, with Hivision's fields
and defaults (``deploy_api.py``): the photo as ``input_image`` (a multipart
file) or ``input_image_base64`` (a form field or a JSON body); the answers are
``webapp.wire.hivision``'s, on every failure too. The fields Hivision reads
from the query string (``head_measure_ratio``... on /idphoto, ``size``,
``opacity``... on /watermark) are read from the query string or the body.

Model choices (``human_matting_model``, ``face_detect_model``) and
``face_align`` are accepted and ignored: the engine has one matting and one
face detector, and these endpoints never straighten the head (Hivision's
default); the ID-photo maker (/idphoto/make) does.

Credentials: as /idphoto/check's (webapp.api.idphoto) unless the site
settings open these endpoints to anyone, each address then limited to
``hivision_rate_per_minute``. /idphoto, /idphoto_crop and /human_matting need
the face graphs and run in the worker; the others are pure image operations
on a photo within the site's limits, done here.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
from django.conf import settings
from django.http import HttpRequest

from webapp import vision
from webapp.core.limits import address_key, photo_limits
from webapp.core.models import SiteSettings
from webapp.photos.jobs import create_job, wait_for_job
from webapp.photos.models import Job
from webapp.vision.idmake import (
    compose,
    encode_photo,
    layout_sheet,
    parse_colour,
    resize_to_kb,
    watermark,
)
from webapp.vision.idphoto import MAX_SIDE
from webapp.wire import hivision as wire
from webapp.wire.codes import Answer
from webapp.wire.hivision import HivisionRenderer

from .auth import count_anonymous
from .core import FORMAT_SUFFIXES, ApiError, Body, api_view, image_failure, job_result, probe
from .core import read_body as read_api_body
from .idphoto import authenticate_caller, decode_base64
from .models import ApiClient

#: Hivision's defaults.
DEFAULTS: dict[str, Any] = {
    "height": 413,
    "width": 295,
    "dpi": 300,
    "hd": True,
    "head_measure_ratio": 0.2,
    "head_height_ratio": 0.45,
    "top_distance_max": 0.12,
    "top_distance_min": 0.10,
    "color": "000000",
    "render": 0,
    "text": "Hello",
    "size": 20,
    "opacity": 0.5,
    "angle": 30,
    "watermark_color": "#000000",
    "space": 25,
    "set_kb": 50,
}
#: The accepted range of each number, and its type.
NUMBERS: dict[str, tuple[type, float, float]] = {
    "height": (int, 16, MAX_SIDE),
    "width": (int, 16, MAX_SIDE),
    "dpi": (int, 72, 1200),
    "head_measure_ratio": (float, 0.01, 0.9),
    "head_height_ratio": (float, 0.05, 0.95),
    "top_distance_max": (float, 0.0, 0.5),
    "top_distance_min": (float, 0.0, 0.5),
    "render": (int, 0, 2),
    "kb": (int, 1, 10_000),
    "size": (int, 5, 500),
    "opacity": (float, 0.0, 1.0),
    "angle": (int, -360, 360),
    "space": (int, 0, 1000),
}
TRUE_WORDS = ("1", "true", "yes", "on")
FALSE_WORDS = ("0", "false", "no", "off")
RENDERS = ("plain", "updown", "center")


def _endpoint(view: Callable[[Body, ApiClient | None], dict[str, Any]]) -> Callable:
    """An endpoint in Hivision's format: its caller checked, its body read, its answer built.

    The view is given the body's fields (the query string's under them) and
    files, and the caller's credential (None when the endpoints are open).
    """

    def answer(request: HttpRequest, reply: HivisionRenderer) -> Answer:
        client = _caller(request)
        body = read_api_body(request, limit=settings.DATA_UPLOAD_MAX_MEMORY_SIZE)
        fields = {**request.GET.dict(), **body.fields}
        try:
            return reply.answer(view(Body(fields, body.files), client))
        except ValueError as exc:  # the engine's refusal of a figure, in its own words
            raise ApiError("bad_request", reason=str(exc).rstrip(".")) from exc

    answer.__name__ = answer.__qualname__ = view.__name__
    answer.__doc__ = view.__doc__
    return api_view(HivisionRenderer)(answer)


def _caller(request: HttpRequest) -> ApiClient | None:
    """The credential of the request, or None when the endpoints are open (counted per address)."""
    site = SiteSettings.load()
    if site.hivision_open:
        count_anonymous(address_key(request), site.hivision_rate_per_minute)
        return None
    return authenticate_caller(request)


# --- In the worker: the face graphs ------------------------------------------------


@_endpoint
def idphoto(body: Body, client: ApiClient | None) -> dict[str, Any]:
    """The ID photo on a transparent background: standard and HD PNGs."""
    return _job(body, client, "hivision_idphoto", ("image_base64_standard", "image_base64_hd"))


@_endpoint
def idphoto_crop(body: Body, client: ApiClient | None) -> dict[str, Any]:
    """The ID photo's framing only, on the photo's own background: standard and HD PNGs."""
    return _job(body, client, "hivision_crop", ("image_base64_standard", "image_base64_hd"))


@_endpoint
def human_matting(body: Body, client: ApiClient | None) -> dict[str, Any]:
    """The person on a transparent background: one PNG."""
    return _job(body, client, "hivision_matting", ("image_base64",))


def _job(body: Body, client: ApiClient | None, op: str, keys: tuple[str, ...]) -> dict[str, Any]:
    fields = body.fields
    params: dict[str, Any] = {"op": op, "dpi": _number(fields, "dpi")}
    if op != "hivision_matting":
        for name in (
            "height",
            "width",
            "head_measure_ratio",
            "head_height_ratio",
            "top_distance_max",
            "top_distance_min",
        ):
            params[name] = _number(fields, name)
        params["hd"] = _bool(fields, "hd")
        if params["top_distance_min"] > params["top_distance_max"]:
            raise _bad("top_distance_min", "it is more than top_distance_max")
    upload = _input(body)
    info = probe(upload, field="input_image")
    job = create_job(
        upload=upload,
        suffix=FORMAT_SUFFIXES[info.format],
        kind=Job.Kind.ID_MAKE,
        params=params,
        source=Job.Source.API,
        api_client=client,
    )
    job = wait_for_job(job, settings.API_WAIT_SECONDS, created=True)
    result = job_result(job)
    if not result.get("status"):
        return wire.no_face_body()
    images = {keys[0]: job.take_result_image()}
    if len(keys) > 1 and job.second_image:
        images[keys[1]] = job.take_result_image("second_image")
    return wire.success_body(**images)


# --- Here: pure image operations ---------------------------------------------------


@_endpoint
def add_background(body: Body, client: ApiClient | None) -> dict[str, Any]:
    """A transparent PNG put on a colour (plain, or Hivision's two gradients)."""
    fields = body.fields
    colour = _colour(fields, "color", DEFAULTS["color"])
    render = RENDERS[_number(fields, "render")]
    dpi = _number(fields, "dpi")
    image, alpha = _load(body, alpha=True)
    if alpha is None:
        raise _bad(
            "input_image", "it has no transparency: send the PNG /human_matting or /idphoto answers"
        )
    composed = compose(image, alpha, colour, render=render)
    return wire.success_body(image_base64=_encode(composed, dpi, _kb(fields)))


@_endpoint
def generate_layout_photos(body: Body, client: ApiClient | None) -> dict[str, Any]:
    """A 6-inch print sheet of as many copies of the photo as fit, at its printed size."""
    fields = body.fields
    height, width, dpi = (_number(fields, n) for n in ("height", "width", "dpi"))
    image, _ = _load(body)
    # The sheet places the photo at exactly its printed size (height x width at dpi).
    sheet = layout_sheet(
        image, photo_mm=(width * 25.4 / dpi, height * 25.4 / dpi), paper="6inch", dpi=dpi
    )
    return wire.success_body(image_base64=_encode(sheet.image, dpi, _kb(fields)))


@_endpoint
def watermark_photo(body: Body, client: ApiClient | None) -> dict[str, Any]:
    """The photo with a repeated text across it."""
    fields = body.fields
    text = fields.get("text", DEFAULTS["text"])
    if not isinstance(text, str) or not text.strip() or len(text) > 100:
        raise _bad("text", "send 1 to 100 characters")
    colour = fields.get("color") or DEFAULTS["watermark_color"]
    _colour(fields, "color", colour)
    image, _ = _load(body)
    marked = watermark(
        image,
        text,
        size=_number(fields, "size"),
        opacity=_number(fields, "opacity"),
        angle=_number(fields, "angle"),
        colour=colour,
        space=_number(fields, "space"),
    )
    return wire.success_body(image_base64=_encode(marked, _number(fields, "dpi"), _kb(fields)))


@_endpoint
def set_kb(body: Body, client: ApiClient | None) -> dict[str, Any]:
    """The photo as a JPEG of at most `kb` KB (its quality lowered, never padded)."""
    fields = body.fields
    kb = _kb(fields) or DEFAULTS["set_kb"]
    image, _ = _load(body)
    data = resize_to_kb(image, kb, dpi=_number(fields, "dpi")).data
    return wire.success_body(image_base64=data)


def _encode(image: np.ndarray, dpi: int, kb: int | None) -> bytes:
    """A PNG with its dpi, as Hivision answers; a JPEG of at most `kb` KB when asked."""
    if kb:
        return resize_to_kb(image, kb, dpi=dpi).data
    return encode_photo(image, format="png", dpi=dpi).data


# --- The fields --------------------------------------------------------------------


def _input(body: Body) -> bytes:
    """The photo: the ``input_image`` file, else ``input_image_base64`` (Hivision's order)."""
    upload = body.files.get("input_image")
    if upload is not None:
        return upload.read()
    value = body.fields.get("input_image_base64")
    if value:
        return decode_base64(value, "input_image_base64")
    raise ApiError(
        "missing_image", message="send the photo as 'input_image' (a file) or 'input_image_base64'"
    )


def _load(body: Body, *, alpha: bool = False) -> tuple[np.ndarray, np.ndarray | None]:
    """Decode the photo within the site's limits (and at most MAX_SIDE a side)."""
    upload = _input(body)
    info = probe(upload, field="input_image")
    if max(info.width, info.height) > MAX_SIDE:
        raise _bad(
            "input_image", f"it is {info.width}x{info.height}; at most {MAX_SIDE} pixels a side"
        )
    try:
        if alpha:
            return vision.load_image_with_alpha(upload, **photo_limits())
        return vision.load_image(upload, **photo_limits()), None
    except vision.ImageError as exc:
        raise image_failure(exc, field="input_image") from exc


def _number(fields: dict[str, Any], name: str) -> Any:
    kind, low, high = NUMBERS[name]
    value = fields.get(name)
    if value in (None, ""):
        return DEFAULTS[name]
    try:
        number = kind(float(value)) if kind is int and float(value).is_integer() else kind(value)
    except (TypeError, ValueError):
        number = None
    if isinstance(value, bool) or number is None or not low <= number <= high:
        word = "a whole number" if kind is int else "a number"
        raise _bad(name, f"send {word} from {low:g} to {high:g}")
    return number


def _kb(fields: dict[str, Any]) -> int | None:
    return None if fields.get("kb") in (None, "") else _number(fields, "kb")


def _bool(fields: dict[str, Any], name: str) -> bool:
    value = fields.get(name)
    if value in (None, ""):
        return DEFAULTS[name]
    if isinstance(value, bool):
        return value
    if str(value).lower() in TRUE_WORDS:
        return True
    if str(value).lower() in FALSE_WORDS:
        return False
    raise _bad(name, "send true or false")


def _colour(fields: dict[str, Any], name: str, default: str) -> tuple[int, int, int]:
    value = fields.get(name) or default
    try:
        if not isinstance(value, str):
            raise ValueError("send a string")
        return parse_colour(value)
    except ValueError as exc:
        raise _bad(name, str(exc)) from exc


def _bad(field: str, reason: str) -> ApiError:
    """A field Hivision would refuse: "The field 'x' is invalid: ...", HTTP 400."""
    return ApiError("bad_field", field=field, reason=reason)
