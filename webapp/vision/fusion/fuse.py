"""Face fusion: a user's face put into a template photo, in the template's pose and light.

The operator's template is analysed once (:func:`prepare_template`); its
result is plain data that the web layer stores as JSON. Each request then
runs :func:`fuse_faces`:

1. Find the user's largest face and fit the 478-point mesh to it.
2. For each chosen template face, bring the user's mesh into the template's
   pose (3-D similarity) and build the target geometry between the two
   meshes: ``shape`` 0 is the template's, 100 the user's. The template's
   upper outline (forehead, temples, the ears' level) stays where it is, so
   its hair and ears do not move; the jaw and chin follow the user's.
3. Stretch the template's face to the target geometry (piecewise affine over
   a Delaunay triangulation of the mesh, fading out on a ring of fixed points
   just around the jaw and chin, laid where the template is smooth), and
   warp the user's face onto the same geometry over the mesh's own surface
   triangles, painted far to near. The far side of a turned user face is
   completed from its near side, mirrored.
4. Light and colour: the result keeps the template's low frequencies (its
   shading, its skin tone) and takes the user's details (eyes, brows, lips,
   wrinkles), with grain added up to the template's. It is blended in with
   a feathered mask: the face's surface, the forehead cut lower, and above
   the brows and along the sides only what is skin in both faces, so the
   template's hair, ears and background stay. The blend weight is
   ``features`` / 100. The mask reported (:attr:`FusionResult.face_mask`)
   is that one joined with the band the reshaped jaw moves: the whole
   region that changes, so that outside it the template is bit-exact.
5. Mark the result as AI-generated, visibly (:func:`fuse_faces`) and in its
   metadata (:func:`encode_fused`).

The steps for one face are in :mod:`~webapp.vision.fusion.face`, the
geometry in :mod:`~webapp.vision.fusion.warp`, colour, masks and the mark in
:mod:`~webapp.vision.fusion.blend`.

Coordinates are pixels, x = column and y = row, origin at the top left.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
from numpy.typing import NDArray
from PIL import Image
from PIL.PngImagePlugin import PngInfo

from ..errors import check_image
from ..faces import detect_faces
from ..images import Picture
from . import blend
from .face import USER_DETAIL, fuse_one
from .warp import face_width

#: Text of the visible mark.
MARK_TEXT = "AI-generated"
#: The statement written into the encoded file's metadata.
AI_STATEMENT = "AI-generated image: made by face fusion (Likeness); the face is synthetic."
#: Version of :meth:`TemplateFaces.to_dict`'s layout.
TEMPLATE_FORMAT = 1
#: Expected outcomes reported in :attr:`FusionResult.reasons`: no face in the
#: user's photo, none in the template, a chosen template face it does not have.
REASONS = ("no_face", "template_no_face", "template_face_missing")
NO_FACE, TEMPLATE_NO_FACE, TEMPLATE_FACE_MISSING = REASONS


@dataclass(frozen=True)
class TemplateFaces:
    """The faces of a template photo, found once when the operator saves it.

    Plain data: :meth:`to_dict` and :meth:`from_dict` turn it into JSON and back.

    Attributes
    ----------
    width, height : int
        Size of the template photo in pixels.
    meshes : tuple
        One 478-point mesh per face found, largest first; each point is
        ``(x, y, z)`` in pixels, rounded to 0.01.
    boxes : tuple
        ``(x, y, w, h)`` of each face, in pixels.
    replace : tuple of int
        Indices into ``meshes`` of the faces the user's face replaces.
    reasons : tuple of str
        Empty when the template is usable, else ``("template_no_face",)`` or
        ``("template_face_missing",)`` (a chosen index with no face).
    """

    width: int
    height: int
    meshes: tuple[tuple[tuple[float, float, float], ...], ...] = field(repr=False)
    boxes: tuple[tuple[float, float, float, float], ...]
    replace: tuple[int, ...]
    reasons: tuple[str, ...] = ()

    @property
    def ok(self) -> bool:
        """Whether the template has a face to replace."""
        return not self.reasons

    def mesh(self, index: int) -> NDArray[np.float64]:
        """Return face ``index``'s mesh as a (478, 3) array."""
        return np.array(self.meshes[index], np.float64)

    def to_dict(self) -> dict[str, Any]:
        """Return the template's faces as JSON-compatible data."""
        return {
            "format": TEMPLATE_FORMAT,
            "width": self.width,
            "height": self.height,
            "faces": [
                {"box": list(box), "mesh": [list(p) for p in mesh]}
                for box, mesh in zip(self.boxes, self.meshes, strict=True)
            ],
            "replace": list(self.replace),
            "reasons": list(self.reasons),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> TemplateFaces:
        """Return the :class:`TemplateFaces` that :meth:`to_dict` gave ``data`` for.

        Raises
        ------
        ValueError
            If ``data`` is not in that layout (another format version, a mesh
            of the wrong size...).
        """
        try:
            if data["format"] != TEMPLATE_FORMAT:
                raise ValueError(f"unknown template format {data['format']!r}")
            faces = data["faces"]
            meshes = tuple(_mesh_tuple(f["mesh"]) for f in faces)
            boxes = tuple(tuple(float(v) for v in f["box"]) for f in faces)
            replace = tuple(int(i) for i in data["replace"])
            result = cls(
                width=int(data["width"]),
                height=int(data["height"]),
                meshes=meshes,
                boxes=boxes,  # type: ignore[arg-type]
                replace=replace,
                reasons=tuple(str(r) for r in data["reasons"]),
            )
        except (KeyError, TypeError) as exc:
            raise ValueError(f"not a TemplateFaces dict: {exc!r}") from exc
        if any(len(b) != 4 for b in boxes) or any(not 0 <= i < len(meshes) for i in replace):
            raise ValueError("not a TemplateFaces dict: bad box or face index")
        return result


@dataclass(frozen=True, eq=False)
class FusionResult:
    """The outcome of :func:`fuse_faces`.

    Attributes
    ----------
    ok : bool
        Whether a face was fused.
    reasons : tuple of str
        Empty when ``ok``; else ``("no_face",)`` (no face in the user's
        photo), ``("template_no_face",)`` or ``("template_face_missing",)``.
    image : ndarray of shape (H, W, 3) and dtype uint8, or None
        The fused RGB image, the template's size. None when not ``ok``.
    face_mask : ndarray of shape (H, W) and dtype uint8, or None
        The region the fusion changed, 0-255, feathered inside its edge:
        the user's face, blended in with at most this weight times
        ``features`` / 100, and (when ``shape`` > 0) the lower face and the
        band around the jaw and chin that the reshaping moves, each pixel by
        this weight times its full move. Where it is 0 the result is the
        template, bit-exact (apart from the mark's corner). All 0 when
        ``shape`` and ``features`` are both 0.
    user_box : tuple of float or None
        ``(x, y, w, h)`` of the user's face in the user's photo.
    faces_fused : int
        How many template faces were replaced.
    shape, features : int
        The degrees used, 0-100.
    mark_box : tuple of int or None
        ``(x, y, w, h)`` of the visible mark; None when ``mark=False``.
    """

    ok: bool
    reasons: tuple[str, ...]
    image: NDArray[np.uint8] | None = field(default=None, repr=False)
    face_mask: NDArray[np.uint8] | None = field(default=None, repr=False)
    user_box: tuple[float, float, float, float] | None = None
    faces_fused: int = 0
    shape: int = 100
    features: int = 100
    mark_box: tuple[int, int, int, int] | None = None


def prepare_template(
    image: NDArray[np.uint8], *, faces: Literal["all"] | Sequence[int] = "all"
) -> TemplateFaces:
    """Find the faces of a template photo, to store with the template.

    Parameters
    ----------
    image : ndarray of shape (H, W, 3) and dtype uint8
        The template, RGB, upright. It is not modified.
    faces : "all" or sequence of int, optional
        Which faces the user's face replaces: every face, or indices into the
        faces found, largest first (0 is the largest).

    Returns
    -------
    TemplateFaces
        With ``reasons`` ``("template_no_face",)`` when no face is found, or
        ``("template_face_missing",)`` when an index names no face.

    Raises
    ------
    InvalidImageError
        If ``image`` is not an (H, W, 3) uint8 array.
    ValueError
        If ``faces`` is neither "all" nor a non-empty sequence of indices.

    Examples
    --------
    >>> import numpy as np
    >>> prepare_template(np.full((64, 64, 3), 128, np.uint8)).reasons
    ('template_no_face',)
    """
    check_image(image)
    replace = _face_indices(faces)
    found = detect_faces(image)
    height, width = image.shape[:2]
    meshes = tuple(_mesh_tuple(face.mesh) for face in found)
    boxes = tuple(tuple(round(float(v), 2) for v in face.box) for face in found)
    if replace is None:
        replace = tuple(range(len(found)))
    reasons: tuple[str, ...] = ()
    if not found:
        reasons = (TEMPLATE_NO_FACE,)
    elif any(i >= len(found) for i in replace):
        reasons, replace = (TEMPLATE_FACE_MISSING,), ()
    return TemplateFaces(width, height, meshes, boxes, replace, reasons)  # type: ignore[arg-type]


def fuse_faces(
    template_image: NDArray[np.uint8],
    template_faces: TemplateFaces,
    user_image: NDArray[np.uint8] | Picture,
    *,
    shape: int = 100,
    features: int = 100,
    mark: bool = True,
) -> FusionResult:
    """Put the largest face of ``user_image`` into the template's chosen faces.

    Parameters
    ----------
    template_image : ndarray of shape (H, W, 3) and dtype uint8
        The template, RGB, the photo ``template_faces`` was made from.
    template_faces : TemplateFaces
        From :func:`prepare_template` (or :meth:`TemplateFaces.from_dict`).
    user_image : ndarray of shape (H', W', 3) and dtype uint8, or Picture
        The user's photo, RGB, upright. A
        :class:`~webapp.vision.images.Picture` is decoded only as far as
        needed: to find the face, and at the smallest reduction that keeps
        the face USER_DETAIL times as wide as the widest template face.
    shape : int, optional
        0-100: how much of the user's face shape (outline, and where the
        eyes, nose and mouth sit) replaces the template's.
    features : int, optional
        0-100: how much of the user's face itself (eyes, nose, mouth, skin)
        replaces the template's. 0 and 0 give back the template.
    mark : bool, optional
        Draw a visible "AI-generated" label in the bottom-right corner.

    Returns
    -------
    FusionResult
        ``ok=False`` with reason ``"no_face"`` when the user's photo has no
        face, or the template's own reasons when it has none to replace.

    Raises
    ------
    InvalidImageError
        If an image is not an (H, W, 3) uint8 array.
    ValueError
        If a degree is outside 0-100, or ``template_faces`` was made for a
        photo of another size.

    Examples
    --------
    >>> import numpy as np
    >>> grey = np.full((64, 64, 3), 128, np.uint8)
    >>> fuse_faces(grey, prepare_template(grey), grey).reasons
    ('template_no_face',)
    """
    check_image(template_image, "template_image")
    if not isinstance(user_image, Picture):
        check_image(user_image, "user_image")
    _check_degree("shape", shape)
    _check_degree("features", features)
    if template_image.shape[:2] != (template_faces.height, template_faces.width):
        raise ValueError(
            f"template_faces is for a {template_faces.width}x{template_faces.height} photo, "
            f"template_image is {template_image.shape[1]}x{template_image.shape[0]}"
        )
    degrees = {"shape": shape, "features": features}
    if not template_faces.ok:
        return FusionResult(False, template_faces.reasons, **degrees)
    users = detect_faces(user_image, max_faces=1)
    if not users:
        return FusionResult(False, (NO_FACE,), **degrees)
    user = users[0]
    user_pixels, user_mesh = _user_detail(user_image, user.mesh, template_faces)
    canvas = template_image.copy()
    face_mask = np.zeros(canvas.shape[:2], np.uint8)
    for index in template_faces.replace:
        fuse_one(canvas, face_mask, template_faces.mesh(index), user_pixels, user_mesh, degrees)
    mark_box = None
    if mark:
        canvas, mark_box = blend.draw_mark(canvas, MARK_TEXT)
    return FusionResult(
        True,
        (),
        image=canvas,
        face_mask=face_mask,
        user_box=user.box,
        faces_fused=len(template_faces.replace),
        mark_box=mark_box,  # type: ignore[arg-type]
        **degrees,
    )


def _user_detail(
    user_image: NDArray[np.uint8] | Picture, mesh: NDArray[np.float32], faces: TemplateFaces
) -> tuple[NDArray[np.uint8], NDArray[np.float64]]:
    """The user's pixels (a Picture's smallest reduction that is enough) and the mesh in them.

    The user's face is shrunk to at most USER_DETAIL times the widest
    template face it replaces before it is warped (``face._user_source``):
    a phone photo need not be decoded at more than that.
    """
    if not isinstance(user_image, Picture):
        return user_image, np.asarray(mesh, np.float64)
    widest = max(face_width(faces.mesh(index)) for index in faces.replace)
    factor = user_image.reduction_with(face_width(mesh), USER_DETAIL * widest)
    return user_image.reduced(factor), user_image.reduced_points(mesh, factor)


def encode_fused(
    result: FusionResult, *, fmt: Literal["JPEG", "PNG"] = "JPEG", quality: int = 92
) -> bytes:
    """Encode a fused image with the AI-generated statement in its metadata.

    The statement (:data:`AI_STATEMENT`) goes into EXIF ``ImageDescription``
    for JPEG and a ``Description`` tEXt chunk for PNG. Nothing else is
    written: no metadata of the template or the user's photo survives.

    Parameters
    ----------
    result : FusionResult
        A successful result of :func:`fuse_faces`.
    fmt : {"JPEG", "PNG"}, optional
        The file format.
    quality : int, optional
        JPEG quality, 1-95.

    Returns
    -------
    bytes
        The encoded file.

    Raises
    ------
    ValueError
        If ``result`` holds no image, or ``fmt`` is another format.

    Examples
    --------
    >>> import numpy as np
    >>> result = FusionResult(True, (), image=np.zeros((8, 8, 3), np.uint8))
    >>> encode_fused(result, fmt="PNG")[1:4]
    b'PNG'
    """
    if not result.ok or result.image is None:
        raise ValueError("a failed fusion has no image to encode")
    picture = Image.fromarray(np.ascontiguousarray(result.image), "RGB")
    buf = io.BytesIO()
    if fmt == "JPEG":
        exif = Image.Exif()
        exif[0x010E] = AI_STATEMENT  # ImageDescription
        picture.save(buf, "JPEG", quality=quality, exif=exif.tobytes())
    elif fmt == "PNG":
        info = PngInfo()
        info.add_text("Description", AI_STATEMENT)
        picture.save(buf, "PNG", pnginfo=info)
    else:
        raise ValueError(f"fmt must be 'JPEG' or 'PNG', got {fmt!r}")
    return buf.getvalue()


# --- helpers -----------------------------------------------------------------------


def _mesh_tuple(mesh: Any) -> tuple[tuple[float, float, float], ...]:
    points = np.asarray(mesh, np.float64)
    if points.shape != (478, 3):
        raise ValueError(f"a mesh must have shape (478, 3), got {points.shape}")
    return tuple((round(x, 2), round(y, 2), round(z, 2)) for x, y, z in points.tolist())


def _face_indices(faces: Literal["all"] | Sequence[int]) -> tuple[int, ...] | None:
    if isinstance(faces, str):
        if faces != "all":
            raise ValueError(f"faces must be 'all' or a list of face indices, got {faces!r}")
        return None
    indices = tuple(faces)
    if not indices or any(not isinstance(i, int) or isinstance(i, bool) or i < 0 for i in indices):
        raise ValueError(f"faces must be 'all' or a non-empty list of indices >= 0, got {faces!r}")
    return tuple(dict.fromkeys(indices))


def _check_degree(name: str, value: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 100:
        raise ValueError(f"{name} must be an integer from 0 to 100, got {value!r}")
