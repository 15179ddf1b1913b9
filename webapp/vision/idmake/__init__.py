"""The ID-photo maker: from an ordinary photo to a file a document office accepts.

- :mod:`.make`: framing for a specification (and HivisionIDPhotos' framing);
- :mod:`.corrections`: gentle light and colour corrections;
- :mod:`.check`: the made file re-checked by the ID-photo check.
"""

from __future__ import annotations

from .corrections import Corrections, apply_corrections
from .make import MESSAGES, Framing, IdMakeError, MadePhoto, make_id_photo

__all__ = [
    "MESSAGES",
    "Corrections",
    "Framing",
    "IdMakeError",
    "MadePhoto",
    "apply_corrections",
    "make_id_photo",
]
