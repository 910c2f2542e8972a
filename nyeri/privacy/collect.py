"""Rows as export sections: every concrete field of each row, named for machines (JSON) and
labelled for people (PDF) in the active language.

Generic on purpose: the tables that hold a person's data are found through Django's model
meta (as the patient merge finds them), so a table added later is exported without a change
here. Secrets (password hashes, token digests, storage paths) are never exported.
"""

from __future__ import annotations

import datetime
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db import models

# Fields that hold secrets or internal storage names, never personal data worth a copy.
SECRET_PARTS = ("password", "digest", "secret", "token", "storage_name", "key_hash")


@dataclass(frozen=True)
class Section:
    key: str
    title: str
    labels: dict[str, str]
    choices: dict[str, dict[Any, str]] = field(default_factory=dict)
    rows: list[dict[str, Any]] = field(default_factory=list)

    def shown(self, row: dict[str, Any]) -> list[tuple[str, str]]:
        """(label, value) pairs of ``row`` for the PDF, a choice shown by its label."""
        return [(self.labels.get(name, name), _shown(self._label(name, value))) for name, value in row.items()]

    def _label(self, name: str, value: Any) -> Any:
        # Only a stored code has a label (a JSON column's list or dict has none).
        if name in self.choices and isinstance(value, str | int):
            return self.choices[name].get(value, value)
        return value


def _shown(value: Any) -> str:
    if value is None or value == "":
        return "-"
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value)


def exported_fields(model: type[models.Model]) -> list[models.Field[Any, Any]]:
    return [
        f
        for f in model._meta.concrete_fields
        if not any(part in f.name for part in SECRET_PARTS) and not isinstance(f, models.BinaryField)
    ]


def plain(value: Any) -> Any:
    """``value`` as JSON can hold it."""
    if isinstance(value, datetime.datetime | datetime.date | datetime.time):
        return value.isoformat()
    if isinstance(value, Decimal | uuid.UUID):
        return str(value)
    if isinstance(value, models.fields.files.FieldFile):
        return value.name or ""
    return value


def section(model: type[models.Model], rows: Iterable[models.Model], *, key: str = "", title: str = "") -> Section:
    fields = exported_fields(model)
    out = Section(
        key=key or model._meta.label_lower,
        title=title or str(model._meta.verbose_name_plural).capitalize(),
        labels={f.attname: str(f.verbose_name) for f in fields},
        choices={f.attname: {k: str(v) for k, v in f.flatchoices} for f in fields if f.choices},
    )
    for row in rows:
        # Codes as stored (for machines); the PDF shows the choices' labels.
        out.rows.append({f.attname: plain(getattr(row, f.attname)) for f in fields})
    return out


def reverse_relations(
    model: type[models.Model], *, apps: Sequence[str] | None = None, skip: Sequence[type[models.Model]] = ()
) -> list[tuple[type[models.Model], models.ForeignKey[Any, Any]]]:
    """(model, foreign key) of every table pointing at ``model`` (of ``apps`` if given)."""
    found = []
    for relation in model._meta.get_fields(include_hidden=True):
        if not (relation.auto_created and not relation.concrete and (relation.one_to_many or relation.one_to_one)):
            continue
        related = relation.related_model
        if not (isinstance(related, type) and issubclass(related, models.Model)) or related in skip:
            continue
        if apps is not None and related._meta.app_label not in apps:
            continue
        fk = relation.field  # type: ignore[union-attr]
        if isinstance(fk, models.ForeignKey):
            found.append((related, fk))
    return found


def related_sections(
    owner: type[models.Model],
    owner_ids: Sequence[Any],
    *,
    apps: Sequence[str] | None = None,
    skip: Sequence[type[models.Model]] = (),
    depth: int = 2,
) -> list[Section]:
    """Sections of the rows pointing at ``owner_ids`` and, ``depth`` levels down, at those rows.

    One query per table, whatever the number of rows.
    """
    sections: list[Section] = []
    if not owner_ids or depth <= 0:
        return sections
    for model, fk in reverse_relations(owner, apps=apps, skip=skip):
        rows = list(model._default_manager.filter(**{f"{fk.attname}__in": list(owner_ids)}).order_by("pk"))
        if not rows:
            continue
        sections.append(section(model, rows))
        sections.extend(related_sections(model, [r.pk for r in rows], apps=apps, skip=(*skip, owner), depth=depth - 1))
    return sections
