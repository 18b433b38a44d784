"""The 双公示 column layouts, enumerations and source units the generator writes against.

:func:`load_layout` takes them from the validated catalog (``xinyong.catalog.load_catalog``) and
keeps only what generation needs, in plain tuples that are cheap to index in the hot loop.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from xinyong.catalog import FieldSchema, load_catalog


@dataclass(frozen=True)
class Field:
    code: str
    zh: str
    type: str
    required: bool
    enum: str | None


@dataclass(frozen=True)
class Schema:
    code: str
    fields: tuple[Field, ...]

    @property
    def codes(self) -> list[str]:
        return [f.code for f in self.fields]

    @property
    def headers_zh(self) -> list[str]:
        return [f.zh for f in self.fields]

    def index(self, code: str) -> int:
        for i, f in enumerate(self.fields):
            if f.code == code:
                return i
        raise KeyError(f"{self.code} has no field {code}")

    def field(self, code: str) -> Field:
        return self.fields[self.index(code)]


@dataclass(frozen=True)
class Unit:
    code: str
    name_zh: str
    uscc: str
    domain: str


@dataclass(frozen=True)
class Layout:
    licensing: Schema
    penalty: Schema
    enums: dict[str, dict[str, str]]  # enum name -> {code: Chinese label}
    units: tuple[Unit, ...]

    def unit(self, code: str) -> Unit:
        for u in self.units:
            if u.code == code:
                return u
        raise KeyError(code)


def _schema(schema: FieldSchema) -> Schema:
    fields = tuple(Field(f.code, f.zh, str(f.type), f.required, f.enum) for f in schema.fields)
    return Schema(schema.code, fields)


@cache
def load_layout() -> Layout:
    """The two 双公示 schemas, the shared enumerations and the source units, from the catalog."""
    catalog = load_catalog()
    return Layout(
        licensing=_schema(catalog.schemas["administrative_licensing"]),
        penalty=_schema(catalog.schemas["administrative_penalty"]),
        enums={code: {v.code: v.zh for v in e.values} for code, e in catalog.enums.items()},
        units=tuple(Unit(u.code, u.name_zh, u.uscc, u.domain) for u in catalog.units.values()),
    )
