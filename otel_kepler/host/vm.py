"""Virtual machines from the command line of their hypervisor process.

A KVM guest is one qemu process: `qemu-system-<arch>` (what libvirt runs),
`/usr/libexec/qemu-kvm` (RHEL and derivatives) or a `.../bin/kvm` launcher.
Its identity comes from the options: `-uuid UUID` and `-name NAME`, where
libvirt writes `-name guest=NAME,debug-threads=on`. In qemu option values a
doubled comma stands for a literal comma.
"""

from __future__ import annotations

from collections.abc import Sequence

from otel_kepler.data.sample import VMRef

HYPERVISOR_KVM = "kvm"


def is_qemu(program: str) -> bool:
    """Whether argv[0] names a qemu/kvm hypervisor binary."""
    base = program.rsplit("/", 1)[-1]
    return (
        base.startswith("qemu-system-")
        or base == "qemu-kvm"
        or program.endswith("bin/kvm")
    )


def parse_vm(argv: Sequence[str]) -> VMRef | None:
    """The VM a qemu command line runs, or None for any other program.

    The id is the `-uuid` value; without one it is the name.
    """
    if not argv or not is_qemu(argv[0]):
        return None
    uuid = _option(argv, "uuid")
    name = _guest_name(_option(argv, "name"))
    return VMRef(id=uuid or name, name=name, hypervisor=HYPERVISOR_KVM)


def _option(argv: Sequence[str], key: str) -> str:
    """The value after `-key` or `--key`; "" if absent. The last one wins."""
    spellings = (f"-{key}", f"--{key}")
    value = ""
    for i in range(1, len(argv) - 1):
        if argv[i] in spellings:
            value = argv[i + 1]
    return value


def _guest_name(value: str) -> str:
    """The guest name of a `-name` value: `NAME[,k=v...]` or `guest=NAME,...`."""
    for i, part in enumerate(_split_options(value)):
        key, sep, rest = part.partition("=")
        if sep and key == "guest":
            return rest
        if not sep and i == 0:
            return part
    return ""


def _split_options(value: str) -> list[str]:
    """Split a qemu option string at single commas; `,,` is a literal comma."""
    parts: list[str] = []
    current: list[str] = []
    i = 0
    while i < len(value):
        char = value[i]
        if char == "," and value[i + 1 : i + 2] == ",":
            current.append(",")
            i += 2
            continue
        if char == ",":
            parts.append("".join(current))
            current = []
        else:
            current.append(char)
        i += 1
    parts.append("".join(current))
    return parts
