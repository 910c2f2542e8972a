"""The catalogue of roles a member of an organization can hold.

Roles say what a person does in the clinic; the navigation and coarse access (who sees the
audit report, who administers the organization) follow them. Fine-grained clinical
privileges ("may this nurse record an assessment here today") are the requirements
engine's business, not the role's.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    ADMINISTRATOR = "administrator", _("Administrator")
    COMPLIANCE_OFFICER = "compliance_officer", _("Compliance officer")
    CREDENTIALING_OFFICER = "credentialing_officer", _("Credentialing officer")
    FACILITY_MANAGER = "facility_manager", _("Facility manager")
    PAIN_PHYSICIAN = "pain_physician", _("Pain physician")
    ANESTHESIOLOGIST = "anesthesiologist", _("Anesthesiologist")
    NEUROLOGIST = "neurologist", _("Neurologist")
    PSYCHIATRIST = "psychiatrist", _("Psychiatrist")
    PHYSIATRIST = "physiatrist", _("Physical medicine physician")
    GENERAL_PRACTITIONER = "general_practitioner", _("General practitioner")
    NURSE = "nurse", _("Nurse")
    NURSE_ASSISTANT = "nurse_assistant", _("Nurse assistant")
    MEDICAL_ASSISTANT = "medical_assistant", _("Medical assistant")
    RADIOGRAPHER = "radiographer", _("Radiographer")
    XRAY_ASSISTANT = "xray_assistant", _("X-ray assistant")
    MEDICAL_TECHNICIAN = "medical_technician", _("Medical technician")
    PHARMACIST = "pharmacist", _("Pharmacist")
    # The medical committee (Komite Medik) reviews files and recommends clinical privileges;
    # the director grants them (docs/privileges.md).
    COMMITTEE_MEMBER = "committee_member", _("Medical committee member")
    DIRECTOR = "director", _("Director")
    # The nursing committee (Komite Keperawatan, Permenkes 49/2013) reviews nurses' requests
    # the same way; which committee reviews a privilege is in the privilege catalogue.
    NURSING_COMMITTEE_MEMBER = "nursing_committee_member", _("Nursing committee member")


CLINICAL_ROLES = frozenset(
    {
        Role.PAIN_PHYSICIAN,
        Role.ANESTHESIOLOGIST,
        Role.NEUROLOGIST,
        Role.PSYCHIATRIST,
        Role.PHYSIATRIST,
        Role.GENERAL_PRACTITIONER,
        Role.NURSE,
        Role.NURSE_ASSISTANT,
        Role.MEDICAL_ASSISTANT,
        Role.RADIOGRAPHER,
        Role.XRAY_ASSISTANT,
        Role.MEDICAL_TECHNICIAN,
        Role.PHARMACIST,
    }
)

# Who sees patients through the day (the physicians and nurses): their home shows the
# day's procedures and diary entries that need a look. Pharmacists, radiographers and
# technicians have their own work lists.
CARE_ROLES = CLINICAL_ROLES - {
    Role.PHARMACIST,
    Role.RADIOGRAPHER,
    Role.XRAY_ASSISTANT,
    Role.MEDICAL_TECHNICIAN,
}
