"""Candidates: people looking for a job, with what they declare about themselves.

Nothing here is verified: a candidate's credentials, experience and hours are their own
declarations (``verified`` is always false, a database constraint says so). Verification is
the credentialing queue's business once a candidate is hired. A candidate's data is theirs
alone: no organization sees it (applications, next, will share it with one employer).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from nyeri.tenancy.roles import Role
from nyeri.workforce.kinds import CheckKind, CredentialKind, EmployerKind, Specialty


class CandidateProfile(models.Model):
    """A self-registered candidate: a User with no Membership, and these details."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="candidate_profile")
    email_confirmed_at = models.DateTimeField(_("e-mail confirmed at"), null=True, blank=True)
    phone = models.CharField(_("phone"), max_length=32, blank=True)
    city = models.CharField(_("city"), max_length=100, blank=True)
    # Where they would like to work: the jurisdiction's pack and a regency (for the SIP).
    jurisdiction = models.CharField(_("jurisdiction"), max_length=8, default="ID")
    preferred_regency_code = models.CharField(_("preferred regency code"), max_length=16, blank=True)
    preferred_regency = models.CharField(_("preferred regency or city"), max_length=100, blank=True)
    about = models.TextField(_("about me"), blank=True, max_length=2000)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("candidate")
        verbose_name_plural = _("candidates")

    def __str__(self) -> str:
        return str(self.user)


class CandidateTargetRole(models.Model):
    candidate = models.ForeignKey(CandidateProfile, on_delete=models.CASCADE, related_name="target_roles")
    role = models.CharField(_("role"), max_length=32, choices=Role.choices)

    class Meta:
        verbose_name = _("target role")
        verbose_name_plural = _("target roles")
        constraints = [models.UniqueConstraint(fields=["candidate", "role"], name="candidate_target_role_unique")]

    def __str__(self) -> str:
        return self.role


class CandidateCredential(models.Model):
    """A credential or work experience the candidate declares: never verified here.

    The fields are the workforce Credential's, so that the requirements engine evaluates
    them unchanged (as if what is declared were true).
    """

    candidate = models.ForeignKey(CandidateProfile, on_delete=models.CASCADE, related_name="credentials")
    kind = models.CharField(_("kind"), max_length=32, choices=CredentialKind.choices)
    specialty = models.CharField(_("specialty"), max_length=32, choices=Specialty.choices, blank=True)
    number = models.CharField(_("number"), max_length=100, blank=True)
    issuer = models.CharField(_("issuer"), max_length=200, blank=True)
    issuer_regency_code = models.CharField(_("issuing regency code"), max_length=16, blank=True)
    issued_on = models.DateField(_("issued on"))
    expires_on = models.DateField(_("expires on"), null=True, blank=True)
    hours = models.DecimalField(_("hours"), max_digits=7, decimal_places=1, null=True, blank=True)
    exam_passed_on = models.DateField(_("exam passed on"), null=True, blank=True)
    check_kind = models.CharField(_("check kind"), max_length=32, choices=CheckKind.choices, blank=True)
    employer_kind = models.CharField(_("employer kind"), max_length=32, choices=EmployerKind.choices, blank=True)
    employer_name = models.CharField(_("employer"), max_length=200, blank=True)
    months = models.PositiveIntegerField(_("months"), null=True, blank=True)
    # Always false: a declaration. Kept as a column so that every read says so explicitly.
    verified = models.BooleanField(_("verified"), default=False, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("declared credential")
        verbose_name_plural = _("declared credentials")
        constraints = [
            models.CheckConstraint(condition=Q(verified=False), name="candidate_credential_never_verified"),
            models.CheckConstraint(
                condition=Q(expires_on__isnull=True) | Q(expires_on__gte=models.F("issued_on")),
                name="candidate_credential_expiry_after_issue",
            ),
            models.CheckConstraint(
                condition=~Q(kind=CredentialKind.WORK_EXPERIENCE) | (Q(months__gt=0) & ~Q(employer_kind="")),
                name="candidate_experience_has_months_and_employer",
            ),
            models.CheckConstraint(
                condition=~Q(kind=CredentialKind.PAIN_TRAINING) | Q(hours__gt=0),
                name="candidate_training_has_hours",
            ),
        ]
        indexes = [models.Index(fields=["candidate", "kind"])]

    def __str__(self) -> str:
        return f"{self.kind} ({self.issued_on})"


class CandidateHours(models.Model):
    """Hours with pain-clinic patients the candidate declares, for one month (its first day)."""

    candidate = models.ForeignKey(CandidateProfile, on_delete=models.CASCADE, related_name="hours")
    month = models.DateField(_("month"))
    hours = models.DecimalField(_("hours"), max_digits=6, decimal_places=1)
    where = models.CharField(_("where"), max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("declared hours")
        verbose_name_plural = _("declared hours")
        constraints = [
            models.CheckConstraint(condition=Q(hours__gt=0) & Q(hours__lte=744), name="candidate_hours_in_range"),
            models.UniqueConstraint(fields=["candidate", "month"], name="candidate_hours_one_per_month"),
        ]

    def __str__(self) -> str:
        return f"{self.month:%Y-%m}: {self.hours}"


class CandidateEvidence(models.Model):
    """A file the candidate attaches to a declared credential: a scan of the STR, SIP, certificate...

    Kept in private storage like staff evidence, under ``candidate-evidence/<candidate id>/``.
    Attaching a file verifies nothing: it is part of the declaration, checked by the
    credentialing queue once the candidate is hired. Withdrawing the declaration removes its
    files (rows by cascade, files from disk after the commit, by the service).
    """

    candidate = models.ForeignKey(CandidateProfile, on_delete=models.CASCADE, related_name="evidence")
    credential = models.ForeignKey(CandidateCredential, on_delete=models.CASCADE, related_name="evidence")
    storage_name = models.CharField(max_length=200, unique=True)
    original_name = models.CharField(_("file name"), max_length=200)
    content_type = models.CharField(max_length=50)
    size = models.PositiveIntegerField()
    sha256 = models.CharField(max_length=64)
    uploaded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("evidence file")
        verbose_name_plural = _("evidence files")
        constraints = [
            models.CheckConstraint(
                condition=Q(content_type__in=["application/pdf", "image/png", "image/jpeg"]),
                name="candidate_evidence_type_allowed",
            )
        ]

    def __str__(self) -> str:
        return self.original_name
