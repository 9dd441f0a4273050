"""The paper's ablation and baseline claims as registered reproductions (docs/navdiff.md §4).

Every number is a success rate over held-out episodes (seeds recorded in the cached
evaluations): mean over rounds ± SD across rounds. Verdicts are computed from those numbers.
"""

from __future__ import annotations

import math

from paperzoo.core.experiments import ExperimentCall
from paperzoo.core.registry import Measurement, Scale, Verdict, reproduction
from paperzoo.navdiff.config import BEVConfig
from paperzoo.navdiff.experiments import (
    BIG_STEP_FACTOR,
    fill_cache,
    round_calls,
    rounds,
    setting,
    trained_planner,
    training_calls,
)

#: seconds for the claims at quick scale from an empty cache on 2 free cores
QUICK_BUDGET_S = 60
N_VALUES = (1, 4, 8, 20)
MARGIN = 0.25  # value selection must beat one sample by this much (absolute success)


def prefetch(calls: list[ExperimentCall], cpus: int) -> None:
    """``paperzoo reproduce`` hands this the selected claims' experiments before the first
    navdiff claim (inside the budget): they run in two processes (:func:`fill_cache`)."""
    fill_cache(calls, cpus)


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
    calls = training_calls(s, seed)
    for sel in ("single", "vote", "value", "oracle"):
        calls += round_calls(s, seed, "diffusion", sel)
    return calls


def _value_criterion(runs: list[Measurement]) -> Verdict:
    r = _mean_over_seeds(runs)
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
        *training_calls(s, seed),
        *round_calls(s, seed, "vi"),
        *round_calls(s, seed, "diffusion", "memory"),
        *round_calls(s, seed, "expert"),
    ]


def _mean_over_seeds(runs: list[Measurement]) -> Measurement:
    """The seeds' mean of every measured key (the one run itself for one seed)."""
    return runs[0] if len(runs) == 1 else {k: sum(x[k] for x in runs) / len(runs) for k in runs[0]}


def _full_criterion(runs: list[Measurement]) -> Verdict:
    r = _mean_over_seeds(runs)
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
    return float(trained_planner(s, seed)["planner_accuracy"])


# --- claim 3: success non-decreasing in N -----------------------------------------------------


def _plan_n(seed: int, scale: Scale) -> list[ExperimentCall]:
    s = setting(scale)
    return training_calls(s, seed) + [
        c for n in N_VALUES for c in round_calls(s, seed, "diffusion", "memory", n)
    ]


def _n_criterion(runs: list[Measurement]) -> Verdict:
    r = _mean_over_seeds(runs)
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


# --- claim 4: 30×30 generalisation without retraining ----------------------------------------

BIG = 30


def _big_episodes(scale: Scale) -> int:
    return Scale.parse(scale).pick(smoke=2, quick=4, full=100)


def _big_rounds(scale: Scale) -> int:
    return Scale.parse(scale).pick(smoke=1, quick=2, full=5)


def _plan_big(seed: int, scale: Scale) -> list[ExperimentCall]:
    s, e, n = setting(scale), _big_episodes(scale), _big_rounds(scale)
    return [
        *training_calls(s, seed),
        *round_calls(s, seed, "diffusion", "memory", size=BIG, episodes=e, n_rounds=n),
        *round_calls(s, seed, "vi", size=BIG, episodes=e, n_rounds=n),
        *round_calls(s, seed, "expert", size=BIG, episodes=e, n_rounds=n),
        *round_calls(s, seed, "diffusion", "memory"),
    ]


def _big_criterion(runs: list[Measurement]) -> Verdict:
    r = _mean_over_seeds(runs)
    gap = r["big_full_success"] - r["big_vi_success"]
    spread = _sd(r, "big_full_success", "big_vi_success")
    n = int(r["big_full_episodes"])
    reason = (
        f"on {BIG}×{BIG} mazes (trained on 15×15, max steps ×{BIG_STEP_FACTOR}): full method "
        f"{_pm(r, 'big_full_success')}, CALVIN greedy {_pm(r, 'big_vi_success')} (gap "
        f"{gap:+.3f}); optimistic expert {_pm(r, 'big_expert_success')}; the same full method "
        f"on 15×15 {_pm(r, 'small_full_success')}; value iteration K = 120; {n} "
        f"held-out {BIG}×{BIG} episodes per method per seed ({len(runs)} seed(s))"
        + (", ± = SD across rounds" if spread else ", one round (no SD)")
    )
    if gap > 0 and gap > spread:
        return Verdict.reproduced(reason)
    if gap >= 0 and r["big_full_success"] > 0:
        return Verdict.partial(f"full method not beyond 1 SD of CALVIN. {reason}")
    return Verdict.not_reproduced(reason)


@reproduction(
    name="generalisation_30",
    title="15×15-trained policy on 30×30 mazes: full method > CALVIN",
    claim="Table 1 (GridMaze2D 30×30 vr2, trained on 15×15, no retraining): the full method keeps "
    "much more of its success than the CALVIN planner alone (.624 vs .326) and the single-sample "
    "Diffusion Policy fails (.000). Criterion: full-method success above CALVIN's by more than "
    "1 SD (partial: not below it, and non-zero).",
    paper_value="ours .624 ± .032, CALVIN .326 ± .030",
    headline="big_full_success",
    criterion=_big_criterion,
    plan=_plan_big,
)
def measure_generalisation_30(seed: int, scale: Scale) -> Measurement:
    s, e, n = setting(scale), _big_episodes(scale), _big_rounds(scale)
    out: Measurement = {}
    _copy(out, "big_full", rounds(s, seed, "diffusion", "memory", size=BIG, episodes=e, n_rounds=n))
    _copy(out, "big_vi", rounds(s, seed, "vi", size=BIG, episodes=e, n_rounds=n))
    _copy(out, "big_expert", rounds(s, seed, "expert", size=BIG, episodes=e, n_rounds=n))
    _copy(out, "small_full", rounds(s, seed, "diffusion", "memory"))
    return out


# --- claim 5: zero-shot BEV within 0.05 of 2D ------------------------------------------------

BEV_TOLERANCE = 0.05


# σ = 5 cm xyz noise (at 2 cm the projection of these mazes is exact, so 2D and BEV episodes are
# identical and the comparison says nothing), 10 % clutter, 5 % label flips, at every scale
BEV = BEVConfig(noise=0.05)


def _bev_rounds(scale: Scale) -> int:
    """Rounds compared: all of the 2D evaluation's, so that evaluation is shared."""
    return setting(scale).rounds


def _plan_bev(seed: int, scale: Scale) -> list[ExperimentCall]:
    s, n = setting(scale), _bev_rounds(scale)
    return [
        *training_calls(s, seed),
        *round_calls(s, seed, "diffusion", "memory", n_rounds=n),
        *round_calls(s, seed, "diffusion", "memory", bev=BEV, n_rounds=n),
    ]


def _bev_criterion(runs: list[Measurement]) -> Verdict:
    r = _mean_over_seeds(runs)
    gap = r["bev_success"] - r["grid_success"]
    reason = (
        f"full method success: 2D grid maps {_pm(r, 'grid_success')}, BEV maps from point clouds "
        f"(same mazes, same episode and sampling seeds) {_pm(r, 'bev_success')} (gap {gap:+.3f}, "
        f"tolerance {BEV_TOLERANCE}); BEV obstacle IoU {r['bev_obstacle_iou']:.4f}, goal found "
        f"in {r['bev_goal_found']:.0%} of mazes, {r['bev_spurious_goals']:.1f} spurious goal "
        f"cells per round; {_episodes(runs, 'bev_episodes')}, ± = SD across rounds (0 for one)"
    )
    if abs(gap) <= BEV_TOLERANCE:
        return Verdict.reproduced(reason)
    if gap >= -2 * BEV_TOLERANCE:
        return Verdict.partial(f"within {2 * BEV_TOLERANCE} but not {BEV_TOLERANCE}. {reason}")
    return Verdict.not_reproduced(reason)


@reproduction(
    name="bev_zero_shot",
    title="2D-trained policy on BEV maps from point clouds: within 0.05 of 2D",
    claim="§4.3 / AVD table: the policy trained on 2D grid maps runs zero-shot on bird's-eye-view "
    "maps projected from labelled point clouds (paper: zero-shot .679 vs retrained .706). Here "
    "synthetic clouds of the held-out 15×15 mazes (walls as noisy vertical point columns, floor, "
    "ceiling, clutter, outliers, label flips) are projected by a height band to the 2D channel "
    "layout; the agent sees them through the cells it has revealed. Criterion: |BEV − 2D| ≤ 0.05.",
    paper_value="zero-shot .679 vs retrain .706 (AVD); target within 0.05 of grid success",
    headline="bev_success",
    criterion=_bev_criterion,
    plan=_plan_bev,
)
def measure_bev_zero_shot(seed: int, scale: Scale) -> Measurement:
    s, n = setting(scale), _bev_rounds(scale)
    out: Measurement = {}
    _copy(out, "grid", rounds(s, seed, "diffusion", "memory", n_rounds=n))
    _copy(out, "bev", rounds(s, seed, "diffusion", "memory", bev=BEV, n_rounds=n))
    return out


# --- claim 6: sample-then-select vs classifier-style value guidance ---------------------------


def _guided_n(scale: Scale) -> bool:
    """Guided N = 20 then selection (reported, not judged): the costliest evaluation (a value
    gradient at every DDIM step for N plans per episode), so not run at quick scale."""
    return Scale.parse(scale) is not Scale.QUICK


def _plan_guidance(seed: int, scale: Scale) -> list[ExperimentCall]:
    s = setting(scale)
    return [
        *training_calls(s, seed),
        *round_calls(s, seed, "diffusion", "value"),
        *round_calls(s, seed, "diffusion", "guided", 1),
        *(round_calls(s, seed, "diffusion", "guided") if _guided_n(scale) else []),
    ]


def _guidance_criterion(runs: list[Measurement]) -> Verdict:
    r = _mean_over_seeds(runs)
    gap = r["select_success"] - r["guided1_success"]
    spread = _sd(r, "select_success", "guided1_success")
    reason = (
        f"success: sample-then-select (N = 20, learned value) {_pm(r, 'select_success')}, "
        f"classifier-style value guidance of one sample {_pm(r, 'guided1_success')} (gap "
        f"{gap:+.3f}), "
        + (
            f"guidance of N = 20 then selection {_pm(r, 'guided20_success')}"
            if "guided20_success" in r
            else "guidance of N = 20 then selection not run at this scale"
        )
        + f"; same episodes and sampling seeds; {_episodes(runs, 'select_episodes')}, ± = SD "
        "across rounds"
    )
    if gap >= -spread:
        return Verdict.reproduced(reason)
    if gap >= -2 * spread:
        return Verdict.partial(f"selection below guidance by 1–2 SD. {reason}")
    return Verdict.not_reproduced(reason)


@reproduction(
    name="guidance_vs_select",
    title="sample-then-select is competitive with classifier-style value guidance",
    claim="The paper selects among N sampled plans instead of steering the sampler with the "
    "value gradient (Diffuser-style guidance); a large study of diffusion planners found "
    "sample-then-select competitive with guided sampling. Here: one plan guided at every DDIM "
    "step by ∇ of its soft learned value (the gradient of the same QMDP Q the selection ranks "
    "by) against N = 20 unguided samples ranked by the learned value, on the same held-out "
    "episodes and seeds; guided N = 20 then selection is reported too (not at quick scale). "
    "Criterion: selection not below guidance by more than 1 SD (partial: 1–2 SD).",
    paper_value="the paper uses selection (ablation .538 for value selection); the study: "
    "competitive",
    headline="select_success",
    criterion=_guidance_criterion,
    plan=_plan_guidance,
)
def measure_guidance_vs_select(seed: int, scale: Scale) -> Measurement:
    s = setting(scale)
    out: Measurement = {}
    _copy(out, "select", rounds(s, seed, "diffusion", "value"))
    _copy(out, "guided1", rounds(s, seed, "diffusion", "guided", 1))
    if _guided_n(scale):
        _copy(out, "guided20", rounds(s, seed, "diffusion", "guided"))
    return out
