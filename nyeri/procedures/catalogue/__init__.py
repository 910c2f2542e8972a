"""The procedure catalogue: data (``data/procedures.toml``), validated when loaded."""

from nyeri.procedures.catalogue.loader import CatalogueError, catalogue, load_catalogue, procedure

__all__ = ["CatalogueError", "catalogue", "load_catalogue", "procedure"]
