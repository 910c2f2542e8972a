"""Job postings and their requirements, written in the requirements engine's language.

- ``JobPosting``: one open position of a facility (role, title, description, employment
  kind, FTE, optional salary range in IDR) with its status (open, closed, filled). Its
  ``status`` only changes through ``services`` (``close_posting``, ``mark_filled``), each
  audited. A posting made from a staffing-plan gap keeps where it came from in plain
  fields (``gap_rule_code``, ``gap_rules_label``, ``gap_fte``...), not in a JSON blob.
- ``JobRequirement``: one requirement row of a posting, ``position``-ordered. Its ``kind``
  says which engine concept it names:

  * ``action``: "may do ``code`` at this facility" — a policy-pack action (e.g.
    ``operate_equipment:xray``), evaluated by the engine with the posting's facility as the
    place (licence valid in the facility's region, role, credentials...);
  * ``certification``: a policy-pack certification ``code`` (e.g. ``pain_nursing``);
  * ``credential``: a verified credential of ``credential_kind`` (optionally ``specialty``);
  * ``experience``: at least ``months`` of verified prior work (credential kind
    ``work_experience``) at one of the employer kinds flagged ``at_hospital``,
    ``at_general_clinic``, ``at_pain_clinic``.

  ``importance`` is ``required`` or ``preferred`` (a preferred row never makes a candidate
  ineligible). ``JobRequirement.engine_requirements(pack)`` returns the engine's
  requirement objects for the row.

Constraints hold every invariant in the database as well as in the services.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from nyeri.tenancy.roles import Role
from nyeri.workforce.kinds import CredentialKind, Specialty


def _in(field: str, choices: type[models.TextChoices], *, blank: bool = False) -> Q:
    q = Q(**{f"{field}__in": [c.value for c in choices]})
    return q | Q(**{field: ""}) if blank else q


class PostingStatus(models.TextChoices):
    # Not yet on the public board: a person writes its description and publishes it.
    DRAFT = "draft", _("Draft")
    OPEN = "open", _("Open")
    CLOSED = "closed", _("Closed")
    FILLED = "filled", _("Filled")


class EmploymentKind(models.TextChoices):
    PERMANENT = "permanent", _("Permanent")
    CONTRACT = "contract", _("Fixed-term contract")
    PART_TIME = "part_time", _("Part-time")
    LOCUM = "locum", _("Locum")


class PostingSource(models.TextChoices):
    MANUAL = "manual", _("Created by hand")
    GAP = "gap", _("Created from a staffing-plan gap")


class RequirementKind(models.TextChoices):
    ACTION = "action", _("May do an action at this facility")
    CERTIFICATION = "certification", _("Certification")
    CREDENTIAL = "credential", _("Credential")
    EXPERIENCE = "experience", _("Work experience")


class Importance(models.TextChoices):
    REQUIRED = "required", _("Required")
    PREFERRED = "preferred", _("Preferred")


SALARY_CURRENCY = "IDR"


class JobPosting(models.Model):
    """An open (or closed, or filled) position at one facility of an organization."""

    organization = models.ForeignKey("tenancy.Organization", on_delete=models.PROTECT, related_name="+")
    facility = models.ForeignKey("tenancy.Facility", on_delete=models.PROTECT, related_name="job_postings")
    role = models.CharField(_("role"), max_length=40, choices=Role.choices)
    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    employment_kind = models.CharField(_("employment kind"), max_length=20, choices=EmploymentKind.choices)
    fte = models.DecimalField(_("full-time equivalent"), max_digits=4, decimal_places=2)
    # What candidates read: whole people, and the hours each works in a week.
    headcount = models.PositiveSmallIntegerField(_("people to hire"), default=1)
    hours_per_week = models.PositiveSmallIntegerField(_("hours per week"), default=40)
    salary_min = models.PositiveBigIntegerField(_("salary from (IDR a month)"), null=True, blank=True)
    salary_max = models.PositiveBigIntegerField(_("salary up to (IDR a month)"), null=True, blank=True)
    salary_currency = models.CharField(_("currency"), max_length=3, default=SALARY_CURRENCY, editable=False)
    status = models.CharField(_("status"), max_length=10, choices=PostingStatus.choices, default=PostingStatus.OPEN)
    opened_on = models.DateField(_("opened on"))
    closed_on = models.DateField(_("closed on"), null=True, blank=True)
    # Where it came from: by hand, or a gap of the staffing plan (the rule that produced it).
    source = models.CharField(_("source"), max_length=10, choices=PostingSource.choices, default=PostingSource.MANUAL)
    gap_rule_code = models.CharField(_("staffing rule"), max_length=60, blank=True)
    gap_rules_label = models.CharField(_("staffing rules version"), max_length=60, blank=True)
    gap_required_fte = models.DecimalField(max_digits=6, decimal_places=2, null=True, blank=True)
    gap_current_fte = models.DecimalField(max_digits=6, decimal_places=2, null=True, blank=True)
    gap_fte = models.DecimalField(_("gap (FTE)"), max_digits=6, decimal_places=2, null=True, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("job posting")
        verbose_name_plural = _("job postings")
        ordering = ["-opened_on", "-pk"]
        indexes = [
            # The public board: open postings, newest first, filtered by role.
            models.Index(fields=["status", "-opened_on", "-id"], name="jobposting_board"),
            models.Index(fields=["status", "role", "-opened_on"], name="jobposting_board_role"),
            models.Index(fields=["organization", "status"], name="jobposting_org_status"),
        ]
        constraints = [
            models.CheckConstraint(condition=_in("role", Role), name="jobposting_role_valid"),
            models.CheckConstraint(condition=_in("status", PostingStatus), name="jobposting_status_valid"),
            models.CheckConstraint(condition=_in("employment_kind", EmploymentKind), name="jobposting_kind_valid"),
            models.CheckConstraint(condition=_in("source", PostingSource), name="jobposting_source_valid"),
            models.CheckConstraint(condition=~Q(title=""), name="jobposting_title_required"),
            models.CheckConstraint(
                condition=Q(headcount__gte=1, headcount__lte=100), name="jobposting_headcount_range"
            ),
            models.CheckConstraint(
                condition=Q(hours_per_week__gte=1, hours_per_week__lte=60), name="jobposting_hours_range"
            ),
            models.CheckConstraint(condition=Q(fte__gt=0) & Q(fte__lte=10), name="jobposting_fte_range"),
            models.CheckConstraint(
                condition=(Q(salary_min__isnull=True) & Q(salary_max__isnull=True))
                | (Q(salary_min__isnull=False) & Q(salary_max__isnull=False) & Q(salary_min__lte=F("salary_max"))),
                name="jobposting_salary_pair",
            ),
            models.CheckConstraint(condition=Q(salary_currency=SALARY_CURRENCY), name="jobposting_currency_idr"),
            models.CheckConstraint(
                condition=(Q(status__in=[PostingStatus.OPEN, PostingStatus.DRAFT]) & Q(closed_on__isnull=True))
                | (
                    Q(status__in=[PostingStatus.CLOSED, PostingStatus.FILLED])
                    & Q(closed_on__isnull=False)
                    & Q(closed_on__gte=F("opened_on"))
                ),
                name="jobposting_closed_on_matches_status",
            ),
            models.CheckConstraint(
                condition=Q(source=PostingSource.MANUAL, gap_rule_code="", gap_fte__isnull=True)
                | Q(source=PostingSource.GAP, gap_fte__gt=0),
                name="jobposting_gap_fields_match_source",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def has_salary(self) -> bool:
        return self.salary_min is not None and self.salary_max is not None


class JobRequirement(models.Model):
    """One requirement of a posting, naming what the requirements engine evaluates."""

    organization = models.ForeignKey("tenancy.Organization", on_delete=models.PROTECT, related_name="+")
    posting = models.ForeignKey(JobPosting, on_delete=models.CASCADE, related_name="requirements")
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    kind = models.CharField(_("kind"), max_length=20, choices=RequirementKind.choices)
    importance = models.CharField(
        _("importance"), max_length=10, choices=Importance.choices, default=Importance.REQUIRED
    )
    # kind=action: a policy-pack action code; kind=certification: a certification code.
    code = models.CharField(_("code"), max_length=80, blank=True)
    # kind=credential.
    credential_kind = models.CharField(_("credential"), max_length=40, choices=CredentialKind.choices, blank=True)
    specialty = models.CharField(_("specialty"), max_length=40, choices=Specialty.choices, blank=True)
    # kind=experience: months of prior work at one of the flagged employer kinds.
    months = models.PositiveSmallIntegerField(_("months"), null=True, blank=True)
    at_hospital = models.BooleanField(_("at a hospital"), default=False)
    at_general_clinic = models.BooleanField(_("at a general clinic"), default=False)
    at_pain_clinic = models.BooleanField(_("at a pain clinic"), default=False)

    class Meta:
        verbose_name = _("job requirement")
        verbose_name_plural = _("job requirements")
        ordering = ["position", "pk"]
        constraints = [
            models.CheckConstraint(condition=_in("kind", RequirementKind), name="jobrequirement_kind_valid"),
            models.CheckConstraint(condition=_in("importance", Importance), name="jobrequirement_importance_valid"),
            models.CheckConstraint(
                condition=_in("credential_kind", CredentialKind, blank=True), name="jobrequirement_credential_valid"
            ),
            models.CheckConstraint(
                condition=_in("specialty", Specialty, blank=True), name="jobrequirement_specialty_valid"
            ),
            models.CheckConstraint(
                condition=(
                    Q(kind__in=[RequirementKind.ACTION, RequirementKind.CERTIFICATION])
                    & ~Q(code="")
                    & Q(credential_kind="", specialty="", months__isnull=True)
                    & Q(at_hospital=False, at_general_clinic=False, at_pain_clinic=False)
                )
                | (
                    Q(kind=RequirementKind.CREDENTIAL)
                    & ~Q(credential_kind="")
                    & Q(code="", months__isnull=True)
                    & Q(at_hospital=False, at_general_clinic=False, at_pain_clinic=False)
                )
                | (
                    Q(kind=RequirementKind.EXPERIENCE)
                    & Q(months__gt=0)
                    & Q(code="", credential_kind="", specialty="")
                    & (Q(at_hospital=True) | Q(at_general_clinic=True) | Q(at_pain_clinic=True))
                ),
                name="jobrequirement_fields_match_kind",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind}:{self.code or self.credential_kind or self.months}"

    @property
    def employer_kinds(self) -> tuple[str, ...]:
        flags = (("hospital", self.at_hospital), ("general_clinic", self.at_general_clinic))
        return tuple(k for k, on in (*flags, ("pain_clinic", self.at_pain_clinic)) if on)
