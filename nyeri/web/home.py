"""The role home: the panels of work a user's roles have at one facility.

Each panel is one line below: the owning app's selector (``home_panel(scope, facility)``,
returning ``nyeri.lib.panels.Panel`` or ``None`` when the user's roles have no such work)
and the small template that shows it. A new panel is one more line. Each selector runs a
fixed number of queries, whatever the number of rows it counts.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from nyeri.appointments import selectors as appointments_selectors
from nyeri.audit import selectors as audit_selectors
from nyeri.clinical.breakglass import selectors as breakglass_selectors
from nyeri.clinical.diary import selectors as diary_selectors
from nyeri.jobs import selectors as jobs_selectors
from nyeri.lib.panels import Panel
from nyeri.onboarding import selectors as onboarding_selectors
from nyeri.procedures import selectors as procedure_selectors
from nyeri.register import selectors as register_selectors
from nyeri.staffing import selectors as staffing_selectors
from nyeri.tenancy.models import Facility
from nyeri.tenancy.scope import Scope
from nyeri.workforce.credentials import selectors as credential_selectors


@dataclass(frozen=True)
class PanelSource:
    template: str
    # A ``Panel`` of counts, or a richer object its own template knows (today's appointments).
    read: Callable[[Scope, Facility], Panel | object | None]


# In the order they are shown: the clinic's day first, then the back office.
PANELS: tuple[PanelSource, ...] = (
    PanelSource("appointments/_home_panel.html", appointments_selectors.home_panel),
    PanelSource("clinical/panels/diary.html", diary_selectors.home_panel),
    PanelSource("web/panels/counts.html", procedure_selectors.home_panel),
    PanelSource("register/panels/register.html", register_selectors.home_panel),
    PanelSource("web/panels/counts.html", credential_selectors.home_panel),
    PanelSource("staffing/panels/gaps.html", staffing_selectors.home_panel),
    PanelSource("web/panels/counts.html", jobs_selectors.home_panel),
    PanelSource("web/panels/counts.html", breakglass_selectors.home_panel),
    PanelSource("web/panels/counts.html", audit_selectors.home_panel),
    PanelSource("web/panels/counts.html", onboarding_selectors.home_panel),
)


@dataclass(frozen=True)
class ShownPanel:
    template: str
    panel: Panel | object


def home_panels(scope: Scope, facility: Facility) -> list[ShownPanel]:
    shown = []
    for source in PANELS:
        panel = source.read(scope, facility)
        if panel is not None:
            shown.append(ShownPanel(source.template, panel))
    return shown
