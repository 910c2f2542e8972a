"""Settings for the test suite: the production settings, with the test switch on."""

import os

os.environ.setdefault("NYERI_TESTING", "1")
os.environ.setdefault("HTTPS", "0")

from nyeri.settings import *  # noqa: F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # fast tests; Argon2 is tested explicitly

# Tests serve static files straight from the app folders (no collectstatic step).
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True
STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # noqa: F405

# Unit tests of task bodies run them on the spot; the tests of the queue itself
# (tests/background) switch to the database queue and run the worker.
TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
