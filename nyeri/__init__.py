"""Nyeri: an open platform for pain-management services."""
