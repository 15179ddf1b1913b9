"""`POST /idphoto/make`: an ID photo made in one call, in the ID-photo check service's style.

The same credentials, body types, envelope (code, msg, taskNo, data) and code
table as `/idphoto/check` (webapp.api.idphoto); the data is
``webapp.wire.idmake``'s: the made photo and the print sheet as base64, the
made file's check (as /idphoto/check's data), what was fixed and what needs
a retake. Fields:

- ``base64`` or ``url``: the photo (any size the site's photo limits allow);
- ``spec``: a specification's name (``cn_id_card`` when neither it nor a
  custom size is sent), or a custom one: ``size_mm`` "33x48" (or ``width_mm``
  and ``height_mm``), ``dpi``, and the bands ``head_height``, ``eye_line``,
  ``head_top``, ``face_width`` (fraction ranges such as "0.5-0.6"; head_height
  or face_width needed), its background and KB range those below;
- ``background``: white, blue, red, light grey or #RRGGBB (the document's first
  colour when not sent); ``render``: plain, updown or center (or 0, 1, 2);
- ``kb``: the file's size range in KB, e.g. "10-30" (the document's when not sent);
- ``layout``: a print sheet's paper, 6inch, 5inch or a4; ``cut_lines``: true to draw them.
"""

from __future__ import annotations

import base64
import re
from typing import Any

from django.conf import settings
from django.http import HttpRequest

from webapp.photos.jobs import create_job, wait_for_job
from webapp.photos.models import Job
from webapp.vision.idmake import PAPERS, parse_colour
from webapp.vision.idphoto import SPECS, custom_spec
from webapp.wire import idmake as wire
from webapp.wire.codes import Answer
from webapp.wire.idmake import IdMakeRenderer

from .core import FORMAT_SUFFIXES, ApiError, api_view, job_result, probe, read_body
from .idphoto import authenticate_caller, photo_bytes

#: The custom specification's range fields (fractions of the photo).
BAND_FIELDS = ("head_height", "eye_line", "head_top", "face_width")
#: The specification made to when the request names none.
DEFAULT_SPEC = "cn_id_card"
_SIZE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*[x×*,]\s*(\d+(?:\.\d+)?)\s*$")
_BAND = re.compile(r"^\s*(\d*\.?\d+)\s*-\s*(\d*\.?\d+)\s*$")
TRUE_WORDS = ("1", "true", "yes", "on")


@api_view(IdMakeRenderer)
def make_photo(request: HttpRequest, reply: IdMakeRenderer) -> Answer:
    client = authenticate_caller(request)
    fields = read_body(request, limit=settings.DATA_UPLOAD_MAX_MEMORY_SIZE, empty_ok=True).fields
    params = make_params(fields)
    upload = photo_bytes(fields)
    info = probe(upload)
    job = create_job(
        upload=upload,
        suffix=FORMAT_SUFFIXES[info.format],
        kind=Job.Kind.ID_MAKE,
        params={**params, "op": "make", "task_no": reply.task_no},
        source=Job.Source.API,
        api_client=client,
    )
    job = wait_for_job(job, settings.API_WAIT_SECONDS, created=True)
    body = job_result(job)
    if body.get("code") == 200:
        body = with_files(job, body)
    return reply.answer(body)


def with_files(job: Job, body: dict[str, Any]) -> dict[str, Any]:
    """Return the body with the photo and the sheet as base64 (the job keeps neither)."""
    data = dict(body["data"])
    data["photo"] = {**data["photo"], "base64": _b64(job.take_result_image())}
    if data.get("sheet") and job.second_image:
        data["sheet"] = {**data["sheet"], "base64": _b64(job.take_result_image("second_image"))}
    return {**body, "data": data}


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def make_params(fields: dict[str, Any]) -> dict[str, Any]:
    """Return the job's parameters from the request's fields, or raise "bad_parameters"."""
    params: dict[str, Any] = {}
    if background := _text(fields, "background"):
        try:
            rgb = parse_colour(background)
        except ValueError as exc:
            raise _bad(f"'background': {exc}") from exc
        params["background"] = background
    render = _text(fields, "render") or "plain"
    if render not in wire.RENDERS:
        raise _bad("'render' must be plain, updown or center (or 0, 1, 2)")
    params["render"] = wire.RENDERS[render]
    if kb := _text(fields, "kb"):
        try:
            params["kb"] = list(wire.parse_kb(kb))
        except ValueError as exc:
            raise _bad(f"'kb': {exc}") from exc
    if paper := _text(fields, "layout"):
        if paper not in PAPERS:
            raise _bad(f"'layout' must be one of {', '.join(PAPERS)}")
        params["paper"] = paper
    params["cut_lines"] = (_text(fields, "cut_lines") or "").lower() in TRUE_WORDS
    spec = _text(fields, "spec")
    custom = _custom(fields, rgb if background else None, params.get("kb"))
    if custom:
        if spec:
            raise _bad("send either 'spec' or a custom size ('size_mm'), not both")
        params["custom"] = custom
    elif spec:
        if spec not in SPECS:
            raise ApiError("unknown_spec", detail=f"{spec!r}; known: {', '.join(SPECS)}")
        params["spec"] = spec
    else:
        params["spec"] = DEFAULT_SPEC
    return params


def _custom(
    fields: dict[str, Any], background: tuple[int, int, int] | None, kb: list | None
) -> dict[str, Any]:
    """The custom specification's arguments (webapp.vision.idphoto.custom_spec), checked by it.

    Empty when the request names no custom size.
    """
    size = _text(fields, "size_mm")
    width, height = _text(fields, "width_mm"), _text(fields, "height_mm")
    if not (size or width or height):
        return {}
    if size:
        match = _SIZE.match(size)
        if not match:
            raise _bad("'size_mm' must be width x height in millimetres, e.g. 33x48")
        width, height = match.groups()
    if not (width and height):
        raise _bad("send both 'width_mm' and 'height_mm'")
    custom: dict[str, Any] = {
        "size_mm": [_number(width, "width_mm"), _number(height, "height_mm")],
        "dpi": int(_number(_text(fields, "dpi") or "300", "dpi")),
    }
    for name in BAND_FIELDS:
        if value := _text(fields, name):
            match = _BAND.match(value)
            if not match:
                raise _bad(f"'{name}' must be a range of fractions, e.g. 0.5-0.6")
            custom[name] = [float(v) for v in match.groups()]
    if background:
        custom["background"] = list(background)
    if kb:
        custom["kb"] = kb
    try:
        custom_spec(**custom)
    except ValueError as exc:
        raise _bad(f"the custom size: {exc}") from exc
    return custom


def _text(fields: dict[str, Any], name: str) -> str:
    value = fields.get(name)
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return str(value)
    if not isinstance(value, str):
        raise _bad(f"'{name}' must be a string")
    return value.strip()


def _number(text: str, name: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = float("nan")
    if value != value or value in (float("inf"), float("-inf")):
        raise _bad(f"'{name}' must be a number")
    return value


def _bad(detail: str) -> ApiError:
    return ApiError("bad_parameters", detail=detail)
