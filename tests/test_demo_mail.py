"""The demo prints each e-mail it sends as one line (who, subject, the first link), not the raw message."""

from __future__ import annotations

from io import StringIO

from django.core.mail import EmailMultiAlternatives

from nyeri.lib.mail import OneLineEmailBackend


def test_each_email_is_one_line_naming_the_recipients_the_subject_and_the_link() -> None:
    out = StringIO()
    backend = OneLineEmailBackend(stream=out)
    first = EmailMultiAlternatives(
        "Undangan\nbergabung",
        "Halo,\n\nbuka http://127.0.0.1:8000/invitation/abc/ untuk bergabung.\n",
        to=["rina@example.org"],
    )
    first.attach_alternative("<p>Halo</p>", "text/html")
    second = EmailMultiAlternatives("Kredensial berakhir", "Tanpa tautan.", to=["a@example.org", "b@example.org"])
    assert backend.send_messages([first, second]) == 2
    lines = out.getvalue().splitlines()
    assert lines == [
        "e-mail to rina@example.org: Undangan bergabung (1 link: http://127.0.0.1:8000/invitation/abc/)",
        "e-mail to a@example.org, b@example.org: Kredensial berakhir",
    ]
    assert "Content-Type" not in out.getvalue()


def test_a_message_without_recipients_is_not_printed() -> None:
    out = StringIO()
    assert OneLineEmailBackend(stream=out).send_messages([EmailMultiAlternatives("x", "y", to=[])]) == 0
    assert out.getvalue() == ""
