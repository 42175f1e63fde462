"""Write the powercap fixture trees beside this file (see README.md).

Run from anywhere: `python tests/testdata/sysfs/make_trees.py`. Existing
trees are replaced.
"""

from __future__ import annotations

import os
import shutil

HERE = os.path.dirname(os.path.abspath(__file__))

# max_energy_range_uj as Intel parts report it: a 32-bit counter times the
# energy unit (61.035 uJ for package/core/uncore/psys, 15.3 uJ for server
# DRAM).
PKG_MAX_UJ = 262143328850
DRAM_MAX_UJ = 65712999613

# (entry, name ("" for none), energy_uj, max_energy_range_uj)
Zone = tuple[str, str, str, str]

TREES: dict[str, list[Zone]] = {
    "single_socket": [
        ("intel-rapl:0", "package-0", "41234567890", str(PKG_MAX_UJ)),
        ("intel-rapl:0:0", "core", "20345678901", str(PKG_MAX_UJ)),
        ("intel-rapl:0:1", "uncore", "1234567890", str(PKG_MAX_UJ)),
        ("intel-rapl:0:2", "dram", "5678901234", str(PKG_MAX_UJ)),
        ("intel-rapl:1", "psys", "98765432109", str(PKG_MAX_UJ)),
    ],
    "dual_socket": [
        ("intel-rapl:0", "package-0", "103456789012", str(PKG_MAX_UJ)),
        ("intel-rapl:0:0", "dram", "23456789012", str(DRAM_MAX_UJ)),
        ("intel-rapl:1", "package-1", "262143328000", str(PKG_MAX_UJ)),
        ("intel-rapl:1:0", "dram", "34567890123", str(DRAM_MAX_UJ)),
    ],
    "near_wrap": [
        ("intel-rapl:0", "package-0", "262143300000", str(PKG_MAX_UJ)),
    ],
    "mmio_duplicate": [
        ("intel-rapl:0", "package-0", "41234567890", str(PKG_MAX_UJ)),
        ("intel-rapl:0:0", "core", "20345678901", str(PKG_MAX_UJ)),
        ("intel-rapl:0:1", "uncore", "1234567890", str(PKG_MAX_UJ)),
        ("intel-rapl:1", "psys", "98765432109", str(PKG_MAX_UJ)),
        ("intel-rapl-mmio:0", "package-0", "41234560000", str(PKG_MAX_UJ)),
    ],
    "malformed": [
        ("intel-rapl:0", "package-0", "41234567890", str(PKG_MAX_UJ)),
        ("intel-rapl:0:0", "", "20345678901", str(PKG_MAX_UJ)),
        ("intel-rapl:0:1", "uncore", "1234567890", "n/a"),
    ],
}

CONSTRAINTS = {
    "constraint_0_name": "long_term",
    "constraint_0_power_limit_uw": "15000000",
    "constraint_0_time_window_us": "27983872",
    "constraint_0_max_power_uw": "15000000",
    "constraint_1_name": "short_term",
    "constraint_1_power_limit_uw": "25000000",
    "constraint_1_time_window_us": "2440",
}


def control_type(entry: str) -> str:
    return entry.split(":", 1)[0]


def device_dir(tree: str, entry: str) -> str:
    """devices/virtual/powercap/<type>/<top>[/<top>:<sub>] for an entry."""
    parts = entry.split(":")
    path = os.path.join(tree, "devices", "virtual", "powercap", control_type(entry))
    path = os.path.join(path, ":".join(parts[:2]))
    if len(parts) == 3:
        path = os.path.join(path, entry)
    return path


def write(path: str, text: str) -> None:
    with open(path, "w", encoding="ascii") as f:
        f.write(text + "\n")


def make_tree(name: str, zones: list[Zone]) -> None:
    tree = os.path.join(HERE, name)
    shutil.rmtree(tree, ignore_errors=True)
    class_dir = os.path.join(tree, "class", "powercap")
    os.makedirs(class_dir)

    for ctype in sorted({control_type(z[0]) for z in zones}):
        ctype_dir = os.path.join(tree, "devices", "virtual", "powercap", ctype)
        os.makedirs(ctype_dir)
        write(os.path.join(ctype_dir, "enabled"), "1")
        link = os.path.join(class_dir, ctype)
        os.symlink(os.path.relpath(ctype_dir, class_dir), link)

    for entry, zone_name, energy_uj, max_uj in zones:
        zone_dir = device_dir(tree, entry)
        os.makedirs(zone_dir)
        if zone_name:
            write(os.path.join(zone_dir, "name"), zone_name)
        write(os.path.join(zone_dir, "energy_uj"), energy_uj)
        write(os.path.join(zone_dir, "max_energy_range_uj"), max_uj)
        write(os.path.join(zone_dir, "enabled"), "1")
        for file, value in CONSTRAINTS.items():
            write(os.path.join(zone_dir, file), value)
        link = os.path.join(class_dir, entry)
        os.symlink(os.path.relpath(zone_dir, class_dir), link)


def main() -> None:
    for name, zones in TREES.items():
        make_tree(name, zones)


if __name__ == "__main__":
    main()
