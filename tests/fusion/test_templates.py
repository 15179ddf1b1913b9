"""Templates: faces found once when saved, by the admin's form and the `fusion` command."""

from __future__ import annotations

import io
import json
import os

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from PIL import Image

from webapp.fusion.forms import FusionTemplateForm
from webapp.fusion.models import FusionProject, FusionTemplate

from ..conftest import DATA, image_bytes
from ..factories import make_fusion_template

pytestmark = pytest.mark.django_db


def _form(project: FusionProject, photo: bytes | None, name: str = "t.png", instance=None, **data):
    fields = {
        "project": project.pk,
        "model_id": "m1",
        "name": "",
        "replace_faces": "all",
        "shape_degree": 100,
        "features_degree": 100,
        "is_active": True,
        **data,
    }
    files = {"photo": SimpleUploadedFile(name, photo)} if photo is not None else {}
    return FusionTemplateForm(data=fields, files=files, instance=instance)


@pytest.fixture
def project() -> FusionProject:
    return FusionProject.objects.create(project_id="p1", name="Project one")


def test_it_finds_and_stores_the_faces_once(template):
    assert template.face_count == 1
    assert template.faces["replace"] == [0]
    assert len(template.faces["faces"][0]["mesh"]) == 478
    assert (template.width, template.height) == (512, 512)
    assert template.template_faces().ok
    stored = Image.open(io.BytesIO(template.read_image()))
    assert stored.format == "JPEG" and stored.size == (512, 512)
    assert not stored.getexif(), "the template is stored without its metadata"
    assert (
        template.image.name.startswith("fusion/templates/")
        and "astronaut" not in template.image.name
    )
    with template.thumbnail.open("rb") as f:
        assert max(Image.open(f).size) == 360


def test_it_refuses_a_photo_without_a_face(project):
    form = _form(project, image_bytes((300, 300), "grey"))
    assert not form.is_valid()
    (message,) = form.errors["photo"]
    assert "No face was found in this photo" in message
    assert "code -8" in message
    assert not FusionTemplate.objects.exists()


def test_it_refuses_a_face_number_the_photo_does_not_have(project):
    form = _form(
        project, (DATA / "faces" / "two_people.jpg").read_bytes(), "two.jpg", replace_faces="0,3"
    )
    assert not form.is_valid()
    assert form.errors["photo"] == [
        "This photo has 2 face(s), numbered 0 to 1; 3 is not one of them (code -8, “template has "
        "no face”). Choose among the numbered faces of the preview, or “all”."
    ]


@pytest.mark.parametrize("text", ["some", "1;2", "-1", "0,,x"])
def test_it_refuses_a_bad_list_of_faces(project, text):
    form = _form(project, (DATA / "faces" / "astronaut.png").read_bytes(), replace_faces=text)
    assert not form.is_valid()
    assert "Write “all” or face numbers" in form.errors["replace_faces"][0]


def test_choosing_other_faces_needs_no_new_photo(project):
    template = make_fusion_template(project=project, photo="two_people.jpg", model_id="two")
    assert template.face_count == 2 and template.replaced == [0, 1]
    image_name = template.image.name
    form = _form(project, None, instance=template, model_id="two", replace_faces=" 1 ")
    assert form.is_valid(), form.errors
    template = form.save()
    template.refresh_from_db()
    assert template.replace_faces == "1"
    assert template.replaced == [1]
    assert template.image.name == image_name


def test_a_new_photo_replaces_the_old_files(template, settings):
    old = [template.image.path, template.thumbnail.path]
    form = _form(
        template.project,
        (DATA / "faces" / "obama.jpg").read_bytes(),
        "obama.jpg",
        instance=template,
        model_id=template.model_id,
    )
    assert form.is_valid(), form.errors
    form.save()
    assert not any(os.path.exists(path) for path in old)
    assert template.width != 512


def test_a_png_named_jpg_is_taken_for_what_it_is(project):
    form = _form(project, (DATA / "faces" / "astronaut.png").read_bytes(), "astronaut.jpg")
    assert form.is_valid(), form.errors


def test_model_ids_are_unique_within_a_project(template):
    form = _form(
        template.project,
        (DATA / "faces" / "astronaut.png").read_bytes(),
        model_id=template.model_id,
    )
    assert not form.is_valid()
    other = FusionProject.objects.create(project_id="p2", name="Other")
    assert _form(
        other, (DATA / "faces" / "astronaut.png").read_bytes(), model_id=template.model_id
    ).is_valid()


def test_command_adds_a_template_and_its_project(capsys):
    path = DATA / "faces" / "two_people.jpg"
    call_command(
        "fusion",
        "add-template",
        "--project-id",
        "spring",
        "--model-id",
        "duo",
        "--name",
        "Two people",
        "--faces",
        "1",
        "--shape",
        "60",
        str(path),
    )
    printed = json.loads(capsys.readouterr().out)
    assert printed == {
        "project_id": "spring",
        "model_id": "duo",
        "name": "Two people",
        "faces_found": 2,
        "replace": [1],
        "shape_degree": 60,
        "features_degree": 100,
        "active": True,
        "width": 1126,
        "height": 661,
    }
    template = FusionTemplate.objects.get(model_id="duo")
    assert template.project.project_id == "spring"
    assert template.project.ai_mark and template.project.result_link_minutes == 60


def test_command_replaces_a_template_with_the_same_ids(template, capsys):
    call_command(
        "fusion",
        "add-template",
        "--project-id",
        "demo",
        "--model-id",
        "astronaut",
        str(DATA / "faces" / "obama.jpg"),
    )
    assert FusionTemplate.objects.count() == 1
    assert json.loads(capsys.readouterr().out)["name"] == "Astronaut"


def test_command_refuses_a_photo_without_a_face(tmp_path):
    grey = tmp_path / "grey.png"
    grey.write_bytes(image_bytes((300, 300), "grey"))
    with pytest.raises(CommandError, match="code -8"):
        call_command("fusion", "add-template", "--project-id", "new", "--model-id", "m", str(grey))
    assert not FusionProject.objects.exists(), "the project made for it is rolled back"


def test_command_reports_a_missing_file(tmp_path):
    with pytest.raises(CommandError, match="Cannot read"):
        call_command(
            "fusion",
            "add-template",
            "--project-id",
            "p",
            "--model-id",
            "m",
            str(tmp_path / "no.jpg"),
        )
