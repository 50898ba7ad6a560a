"""Shared pytest setup: hypothesis profiles ("dev" by default, "ci" when the CI variable is set).

Both keep example counts small so the whole suite stays fast on two cores. For a long search
for edge cases, run `HYPOTHESIS_PROFILE=thorough .venv/bin/python -m pytest tests/ops` (about
25 times as many examples)."""

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
settings.register_profile(
    "thorough",
    max_examples=300,
    deadline=None,
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.load_profile(
    os.environ.get("HYPOTHESIS_PROFILE") or ("ci" if os.environ.get("CI") else "dev")
)
