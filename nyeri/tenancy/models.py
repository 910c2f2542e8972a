from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from nyeri.tenancy.roles import Role


class OrganizationKind(models.TextChoices):
    HOSPITAL = "hospital", _("Hospital")
    CLINIC_OPERATOR = "clinic_operator", _("Clinic operator")


class FacilityKind(models.TextChoices):
    HOSPITAL_PAIN_UNIT = "hospital_pain_unit", _("Hospital pain unit")
    PAIN_CLINIC = "pain_clinic", _("Stand-alone pain clinic")


class Organization(models.Model):
    """A hospital or a clinic operator: the tenant. Every tenant row points here."""

    Kind = OrganizationKind

    name = models.CharField(_("name"), max_length=200)
    slug = models.SlugField(_("short name"), max_length=60, unique=True)
    kind = models.CharField(_("kind"), max_length=32, choices=OrganizationKind.choices)
    # The jurisdiction whose policy pack applies (ISO 3166-1 alpha-2; "ID" is Indonesia).
    jurisdiction = models.CharField(_("jurisdiction"), max_length=8, default="ID")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("organization")
        verbose_name_plural = _("organizations")
        constraints = [
            models.CheckConstraint(
                condition=Q(kind__in=[k.value for k in OrganizationKind]), name="organization_kind_valid"
            ),
        ]

    def __str__(self) -> str:
        return self.name


class Facility(models.Model):
    """A place where pain care is given: a hospital pain unit or a stand-alone clinic.

    Its region (province, regency or city) decides which authority licenses the people
    who practise here.
    """

    Kind = FacilityKind

    organization = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="facilities")
    name = models.CharField(_("name"), max_length=200)
    code = models.SlugField(_("code"), max_length=40)
    kind = models.CharField(_("kind"), max_length=32, choices=FacilityKind.choices)
    province = models.CharField(_("province"), max_length=100)
    regency = models.CharField(_("regency or city"), max_length=100)
    # Kemendagri administrative code of the regency/city, e.g. "32.73" for Kota Bandung.
    regency_code = models.CharField(_("regency code"), max_length=16)
    address = models.CharField(_("address"), max_length=300, blank=True)
    phone = models.CharField(_("phone"), max_length=40, blank=True)
    # The IANA time zone the facility's local times are in (defaulted from its province).
    time_zone = models.CharField(_("time zone"), max_length=64, default="Asia/Jakarta")
    # The clinical privileges this facility requires (codes of the jurisdiction's catalogue,
    # docs/privileges.md): read with the facility, so that deciding an action costs no query
    # more where none is required. Written only by nyeri.workforce.privileges.services.
    required_privileges = models.JSONField(_("required clinical privileges"), default=list, blank=True)
    # A deactivated facility is not offered for new work; its records stay (never deleted).
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("facility")
        verbose_name_plural = _("facilities")
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["organization", "code"], name="facility_code_unique_per_org"),
            models.CheckConstraint(condition=Q(kind__in=[k.value for k in FacilityKind]), name="facility_kind_valid"),
            models.CheckConstraint(condition=~Q(time_zone=""), name="facility_time_zone_required"),
            models.CheckConstraint(condition=~Q(name=""), name="facility_name_required"),
        ]

    def __str__(self) -> str:
        return self.name


class Membership(models.Model):
    """A user's place in an organization: their roles and, optionally, their facilities.

    A membership without facilities covers every facility of the organization.
    """

    organization = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="memberships")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="memberships")
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    facilities: models.ManyToManyField[Facility, MembershipFacility] = models.ManyToManyField(
        Facility, through="MembershipFacility", related_name="+", blank=True
    )

    class Meta:
        verbose_name = _("membership")
        verbose_name_plural = _("memberships")
        constraints = [
            models.UniqueConstraint(fields=["organization", "user"], name="membership_unique_per_org"),
        ]

    def __str__(self) -> str:
        return f"{self.user} @ {self.organization}"


class MembershipRole(models.Model):
    organization = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="+")
    membership = models.ForeignKey(Membership, on_delete=models.CASCADE, related_name="roles")
    role = models.CharField(_("role"), max_length=40, choices=Role.choices)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["membership", "role"], name="membership_role_unique"),
            models.CheckConstraint(condition=Q(role__in=[r.value for r in Role]), name="membership_role_valid"),
        ]

    def __str__(self) -> str:
        return self.role


class MembershipFacility(models.Model):
    organization = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="+")
    membership = models.ForeignKey(Membership, on_delete=models.CASCADE, related_name="facility_links")
    facility = models.ForeignKey(Facility, on_delete=models.PROTECT, related_name="membership_links")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["membership", "facility"], name="membership_facility_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.membership_id} @ {self.facility_id}"


class SetupCode(models.Model):
    """A one-time code that lets the first person set up an installation in the browser.

    Only its SHA-256 digest is stored; the code itself is written to the server's log. It
    works until it is used or expires, and only while no organization exists.
    """

    digest = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.CheckConstraint(condition=Q(expires_at__gt=models.F("created_at")), name="setup_code_expires_later"),
        ]

    def __str__(self) -> str:
        return f"setup code {self.digest[:8]}"
