"""Drug lists read or picked by a person are in the order of the name shown, in the reader's language.

Codeine and fentanyl swap places between the languages ("Codeine" < "Fentanyl", but
"Fentanil" < "Kodein"), and so do diclofenac and meloxicam ("Diclofenac" < "Meloxicam", but
"Meloksikam" < "Natrium diklofenak"): a list sorted by code or by the English name fails one.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from django.test import Client
from django.utils import timezone, translation

from nyeri.accounts.models import User
from nyeri.prescriptions.display import medication_choices
from nyeri.tenancy.models import Facility
from tests.prescriptions.conftest import client_of
from tests.register.conftest import receive

pytestmark = pytest.mark.django_db

CODEINE = {"en": "Codeine phosphate 10 mg tablet", "id": "Kodein fosfat 10 mg tablet"}
FENTANYL = {"en": "Fentanyl 25 mcg/h transdermal patch", "id": "Fentanil 25 mcg/jam patch transdermal"}
LANGUAGES = ["en", "id"]


@pytest.fixture(autouse=True)
def _language_restored() -> Iterator[None]:
    # A request through the test client leaves its language active in this thread: put
    # the one before back, so that the next test does not run in Indonesian.
    with translation.override(translation.get_language()):
        yield


def in_language(user: User, language: str) -> Client:
    client = client_of(user)
    client.post("/i18n/setlang/", {"language": language, "next": "/"})
    return client


def table(html: str, testid: str) -> str:
    start = html.index(f'data-testid="{testid}"')
    return html[start : html.index("</table>", start)]


def options(html: str, name: str) -> list[str]:
    select = re.search(rf'<select name="{name}"[^>]*>(.*?)</select>', html, re.S)
    assert select is not None, name
    return [text for value, text in re.findall(r'<option value="([^"]*)"[^>]*>([^<]*)</option>', select[1]) if value]


def in_order(text: str, first: str, second: str) -> bool:
    return -1 < text.index(first) < text.index(second)


def casefolded(names: list[str]) -> list[str]:
    return sorted(names, key=str.casefold)


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_prescription_form_offers_the_catalogue_by_the_name_shown(language: str) -> None:
    with translation.override(language):
        names = [name for _code, name in medication_choices("ID")]
    assert names == casefolded(names)
    first, second = ("Diclofenac", "Meloxicam") if language == "en" else ("Meloksikam", "Natrium diklofenak")
    assert in_order("\n".join(names), first, second)


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_register_forms_offer_controlled_products_by_the_name_shown(
    pharmacist: User, facility: Facility, language: str
) -> None:
    html = in_language(pharmacist, language).get(f"/register/{facility.pk}/receipt/").content.decode()
    names = options(html, "medication")
    assert names == casefolded(names)
    first, second = (CODEINE, FENTANYL) if language == "en" else (FENTANYL, CODEINE)
    assert in_order("\n".join(names), first[language], second[language])


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_register_page_and_the_monthly_report_list_products_by_the_name_shown(
    pharmacist: User, facility: Facility, language: str
) -> None:
    receive(pharmacist, facility, medication="codeine-10mg-tab", quantity=20)
    receive(pharmacist, facility, medication="fentanyl-25mcgh-patch", quantity=10)
    client = in_language(pharmacist, language)
    first, second = (CODEINE, FENTANYL) if language == "en" else (FENTANYL, CODEINE)
    register = client.get(f"/register/{facility.pk}/").content.decode()
    assert in_order(table(register, "balances"), first[language], second[language])
    today = timezone.localdate()
    report = client.get(f"/register/{facility.pk}/report/?year={today.year}&month={today.month}").content.decode()
    assert in_order(table(report, "report"), first[language], second[language])
    csv = client.get(f"/register/{facility.pk}/report.csv?year={today.year}&month={today.month}")
    assert in_order(csv.content.decode("utf-8-sig"), first[language], second[language])
