"""Serve the demo: gunicorn, the background worker and a local SATUSEHAT server side by side (``make demo``).

The SATUSEHAT server (``manage.py satusehat_fake_server``) listens on 127.0.0.1 only; the web
and worker processes reach it through ``SATUSEHAT_STAGING_URL`` (the demo organization's
settings are staging, seed_demo). Set ``SATUSEHAT_STAGING_URL`` yourself to use another one.

Ctrl-C (or SIGTERM) stops both; when one of them stops by itself, the other is stopped
too and the launcher exits with the first one's status.
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from types import FrameType

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent


def web_command(port: str | int, *, access_log: bool = True) -> list[str]:
    """gunicorn with the production configuration on the loopback address (also scripts/screenshots.py)."""
    command = [
        str(BIN / "gunicorn"),
        # The production configuration (worker kind and count: README "Serving"). Its sync
        # workers serve the browser directly here: on loopback no client is slow, so the demo
        # needs none of the proxy that production puts in front.
        "-c",
        str(ROOT / "gunicorn.conf.py"),
        "--bind",
        f"127.0.0.1:{port}",
    ]
    return [*command, "--access-logfile", "-"] if access_log else command


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", default="8000")
    parser.add_argument("--satusehat-port", default=os.environ.get("SATUSEHAT_PORT", "8787"))
    options = parser.parse_args()
    environment = dict(os.environ)
    environment.setdefault("SATUSEHAT_STAGING_URL", f"http://127.0.0.1:{options.satusehat_port}")
    commands = {
        "web": web_command(options.port),
        "worker": [sys.executable, "manage.py", "run_worker"],
        "satusehat": [
            sys.executable,
            "manage.py",
            "satusehat_fake_server",
            "--port",
            str(options.satusehat_port),
            "--from-database",
            # What it received survives a restart, as SATUSEHAT's does (the Locations and
            # visits Nyeri keeps ids of).
            "--state-file",
            "var/satusehat-fake.json",
        ],
    }
    children = {
        name: subprocess.Popen(command, cwd=ROOT, env=environment)  # noqa: S603
        for name, command in commands.items()
    }
    stopping = False

    def stop(signum: int, frame: FrameType | None) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    status = 0
    while not stopping:
        ended = {name: child.poll() for name, child in children.items() if child.poll() is not None}
        if ended:
            name, code = next(iter(ended.items()))
            print(f"demo: the {name} process stopped (exit status {code}); stopping the other one", file=sys.stderr)
            status = code or 1
            break
        time.sleep(0.5)
    for child in children.values():
        if child.poll() is None:
            child.terminate()
    deadline = time.monotonic() + 15
    for child in children.values():
        try:
            child.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            child.kill()
            child.wait()
    return status


if __name__ == "__main__":
    sys.exit(main())
