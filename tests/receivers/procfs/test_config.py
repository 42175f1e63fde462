from __future__ import annotations

from pathlib import Path

import pytest

from otel_kepler.component import Kind
from otel_kepler.config.decode import decode
from otel_kepler.errors import ComponentError
from otel_kepler.receivers.procfs.config import ProcfsConfig
from otel_kepler.receivers.procfs.factory import FACTORY
from otel_kepler.receivers.procfs.receiver import ProcfsReceiver
from tests.receivers.procfs.trees import HOST, settings


def test_defaults_are_valid() -> None:
    config, problems = decode(ProcfsConfig, None, ("procfs",))

    assert problems == []
    assert config == ProcfsConfig(procfs="/proc", sysfs="/sys")


def test_host_paths_are_decoded() -> None:
    raw = {"procfs": "/host/proc", "sysfs": "/host/sys"}

    config, problems = decode(ProcfsConfig, raw, ("procfs",))

    assert problems == []
    assert (config.procfs, config.sysfs) == ("/host/proc", "/host/sys")


def test_relative_paths_and_unknown_keys_are_all_reported() -> None:
    raw = {"procfs": "proc", "sysfs": "", "root": "/"}

    _, problems = decode(ProcfsConfig, raw, ("procfs",))

    assert sorted(str(p) for p in problems) == [
        'procfs::procfs: must be an absolute path (got "proc"; allowed: a path '
        "starting with /)",
        "procfs::root: unknown key (allowed: procfs, sysfs)",
        'procfs::sysfs: must be an absolute path (got ""; allowed: a path '
        "starting with /)",
    ]


def test_factory_builds_a_procfs_receiver() -> None:
    assert FACTORY.type == "procfs"
    assert FACTORY.kind is Kind.RECEIVER
    assert FACTORY.config is ProcfsConfig

    receiver = FACTORY.build(settings(), ProcfsConfig())

    assert isinstance(receiver, ProcfsReceiver)


def test_missing_procfs_fails_at_start_naming_path_and_key(tmp_path: Path) -> None:
    procfs = str(tmp_path / "nowhere")
    receiver = FACTORY.build(settings("host"), ProcfsConfig(procfs=procfs))

    with pytest.raises(ComponentError) as info:
        receiver.start(HOST)

    message = str(info.value)
    assert f'"{procfs}/stat"' in message
    assert "No such file or directory" in message
    assert "receivers::procfs/host::procfs" in message


def test_procfs_without_a_cpu_line_fails_at_start(tmp_path: Path) -> None:
    (tmp_path / "stat").write_text("intr 0\n")
    receiver = FACTORY.build(settings(), ProcfsConfig(procfs=str(tmp_path)))

    with pytest.raises(ComponentError, match="malformed"):
        receiver.start(HOST)
