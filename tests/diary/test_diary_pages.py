"""Diary pages: the staff's "Diary links" page (issue, list, revoke) and the patient's phone
page (no account, no staff navigation, both languages, errors naming the question, a resend
stored once, friendly pages for links that do not work)."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

from django.test import Client
from django.utils import timezone

from nyeri.accounts.models import User
from nyeri.audit.models import AuditAction, AuditEvent
from nyeri.clinical.diary import services
from nyeri.clinical.diary.services import IssuedLink
from nyeri.clinical.models import DiaryLink, PainAssessment, Patient
from nyeri.tenancy.models import Organization
from nyeri.tenancy.roles import Role
from nyeri.tenancy.scope import Scope
from tests.clinical.conftest import scope_of
from tests.conftest import MakeMember, log_in
from tests.diary.conftest import issue, submit


def page_url(token: str) -> str:
    return f"/diary/{token}/"


def open_page(client: Client, token: str) -> Any:
    """The diary page as the patient opens it: a visit key is added to its address first."""
    response = client.get(page_url(token))
    assert response.status_code == 303
    assert re.fullmatch(rf"/diary/{re.escape(token)}/\?k=[A-Za-z0-9_-]{{16}}", response["Location"])
    return client.get(response["Location"])


def form_key(html: str, code: str) -> str:
    found = re.search(rf'name="{code}-submission_key" value="([^"]+)"', html)
    assert found, "the form carries a submission key"
    return found.group(1)


def send_nrs(client: Client, token: str, value: object, key: str) -> Any:
    return client.post(page_url(token), {"instrument": "nrs", "nrs-submission_key": key, "nrs-item_intensity": value})


# --- Staff -------------------------------------------------------------------------------


def test_the_patient_page_links_to_the_diary_links(clinician_client: Client, patient: Patient) -> None:
    html = clinician_client.get(f"/patients/{patient.pk}/").content.decode()
    assert f'href="/patients/{patient.pk}/diary/"' in html


def test_a_clinician_issues_a_link_and_sees_it_once_with_its_qr_code(
    clinician_client: Client, patient: Patient
) -> None:
    response = clinician_client.post(
        f"/patients/{patient.pk}/diary/", {"facility": patient.registered_at_id, "valid_days": "14"}
    )
    assert response.status_code == 200
    html = response.content.decode()
    link = DiaryLink.objects.get()
    assert link.expires_at - link.issued_at == timedelta(days=14)
    url = re.search(r'data-testid="diary-url"[^>]*>([^<]+)<', html)
    assert url is not None
    assert url.group(1).startswith("http://testserver/diary/")
    assert "<svg" in html
    assert "no-store" in response["Cache-Control"]
    token = url.group(1).rsplit("/", 2)[-2]
    # The list shows the link, never its token again.
    listing = clinician_client.get(f"/patients/{patient.pk}/diary/").content.decode()
    assert f'data-testid="diary-link-{link.pk}"' in listing
    assert token not in listing
    assert open_page(Client(), token).status_code == 200


def test_the_site_url_makes_the_link_when_set(clinician_client: Client, patient: Patient, settings: Any) -> None:
    settings.NYERI_SITE_URL = "https://nyeri.example.org/"
    html = clinician_client.post(
        f"/patients/{patient.pk}/diary/", {"facility": patient.registered_at_id, "valid_days": ""}
    ).content.decode()
    assert 'data-testid="diary-url" rel="noreferrer">https://nyeri.example.org/diary/' in html
    link = DiaryLink.objects.get()
    assert link.expires_at - link.issued_at == timedelta(days=30)


def test_a_bad_validity_is_named_on_the_form(clinician_client: Client, patient: Patient) -> None:
    clinician_client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    response = clinician_client.post(
        f"/patients/{patient.pk}/diary/", {"facility": patient.registered_at_id, "valid_days": "365"}
    )
    assert response.status_code == 200
    assert "Choose how many days the link works: from 1 to 90." in response.content.decode()
    assert not DiaryLink.objects.exists()


def test_a_nurse_without_a_practice_permit_is_refused_with_the_engine_s_reasons(
    unlicensed_nurse: User, patient: Patient
) -> None:
    client = log_in(Client(), unlicensed_nurse)
    response = client.post(f"/patients/{patient.pk}/diary/", {"facility": patient.registered_at_id})
    assert response.status_code == 403
    assert 'data-testid="refused"' in response.content.decode()
    assert not DiaryLink.objects.exists()


def test_revoking_a_link_from_the_page(clinician_client: Client, issued: IssuedLink, patient: Patient) -> None:
    response = clinician_client.post(f"/patients/diary-links/{issued.link.pk}/revoke/", {"reason": "ganti HP"})
    assert response.status_code == 302
    assert response["Location"] == f"/patients/{patient.pk}/diary/"
    link = DiaryLink.objects.get()
    assert link.revoked_at is not None
    assert link.revoke_reason == "ganti HP"
    listing = clinician_client.get(f"/patients/{patient.pk}/diary/").content.decode()
    assert "ganti HP" in listing
    assert f"/patients/diary-links/{link.pk}/revoke/" not in listing
    assert Client().get(page_url(issued.token)).status_code == 410
    # A second revocation is refused with a message, and changes nothing.
    again = clinician_client.post(f"/patients/diary-links/{link.pk}/revoke/", follow=True)
    assert again.status_code == 200
    assert AuditEvent.objects.filter(object_type="diary_link", action=AuditAction.CANCEL).count() == 1


def test_revoking_needs_a_post(clinician_client: Client, issued: IssuedLink) -> None:
    assert clinician_client.get(f"/patients/diary-links/{issued.link.pk}/revoke/").status_code == 405


def test_another_organization_s_patient_and_link_are_not_found(
    clinician_client: Client,
    foreign_patient: Patient,
    other_org: Organization,
    make_member: MakeMember,
    patient: Patient,
    make_person: object,
) -> None:
    assert clinician_client.get(f"/patients/{foreign_patient.pk}/diary/").status_code == 404
    assert clinician_client.post(f"/patients/{foreign_patient.pk}/diary/", {}).status_code == 404
    outsider = make_member(other_org, Role.NURSE, username="luar")
    foreign_link = DiaryLink.objects.create(
        organization=other_org,
        patient=foreign_patient,
        facility=foreign_patient.registered_at,
        issued_by=outsider,
        issued_at=timezone.now(),
        expires_at=timezone.now() + timedelta(days=3),
        token_prefix="0123456789abcdef",
        token_digest="0" * 64,
    )
    assert clinician_client.post(f"/patients/diary-links/{foreign_link.pk}/revoke/").status_code == 404
    assert DiaryLink.objects.get(pk=foreign_link.pk).revoked_at is None


def test_a_member_without_a_clinical_role_is_refused(
    org: Organization, make_member: MakeMember, patient: Patient
) -> None:
    officer = make_member(org, Role.COMPLIANCE_OFFICER, username="kepatuhan")
    assert log_in(Client(), officer).get(f"/patients/{patient.pk}/diary/").status_code == 403


def test_the_staff_page_needs_a_login(patient: Patient) -> None:
    response = Client().get(f"/patients/{patient.pk}/diary/")
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]


# --- The patient's page -------------------------------------------------------------------


def test_the_patient_page_needs_no_account_and_shows_nothing_of_the_staff_site(
    anonymous: Client, issued: IssuedLink, patient: Patient
) -> None:
    response = open_page(anonymous, issued.token)
    assert response.status_code == 200
    html = response.content.decode()
    assert '<html lang="id">' in html
    assert 'name="viewport" content="width=device-width, initial-scale=1"' in html
    assert "mainnav" not in html
    assert 'href="/patients' not in html
    assert 'href="/"' not in html
    assert patient.full_name not in html
    assert patient.mrn not in html
    # Strict CSP: nothing inline.
    assert "<script" not in html
    assert "style=" not in html
    assert "<style" not in html
    assert "script-src 'self'" in response["Content-Security-Policy"]
    assert response["Cache-Control"] == "private"
    assert 'data-testid="diary-nrs"' in html
    assert 'data-testid="diary-peg"' in html
    # The questions come from the instrument files, in Indonesian.
    assert "Intensitas nyeri saat ini" in html
    assert "Rata-rata nyeri dalam satu minggu terakhir" in html
    assert AuditEvent.objects.filter(action=AuditAction.READ, object_type="diary_link", actor=None).count() == 1


def test_a_rating_is_saved_and_confirmed_with_its_computed_score(
    anonymous: Client, issued: IssuedLink, clinician: User
) -> None:
    key = form_key(open_page(anonymous, issued.token).content.decode(), "nrs")
    response = send_nrs(anonymous, issued.token, "6", key)
    entry = PainAssessment.objects.get()
    assert response.status_code == 303
    assert response["Location"] == f"/diary/{issued.token}/entries/{entry.pk}/"
    assert (entry.submission_key, entry.recorded_by) == (key, clinician)
    confirmation = anonymous.get(response["Location"]).content.decode()
    assert 'data-testid="diary-saved"' in confirmation
    assert 'data-testid="again"' not in confirmation
    assert re.search(r'data-testid="score-total">6 · Nyeri sedang<', confirmation)


def test_a_peg_is_saved_with_the_mean_of_its_items(anonymous: Client, issued: IssuedLink) -> None:
    key = form_key(open_page(anonymous, issued.token).content.decode(), "peg")
    response = anonymous.post(
        page_url(issued.token),
        {
            "instrument": "peg",
            "peg-submission_key": key,
            "peg-item_pain_average": "7",
            "peg-item_enjoyment": "5",
            "peg-item_general_activity": "6",
        },
    )
    assert response.status_code == 303
    confirmation = anonymous.get(response["Location"]).content.decode()
    assert 'data-testid="score-total">6,0<' in confirmation


def test_the_same_visit_of_the_page_keeps_its_submission_keys(anonymous: Client, issued: IssuedLink) -> None:
    # Going back to the form (or reloading it) may fetch it anew: the address keeps the keys.
    first = open_page(anonymous, issued.token)
    visit = first.request["PATH_INFO"] + "?" + first.request["QUERY_STRING"]
    again = anonymous.get(visit).content.decode()
    assert form_key(again, "nrs") == form_key(first.content.decode(), "nrs")
    assert form_key(again, "peg") != form_key(again, "nrs")
    assert anonymous.get(f"{page_url(issued.token)}?k=bad").status_code == 303


def test_sending_the_same_form_again_stores_one_entry(anonymous: Client, issued: IssuedLink) -> None:
    key = form_key(open_page(anonymous, issued.token).content.decode(), "nrs")
    first = send_nrs(anonymous, issued.token, "4", key)
    second = send_nrs(anonymous, issued.token, "4", key)
    entry = PainAssessment.objects.get()
    assert first["Location"] == f"/diary/{issued.token}/entries/{entry.pk}/"
    assert second["Location"] == f"/diary/{issued.token}/entries/{entry.pk}/?again=1"
    again = anonymous.get(second["Location"]).content.decode()
    assert 'data-testid="again"' in again
    # A fresh page makes a fresh key: that is a new entry.
    fresh = form_key(open_page(anonymous, issued.token).content.decode(), "nrs")
    assert fresh != key
    send_nrs(anonymous, issued.token, "3", fresh)
    assert PainAssessment.objects.count() == 2


def test_a_rating_of_11_shows_a_translated_error_naming_the_question(anonymous: Client, issued: IssuedLink) -> None:
    key = form_key(open_page(anonymous, issued.token).content.decode(), "nrs")
    response = send_nrs(anonymous, issued.token, "11", key)
    html = response.content.decode()
    assert response.status_code == 200
    assert 'data-testid="errors-nrs"' in html
    assert 'href="#id_nrs-item_intensity">Intensitas nyeri saat ini</a>:' in html
    assert "Enter a whole number" not in html
    anonymous.post("/i18n/setlang/", {"language": "en", "next": page_url(issued.token)})
    html = send_nrs(anonymous, issued.token, "11", key).content.decode()
    assert 'href="#id_nrs-item_intensity">Pain intensity now</a>: Enter a whole number from 0 to 10.' in html
    # The key survives the error: correcting the answer sends the same submission.
    assert form_key(html, "nrs") == key
    assert not PainAssessment.objects.exists()


def test_a_peg_with_a_missing_item_shows_which_question(anonymous: Client, issued: IssuedLink) -> None:
    anonymous.post("/i18n/setlang/", {"language": "en", "next": "/"})
    key = form_key(open_page(anonymous, issued.token).content.decode(), "peg")
    html = anonymous.post(
        page_url(issued.token),
        {
            "instrument": "peg",
            "peg-submission_key": key,
            "peg-item_pain_average": "7",
            "peg-item_general_activity": "6",
        },
    ).content.decode()
    assert (
        'href="#id_peg-item_enjoyment">How pain interfered with enjoyment of life in the past week</a>: '
        "This item needs an answer." in html
    )
    assert not PainAssessment.objects.exists()


def test_a_word_instead_of_a_number_is_refused(anonymous: Client, issued: IssuedLink) -> None:
    response = send_nrs(anonymous, issued.token, "lima", "key-abcdefgh")
    assert response.status_code == 200
    assert 'href="#id_nrs-item_intensity"' in response.content.decode()
    assert not PainAssessment.objects.exists()


def test_an_unknown_instrument_or_a_stale_form_is_refused(anonymous: Client, issued: IssuedLink) -> None:
    anonymous.post("/i18n/setlang/", {"language": "en", "next": "/"})
    html = anonymous.post(page_url(issued.token), {"instrument": "odi"}).content.decode()
    assert "Choose one of the diary&#x27;s questionnaires." in html
    html = send_nrs(anonymous, issued.token, "5", "").content.decode()
    assert "This form is out of date. Reload the page and try again." in html
    assert not PainAssessment.objects.exists()


def test_the_daily_limit_is_shown_and_kept(anonymous: Client, issued: IssuedLink, link: DiaryLink) -> None:
    for n in range(services.DAILY_LIMIT):
        submit(link, key=f"day-key-{n:04d}")
    anonymous.post("/i18n/setlang/", {"language": "en", "next": "/"})
    html = open_page(anonymous, issued.token).content.decode()
    assert (
        'data-testid="full-nrs">Numeric Rating Scale for pain, 0-10 (NRS): at most 3 entries a day. '
        "You can record the next one tomorrow.<" in html
    )
    assert 'name="nrs-submission_key"' not in html
    assert 'name="peg-submission_key"' in html
    refused = send_nrs(anonymous, issued.token, "5", "day-key-9999").content.decode()
    assert "Numeric Rating Scale for pain, 0-10 (NRS): at most 3 entries a day." in refused
    assert PainAssessment.objects.count() == services.DAILY_LIMIT


def test_the_patient_switches_to_english(anonymous: Client, issued: IssuedLink) -> None:
    response = anonymous.post("/i18n/setlang/", {"language": "en", "next": page_url(issued.token)})
    assert response["Location"] == page_url(issued.token)
    html = open_page(anonymous, issued.token).content.decode()
    assert '<html lang="en">' in html
    assert "Your pain diary" in html
    assert "Numeric Rating Scale for pain, 0-10 (NRS)" in html
    assert "Pain intensity now" in html


def test_an_expired_link_shows_a_friendly_page_with_410_and_saves_nothing(
    anonymous: Client, clinician_scope: Scope, patient: Patient
) -> None:
    old = issue(clinician_scope, patient, valid_days=1, now=timezone.now() - timedelta(days=2))
    response = anonymous.get(page_url(old.token))
    assert response.status_code == 410
    assert 'data-testid="diary-expired"' in response.content.decode()
    assert send_nrs(anonymous, old.token, "5", "key-expired1").status_code == 410
    assert not PainAssessment.objects.exists()


def test_a_revoked_link_shows_a_friendly_page_with_410(
    anonymous: Client, issued: IssuedLink, clinician_scope: Scope, clinician: User
) -> None:
    services.revoke_link(scope=clinician_scope, acting_user=clinician, link=issued.link)
    anonymous.post("/i18n/setlang/", {"language": "en", "next": "/"})
    response = anonymous.get(page_url(issued.token))
    assert response.status_code == 410
    assert "This diary link has been stopped" in response.content.decode()


def test_a_tampered_link_shows_a_friendly_page_with_404(anonymous: Client, issued: IssuedLink) -> None:
    tampered = issued.token[:-3] + ("AAA" if not issued.token.endswith("AAA") else "BBB")
    response = anonymous.get(page_url(tampered))
    assert response.status_code == 404
    html = response.content.decode()
    assert 'data-testid="diary-unknown"' in html
    assert "mainnav" not in html


def test_an_entry_of_another_link_is_not_found(
    anonymous: Client, issued: IssuedLink, link: DiaryLink, clinician_scope: Scope, patient: Patient
) -> None:
    entry = submit(link).assessment
    other = issue(clinician_scope, patient)
    assert anonymous.get(f"/diary/{other.token}/entries/{entry.pk}/").status_code == 404
    assert anonymous.get(f"/diary/{issued.token}/entries/{entry.pk}/").status_code == 200


def test_a_logged_in_staff_member_sees_the_patient_layout_too(
    clinician_client: Client, issued: IssuedLink, clinician: User
) -> None:
    html = open_page(clinician_client, issued.token).content.decode()
    assert "mainnav" not in html
    assert scope_of(clinician).organization.name not in html
