"""The `tree` fixture: a private copy of one powercap fixture tree."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from tests.receivers.rapl.trees import copy_tree


@pytest.fixture
def tree(tmp_path: Path) -> Callable[[str], Path]:
    """Copy a fixture tree to tmp_path and return its sysfs root."""

    def make(name: str) -> Path:
        return copy_tree(name, tmp_path)

    return make
