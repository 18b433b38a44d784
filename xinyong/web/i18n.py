"""Portal messages in Simplified Chinese and English, loaded from ``messages/*.yaml``."""

from __future__ import annotations

from functools import cache
from pathlib import Path

import yaml

LANGUAGES = ("zh", "en")
_DIR = Path(__file__).parent / "messages"


@cache
def messages(lang: str) -> dict[str, str]:
    """``{lang}.yaml`` plus every ``{lang}-<area>.yaml`` (one file per feature area)."""
    table: dict[str, str] = {}
    for path in [_DIR / f"{lang}.yaml", *sorted(_DIR.glob(f"{lang}-*.yaml"))]:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        clash = sorted(set(table) & {str(k) for k in data})
        if clash:
            raise ValueError(f"{path.name}: message key {clash[0]!r} is defined twice")
        table.update({str(k): str(v) for k, v in data.items()})
    return table


def translator(lang: str):  # type: ignore[no-untyped-def]  # returns a Jinja-callable
    table = messages(lang if lang in LANGUAGES else "zh")
    fallback = messages("zh")

    def t(key: str, **kw: object) -> str:
        text = table.get(key) or fallback.get(key) or key
        return text.format(**kw) if kw else text

    return t
