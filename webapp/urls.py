from __future__ import annotations

from django.contrib import admin
from django.urls import include, path
from django.utils.translation import gettext_lazy as _
from django.views.i18n import set_language

from webapp.api import dense as dense_api
from webapp.api import faceshape as faceshape_api
from webapp.api import fusion as fusion_api
from webapp.api import hivision as hivision_api
from webapp.api import idmake as idmake_api
from webapp.api import idphoto as idphoto_api
from webapp.api import openapi as openapi_api
from webapp.ops import views as ops_views

admin.site.site_header = _("Likeness administration")
admin.site.site_title = _("Likeness admin")

urlpatterns = [
    path("admin/rq/", include("django_rq.urls")),
    path("admin/", admin.site.urls),
    # The cloud services' own paths, so clients switch by changing the base URL.
    path("face/shape", faceshape_api.face_shape, name="api-face-shape"),
    path("facepp/v1/face/thousandlandmark", dense_api.thousandlandmark, name="api-dense"),
    path("fuseapi/face", fusion_api.fuse_face, name="api-fusion"),
    path("idphoto/check", idphoto_api.check_photo, name="api-idphoto"),
    path("idphoto/make", idmake_api.make_photo, name="api-idmake"),
    # HivisionIDPhotos' endpoints, drop-in.
    path("idphoto", hivision_api.idphoto, name="api-hivision-idphoto"),
    path("idphoto_crop", hivision_api.idphoto_crop, name="api-hivision-crop"),
    path("human_matting", hivision_api.human_matting, name="api-hivision-matting"),
    path("add_background", hivision_api.add_background, name="api-hivision-background"),
    path(
        "generate_layout_photos",
        hivision_api.generate_layout_photos,
        name="api-hivision-layout",
    ),
    path("watermark", hivision_api.watermark_photo, name="api-hivision-watermark"),
    path("set_kb", hivision_api.set_kb, name="api-hivision-kb"),
    path("api/openapi.json", openapi_api.openapi_description, name="api-openapi"),
    path("healthz", ops_views.healthz, name="healthz"),
    path("readyz", ops_views.readyz, name="readyz"),
    path("metrics", ops_views.metrics, name="metrics"),
    # The header's language switch: a POST that sets the language cookie and goes back.
    path("i18n/setlang/", set_language, name="set_language"),
    path("fusion/", include("webapp.pages.fusion_urls")),
    path("", include("webapp.pages.urls")),
]

handler404 = "webapp.pages.views.bad_link"
handler500 = "webapp.pages.views.server_error"
