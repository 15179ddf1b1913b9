"""The ID-photo check: is a photo fit for an identity document?

- :mod:`.check`: the public check and its report;
- :mod:`.specs`: the document specifications (sizes, background colours);
- :mod:`.rules`: the rule table that turns figures into pass or fail;
- :mod:`.geometry`: where the face and head are and how the head is held;
- :mod:`.face`: measures on the face itself (light, sharpness, glasses);
- :mod:`.scene`: measures around it (background, hat, clothes);
- :mod:`.drawing`: what the annotated page draws.
"""

from __future__ import annotations

from .check import (
    MAX_SIDE,
    FileFacts,
    IdPhotoDrawing,
    IdPhotoReport,
    check_id_photo,
    read_file_facts,
    rule_figures,
    warm_up_idphoto,
)
from .rules import RULES, RULES_BY_CODE, Rule, evaluate, rule_limits
from .specs import SPECS, IdPhotoSpec, UnknownSpecError, custom_spec, get_spec

__all__ = [
    "MAX_SIDE",
    "RULES",
    "RULES_BY_CODE",
    "SPECS",
    "FileFacts",
    "IdPhotoDrawing",
    "IdPhotoReport",
    "IdPhotoSpec",
    "Rule",
    "UnknownSpecError",
    "check_id_photo",
    "custom_spec",
    "evaluate",
    "get_spec",
    "read_file_facts",
    "rule_figures",
    "rule_limits",
    "warm_up_idphoto",
]
