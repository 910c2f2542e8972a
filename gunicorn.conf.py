"""gunicorn's production configuration for Nyeri: ``gunicorn -c gunicorn.conf.py``.

The worker kind and count are the ones the throughput benchmark measured best on a
two-core machine (bench/bench_api_throughput.py; README "Serving"): gthread workers, one
per core, four threads each (keep-alive; more processes only competed for the two cores).
Each thread keeps its own database connection (persistent, ``DB_CONN_MAX_AGE``): workers x
threads connections per server. Override per machine:

- ``WEB_CONCURRENCY``: worker processes (default: one per CPU core);
- ``GUNICORN_THREADS``: threads per worker (default 4);
- ``GUNICORN_WORKER_CLASS``: ``gthread`` (default) or ``sync`` (then one thread each);
- ``GUNICORN_BIND``: address (default ``0.0.0.0:$PORT``, ``PORT`` default 8000).
"""

from __future__ import annotations

import os

wsgi_app = "nyeri.wsgi:application"
bind = os.environ.get("GUNICORN_BIND") or f"0.0.0.0:{os.environ.get('PORT', '8000')}"
worker_class = os.environ.get("GUNICORN_WORKER_CLASS", "gthread")
workers = int(os.environ.get("WEB_CONCURRENCY") or os.cpu_count() or 1)
threads = int(os.environ.get("GUNICORN_THREADS", "4")) if worker_class == "gthread" else 1
# Keep-alive between a proxy (or a client) and gthread workers saves a TCP set-up per request.
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
