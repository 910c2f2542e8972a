"""Credential expiry: the daily watch (notices, marking expired) and the dashboard of what runs out."""
