"""The demo's one claim, reading one cached experiment."""

import os
from pathlib import Path

import torch
from paperzoo.zzdemo.equations import doubled

from paperzoo.core.experiments import ExperimentCall, experiment
from paperzoo.core.registry import Measurement, Scale, Verdict, reproduction


@experiment()
def mean_ratio(seed: int, scale: Scale) -> dict[str, float]:
    """Mean of doubled(x) / x over random x (exactly 2); records each computation in a file."""
    marker = Path(os.environ.get("ZZDEMO_MARKER", os.devnull))
    with open(marker, "a") as handle:
        handle.write(f"{seed},{scale}\n")
    x = (
        torch.rand(
            scale.pick(smoke=10, quick=100, full=1000),
            generator=torch.Generator().manual_seed(seed),
        )
        + 1
    )
    return {"ratio": float((doubled(x) / x).mean())}


def _criterion(runs: list[Measurement]) -> Verdict:
    if all(r["ratio"] == 2 for r in runs):
        return Verdict.reproduced("ratio 2 on every seed")
    return Verdict.not_reproduced("ratio differs from 2")


def _plan(seed: int, scale: Scale) -> list[ExperimentCall]:
    return [mean_ratio.call(seed, scale)]


@reproduction(
    name="doubling",
    title="doubling doubles",
    claim="Eq. 1 doubles its input.",
    paper_value="ratio 2",
    headline="ratio",
    criterion=lambda runs: (
        Verdict.reproduced("ratio 2")
        if all(r["ratio"] == 2 for r in runs)
        else Verdict.not_reproduced("ratio differs")
    ),
    plan=_plan,
)
def measure(seed: int, scale: Scale) -> Measurement:
    return mean_ratio(seed, scale)
