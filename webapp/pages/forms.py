"""The upload forms of the pages: a photo and each service's options."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.files.uploadedfile import UploadedFile
from django.utils.text import capfirst
from django.utils.translation import get_language, pgettext, pgettext_lazy
from django.utils.translation import gettext_lazy as _

from webapp.core.forms import PhotoField
from webapp.core.messages import photo_error
from webapp.fusion.forms import DegreeField
from webapp.fusion.models import FusionTemplate

#: What an upload form says when its visitor ("session"), or everyone at the visitor's
#: address ("address"), already has this many photos waiting (PAGE_JOBS_PER_*).
TOO_MANY_WAITING = {
    "session": _(
        "You already have as many photos waiting as a visitor may ({limit}). "
        "When one of them is done, upload this one again."
    ),
    "address": _(
        "Your network already has as many photos waiting as it may ({limit}). "
        "Please try again in a minute."
    ),
}


class UploadForm(forms.Form):
    photo = PhotoField(label=_("Photo"))
    kind = forms.ChoiceField(
        label=_("What to find"),
        choices=[
            (
                "face_shape",
                _("88 points: eyebrows, eyes, nose, mouth and face outline, for every face"),
            ),
            (
                "dense",
                _(
                    "Dense: about 850 named points of the largest face along 12 lines, "
                    "hairline included"
                ),
            ),
        ],
        initial="face_shape",
        widget=forms.RadioSelect,
    )

    def job_params(self) -> dict[str, object]:
        """Return the job's parameters for the chosen service."""
        if self.cleaned_data["kind"] == "face_shape":
            return {"mode": self.cleaned_data["mode"]}
        return {}

    mode = forms.TypedChoiceField(
        label=_("Faces (88 points)"),
        choices=[(0, _("Every face")), (1, _("The largest face only"))],
        coerce=int,
        initial=0,
        widget=forms.RadioSelect,
    )


def _spec_choices() -> list[tuple[str, str]]:
    from webapp.vision.idphoto import SPECS

    chinese = get_language().startswith("zh")
    return [("", _("The ID-photo check service rules (no specification)"))] + [
        (spec.name, spec.title if chinese else f"{spec.title_en} · {spec.title}")
        for spec in SPECS.values()
    ]


class IdPhotoForm(forms.Form):
    """An ID photo to check, and the specification to check it against (or none)."""

    photo = PhotoField(label=_("Photo"))
    spec = forms.ChoiceField(
        label=_("Check against"), choices=_spec_choices, required=False, initial=""
    )

    def clean_photo(self) -> UploadedFile:
        """A photo larger than an ID photo may be is scaled down to MAX_SIDE, not refused."""
        from webapp import vision
        from webapp.core.limits import photo_limits
        from webapp.vision.idphoto import MAX_SIDE

        upload = self.cleaned_data["photo"]
        width, height = upload.image_info.width, upload.image_info.height
        if max(width, height) > MAX_SIDE:
            try:
                upload.content = vision.scale_down(upload.content, MAX_SIDE)
                upload.image_info = vision.probe_image(upload.content, **photo_limits())
            except vision.ImageError as exc:
                raise forms.ValidationError(photo_error(exc.code, **exc.params)) from exc
            self.scaled_from = (width, height)
        return upload

    scaled_from: tuple[int, int] | None = None

    def job_params(self) -> dict[str, object]:
        params: dict[str, object] = {"spec": self.cleaned_data["spec"] or None}
        if self.scaled_from:
            params["scaled_from"] = list(self.scaled_from)
        return params


class FusionUploadForm(forms.Form):
    """The page's form: the visitor's photo and the two degrees, prefilled with the template's."""

    photo = PhotoField(label=_("Your photo"))
    shape = DegreeField(
        label=_("Face shape"), help_text=_("0 keeps the template's face outline, 100 takes yours.")
    )
    features = DegreeField(
        label=_("Features"),
        help_text=_("0 keeps the template's eyes, nose and mouth, 100 takes yours."),
    )

    def __init__(self, *args: Any, template: FusionTemplate, **kwargs: Any) -> None:
        kwargs.setdefault(
            "initial", {"shape": template.shape_degree, "features": template.features_degree}
        )
        super().__init__(*args, **kwargs)
        self.template = template

    def job_params(self) -> dict[str, Any]:
        return self.template.job_params(
            shape=self.cleaned_data["shape"], features=self.cleaned_data["features"]
        )


#: The background colours a page names (the specifications' and the maker's own, such as red),
#: written out for `makemessages`; a test checks every colour of every specification is here.
BACKGROUND_NAMES = [
    pgettext_lazy("background colour", "white"),
    pgettext_lazy("background colour", "off-white"),
    pgettext_lazy("background colour", "light grey"),
    pgettext_lazy("background colour", "cream"),
    pgettext_lazy("background colour", "light blue"),
    pgettext_lazy("background colour", "blue"),
    pgettext_lazy("background colour", "red"),
]
#: The print sheet's papers on the page.
PAPER_CHOICES = [
    ("", _("No print sheet")),
    ("6inch", _("6-inch photo paper (4R, 102 × 152 mm)")),
    ("5inch", _("5-inch photo paper (3R, 89 × 127 mm)")),
    ("a4", _("A4 paper (210 × 297 mm)")),
]


def colour_label(name: str) -> str:
    """A colour's name in the page's language, as a label ("White", "白色")."""
    return capfirst(pgettext("background colour", name))


def _document_choices() -> list[tuple[str, str]]:
    from webapp.vision.idphoto import SPECS

    chinese = get_language().startswith("zh")
    return [(spec.name, spec.title if chinese else spec.title_en) for spec in SPECS.values()]


def _colour_choices() -> list[tuple[str, str]]:
    from webapp.vision.idphoto import SPECS

    names = dict.fromkeys(c.name for spec in SPECS.values() for c in spec.backgrounds)
    return [("", _("The document's colour"))] + [(n, colour_label(n)) for n in names]


class IdMakeForm(forms.Form):
    """A photo to make an ID photo of: the document, its background, the print sheet."""

    photo = PhotoField(label=_("Your photo"))
    spec = forms.ChoiceField(label=_("Document"), choices=_document_choices, initial="cn_id_card")
    background = forms.ChoiceField(
        label=_("Background"), choices=_colour_choices, required=False, initial=""
    )
    paper = forms.ChoiceField(
        label=_("Print sheet"), choices=PAPER_CHOICES, required=False, initial="6inch"
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["background"].widget = forms.RadioSelect(
            choices=self.fields["background"].choices
        )

    def clean(self) -> dict[str, Any]:
        from webapp.vision.idphoto import SPECS

        data = super().clean()
        spec = SPECS.get(data.get("spec") or "")
        colour = data.get("background")
        if spec and colour and colour not in {c.name for c in spec.backgrounds}:
            allowed = ", ".join(colour_label(c.name) for c in spec.backgrounds)
            self.add_error(
                "background",
                _("This document accepts only: %(allowed)s.") % {"allowed": allowed},
            )
        return data

    def job_params(self) -> dict[str, object]:
        from webapp.vision.idphoto import SPECS

        spec = SPECS[self.cleaned_data["spec"]]
        params: dict[str, object] = {"op": "make", "spec": spec.name, "render": "plain"}
        if name := self.cleaned_data.get("background"):
            rgb = next(c.rgb for c in spec.backgrounds if c.name == name)
            params["background"] = "#{:02x}{:02x}{:02x}".format(*rgb)
        if paper := self.cleaned_data.get("paper"):
            params["paper"] = paper
        return params
