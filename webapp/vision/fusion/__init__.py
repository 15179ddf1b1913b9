"""Face fusion (Tencent's face fusion service): a user's face on a template photo.

- :mod:`.fuse`: the public functions and their results;
- :mod:`.face`: one face fused onto one template face;
- :mod:`.warp`: the geometry: aligning meshes, triangles, piecewise-affine warps;
- :mod:`.blend`: colour, light and grain matching, feathering, the visible mark.
"""

from __future__ import annotations

from .fuse import (
    AI_STATEMENT,
    MARK_TEXT,
    REASONS,
    FusionResult,
    TemplateFaces,
    encode_fused,
    fuse_faces,
    prepare_template,
)

__all__ = [
    "AI_STATEMENT",
    "MARK_TEXT",
    "REASONS",
    "FusionResult",
    "TemplateFaces",
    "encode_fused",
    "fuse_faces",
    "prepare_template",
]
