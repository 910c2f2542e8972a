"""Requirements of the policy-pack language in words, for the screens (both languages)."""

from __future__ import annotations

from django.utils import formats, translation
from django.utils.translation import gettext as _

from nyeri.tenancy.roles import Role
from nyeri.workforce.kinds import CheckKind, CredentialKind, EmployerKind, Specialty
from nyeri.workforce.policy.schema import (
    BackgroundCheckRequirement,
    CredentialRequirement,
    ExperienceRequirement,
    HoursRequirement,
    OneOfRequirement,
    PrivilegeRequirement,
    Requirement,
    RoleRequirement,
    TrainingHoursRequirement,
)
from nyeri.workforce.privileges.catalogue import privilege_label


def _number(value: float) -> str:
    whole = value == int(value)
    return formats.number_format(value, decimal_pos=0 if whole else 1, use_l10n=True, force_grouping=True)


def _labels(values: tuple[str, ...], choices: type[Role | Specialty | EmployerKind]) -> str:
    return ", ".join(str(choices(v).label) for v in values)


def describe(req: Requirement) -> str:
    """One requirement as a short sentence in the current language."""
    if isinstance(req, RoleRequirement):
        return _("Role: %(roles)s") % {"roles": _labels(req.any_of, Role)}
    if isinstance(req, CredentialRequirement):
        credential = str(CredentialKind(req.credential).label)
        if req.specialty:
            return _("%(credential)s in %(specialties)s") % {
                "credential": credential,
                "specialties": _labels(req.specialty, Specialty),
            }
        if req.at_facility:
            return _("%(credential)s for this facility") % {"credential": credential}
        return credential
    if isinstance(req, BackgroundCheckRequirement):
        if req.check is None:
            return _("Background check passed within %(months)d months") % {"months": req.within_months}
        return _("%(check)s passed within %(months)d months") % {
            "check": str(CheckKind(req.check).label),
            "months": req.within_months,
        }
    if isinstance(req, HoursRequirement):
        return _("%(hours)s hours with pain-clinic patients in the last %(months)d months") % {
            "hours": _number(req.at_least),
            "months": req.window_months,
        }
    if isinstance(req, TrainingHoursRequirement):
        return _("%(hours)s hours of pain training in the last %(months)d months") % {
            "hours": _number(req.at_least),
            "months": req.window_months,
        }
    if isinstance(req, ExperienceRequirement):
        return _("%(months)d months of experience at: %(employers)s") % {
            "months": req.at_least_months,
            "employers": _labels(req.employer_kinds, EmployerKind),
        }
    if isinstance(req, PrivilegeRequirement):
        language = (translation.get_language() or "id")[:2]
        return _("Clinical privilege granted here: %(privilege)s") % {
            "privilege": privilege_label(req.privilege, language)
        }
    if isinstance(req, OneOfRequirement):
        return _("One of: %(options)s") % {"options": " | ".join(describe(o) for o in req.options)}
    raise TypeError(f"unknown requirement {req!r}")
