from __future__ import annotations

import json
from pathlib import Path

from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from webapp.fusion.forms import FusionTemplateForm
from webapp.fusion.models import DEFAULT_DEGREE, FusionProject, FusionTemplate


class Command(BaseCommand):
    help = (
        "Face-fusion templates: `fusion add-template --project-id P --model-id M IMAGE` "
        "creates (or replaces) a template, and its project if needed, and prints it as JSON."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        add = sub.add_parser("add-template", help="add or replace a template and print it as JSON")
        add.add_argument("image", type=Path, help="the template photo (JPEG, PNG, WebP or BMP)")
        add.add_argument("--project-id", required=True)
        add.add_argument("--model-id", required=True)
        add.add_argument("--name", default="", help="shown in the gallery (default: the model id)")
        add.add_argument(
            "--faces", default="all", help="'all' or face numbers, e.g. 0,2 (0 is the largest)"
        )
        add.add_argument(
            "--shape", type=int, default=DEFAULT_DEGREE, help="default face-shape degree, 0-100"
        )
        add.add_argument(
            "--features", type=int, default=DEFAULT_DEGREE, help="default features degree, 0-100"
        )
        add.add_argument(
            "--inactive", action="store_true", help="save it hidden from the gallery and the API"
        )
        sub.add_parser("list", help="list the templates as JSON, one a line")

    def handle(self, *args: object, **options: object) -> None:
        if options["action"] == "list":
            for template in FusionTemplate.objects.select_related("project"):
                self.stdout.write(json.dumps(_describe(template)))
            return
        try:
            content = options["image"].read_bytes()
        except OSError as exc:
            raise CommandError(f"Cannot read {options['image']}: {exc.strerror or exc}") from exc
        with transaction.atomic():
            project, _ = FusionProject.objects.get_or_create(
                project_id=options["project_id"], defaults={"name": options["project_id"]}
            )
            existing = FusionTemplate.objects.filter(
                project=project, model_id=options["model_id"]
            ).first()
            form = FusionTemplateForm(
                data={
                    "project": project.pk,
                    "model_id": options["model_id"],
                    "name": options["name"] or (existing.name if existing else options["model_id"]),
                    "replace_faces": options["faces"],
                    "shape_degree": options["shape"],
                    "features_degree": options["features"],
                    "is_active": not options["inactive"],
                },
                files={"photo": SimpleUploadedFile(options["image"].name, content)},
                instance=existing,
            )
            if not form.is_valid():
                raise CommandError(_errors(form))  # rolls back a project made just now
            template = form.save()
        self.stdout.write(json.dumps(_describe(template)))


def _errors(form: FusionTemplateForm) -> str:
    return " ".join(
        f"{field if field != '__all__' else 'template'}: {' '.join(messages)}"
        for field, messages in form.errors.items()
    )


def _describe(template: FusionTemplate) -> dict[str, object]:
    return {
        "project_id": template.project.project_id,
        "model_id": template.model_id,
        "name": template.name,
        "faces_found": template.face_count,
        "replace": template.replaced,
        "shape_degree": template.shape_degree,
        "features_degree": template.features_degree,
        "active": template.is_active,
        "width": template.width,
        "height": template.height,
    }
