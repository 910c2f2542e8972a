from __future__ import annotations

import importlib.util
from pathlib import Path

import polib
import pytest
from django.test import Client
from django.utils import translation

ROOT = Path(__file__).resolve().parent.parent
CATALOGUE = ROOT / "nyeri" / "locale" / "id" / "LC_MESSAGES" / "django.po"


def load_checker():  # type: ignore[no-untyped-def]
    spec = importlib.util.spec_from_file_location("check_translations", ROOT / "scripts" / "check_translations.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_translation_check_fails_and_names_a_string_without_indonesian(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    po = polib.pofile(str(CATALOGUE))
    victim = next(e for e in po if e.msgid == "Log in to Nyeri")
    victim.msgstr = ""
    broken = tmp_path / "django.po"
    po.save(str(broken))
    assert load_checker().main(broken) == 1
    assert "'Log in to Nyeri'" in capsys.readouterr().out


def test_the_committed_catalogue_translates_every_string() -> None:
    assert load_checker().main(CATALOGUE) == 0


@pytest.mark.django_db
def test_the_login_page_is_in_indonesian_by_default_and_in_english_on_request(client: Client, org: object) -> None:
    # (An installation without any organization sends the login page to /setup/.)
    assert "Masuk ke Nyeri" in client.get("/accounts/login/").content.decode()
    client.post("/i18n/setlang/", {"language": "en", "next": "/accounts/login/"})
    assert "Log in to Nyeri" in client.get("/accounts/login/").content.decode()


def test_role_names_follow_the_glossary() -> None:
    from nyeri.tenancy.roles import Role

    with translation.override("id"):
        assert str(Role.ANESTHESIOLOGIST.label) == "Dokter spesialis anestesiologi"
        assert str(Role.XRAY_ASSISTANT.label) == "Asisten radiologi"
