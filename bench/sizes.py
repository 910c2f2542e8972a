"""Data sizes and run counts of the benchmarks, and their smoke mode.

``BENCH_SMOKE=1`` runs every benchmark once at a tiny size: it builds its data, runs its
measurement and checks its own assertions (the right page, the right rows, an intact audit
chain), but its timings mean nothing and its targets are not enforced. ``make test`` runs
it, so a benchmark that no longer works fails the build rather than the next person who
runs ``make bench``. An explicit ``BENCH_<NAME>`` variable wins over both sizes.
"""

from __future__ import annotations

import os

SMOKE = os.environ.get("BENCH_SMOKE") == "1"


def size(variable: str, full: int, smoke: int) -> int:
    """The value of ``variable`` if set, else ``full`` (``smoke`` in smoke mode)."""
    return int(os.environ.get(variable, str(smoke if SMOKE else full)))
