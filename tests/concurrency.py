"""Running work on several threads at once, for the races that only PostgreSQL can have.

Each worker waits at one barrier, so that they start together; each closes its own database
connection when done. ``all_at_once`` returns, in completion order, what each worker returned
or the exception it raised, so that a test can assert both the winners and the refusals.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence

from django.db import connections


def all_at_once(workers: Sequence[Callable[[], object]]) -> list[object]:
    barrier = threading.Barrier(len(workers))
    results: list[object] = []

    def run(work: Callable[[], object]) -> None:
        try:
            barrier.wait()
            results.append(work())
        except BaseException as error:  # reported to the test, which decides
            results.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(w,)) for w in workers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


def raised(results: Sequence[object]) -> list[BaseException]:
    """The exceptions among ``all_at_once``'s results."""
    return [r for r in results if isinstance(r, BaseException)]
