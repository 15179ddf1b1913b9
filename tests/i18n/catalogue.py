"""Read the project's catalogue (.po) and the strings its templates and code mark for it."""

from __future__ import annotations

import ast
import re
from pathlib import Path

from django.template.base import Lexer, TokenType
from django.utils.translation.template import templatize

ROOT = Path(__file__).resolve().parents[2]
LOCALE = ROOT / "locale"
PO = LOCALE / "zh_Hans" / "LC_MESSAGES" / "django.po"
MO = PO.with_suffix(".mo")
TEMPLATES = sorted((ROOT / "templates").rglob("*.html"))
CODE = sorted(p for p in (ROOT / "webapp").rglob("*.py") if "migrations" not in p.parts)

Key = str | tuple[str, str]  # a msgid, or (msgid, msgid_plural)


def read_po(path: Path = PO) -> dict[Key, str | dict[int, str]]:
    """Return {msgid or (msgid, plural): msgstr or {n: msgstr}} of a .po file (no header)."""
    entries: dict[Key, str | dict[int, str]] = {}
    fields: dict[str, str] = {}
    last = ""

    def flush() -> None:
        if "msgid" in fields and fields["msgid"] and "#fuzzy" not in fields:
            if "msgctxt" in fields:  # stored as gettext stores it
                fields["msgid"] = fields["msgctxt"] + "\x04" + fields["msgid"]
            if "msgid_plural" in fields:
                plural = {int(k[7:-1]): v for k, v in fields.items() if k.startswith("msgstr[")}
                entries[(fields["msgid"], fields["msgid_plural"])] = plural
            else:
                entries[fields["msgid"]] = fields.get("msgstr", "")
        fields.clear()

    for line in path.read_text(encoding="utf-8").splitlines() + [""]:
        if not line.strip():
            flush()
        elif line.startswith("#,") and "fuzzy" in line:
            fields["#fuzzy"] = ""
        elif line.startswith("#"):
            continue
        elif line.startswith('"'):
            fields[last] += ast.literal_eval(line)
        else:
            keyword, _, value = line.partition(" ")
            last = keyword
            fields[keyword] = ast.literal_eval(value)
    return entries


_CALL = re.compile(r"\b(gettext|ngettext|pgettext|npgettext)\(((?:u'(?:[^'\\]|\\.)*'(?:, )?)+)")


def template_strings(path: Path) -> set[Key]:
    """Return the msgids a template marks ({% translate %}, {% blocktranslate %}, _("...")).

    Read as `makemessages` reads them: through Django's own `templatize`.
    """
    found: set[Key] = set()
    for match in _CALL.finditer(templatize(path.read_text(encoding="utf-8"))):
        strings = ast.literal_eval("(" + match.group(2).rstrip(", ") + ",)")
        if match.group(1) in ("pgettext", "npgettext"):
            strings = (strings[0] + "\x04" + strings[1], *strings[2:])
        found.add(strings[0] if len(strings) == 1 else (strings[0], strings[1]))
    return found


_GETTEXT_NAMES = {"_", "gettext", "gettext_lazy", "gettext_noop", "ngettext", "ngettext_lazy"}


def code_strings(path: Path) -> set[Key]:
    """Return the msgids a module marks: literal arguments of _(), gettext_lazy() and the like."""
    found: set[Key] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if not isinstance(node, ast.Call):
            continue
        name = getattr(node.func, "id", getattr(node.func, "attr", ""))
        if name not in _GETTEXT_NAMES:
            continue
        literals = [a.value for a in node.args if isinstance(a, ast.Constant)]
        if literals and all(isinstance(s, str) for s in literals):
            found.add(
                literals[0] if name.startswith("gettext") or name == "_" else tuple(literals[:2])
            )
    return found


#: Words a page may show untranslated: names, formats and units.
ALLOWED_WORDS = {
    *("Likeness", "English", "JPEG", "PNG", "WebP", "BMP", "JSON", "AI", "GPS", "API", "MB", "px"),
    *("UTC", "Ctrl", "dpi", "mm", "KB", "iBUG"),
}
#: The ID check's report is rewritten on its own branch; it shows both languages from
#: its own spans until then.
BILINGUAL_ELSEWHERE = {"photos/results/id_check.html"}
_TAG = re.compile(r"<(script|style)\b.*?</\1>|<[^>]*>", re.S)
_VISIBLE_ATTR = re.compile(r'\b(?:alt|title|aria-label|placeholder|data-confirm)="([^"]*)"')
_WORD = re.compile(r"(?<![\w./-])[A-Za-z]{2,}(?![\w./(-])")


def untranslated_words(path: Path) -> list[str]:
    """Return the English words a template shows outside its translate tags.

    The template's text is put back together with each variable and tag as a
    placeholder (translated text left out), then read as a page shows it: the
    text between HTML tags and the attributes people see or hear.
    """
    parts: list[str] = []
    inside = False
    for token in Lexer(path.read_text(encoding="utf-8")).tokenize():
        if token.token_type == TokenType.BLOCK:
            name = token.contents.split()[0]
            if name in ("blocktranslate", "blocktrans"):
                inside = True
            elif name in ("endblocktranslate", "endblocktrans"):
                inside = False
            parts.append("§")
        elif token.token_type == TokenType.VAR:
            parts.append("§")
        elif token.token_type == TokenType.TEXT and not inside:
            parts.append(token.contents)
    page = "".join(parts)
    shown = " ".join(_VISIBLE_ATTR.findall(page)) + " " + _TAG.sub(" ", page)
    return [w for w in _WORD.findall(shown) if w not in ALLOWED_WORDS]


#: Left out of a page's words: code, and where a specification's figures come from (the
#: documents' own titles, cited as they are written).
_PAGE_TAG = re.compile(
    r"<(script|style|code|pre|svg)\b.*?</\1>|<td class=\"source\">.*?</td>|<[^>]*>", re.S
)


def english_on_page(html: str, names: set[str] = frozenset()) -> list[str]:
    """Return the English words a rendered page shows (text and the attributes people meet).

    `names` are words of the page's data (a template's name), not of the project.
    """
    body = html.split("<body", 1)[-1]
    shown = " ".join(_VISIBLE_ATTR.findall(body)) + " " + _PAGE_TAG.sub(" ", body)
    return [w for w in _WORD.findall(shown) if w not in ALLOWED_WORDS | names]
