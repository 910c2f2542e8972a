"""The choices of the imaging app: modalities (and their equipment), order and referral statuses."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class Modality(models.TextChoices):
    XRAY = "xray", _("X-ray")
    FLUOROSCOPY = "fluoroscopy", _("Fluoroscopy")
    ULTRASOUND = "ultrasound", _("Ultrasound")
    CT = "ct", _("CT")
    MRI = "mri", _("MRI")


# The facilities app's equipment kind for each modality (docs/facilities.md).
MODALITY_EQUIPMENT: dict[str, str] = {
    Modality.XRAY: "xray",
    Modality.FLUOROSCOPY: "c_arm",
    Modality.ULTRASOUND: "ultrasound",
    Modality.CT: "ct",
    Modality.MRI: "mri",
}


class OrderStatus(models.TextChoices):
    ORDERED = "ordered", _("Ordered")
    REFERRED = "referred", _("Referred")
    DONE = "done", _("Done")
    CANCELLED = "cancelled", _("Cancelled")


class ReferralStatus(models.TextChoices):
    SENT = "sent", _("Sent")
    ACCEPTED = "accepted", _("Accepted")
    DECLINED = "declined", _("Declined")
    DONE = "done", _("Done")


# The only moves the services make.
ORDER_TRANSITIONS: dict[str, frozenset[str]] = {
    OrderStatus.ORDERED: frozenset({OrderStatus.REFERRED, OrderStatus.DONE, OrderStatus.CANCELLED}),
    # A declined referral puts the order back to ordered (refer elsewhere, or cancel).
    OrderStatus.REFERRED: frozenset({OrderStatus.ORDERED, OrderStatus.DONE}),
    OrderStatus.DONE: frozenset(),
    OrderStatus.CANCELLED: frozenset(),
}
REFERRAL_TRANSITIONS: dict[str, frozenset[str]] = {
    ReferralStatus.SENT: frozenset({ReferralStatus.ACCEPTED, ReferralStatus.DECLINED}),
    ReferralStatus.ACCEPTED: frozenset({ReferralStatus.DONE}),
    ReferralStatus.DECLINED: frozenset(),
    ReferralStatus.DONE: frozenset(),
}
OPEN_REFERRAL = (ReferralStatus.SENT, ReferralStatus.ACCEPTED)


class RevisionKind(models.TextChoices):
    """What a later version of a result is (the first is the result as recorded or returned)."""

    AMENDMENT = "amendment", _("Amendment")
    ENTERED_IN_ERROR = "entered_in_error", _("Entered in error")
