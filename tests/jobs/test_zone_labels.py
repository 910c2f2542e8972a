"""The network view belongs to no facility: its time is the installation's, with the label (issue 18)."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from nyeri.accounts.models import User
from nyeri.tenancy.models import Facility
from tests.facilities.conftest import client_of


def test_the_network_view_gives_its_time_in_the_installations_zone_with_its_label(
    admin: User, facility: Facility
) -> None:
    Facility.objects.filter(pk=facility.pk).update(time_zone="Asia/Jayapura")
    response = client_of(admin).get("/jobs/network/")
    at = response.context["network"].at.astimezone(ZoneInfo("Asia/Jakarta"))
    assert f"{at:%H:%M} WIB." in response.content.decode()
