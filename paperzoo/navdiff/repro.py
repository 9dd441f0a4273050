"""The paper's ablation and baseline claims as registered reproductions (docs/navdiff.md §4).

Every number is a success rate over held-out episodes (seeds recorded in the cached
evaluations): mean over rounds ± SD across rounds. Verdicts are computed from those numbers.
"""

from __future__ import annotations

import math

from paperzoo.core.experiments import ExperimentCall
from paperzoo.core.registry import Measurement, Scale, Verdict, reproduction
from paperzoo.navdiff.experiments import round_calls, rounds, setting, trained

#: seconds for the claims at quick scale from an empty cache on 2 free cores
QUICK_BUDGET_S = 60
N_VALUES = (1, 4, 8, 20)
MARGIN = 0.25  # value selection must beat one sample by this much (absolute success)


def _pm(r: Measurement, key: str) -> str:
    return f"{r[key]:.3f} ± {r[key + '_sd']:.3f}"


def _sd(r: Measurement, *keys: str) -> float:
    return math.sqrt(sum(r[k + "_sd"] ** 2 for k in keys))


def _copy(out: Measurement, prefix: str, res: Measurement) -> None:
    for key, value in res.items():
        out[f"{prefix}_{key}"] = value


def _episodes(runs: list[Measurement], key: str) -> str:
    n = int(runs[0][key])
    return f"{n} held-out episodes per method per seed ({len(runs)} seed(s))"


# --- claim 1: value selection ≫ a single sample ----------------------------------------------


def _plan_value(seed: int, scale: Scale) -> list[ExperimentCall]:
    s = setting(scale)
    calls = [trained.call(s, seed)]
    for sel in ("single", "vote", "value", "oracle"):
        calls += round_calls(s, seed, "diffusion", sel)
    return calls


def _value_criterion(runs: list[Measurement]) -> Verdict:
    r = runs[0] if len(runs) == 1 else {k: sum(x[k] for x in runs) / len(runs) for k in runs[0]}
    gain = r["value_success"] - r["single_success"]
    spread = _sd(r, "value_success", "single_success")
    reason = (
        f"success: single {_pm(r, 'single_success')}, vote {_pm(r, 'vote_success')}, "
        f"learned-value selection {_pm(r, 'value_success')} (gain {gain:+.3f}); oracle-value "
        f"selection (upper bound, true map) {_pm(r, 'oracle_success')}; "
        f"{r['value_fallback_share']:.0%} of value replans had no valid candidate and fell back "
        f"to the best known-valid action by Q(b, ·); {_episodes(runs, 'value_episodes')}, "
        "± = SD across rounds"
    )
    if gain >= MARGIN:
        return Verdict.reproduced(reason)
    if gain > spread:
        return Verdict.partial(f"gain below {MARGIN} but beyond 1 SD. {reason}")
    return Verdict.not_reproduced(reason)


@reproduction(
    name="value_selection",
    title="learned-value selection ≫ one diffusion sample",
    claim="Ablation table (Grid): a single diffusion sample succeeds rarely (.060), a majority "
    "vote over N = 20 samples little better (.114), N = 20 samples ranked by the learned value "
    "(.538) far better. Measured on held-out 15×15 vr2 mazes; the vote and the oracle-value "
    "ranking (the official code's ground-truth ranking) are reported, the oracle as an upper "
    "bound.",
    paper_value="single .060, vote .114, value selection .538",
    headline="value_success",
    criterion=_value_criterion,
    plan=_plan_value,
)
def measure_value_selection(seed: int, scale: Scale) -> Measurement:
    s = setting(scale)
    out: Measurement = {}
    for sel in ("single", "vote", "value", "oracle"):
        _copy(out, sel, rounds(s, seed, "diffusion", sel))
    return out


# --- claim 2: full method ≥ value iteration alone --------------------------------------------


def _plan_full(seed: int, scale: Scale) -> list[ExperimentCall]:
    s = setting(scale)
    return [
        trained.call(s, seed),
        *round_calls(s, seed, "vi"),
        *round_calls(s, seed, "diffusion", "memory"),
        *round_calls(s, seed, "expert"),
    ]


def _full_criterion(runs: list[Measurement]) -> Verdict:
    r = runs[0] if len(runs) == 1 else {k: sum(x[k] for x in runs) / len(runs) for k in runs[0]}
    gap = r["full_success"] - r["vi_success"]
    spread = _sd(r, "full_success", "vi_success")
    reason = (
        f"success: full method {_pm(r, 'full_success')}, value iteration alone (CALVIN, greedy "
        f"in Q(b, ·)) {_pm(r, 'vi_success')} (gap {gap:+.3f}); optimistic expert "
        f"{_pm(r, 'expert_success')}; planner action accuracy on held-out expert steps "
        f"{r['full_planner_accuracy']:.3f}; {_episodes(runs, 'full_episodes')}, ± = SD across "
        "rounds"
    )
    if gap >= 0:
        return Verdict.reproduced(reason)
    if gap >= -spread:
        return Verdict.partial(f"below VI alone but within 1 SD. {reason}")
    return Verdict.not_reproduced(reason)


@reproduction(
    name="full_vs_vi",
    title="full method ≥ value iteration alone",
    claim="Table 1 (GridMaze2D 15×15, vr2): the full method (N = 20 samples, learned-value "
    "selection, best-plan memory) beats the CALVIN planner it uses (.906 vs .855).",
    paper_value="ours .906 ± .010, CALVIN .855 ± .030",
    headline="full_success",
    criterion=_full_criterion,
    plan=_plan_full,
)
def measure_full_vs_vi(seed: int, scale: Scale) -> Measurement:
    s = setting(scale)
    out: Measurement = {}
    _copy(out, "vi", rounds(s, seed, "vi"))
    _copy(out, "full", rounds(s, seed, "diffusion", "memory"))
    _copy(out, "expert", rounds(s, seed, "expert"))
    planner_acc = _accuracy(s, seed)
    out["full_planner_accuracy"] = planner_acc
    return out


def _accuracy(s, seed: int) -> float:
    return float(trained(s, seed)["planner_accuracy"])


# --- claim 3: success non-decreasing in N -----------------------------------------------------


def _plan_n(seed: int, scale: Scale) -> list[ExperimentCall]:
    s = setting(scale)
    return [trained.call(s, seed)] + [
        c for n in N_VALUES for c in round_calls(s, seed, "diffusion", "memory", n)
    ]


def _n_criterion(runs: list[Measurement]) -> Verdict:
    r = runs[0] if len(runs) == 1 else {k: sum(x[k] for x in runs) / len(runs) for k in runs[0]}
    rates = [r[f"n{n}_success"] for n in N_VALUES]
    drops = [
        (a, b)
        for a, b in zip(N_VALUES, N_VALUES[1:], strict=False)
        if r[f"n{b}_success"] < r[f"n{a}_success"] - _sd(r, f"n{a}_success", f"n{b}_success")
    ]
    gain = rates[-1] - rates[0]
    reason = (
        "success by N: "
        + ", ".join(f"N={n} {_pm(r, f'n{n}_success')}" for n in N_VALUES)
        + f"; {_episodes(runs, 'n1_episodes')}, ± = SD across rounds"
    )
    if not drops and gain > 0:
        return Verdict.reproduced(reason)
    if not drops:
        return Verdict.partial(f"no drop beyond 1 SD but no gain from N=1 to N=20. {reason}")
    return Verdict.not_reproduced(f"drops beyond 1 SD at {drops}. {reason}")


@reproduction(
    name="n_plans",
    title="success non-decreasing in the number of plans N",
    claim="§4 ablation: more sampled plans give the value more to choose from; success should "
    "not fall as N grows (N ∈ {1, 4, 8, 20}, full method).",
    paper_value="monotone in N (the paper's choice N = 20)",
    headline="n20_success",
    criterion=_n_criterion,
    plan=_plan_n,
)
def measure_n_plans(seed: int, scale: Scale) -> Measurement:
    s = setting(scale)
    out: Measurement = {}
    for n in N_VALUES:
        _copy(out, f"n{n}", rounds(s, seed, "diffusion", "memory", n))
    return out
