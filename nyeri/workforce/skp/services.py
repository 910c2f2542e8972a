"""SKP writes: recording a continuing-education activity in a professional's ledger; the
organization's own SKP figures where the policy leaves them to the facility."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from decimal import Decimal, InvalidOperation
from functools import partial
from typing import Any

from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from nyeri.accounts.models import User
from nyeri.audit.models import AuditAction
from nyeri.audit.services import record_event
from nyeri.lib.services import Errors, add_error, check_acting_user
from nyeri.tenancy.clock import local_date
from nyeri.tenancy.refusals import refuse, write_transaction
from nyeri.tenancy.roles import Role
from nyeri.tenancy.scope import Scope
from nyeri.workforce.credentials import evidence as evidence_files
from nyeri.workforce.credentials.services import SUBMITTER_ROLES, may_submit_for
from nyeri.workforce.models import Person, SkpActivity, SkpSetting
from nyeri.workforce.skp.policy import HOURS_SETTING, skp_policy
from nyeri.workforce.skp.selectors import current_periods

TITLE_MAX = 200
MAX_CREDITS = Decimal("9999.99")


def _folder(scope: Scope) -> str:
    return f"skp-evidence/{scope.organization.pk}"


def _credits(value: Any, add: Any, field: str = "credits") -> Decimal | None:
    """A positive amount with two decimals at most (credits, or hours per credit), or None
    with the error added under ``field``."""
    if value is None or value == "":
        add(field, _("Enter the credits.") if field == "credits" else _("Enter a number."))
        return None
    try:
        credits = Decimal(str(value))
    except InvalidOperation:
        add(field, _("Enter a number."))
        return None
    if not credits.is_finite() or credits <= 0:
        add(field, _("Must be more than zero."))
        return None
    if credits > MAX_CREDITS or credits != credits.quantize(Decimal("0.01")):
        add(field, _("At most %(max)s, with two decimals at most.") % {"max": MAX_CREDITS})
        return None
    return credits


def record_activity(
    *,
    scope: Scope,
    acting_user: User,
    person: Person,
    category: str,
    title: str,
    credits: Any,
    done_on: date | None,
    provider: str = "",
    certificate_number: str = "",
    evidence: UploadedFile | None = None,
) -> SkpActivity:
    """Record one activity in ``person``'s SKP ledger, with its evidence.

    Who: the person, or a credentialing officer or administrator (refused otherwise,
    audited). Refused as bad input (ValidationError naming each field, nothing written):
    a category the policy does not define, no title, credits not above zero, a date in the
    future or outside the period of the person's current SIP (or no current SIP at all),
    and neither a certificate number nor an evidence file (PDF, PNG or JPEG).
    """
    check_acting_user(scope, acting_user)
    if person.organization_id != scope.organization.pk:
        raise Http404("No such person")
    errors: Errors = {}
    add = partial(add_error, errors)

    written: list[str] = []
    try:
        with write_transaction():
            if not may_submit_for(scope, person):
                refuse(
                    scope,
                    audit_reason=(
                        f"record SKP activity for person {person.pk}: "
                        f"not the person, no role {', '.join(SUBMITTER_ROLES)}"
                    ),
                    reasons=[
                        _(
                            "You may record only your own continuing-education activities, "
                            "unless you are a credentialing officer or administrator."
                        )
                    ],
                    object_type="skp_activity",
                    itemize=False,
                )
            policy = skp_policy(scope.organization.jurisdiction)
            if policy is None:
                raise ValidationError(
                    {"category": [_("Your organization's jurisdiction keeps no continuing-education (SKP) policy.")]}
                )
            if policy.category(category) is None:
                add("category", _("Unknown category: “%(category)s”.") % {"category": category})
            text = (title or "").strip()
            if not text:
                add("title", _("Name the activity."))
            elif len(text) > TITLE_MAX:
                add("title", _("At most %(max)d characters.") % {"max": TITLE_MAX})
            amount = _credits(credits, add)
            period = current_periods(scope.organization, [person.pk]).get(person.pk)
            if done_on is None:
                add("done_on", _("Enter the date of the activity."))
            elif period is None:
                add(
                    "done_on",
                    _("%(person)s has no current practice permit (SIP): credits count toward a SIP's renewal.")
                    % {"person": person.full_name},
                )
            elif done_on > local_date(period.permit.facility):
                add("done_on", _("The activity cannot be dated in the future."))
            elif not period.start <= done_on <= period.end:
                add(
                    "done_on",
                    _("Outside the period of the current SIP, %(start)s to %(end)s.")
                    % {"start": period.start.isoformat(), "end": period.end.isoformat()},
                )
            number = (certificate_number or "").strip()
            if len(number) > 100:
                add("certificate_number", _("At most %(max)d characters.") % {"max": 100})
            checked = None
            if evidence is not None:
                try:
                    checked = evidence_files.check_upload(evidence)
                except ValidationError as exc:
                    errors.setdefault("evidence", []).extend(exc.messages)
            elif not number:
                add("evidence", _("Give the certificate number or attach the certificate."))
            if len((provider or "").strip()) > TITLE_MAX:
                add("provider", _("At most %(max)d characters.") % {"max": TITLE_MAX})
            if errors:
                raise ValidationError(errors)
            assert amount is not None
            assert done_on is not None
            activity = SkpActivity(
                organization=scope.organization,
                person=person,
                category=category,
                title=text,
                provider=(provider or "").strip(),
                credits=amount,
                done_on=done_on,
                certificate_number=number,
                entered_by=acting_user,
            )
            if checked is not None:
                stored = evidence_files.store(checked, folder=_folder(scope))
                written.append(stored.storage_name)
                activity.evidence_storage_name = stored.storage_name
                activity.evidence_name = checked.original_name
                activity.evidence_content_type = checked.content_type
                activity.evidence_sha256 = stored.sha256
                activity.evidence_size = stored.size
            activity.save(force_insert=True)
            record_event(
                actor=acting_user,
                action=AuditAction.CREATE,
                organization=scope.organization,
                object_type="skp_activity",
                object_id=activity.pk,
                reason=(
                    f"person {person.pk}; {category}; {amount} SKP on {done_on.isoformat()}; "
                    f"{'file sha256 ' + activity.evidence_sha256 if checked else 'certificate ' + number}"
                ),
            )
            return activity
    except BaseException:
        evidence_files.discard(written)
        raise


def set_skp_settings(*, scope: Scope, acting_user: User, values: Mapping[str, Any]) -> list[SkpSetting]:
    """Set the organization's own SKP figures: for each code of ``values`` (a total's code of
    the policy, or ``service_hours_per_credit``), a number above zero sets the facility's value
    and an empty one (None or "") returns to the policy data's. An administrator's decision
    (anyone else refused, audited); each change has its audit row (``skp_setting``: create,
    or update, naming the value before and after and the policy's own figure). Refused
    as bad input (ValidationError naming each code, nothing written): an unknown code, a value
    that is not a number above zero with two decimals at most. Returns the settings now held."""
    check_acting_user(scope, acting_user)
    errors: Errors = {}
    add = partial(add_error, errors)
    with write_transaction():
        if not scope.has_role(Role.ADMINISTRATOR):
            refuse(
                scope,
                audit_reason="set SKP settings: no role administrator",
                reasons=[_("Only an administrator sets the organization's SKP figures.")],
                object_type="skp_setting",
                itemize=False,
            )
        policy = skp_policy(scope.organization.jurisdiction)
        if policy is None:
            raise ValidationError(
                {"__all__": [_("Your organization's jurisdiction keeps no continuing-education (SKP) policy.")]}
            )
        known = policy.setting_codes()
        wanted: dict[str, Decimal | None] = {}
        for code, raw in values.items():
            if code not in known:
                add(code, _("Unknown SKP setting: “%(code)s”.") % {"code": code})
            elif raw is None or str(raw).strip() == "":
                wanted[code] = None
            elif (amount := _credits(raw, add, code)) is not None:
                wanted[code] = amount
        if errors:
            raise ValidationError(errors)
        held = {row.code: row for row in SkpSetting.objects.select_for_update().filter(organization=scope.organization)}
        defaults = {t.code: t.credits for t in policy.totals} | {HOURS_SETTING: policy.service_hours_per_credit}
        now = timezone.now()
        for code, amount in wanted.items():
            row = held.get(code)
            before = row.value if row is not None else None
            if amount == before:
                continue
            if amount is None:
                assert row is not None
                row.delete()
                del held[code]
                action = AuditAction.UPDATE  # back to the policy data's figure
            elif row is None:
                row = held[code] = SkpSetting.objects.create(
                    organization=scope.organization, code=code, value=amount, set_by=acting_user, set_at=now
                )
                action = AuditAction.CREATE
            else:
                row.value, row.set_by, row.set_at = amount, acting_user, now
                row.save(update_fields=["value", "set_by", "set_at"])
                action = AuditAction.UPDATE
            record_event(
                actor=acting_user,
                action=action,
                organization=scope.organization,
                object_type="skp_setting",
                object_id=code,
                reason=(
                    f"{code}: {before if before is not None else 'policy'} -> "
                    f"{amount if amount is not None else 'policy'} (facility setting; the policy data's "
                    f"{defaults[code]}, {policy.jurisdiction}@{policy.version})"
                ),
            )
        return sorted(held.values(), key=lambda r: known.index(r.code))
