"""Normalised subject names: what the name search indexes and what a query is compared with.

One function for both sides, applied character by character, so that a fragment of a name
normalises to a fragment of the normalised name (a traditional fragment finds a simplified
name, a full-width fragment a half-width one):

1. Unicode NFKC: full-width letters, digits and punctuation become ASCII (``ＡＢ１（`` → ``AB1(``),
   the ideographic space a space, compatibility ideographs their unified form.
2. Per character: ASCII letters lower-cased; every bracket pair (``（）【】〔〕［］｛｝〖〗``, ``[]{}``)
   becomes ``()``; middle dots (``・•‧∙⋅``) become ``·``; traditional characters become simplified
   (OpenCC's ``t2s`` table, character by character, so ``騰訊`` → ``腾讯``; phrase rules are
   deliberately not used, as they would make a fragment normalise differently from the whole);
   control, format (zero-width) and lone surrogate characters are dropped.
3. Whitespace: runs collapse to one space, which is kept only between two ASCII letters or digits
   (``Tencent  Holdings`` → ``tencent holdings``; ``腾讯 科技 （深圳）`` → ``腾讯科技(深圳)``), and
   the ends are trimmed.

The function is pure and idempotent. Stored in ``subjects.name_search`` by every writer; after a
change of these rules or of OpenCC's tables, ``xinyong.search.index.refresh_name_search`` brings
the stored values up to date.
"""

from __future__ import annotations

import re
import unicodedata
from functools import cache

MAX_QUERY_CHARS = 200  # a normalised query longer than this is cut (names are at most 200 characters)

_OPEN = "([{（【〔［｛〖〘⦅〚"
_CLOSE = ")]}）】〕］｝〗〙⦆〛"
_DOTS = "・•‧∙⋅･"
_DROP_CATEGORIES = {"Cc", "Cf", "Cs"}
_SPACE = re.compile(r"\s+")
_LOOSE_SPACE = re.compile(r"(?<![a-z0-9]) | (?![a-z0-9])")
_CJK_FROM = 0x2E80  # below this OpenCC changes nothing


@cache
def _t2s() -> object:
    import opencc  # imported lazily: its dictionaries load on first use

    return opencc.OpenCC("t2s.json")


def _simplified(ch: str) -> str:
    converter = _t2s()
    out = ch
    for _ in range(3):  # a few traditional characters map through a chain (薴 → 苧 → 苎)
        nxt: str = converter.convert(out)  # type: ignore[attr-defined]
        if nxt == out or len(nxt) != 1:
            break
        out = nxt
    return out


def _map_char(code: int) -> str:
    ch = chr(code)
    if ch in _OPEN:
        return "("
    if ch in _CLOSE:
        return ")"
    if ch in _DOTS:
        return "·"
    if "A" <= ch <= "Z":
        return ch.lower()
    if ch.isspace():
        return " "
    category = unicodedata.category(ch)
    if category in _DROP_CATEGORIES:
        return ""
    if code >= _CJK_FROM and category.startswith("L"):
        return _simplified(ch)
    return ch


class _CharTable(dict[int, str]):
    """``str.translate`` table filled on first sight of each character."""

    def __missing__(self, code: int) -> str:
        value = self[code] = _map_char(code)
        return value


_TABLE = _CharTable()


def normalise_name(text: str) -> str:
    """The searchable form of a subject's name (see the module docstring)."""
    out = _once(text)
    for _ in range(3):  # dropping a character can leave a sequence that NFKC composes: repeat
        if out.isascii() or unicodedata.is_normalized("NFKC", out):
            break
        out = _once(out)
    return out


def _once(text: str) -> str:
    if not text:
        return ""
    if not text.isascii():
        text = unicodedata.normalize("NFKC", _drop_surrogates(text))
    text = text.translate(_TABLE)
    if " " in text:
        text = _LOOSE_SPACE.sub("", _SPACE.sub(" ", text).strip())
    return text


def normalise_query(text: str) -> str:
    """A query normalised like a name, cut to :data:`MAX_QUERY_CHARS`; may be empty."""
    return normalise_name(text or "")[:MAX_QUERY_CHARS].strip()


def _drop_surrogates(text: str) -> str:
    # NFKC accepts lone surrogates, but OpenCC (UTF-8) does not: drop them before anything else.
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return "".join(ch for ch in text if not 0xD800 <= ord(ch) <= 0xDFFF)
    return text
