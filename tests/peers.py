"""Locating the real third-party programs some tests run against.

On a developer machine a missing peer skips its tests; where the test
command installed the peers (`OTEL_KEPLER_REQUIRE_PEERS=1`), a missing peer
fails them, so a broken install cannot pass silently.
"""

from __future__ import annotations

import os
import shutil

import pytest


def require(program: str) -> str:
    """Return the path of `program`, or skip (or fail, if peers are required)."""
    path = shutil.which(program)
    if path is not None:
        return path
    message = f"{program} is not installed (scripts/test installs it)"
    if os.environ.get("OTEL_KEPLER_REQUIRE_PEERS") == "1":
        pytest.fail(message)
    pytest.skip(message)


def require_root() -> None:
    """Skip (or fail, if peers are required) unless running as root."""
    if os.geteuid() == 0:
        return
    if os.environ.get("OTEL_KEPLER_REQUIRE_PEERS") == "1":
        pytest.fail("this test needs root (real cgroups)")
    pytest.skip("this test needs root (real cgroups)")
