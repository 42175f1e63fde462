"""Suite-wide settings.

Property tests explore new random inputs on every developer run; under CI
(`CI` set, as `.ci/run` does) they replay a fixed sequence, so a result on
a given commit can be reproduced.
"""

from __future__ import annotations

import os

from hypothesis import settings

settings.register_profile("ci", derandomize=True, print_blob=True)
if os.environ.get("CI"):
    settings.load_profile("ci")
