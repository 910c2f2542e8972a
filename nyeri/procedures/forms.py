"""Forms of the procedure pages. They parse; the services check and name the bad fields.

The body site, side, guidance and anesthesia lists offer every value (with the procedure's
own in the help text), so that a value the procedure does not allow is refused by the
service with its reason rather than by the form with a generic one.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils import translation
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from nyeri.clinical.models import Encounter, EncounterStatus, Laterality, Patient
from nyeri.lib.bodysites import side_label, site_choices
from nyeri.lib.bodysites import site_label as region_label
from nyeri.procedures.catalogue import catalogue
from nyeri.procedures.catalogue.schema import Procedure
from nyeri.procedures.kinds import AnesthesiaLevel, ComplicationKind, Guidance
from nyeri.procedures.selectors import OperatorOption, StaffOption
from nyeri.procedures.services import REASON_MAX, TEXT_MAX
from nyeri.tenancy.models import Facility
from nyeri.tenancy.scope import Scope
from nyeri.tenancy.selectors import facilities_for
from nyeri.web.forms import LocalDateTimeField

NONE: list[tuple[str, str | Promise]] = [("", "—")]


def _language() -> str:
    return (translation.get_language() or "id").split("-")[0]


def _datetime_field(label: Any, *, required: bool) -> LocalDateTimeField:
    # Naive: the service reads it at the procedure's facility (tenancy.clock.at_facility).
    return LocalDateTimeField(label=label, required=required)


def _rating_field(label: Any) -> forms.IntegerField:
    # No bounds here: the service checks them, with one message for the page and the API.
    return forms.IntegerField(
        label=label,
        required=False,
        widget=forms.NumberInput(attrs={"min": "0", "max": "10", "inputmode": "numeric"}),
    )


def _choice(form: forms.Form, name: str) -> forms.ChoiceField:
    field = form.fields[name]
    assert isinstance(field, forms.ChoiceField)
    return field


class WhereForm(forms.Form):
    """Body site, side, guidance and anesthesia of a procedure (to order or as performed)."""

    body_site = forms.ChoiceField(label=_("Body site"))
    laterality = forms.ChoiceField(label=_("Side"), required=False, choices=[*NONE, *Laterality.choices])
    # Empty: the procedure's usual one.
    guidance = forms.ChoiceField(label=_("Imaging guidance"), required=False, choices=[*NONE, *Guidance.choices])
    anesthesia = forms.ChoiceField(label=_("Anesthesia"), required=False, choices=[*NONE, *AnesthesiaLevel.choices])

    def describe(self, proc: Procedure) -> None:
        """Offer every body region and say, in the help texts, what ``proc`` allows."""
        _choice(self, "body_site").choices = site_choices()
        self.fields["body_site"].help_text = _("This procedure: %(sites)s.") % {
            "sites": ", ".join(region_label(s) for s in proc.body_sites)
        }
        sides = sorted({s for site in proc.body_sites for s in proc.sides_for(site)}, key=Laterality.values.index)
        self.fields["laterality"].help_text = (
            _("Required: %(sides)s.") if proc.laterality_required else _("Where the body site has sides: %(sides)s.")
        ) % {"sides": ", ".join(side_label(s) for s in sides)}
        self.fields["guidance"].help_text = _("This procedure: %(guidance)s.") % {
            "guidance": ", ".join(str(Guidance(g).label) for g in proc.guidance)
        }
        self.fields["anesthesia"].help_text = _(
            "This procedure: %(levels)s. Sedation and general anesthesia are given by an anesthesiologist."
        ) % {"levels": ", ".join(str(AnesthesiaLevel(a).label) for a in proc.anesthesia_levels)}


class OrderForm(WhereForm):
    facility = forms.ModelChoiceField(label=_("Facility"), queryset=Facility.objects.none(), empty_label=None)
    encounter = forms.ModelChoiceField(
        label=_("Visit"),
        required=False,
        queryset=Encounter.objects.none(),
        help_text=_("Optional: the visit in which the procedure is ordered (it is then done at its facility)."),
    )
    indication = forms.CharField(
        label=_("Indication"), required=False, max_length=TEXT_MAX, widget=forms.Textarea(attrs={"rows": 3})
    )

    def __init__(self, *args: Any, scope: Scope, patient: Patient, proc: Procedure, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.describe(proc)
        # Offer only the body sites this procedure allows. The field still accepts any region
        # of the vocabulary, so that another one sent anyway gets the service's own reason.
        allowed = set(proc.body_sites)
        site = _choice(self, "body_site")
        site.widget.choices = site_choices(allowed)
        facility = self.fields["facility"]
        assert isinstance(facility, forms.ModelChoiceField)
        facility.queryset = facilities_for(scope)
        encounter = self.fields["encounter"]
        assert isinstance(encounter, forms.ModelChoiceField)
        visits = Encounter.objects.filter(organization=scope.organization, patient=patient).exclude(
            status=EncounterStatus.CANCELLED
        )
        if scope.facility_ids is not None:
            visits = visits.filter(facility_id__in=scope.facility_ids)
        encounter.queryset = visits.select_related("facility").order_by("-starts_at")[:20]
        if not self.is_bound:
            self.initial.setdefault("body_site", proc.body_sites[0])
            self.initial.setdefault("guidance", proc.guidance[0])
            self.initial.setdefault("anesthesia", proc.anesthesia)


class ScheduleForm(forms.Form):
    scheduled_for = _datetime_field(_("Date and time"), required=True)


class EnteredInErrorForm(forms.Form):
    # The version the user saw: marking a procedure amended since is refused.
    version = forms.IntegerField(widget=forms.HiddenInput)
    # Not required here: the service refuses an empty reason with its own message.
    reason = forms.CharField(
        label=_("Why was it entered in error?"),
        max_length=REASON_MAX,
        required=False,
        help_text=_(
            "For example: recorded for the wrong patient, or it was not done. The record and every version are kept."
        ),
        widget=forms.Textarea(attrs={"rows": 2, "maxlength": str(REASON_MAX)}),
    )


class CancelForm(forms.Form):
    reason = forms.CharField(
        label=_("Why is the procedure cancelled?"),
        max_length=REASON_MAX,
        help_text=_("For example: the patient has a fever. The order is kept with the reason."),
        widget=forms.TextInput(attrs={"maxlength": str(REASON_MAX)}),
    )


def _person_choices(options: tuple[StaffOption, ...], *, level: str | None) -> list[tuple[str, str]]:
    """Each physician at the facility, marked with whether the engine allows them."""
    out: list[tuple[str, str]] = []
    for option in options:
        allowed = option.may_perform if level is None else option.may_anesthetize.get(level, False)
        mark = _("allowed") if allowed else _("not allowed here")
        out.append((str(option.person.pk), f"{option.person.full_name} ({mark})"))
    return out


def _option_choices(options: tuple[OperatorOption, ...]) -> list[tuple[str, str]]:
    """Each person offered for a part of the procedure, marked with whether the engine allows them."""
    return [
        (str(o.person.pk), f"{o.person.full_name} ({_('allowed') if o.may_operate else _('not allowed here')})")
        for o in options
    ]


class PerformForm(WhereForm):
    procedure_code = forms.ChoiceField(label=_("Procedure performed"))
    performed_at = _datetime_field(_("Performed at"), required=True)
    performer = forms.ChoiceField(label=_("Performer"))
    anesthesiologist = forms.ChoiceField(
        label=_("Anesthesiologist"),
        required=False,
        help_text=_("For sedation or general anesthesia: who gave it (not the performer)."),
    )
    imaging_operator = forms.ChoiceField(
        label=_("C-arm operator"),
        required=False,
        help_text=_("For fluoroscopy guidance: the radiographer or x-ray assistant who operated the C-arm."),
    )
    monitoring_nurse = forms.ChoiceField(
        label=_("Monitoring nurse"),
        required=False,
        help_text=_("For sedation or general anesthesia: the nurse who watched the patient (not the performer)."),
    )
    pain_before = _rating_field(_("Pain before (0-10)"))
    pain_after = _rating_field(_("Pain after (0-10)"))
    complications = forms.MultipleChoiceField(
        label=_("Complications"),
        required=False,
        choices=ComplicationKind.choices,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Leave all unticked when there was none."),
    )
    complication_note = forms.CharField(
        label=_("Note on complications"),
        required=False,
        max_length=TEXT_MAX,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    note = forms.CharField(
        label=_("Note"), required=False, max_length=TEXT_MAX, widget=forms.Textarea(attrs={"rows": 3})
    )

    def __init__(
        self,
        *args: Any,
        proc: Procedure,
        options: tuple[StaffOption, ...],
        level: str,
        operators: tuple[OperatorOption, ...] = (),
        nurses: tuple[OperatorOption, ...] = (),
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.describe(proc)
        language = _language()
        _choice(self, "procedure_code").choices = [(p.code, p.label(language)) for p in catalogue().procedures]
        _choice(self, "performer").choices = [*NONE, *_person_choices(options, level=None)]
        anesthesiologists = _person_choices(options, level=level if level in ("sedation", "general") else "sedation")
        _choice(self, "anesthesiologist").choices = [*NONE, *anesthesiologists]
        _choice(self, "imaging_operator").choices = [*NONE, *_option_choices(operators)]
        _choice(self, "monitoring_nurse").choices = [*NONE, *_option_choices(nurses)]

    def person_id(self, name: str) -> int | None:
        value = self.cleaned_data.get(name) or ""
        return int(value) if str(value).isdigit() else None


class AmendForm(PerformForm):
    reason = forms.CharField(
        label=_("Reason for the amendment"),
        max_length=REASON_MAX,
        help_text=_("Kept with the new version, for whoever reads the history."),
        widget=forms.TextInput(attrs={"maxlength": str(REASON_MAX)}),
    )
