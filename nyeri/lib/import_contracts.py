"""An import-linter contract type for Nyeri's app boundaries (run by ``make lint``).

``app_boundaries`` holds two rules over one list of domain apps (``apps``):

1. The ``platform`` packages (audit, tenancy) import none of the apps, directly or through
   another module.
2. The views and API modules of each listed app (``views``/``api``, also in
its sub-packages, e.g. ``nyeri.clinical.consents.api``) do not import another listed app's
``models``, ``views`` or ``api``: they reach it through its ``services``, ``selectors`` and
``access`` modules (and its plain helpers: enums, display, file names). An app's own models
are its views' business. The apps are listed once, in pyproject.toml; an app added there is
checked against every other and against the platform.

Only direct imports count (an app's selectors may of course import its models).
"""

from __future__ import annotations

from typing import Any

from grimp import ImportGraph
from importlinter.application import contract_utils, output
from importlinter.application.contract_utils import AlertLevel
from importlinter.domain import fields
from importlinter.domain.contract import Contract, ContractCheck


class AppBoundariesContract(Contract):
    """Options: ``apps`` and ``platform`` (packages), ``importers`` and ``forbidden`` (module names, e.g.
    ``views``), ``ignore_imports`` (``importer -> imported``, each with a reason in a comment)."""

    type_name = "app_boundaries"

    apps = fields.ListField(subfield=fields.StringField())
    platform = fields.ListField(subfield=fields.StringField(), required=False, default=[])
    importers = fields.ListField(subfield=fields.StringField(), required=False, default=["views", "api"])
    forbidden = fields.ListField(subfield=fields.StringField(), required=False, default=["models", "views", "api"])
    ignore_imports = fields.SetField(subfield=fields.ImportExpressionField(), required=False)
    unmatched_ignore_imports_alerting = fields.EnumField(AlertLevel, default=AlertLevel.ERROR)

    def check(self, graph: ImportGraph, verbose: bool) -> ContractCheck:
        removal = contract_utils.remove_ignored_imports_and_report(
            graph=graph,
            ignore_imports=self.ignore_imports,  # type: ignore[arg-type]
            unmatched_alerting=self.unmatched_ignore_imports_alerting,  # type: ignore[arg-type]
        )
        # The fields hold the parsed options once the contract is built.
        apps: list[str] = list(self.apps)  # type: ignore[call-overload]
        platform: list[str] = list(self.platform)  # type: ignore[call-overload]
        importers = set(self.importers)  # type: ignore[call-overload]
        forbidden = set(self.forbidden)  # type: ignore[call-overload]
        missing = [m for m in [*apps, *platform] if m not in graph.modules]
        if missing:
            raise ValueError(f"Module {', '.join(missing)} is not present in the graph.")
        broken: list[dict[str, Any]] = []
        chains: list[tuple[str, ...]] = []
        for base in platform:
            for app in apps:
                chains.extend(sorted(graph.find_shortest_chains(importer=base, imported=app, as_packages=True)))
        for module in sorted(graph.modules):
            home = _app_of(module, apps)
            if home is None or module.rsplit(".", 1)[-1] not in importers:
                continue
            for imported in sorted(graph.find_modules_directly_imported_by(module)):
                other = _app_of(imported, apps)
                if other is None or other == home:
                    continue
                if forbidden.intersection(imported[len(other) + 1 :].split(".")):
                    lines = [d["line_number"] for d in graph.get_import_details(importer=module, imported=imported)]
                    broken.append({"importer": module, "imported": imported, "lines": lines})
        return ContractCheck(
            kept=not broken and not chains,
            warnings=list(removal.warnings),
            ignored_import_count=removal.ignored_import_count,
            metadata={"broken": broken, "chains": chains},
        )

    def render_broken_contract(self, check: ContractCheck) -> None:
        for chain in check.metadata["chains"]:
            output.print_error(f"platform imports an app: {' -> '.join(chain)}", bold=False)
        for row in check.metadata["broken"]:
            lines = ", ".join(f"l.{n}" for n in row["lines"])
            output.print_error(f"{row['importer']} -> {row['imported']} ({lines})", bold=False)
        output.new_line()
        output.print("Reach another app through its services, selectors or access module; see docs/architecture.md.")


def _app_of(module: str, apps: list[str]) -> str | None:
    """The listed app ``module`` belongs to (the longest match), or None."""
    found = [app for app in apps if module == app or module.startswith(app + ".")]
    return max(found, key=len) if found else None
