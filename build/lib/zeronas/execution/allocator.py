"""Process-wide memory allocator tuning for CPU scoring.

Scoring builds a new network per candidate, and each forward allocates megabyte-sized
activation buffers. glibc returns such blocks to the OS on free (mmap threshold, heap
trimming), so every candidate pays page faults again; keeping them in the heap makes
NATS-TSS scoring about 15% faster (benchmarks/scale.py). Applied only in processes zeronas
owns: its command line and its worker processes.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import platform
import sys

__all__ = ["keep_freed_memory"]

_M_TRIM_THRESHOLD = -1  # glibc's mallopt parameter numbers (malloc.h)
_M_MMAP_THRESHOLD = -3
_KEEP_BYTES = 256 * 2**20


def keep_freed_memory() -> bool:
    """Serve blocks up to 256 MiB from the heap and trim it only past 256 MiB free
    (glibc ``mallopt``); False, changing nothing, on other C libraries."""
    if not sys.platform.startswith("linux") or platform.libc_ver()[0] != "glibc":
        return False
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        mallopt = libc.mallopt
    except (OSError, AttributeError):
        return False
    return bool(mallopt(_M_MMAP_THRESHOLD, _KEEP_BYTES) and mallopt(_M_TRIM_THRESHOLD, _KEEP_BYTES))
