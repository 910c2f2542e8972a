"""SATUSEHAT (Kemenkes) exchange: per organization settings, the client, a local fake server."""
