"""The requirements engine: the one place that decides who may do what, where, when.

``decide`` answers for one person, ``decide_many`` for thousands at once (a fixed number
of queries whatever the size), ``certification_progress`` (and ``_many``, for several
certifications of one person) for a certification. See docs/requirements-engine.md.
"""

from nyeri.workforce.engine.decisions import Decision, Unmet
from nyeri.workforce.engine.evaluate import (
    certification_progress,
    certification_progress_many,
    decide,
    decide_many,
)

__all__ = ["Decision", "Unmet", "certification_progress", "certification_progress_many", "decide", "decide_many"]
