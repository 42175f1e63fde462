from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from otel_kepler.data.sample import CPUInfo
from otel_kepler.errors import SourceGone
from otel_kepler.host.procfs import (
    PF_KTHREAD,
    list_pids,
    parse_cmdline,
    parse_cpuinfo,
    parse_pid_stat,
    parse_stat_times,
    read_all_bytes,
    read_cpuinfo,
    read_stat_bytes,
)

PROC = Path(__file__).parent.parent / "testdata" / "proc"

# A real line of /proc/<pid>/stat (a `sleep`), captured on the test machine.
SLEEP = (PROC / "6931" / "stat").read_bytes()

# An arm64 /proc/cpuinfo (Cortex-A72): no vendor_id, model name, physical id
# or core id; a trailer block without a processor.
ARM64_CPUINFO = """\
processor\t: 0
BogoMIPS\t: 108.00
Features\t: fp asimd evtstrm crc32 cpuid
CPU implementer\t: 0x41
CPU architecture: 8
CPU variant\t: 0x0
CPU part\t: 0xd08
CPU revision\t: 3

processor\t: 1
BogoMIPS\t: 108.00
Features\t: fp asimd evtstrm crc32 cpuid
CPU implementer\t: 0x41
CPU architecture: 8
CPU variant\t: 0x0
CPU part\t: 0xd08
CPU revision\t: 3

Hardware\t: BCM2835
Revision\t: c03111
"""


def test_captured_stat_line_gives_its_fields() -> None:
    stat = parse_pid_stat(SLEEP)

    assert stat.pid == 6931
    assert stat.comm == "sleep"
    assert stat.state == "S"
    assert stat.start_ticks == 59534
    assert stat.cpu_ticks == 0
    assert not stat.kernel_thread


def test_comm_with_spaces_and_parentheses_is_split_at_the_last_paren() -> None:
    line = b"77 (a) (b c)) R 1 77 77 0 -1 4194560 0 0 0 0 31 9 0 0 20 0 1 0 4242 0\n"

    stat = parse_pid_stat(line)

    assert stat.comm == "a) (b c)"
    assert stat.state == "R"
    assert (stat.utime_ticks, stat.stime_ticks, stat.start_ticks) == (31, 9, 4242)
    assert parse_stat_times(line)[:2] == (4242, 40)


def test_kernel_thread_is_recognised_by_its_flag() -> None:
    stat = parse_pid_stat((PROC / "2" / "stat").read_bytes())

    assert stat.comm == "kthreadd"
    assert stat.flags & PF_KTHREAD
    assert stat.kernel_thread


def test_zombie_keeps_its_cpu_time() -> None:
    stat = parse_pid_stat((PROC / "1202" / "stat").read_bytes())

    assert stat.state == "Z"
    assert stat.cpu_ticks == 82


def test_fast_parse_agrees_with_full_parse_on_every_fixture() -> None:
    for path in sorted(PROC.glob("*/stat")):
        data = path.read_bytes()
        try:
            full = parse_pid_stat(data)
        except ValueError:
            continue
        assert parse_stat_times(data)[:2] == (full.start_ticks, full.cpu_ticks), path


@pytest.mark.parametrize(
    ("line", "reason"),
    [
        (b"12 sleep S 1 2 3\n", "no command name in parentheses"),
        (b"4002 (broken) S 1 4002 4002\n", "too few fields (6; need at least 22)"),
        (
            b"9 (x) S 1 9 9 0 -1 4194560 0 0 0 0 ab 3 0 0 20 0 1 0 100 0\n",
            "a numeric field is not an integer",
        ),
        (b"", "no command name in parentheses"),
    ],
)
def test_malformed_stat_lines_say_why(line: bytes, reason: str) -> None:
    with pytest.raises(ValueError, match=re.escape(reason)):
        parse_pid_stat(line)
    with pytest.raises((ValueError, IndexError)):
        parse_stat_times(line)


def test_cmdline_is_split_at_nul_bytes() -> None:
    data = (PROC / "3001" / "cmdline").read_bytes()

    argv = parse_cmdline(data)

    assert argv[:3] == (
        "/usr/bin/qemu-system-x86_64",
        "-name",
        "guest=web01,debug-threads=on",
    )
    assert argv[-1] == "-nodefaults"


def test_cmdline_edge_cases() -> None:
    assert parse_cmdline(b"") == ()
    assert parse_cmdline(b"nginx: worker process") == ("nginx: worker process",)
    assert parse_cmdline(b"a\0\0b\0") == ("a", "", "b")
    assert parse_cmdline(b"caf\xe9\0") == ("caf\ufffd",)


def test_captured_x86_cpuinfo_gives_one_entry_per_cpu() -> None:
    cpus = read_cpuinfo(str(PROC))

    assert cpus == (
        CPUInfo("0", "AuthenticAMD", "AMD EPYC", "0", "0"),
        CPUInfo("1", "AuthenticAMD", "AMD EPYC", "0", "1"),
    )


def test_arm64_cpuinfo_leaves_missing_fields_empty() -> None:
    cpus = parse_cpuinfo(ARM64_CPUINFO)

    assert cpus == (
        CPUInfo("0", "0x41", "", "", ""),
        CPUInfo("1", "0x41", "", "", ""),
    )


def test_cpuinfo_without_processor_blocks_is_empty() -> None:
    assert parse_cpuinfo("") == ()
    assert parse_cpuinfo("vendor_id       : IBM/S390\n# processors    : 2\n") == ()


def test_list_pids_keeps_only_numeric_entries() -> None:
    pids = list_pids(str(PROC))

    assert "stat" not in pids and "cpuinfo" not in pids
    assert {"1", "2", "1201", "4001", "6931"} <= set(pids)
    assert all(p.isdigit() for p in pids)


def test_readers_translate_a_missing_file_into_source_gone(tmp_path: Path) -> None:
    missing = str(tmp_path / "4001" / "stat")

    with pytest.raises(SourceGone) as info:
        read_stat_bytes(missing)
    assert info.value.path == missing
    with pytest.raises(SourceGone):
        read_all_bytes(missing)
    with pytest.raises(SourceGone):
        list_pids(str(tmp_path / "nothing"))


def test_read_all_bytes_reads_past_one_chunk_and_stops_at_the_limit(
    tmp_path: Path,
) -> None:
    path = tmp_path / "cmdline"
    data = b"".join(b"arg%d\0" % i for i in range(40000))
    path.write_bytes(data)

    assert read_all_bytes(str(path)) == data
    assert read_all_bytes(str(path), limit=1000) == data[:1000]


def test_reading_the_real_proc_of_this_process() -> None:
    stat = parse_pid_stat(read_stat_bytes(f"/proc/{os.getpid()}/stat"))

    assert stat.pid == os.getpid()
    assert stat.state in "RS"
    assert not stat.kernel_thread
