"""Python's cycle collector, paused while a service builds millions of short-lived objects.

Bulk screening (its rows, hits and answers) and file ingestion (rows, drafts and the pickles sent to
the drafting process) make millions of objects, none of them in reference cycles. The collector's
full passes over them took 4.6 of 10.6 s of a 1,000,000-identifier screening against 10,000,000
entries (bench/screen.py) and about a third of the CPU of a 100,000-row load (bench/ingest.py; a
forked drafting process inherits the pause and so also stops touching, and copying, the pages it
shares with its parent). Reference counting still frees everything.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def paused() -> Iterator[None]:
    """The cycle collector off for the block; back on afterwards (if it was on), also on failure."""
    was_on = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_on:
            gc.enable()
