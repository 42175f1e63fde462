"""The built-in pipeline used when `run` gets no --config.

It must work on any Linux machine: the meter is RAPL when its counters can
be read, otherwise the estimating model, and the choice is logged once.
"""

from __future__ import annotations

from typing import Any

from otel_kepler.host.powercap import MODEL_HINT, probe

SYSFS = "/sys"


def default_document(sysfs: str = SYSFS) -> tuple[dict[str, Any], str]:
    """The default config document and the sentence explaining its meter."""
    reason = probe(sysfs)
    if reason is None:
        meter = "rapl"
        why = f"meter: rapl (RAPL energy counters under {sysfs}/class/powercap)"
    else:
        meter = "model"
        # the hint to use the model is what this pipeline already does
        reason = reason.replace(f", or {MODEL_HINT}", "").replace(f"; {MODEL_HINT}", "")
        why = f"meter: model, power is estimated ({reason})"
    document: dict[str, Any] = {
        "receivers": {meter: None, "procfs": None},
        "processors": {"attribution": None},
        "exporters": {"prometheus": None},
        "service": {
            "pipelines": {
                "metrics": {
                    "receivers": [meter, "procfs"],
                    "processors": ["attribution"],
                    "exporters": ["prometheus"],
                }
            }
        },
    }
    return document, why
