"""How Python's cycle collector runs in ``ipr``: rarely, and not at all while loading.

A register of 100,000 recordations, its index and a day's batch are millions of
objects that hold no reference cycles.  With Python's default thresholds the collector
scans them again and again while they are made and finds nothing (a fifth of the time
of loading a register; half a second of a check against 100,000 recordations).
"""

from __future__ import annotations

import contextlib
import gc
from collections.abc import Iterator

# A young-generation collection once per million new objects, not 700: a batch's lines
# and findings mostly die before it comes.
THRESHOLDS = (1_000_000, 50, 100)


@contextlib.contextmanager
def collections_rare() -> Iterator[None]:
    """Collect cycles at ``THRESHOLDS`` within the block, as before after it."""
    before = gc.get_threshold()
    gc.set_threshold(*THRESHOLDS)
    try:
        yield
    finally:
        gc.set_threshold(*before)


@contextlib.contextmanager
def cycle_collector_paused() -> Iterator[None]:
    """No cycle collection within the block (for building a large graph without cycles)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def set_rare() -> None:
    """Collect cycles at ``THRESHOLDS`` from now on (for the whole of a command)."""
    gc.set_threshold(*THRESHOLDS)


def freeze() -> None:
    """Move every object alive now to the permanent generation: the collector never
    scans them again, and forked workers share them copy-on-write (a collection would
    touch, and so copy, them)."""
    gc.freeze()


def release_frozen() -> None:
    """Give what ``freeze`` kept back to the collector and collect it now (before a new
    index replaces the last one)."""
    gc.unfreeze()
    gc.collect()


@contextlib.contextmanager
def unfrozen_after() -> Iterator[None]:
    """Whatever ``freeze`` kept within the block goes back to the collector at its end."""
    try:
        yield
    finally:
        gc.unfreeze()
