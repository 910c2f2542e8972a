"""Assessment instruments as data: one TOML file per instrument, validated when loaded.

``instrument(code)`` and ``all_instruments()`` give the loaded definitions, ``scoring``
checks answers and computes scores, the body map is the shared body-site vocabulary (``nyeri.lib.bodysites``).
See docs/clinical.md.
"""

from nyeri.clinical.instruments.loader import InstrumentError, all_instruments, instrument, instrument_full_name

__all__ = ["InstrumentError", "all_instruments", "instrument", "instrument_full_name"]
