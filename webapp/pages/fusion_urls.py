from __future__ import annotations

from django.urls import path

from . import fusion as views

app_name = "fusion"

urlpatterns = [
    path("", views.gallery, name="gallery"),
    path("result/<str:token>.jpg", views.result_link, name="result_link"),
    path("<str:project_id>/<str:model_id>/", views.template_page, name="template"),
    path("<str:project_id>/<str:model_id>/fuse", views.fuse_photo, name="fuse"),
    path("<str:project_id>/<str:model_id>/photo.jpg", views.template_image, name="image"),
    path(
        "<str:project_id>/<str:model_id>/thumbnail.jpg", views.template_thumbnail, name="thumbnail"
    ),
]
