"""Forms of the break-glass pages. They parse; the rules (and their messages) live in the services."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from nyeri.clinical.breakglass.models import NOTE_MAX_LENGTH, REASON_MAX_LENGTH, REASON_MIN_LENGTH, ReviewOutcome


class BreakGlassForm(forms.Form):
    # Not "required" here: the service's message names the minimum length.
    reason = forms.CharField(
        label=_("Reason for emergency access"),
        required=False,
        max_length=REASON_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 3, "minlength": REASON_MIN_LENGTH}),
        help_text=_("Why you need this patient's record now. A compliance officer reviews every emergency access."),
    )
    next = forms.CharField(required=False, widget=forms.HiddenInput)


class ReviewForm(forms.Form):
    outcome = forms.ChoiceField(
        label=_("Outcome"), required=False, choices=ReviewOutcome.choices, widget=forms.RadioSelect
    )
    note = forms.CharField(
        label=_("Note"),
        required=False,
        max_length=NOTE_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("What you checked and concluded; kept with the emergency access and in the audit trail."),
    )
