from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from nyeri.clinical.models import Patient
from nyeri.clinical.registration import DEMOGRAPHIC_FIELDS

FORMATS = (("pdf", "PDF"), ("json", "JSON"))


class ExportForm(forms.Form):
    file_format = forms.ChoiceField(label=_("Format"), choices=FORMATS, initial="pdf")
    language = forms.ChoiceField(label=_("Language"), choices=settings.LANGUAGES)


def _field_choices() -> list[tuple[str, Any]]:
    choices: list[tuple[str, Any]] = [("", _("Another part of the record"))]
    for name in DEMOGRAPHIC_FIELDS:
        found = Patient._meta.get_field(name)
        choices.append((name, getattr(found, "verbose_name", name)))
    return choices


class CorrectionForm(forms.Form):
    requested_by = forms.CharField(
        label=_("Asked by"), max_length=200, help_text=_("The patient, or who asked on their behalf.")
    )
    field = forms.ChoiceField(label=_("Part of the record"), choices=_field_choices, required=False)
    what_is_wrong = forms.CharField(label=_("What is wrong"), max_length=2000, widget=forms.Textarea(attrs={"rows": 3}))
    should_be = forms.CharField(label=_("What it should be"), max_length=2000, widget=forms.Textarea(attrs={"rows": 2}))


class ErasureForm(forms.Form):
    requested_by = forms.CharField(
        label=_("Asked by"), max_length=200, help_text=_("The patient, or who asked on their behalf.")
    )
    what = forms.CharField(
        label=_("What should be erased"), max_length=2000, required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    language = forms.ChoiceField(label=_("Language of the answer"), choices=settings.LANGUAGES)


class AnswerForm(forms.Form):
    decision = forms.ChoiceField(
        label=_("Decision"), choices=(("accept", _("Accept and amend the record")), ("refuse", _("Refuse")))
    )
    answer = forms.CharField(
        label=_("Answer"),
        max_length=2000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_(
            "A refusal needs the reason; a correction of another part of the record names where it was amended."
        ),
    )


class EraseAccountForm(forms.Form):
    confirm = forms.BooleanField(
        label=_("I understand that my account, my declarations and their files are erased and cannot be restored."),
        required=False,
    )
