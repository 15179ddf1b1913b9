"""Background and ink colours by name or hex: ``parse_colour``.

The names are the colours ID photos are made on. Blue is the ID-photo blue of
:mod:`webapp.vision.idphoto.specs` (Chinese studios and exam sites); red is the
pure red Chinese studios quote for red-background photos (marriage
certificates, insurance cards: R255 G0 B0); light grey is the check's light grey;
off-white, cream and light blue are the catalogue's names for what some documents
accept (so every colour the page's document table shows is a name the API takes).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from types import MappingProxyType

from webapp.vision.idphoto.specs import BLUE, CREAM, LIGHT_BLUE, LIGHT_GREY, OFF_WHITE, WHITE

RGB = tuple[int, int, int]


def _key(name: str) -> str:
    """A colour name as it is matched: lower case, without spaces, hyphens or underscores."""
    return re.sub(r"[\s_-]+", "", name).lower()


#: Every colour name :func:`parse_colour` accepts (lower case, spaces and
#: hyphens ignored when matching): the catalogue's background colours by their
#: own names, and red.
NAMED_COLOURS: Mapping[str, RGB] = MappingProxyType(
    {_key(c.name): c.rgb for c in (WHITE, BLUE, LIGHT_GREY, OFF_WHITE, CREAM, LIGHT_BLUE)}
    | {"red": (255, 0, 0)}
)

_ALIASES: Mapping[str, str] = MappingProxyType(
    {"lightgray": "lightgrey", "grey": "lightgrey", "gray": "lightgrey"}
)
_HEX = re.compile(r"#?([0-9a-fA-F]{6}|[0-9a-fA-F]{3})")


def parse_colour(text: str) -> RGB:
    """Return the ``(r, g, b)`` a colour name or hex code stands for.

    Parameters
    ----------
    text : str
        A name of :data:`NAMED_COLOURS` (``"white"``, ``"blue"``, ``"red"``,
        ``"light grey"``, also ``"lightgrey"`` or ``"grey"``, ``"off-white"``,
        ``"cream"``, ``"light blue"``; case, spaces and hyphens ignored) or a
        hex code ``#RRGGBB``, ``RRGGBB`` or ``#RGB``.

    Raises
    ------
    ValueError
        When the text is neither, with a message that lists what is accepted.

    Examples
    --------
    >>> parse_colour("Light grey"), parse_colour("#438edb"), parse_colour("#fff")
    ((215, 215, 215), (67, 142, 219), (255, 255, 255))
    """
    if not isinstance(text, str):
        raise ValueError(f"A colour must be text, not {type(text).__name__}.")
    key = _key(text)
    key = _ALIASES.get(key, key)
    if key in NAMED_COLOURS:
        return NAMED_COLOURS[key]
    match = _HEX.fullmatch(text.strip())
    if match:
        digits = match.group(1)
        if len(digits) == 3:
            digits = "".join(d * 2 for d in digits)
        return (int(digits[0:2], 16), int(digits[2:4], 16), int(digits[4:6], 16))
    raise ValueError(
        f"Unknown colour {text.strip()[:40]!r}: use white, blue, red, light grey, grey, "
        "off-white, cream, light blue, or a hex code such as #438EDB."
    )
