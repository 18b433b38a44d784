"""What a generated city contains, written next to it as ``manifest.json``."""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from xinyong.synth.mistakes import KINDS, Mistake

GENERATOR = "xinyong.synth"
GENERATOR_VERSION = "1.0"
ROW_NUMBERING = "spreadsheet rows: the header is row 1, the first record is row 2"


@dataclass
class FileEntry:
    name: str
    type: str  # subjects | licensing | penalty
    format: str  # csv | xlsx
    encoding: str  # utf-8 | utf-8-sig | gb18030 ("" for xlsx)
    header: str  # zh | code | en (subjects.csv)
    values: str  # label | code
    rows: int
    unit: str = ""
    mistakes: int = 0

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


@dataclass
class CityManifest:
    seed: int
    subjects_by_kind: dict[str, int]
    subjects_by_category: dict[str, int]
    files: list[FileEntry] = field(default_factory=list)
    mistakes: list[Mistake] = field(default_factory=list)
    units: list[dict[str, Any]] = field(default_factory=list)
    settings: dict[str, Any] = field(default_factory=dict)

    def records(self, record_type: str | None = None) -> int:
        return sum(f.rows for f in self.files if f.type != "subjects" and record_type in (None, f.type))

    def mistakes_by_kind(self) -> dict[str, int]:
        counts = Counter(m.kind for m in self.mistakes)
        return {k: counts.get(k, 0) for k in KINDS}

    def summary(self) -> dict[str, int]:
        """Flat counts for a CLI table: subjects by kind, records by type, files, mistakes by kind."""
        out = {"subjects": sum(self.subjects_by_kind.values())}
        out.update({f"subjects_{k}": n for k, n in self.subjects_by_kind.items()})
        out.update(
            records=self.records(),
            records_licensing=self.records("licensing"),
            records_penalty=self.records("penalty"),
            files=len(self.files),
            mistakes=len(self.mistakes),
        )
        out.update({f"mistakes_{k}": n for k, n in self.mistakes_by_kind().items()})
        return out

    def as_dict(self) -> dict[str, Any]:
        return {
            "generator": GENERATOR,
            "generator_version": GENERATOR_VERSION,
            "seed": self.seed,
            "settings": self.settings,
            "row_numbering": ROW_NUMBERING,
            "subjects": {
                "total": sum(self.subjects_by_kind.values()),
                "by_kind": self.subjects_by_kind,
                "by_category": self.subjects_by_category,
            },
            "records": {
                "total": self.records(),
                "licensing": self.records("licensing"),
                "penalty": self.records("penalty"),
            },
            "files": [f.as_dict() for f in self.files],
            "units": self.units,
            "mistakes": {
                "total": len(self.mistakes),
                "by_kind": self.mistakes_by_kind(),
                "rows": [m.as_dict() for m in self.mistakes],
            },
        }

    def write(self, path: Path) -> None:
        text = json.dumps(self.as_dict(), ensure_ascii=False, indent=1)
        path.write_text(text + "\n", encoding="utf-8")
