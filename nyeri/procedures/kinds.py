"""The closed vocabularies of procedures: status, anesthesia levels, imaging guidance, complications.

Stored codes: never rename one, add a new one. The catalogue file (``catalogue/data``) uses
the same codes for anesthesia levels and guidance.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class ProcedureStatus(models.TextChoices):
    # FHIR Procedure/ServiceRequest: ordered and scheduled are a ServiceRequest (active),
    # performed a Procedure (completed), cancelled a ServiceRequest (revoked). Performed
    # elsewhere: the order was referred and the referral came back done; the ServiceRequest
    # is completed here, while the Procedure belongs to the facility that performed it (no
    # performance is recorded here, so the chart draws no marker of a procedure done here).
    # Entered in error: recorded as performed by mistake (the wrong patient, or it never
    # happened); FHIR Procedure.status entered-in-error. The record and every version of the
    # performance are kept and shown, marked; nothing counts it as performed any more.
    ORDERED = "ordered", _("Ordered")
    SCHEDULED = "scheduled", _("Scheduled")
    PERFORMED = "performed", _("Performed")
    CANCELLED = "cancelled", _("Cancelled")
    ELSEWHERE = "elsewhere", _("Performed elsewhere")
    ENTERED_IN_ERROR = "entered_in_error", _("Entered in error")


# Which status may follow which (the services and, on PostgreSQL, a trigger hold it).
TRANSITIONS: dict[str, frozenset[str]] = {
    ProcedureStatus.ORDERED: frozenset(
        {ProcedureStatus.SCHEDULED, ProcedureStatus.PERFORMED, ProcedureStatus.CANCELLED, ProcedureStatus.ELSEWHERE}
    ),
    # A scheduled procedure may be moved to another time (scheduled again).
    ProcedureStatus.SCHEDULED: frozenset(
        {ProcedureStatus.SCHEDULED, ProcedureStatus.PERFORMED, ProcedureStatus.CANCELLED, ProcedureStatus.ELSEWHERE}
    ),
    # Only marking it entered in error moves a performed record (mark_performance_entered_in_error).
    ProcedureStatus.PERFORMED: frozenset({ProcedureStatus.ENTERED_IN_ERROR}),
    ProcedureStatus.CANCELLED: frozenset(),
    # Only the completion of its referral closes a record so (imaging.services.complete_referral).
    ProcedureStatus.ELSEWHERE: frozenset(),
    ProcedureStatus.ENTERED_IN_ERROR: frozenset(),
}


class AnesthesiaLevel(models.TextChoices):
    NONE = "none", _("None")
    LOCAL = "local", _("Local anesthesia")
    SEDATION = "sedation", _("Sedation")
    GENERAL = "general", _("General anesthesia")


# The levels at which an anesthesiologist takes part, and the policy-pack action they need.
ANESTHESIOLOGIST_ACTION: dict[str, str] = {
    AnesthesiaLevel.SEDATION: "give_sedation",
    AnesthesiaLevel.GENERAL: "give_anesthesia",
}
# At those levels the nurse who watches the patient is asked this action (a nursing privilege
# where the facility requires it).
MONITORING_ACTION = "monitor_sedation"


class Guidance(models.TextChoices):
    NONE = "none", _("None (landmarks)")
    FLUOROSCOPY = "fluoroscopy", _("Fluoroscopy (C-arm)")
    ULTRASOUND = "ultrasound", _("Ultrasound")
    CT = "ct", _("CT")


# The equipment kind (nyeri.facilities EquipmentKind) each guidance needs in service.
GUIDANCE_EQUIPMENT: dict[str, str | None] = {
    Guidance.NONE: None,
    Guidance.FLUOROSCOPY: "c_arm",
    Guidance.ULTRASOUND: "ultrasound",
    Guidance.CT: "ct",
}


class PerformanceKind(models.TextChoices):
    """What a version of the performance record is (not whether it is still the current one)."""

    ORIGINAL = "original", _("Original recording")
    AMENDMENT = "amendment", _("Amendment")


class ComplicationKind(models.TextChoices):
    """Complications of interventional pain procedures, as a clinic records them.

    After the complications discussed in the multisociety safeguards for epidural steroid
    injections (Rathmell et al., Anesthesiology 2015) and the ASIPP guidelines; "other"
    needs a note.
    """

    VASOVAGAL = "vasovagal", _("Vasovagal reaction")
    HYPOTENSION = "hypotension", _("Hypotension")
    DURAL_PUNCTURE = "dural_puncture", _("Dural puncture")
    POST_DURAL_PUNCTURE_HEADACHE = "post_dural_puncture_headache", _("Post-dural puncture headache")
    INTRAVASCULAR_INJECTION = "intravascular_injection", _("Intravascular injection")
    LOCAL_ANESTHETIC_TOXICITY = "local_anesthetic_toxicity", _("Local anesthetic systemic toxicity")
    BLEEDING = "bleeding", _("Bleeding or haematoma")
    INFECTION = "infection", _("Infection")
    TRANSIENT_NEURO = "transient_neuro", _("Transient numbness or weakness")
    NERVE_INJURY = "nerve_injury", _("Nerve injury")
    PNEUMOTHORAX = "pneumothorax", _("Pneumothorax")
    ALLERGIC_REACTION = "allergic_reaction", _("Allergic reaction")
    INCREASED_PAIN = "increased_pain", _("Increased pain")
    OTHER = "other", _("Other (see the note)")
