"""The ID-photo maker: from a photo to a compliant ID photo, its files and print sheets.

- :mod:`.make`: framing for a specification, straightened, on a plain
  background, and HivisionIDPhotos' own framing (``crop_hivision``);
- :mod:`.reach`: the body carried on where the frame reaches past the photo;
- :mod:`.corrections`: gentle light and colour corrections;
- :mod:`.colour`: background colours by name or hex;
- :mod:`.matting`: the person's matte, hair included;
- :mod:`.background`: the person on a plain or studio-gradient background;
- :mod:`.output`: photo files with their DPI and a size range in KB;
- :mod:`.sheet`: print sheets of copies (6-inch, 5-inch, A4);
- :mod:`.watermark`: a repeated text watermark;
- :mod:`.measure`: colour differences to judge a matte by.
"""

from __future__ import annotations

from .background import RENDERS, compose, estimate_foreground, rgba
from .colour import NAMED_COLOURS, parse_colour
from .corrections import Corrections, apply_corrections
from .make import (
    MESSAGES,
    Framing,
    IdMakeError,
    MadePhoto,
    check_made,
    check_offsets,
    crop_hivision,
    make_checked,
    make_id_photo,
    retakes_after_check,
)
from .matting import matte_person
from .measure import background_delta_e, delta_e2000, halo_delta_e
from .output import EncodedPhoto, encode_photo, resize_to_kb
from .sheet import PAPERS, Sheet, layout_sheet, print_copy, sheet_jpeg, sheet_pdf
from .watermark import watermark

__all__ = [
    "MESSAGES",
    "NAMED_COLOURS",
    "PAPERS",
    "RENDERS",
    "Corrections",
    "EncodedPhoto",
    "Framing",
    "IdMakeError",
    "MadePhoto",
    "Sheet",
    "apply_corrections",
    "background_delta_e",
    "check_made",
    "check_offsets",
    "compose",
    "crop_hivision",
    "delta_e2000",
    "encode_photo",
    "estimate_foreground",
    "halo_delta_e",
    "layout_sheet",
    "make_checked",
    "make_id_photo",
    "matte_person",
    "parse_colour",
    "resize_to_kb",
    "print_copy",
    "retakes_after_check",
    "rgba",
    "sheet_jpeg",
    "sheet_pdf",
    "watermark",
]
