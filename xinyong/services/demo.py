"""Load a synthetic city (``xinyong synth``) into the store: the registry, then every source
unit's file, storing the valid rows and keeping the deliberate mistakes as rejection reports."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from xinyong.domain.actor import Actor
from xinyong.services import demo_extras, ingest, registry
from xinyong.services.platform import Platform

Progress = Callable[[str, int, int], None]
MARKET_REGULATION_UNIT = "sz_samr"  # its penalties fall under SAMR Order 45 (market_regulation_penalty)


@dataclass
class CityLoad:
    subjects: dict[str, Any] = field(default_factory=dict)
    batches: list[dict[str, Any]] = field(default_factory=list)
    extras: demo_extras.Extras | None = None

    def summary(self) -> dict[str, Any]:
        return {
            "subjects": self.subjects,
            "files": len(self.batches),
            "records_added": sum(b["added"] for b in self.batches),
            "rows_rejected": sum(b["rejected_rows"] for b in self.batches),
        } | ({"extras": self.extras.summary()} if self.extras else {})


def item_for(entry: dict[str, Any]) -> str:
    if entry["type"] == "licensing":
        return "administrative_licensing"
    if entry["unit"] == MARKET_REGULATION_UNIT:
        return "market_regulation_penalty"
    return "administrative_penalty"


def load_city(
    platform: Platform, city: Path, progress: Progress | None = None, *, extras: bool = False
) -> CityLoad:
    """Load the registry and the records; with ``extras`` (as ``xinyong demo`` does) also the lists,
    accounts and cases of the demo (:mod:`xinyong.services.demo_extras`)."""
    manifest = json.loads((city / "manifest.json").read_text(encoding="utf-8"))
    actor = Actor.system("demo")
    result = CityLoad()
    result.subjects = registry.load_file(platform.store, city / "subjects.csv", actor).summary()
    files = [f for f in manifest["files"] if f["type"] in ("licensing", "penalty")]
    total = sum(f["rows"] for f in files)
    done = 0
    for entry in files:
        options = ingest.IngestOptions(item=item_for(entry), accept_valid=True)
        report = ingest.ingest_file(
            platform.store, platform.catalog, city / entry["name"], entry["unit"], actor, options
        )
        result.batches.append(report.summary())
        done += entry["rows"]
        if progress:
            progress("records", done, total)
    if extras:
        result.extras = demo_extras.populate(platform, city)
    return result
