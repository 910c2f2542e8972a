"""Screenshots of every main page for each demo role, at 1366 px and 390 px (``make screenshots``).

The app runs as ``make demo`` runs it (gunicorn, WhiteNoise, DEBUG off; scripts/demo.py's
web command) on a temporary SQLite database seeded with ``manage.py seed_demo``. Each role
logs in as the browser tests log in (tests/browser: the administrator with a second
factor), and Debian's Chromium, driven by Playwright, captures its home and each entry of
the menus it sees, clipped to the window:

    var/screenshots/<role>/<page>-<width>.png
    var/screenshots/index.html      every picture, by role and page

``--role`` and ``--width`` (repeatable) limit the run; ``--out`` writes elsewhere.
"""

from __future__ import annotations

import argparse
import html
import os
import re
import secrets
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from types import SimpleNamespace
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from demo import web_command  # noqa: E402  (scripts/demo.py, beside this file)

HEIGHTS = {1366: 768, 390: 844}
# The menus of the header (base.html), not the user menu (profile, language, log out).
MENU_LINKS = "nav.mainnav details.menu:not(.usermenu) ul a[href]"


@dataclass
class RoleShots:
    username: str
    role: str
    # (page name, path, {width: file name relative to the output folder})
    pages: list[tuple[str, str, dict[int, str]]] = field(default_factory=list)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def environment(tmp: Path) -> dict[str, str]:
    """The demo's settings (Makefile DEMO_ENV) on a database and var folder of their own."""
    env = dict(os.environ)
    for name in ("NYERI_TESTING", "DJANGO_SETTINGS_MODULE"):
        env.pop(name, None)
    env.update(
        DATABASE_URL=f"sqlite:///{tmp / 'nyeri.sqlite3'}",
        NYERI_VAR_DIR=str(tmp / "var"),
        STATIC_ROOT=str(tmp / "static"),
        SECRET_KEY=secrets.token_urlsafe(50),
        HTTPS="0",
        DEBUG="0",
        EMAIL_BACKEND="nyeri.lib.mail.OneLineEmailBackend",
        # One worker is plenty for one browser, and leaves the cores to Chromium.
        WEB_CONCURRENCY="1",
        DJANGO_SETTINGS_MODULE="nyeri.settings",
    )
    return env


def prepare(env: dict[str, str]) -> None:
    manage = [sys.executable, "manage.py"]
    for command in (["migrate", "--noinput", "-v", "0"], ["collectstatic", "--noinput", "-v", "0"]):
        subprocess.run([*manage, *command], cwd=ROOT, env=env, check=True)  # noqa: S603
    subprocess.run([*manage, "seed_demo", "--quiet-accounts"], cwd=ROOT, env=env, check=True, stdout=subprocess.DEVNULL)  # noqa: S603


def wait_until_up(url: str, server: subprocess.Popen[Any], seconds: float = 120) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"the server stopped (exit status {server.returncode})")
        try:
            with urllib.request.urlopen(f"{url}/accounts/login/", timeout=5):  # noqa: S310  (our own loopback server)
                return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            time.sleep(0.5)
    raise RuntimeError(f"the server did not answer at {url} within {seconds:.0f} s")


def page_name(path: str, taken: set[str]) -> str:
    """A file name from the link's path: /facilities/3/profile/ -> facilities-3-profile."""
    name = re.sub(r"[^a-z0-9]+", "-", path.lower()).strip("-") or "root"
    unique, n = name, 2
    while unique in taken:
        unique, n = f"{name}-{n}", n + 1
    taken.add(unique)
    return unique


def capture(url: str, usernames: list[str] | None, widths: list[int], out: Path) -> list[RoleShots]:
    # Django is set up on the same database the server uses: the browser tests' log-in
    # helpers read the user and give the administrator a second factor.
    import django

    django.setup()
    from playwright.sync_api import expect, sync_playwright

    from nyeri.demo.data import DEMO_ACCOUNTS
    from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS
    from tests.browser.test_homes_browser import sign_in

    roles = {username: str(role.label) for username, _name, role, _codes in DEMO_ACCOUNTS}
    usernames = usernames or list(roles)
    server = SimpleNamespace(url=url)
    found: list[RoleShots] = []
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        for username in usernames:
            shots = RoleShots(username, roles.get(username, username))
            context = browser.new_context(locale="id-ID", viewport={"width": 1366, "height": HEIGHTS[1366]})
            page = context.new_page()
            page.set_default_timeout(60_000)
            sign_in(page, server, username)  # type: ignore[arg-type]
            expect(page).not_to_have_url(re.compile(r"/accounts/(login|verify)/"))
            home = re.sub(r"^https?://[^/]+", "", page.url) or "/"
            links = page.locator(MENU_LINKS).evaluate_all("els => els.map(e => e.getAttribute('href'))")
            taken = {"home"}
            targets = [("home", home)]
            for href in dict.fromkeys(h for h in links if h and h.startswith("/") and h != home):
                targets.append((page_name(href, taken), href))
            folder = out / username
            folder.mkdir(parents=True, exist_ok=True)
            for name, path in targets:
                files: dict[int, str] = {}
                for width in widths:
                    page.set_viewport_size({"width": width, "height": HEIGHTS.get(width, 800)})
                    page.goto(f"{url}{path}", wait_until="load")
                    target = folder / f"{name}-{width}.png"
                    # Clipped to the window: what a person sees first on that screen.
                    page.screenshot(path=str(target), full_page=False)
                    files[width] = f"{username}/{target.name}"
                shots.pages.append((name, path, files))
            print(f"screenshots: {username}: {len(targets)} page(s)", file=sys.stderr)
            context.close()
            found.append(shots)
        browser.close()
    return found


def write_index(out: Path, found: list[RoleShots], widths: list[int]) -> Path:
    parts = [
        "<!DOCTYPE html>\n<html lang='en'><head><meta charset='utf-8'><title>Nyeri screenshots</title>",
        "<style>body{font-family:sans-serif;margin:1rem}img{border:1px solid #ccc;max-width:100%}"
        "td{vertical-align:top;padding:.5rem}td.w390 img{width:195px}td.w1366 img{width:683px}</style></head><body>",
        "<h1>Nyeri: every main page of each demo role</h1>",
    ]
    for shots in found:
        parts.append(
            f"<h2 id='{html.escape(shots.username)}'>{html.escape(shots.username)} ({html.escape(shots.role)})</h2>"
        )
        parts.append("<table>")
        for name, path, files in shots.pages:
            cells = "".join(
                f"<td class='w{w}'><a href='{html.escape(files[w])}'>"
                f"<img src='{html.escape(files[w])}' alt='{html.escape(name)} at {w} px'></a></td>"
                for w in widths
                if w in files
            )
            parts.append(
                f"<tr><th scope='row'>{html.escape(name)}<br><code>{html.escape(path)}</code></th>{cells}</tr>"
            )
        parts.append("</table>")
    parts.append("</body></html>\n")
    index = out / "index.html"
    index.write_text("\n".join(parts), encoding="utf-8")
    return index


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--role", action="append", help="a demo username (repeatable; default: every demo account)")
    parser.add_argument("--width", action="append", type=int, help="a window width in px (default: 1366 and 390)")
    parser.add_argument("--out", type=Path, default=ROOT / "var" / "screenshots")
    options = parser.parse_args(argv)
    widths = options.width or [1366, 390]
    out: Path = options.out.resolve()
    with tempfile.TemporaryDirectory(prefix="nyeri-screenshots-") as tmp:
        env = environment(Path(tmp))
        prepare(env)
        os.environ.update(env)
        port = free_port()
        url = f"http://127.0.0.1:{port}"
        server = subprocess.Popen(  # noqa: S603
            web_command(port, access_log=False), cwd=ROOT, env=env, stdout=subprocess.DEVNULL
        )
        try:
            wait_until_up(url, server)
            found = capture(url, options.role, widths, out)
        finally:
            server.terminate()
            try:
                server.wait(timeout=30)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait()
    index = write_index(out, found, widths)
    print(f"screenshots: {sum(len(s.pages) for s in found) * len(widths)} picture(s); open {index}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
