"""The requirements engine: the one place that decides who may do what, where, when.

``decide`` answers for one person, ``decide_many`` for thousands at once (a fixed number
of queries whatever the size), ``certification_progress`` for a certification.
"""

from nyeri.workforce.engine.decisions import Decision, Unmet
from nyeri.workforce.engine.evaluate import certification_progress, decide, decide_many

__all__ = ["Decision", "Unmet", "certification_progress", "decide", "decide_many"]
