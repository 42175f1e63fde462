from __future__ import annotations

from pathlib import Path

import pytest

from otel_kepler.data.sample import VMRef
from otel_kepler.host.procfs import parse_cmdline
from otel_kepler.host.vm import is_qemu, parse_vm

PROC = Path(__file__).parent.parent / "testdata" / "proc"
UUID = "5b8f3c2a-1d4e-4f6a-9b7c-8d9e0f1a2b3c"


def argv_of(pid: int) -> tuple[str, ...]:
    return parse_cmdline((PROC / str(pid) / "cmdline").read_bytes())


def test_libvirt_guest_gets_uuid_and_name() -> None:
    assert parse_vm(argv_of(3001)) == VMRef(id=UUID, name="web01", hypervisor="kvm")


def test_vm_without_uuid_is_identified_by_its_name() -> None:
    assert parse_vm(argv_of(3002)) == VMRef(id="db02", name="db02", hypervisor="kvm")


@pytest.mark.parametrize(
    "program",
    [
        "/usr/bin/qemu-system-x86_64",
        "qemu-system-aarch64",
        "/usr/libexec/qemu-kvm",
        "/usr/bin/kvm",
        "/opt/qemu/bin/kvm",
    ],
)
def test_hypervisor_binaries(program: str) -> None:
    assert is_qemu(program)
    vm = parse_vm([program, "-uuid", UUID, "-name", "a"])
    assert vm == VMRef(UUID, "a", "kvm")


@pytest.mark.parametrize(
    "argv",
    [
        (),
        ("/usr/bin/qemu-img", "convert", "-name", "x"),
        ("/usr/bin/python3", "/usr/bin/qemu-system-x86_64"),
        ("/usr/bin/kvmtool",),
        ("/sbin/init",),
        ("",),
    ],
)
def test_other_programs_are_not_vms(argv: tuple[str, ...]) -> None:
    assert parse_vm(argv) is None


@pytest.mark.parametrize(
    ("name_value", "expected"),
    [
        ("plain", "plain"),
        ("guest=web01,debug-threads=on", "web01"),
        ("web02,process=qemu:web02,debug-threads=on", "web02"),
        ("debug-threads=on,guest=late", "late"),
        ("a,,b,debug-threads=on", "a,b"),
        ("guest=x,,y", "x,y"),
        ("debug-threads=on", ""),
    ],
)
def test_guest_name_forms(name_value: str, expected: str) -> None:
    vm = parse_vm(["qemu-system-x86_64", "-name", name_value])

    assert vm is not None
    assert vm.name == expected


def test_double_dash_options_and_the_last_value_wins() -> None:
    argv = ["qemu-system-x86_64", "--name", "one", "-name", "two", "--uuid", UUID]

    assert parse_vm(argv) == VMRef(UUID, "two", "kvm")


def test_option_without_a_value_is_ignored() -> None:
    assert parse_vm(["qemu-system-x86_64", "-m", "512", "-name"]) == VMRef(
        "", "", "kvm"
    )
