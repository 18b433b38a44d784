"""Ingest: a source unit's file → rows → validated records (see docs and xinyong.ingest.readers)."""

from xinyong.ingest.readers import Row, Table, is_formula_like, open_table

__all__ = ["Row", "Table", "is_formula_like", "open_table"]
