from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from nyeri.tenancy.roles import Role
from nyeri.workforce.kinds import (
    CheckKind,
    CheckResult,
    Citizenship,
    CredentialKind,
    CredentialStatus,
    EmployerKind,
    HoursSource,
    HoursStatus,
    PrivilegeGrantStatus,
    PrivilegeRequestStatus,
    RecredentialingOutcome,
    Specialty,
)


def _in(field: str, choices: type[models.TextChoices]) -> Q:
    return Q(**{f"{field}__in": [c.value for c in choices]})


class Person(models.Model):
    """A professional of the organization, with or without a user account."""

    organization = models.ForeignKey("tenancy.Organization", on_delete=models.PROTECT, related_name="people")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="people"
    )
    full_name = models.CharField(_("full name"), max_length=200)
    citizenship = models.CharField(_("citizenship"), max_length=16, choices=Citizenship.choices)
    # The national identity number (NIK), how imports and invitations recognise a person.
    nik = models.CharField(_("NIK"), max_length=16, blank=True)
    email = models.EmailField(_("e-mail"), blank=True)
    phone = models.CharField(_("phone"), max_length=40, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("person")
        verbose_name_plural = _("people")
        ordering = ["full_name"]
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "user"], condition=Q(user__isnull=False), name="person_user_unique_per_org"
            ),
            models.UniqueConstraint(
                fields=["organization", "nik"], condition=~Q(nik=""), name="person_nik_unique_per_org"
            ),
            models.CheckConstraint(condition=_in("citizenship", Citizenship), name="person_citizenship_valid"),
        ]

    def __str__(self) -> str:
        return self.full_name


class PersonRole(models.Model):
    """A professional role the person holds (from the role catalogue)."""

    organization = models.ForeignKey("tenancy.Organization", on_delete=models.PROTECT, related_name="+")
    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="roles")
    role = models.CharField(_("role"), max_length=40, choices=Role.choices)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["person", "role"], name="person_role_unique"),
            models.CheckConstraint(condition=_in("role", Role), name="person_role_valid"),
        ]

    def __str__(self) -> str:
        return self.role


class PersonFacility(models.Model):
    """A facility the person works at (a person may work at several)."""

    organization = models.ForeignKey("tenancy.Organization", on_delete=models.PROTECT, related_name="+")
    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="facility_links")
    facility = models.ForeignKey("tenancy.Facility", on_delete=models.PROTECT, related_name="person_links")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["person", "facility"], name="person_facility_unique")]

    def __str__(self) -> str:
        return f"{self.person_id} @ {self.facility_id}"


class Credential(models.Model):
    """One credential of a person: typed by ``kind``; each kind's own fields are columns.

    The database holds each kind's invariants (a SIP names its facility and issuing
    regency, a background check its kind, result and validity, ...). Credentials are not
    edited after submission: a correction is a new submission, and status changes are
    audited.
    """

    # The document's own data, every field a submission may carry besides person and kind,
    # in the order forms and lists show them (the submission's fields, the API's columns).
    DATA_FIELDS = (
        "number",
        "issuer",
        "issued_on",
        "expires_on",
        "title",
        "specialty",
        "facility",
        "issuer_regency_code",
        "exam_passed_on",
        "hours",
        "check_kind",
        "check_result",
        "valid_months",
        "employer_kind",
        "months",
    )

    organization = models.ForeignKey("tenancy.Organization", on_delete=models.PROTECT, related_name="+")
    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="credentials")
    kind = models.CharField(_("kind"), max_length=40, choices=CredentialKind.choices)
    status = models.CharField(
        _("status"), max_length=16, choices=CredentialStatus.choices, default=CredentialStatus.SUBMITTED
    )
    number = models.CharField(_("number"), max_length=100, blank=True)
    issuer = models.CharField(_("issuer"), max_length=200)
    issued_on = models.DateField(_("issued on"))
    # Inclusive last day of validity; empty means it does not expire (e.g. an STR of a citizen).
    expires_on = models.DateField(_("expires on"), null=True, blank=True)
    title = models.CharField(_("title"), max_length=200, blank=True)

    # Residency, fellowship, board certification.
    specialty = models.CharField(_("specialty"), max_length=40, choices=Specialty.choices, blank=True)
    # Practice permit (SIP): the practice place and the regency/city that issued it.
    facility = models.ForeignKey(
        "tenancy.Facility",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("facility"),
    )
    issuer_regency_code = models.CharField(_("issuing regency code"), max_length=16, blank=True)
    # Pain nursing certification: the exam.
    exam_passed_on = models.DateField(_("exam passed on"), null=True, blank=True)
    # Pain-specific training: hours of the course.
    hours = models.DecimalField(_("hours"), max_digits=7, decimal_places=2, null=True, blank=True)
    # Background check.
    check_kind = models.CharField(_("check kind"), max_length=32, choices=CheckKind.choices, blank=True)
    check_result = models.CharField(_("check result"), max_length=16, choices=CheckResult.choices, blank=True)
    valid_months = models.PositiveSmallIntegerField(_("valid for (months)"), null=True, blank=True)
    # Prior work experience.
    employer_kind = models.CharField(_("employer kind"), max_length=32, choices=EmployerKind.choices, blank=True)
    months = models.PositiveSmallIntegerField(_("months"), null=True, blank=True)

    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    submitted_at = models.DateTimeField(auto_now_add=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_reason = models.TextField(_("reason"), blank=True)
    # A revocation is recorded beside the verification, not over it: who verified the
    # credential (and why) stays readable after it is revoked.
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    revoked_at = models.DateTimeField(null=True, blank=True)
    revocation_reason = models.TextField(_("reason for revocation"), blank=True)

    class Meta:
        verbose_name = _("credential")
        verbose_name_plural = _("credentials")
        indexes = [
            models.Index(fields=["organization", "status", "kind"], name="credential_org_status_kind"),
            models.Index(fields=["organization", "expires_on"], name="credential_org_expiry"),
        ]
        constraints = [
            models.CheckConstraint(condition=_in("kind", CredentialKind), name="credential_kind_valid"),
            models.CheckConstraint(condition=_in("status", CredentialStatus), name="credential_status_valid"),
            models.CheckConstraint(
                condition=Q(expires_on__isnull=True) | Q(expires_on__gte=F("issued_on")),
                name="credential_expiry_not_before_issue",
            ),
            models.CheckConstraint(
                condition=~Q(kind__in=["residency", "fellowship", "board_certification"]) | ~Q(specialty=""),
                name="credential_specialty_required",
            ),
            models.CheckConstraint(
                condition=~Q(kind="practice_permit") | (Q(facility__isnull=False) & ~Q(issuer_regency_code="")),
                name="credential_permit_has_place",
            ),
            models.CheckConstraint(
                condition=~Q(kind="pain_nursing_certification") | Q(exam_passed_on__isnull=False),
                name="credential_certification_has_exam",
            ),
            models.CheckConstraint(
                condition=~Q(kind="pain_training") | Q(hours__gt=0), name="credential_training_has_hours"
            ),
            models.CheckConstraint(
                condition=~Q(kind="background_check")
                | (~Q(check_kind="") & ~Q(check_result="") & Q(valid_months__gt=0)),
                name="credential_check_complete",
            ),
            models.CheckConstraint(
                condition=~Q(kind="work_experience") | (~Q(employer_kind="") & Q(months__gt=0)),
                name="credential_experience_complete",
            ),
            # Two people grant a controlled-substance authorisation: who enters it cannot approve it.
            models.CheckConstraint(
                condition=~Q(kind="controlled_authorisation")
                | Q(decided_by__isnull=True)
                | Q(submitted_by__isnull=True)
                | ~Q(decided_by=F("submitted_by")),
                name="credential_controlled_two_people",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.number}".strip()


class CredentialEvidence(models.Model):
    """A file proving a credential, kept in private storage (never under a public URL)."""

    organization = models.ForeignKey("tenancy.Organization", on_delete=models.PROTECT, related_name="+")
    credential = models.ForeignKey(Credential, on_delete=models.PROTECT, related_name="evidence")
    storage_name = models.CharField(max_length=200, unique=True)
    original_name = models.CharField(_("file name"), max_length=200)
    content_type = models.CharField(max_length=50)
    size = models.PositiveIntegerField()
    sha256 = models.CharField(max_length=64)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    uploaded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(content_type__in=["application/pdf", "image/png", "image/jpeg"]),
                name="evidence_type_allowed",
            )
        ]

    def __str__(self) -> str:
        return self.original_name


class HoursEntry(models.Model):
    """Hours with pain-clinic patients, from an encounter or entered by hand and verified."""

    organization = models.ForeignKey("tenancy.Organization", on_delete=models.PROTECT, related_name="+")
    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="hours")
    facility = models.ForeignKey("tenancy.Facility", on_delete=models.PROTECT, related_name="+")
    worked_on = models.DateField(_("date"))
    hours = models.DecimalField(_("hours"), max_digits=5, decimal_places=2)
    source = models.CharField(_("source"), max_length=16, choices=HoursSource.choices)
    status = models.CharField(_("status"), max_length=16, choices=HoursStatus.choices)
    # The encounter that produced these hours (set by the clinical app).
    encounter_id = models.BigIntegerField(null=True, blank=True)
    note = models.CharField(_("note"), max_length=300, blank=True)
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    entered_at = models.DateTimeField(auto_now_add=True)
    # Who verified or rejected the entry, when, and why (for a rejection).
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_reason = models.TextField(_("reason"), blank=True)

    class Meta:
        verbose_name = _("hours entry")
        verbose_name_plural = _("hours entries")
        indexes = [models.Index(fields=["person", "status", "worked_on"], name="hours_person_status_date")]
        constraints = [
            models.CheckConstraint(condition=Q(hours__gt=0) & Q(hours__lte=24), name="hours_within_a_day"),
            models.CheckConstraint(condition=_in("source", HoursSource), name="hours_source_valid"),
            models.CheckConstraint(condition=_in("status", HoursStatus), name="hours_status_valid"),
            models.CheckConstraint(
                condition=~Q(source="encounter") | Q(encounter_id__isnull=False), name="hours_encounter_linked"
            ),
            # Everyone who took part in an encounter is credited once for it.
            models.UniqueConstraint(
                fields=["encounter_id", "person"],
                condition=Q(encounter_id__isnull=False),
                name="hours_once_per_encounter_and_person",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.person_id} {self.worked_on} {self.hours}h"


class SourceVerification(models.Model):
    """How a credential was checked at its source, and by whom: one per verified credential.

    The source and method are codes of the jurisdiction's verification data
    (``nyeri/workforce/credentials/sources/<JURISDICTION>.toml``). A verification stands on
    evidence: a file (kept in private storage like the credential's own evidence) or a
    written attestation of what the verifier saw. Credentials verified before sources were
    recorded carry a row marked ``before_source_recording`` (written by the migration that
    introduced this table), saying honestly that nothing is known of how they were checked.
    """

    organization = models.ForeignKey("tenancy.Organization", on_delete=models.PROTECT, related_name="+")
    credential = models.OneToOneField(Credential, on_delete=models.PROTECT, related_name="source_verification")
    source = models.CharField(_("source"), max_length=64, blank=True)
    method = models.CharField(_("method"), max_length=32, blank=True)
    reference = models.CharField(_("reference"), max_length=200, blank=True)
    checked_on = models.DateField(_("checked on"), null=True, blank=True)
    attestation = models.TextField(_("attestation"), blank=True)
    evidence = models.OneToOneField(
        CredentialEvidence, on_delete=models.PROTECT, null=True, blank=True, related_name="verification"
    )
    # When the credential must be checked at its source again (policy data), if ever.
    reverify_by = models.DateField(_("re-verify by"), null=True, blank=True)
    before_source_recording = models.BooleanField(_("verified before source recording"), default=False)
    verified_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("verification at the source")
        indexes = [models.Index(fields=["organization", "reverify_by"], name="verification_org_reverify")]
        constraints = [
            # A verification recorded now names its source, method and date and stands on a
            # file or an attestation; only the migrated rows lack them, and say so.
            models.CheckConstraint(
                condition=Q(before_source_recording=True)
                | (
                    ~Q(source="")
                    & ~Q(method="")
                    & Q(checked_on__isnull=False)
                    & Q(verified_by__isnull=False)
                    & (Q(evidence__isnull=False) | ~Q(attestation=""))
                ),
                name="verification_at_source_complete",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.credential_id}: {self.source} / {self.method}"


class SkpActivity(models.Model):
    """One continuing-education activity (SKP) of a professional: category, credits, date, evidence.

    The categories (ranah) are the policy's (``nyeri/workforce/skp/policy/<JURISDICTION>.toml``).
    Hours of verified pain-clinic care are not copied here: the ledger's selector adds
    them to the service category when it counts.
    """

    organization = models.ForeignKey("tenancy.Organization", on_delete=models.PROTECT, related_name="+")
    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="skp_activities")
    category = models.CharField(_("category"), max_length=32)
    title = models.CharField(_("activity"), max_length=200)
    provider = models.CharField(_("organiser"), max_length=200, blank=True)
    credits = models.DecimalField(_("credits"), max_digits=6, decimal_places=2)
    done_on = models.DateField(_("date"))
    # The evidence: a certificate number (the national SKP platform's) or a file, or both.
    certificate_number = models.CharField(_("certificate number"), max_length=100, blank=True)
    evidence_storage_name = models.CharField(max_length=200, blank=True)
    evidence_name = models.CharField(_("file name"), max_length=200, blank=True)
    evidence_content_type = models.CharField(max_length=50, blank=True)
    evidence_sha256 = models.CharField(max_length=64, blank=True)
    evidence_size = models.PositiveIntegerField(null=True, blank=True)
    entered_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    entered_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("SKP activity")
        verbose_name_plural = _("SKP activities")
        ordering = ["-done_on", "-pk"]
        indexes = [models.Index(fields=["person", "done_on"], name="skp_person_date")]
        constraints = [
            models.CheckConstraint(condition=Q(credits__gt=0), name="skp_credits_positive"),
            models.CheckConstraint(
                condition=~Q(certificate_number="") | ~Q(evidence_storage_name=""), name="skp_has_evidence"
            ),
            models.CheckConstraint(
                condition=Q(evidence_storage_name="")
                | Q(evidence_content_type__in=["application/pdf", "image/png", "image/jpeg"]),
                name="skp_evidence_type_allowed",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.person_id} {self.done_on} {self.category} {self.credits}"

    @property
    def storage_name(self) -> str:
        return self.evidence_storage_name

    @property
    def original_name(self) -> str:
        return self.evidence_name

    @property
    def content_type(self) -> str:
        return self.evidence_content_type


class SkpSetting(models.Model):
    """The organization's own value for an SKP figure the policy leaves to the facility: the
    total of one of the policy's ``totals`` (``code`` is the total's code) or the hours of care
    per credit (``code`` ``service_hours_per_credit``). Set by an administrator, audited; the
    pages show a value set here as the facility's setting, never as a regulation."""

    organization = models.ForeignKey("tenancy.Organization", on_delete=models.PROTECT, related_name="+")
    code = models.CharField(_("setting"), max_length=40)
    value = models.DecimalField(_("value"), max_digits=8, decimal_places=2)
    set_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    set_at = models.DateTimeField()

    class Meta:
        verbose_name = _("SKP setting")
        verbose_name_plural = _("SKP settings")
        constraints = [
            models.UniqueConstraint(fields=["organization", "code"], name="skp_setting_unique_per_org"),
            models.CheckConstraint(condition=Q(value__gt=0), name="skp_setting_value_positive"),
            models.CheckConstraint(condition=~Q(code=""), name="skp_setting_code_required"),
        ]

    def __str__(self) -> str:
        return f"{self.organization_id} {self.code}={self.value}"


# --- Clinical privileges (docs/privileges.md) ---------------------------------------------


class FacilityPrivilege(models.Model):
    """A privilege of the catalogue that this facility requires: from ``required_since`` the
    engine refuses its actions there to anyone without a current grant."""

    organization = models.ForeignKey("tenancy.Organization", on_delete=models.PROTECT, related_name="+")
    facility = models.ForeignKey("tenancy.Facility", on_delete=models.PROTECT, related_name="+")
    privilege = models.CharField(_("privilege"), max_length=60)
    required_since = models.DateTimeField(_("required since"))
    added_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["facility", "privilege"], name="facility_privilege_unique")]

    def __str__(self) -> str:
        return f"{self.privilege} at facility {self.facility_id}"


class PrivilegeRequest(models.Model):
    """A person's request for one clinical privilege at one facility, and the committee's
    recommendation on it (written once: a new request, not an edit, asks again)."""

    organization = models.ForeignKey("tenancy.Organization", on_delete=models.PROTECT, related_name="+")
    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="privilege_requests")
    facility = models.ForeignKey("tenancy.Facility", on_delete=models.PROTECT, related_name="+")
    privilege = models.CharField(_("privilege"), max_length=60)
    catalogue_version = models.CharField(max_length=30)
    status = models.CharField(
        _("status"), max_length=20, choices=PrivilegeRequestStatus.choices, default=PrivilegeRequestStatus.REQUESTED
    )
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    requested_at = models.DateTimeField(_("requested at"))
    # What the engine relied on when the prerequisites were checked (for the file and the RKK).
    prerequisites = models.JSONField(default=list)
    recommended_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    recommended_at = models.DateTimeField(_("reviewed at"), null=True, blank=True)
    committee_reasons = models.TextField(_("committee's reasons"), blank=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=_in("status", PrivilegeRequestStatus), name="privilege_request_status_valid"
            ),
            # Reviewed requests name who reviewed them, when, and why.
            models.CheckConstraint(
                condition=Q(status=PrivilegeRequestStatus.REQUESTED)
                | (Q(recommended_by__isnull=False) & Q(recommended_at__isnull=False) & ~Q(committee_reasons="")),
                name="privilege_request_review_complete",
            ),
        ]
        indexes = [models.Index(fields=["organization", "status"], name="privilege_request_status_idx")]

    def __str__(self) -> str:
        return f"{self.privilege} for person {self.person_id}"


class PrivilegeGrant(models.Model):
    """The director's grant of a privilege (the SPK) for a period, from a recommended request or
    from a re-credentialing decision that renewed or restricted an earlier grant."""

    organization = models.ForeignKey("tenancy.Organization", on_delete=models.PROTECT, related_name="+")
    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="privilege_grants")
    facility = models.ForeignKey("tenancy.Facility", on_delete=models.PROTECT, related_name="+")
    privilege = models.CharField(_("privilege"), max_length=60)
    request = models.ForeignKey(PrivilegeRequest, on_delete=models.PROTECT, related_name="grants")
    renews = models.ForeignKey("self", on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    number = models.CharField(_("letter number"), max_length=40, unique=True)
    starts_on = models.DateField(_("valid from"))
    # The last valid day (inclusive, the facility's day), as a SIP's "berlaku sampai dengan".
    ends_on = models.DateField(_("valid until"))
    # The day the committee must have re-credentialed the holder by.
    recredential_on = models.DateField(_("re-credentialing due"))
    # Focused review: the first N cases under this grant need a proctor's sign-off.
    fppe_cases = models.PositiveIntegerField(_("proctored cases"))
    restriction = models.TextField(_("restriction"), blank=True)
    status = models.CharField(
        _("status"), max_length=20, choices=PrivilegeGrantStatus.choices, default=PrivilegeGrantStatus.ACTIVE
    )
    granted_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    granted_at = models.DateTimeField(_("granted at"))

    class Meta:
        constraints = [
            models.CheckConstraint(condition=_in("status", PrivilegeGrantStatus), name="privilege_grant_status_valid"),
            models.CheckConstraint(condition=Q(ends_on__gte=F("starts_on")), name="privilege_grant_period_valid"),
            models.CheckConstraint(
                condition=Q(recredential_on__lte=F("ends_on")), name="privilege_grant_recredential_in_period"
            ),
        ]
        indexes = [models.Index(fields=["person", "privilege"], name="privilege_grant_person_idx")]

    def __str__(self) -> str:
        return self.number


class ProctoredCase(models.Model):
    """A case done under focused review (FPPE): the procedure, and the proctor's sign-off."""

    organization = models.ForeignKey("tenancy.Organization", on_delete=models.PROTECT, related_name="+")
    grant = models.ForeignKey(PrivilegeGrant, on_delete=models.PROTECT, related_name="cases")
    facility = models.ForeignKey("tenancy.Facility", on_delete=models.PROTECT, related_name="+")
    # The procedure record of nyeri.procedures (no foreign key: the workforce app depends on no
    # clinical app) and its patient, for the audit trail.
    procedure_id = models.BigIntegerField()
    patient_id = models.BigIntegerField()
    performer = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="+")
    performed_at = models.DateTimeField(_("performed at"))
    proctor = models.ForeignKey(Person, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    signed_off_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    signed_off_at = models.DateTimeField(_("signed off at"), null=True, blank=True)
    note = models.TextField(_("proctor's note"), blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["grant", "procedure_id"], name="proctored_case_once"),
            models.CheckConstraint(
                condition=Q(proctor__isnull=True) | ~Q(proctor=F("performer")), name="proctor_not_performer"
            ),
            models.CheckConstraint(
                condition=Q(proctor__isnull=True, signed_off_at__isnull=True, signed_off_by__isnull=True)
                | Q(proctor__isnull=False, signed_off_at__isnull=False, signed_off_by__isnull=False),
                name="proctored_case_sign_off_complete",
            ),
        ]

    def __str__(self) -> str:
        return f"procedure {self.procedure_id} under {self.grant_id}"


class RecredentialingDecision(models.Model):
    """The committee's re-credentialing decision on a grant: renew, restrict or withdraw."""

    organization = models.ForeignKey("tenancy.Organization", on_delete=models.PROTECT, related_name="+")
    grant = models.ForeignKey(PrivilegeGrant, on_delete=models.PROTECT, related_name="recredentialings")
    outcome = models.CharField(_("decision"), max_length=10, choices=RecredentialingOutcome.choices)
    reasons = models.TextField(_("reasons"))
    # The grant that follows a renewal or a restriction.
    next_grant = models.ForeignKey(PrivilegeGrant, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    decided_at = models.DateTimeField(_("decided at"))

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=_in("outcome", RecredentialingOutcome), name="recredentialing_outcome_valid"
            ),
            models.CheckConstraint(condition=~Q(reasons=""), name="recredentialing_reasons_given"),
            models.CheckConstraint(
                condition=Q(outcome=RecredentialingOutcome.WITHDRAW, next_grant__isnull=True)
                | (~Q(outcome=RecredentialingOutcome.WITHDRAW) & Q(next_grant__isnull=False)),
                name="recredentialing_next_grant",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.outcome} {self.grant_id}"
