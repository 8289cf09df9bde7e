"""Memory sizes as the user writes them (`--memory 4G`, `20%`), as lmplz's `-S` takes them."""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import re

from bilingual_lm.errors import InputError

DEFAULT_FRACTION = 0.2  # of physical memory, as the benchmarks pass lmplz `-S 20%`
UNITS = {"": 1, "B": 1, "K": 1 << 10, "M": 1 << 20, "G": 1 << 30, "T": 1 << 40}
M_MMAP_THRESHOLD = -3  # mallopt's parameter number (malloc.h)
MAPPED_FROM = 4 << 20  # 128 kB cost 3.7x the system time (a mapping and its page faults per block of lines)
SMALLEST = 1 << 20  # below a megabyte, chunks would hold a handful of sentences


def physical_memory() -> int:
    """Bytes of physical memory."""
    return os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")


def default_memory() -> int:
    """The default budget: a fifth of physical memory."""
    return int(physical_memory() * DEFAULT_FRACTION)


def parse_memory(text: str) -> int:
    """Bytes in `text`: a number with an optional unit (B, K, M, G, T; powers of 1024) or a percentage of
    physical memory. InputError for anything else, for less than 1 MB and for more than the machine has."""
    match = re.fullmatch(r"\s*(\d+(?:\.\d*)?|\.\d+)\s*([BKMGT%]?)\s*", str(text), flags=re.IGNORECASE)
    if not match:
        raise InputError(f"--memory: {text!r} is not a size (write it as 4G, 500M, 20% or a number of bytes)")
    number, unit = float(match.group(1)), match.group(2).upper()
    if unit == "%":
        if not 0 < number <= 100:
            raise InputError(f"--memory: a percentage of physical memory must be above 0 and at most 100, not {text!r}")
        size = int(physical_memory() * number / 100)
    else:
        size = int(number * UNITS[unit])
        if size > physical_memory():
            raise InputError(f"--memory: {text!r} is more than this machine's {physical_memory() >> 20} MB")
    if size < SMALLEST:
        raise InputError(f"--memory: {text!r} is below the smallest budget, 1M")
    return size


def resident() -> int:
    """Bytes of this process's resident memory now (0 where Linux's /proc is not there to say)."""
    try:
        with open("/proc/self/statm") as statm:
            return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except OSError:
        return 0


def spare(memory: int) -> int:
    """What a budget of `memory` bytes for the whole process leaves for new work, after what it holds now
    (the interpreter, the libraries, the vocabulary)."""
    return max(memory - resident(), 0)


def map_large_allocations() -> None:
    """Have glibc's malloc map each allocation of `MAPPED_FROM` bytes or more on its own, so that a freed array
    goes back to the system at once. By default that threshold grows (up to 32 MB) as large blocks are freed,
    after which arrays below it come from the heap, which keeps what they freed: a bounded run then peaked at
    1.6x its budget. Called only where the budget binds (text counted in several chunks, a model estimated from
    disk): a run that fits pays for the extra mappings' page faults (0.4 s of system time on the 1.2 M-word
    benchmark) and gains nothing. Elsewhere (no glibc) this does nothing."""
    try:
        ctypes.CDLL(ctypes.util.find_library("c")).mallopt(M_MMAP_THRESHOLD, MAPPED_FROM)
    except (OSError, AttributeError, TypeError):
        pass
