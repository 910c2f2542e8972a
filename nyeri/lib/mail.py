"""An e-mail backend for the demo: one line per message on standard output, not the raw message.

``EMAIL_BACKEND=nyeri.lib.mail.OneLineEmailBackend`` (set by ``make demo``) prints

    e-mail to dewi@example.org: Kredensial akan berakhir (1 link: http://127.0.0.1:8000/...)

so that a person watching the demo sees who was told what, without MIME headers and bodies.
"""

from __future__ import annotations

import re
import sys
import threading
from collections.abc import Sequence
from typing import Any, TextIO

from django.core.mail.backends.base import BaseEmailBackend
from django.core.mail.message import EmailMessage

_LINK = re.compile(r"https?://\S+")


def one_line(message: EmailMessage) -> str:
    """'e-mail to a@x, b@y: Subject (1 link: http://...)'."""
    recipients = ", ".join(message.recipients()) or "-"
    subject = " ".join(str(message.subject).split())
    links = _LINK.findall(str(message.body))
    shown = f" ({len(links)} link{'s' if len(links) != 1 else ''}: {links[0]})" if links else ""
    return f"e-mail to {recipients}: {subject}{shown}"


class OneLineEmailBackend(BaseEmailBackend):
    def __init__(self, *args: Any, stream: TextIO | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.stream = stream or sys.stdout
        self._lock = threading.RLock()

    def send_messages(self, email_messages: Sequence[EmailMessage]) -> int:
        sent = 0
        with self._lock:
            for message in email_messages:
                if not message.recipients():
                    continue
                self.stream.write(one_line(message) + "\n")
                sent += 1
            self.stream.flush()
        return sent
