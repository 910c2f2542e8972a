"""A system check: the procedure catalogue loads (a bad file stops a deploy, not a request).

Loading also checks the catalogue against the body-site vocabulary and the policy packs (see
``catalogue.schema``).
"""

from __future__ import annotations

from typing import Any

from django.core.checks import CheckMessage, Error, register

from nyeri.lib.bodysites import BodySitesError
from nyeri.procedures.catalogue import CatalogueError, catalogue
from nyeri.workforce.policy.loader import PolicyPackError


@register()
def procedure_catalogue_valid(app_configs: Any, **kwargs: Any) -> list[CheckMessage]:
    try:
        catalogue()
    except CatalogueError as exc:
        return [Error(str(exc), id="nyeri.procedures.E001")]
    except (BodySitesError, PolicyPackError):
        return []  # the clinical and workforce apps' own checks report a bad body-site vocabulary or pack
    return []
