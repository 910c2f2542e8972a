"""gunicorn's production configuration for Nyeri: ``gunicorn -c gunicorn.conf.py``.

The worker kind and count are the ones the throughput benchmark measured best on a
two-core machine (bench/bench_api_throughput.py; README "Serving"): sync workers, one per
core. Against gthread (2 workers x 4 threads, the earlier default) they wrote more pain
scores per second (214 against 190/s), at less server CPU per write (4.6 against 5.6 ms:
no threads contending for one interpreter lock between a request's database round
trips) and with a lower p99 (104 against 165 ms), on a quiet machine; more processes than
cores only competed for them. A sync worker answers one request at a time and does not
keep client connections alive: put a buffering proxy in front (nginx, Caddy), so that a
slow client holds the proxy and not a worker, and raise ``WEB_CONCURRENCY`` when the
database is on another host (a worker waits idle for each of its answers). Each worker
keeps one database connection (persistent, ``DB_CONN_MAX_AGE``). Override per machine:

- ``WEB_CONCURRENCY``: worker processes (default: one per CPU core);
- ``GUNICORN_WORKER_CLASS``: ``sync`` (default) or ``gthread`` (then ``GUNICORN_THREADS``
  threads each, default 4, and client connections kept alive);
- ``GUNICORN_BIND``: address (default ``0.0.0.0:$PORT``, ``PORT`` default 8000).
"""

from __future__ import annotations

import os

wsgi_app = "nyeri.wsgi:application"
bind = os.environ.get("GUNICORN_BIND") or f"0.0.0.0:{os.environ.get('PORT', '8000')}"
worker_class = os.environ.get("GUNICORN_WORKER_CLASS", "sync")
workers = int(os.environ.get("WEB_CONCURRENCY") or os.cpu_count() or 1)
threads = int(os.environ.get("GUNICORN_THREADS", "4")) if worker_class == "gthread" else 1
# Keep-alive between a proxy (or a client) and gthread workers saves a TCP set-up per
# request; sync workers ignore it (they close each connection after its answer).
keepalive = 5
# A request that takes longer than this is a bug or a stuck database: the worker is replaced.
timeout = 60
graceful_timeout = 30
# Code loaded before the workers fork: they share its memory pages and start faster.
preload_app = True
accesslog = os.environ.get("GUNICORN_ACCESS_LOG") or None
errorlog = "-"
# gunicorn's control socket (runtime management) is not used; its default path is shared by
# every gunicorn of the same user, so two servers on one machine would step on each other.
control_socket_disable = True
