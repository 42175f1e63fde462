"""Configuration of the model receiver."""

from __future__ import annotations

from dataclasses import dataclass

from otel_kepler.config.options import non_negative, option
from otel_kepler.errors import Problem


@dataclass(frozen=True)
class ModelConfig:
    """Coefficients of the linear power model and where CPU time is read."""

    procfs: str = option(
        "/proc", "Root of procfs; CPU time is read from <procfs>/stat."
    )
    idle_w_per_vcpu: float = option(
        0.74,
        "Power of one idle vCPU in watts (default: Cloud Carbon Footprint's "
        "published average minimum for cloud vCPUs).",
    )
    max_w_per_vcpu: float = option(
        3.5,
        "Power of one fully busy vCPU in watts (default: Cloud Carbon "
        "Footprint's published average maximum for cloud vCPUs).",
    )
    vcpus: int = option(0, "Number of vCPUs; 0 counts the cpuN lines of <procfs>/stat.")
    zone: str = option("package", "Zone name given to the estimated energy.")

    def validate(self) -> list[Problem]:
        problems: list[Problem] = []
        for name in ("idle_w_per_vcpu", "max_w_per_vcpu", "vcpus"):
            message = non_negative(getattr(self, name))
            if message is not None:
                problems.append(Problem((name,), message))
        if self.max_w_per_vcpu < self.idle_w_per_vcpu:
            problems.append(
                Problem(
                    ("max_w_per_vcpu",),
                    f"must be at least idle_w_per_vcpu (got {self.max_w_per_vcpu}; "
                    f"idle_w_per_vcpu is {self.idle_w_per_vcpu})",
                )
            )
        if not self.zone:
            problems.append(Problem(("zone",), 'must not be empty (got "")'))
        return problems
