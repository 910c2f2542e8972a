from __future__ import annotations

from datetime import datetime
from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import F, Q, Value
from django.db.models.functions import Lower, Replace
from django.utils.translation import gettext_lazy as _

from nyeri.clinical.validators import validate_nik, validate_not_in_future
from nyeri.lib.bodysites import Side


class AdministrativeSex(models.TextChoices):
    # FHIR AdministrativeGender codes.
    FEMALE = "female", _("Female")
    MALE = "male", _("Male")
    OTHER = "other", _("Other")
    UNKNOWN = "unknown", _("Unknown")


class NoNikReason(models.TextChoices):
    # Why a patient is registered without a NIK (another identifier is then required).
    FOREIGNER = "foreigner", _("Foreign national")
    NEWBORN = "newborn", _("Newborn without a NIK yet")
    UNKNOWN = "unknown", _("Unknown (no documents)")


class OtherIdentifierKind(models.TextChoices):
    PASSPORT = "passport", _("Passport number")
    RESIDENCE_PERMIT = "residence_permit", _("Residence permit (KITAS/KITAP)")
    MOTHER_NIK = "mother_nik", _("Mother's NIK")
    OTHER = "other", _("Other identifier")


def name_key_expression() -> models.Func:
    """The name as the duplicate check compares it: lower case, without spaces.

    ``nyeri.clinical.registration.name_key`` computes the same in Python.
    """
    return Lower(Replace(F("full_name"), Value(" "), Value("")))


MRN_MAX_LENGTH = 64


class Patient(models.Model):
    """A person whose pain the organization observes and treats. Never hard-deleted.

    Demographics are edited with a history (``PatientEdit``); two records of one person are
    merged (``PatientMerge``): the merged record is kept, pointing to the survivor.
    """

    organization = models.ForeignKey("tenancy.Organization", on_delete=models.PROTECT, related_name="patients")
    # The medical record number (nomor rekam medis), unique within the organization. Room for
    # the default format with the longest facility code: 40 + len("-2026-000001") = 52.
    mrn = models.CharField(_("record number"), max_length=MRN_MAX_LENGTH)
    nik = models.CharField(_("NIK"), max_length=16, blank=True, validators=[validate_nik])
    # Without a NIK: why, and which other identifier stands in for it.
    no_nik_reason = models.CharField(_("reason for no NIK"), max_length=16, choices=NoNikReason.choices, blank=True)
    other_identifier_kind = models.CharField(
        _("kind of other identifier"), max_length=20, choices=OtherIdentifierKind.choices, blank=True
    )
    other_identifier = models.CharField(_("other identifier"), max_length=40, blank=True)
    full_name = models.CharField(_("full name"), max_length=200)
    # Lower case without spaces (name_key_expression): the duplicate check's key.
    name_key = models.GeneratedField(
        expression=name_key_expression(), output_field=models.CharField(max_length=200), db_persist=True
    )
    birth_date = models.DateField(_("birth date"), validators=[validate_not_in_future])
    sex = models.CharField(_("sex"), max_length=8, choices=AdministrativeSex.choices)
    phone = models.CharField(_("phone"), max_length=40, blank=True)
    address = models.CharField(_("address"), max_length=300, blank=True)
    # Kemendagri code of the regency or city (nyeri.regions), and its name as registered.
    regency_code = models.CharField(_("regency code"), max_length=16, blank=True)
    regency = models.CharField(_("regency or city"), max_length=100, blank=True)
    # The SATUSEHAT patient identifier (IHS number), filled in once the patient is linked.
    ihs_number = models.CharField(_("SATUSEHAT patient identifier"), max_length=20, blank=True)
    registered_at = models.ForeignKey(
        "tenancy.Facility", on_delete=models.PROTECT, related_name="+", verbose_name=_("registered at")
    )
    created_at = models.DateTimeField(auto_now_add=True)
    # Incremented by each edit of the demographics: an edit made on an older version is refused.
    version = models.PositiveIntegerField(default=1)
    merged_into = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="merged_records"
    )
    merged_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("patient")
        verbose_name_plural = _("patients")
        indexes = [
            # The possible-duplicate check: same name (case and spaces aside) and birth date.
            models.Index(fields=["organization", "name_key", "birth_date"], name="patient_duplicate_check"),
            # Finding a NIK: the unique constraint's index is partial (non-empty NIKs), which
            # SQLite cannot use for "nik = ?" with a bound parameter.
            models.Index(fields=["organization", "nik"], name="patient_nik_lookup"),
        ]
        constraints = [
            models.UniqueConstraint(fields=["organization", "mrn"], name="patient_mrn_unique_per_org"),
            models.UniqueConstraint(
                fields=["organization", "nik"], condition=~Q(nik=""), name="patient_nik_unique_per_org"
            ),
            models.UniqueConstraint(
                fields=["organization", "ihs_number"], condition=~Q(ihs_number=""), name="patient_ihs_unique_per_org"
            ),
            models.CheckConstraint(condition=Q(sex__in=[s.value for s in AdministrativeSex]), name="patient_sex_valid"),
            models.CheckConstraint(
                condition=Q(no_nik_reason="") | Q(no_nik_reason__in=[r.value for r in NoNikReason]),
                name="patient_no_nik_reason_valid",
            ),
            models.CheckConstraint(
                condition=Q(other_identifier_kind="")
                | Q(other_identifier_kind__in=[k.value for k in OtherIdentifierKind]),
                name="patient_other_identifier_kind_valid",
            ),
            # A reason for no NIK only without a NIK, and with another identifier.
            models.CheckConstraint(
                condition=Q(no_nik_reason="") | (Q(nik="") & ~Q(other_identifier="")),
                name="patient_no_nik_has_other_identifier",
            ),
            models.CheckConstraint(
                condition=(Q(other_identifier="") & Q(other_identifier_kind=""))
                | (~Q(other_identifier="") & ~Q(other_identifier_kind="")),
                name="patient_other_identifier_has_kind",
            ),
            models.CheckConstraint(
                condition=Q(merged_into__isnull=True, merged_at__isnull=True)
                | (Q(merged_into__isnull=False, merged_at__isnull=False) & ~Q(merged_into=F("id"))),
                name="patient_merged_into_another",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.full_name} ({self.mrn})"


class PatientEdit(models.Model):
    """One edit of a patient's demographics: who and when; its fields say before and after."""

    organization = models.ForeignKey("tenancy.Organization", on_delete=models.PROTECT, related_name="+")
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="edits")
    edited_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    edited_at = models.DateTimeField()
    # The patient's version this edit produced.
    version = models.PositiveIntegerField()
    reason = models.TextField(_("reason for the change"), blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["patient", "version"], name="patient_edit_once_per_version"),
        ]
        indexes = [models.Index(fields=["organization", "patient", "edited_at"], name="patient_edit_time")]

    def __str__(self) -> str:
        return f"{self.patient_id} v{self.version}"


class PatientFieldChange(models.Model):
    """A field changed by an edit, with its value before and after (as text)."""

    organization = models.ForeignKey("tenancy.Organization", on_delete=models.PROTECT, related_name="+")
    edit = models.ForeignKey(PatientEdit, on_delete=models.PROTECT, related_name="changes")
    field = models.CharField(max_length=40)
    before = models.TextField(blank=True)
    after = models.TextField(blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["edit", "field"], name="patient_field_change_once"),
        ]

    def __str__(self) -> str:
        return f"{self.field}: {self.before!r} -> {self.after!r}"

    def _model_field(self) -> models.Field[Any, Any]:
        found = Patient._meta.get_field(self.field)
        assert isinstance(found, models.Field)
        return found

    @property
    def label(self) -> str:
        """The changed field's name in the active language."""
        return str(self._model_field().verbose_name)

    def _shown(self, value: str) -> str:
        choices = dict(self._model_field().flatchoices or [])
        return str(choices.get(value, value))

    @property
    def before_shown(self) -> str:
        return self._shown(self.before)

    @property
    def after_shown(self) -> str:
        return self._shown(self.after)


class PatientMerge(models.Model):
    """Two records of one person made one: everything of ``merged`` moved to ``survivor``.

    ``moved`` counts the rows moved per table; ``kept`` those left on the merged record
    because the survivor already had their unique counterpart (e.g. a consent of the same kind).
    """

    organization = models.ForeignKey("tenancy.Organization", on_delete=models.PROTECT, related_name="+")
    survivor = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="merges_received")
    merged = models.OneToOneField(Patient, on_delete=models.PROTECT, related_name="merge")
    merged_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    merged_at = models.DateTimeField()
    reason = models.TextField(_("reason for the merge"))
    moved = models.JSONField(default=dict, blank=True)
    kept = models.JSONField(default=dict, blank=True)

    class Meta:
        constraints = [
            models.CheckConstraint(condition=~Q(survivor=F("merged")), name="patient_merge_two_records"),
            models.CheckConstraint(condition=~Q(reason=""), name="patient_merge_has_reason"),
        ]

    def __str__(self) -> str:
        return f"{self.merged_id} -> {self.survivor_id}"


class RecordNumberFormat(models.Model):
    """How record numbers are made: for the organization (no facility) or one facility.

    Placeholders: ``{facility}`` (the facility's code, upper case), ``{year}`` and
    ``{seq}`` (with a format such as ``{seq:06d}``). Numbers count per facility when the
    format names the facility, otherwise per organization; and per year when it names the year.
    """

    organization = models.ForeignKey("tenancy.Organization", on_delete=models.PROTECT, related_name="+")
    facility = models.ForeignKey("tenancy.Facility", on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    pattern = models.CharField(_("record number format"), max_length=60)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["organization"], condition=Q(facility__isnull=True), name="record_format_once_per_org"
            ),
            models.UniqueConstraint(
                fields=["organization", "facility"],
                condition=Q(facility__isnull=False),
                name="record_format_once_per_facility",
            ),
        ]

    def __str__(self) -> str:
        return self.pattern


class RecordNumberCounter(models.Model):
    """The last number given in one sequence; locked (SELECT ... FOR UPDATE) while a number is taken."""

    organization = models.ForeignKey("tenancy.Organization", on_delete=models.PROTECT, related_name="+")
    # "org" for an organization-wide sequence, "f<id>" for a facility's.
    sequence = models.CharField(max_length=24)
    # 0 when the format has no year.
    year = models.PositiveSmallIntegerField()
    last_value = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["organization", "sequence", "year"], name="record_counter_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.sequence}/{self.year}: {self.last_value}"


def _in(field: str, choices: type[models.TextChoices]) -> Q:
    return Q(**{f"{field}__in": [c.value for c in choices]})


# --- Encounters ---------------------------------------------------------------------


class EncounterKind(models.TextChoices):
    FIRST_VISIT = "first_visit", _("First visit")
    FOLLOW_UP = "follow_up", _("Follow-up visit")
    PROCEDURE_DAY = "procedure_day", _("Procedure day")
    TELECONSULTATION = "teleconsultation", _("Teleconsultation")


class EncounterStatus(models.TextChoices):
    # A subset of FHIR Encounter.status: a visit is recorded once it has begun.
    IN_PROGRESS = "in_progress", _("In progress")
    FINISHED = "finished", _("Finished")
    CANCELLED = "cancelled", _("Cancelled")


class ParticipantRole(models.TextChoices):
    # FHIR (v3 ParticipationType) codes: PPRF, SPRF, ATND, CON.
    PRIMARY_PERFORMER = "primary_performer", _("Primary performer")
    SECONDARY_PERFORMER = "secondary_performer", _("Secondary performer")
    ATTENDER = "attender", _("Attender")
    CONSULTANT = "consultant", _("Consultant")


class Encounter(models.Model):
    """A visit of a patient at a facility (kunjungan). Cancelled with a reason, never deleted."""

    organization = models.ForeignKey("tenancy.Organization", on_delete=models.PROTECT, related_name="+")
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="encounters", verbose_name=_("patient"))
    facility = models.ForeignKey(
        "tenancy.Facility", on_delete=models.PROTECT, related_name="+", verbose_name=_("facility")
    )
    kind = models.CharField(_("kind of visit"), max_length=24, choices=EncounterKind.choices)
    status = models.CharField(
        _("status"), max_length=16, choices=EncounterStatus.choices, default=EncounterStatus.IN_PROGRESS
    )
    starts_at = models.DateTimeField(_("start of the visit"))
    ends_at = models.DateTimeField(_("end of the visit"), null=True, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    cancelled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    cancelled_at = models.DateTimeField(null=True, blank=True)
    cancel_reason = models.TextField(_("reason for cancelling"), blank=True)

    class Meta:
        verbose_name = _("encounter")
        verbose_name_plural = _("encounters")
        indexes = [models.Index(fields=["organization", "patient", "starts_at"], name="encounter_patient_time")]
        constraints = [
            models.CheckConstraint(condition=_in("kind", EncounterKind), name="encounter_kind_valid"),
            models.CheckConstraint(condition=_in("status", EncounterStatus), name="encounter_status_valid"),
            models.CheckConstraint(
                condition=Q(ends_at__isnull=True) | Q(ends_at__gte=F("starts_at")), name="encounter_ends_after_start"
            ),
            models.CheckConstraint(
                condition=~Q(status="finished") | Q(ends_at__isnull=False), name="encounter_finished_has_end"
            ),
            models.CheckConstraint(
                condition=~Q(status="in_progress") | Q(ends_at__isnull=True), name="encounter_in_progress_has_no_end"
            ),
            models.CheckConstraint(
                condition=~Q(status="cancelled") | (~Q(cancel_reason="") & Q(cancelled_at__isnull=False)),
                name="encounter_cancel_has_reason",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.starts_at:%Y-%m-%d}"


class EncounterParticipant(models.Model):
    """A professional who took part in an encounter, and for how long.

    The minutes feed the hours ledger of the workforce app (see encounters.services).
    """

    organization = models.ForeignKey("tenancy.Organization", on_delete=models.PROTECT, related_name="+")
    encounter = models.ForeignKey(Encounter, on_delete=models.PROTECT, related_name="participants")
    person = models.ForeignKey(
        "workforce.Person", on_delete=models.PROTECT, related_name="encounter_participations", verbose_name=_("person")
    )
    role = models.CharField(_("role in the encounter"), max_length=24, choices=ParticipantRole.choices)
    minutes = models.PositiveSmallIntegerField(_("minutes"))
    added_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    added_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("encounter participant")
        verbose_name_plural = _("encounter participants")
        constraints = [
            models.UniqueConstraint(fields=["encounter", "person"], name="participant_once_per_encounter"),
            models.CheckConstraint(condition=_in("role", ParticipantRole), name="participant_role_valid"),
            models.CheckConstraint(condition=Q(minutes__gt=0) & Q(minutes__lte=1440), name="participant_minutes_day"),
        ]

    def __str__(self) -> str:
        return f"{self.person_id} in {self.encounter_id} ({self.minutes} min)"


# --- Pain assessments ---------------------------------------------------------------


class AssessmentSource(models.TextChoices):
    # Who gave the answers: the clinician's rating, or the patient's own (a diary entry has a diary_link too).
    CLINICIAN = "clinician", _("Clinician")
    PATIENT = "patient", _("Patient")


class AssessmentStatus(models.TextChoices):
    CURRENT = "current", _("Current")
    AMENDED = "amended", _("Amended")
    ENTERED_IN_ERROR = "entered_in_error", _("Entered in error")


class PainCharacter(models.TextChoices):
    # IASP mechanistic descriptors.
    NOCICEPTIVE = "nociceptive", _("Nociceptive")
    NEUROPATHIC = "neuropathic", _("Neuropathic")
    NOCIPLASTIC = "nociplastic", _("Nociplastic")
    MIXED = "mixed", _("Mixed")


class BodyView(models.TextChoices):
    FRONT = "front", _("Front")
    BACK = "back", _("Back")


# The sides of the shared body-site vocabulary (nyeri/lib/bodysites.py).
Laterality = Side


class PainAssessment(models.Model):
    """One use of an instrument for a patient: answers, computed scores, body sites.

    Never edited in place: an amendment is a new row (``amends`` the earlier version, which
    becomes *amended*); a row recorded by mistake is marked *entered in error* and kept.
    Only the current versions make a patient's series.
    """

    organization = models.ForeignKey("tenancy.Organization", on_delete=models.PROTECT, related_name="+")
    # Indexed by ``assessment_patient_time`` (patient, recorded_at), which also serves the lookups by patient.
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="assessments", db_index=False)
    encounter = models.ForeignKey(
        Encounter, on_delete=models.PROTECT, null=True, blank=True, related_name="assessments"
    )
    # Where it was recorded: the encounter's facility, or the one chosen (the engine decides there).
    facility = models.ForeignKey("tenancy.Facility", on_delete=models.PROTECT, related_name="+")
    instrument_code = models.CharField(_("instrument"), max_length=40)
    instrument_version = models.CharField(_("instrument version"), max_length=20)
    # When the patient was assessed (an amendment keeps it unless it corrects it).
    recorded_at = models.DateTimeField(_("assessed at"))
    # Who entered this version (for an amendment: who amended), and when.
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    source = models.CharField(_("source"), max_length=16, choices=AssessmentSource.choices)
    status = models.CharField(
        _("status"), max_length=20, choices=AssessmentStatus.choices, default=AssessmentStatus.CURRENT
    )
    pain_character = models.CharField(_("pain character"), max_length=16, choices=PainCharacter.choices, blank=True)
    amends = models.OneToOneField("self", on_delete=models.PROTECT, null=True, blank=True, related_name="amended_by")
    # The first version of the chain (empty on the first version itself): the whole history
    # is read in one query instead of one per amendment.
    original = models.ForeignKey("self", on_delete=models.PROTECT, null=True, blank=True, related_name="later_versions")
    amendment_reason = models.TextField(_("reason for the amendment"), blank=True)
    entered_in_error_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    entered_in_error_at = models.DateTimeField(null=True, blank=True)
    entered_in_error_reason = models.TextField(_("reason"), blank=True)
    # A patient's own entry from a diary link (nyeri/clinical/diary): the link, and the key of
    # the submission, so that a resent submission is stored once.
    diary_link = models.ForeignKey("DiaryLink", on_delete=models.PROTECT, null=True, blank=True, related_name="entries")
    submission_key = models.CharField(_("submission key"), max_length=64, blank=True)

    class Meta:
        verbose_name = _("pain assessment")
        verbose_name_plural = _("pain assessments")
        indexes = [
            models.Index(
                fields=["organization", "patient", "status", "instrument_code", "recorded_at"],
                name="assessment_series",
            ),
            # Replaces the foreign key's bare patient index (the lookups by patient use this one):
            # PostgreSQL's planner preferred that small index for the outcomes cohort's follow-up
            # windows and read every rating of each patient, instead of a range of
            # ``assessment_series`` (docs/outcomes.md, "How it is computed").
            models.Index(fields=["patient", "recorded_at"], name="assessment_patient_time"),
        ]
        constraints = [
            models.CheckConstraint(condition=_in("source", AssessmentSource), name="assessment_source_valid"),
            models.CheckConstraint(condition=_in("status", AssessmentStatus), name="assessment_status_valid"),
            models.CheckConstraint(
                condition=Q(pain_character="") | _in("pain_character", PainCharacter),
                name="assessment_pain_character_valid",
            ),
            # An amendment says why; an original has no reason to give.
            models.CheckConstraint(
                condition=(Q(amends__isnull=True) & Q(amendment_reason=""))
                | (Q(amends__isnull=False) & ~Q(amendment_reason="")),
                name="assessment_amendment_has_reason",
            ),
            models.CheckConstraint(
                condition=Q(amends__isnull=True, original__isnull=True)
                | Q(amends__isnull=False, original__isnull=False),
                name="assessment_amendment_has_original",
            ),
            models.CheckConstraint(
                condition=~Q(status="entered_in_error")
                | (~Q(entered_in_error_reason="") & Q(entered_in_error_at__isnull=False)),
                name="assessment_error_has_reason",
            ),
            # A diary entry is the patient's own, and carries the key of its submission.
            models.CheckConstraint(
                condition=Q(diary_link__isnull=True, submission_key="")
                | (Q(diary_link__isnull=False, source="patient") & ~Q(submission_key="")),
                name="assessment_diary_entry_is_patients",
            ),
            # A submission sent again (double tap, reload, network retry) is stored once.
            models.UniqueConstraint(
                fields=["diary_link", "submission_key"],
                condition=Q(diary_link__isnull=False),
                name="assessment_diary_submission_once",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.instrument_code}@{self.instrument_version} {self.recorded_at:%Y-%m-%d %H:%M}"


class AssessmentAnswer(models.Model):
    """The answer to one item of the instrument (a whole number in the item's range)."""

    organization = models.ForeignKey("tenancy.Organization", on_delete=models.PROTECT, related_name="+")
    assessment = models.ForeignKey(PainAssessment, on_delete=models.PROTECT, related_name="answers")
    item_code = models.CharField(_("item"), max_length=40)
    value = models.SmallIntegerField(_("answer"))

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["assessment", "item_code"], name="answer_once_per_item"),
        ]

    def __str__(self) -> str:
        return f"{self.item_code}={self.value}"


class AssessmentScore(models.Model):
    """A score the platform computed from the answers (never typed in), with its band."""

    organization = models.ForeignKey("tenancy.Organization", on_delete=models.PROTECT, related_name="+")
    assessment = models.ForeignKey(PainAssessment, on_delete=models.PROTECT, related_name="scores")
    score_code = models.CharField(_("score"), max_length=40)
    value = models.DecimalField(_("value"), max_digits=7, decimal_places=2)
    band_code = models.CharField(_("band"), max_length=40, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["assessment", "score_code"], name="score_once_per_assessment"),
        ]

    def __str__(self) -> str:
        return f"{self.score_code}={self.value}"


class AssessmentBodySite(models.Model):
    """A painful body site, a site of the body map (nyeri/lib/bodysites.toml, the sites with views)."""

    organization = models.ForeignKey("tenancy.Organization", on_delete=models.PROTECT, related_name="+")
    assessment = models.ForeignKey(PainAssessment, on_delete=models.PROTECT, related_name="body_sites")
    region = models.CharField(_("body region"), max_length=40)
    view = models.CharField(_("view"), max_length=8, choices=BodyView.choices)
    laterality = models.CharField(_("side"), max_length=12, choices=Laterality.choices)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["assessment", "region", "view"], name="body_site_once_per_view"),
            models.CheckConstraint(condition=_in("view", BodyView), name="body_site_view_valid"),
            models.CheckConstraint(condition=_in("laterality", Laterality), name="body_site_laterality_valid"),
        ]

    def __str__(self) -> str:
        return f"{self.region} ({self.view}, {self.laterality})"


# --- Patient diary ------------------------------------------------------------------


class DiaryLinkState(models.TextChoices):
    # Derived from the dates (a link expires by itself), never stored.
    ACTIVE = "active", _("Active")
    EXPIRED = "expired", _("Expired")
    REVOKED = "revoked", _("Revoked")


class DiaryLink(models.Model):
    """A private link through which a patient records their own pain diary (catatan harian nyeri).

    Issued by a clinician who may record assessments at ``facility``; it expires by itself
    and can be revoked, never deleted. Only the SHA-256 digest of the link's secret is
    stored (the link is shown once, when issued), with a short public ``token_prefix`` to
    find the row. See docs/diary.md.
    """

    organization = models.ForeignKey("tenancy.Organization", on_delete=models.PROTECT, related_name="+")
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="diary_links")
    # Where the entries are recorded (the engine allowed the issuer to record assessments there).
    facility = models.ForeignKey(
        "tenancy.Facility", on_delete=models.PROTECT, related_name="+", verbose_name=_("facility")
    )
    issued_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    issued_at = models.DateTimeField(_("issued at"))
    expires_at = models.DateTimeField(_("expires at"))
    token_prefix = models.CharField(max_length=16, unique=True)
    token_digest = models.CharField(max_length=64)
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    revoke_reason = models.TextField(_("reason for revoking"), blank=True)

    class Meta:
        verbose_name = _("diary link")
        verbose_name_plural = _("diary links")
        indexes = [models.Index(fields=["organization", "patient", "issued_at"], name="diary_link_patient")]
        constraints = [
            models.CheckConstraint(condition=Q(expires_at__gt=F("issued_at")), name="diary_link_expires_after_issue"),
            models.CheckConstraint(
                condition=Q(revoked_at__isnull=True, revoked_by__isnull=True, revoke_reason="")
                | Q(revoked_at__isnull=False, revoked_by__isnull=False),
                name="diary_link_revoked_by_someone",
            ),
        ]

    def __str__(self) -> str:
        return f"diary link {self.pk} ({self.token_prefix})"

    def state(self, now: datetime) -> DiaryLinkState:
        if self.revoked_at is not None:
            return DiaryLinkState.REVOKED
        if self.expires_at <= now:
            return DiaryLinkState.EXPIRED
        return DiaryLinkState.ACTIVE


# --- Consent ------------------------------------------------------------------------


class ConsentKind(models.TextChoices):
    # What the patient agreed to (docs/clinical.md, "Consent").
    TREATMENT = "treatment", _("Treatment at the pain clinic")
    PROCEDURE = "procedure", _("Procedure (informed consent)")
    DATA_PROCESSING = "data_processing", _("Processing of personal health data")
    DIARY_CONTACT = "diary_contact", _("Contact for the pain diary")
    RESEARCH = "research", _("Research")


class ConsentStatus(models.TextChoices):
    GIVEN = "given", _("Given")
    WITHDRAWN = "withdrawn", _("Withdrawn")


class ConsentMethod(models.TextChoices):
    # How the consent was given.
    SIGNED_FORM = "signed_form", _("Signed form")
    VERBAL_WITNESSED = "verbal_witnessed", _("Verbal, witnessed")
    ELECTRONIC = "electronic", _("Electronic")


class PatientConsent(models.Model):
    """A patient's consent (persetujuan), as given; never deleted, never edited.

    The one change a row knows is its withdrawal: *given* becomes *withdrawn* with who, when
    and why (``withdraw_consent``). Consenting again after a withdrawal is a new row. A
    patient has at most one consent *given* per kind at a time, except procedures: each
    named procedure (``scope_note``) has its own informed consent. In PostgreSQL a trigger
    (migration 0005) refuses DELETE and any UPDATE other than that withdrawal.
    """

    organization = models.ForeignKey("tenancy.Organization", on_delete=models.PROTECT, related_name="+")
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="consents", verbose_name=_("patient"))
    kind = models.CharField(_("consent to"), max_length=24, choices=ConsentKind.choices)
    # For a procedure: the procedure consented to (its name, side, level); a note otherwise.
    scope_note = models.TextField(_("scope of the consent"), blank=True)
    status = models.CharField(_("status"), max_length=12, choices=ConsentStatus.choices, default=ConsentStatus.GIVEN)
    given_at = models.DateTimeField(_("given at"))
    how = models.CharField(_("how it was given"), max_length=20, choices=ConsentMethod.choices)
    witness = models.CharField(_("witness"), max_length=200, blank=True)
    facility = models.ForeignKey(
        "tenancy.Facility", on_delete=models.PROTECT, related_name="+", verbose_name=_("facility")
    )
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    withdrawn_at = models.DateTimeField(_("withdrawn at"), null=True, blank=True)
    withdrawn_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    withdrawal_reason = models.TextField(_("reason for the withdrawal"), blank=True)

    class Meta:
        verbose_name = _("consent")
        verbose_name_plural = _("consents")
        indexes = [models.Index(fields=["organization", "patient", "given_at"], name="consent_patient_time")]
        constraints = [
            models.CheckConstraint(condition=_in("kind", ConsentKind), name="consent_kind_valid"),
            models.CheckConstraint(condition=_in("status", ConsentStatus), name="consent_status_valid"),
            models.CheckConstraint(condition=_in("how", ConsentMethod), name="consent_how_valid"),
            # A verbal consent counts only with its witness.
            models.CheckConstraint(
                condition=~Q(how="verbal_witnessed") | ~Q(witness=""), name="consent_verbal_has_witness"
            ),
            # Informed consent is for a named procedure.
            models.CheckConstraint(condition=~Q(kind="procedure") | ~Q(scope_note=""), name="consent_procedure_named"),
            # Withdrawn if and only if who, when and why are recorded.
            models.CheckConstraint(
                condition=Q(status="given", withdrawn_at__isnull=True, withdrawn_by__isnull=True, withdrawal_reason="")
                | (
                    Q(status="withdrawn", withdrawn_at__isnull=False, withdrawn_by__isnull=False)
                    & ~Q(withdrawal_reason="")
                ),
                name="consent_withdrawal_complete",
            ),
            models.CheckConstraint(
                condition=Q(withdrawn_at__isnull=True) | Q(withdrawn_at__gte=F("given_at")),
                name="consent_withdrawn_after_given",
            ),
            # One consent given per kind at a time (procedures: one per procedure, so any number).
            models.UniqueConstraint(
                fields=["organization", "patient", "kind"],
                condition=Q(status="given") & ~Q(kind="procedure"),
                name="consent_given_once_per_kind",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.status} {self.given_at:%Y-%m-%d}"
