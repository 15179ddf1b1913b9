"""The fusion service behind jobs: the engine in a real worker, the result kept as a file."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from webapp.photos import jobs
from webapp.photos.models import Job
from webapp.services import fusion as service
from webapp.vision.fusion import AI_STATEMENT

from ..conftest import DATA, image_bytes

pytestmark = pytest.mark.django_db(transaction=True)


def make_job(template, content: bytes, *, shape: int = 100, features: int = 100, **fields) -> Job:
    fields.setdefault("source", Job.Source.WEB)
    return jobs.create_job(
        upload=content,
        suffix=".jpg",
        kind=Job.Kind.FUSION,
        params=template.job_params(shape=shape, features=features),
        **fields,
    )


@pytest.fixture
def obama() -> bytes:
    return (DATA / "faces" / "obama.jpg").read_bytes()


def _image(job: Job) -> Image.Image:
    with job.result_image.open("rb") as f:
        picture = Image.open(io.BytesIO(f.read()))
        picture.load()
    return picture


def test_it_fuses_the_face_and_keeps_the_image(template, obama, run_worker):
    job = make_job(template, obama)
    run_worker()
    job.refresh_from_db()
    assert job.status == Job.Status.DONE, job.error_message
    assert job.result == {"ret": 0, "img_url": ""}, "the image is a file, not JSON"
    fused = _image(job)
    assert (fused.format, fused.size) == ("JPEG", (512, 512))
    assert fused.getexif()[0x010E] == AI_STATEMENT
    assert job.params == {
        "template": template.pk,
        "project_id": "demo",
        "model_id": "astronaut",
        "shape": 100,
        "features": 100,
        "mark": True,
    }
    assert job.photo.cleaned and "store" in job.timings


def test_no_face_in_the_photo_is_an_outcome(template, run_worker):
    job = make_job(template, image_bytes((200, 200), "grey", "JPEG"))
    run_worker()
    job.refresh_from_db()
    assert job.status == Job.Status.DONE
    assert job.result["ret"] == 1000
    assert not job.result_image


def test_the_mark_follows_the_project(template, obama, run_worker):
    marked = make_job(template, obama)
    template.project.ai_mark = False
    template.project.save()
    template.refresh_from_db()
    plain = make_job(template, obama)
    run_worker()
    marked.refresh_from_db()
    plain.refresh_from_db()
    assert plain.params["mark"] is False
    a, b = (np.asarray(_image(job), np.int16) for job in (marked, plain))
    corner = np.abs(a[-40:, -160:] - b[-40:, -160:]).mean()
    middle = np.abs(a[:200, :200] - b[:200, :200]).mean()
    assert corner > 10 > middle


def test_a_worker_decodes_each_template_once(template, obama, run_worker):
    service._template.cache_clear()
    for _ in range(3):
        make_job(template, obama, shape=50)
    run_worker()
    assert (service._template.cache_info().misses, service._template.cache_info().hits) == (1, 2)
    template.shape_degree = 10
    template.save()  # a new version of the template is decoded again
    make_job(template, obama)
    run_worker()
    assert service._template.cache_info().misses == 2
    assert Job.objects.filter(status=Job.Status.DONE).count() == 4


def test_a_template_deleted_before_the_job_runs_is_explained(template, obama, run_worker):
    job = make_job(template, obama)
    template.delete_with_files()
    run_worker()
    job.refresh_from_db()
    assert job.status == Job.Status.DONE
    assert job.result["ret"] == -1000
    assert job.result["msg"] == "The field 'model_id' is invalid: the template no longer exists."


def test_deleting_the_job_deletes_the_fused_image(template, obama, run_worker):
    job = make_job(template, obama)
    run_worker()
    job.refresh_from_db()
    path = job.result_image.path
    job.delete_with_files()
    assert not Path(path).exists()
