"""Every page, form, message and error in Chinese: by the browser's language or the switch."""

from __future__ import annotations

import html

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from webapp.photos.models import Job

from ..conftest import DATA
from .catalogue import english_on_page

ZH = {"HTTP_ACCEPT_LANGUAGE": "zh-CN,zh;q=0.9,en;q=0.5"}


def text(response) -> str:
    return html.unescape(response.content.decode())


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("path", "heading"),
    [
        ("/", "找出人脸关键点"),
        ("/fusion/", "人脸融合"),
        ("/idphoto/", "证件照制作"),
        ("/idphoto/check/", "证件照检测"),
        ("/no/such/page", "这个链接已失效"),
    ],
)
def test_a_chinese_browser_gets_every_page_in_chinese(client, path, heading):
    response = client.get(path, **ZH)
    page = text(response)
    assert heading in page
    assert '<html lang="zh-Hans">' in page
    assert english_on_page(page) == []


@pytest.mark.django_db
def test_an_english_browser_gets_english(client):
    page = text(client.get("/", HTTP_ACCEPT_LANGUAGE="en-GB,en;q=0.9"))
    assert "Find the points of a face" in page and '<html lang="en">' in page
    assert "找出人脸关键点" not in page
    assert "中文" in page  # the switch offers the other language, in its own words


@pytest.mark.django_db
def test_the_switch_in_the_header_remembers_the_choice(client):
    page = text(client.get("/fusion/"))
    assert 'action="/i18n/setlang/"' in page and 'value="zh-hans"' in page
    response = client.post("/i18n/setlang/", {"language": "zh-hans", "next": "/fusion/"})
    assert response.status_code == 302 and response["Location"] == "/fusion/"
    cookie = response.cookies["django_language"]
    assert cookie.value == "zh-hans" and int(cookie["max-age"]) >= 300 * 24 * 3600
    # Remembered over an English browser's preference, on every page.
    for path, heading in [("/fusion/", "人脸融合"), ("/", "找出人脸关键点")]:
        assert heading in text(client.get(path, HTTP_ACCEPT_LANGUAGE="en"))
    page = text(client.get("/"))
    assert 'value="en"' in page and ">English</button>" in page
    client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    assert "Find the points of a face" in text(client.get("/", **ZH))


@pytest.mark.django_db
def test_form_labels_choices_and_help_are_in_chinese(client):
    page = text(client.get("/", **ZH))
    for words in (
        "照片",
        "要找什么",
        "88 个关键点",
        "稠密关键点",
        "所有人脸",
        "支持 JPEG",
        "开始识别",
    ):
        assert words in page
    assert english_on_page(page) == []


@pytest.mark.django_db
def test_a_refused_photo_is_explained_in_chinese(client):
    response = client.post(
        "/upload", {"photo": SimpleUploadedFile("noise.jpg", b"x" * 5000), "kind": "dense"}, **ZH
    )
    assert response.status_code == 400
    page = text(response)
    assert "这个文件不是图片，请上传 JPEG、PNG、WebP 或 BMP 格式的照片。" in page
    assert english_on_page(page) == []


@pytest.mark.django_db
def test_an_upload_over_the_limit_is_refused_in_chinese(settings):
    settings.MAX_UPLOAD_MB = 1
    photo = (DATA / "faces" / "astronaut.png").read_bytes()
    big = photo + b"\0" * (2**20 + 1000 - len(photo))
    response = Client().post("/upload", {"photo": SimpleUploadedFile("big.png", big)}, **ZH)
    assert response.status_code == 413
    page = text(response)
    assert "这张照片太大了" in page and "照片太大，上限是 1.0 MB。" in page
    assert english_on_page(page) == []


@pytest.mark.django_db(transaction=True)
def test_a_failed_job_says_why_in_the_language_of_whoever_reads_it(client, run_worker):
    whole = (DATA / "faces" / "obama.jpg").read_bytes()
    client.post(
        "/upload",
        {
            "photo": SimpleUploadedFile("cut.jpg", whole[: len(whole) // 2]),
            "kind": "dense",
            "mode": 0,
        },
    )
    run_worker()
    job = Job.objects.get()
    assert job.status == Job.Status.FAILED and job.error_code == "damaged"
    # Stored once, in the APIs' English; each reader gets their own language.
    assert job.error_message == "The image is damaged or incomplete and cannot be read."
    page = text(client.get(job.get_absolute_url(), **ZH))
    assert "这张照片没能处理成功。" in page and "图片已损坏或不完整，无法读取。" in page
    assert english_on_page(page) == []
    page = text(client.get(job.get_absolute_url(), HTTP_ACCEPT_LANGUAGE="en"))
    assert "The image is damaged or incomplete and cannot be read." in page


@pytest.mark.django_db(transaction=True)
def test_a_result_page_is_in_chinese_down_to_its_toggles(client, run_worker):
    photo = (DATA / "faces" / "obama.jpg").read_bytes()
    client.post(
        "/upload", {"photo": SimpleUploadedFile("me.jpg", photo), "kind": "face_shape", "mode": 0}
    )
    run_worker()
    job = Job.objects.get()
    assert job.status == Job.Status.DONE, job.error_message
    client.post(f"/r/{job.id}/share", **ZH)
    page = text(client.get(job.get_absolute_url(), **ZH))
    for words in (
        "88 点脸型",
        "已完成",
        "找到 1 张脸",
        "左眉",
        "嘴巴",
        "放大到人脸",
        "分享",
        "已复制",
    ):
        assert words in page
    assert english_on_page(page) == []
    shared = text(Client().get(job.get_share_url(), **ZH))
    assert "找出你自己照片的人脸关键点" in shared and english_on_page(shared) == []


@pytest.mark.django_db
def test_the_fusion_template_page_is_in_chinese(client):
    from ..factories import make_fusion_template

    template = make_fusion_template()
    page = text(client.get(template.get_absolute_url(), **ZH))
    for words in ("你的照片", "脸型融合度", "五官融合度", "开始融合", "AI 生成"):
        assert words in page
    assert english_on_page(page, names={"Astronaut", "Demo"}) == []


@pytest.mark.django_db
def test_the_admin_shows_the_projects_own_labels_in_chinese(admin_client):
    page = text(admin_client.get("/admin/", **ZH))
    for words in (
        "Likeness 管理后台",
        "照片与任务",
        "人脸融合",
        "站点设置",
        "融合模板",
        "API 凭证",
    ):
        assert words in page
    page = text(admin_client.get("/admin/fusion/fusionproject/add/", **ZH))
    for words in ("活动 ID", "将结果标注为 AI 生成", "结果链接有效期（分钟）", "名称"):
        assert words in page
    page = text(admin_client.get("/admin/photos/job/", **ZH))
    for words in ("以 类型", "以 状态", "以 来源", "以 错误码"):  # the filters
        assert words in page
    assert "融合活动s" not in text(admin_client.get("/admin/", **ZH))


@pytest.mark.django_db
def test_the_id_photo_page_names_specifications_and_colours_in_chinese(client):
    from webapp.vision.idphoto import SPECS

    page = text(client.get("/idphoto/check/", **ZH))
    for spec in SPECS.values():
        assert f'<th scope="row">{spec.title}<br>' in page
    for words in ("开始检测", "头部占照片高度的", "白色", "蓝色"):
        assert words in page


def test_every_background_colour_of_every_specification_has_a_name_in_chinese():
    from django.utils import translation

    from webapp.pages.forms import BACKGROUND_NAMES
    from webapp.vision.idphoto import SPECS

    colours = {c.name for spec in SPECS.values() for c in spec.backgrounds}
    with translation.override("en"):
        assert colours <= {str(name) for name in BACKGROUND_NAMES}
    with translation.override("zh-hans"):
        for colour in colours:
            assert translation.pgettext("background colour", colour) != colour


@pytest.mark.django_db
@pytest.mark.parametrize("form", ["/", "/idphoto/"])
def test_the_switch_on_a_form_with_an_error_goes_back_to_the_form(client, form):
    action = {"/": "/upload", "/idphoto/": "/idphoto/upload"}[form]
    response = client.post(action, {"photo": SimpleUploadedFile("x.jpg", b"x" * 100)})
    assert response.status_code == 400
    assert f'name="next" value="{form}"' in response.content.decode()


@pytest.mark.django_db
def test_the_500_page_is_in_the_visitors_language(rf):
    from django.utils import translation

    from webapp.pages.views import server_error

    with translation.override("zh-hans"):
        page = server_error(rf.get("/")).content.decode()
    assert "出了点问题" in page and '<html lang="zh-Hans">' in page
