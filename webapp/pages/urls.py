from __future__ import annotations

from django.urls import path

from . import idphoto, views

app_name = "photos"

urlpatterns = [
    path("", views.index, name="index"),
    path("upload", views.upload_photo, name="upload"),
    path("idphoto/", idphoto.idphoto, name="idphoto"),
    path("idphoto/upload", idphoto.check_photo, name="check_photo"),
    path("r/<uuid:job_id>/", views.result, name="result"),
    path("r/<uuid:job_id>/status", views.job_status, name="status"),
    path("r/<uuid:job_id>/photo.jpg", views.photo_file, name="photo"),
    path("r/<uuid:job_id>/overlay.png", views.overlay_file, name="overlay"),
    path("r/<uuid:job_id>/result.json", views.result_json, name="json"),
    path("r/<uuid:job_id>/result-image", views.result_image, name="result_image"),
    path("r/<uuid:job_id>/face-<int:face>.pts", views.points_file, name="points"),
    path("r/<uuid:job_id>/delete", views.delete_result, name="delete"),
    path("r/<uuid:job_id>/revoke", views.revoke_share, name="revoke"),
    path("s/<str:share_key>/", views.shared, name="shared"),
    path("s/<str:share_key>/photo.jpg", views.photo_file, name="shared_photo"),
    path("s/<str:share_key>/overlay.png", views.overlay_file, name="shared_overlay"),
    path("s/<str:share_key>/result.json", views.result_json, name="shared_json"),
    path("s/<str:share_key>/result-image", views.result_image, name="shared_result_image"),
    path("s/<str:share_key>/face-<int:face>.pts", views.points_file, name="shared_points"),
]
