"""Words for pages and the printed prescription: frequencies, units, forms, routes, classes."""

from __future__ import annotations

from decimal import Decimal

from django.utils import translation
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from nyeri.prescriptions import catalogue
from nyeri.prescriptions.models import PrescriptionItem
from nyeri.prescriptions.safety import format_number

# The frequencies offered on the form: doses per day and how a prescriber says them. Fractions
# are cut (not rounded) to three decimals, so that the quantity, rounded up, is never a unit too many.
FREQUENCIES: list[tuple[str, Promise]] = [
    ("1", gettext_lazy("Once a day")),
    ("2", gettext_lazy("Twice a day (every 12 hours)")),
    ("3", gettext_lazy("Three times a day (every 8 hours)")),
    ("4", gettext_lazy("Four times a day (every 6 hours)")),
    ("6", gettext_lazy("Every 4 hours")),
    ("0.5", gettext_lazy("Every other day")),
    ("0.333", gettext_lazy("Every 72 hours")),
    ("0.142", gettext_lazy("Once a week")),
]

FORMS: dict[str, Promise] = {
    "tablet": gettext_lazy("tablet"),
    "tablet_modified_release": gettext_lazy("modified-release tablet"),
    "film_coated_tablet": gettext_lazy("film-coated tablet"),
    "capsule": gettext_lazy("capsule"),
    "capsule_modified_release": gettext_lazy("modified-release capsule"),
    "sublingual_tablet": gettext_lazy("sublingual tablet"),
    "oral_solution": gettext_lazy("oral solution"),
    "transdermal_patch": gettext_lazy("transdermal patch"),
    "medicated_plaster": gettext_lazy("medicated plaster"),
}

ROUTES: dict[str, Promise] = {
    "oral": gettext_lazy("oral"),
    "sublingual": gettext_lazy("sublingual"),
    "transdermal": gettext_lazy("transdermal"),
    "topical": gettext_lazy("topical"),
}


def language() -> str:
    return "id" if (translation.get_language() or "id").startswith("id") else "en"


def units(unit: str, count: Decimal | int) -> str:
    """'2 tablets', '1 patch', '0,5 tablet', '5 mL' in the active language."""
    number = format_number(Decimal(count))
    plural = 1 if Decimal(count) == 1 else 2
    if unit == "tablet":
        return ngettext("%(count)s tablet", "%(count)s tablets", plural) % {"count": number}
    if unit == "capsule":
        return ngettext("%(count)s capsule", "%(count)s capsules", plural) % {"count": number}
    if unit == "patch":
        return ngettext("%(count)s patch", "%(count)s patches", plural) % {"count": number}
    if unit == "plaster":
        return ngettext("%(count)s plaster", "%(count)s plasters", plural) % {"count": number}
    return f"{number} {unit}"


def frequency(doses_per_day: Decimal, as_needed: bool) -> str:
    known = {Decimal(value): label for value, label in FREQUENCIES}
    text = str(known[doses_per_day]) if doses_per_day in known else None
    if text is None:
        text = _("%(count)s times a day") % {"count": format_number(doses_per_day)}
    if as_needed:
        return _("As needed, at most: %(frequency)s") % {"frequency": text[:1].lower() + text[1:]}
    return text


def directions(item: PrescriptionItem) -> str:
    """'1 tablet, twice a day (every 12 hours), for 14 days' (the signa)."""
    parts = [
        units(item.dose_unit, item.dose),
        frequency(item.doses_per_day, item.as_needed).lower(),
        ngettext("for %(days)d day", "for %(days)d days", item.days) % {"days": item.days},
    ]
    text = ", ".join(parts)
    return f"{text}. {item.instructions}" if item.instructions else text


def item_form(item: PrescriptionItem) -> str:
    return str(FORMS.get(item.form, item.form))


def item_route(item: PrescriptionItem) -> str:
    return str(ROUTES.get(item.route, item.route))


def controlled_label(jurisdiction: str, code: str) -> str:
    return catalogue.class_label(jurisdiction, code, language()) if code else ""


def medication_choices(jurisdiction: str) -> list[tuple[str, str]]:
    """The catalogue's products for a form's select, with their class where controlled."""
    lang = language()
    choices = []
    for med in catalogue.for_jurisdiction(jurisdiction):
        text = catalogue.label(med, lang)
        klass = catalogue.controlled_class(med, jurisdiction)
        if klass:
            text = f"{text} [{catalogue.class_label(jurisdiction, klass, lang)}]"
        choices.append((med.code, text))
    # By the name shown, in the reader's language (not by the catalogue's code).
    return sorted(choices, key=lambda choice: choice[1].casefold())


SECOND_FACTORS: dict[str, Promise] = {
    "totp": gettext_lazy("authenticator app (TOTP)"),
    "recovery_code": gettext_lazy("recovery code"),
}


def second_factor_label(code: str) -> str:
    """How a prescription's signature was confirmed, in words ("attested: ..." by a trusted caller)."""
    if code.startswith("attested: "):
        return _("attested by %(who)s") % {"who": code.removeprefix("attested: ")}
    return str(SECOND_FACTORS.get(code, code))
