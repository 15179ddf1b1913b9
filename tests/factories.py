"""Hand-written factories: real rows saved through the same paths as the app's."""

from __future__ import annotations

from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile

from .conftest import DATA


def make_fusion_template(**kwargs: Any):
    """Save a template through the admin's form (faces found once), its project made if needed."""
    from webapp.fusion.forms import FusionTemplateForm
    from webapp.fusion.models import FusionProject

    project = kwargs.pop("project", None)
    if project is None:
        project, _ = FusionProject.objects.get_or_create(
            project_id=kwargs.pop("project_id", "demo"),
            defaults={"name": kwargs.pop("project_name", "Demo")},
        )
    path = DATA / "faces" / kwargs.pop("photo", "astronaut.png")
    data = {
        "project": project.pk,
        "model_id": "astronaut",
        "name": "Astronaut",
        "replace_faces": "all",
        "shape_degree": 100,
        "features_degree": 100,
        "is_active": True,
    }
    data.update(kwargs)
    form = FusionTemplateForm(
        data=data, files={"photo": SimpleUploadedFile(path.name, path.read_bytes())}
    )
    assert form.is_valid(), form.errors
    return form.save()
