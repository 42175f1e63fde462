"""RAPL energy zones from the powercap tree, `<sysfs>/class/powercap`.

Zones are entries `intel-rapl:N`, `intel-rapl:N:M` (a sub-zone of
package N) and `intel-rapl-mmio:N[:M]`; AMD processors use the same names
since Linux 5.11. Each entry has `name` (`package-N`, `core`, `uncore`,
`dram`, `psys`), `energy_uj` (a counter that wraps at
`max_energy_range_uj`) and `enabled`. Other entries of the class (the
`intel-rapl` control type itself, `dtpm`, ...) are not zones.

Some Intel client parts expose their package counter twice, once through
MSRs and once through MMIO (`intel-rapl-mmio:0`, also named `package-0`);
the MMIO copy is dropped so that no energy is counted twice.

`energy_uj` is readable by root only since the Platypus fix
(CVE-2020-8694); a denied read is turned into a message that says so.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass

from otel_kepler.errors import SourceDenied, SourceError, translate_os_error

_ENTRY_RE = re.compile(r"^(intel-rapl|intel-rapl-mmio):(\d+)(?::(\d+))?$")
_SOCKET_SUFFIX_RE = re.compile(r"-\d+$")

MODEL_HINT = "use the model receiver for estimated power"


@dataclass(frozen=True, slots=True)
class PowercapZone:
    """One powercap entry of one socket, before same-named zones merge."""

    path: str
    """The entry under `<sysfs>/class/powercap`, e.g. `.../intel-rapl:0`."""
    raw_name: str
    """The kernel's `name`, e.g. `package-0`."""
    zone: str
    """The name after merging sockets, e.g. `package`."""
    socket: int
    """N of `intel-rapl:N[:M]`: the package the zone belongs to."""
    mmio: bool
    max_energy_range_uj: int

    @property
    def energy_path(self) -> str:
        return os.path.join(self.path, "energy_uj")


@dataclass(frozen=True, slots=True)
class Discovery:
    """What `discover` found under `<sysfs>/class/powercap`."""

    root: str
    zones: tuple[PowercapZone, ...]
    malformed: tuple[tuple[str, str], ...] = ()
    """(entry path, reason) of each entry skipped because it is no zone."""
    duplicates: tuple[tuple[PowercapZone, PowercapZone], ...] = ()
    """(dropped MMIO zone, the zone it duplicates)."""
    missing: str | None = None
    """Why there is no RAPL tree at all, when there is none."""


def zone_name(raw_name: str) -> str:
    """The zone a kernel zone name belongs to: `package-1` -> `package`."""
    return _SOCKET_SUFFIX_RE.sub("", raw_name.strip())


def discover(sysfs: str) -> Discovery:
    """List the RAPL zones under `<sysfs>/class/powercap`; never raises.

    Entries come sorted by (MMIO last, socket, sub-zone), so the first zone
    of a name is the one of the lowest socket.
    """
    root = os.path.join(sysfs, "class", "powercap")
    try:
        names = os.listdir(root)
    except OSError as e:
        why = translate_os_error(root, e)
        return Discovery(root, (), missing=_no_rapl(root, why.reason))

    entries = sorted(
        (_entry_key(match), name)
        for name in names
        if (match := _ENTRY_RE.match(name)) is not None
    )
    if not entries:
        return Discovery(root, (), missing=_no_rapl(root, "no intel-rapl zones"))

    zones: list[PowercapZone] = []
    malformed: list[tuple[str, str]] = []
    for (mmio, socket, _sub), name in entries:
        path = os.path.join(root, name)
        try:
            zones.append(_read_zone(path, socket, bool(mmio)))
        except SourceError as e:
            malformed.append((path, str(e)))
    kept, duplicates = _drop_mmio_duplicates(zones)
    return Discovery(root, tuple(kept), tuple(malformed), tuple(duplicates))


def read_energy_uj(path: str) -> int:
    """Read one `energy_uj` counter; raise SourceError if unreadable."""
    return _read_int(path)


def readable_zones(
    discovery: Discovery,
) -> tuple[tuple[PowercapZone, ...], tuple[tuple[PowercapZone, SourceError], ...]]:
    """Split the zones into those whose `energy_uj` reads now and the rest."""
    good: list[PowercapZone] = []
    bad: list[tuple[PowercapZone, SourceError]] = []
    for zone in discovery.zones:
        try:
            read_energy_uj(zone.energy_path)
        except SourceError as e:
            bad.append((zone, e))
        else:
            good.append(zone)
    return tuple(good), tuple(bad)


def unavailable_reason(
    discovery: Discovery, failures: tuple[tuple[PowercapZone, SourceError], ...]
) -> str:
    """One line saying why no zone of `discovery` can be read, and what to do."""
    if discovery.missing is not None:
        return discovery.missing
    if failures:
        return unreadable_reason(failures[0][1])
    paths = ", ".join(path for path, _ in discovery.malformed)
    return f"{discovery.root}: no usable RAPL zone (malformed: {paths}); {MODEL_HINT}"


def unreadable_reason(error: SourceError) -> str:
    """The message for one `energy_uj` that cannot be read."""
    if isinstance(error, SourceDenied):
        return (
            f"{error.path}: permission denied: since the fix for CVE-2020-8694 "
            "(Platypus) energy_uj is readable by root only; run otel-kepler as "
            f"root, or {MODEL_HINT}"
        )
    return f"{error.path}: {error.reason}; {MODEL_HINT}"


def probe(sysfs: str) -> str | None:
    """None when at least one RAPL zone is readable, else the reason why not."""
    discovery = discover(sysfs)
    good, bad = readable_zones(discovery)
    return None if good else unavailable_reason(discovery, bad)


def _no_rapl(root: str, why: str) -> str:
    return (
        f"{root}: {why}: there is no RAPL on this machine (virtual machines "
        f"and most clouds do not expose it); {MODEL_HINT}"
    )


def _entry_key(match: re.Match[str]) -> tuple[int, int, int]:
    sub = match.group(3)
    return (
        int(match.group(1) == "intel-rapl-mmio"),
        int(match.group(2)),
        -1 if sub is None else int(sub),
    )


def _read_zone(path: str, socket: int, mmio: bool) -> PowercapZone:
    raw_name = _read_text(os.path.join(path, "name")).strip()
    if not raw_name:
        raise SourceError(os.path.join(path, "name"), "empty zone name")
    max_path = os.path.join(path, "max_energy_range_uj")
    max_range_uj = _read_int(max_path)
    if max_range_uj <= 0:
        raise SourceError(max_path, f"must be greater than 0 (got {max_range_uj})")
    return PowercapZone(
        path=path,
        raw_name=raw_name,
        zone=zone_name(raw_name),
        socket=socket,
        mmio=mmio,
        max_energy_range_uj=max_range_uj,
    )


def _drop_mmio_duplicates(
    zones: list[PowercapZone],
) -> tuple[list[PowercapZone], list[tuple[PowercapZone, PowercapZone]]]:
    plain = {(z.raw_name, z.socket): z for z in zones if not z.mmio}
    kept: list[PowercapZone] = []
    duplicates: list[tuple[PowercapZone, PowercapZone]] = []
    for zone in zones:
        twin = plain.get((zone.raw_name, zone.socket)) if zone.mmio else None
        if twin is None:
            kept.append(zone)
        else:
            duplicates.append((zone, twin))
    return kept, duplicates


def _read_text(path: str) -> str:
    try:
        with open(path, encoding="ascii", errors="replace") as f:
            return f.read()
    except OSError as e:
        raise translate_os_error(path, e) from e


def _read_int(path: str) -> int:
    text = _read_text(path).strip()
    try:
        return int(text)
    except ValueError:
        raise SourceError(path, f'not a number (got "{text[:40]}")') from None
