"""A catalogue of common ID-photo specifications.

Each entry gives the photo's size in millimetres and pixels, the resolution
it must carry, where the head and eyes must be, the background colours and
file limits, and a ``source`` naming the official page (or standard) each
figure comes from. Bands are fractions of the photo: heights of its height,
widths of its width, measured from its top or left edge; the figures they
bound are those of the check's ``detect_result``:

- ``face_width`` bounds ``face_x_occupy`` (ear to ear, without hair);
- ``head_height`` bounds the crown-to-chin height (``head_chin_y - head_top``);
- ``head_top`` bounds ``head_top``, the margin above the hair;
- ``eye_line`` bounds ``eyes_y_center``.

A band that a specification does not set is ``None``: the check then reads
no rule for it under that specification (the check service's own bands for face size
and eye position apply only when no specification is given).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

MM_PER_INCH = 25.4


class UnknownSpecError(ValueError):
    """The requested ID-photo specification is not in the catalogue."""

    def __init__(self, name: str) -> None:
        self.name = name
        super().__init__(f"unknown ID-photo specification {name!r}; known: {', '.join(SPECS)}")


@dataclass(frozen=True)
class BackgroundColour:
    """An accepted background colour: RGB and the CIE76 delta E allowed around it."""

    name: str
    rgb: tuple[int, int, int]
    tolerance: float


WHITE = BackgroundColour("white", (255, 255, 255), 12.0)
OFF_WHITE = BackgroundColour("off-white", (240, 240, 235), 12.0)
LIGHT_GREY = BackgroundColour("light grey", (215, 215, 215), 14.0)
CREAM = BackgroundColour("cream", (240, 230, 210), 12.0)
LIGHT_BLUE = BackgroundColour("light blue", (200, 225, 245), 14.0)
#: ID-photo blue, as Chinese studios and exam sites use it (the check service's example
#: background is 60, 144, 232).
BLUE = BackgroundColour("blue", (67, 142, 219), 20.0)


@dataclass(frozen=True)
class IdPhotoSpec:
    """One ID-photo specification.

    Attributes
    ----------
    name : str
        The key callers pass as ``spec``, e.g. ``"cn_id_card"``.
    title, title_en : str
        Its name in Chinese and in English.
    size_mm : tuple of float
        Printed (width, height) in millimetres.
    size_px : tuple of int
        The smallest accepted digital (width, height) in pixels.
    size_px_max : tuple of int or None
        The largest accepted size when a range is accepted; None when only
        ``size_px`` is (exactly) accepted.
    dpi : int or None
        The resolution the file must carry; None when none is required.
    head_height, head_top, eye_line, face_width : tuple of float or None
        Bands (see the module's docstring).
    backgrounds : tuple of BackgroundColour
        Accepted background colours.
    file_size : tuple of (int or None)
        Smallest and largest accepted file size in bytes.
    formats : tuple of str
        Accepted ``photo_format`` values.
    glasses_allowed : bool
        Whether ordinary (clear) glasses may be worn; tinted ones never may.
    source : str
        Where each figure comes from.
    """

    name: str
    title: str
    title_en: str
    size_mm: tuple[float, float]
    size_px: tuple[int, int]
    size_px_max: tuple[int, int] | None
    dpi: int | None
    head_height: tuple[float, float] | None
    head_top: tuple[float, float] | None
    eye_line: tuple[float, float] | None
    face_width: tuple[float, float] | None
    backgrounds: tuple[BackgroundColour, ...]
    file_size: tuple[int | None, int | None]
    formats: tuple[str, ...]
    glasses_allowed: bool
    source: str

    def accepts_size(self, width: int, height: int) -> bool:
        """Whether a photo of ``width`` x ``height`` pixels has an accepted size."""
        if self.size_px_max is None:
            return (width, height) == self.size_px
        (w0, h0), (w1, h1) = self.size_px, self.size_px_max
        aspect = self.size_px[0] / self.size_px[1]
        return (
            w0 <= width <= w1
            and h0 <= height <= h1
            and abs(width / height - aspect) <= 0.02 * aspect
        )


def _px(mm: float, dpi: int) -> int:
    return round(mm / MM_PER_INCH * dpi)


SPECS: Mapping[str, IdPhotoSpec] = {
    spec.name: spec
    for spec in [
        IdPhotoSpec(
            name="cn_id_card",
            title="居民身份证",
            title_en="China resident identity card",
            size_mm=(26, 32),
            size_px=(358, 441),
            size_px_max=None,
            dpi=350,
            head_height=None,
            head_top=(7 / 441, 21 / 441),
            eye_line=(0.33, 1 - 207 / 441),
            face_width=((207 - 14) / 358, (207 + 14) / 358),
            backgrounds=(WHITE,),
            file_size=(None, None),
            formats=("jpg",),
            glasses_allowed=True,
            source=(
                "GA 461-2004 《居民身份证制证用数字相片技术要求》: 358x441 px, 350 dpi, "
                "26x32 mm, JPEG; face width 207 ± 14 px; top of the hair 7-21 px below the "
                "top edge; eyes at least 207 px above the bottom edge (the band's upper end "
                "0.33 is the check service's); white background. It sets no head height and "
                "no file limit (a typical file is 14-20 KB at quality 70)."
            ),
        ),
        IdPhotoSpec(
            name="cn_passport",
            title="中国护照/出入境证件",
            title_en="China passport and exit-entry permits",
            size_mm=(33, 48),
            size_px=(_px(33, 300), _px(48, 300)),
            size_px_max=(_px(33, 600), _px(48, 600)),
            dpi=None,
            head_height=(28 / 48, 33 / 48),
            head_top=(3 / 48, 5 / 48),
            eye_line=None,
            face_width=(15 / 33, 22 / 33),
            backgrounds=(WHITE,),
            file_size=(30_000, 80_000),
            formats=("jpg",),
            glasses_allowed=True,
            source=(
                "National Immigration Administration, 《出入境证件相片照相指引》: 33x48 mm; "
                "head width 15-22 mm; head height (chin to crown) 28-33 mm; crown 3-5 mm "
                "below the top edge; chin at least 7 mm above the bottom edge; white "
                "background; digital file JPEG of 30-80 KB. Pixel sizes are the print "
                "size at 300-600 dpi (the guide sets none)."
            ),
        ),
        IdPhotoSpec(
            name="cn_visa",
            title="中国签证",
            title_en="China visa (online application)",
            size_mm=(33, 48),
            size_px=(354, 472),
            size_px_max=(420, 560),
            dpi=None,
            head_height=(28 / 48, 33 / 48),
            head_top=(3 / 48, 5 / 48),
            eye_line=None,
            face_width=(15 / 33, 22 / 33),
            backgrounds=(WHITE,),
            file_size=(40_000, 120_000),
            formats=("jpg",),
            glasses_allowed=True,
            source=(
                "Chinese embassies' visa photo requirements (China Online Visa "
                "Application, photo standard): 33x48 mm; digital 354x472 to 420x560 px, "
                "JPEG of 40-120 KB; head width 15-22 mm, head height 28-33 mm, crown "
                "3-5 mm below the top edge; white or near-white background."
            ),
        ),
        IdPhotoSpec(
            name="us_passport",
            title="美国护照/签证",
            title_en="United States passport and visa",
            size_mm=(51, 51),
            size_px=(600, 600),
            size_px_max=(1200, 1200),
            dpi=None,
            head_height=(1.0 / 2.0, 1.375 / 2.0),
            head_top=None,
            eye_line=(1 - 1.375 / 2.0, 1 - 1.125 / 2.0),
            face_width=None,
            backgrounds=(WHITE, OFF_WHITE),
            file_size=(None, 240_000),
            formats=("jpg",),
            glasses_allowed=False,
            source=(
                "U.S. Department of State, travel.state.gov 'Photo Requirements' and "
                "'Digital Image Requirements': 2x2 in; head 1 to 1 3/8 in from chin to "
                "top of the head; eyes 1 1/8 to 1 3/8 in above the bottom edge; white or "
                "off-white background; no glasses; digital 600x600 to 1200x1200 px, "
                "JPEG of at most 240 kB."
            ),
        ),
        IdPhotoSpec(
            name="schengen_visa",
            title="申根签证",
            title_en="Schengen visa",
            size_mm=(35, 45),
            size_px=(_px(35, 300), _px(45, 300)),
            size_px_max=(_px(35, 600), _px(45, 600)),
            dpi=None,
            head_height=(32 / 45, 36 / 45),
            head_top=None,
            eye_line=None,
            face_width=None,
            backgrounds=(WHITE, OFF_WHITE, LIGHT_GREY, LIGHT_BLUE),
            file_size=(None, None),
            formats=("jpg",),
            glasses_allowed=True,
            source=(
                "ICAO Doc 9303 Part 3 and the EU's Schengen visa photo guidelines "
                "(ISO/IEC 19794-5 frontal image): 35x45 mm; chin to crown 32-36 mm "
                "(70-80 % of the height); plain light background. Pixel sizes are the "
                "print size at 300-600 dpi."
            ),
        ),
        IdPhotoSpec(
            name="uk_passport",
            title="英国护照",
            title_en="United Kingdom passport",
            size_mm=(35, 45),
            size_px=(600, 750),
            size_px_max=(4000, 5000),
            dpi=None,
            head_height=(29 / 45, 34 / 45),
            head_top=None,
            eye_line=None,
            face_width=None,
            backgrounds=(CREAM, LIGHT_GREY, OFF_WHITE),
            file_size=(50_000, 10_000_000),
            formats=("jpg",),
            glasses_allowed=True,
            source=(
                "GOV.UK 'Photos for passports': 35x45 mm printed; head 29-34 mm from chin "
                "to crown; plain cream or light grey background; digital photos at least "
                "600x750 px and 50 KB to 10 MB."
            ),
        ),
        IdPhotoSpec(
            name="canada_passport",
            title="加拿大护照",
            title_en="Canada passport",
            size_mm=(50, 70),
            size_px=(_px(50, 300), _px(70, 300)),
            size_px_max=(_px(50, 600), _px(70, 600)),
            dpi=None,
            head_height=(31 / 70, 36 / 70),
            head_top=None,
            eye_line=None,
            face_width=None,
            backgrounds=(WHITE, OFF_WHITE, LIGHT_GREY),
            file_size=(None, None),
            formats=("jpg",),
            glasses_allowed=True,
            source=(
                "Immigration, Refugees and Citizenship Canada, 'Canadian passport photo "
                "specifications': 50x70 mm; chin to crown 31-36 mm; plain white or light "
                "background. Pixel sizes are the print size at 300-600 dpi."
            ),
        ),
        IdPhotoSpec(
            name="cn_xuexin",
            title="学信网学历照片/考试报名照",
            title_en="China exam registration and CHSI degree photo",
            size_mm=(41, 54),
            size_px=(480, 640),
            size_px_max=None,
            dpi=None,
            head_height=(0.5, 0.75),
            head_top=(0.05, 0.15),
            eye_line=(0.3, 0.5),
            face_width=None,
            backgrounds=(BLUE, WHITE),
            file_size=(None, None),
            formats=("jpg",),
            glasses_allowed=True,
            source=(
                "学信网 (CHSI) graduate photo collection notice: 480x640 px JPEG, blue "
                "background; the exam boards' photo notices (e.g. 研究生考试网上确认照片"
                "要求: eyes 30-50 % of the height from the top; 四川省教育考试院: 1/10 "
                "above the head, head 7/10): head height and top margin bands. size_mm is "
                "480x640 px at 300 dpi."
            ),
        ),
        IdPhotoSpec(
            name="japan_visa",
            title="日本签证",
            title_en="Japan visa",
            size_mm=(35, 45),
            size_px=(_px(35, 300), _px(45, 300)),
            size_px_max=(_px(35, 600), _px(45, 600)),
            dpi=None,
            head_height=(32 / 45, 36 / 45),
            head_top=(2 / 45, 6 / 45),
            eye_line=None,
            face_width=None,
            backgrounds=(WHITE, OFF_WHITE, LIGHT_GREY),
            file_size=(None, None),
            formats=("jpg",),
            glasses_allowed=True,
            source=(
                "Ministry of Foreign Affairs of Japan, visa application form: photo "
                "45x35 mm, plain light background, taken within 6 months; the face bands "
                "are MOFA's photo standard for Japanese travel documents (パスポート申請用"
                "写真の規格): chin to crown 34 ± 2 mm, 4 ± 2 mm from the crown to the top "
                "edge. Pixel sizes are the print size at 300-600 dpi."
            ),
        ),
        IdPhotoSpec(
            name="india_passport",
            title="印度护照",
            title_en="India passport",
            size_mm=(51, 51),
            size_px=(600, 600),
            size_px_max=(1200, 1200),
            dpi=None,
            head_height=(25 / 51, 35 / 51),
            head_top=None,
            eye_line=(1 - 35 / 51, 1 - 28 / 51),
            face_width=None,
            backgrounds=(WHITE, OFF_WHITE),
            file_size=(None, None),
            formats=("jpg",),
            glasses_allowed=True,
            source=(
                "Ministry of External Affairs, Passport Seva photo specifications and "
                "Indian missions' passport photo notes: 2x2 in (51x51 mm); head 25-35 mm "
                "from chin to crown (1 to 1 3/8 in); eyes 28-35 mm (1 1/8 to 1 3/8 in) "
                "above the bottom edge; plain white or off-white background. Pixel sizes "
                "are the print size at 300-600 dpi."
            ),
        ),
        IdPhotoSpec(
            name="india_visa",
            title="印度签证",
            title_en="India visa (e-Visa and regular visa)",
            size_mm=(51, 51),
            size_px=(350, 350),
            size_px_max=(1000, 1000),
            dpi=None,
            head_height=(0.5, 0.69),
            head_top=None,
            eye_line=(1 - 0.69, 1 - 0.56),
            face_width=None,
            backgrounds=(WHITE, OFF_WHITE),
            file_size=(10_000, 1_000_000),
            formats=("jpg",),
            glasses_allowed=True,
            source=(
                "Government of India, Bureau of Immigration, Indian e-Visa photo "
                "requirements: square 2x2 in (51x51 mm); digital 350x350 to 1000x1000 px, "
                "JPEG of 10 KB to 1 MB; head (chin to crown) 50-69 % of the height; eyes "
                "56-69 % of the height above the bottom edge; plain white or light "
                "background."
            ),
        ),
        IdPhotoSpec(
            name="korea_passport",
            title="韩国护照",
            title_en="Republic of Korea passport",
            size_mm=(35, 45),
            size_px=(_px(35, 300), _px(45, 300)),
            size_px_max=(_px(35, 600), _px(45, 600)),
            dpi=None,
            head_height=(32 / 45, 36 / 45),
            head_top=None,
            eye_line=None,
            face_width=None,
            backgrounds=(WHITE,),
            file_size=(None, None),
            formats=("jpg",),
            glasses_allowed=True,
            source=(
                "Ministry of Foreign Affairs of Korea, 여권 사진 규정 (passport photo "
                "rules): 35x45 mm; head from chin to crown 32-36 mm; plain white "
                "background; glasses without tint or glare. Pixel sizes are the print "
                "size at 300-600 dpi."
            ),
        ),
        IdPhotoSpec(
            name="australia_passport",
            title="澳大利亚护照",
            title_en="Australia passport",
            size_mm=(35, 45),
            size_px=(_px(35, 300), _px(45, 300)),
            size_px_max=(_px(35, 600), _px(45, 600)),
            dpi=None,
            head_height=(32 / 45, 36 / 45),
            head_top=None,
            eye_line=None,
            face_width=None,
            backgrounds=(WHITE, OFF_WHITE, LIGHT_GREY),
            file_size=(None, None),
            formats=("jpg",),
            glasses_allowed=True,
            source=(
                "Australian Passport Office, 'Photo guidelines': 35-40 mm wide and "
                "45-50 mm high; face from chin to crown 32-36 mm; plain white or light "
                "grey background. The catalogue uses 35x45 mm; pixel sizes are that "
                "print size at 300-600 dpi."
            ),
        ),
        IdPhotoSpec(
            name="germany_passport",
            title="德国护照/身份证",
            title_en="Germany passport and identity card (biometric)",
            size_mm=(35, 45),
            size_px=(_px(35, 300), _px(45, 300)),
            size_px_max=(_px(35, 600), _px(45, 600)),
            dpi=None,
            head_height=(32 / 45, 36 / 45),
            head_top=None,
            eye_line=None,
            face_width=None,
            backgrounds=(LIGHT_GREY, OFF_WHITE, WHITE),
            file_size=(None, None),
            formats=("jpg",),
            glasses_allowed=True,
            source=(
                "Bundesdruckerei / Federal Ministry of the Interior, "
                "Fotomustertafel for biometric passport photos: 35x45 mm; face from "
                "chin to crown 32-36 mm (70-80 % of the height); plain light background, "
                "neutral grey preferred. Pixel sizes are the print size at 300-600 dpi."
            ),
        ),
        IdPhotoSpec(
            name="france_passport",
            title="法国护照/身份证",
            title_en="France passport and identity card",
            size_mm=(35, 45),
            size_px=(_px(35, 300), _px(45, 300)),
            size_px_max=(_px(35, 600), _px(45, 600)),
            dpi=None,
            head_height=(32 / 45, 36 / 45),
            head_top=None,
            eye_line=None,
            face_width=None,
            backgrounds=(LIGHT_GREY, LIGHT_BLUE),
            file_size=(None, None),
            formats=("jpg",),
            glasses_allowed=True,
            source=(
                "ANTS / service-public.fr, 'Photo d'identité': 35x45 mm; face from the "
                "chin to the top of the head 32-36 mm; plain light background, light "
                "grey or light blue, white refused. Pixel sizes are the print size at "
                "300-600 dpi."
            ),
        ),
    ]
}


def get_spec(name: str) -> IdPhotoSpec:
    """Return the specification called ``name``.

    Raises
    ------
    UnknownSpecError
        If there is none.
    """
    try:
        return SPECS[name]
    except KeyError:
        raise UnknownSpecError(name) from None


#: A custom specification's resolution must lie in this range (dots per inch).
CUSTOM_DPI = (72, 1200)
#: A custom specification's printed sides must lie in this range (millimetres).
CUSTOM_MM = (10.0, 120.0)


def custom_spec(
    size_mm: tuple[float, float],
    *,
    dpi: int = 300,
    head_height: tuple[float, float] | None = None,
    head_top: tuple[float, float] | None = None,
    eye_line: tuple[float, float] | None = None,
    face_width: tuple[float, float] | None = None,
    background: tuple[int, int, int] = WHITE.rgb,
    kb: tuple[float | None, float | None] = (None, None),
    glasses_allowed: bool = True,
    name: str = "custom",
    title: str = "自定义尺寸",
    title_en: str = "Custom size",
) -> IdPhotoSpec:
    """Build a specification from a printed size, a resolution and the bands.

    Bands are fractions of the photo as in the catalogue (see the module's
    docstring); at least one of ``head_height`` and ``face_width`` sets the
    head's size. The pixel size is ``size_mm`` at ``dpi`` exactly, and the file
    must carry that resolution. ``kb`` is the accepted file size in KB (1 KB =
    1024 bytes, as the file makers count), either end None. The background is
    accepted within the same tolerance as the catalogue's white.

    Raises
    ------
    ValueError
        With a readable message when a figure is out of range.
    """
    width_mm, height_mm = (float(v) for v in size_mm)
    low_mm, high_mm = CUSTOM_MM
    if not (low_mm <= width_mm <= high_mm and low_mm <= height_mm <= high_mm):
        raise ValueError(
            f"the photo's size must be {low_mm:g}-{high_mm:g} mm on each side, "
            f"not {width_mm:g}x{height_mm:g} mm"
        )
    if not CUSTOM_DPI[0] <= int(dpi) <= CUSTOM_DPI[1]:
        raise ValueError(f"dpi must be {CUSTOM_DPI[0]}-{CUSTOM_DPI[1]}, not {dpi}")
    bands = {
        "head_height": head_height,
        "head_top": head_top,
        "eye_line": eye_line,
        "face_width": face_width,
    }
    for band, value in bands.items():
        if value is None:
            continue
        low, high = (float(v) for v in value)
        if not 0.0 <= low < high <= 1.0:
            raise ValueError(
                f"{band} must be two fractions of the photo, low below high, not {value}"
            )
        bands[band] = (low, high)
    if head_height is None and face_width is None:
        raise ValueError("a custom size needs head_height or face_width (the head's size)")
    if len(background) != 3 or not all(0 <= int(v) <= 255 for v in background):
        raise ValueError(f"background must be three values 0-255, not {background}")
    kb_low, kb_high = kb
    if (kb_low is not None and kb_low < 0) or (
        kb_low is not None and kb_high is not None and kb_low >= kb_high
    ):
        raise ValueError(f"the KB range must be two sizes, low below high, not {kb}")
    rgb = tuple(int(v) for v in background)
    return IdPhotoSpec(
        name=name,
        title=title,
        title_en=title_en,
        size_mm=(width_mm, height_mm),
        size_px=(_px(width_mm, int(dpi)), _px(height_mm, int(dpi))),
        size_px_max=None,
        dpi=int(dpi),
        head_height=bands["head_height"],
        head_top=bands["head_top"],
        eye_line=bands["eye_line"],
        face_width=bands["face_width"],
        backgrounds=(BackgroundColour("custom", rgb, WHITE.tolerance),),  # type: ignore[arg-type]
        file_size=(
            None if kb_low is None else round(kb_low * 1024),
            None if kb_high is None else round(kb_high * 1024),
        ),
        formats=("jpg",),
        glasses_allowed=glasses_allowed,
        source=(
            f"Custom: {width_mm:g}x{height_mm:g} mm at {int(dpi)} dpi, bands and "
            "background as given by the user."
        ),
    )
