from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

sys.path.insert(0, os.path.dirname(__file__))

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"

# CI runs more examples; a local run stays quick. Never any deadline: machines are shared.
settings.register_profile(
    "ci", max_examples=1000, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.register_profile(
    "dev", max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
# The long differential run before a change lands: TOKENIZER_RS_HYPOTHESIS_EXAMPLES=20000.
settings.register_profile(
    "long",
    max_examples=int(os.environ.get("TOKENIZER_RS_HYPOTHESIS_EXAMPLES") or 1000),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
if os.environ.get("TOKENIZER_RS_HYPOTHESIS_EXAMPLES"):
    settings.load_profile("long")
else:
    settings.load_profile("ci" if os.environ.get("CI") else "dev")


@pytest.fixture(scope="session")
def fixtures_dir() -> Path:
    return FIXTURES
