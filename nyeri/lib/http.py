"""What views and API endpoints need from the request."""

from __future__ import annotations

from typing import BinaryIO

from django.http import FileResponse, HttpRequest

from nyeri.accounts.models import User


def request_user(request: HttpRequest) -> User:
    """The acting user of a request that has passed authentication.

    Only called behind ``login_required`` or the API's authentication (a session or a
    personal token), both of which leave a real ``User`` on the request.
    """
    user = request.user
    assert isinstance(user, User)
    return user


def private_download(handle: BinaryIO, *, filename: str, content_type: str) -> FileResponse:
    """A stored private file as an attachment: the recorded type (found in the file's
    bytes, so browsers must not guess another) and never kept in a cache."""
    response = FileResponse(handle, as_attachment=True, filename=filename, content_type=content_type)
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response
