"""The demo's one benchmark: vectorised doubling vs a Python loop, same run."""

import torch
from paperzoo.zzdemo.equations import doubled

from paperzoo.core.bench import time_calls
from paperzoo.core.registry import BenchResult, Scale, benchmark


@benchmark(name="doubling", description="doubled(x) vs a Python loop over elements")
def run(scale: Scale) -> BenchResult:
    x = torch.rand(scale.pick(smoke=200, quick=2000, full=20000))
    ours = time_calls(lambda: doubled(x), repeats=3)
    loop = time_calls(lambda: [2 * v for v in x.tolist()], repeats=3)
    return BenchResult("vectorised", "python loop", ours, loop)
