from __future__ import annotations

from django.urls import path

from . import idmake, idphoto, views

app_name = "photos"

urlpatterns = [
    path("", views.index, name="index"),
    path("upload", views.upload_photo, name="upload"),
    path("idphoto/", idmake.maker, name="idphoto"),
    path("idphoto/new", idmake.make_photo, name="make_photo"),
    path("idphoto/check/", idphoto.idphoto, name="idphoto_check"),
    path("idphoto/upload", idphoto.check_photo, name="check_photo"),
    path("r/<uuid:job_id>/", views.result, name="result"),
    path("r/<uuid:job_id>/status", views.job_status, name="status"),
    path("r/<uuid:job_id>/photo.jpg", views.photo_file, name="photo"),
    path("r/<uuid:job_id>/overlay.png", views.overlay_file, name="overlay"),
    path("r/<uuid:job_id>/result.json", views.result_json, name="json"),
    path("r/<uuid:job_id>/result-image", views.result_image, name="result_image"),
    path("r/<uuid:job_id>/sheet.jpg", idmake.sheet_file, name="sheet"),
    path("r/<uuid:job_id>/sheet.pdf", idmake.sheet_pdf_file, name="sheet_pdf"),
    path("r/<uuid:job_id>/face-<int:face>.pts", views.points_file, name="points"),
    path("r/<uuid:job_id>/delete", views.delete_result, name="delete"),
    path("r/<uuid:job_id>/revoke", views.revoke_share, name="revoke"),
    path("r/<uuid:job_id>/share", views.start_sharing, name="share"),
    path("r/<uuid:job_id>/unshare", views.stop_sharing, name="unshare"),
    path("r/<uuid:job_id>/thumbnail.jpg", views.thumbnail, name="thumbnail"),
    path("s/<str:share_key>/", views.shared, name="shared"),
    path("s/<str:share_key>/photo.jpg", views.photo_file, name="shared_photo"),
    path("s/<str:share_key>/overlay.png", views.overlay_file, name="shared_overlay"),
    path("s/<str:share_key>/result.json", views.result_json, name="shared_json"),
    path("s/<str:share_key>/result-image", views.result_image, name="shared_result_image"),
    path("s/<str:share_key>/preview.jpg", views.preview_image, name="shared_preview"),
    path("s/<str:share_key>/sheet.jpg", idmake.sheet_file, name="shared_sheet"),
    path("s/<str:share_key>/sheet.pdf", idmake.sheet_pdf_file, name="shared_sheet_pdf"),
    path("s/<str:share_key>/face-<int:face>.pts", views.points_file, name="shared_points"),
]
