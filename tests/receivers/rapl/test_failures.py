"""Counters that cannot be read: at start (permissions) and mid-run."""

from __future__ import annotations

import logging
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from otel_kepler.errors import MeterUnavailable
from tests.receivers.rapl.trees import (
    break_counter,
    copy_tree,
    energies,
    entry,
    get_energy,
    is_root,
    mend_counter,
    set_energy,
    start,
)

Tree = Callable[[str], Path]
NOBODY = 65534

# Imports (and the codec lookup `open` needs) first, then drop to nobody:
# the interpreter may live where nobody cannot reach it, but every read of
# the tree must happen as nobody.
_AS_NOBODY = """
import codecs, os, sys
from otel_kepler.component import ComponentID, CreateSettings, Host, SystemClock
from otel_kepler.errors import MeterUnavailable
from otel_kepler.host.powercap import probe
from otel_kepler.receivers.rapl.config import RAPLConfig
from otel_kepler.receivers.rapl.receiver import RAPLReceiver

codecs.lookup("ascii")
os.setgroups([])
os.setgid(int(sys.argv[2]))
os.setuid(int(sys.argv[2]))
settings = CreateSettings(ComponentID("rapl"), "node-a", SystemClock())
receiver = RAPLReceiver(settings, RAPLConfig(sysfs=sys.argv[1]))
try:
    receiver.start(Host("node-a", lambda: None))
except MeterUnavailable as e:
    print(e)
print(probe(sys.argv[1]))
"""


def _denied_message(sysfs: Path) -> str:
    return (
        f"{entry(sysfs, 'intel-rapl:0')}/energy_uj: permission denied: since the "
        "fix for CVE-2020-8694 (Platypus) energy_uj is readable by root only; run "
        "otel-kepler as root, or use the model receiver for estimated power"
    )


@pytest.fixture
def shared_tmp() -> Iterator[Path]:
    """A temporary folder that other users can enter (pytest's is 0700)."""
    path = Path(tempfile.mkdtemp(prefix="otel-kepler-rapl-"))
    path.chmod(0o755)
    yield path
    shutil.rmtree(path)


def _root_only(sysfs: Path) -> None:
    """Give every counter the mode the kernel gives it since CVE-2020-8694."""
    for counter in (sysfs / "devices").rglob("energy_uj"):
        counter.chmod(0o400)


def test_root_only_counters_fail_start_with_advice(shared_tmp: Path) -> None:
    sysfs = copy_tree("dual_socket", shared_tmp)
    _root_only(sysfs)
    expected = _denied_message(sysfs)

    if not is_root():
        with pytest.raises(MeterUnavailable) as raised:
            start(sysfs)
        assert str(raised.value) == expected
        return

    result = subprocess.run(
        [sys.executable, "-c", _AS_NOBODY, str(sysfs), str(NOBODY)],
        capture_output=True,
        text=True,
        timeout=60,
        cwd="/",
        check=False,
    )

    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == [expected, expected]
    assert start(sysfs).zones == ("package", "dram")


def test_zone_failing_mid_run_is_left_out_counted_and_not_reset(
    tree: Tree, caplog: pytest.LogCaptureFixture
) -> None:
    sysfs = tree("single_socket")
    counter = entry(sysfs, "intel-rapl:0:1") / "energy_uj"
    raw_uj = get_energy(sysfs, "intel-rapl:0:1")
    receiver = start(sysfs, zones=("package", "uncore"))
    receiver.collect(0.0, 0.0)
    set_energy(sysfs, "intel-rapl:0:1", raw_uj + 5_000)
    assert energies(receiver, 5.0) == {"package": 0, "uncore": 5_000}

    break_counter(counter)
    caplog.clear()
    caplog.set_level(logging.DEBUG, "otel_kepler.receivers.rapl")
    for cycle in range(2, 5):
        assert energies(receiver, cycle * 5.0) == {"package": 0}
    assert receiver.read_errors_total == {"package": 0, "uncore": 3}
    assert [r.levelno for r in caplog.records] == [
        logging.WARNING,
        logging.DEBUG,
        logging.DEBUG,
    ]
    assert caplog.records[0].getMessage() == (
        f"rapl: zone uncore left out of this cycle, its energy kept: {counter}: "
        "Is a directory"
    )

    # It continues from its last good raw value: nothing reset, nothing lost.
    caplog.clear()
    mend_counter(counter, raw_uj + 5_000 + 7_000)
    assert energies(receiver, 25.0) == {"package": 0, "uncore": 12_000}
    assert receiver.read_errors_total == {"package": 0, "uncore": 3}
    assert [(r.levelno, r.getMessage()) for r in caplog.records] == [
        (logging.INFO, "rapl: zone uncore is readable again")
    ]


def test_zone_fails_whole_when_one_socket_fails(tree: Tree) -> None:
    sysfs = tree("dual_socket")
    receiver = start(sysfs)
    receiver.collect(0.0, 0.0)
    counter = entry(sysfs, "intel-rapl:1") / "energy_uj"
    raw_uj = get_energy(sysfs, "intel-rapl:1")

    break_counter(counter)
    set_energy(sysfs, "intel-rapl:0", get_energy(sysfs, "intel-rapl:0") + 1_000)
    set_energy(sysfs, "intel-rapl:0:0", get_energy(sysfs, "intel-rapl:0:0") + 10)

    assert energies(receiver, 5.0) == {"dram": 10}
    assert receiver.read_errors_total == {"package": 1, "dram": 0}

    mend_counter(counter, raw_uj + 2_000)
    set_energy(sysfs, "intel-rapl:0", get_energy(sysfs, "intel-rapl:0") + 500)

    assert energies(receiver, 10.0) == {"package": 3_500, "dram": 10}


def test_zone_failing_at_its_first_collect_starts_at_zero_later(tree: Tree) -> None:
    sysfs = tree("near_wrap")
    counter = entry(sysfs, "intel-rapl:0") / "energy_uj"
    receiver = start(sysfs)
    break_counter(counter)

    assert energies(receiver, 0.0) == {}

    mend_counter(counter, 1_000)
    assert energies(receiver, 5.0) == {"package": 0}
    set_energy(sysfs, "intel-rapl:0", 4_000)
    assert energies(receiver, 10.0) == {"package": 3_000}


def test_malformed_counter_counts_as_a_read_error(tree: Tree) -> None:
    sysfs = tree("near_wrap")
    receiver = start(sysfs)
    receiver.collect(0.0, 0.0)
    raw_uj = get_energy(sysfs, "intel-rapl:0")

    (entry(sysfs, "intel-rapl:0") / "energy_uj").write_text("garbage\n")
    assert energies(receiver, 5.0) == {}
    assert receiver.read_errors_total == {"package": 1}

    set_energy(sysfs, "intel-rapl:0", raw_uj + 42)
    assert energies(receiver, 10.0) == {"package": 42}
