"""The benchmarks' server settings: Nyeri's own, with the floor views mounted (floor_urls)."""

from nyeri.settings import *  # noqa: F403

ROOT_URLCONF = "floor_urls"
