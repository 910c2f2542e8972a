"""``manage.py start_organization``: a new organization with its first facility and administrator.

Asks for each value it was not given (``--no-input``: every value must be given as a flag;
the password may also come from the ``NYERI_ADMIN_PASSWORD`` environment variable). Run it
again for every further organization the installation hosts.
"""

from __future__ import annotations

import getpass
import os
import sys
from typing import Any, TextIO

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from nyeri.regions import provinces, regencies
from nyeri.tenancy.models import FacilityKind, OrganizationKind
from nyeri.tenancy.setup import start_organization

# (option, service argument, prompt)
FIELDS: list[tuple[str, str, str]] = [
    ("name", "name", "Organization name"),
    ("kind", "kind", "Organization kind"),
    ("facility_name", "facility_name", "First facility's name"),
    ("facility_kind", "facility_kind", "Facility kind"),
    ("province", "province_code", "Province code"),
    ("regency", "regency_code", "Regency or city code"),
    ("admin_username", "admin_username", "Administrator's username"),
    ("admin_email", "admin_email", "Administrator's e-mail address"),
    ("admin_full_name", "admin_full_name", "Administrator's full name (optional)"),
    ("language", "language", "Administrator's language"),
]
OPTIONAL = {"admin_full_name"}
FLAGS = {
    "name": "--name",
    "kind": "--kind",
    "facility_name": "--facility-name",
    "facility_kind": "--facility-kind",
    "province": "--province",
    "regency": "--regency",
    "admin_username": "--admin-username",
    "admin_email": "--admin-email",
    "admin_full_name": "--admin-full-name",
    "language": "--language",
    "province_code": "--province",
    "regency_code": "--regency",
    "admin_password": "--admin-password",
    "setup_code": "",
}


class Command(BaseCommand):
    help = "Create an organization with its first facility and administrator (run again for each further one)."
    # call_command(..., stdin=...) answers the prompts (the tests do).
    stealth_options = ("stdin",)

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--name", help="The organization's name")
        parser.add_argument("--kind", choices=OrganizationKind.values, help="hospital or clinic_operator")
        parser.add_argument("--facility-name", help="The first facility's name")
        parser.add_argument("--facility-kind", choices=FacilityKind.values, help="hospital_pain_unit or pain_clinic")
        parser.add_argument("--province", help='Kemendagri province code, e.g. "32" (Jawa Barat)')
        parser.add_argument("--regency", help='Kemendagri regency or city code in that province, e.g. "32.73"')
        parser.add_argument("--admin-username", help="The administrator's username")
        parser.add_argument("--admin-email", help="The administrator's e-mail address")
        parser.add_argument("--admin-full-name", default=None, help="The administrator's full name")
        parser.add_argument(
            "--language", choices=[code for code, _ in settings.LANGUAGES], help="The administrator's language"
        )
        parser.add_argument(
            "--admin-password", help="The administrator's password (else NYERI_ADMIN_PASSWORD or a prompt)"
        )
        parser.add_argument(
            "--no-input", action="store_false", dest="interactive", help="Ask nothing: every value comes from flags"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        self.input: TextIO = options.get("stdin") or sys.stdin
        interactive: bool = options["interactive"]
        values: dict[str, str] = {}
        missing: list[str] = []
        for option, argument, prompt in FIELDS:
            value = options.get(option)
            if value is None and interactive:
                value = self._ask(option, prompt, values)
            if value is None:
                if option == "language":
                    value = settings.LANGUAGE_CODE
                elif option in OPTIONAL:
                    value = ""
                else:
                    missing.append(FLAGS[option])
                    continue
            values[argument] = value
        password = options.get("admin_password") or os.environ.get("NYERI_ADMIN_PASSWORD")
        if not password and interactive:
            password = self._ask_password()
        if not password:
            missing.append("--admin-password")
        if missing:
            raise CommandError(f"Missing with --no-input: {', '.join(missing)}")
        try:
            installation = start_organization(acting_user=None, admin_password=password or "", via="command", **values)
        except ValidationError as error:
            raise CommandError(self._describe(error)) from None
        org, facility, admin = installation.organization, installation.facility, installation.administrator
        self.stdout.write(self.style.SUCCESS(f"Organization created: {org.name} ({org.slug})"))
        self.stdout.write(
            f"  facility: {facility.name} ({facility.regency}, {facility.province}; {facility.time_zone})"
        )
        self.stdout.write(f"  administrator: {admin.username}: log in at /accounts/login/ and enrol a second factor.")

    def _read(self, prompt: str) -> str | None:
        self.stdout.write(f"{prompt}: ", ending="")
        self.stdout.flush()
        line = self.input.readline()
        if not line:
            raise CommandError("No more input: answer every prompt, or use the flags with --no-input.")
        return line.strip()

    def _ask(self, option: str, prompt: str, values: dict[str, str]) -> str | None:
        choices: list[tuple[str, str]] = []
        if option == "kind":
            choices = [(k.value, str(k.label)) for k in OrganizationKind]
        elif option == "facility_kind":
            choices = [(k.value, str(k.label)) for k in FacilityKind]
        elif option == "province":
            choices = [(p.code, p.name) for p in provinces()]
        elif option == "regency":
            choices = [(r.code, r.name) for r in regencies(values.get("province_code", ""))]
        elif option == "language":
            choices = [(code, str(name)) for code, name in settings.LANGUAGES]
        if choices:
            self.stdout.write("  " + "; ".join(f"{code} = {label}" for code, label in choices))
        while True:
            answer = self._read(prompt)
            if answer or option in OPTIONAL:
                return answer
            if option == "language":
                return settings.LANGUAGE_CODE

    def _ask_password(self) -> str:
        if self.input is sys.stdin and sys.stdin.isatty():
            while True:
                first = getpass.getpass("Administrator's password: ")
                if first == getpass.getpass("Again, to check: "):
                    return first
                self.stderr.write("The two passwords differ; try again.")
        return self._read("Administrator's password") or ""

    @staticmethod
    def _describe(error: ValidationError) -> str:
        if not hasattr(error, "error_dict"):
            return " ".join(error.messages)
        lines = ["Nothing was created:"]
        for name, errors in error.message_dict.items():
            flag = FLAGS.get(name, f"--{name.replace('_', '-')}")
            lines.append(f"  {flag}: {' '.join(errors)}")
        return "\n".join(lines)
