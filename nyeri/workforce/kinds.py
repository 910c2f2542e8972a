"""The closed vocabularies of the workforce: credential kinds, statuses, specialties."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class CredentialKind(models.TextChoices):
    EDUCATION = "education", _("Education")
    RESIDENCY = "residency", _("Residency (specialty)")
    FELLOWSHIP = "fellowship", _("Fellowship or subspecialty")
    BOARD_CERTIFICATION = "board_certification", _("Board certification")
    PAIN_NURSING_CERTIFICATION = "pain_nursing_certification", _("Pain nursing certification")
    PAIN_TRAINING = "pain_training", _("Pain-specific training")
    REGISTRATION = "registration", _("Registration certificate (STR)")
    PRACTICE_PERMIT = "practice_permit", _("Practice permit (SIP)")
    CONTROLLED_AUTHORISATION = "controlled_authorisation", _("Controlled-substance authorisation")
    BACKGROUND_CHECK = "background_check", _("Background check")
    WORK_EXPERIENCE = "work_experience", _("Work experience")


class CredentialStatus(models.TextChoices):
    SUBMITTED = "submitted", _("Submitted")
    VERIFIED = "verified", _("Verified")
    REJECTED = "rejected", _("Rejected")
    EXPIRED = "expired", _("Expired")
    REVOKED = "revoked", _("Revoked")


class Specialty(models.TextChoices):
    ANESTHESIOLOGY = "anesthesiology", _("Anesthesiology")
    NEUROLOGY = "neurology", _("Neurology")
    PSYCHIATRY = "psychiatry", _("Psychiatry")
    PHYSICAL_MEDICINE = "physical_medicine", _("Physical medicine and rehabilitation")
    PAIN_MANAGEMENT = "pain_management", _("Pain management")
    INTERNAL_MEDICINE = "internal_medicine", _("Internal medicine")
    ORTHOPAEDICS = "orthopaedics", _("Orthopaedics")
    NEUROSURGERY = "neurosurgery", _("Neurosurgery")
    RADIOLOGY = "radiology", _("Radiology")
    GENERAL_MEDICINE = "general_medicine", _("General medicine")
    NURSING = "nursing", _("Nursing")
    RADIOGRAPHY = "radiography", _("Radiography")
    PHARMACY = "pharmacy", _("Pharmacy")


class CheckKind(models.TextChoices):
    CRIMINAL_RECORD = "criminal_record", _("Police record (SKCK)")
    EXCLUSION_LIST = "exclusion_list", _("Exclusion list")
    REFERENCES = "references", _("Professional references")
    HEALTH = "health", _("Health certificate")


class CheckResult(models.TextChoices):
    PENDING = "pending", _("Pending")
    PASSED = "passed", _("Passed")
    FAILED = "failed", _("Failed")


class EmployerKind(models.TextChoices):
    HOSPITAL = "hospital", _("Hospital")
    GENERAL_CLINIC = "general_clinic", _("General clinic")
    PAIN_CLINIC = "pain_clinic", _("Pain clinic")


class HoursSource(models.TextChoices):
    ENCOUNTER = "encounter", _("Encounter participation")
    MANUAL = "manual", _("Manual entry")


class HoursStatus(models.TextChoices):
    SUBMITTED = "submitted", _("Submitted")
    VERIFIED = "verified", _("Verified")
    REJECTED = "rejected", _("Rejected")


class Citizenship(models.TextChoices):
    CITIZEN = "citizen", _("Citizen")
    FOREIGN = "foreign", _("Foreign national")


class PrivilegeRequestStatus(models.TextChoices):
    REQUESTED = "requested", _("Waiting for the committee")
    RECOMMENDED = "recommended", _("Recommended by the committee")
    NOT_RECOMMENDED = "not_recommended", _("Not recommended by the committee")
    GRANTED = "granted", _("Granted by the director")


class PrivilegeGrantStatus(models.TextChoices):
    ACTIVE = "active", _("Active")
    # Renewed or restricted at re-credentialing: the next grant replaces it.
    SUPERSEDED = "superseded", _("Replaced at re-credentialing")
    WITHDRAWN = "withdrawn", _("Withdrawn")


class RecredentialingOutcome(models.TextChoices):
    RENEW = "renew", _("Renew")
    RESTRICT = "restrict", _("Restrict")
    WITHDRAW = "withdraw", _("Withdraw")
