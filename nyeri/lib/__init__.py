"""Small helpers every app shares (views, API, loaders): written once, imported everywhere.

Nothing here imports a domain app; see docs/architecture.md.
"""
