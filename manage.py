#!/usr/bin/env python
"""Django's command-line utility for Nyeri."""

import os
import sys


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "nyeri.settings")
    from django.conf import settings
    from django.core.exceptions import ImproperlyConfigured
    from django.core.management import execute_from_command_line

    # Load the settings first: Django's command runner swallows a settings error and goes on,
    # which turns "SECRET_KEY is required" into a baffling "Models aren't loaded yet".
    try:
        settings.INSTALLED_APPS  # noqa: B018 - touching it loads the settings
    except ImproperlyConfigured as error:
        sys.exit(f"nyeri: {error}")

    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
