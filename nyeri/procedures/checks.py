"""A system check: the procedure catalogue loads (a bad file stops a deploy, not a request).

Loading also checks the catalogue against the body map and the policy packs (see
``catalogue.schema``).
"""

from __future__ import annotations

from typing import Any

from django.core.checks import CheckMessage, Error, register

from nyeri.clinical.instruments.body_map import BodyMapError
from nyeri.procedures.catalogue import CatalogueError, catalogue
from nyeri.workforce.policy.loader import PolicyPackError


@register()
def procedure_catalogue_valid(app_configs: Any, **kwargs: Any) -> list[CheckMessage]:
    try:
        catalogue()
    except CatalogueError as exc:
        return [Error(str(exc), id="nyeri.procedures.E001")]
    except (BodyMapError, PolicyPackError):
        return []  # the clinical and workforce apps' own checks report a bad body map or pack
    return []
