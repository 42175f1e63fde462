"""The exceptions of otel_kepler, in one tree.

    KeplerError                   base of everything raised on purpose
    ├── ConfigError               the configuration is wrong; carries every problem
    ├── ComponentError            a component cannot start or run
    │   └── MeterUnavailable      a power meter exists but cannot be read here
    └── SourceError               a /proc or /sys read failed in a way that matters
        ├── SourceGone            the entry vanished (a process exited): churn
        └── SourceDenied          permission denied: actionable by the user

`OSError` is translated into `SourceError` once, at the readers in
`otel_kepler.host`; nothing above them sees a bare `OSError`.
"""

from __future__ import annotations

import errno
from collections.abc import Sequence
from dataclasses import dataclass


class KeplerError(Exception):
    """Base class of the errors otel_kepler raises on purpose."""


@dataclass(frozen=True, slots=True)
class Problem:
    """One thing wrong in a configuration, at a key path."""

    path: tuple[str, ...]
    message: str

    def __str__(self) -> str:
        where = format_path(self.path)
        return f"{where}: {self.message}" if where else self.message

    def under(self, *prefix: str) -> Problem:
        """The same problem, seen from an enclosing key."""
        return Problem((*prefix, *self.path), self.message)


def format_path(path: tuple[str, ...]) -> str:
    """Join a key path with `::`; list indexes attach as `key[i]`."""
    parts: list[str] = []
    for key in path:
        if key.isdigit() and parts:
            parts[-1] += f"[{key}]"
        else:
            parts.append(key)
    return "::".join(parts)


class ConfigError(KeplerError):
    """The configuration is invalid; `problems` lists every reason at once."""

    def __init__(self, problems: Sequence[Problem]) -> None:
        self.problems = tuple(problems)
        super().__init__("\n".join(str(p) for p in self.problems))


class ComponentError(KeplerError):
    """A component could not be built, started or run."""


class MeterUnavailable(ComponentError):
    """A power meter is present but cannot be read; the message says what to do."""


class SourceError(KeplerError):
    """Reading a kernel interface (/proc, /sys) failed."""

    def __init__(self, path: str, reason: str) -> None:
        self.path = path
        self.reason = reason
        super().__init__(f"{path}: {reason}")


class SourceGone(SourceError):
    """The entry no longer exists, usually because its process exited."""


class SourceDenied(SourceError):
    """The entry exists but this user may not read it."""


_GONE = {errno.ENOENT, errno.ESRCH, errno.ENOTDIR}
_DENIED = {errno.EACCES, errno.EPERM}


def translate_os_error(path: str, error: OSError) -> SourceError:
    """Map an `OSError` from a read of `path` to the matching `SourceError`."""
    reason = error.strerror or type(error).__name__
    if error.errno in _GONE:
        return SourceGone(path, reason)
    if error.errno in _DENIED:
        return SourceDenied(path, reason)
    return SourceError(path, reason)
