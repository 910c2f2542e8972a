from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from nyeri.hiring.services import NOTE_MAX
from nyeri.workforce.kinds import Citizenship


class ApplyForm(forms.Form):
    note = forms.CharField(
        label=_("Message to the employer (optional)"), required=False, max_length=NOTE_MAX, widget=forms.Textarea
    )


class WithdrawForm(forms.Form):
    reason = forms.CharField(label=_("Why do you withdraw?"), max_length=NOTE_MAX, widget=forms.Textarea)


class AdvanceForm(forms.Form):
    note = forms.CharField(label=_("Note (optional)"), required=False, max_length=NOTE_MAX)


class RejectForm(forms.Form):
    reason = forms.CharField(label=_("Reason for rejecting"), max_length=NOTE_MAX, widget=forms.Textarea)


class HireForm(forms.Form):
    citizenship = forms.ChoiceField(
        label=_("Citizenship (from the identity document)"), choices=Citizenship.choices, initial=Citizenship.CITIZEN
    )
    reason = forms.CharField(
        label=_("Reason for hiring although requirements are unmet"),
        required=False,
        max_length=NOTE_MAX,
        widget=forms.Textarea,
    )
    fill_posting = forms.BooleanField(label=_("Mark the posting as filled"), required=False, initial=True)
