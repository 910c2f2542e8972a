"""Words for the codes of the audit trail: what a person reads for an object type or a reason.

The trail stores codes (``pain_assessment_series``) and short English reasons (``no clinical
role``), written by the code that records them and never translated in the row (the row is
evidence: it must read the same tomorrow). The report shows these labels, in the reader's
language, beside the recorded detail. A code without a label is shown as recorded (a test
keeps every object type written by the code labelled: tests/test_audit_labels.py).
"""

from __future__ import annotations

from django.utils.functional import Promise
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

# Object types prefixed ``fhir.`` name the FHIR resource read (``fhir.Patient``).
FHIR_PREFIX = "fhir."

OBJECT_TYPES: dict[str, Promise] = {
    "api_token": _("API token"),
    "appointment": _("Appointment"),
    "audit_report": _("Audit report"),
    "break_glass_review": _("Break-glass review"),
    "candidate_credential": _("Candidate's credential"),
    "candidate_erasure": _("Erasure of a candidate's data"),
    "candidate_evidence": _("Candidate's evidence"),
    "candidate_hours": _("Candidate's hours"),
    "credential": _("Credential"),
    "credential_evidence": _("Evidence of a credential"),
    "credential_verification": _("Verification of a credential"),
    "diagnosis": _("Diagnosis"),
    "diary_link": _("Diary link"),
    "encounter": _("Encounter"),
    "equipment": _("Equipment"),
    "facility": _("Facility"),
    "facility_privileges": _("Privileges at a facility"),
    "facility_profile": _("Facility profile"),
    "fhir": _("FHIR interface"),
    "fhir.AuditEvent": _("FHIR audit events"),
    "hours_entry": _("Hours worked"),
    "idempotent_request": _("Repeated request"),
    "imaging_order": _("Imaging order"),
    "invitation": _("Invitation"),
    "job_posting": _("Job posting"),
    "job_run": _("Background job"),
    "membership": _("Membership"),
    "network": _("Network of facilities"),
    "notification": _("Notification"),
    "organization": _("Organization"),
    "otp_device": _("Second factor (authenticator app)"),
    "otp_recovery_codes": _("Recovery codes"),
    "own_data_export": _("Export of one's own data"),
    "pain_assessment": _("Pain assessment"),
    "pain_assessment_series": _("Pain scores over time"),
    "password": _("Password"),
    "patient": _("Patient"),
    "patient_consent": _("Patient's consent"),
    "patient_data_export": _("Export of a patient's data"),
    "patient_identification": _("Patient identification"),
    "patient_merge": _("Merge of patient records"),
    "person": _("Person"),
    "personal_data_request": _("Personal data request"),
    "prescription": _("Prescription"),
    "privilege_grant": _("Privilege grant"),
    "probing_alert": _("Alert of repeated denied attempts"),
    "procedure": _("Procedure"),
    "procedure_performance": _("Procedure performed"),
    "record_number_format": _("Record number format"),
    "referral": _("Referral"),
    "referral_worklist": _("Referral worklist"),
    "register": _("Controlled-drug register"),
    "register_dispensing_queue": _("Dispensing queue"),
    "request": _("Request"),
    "satusehat_outbox": _("SATUSEHAT outbox"),
    "satusehat_settings": _("SATUSEHAT settings"),
    "security_report": _("Installation security report"),
    "setup": _("Installation set-up"),
    "setup_code": _("Set-up code"),
    "skp_activity": _("SKP activity"),
    "skp_evidence": _("SKP evidence"),
    "skp_ledger": _("SKP ledger"),
    "skp_setting": _("SKP settings"),
    "staffing_plan": _("Staffing plan"),
    "staffing_rule": _("Staffing rule"),
    "user": _("User account"),
    "application": _("Job application"),
    "break_glass_grant": _("Break-glass access"),
    "candidate": _("Candidate"),
    "outcomes_report": _("Outcomes report"),
    "practice_evaluation": _("Practice evaluation"),
    "register_report": _("Controlled-drug register report"),
    "staff_import": _("Import of staff"),
    "patients_import": _("Import of patients"),
}

# Reasons recorded as fixed phrases (most refusals, the chart's purpose). Reasons with
# variable parts (filters, paths) have no label: they are shown as recorded.
REASONS: dict[str, Promise] = {
    "chart": _("Opened the patient chart"),
    "api: chart": _("Patient chart through the API"),
    "no membership": _("Not a member of the organization"),
    "not a superuser": _("Not an operator of the installation"),
    "not a compliance officer": _("Not a compliance officer"),
    "no clinical role": _("No clinical role"),
    "no clinical, compliance or administrator role": _("No clinical, compliance or administrator role"),
    "wrong password": _("Wrong password"),
    "wrong current password": _("Wrong current password"),
    "absolute lifetime": _("The session reached its longest allowed duration"),
    "no login time": _("A session without a login time"),
    "invalid, revoked or expired API token": _("Invalid, revoked or expired API token"),
    "recovery code": _("With a recovery code"),
    "no role that may import": _("No role that may import"),
    "not the person, no officer role": _("Not the person, and no officer role"),
    "not the holder, no officer role": _("Not the holder, and no officer role"),
    "credentialing queue: no officer role": _("Credentialing queue: no officer role"),
    "verify page: no verifier role": _("Verification page: no verifier role"),
    "break-glass page": _("Break-glass page"),
}


def object_type_label(code: str) -> str:
    """What a person reads for an object type: "Pain scores over time"; the code if it has no label."""
    found = OBJECT_TYPES.get(code)
    if found is not None:
        return str(found)
    if code.startswith(FHIR_PREFIX):
        return gettext("FHIR resource %(resource)s") % {"resource": code.removeprefix(FHIR_PREFIX)}
    return code


def reason_label(reason: str) -> str:
    """The reason in the reader's language when it is a fixed phrase; empty otherwise."""
    found = REASONS.get(reason)
    return str(found) if found is not None else ""
