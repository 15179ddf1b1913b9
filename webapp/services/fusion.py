"""Face fusion (`POST /fuseapi/face`, Tencent's face-fusion format): a face in a template.

Both backends answer with the fused image's bytes beside the body; the job
keeps the image as a file (`Job.result_image`) and stores the body with an
empty `img_url`. How the API then answers (a link or the data) is the API's
business.
"""

from __future__ import annotations

import argparse
import base64
import binascii
import functools
import sys
from pathlib import Path
from typing import Any

import numpy as np
import requests
from django.conf import settings
from django.utils.translation import gettext_lazy

from webapp import vision
from webapp.core.messages import fusion_failure
from webapp.fusion.models import FusionTemplate
from webapp.vision.fusion import TemplateFaces, encode_fused, fuse_faces, prepare_template
from webapp.wire import fusion as wire
from webapp.wire.signature import sign

from .base import Command, Outcome, Page, Request, Service
from .remote import RemoteError, post

#: Answers of a remote service that are outcomes for the photo; any other is the remote failing.
OUTCOME_ERRORS = ("no_face", "template_no_face")
#: Decoded templates kept by each worker process (each about 3 MB a megapixel).
TEMPLATE_CACHE_SIZE = 16


def _local(request: Request) -> Outcome:
    params = request.params
    template = FusionTemplate.objects.filter(pk=params["template"]).first()
    if template is None:
        return Outcome(
            wire.error_body("bad_field", field="model_id", reason="the template no longer exists")
        )
    image, faces = _template(template.pk, template.updated_at.isoformat())
    result = fuse_faces(
        image,
        faces,
        request.picture,
        shape=params["shape"],
        features=params["features"],
        mark=params.get("mark", True),
    )
    if not result.ok:
        reason = wire.REASON_ERRORS[result.reasons[0]]
        return Outcome(wire.error_body(reason, model_id=template.model_id))
    return Outcome(wire.success_body(""), image=encode_fused(result))


@functools.lru_cache(maxsize=TEMPLATE_CACHE_SIZE)
def _template(pk: int, updated_at: str) -> tuple[np.ndarray, TemplateFaces]:
    """Return a template's pixels and stored faces, decoded once per worker and version."""
    template = FusionTemplate.objects.get(pk=pk)
    image = vision.load_image(
        template.read_image(), max_bytes=2**31, max_pixels=settings.MAX_IMAGE_PIXELS
    )
    image.flags.writeable = False  # shared by every job that uses the template
    return image, template.template_faces()


def _remote(request: Request) -> Outcome:
    params = request.params
    remote = SERVICE.remote_settings()
    client = RemoteFusion(
        remote["URL"],
        appid=remote["APPID"],
        secret_id=remote["SECRET_ID"],
        secret_key=remote["SECRET_KEY"],
        uin=settings.FUSION_REMOTE_UIN,
        timeout=settings.REMOTE_TIMEOUT,
    )
    body = client.fuse(
        request.raw,
        project_id=params["project_id"],
        model_id=params["model_id"],
        shape=params["shape"],
        features=params["features"],
    )
    ret = wire.ret_value(body)
    error = wire.error_for_ret(ret)
    if ret == 0:
        return Outcome(wire.success_body(""), image=_image_data(body.get("img_url")))
    if error is not None and error.name in OUTCOME_ERRORS:
        return Outcome(wire.error_body(error.name, model_id=params["model_id"]))
    raise RemoteError(
        f"ret {ret}: {body.get('msg') or (error.message if error else 'unknown code')}"
    )


class RemoteFusion:
    """A client of `POST /fuseapi/face` at another service: Tencent's or another Likeness."""

    def __init__(
        self,
        base_url: str,
        *,
        appid: str,
        secret_id: str,
        secret_key: str,
        uin: str = "",
        timeout: float = 30.0,
    ) -> None:
        self.url = base_url.rstrip("/") + "/fuseapi/face"
        self.appid = appid
        self.secret_id = secret_id
        self.secret_key = secret_key
        self.uin = uin or appid
        self.timeout = timeout
        self.session = requests.Session()

    def fuse(
        self,
        image: bytes,
        *,
        project_id: str,
        model_id: str,
        shape: int | None = None,
        features: int | None = None,
    ) -> dict[str, Any]:
        """Send a photo; return the service's body (any ret), the image as base64 in `img_url`."""
        payload: dict[str, Any] = {
            "appid": self.appid,
            "uin": self.uin,
            "project_id": project_id,
            "model_id": model_id,
            "img_data": base64.b64encode(image).decode("ascii"),
            "rsp_img_type": "base64",
        }
        # Not in Tencent's face-fusion format: this app's degrees (Tencent's later FuseFace
        # API has them too).
        if shape is not None:
            payload["fuse_profile_degree"] = shape
        if features is not None:
            payload["fuse_face_degree"] = features
        auth = sign(self.appid, self.secret_id, self.secret_key, expires_in=600)
        return post(
            self.url,
            accepts=_has_ret,
            timeout=self.timeout,
            session=self.session,
            json=payload,
            headers={"Authorization": auth},
        )


def _has_ret(body: dict[str, Any]) -> bool:
    try:
        wire.ret_value(body)
    except ValueError:
        return False
    return True


def _image_data(img_url: object) -> bytes:
    """The fused image a remote service sent as base64 (we ask for `rsp_img_type=base64`)."""
    try:
        data = base64.b64decode(str(img_url or ""), validate=True)
    except (binascii.Error, ValueError) as exc:
        raise RemoteError("the result image is not base64 data") from exc
    if not data:
        raise RemoteError("the result image is empty")
    return data


def _succeeded(body: dict[str, Any]) -> bool:
    return wire.ret_value(body) == 0


def _error_name(body: dict[str, Any]) -> str | None:
    try:
        error = wire.error_for_ret(wire.ret_value(body))
    except ValueError:
        return None
    return error.name if error else None


def _context(job: Any) -> dict[str, Any]:
    body = job.result or {}
    template = (
        FusionTemplate.objects.select_related("project")
        .filter(pk=job.params.get("template"))
        .first()
    )
    visible = (
        template is not None and FusionTemplate.objects.visible().filter(pk=template.pk).exists()
    )
    fused = _succeeded(body) and bool(job.result_image)
    return {
        "fused": fused,
        "no_face": body.get("ret") == wire.ERRORS["no_face"].ret,
        "fusion_message": "" if fused else fusion_failure(_error_name(body)),
        "template": template,
        "template_visible": visible,
        "marked": job.params.get("mark", True),
        "degrees": {"shape": job.params.get("shape"), "features": job.params.get("features")},
    }


def _arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("template")
    parser.add_argument("user")
    parser.add_argument("--shape", type=int, default=100, help="face-shape degree, 0 to 100")
    parser.add_argument("--features", type=int, default=100, help="features degree, 0 to 100")
    parser.add_argument("-o", "--output", required=True, help="the fused image (.jpg or .png)")


def run_cli(template: str, user: str, shape: int, features: int, out: str) -> int:
    """Fuse the face of photo ``user`` into photo ``template``, write ``out``, return the status.

    Prints Tencent's code and message: on stdout ``ret 0`` and the output
    path, on stderr the error. The output format follows ``out``'s suffix
    (``.png`` for PNG, anything else JPEG); the AI-generated statement is in
    its metadata and its corner. Exit status: 0 done, 1 an expected outcome
    (no face in either photo), 2 a photo that cannot be used or a bad
    degree.
    """
    for label, value in (("shape", shape), ("features", features)):
        if not 0 <= value <= 100:
            return _fail("bad_field", 2, field=label, reason="use a number from 0 to 100")
    try:
        template_image = vision.load_image(template)
        user_image = vision.load_image(user)
    except vision.ImageError as exc:
        name = wire.IMAGE_ERRORS[exc.code]
        return _fail(name, 2, reason=str(exc))
    except OSError as exc:
        return _fail("image_error", 2, reason=f"{exc.filename}: {exc.strerror or exc}.")
    faces = prepare_template(template_image)
    result = fuse_faces(template_image, faces, user_image, shape=shape, features=features)
    if not result.ok:
        return _fail(wire.REASON_ERRORS[result.reasons[0]], 1, model_id=template)
    fmt = "PNG" if Path(out).suffix.lower() == ".png" else "JPEG"
    Path(out).write_bytes(encode_fused(result, fmt=fmt))
    print(f"ret {wire.ERRORS['ok'].ret}: {out}")
    return 0


def _fail(name: str, status: int, **params: object) -> int:
    error = wire.ERRORS[name]
    print(f"ret {error.ret}: {wire.error_message(name, **params)}", file=sys.stderr)
    return status


def _command(args: argparse.Namespace) -> int:
    return run_cli(args.template, args.user, args.shape, args.features, args.output)


SERVICE = Service(
    kind="fusion",
    label=gettext_lazy("Face fusion"),
    settings_prefix="FUSION",
    wire=wire,
    local=_local,
    remote=_remote,
    succeeded=_succeeded,
    page=Page(template="photos/results/fusion.html", context=_context, has_json=False),
    command=Command("fuse", "fuse the user's face into a template photo", _arguments, _command),
    warm_up=vision.warm_up,
)
