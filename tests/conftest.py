"""Shared pytest setup: hypothesis profiles ("dev" by default, "ci" when the CI variable is set).

Both keep example counts small so the whole suite stays fast on two cores."""

import os

from hypothesis import HealthCheck, settings

settings.register_profile(
    "dev",
    max_examples=12,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.register_profile(
    "ci",
    max_examples=12,
    deadline=None,
    derandomize=True,
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.load_profile("ci" if os.environ.get("CI") else "dev")
