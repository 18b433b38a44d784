"""Portal messages in Simplified Chinese and English, loaded from ``messages/*.yaml``."""

from __future__ import annotations

from functools import cache
from pathlib import Path

import yaml

LANGUAGES = ("zh", "en")
_DIR = Path(__file__).parent / "messages"


@cache
def messages(lang: str) -> dict[str, str]:
    data = yaml.safe_load((_DIR / f"{lang}.yaml").read_text(encoding="utf-8"))
    return {str(k): str(v) for k, v in data.items()}


def translator(lang: str):  # type: ignore[no-untyped-def]  # returns a Jinja-callable
    table = messages(lang if lang in LANGUAGES else "zh")
    fallback = messages("zh")

    def t(key: str, **kw: object) -> str:
        text = table.get(key) or fallback.get(key) or key
        return text.format(**kw) if kw else text

    return t
