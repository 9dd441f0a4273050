"""The paper's claims, measured on the frozen cached ViT + transformer-head stand-in.

The claims read one cached run per seed (:func:`paperzoo.prumerge.experiments.evaluation`);
``detail_regime`` also reads :func:`paperzoo.prumerge.experiments.detail_evaluation`.
Accuracy differences are in points (×100); ± is the 95 % Student-t CI over seeds. "Not worse"
means the CI reaches 0 or above; verdicts are computed from the numbers only.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from paperzoo.core.experiments import ExperimentCall
from paperzoo.core.plot import new_figure, save_figure
from paperzoo.core.registry import Measurement, Scale, Verdict, reproduction
from paperzoo.core.report import Summary, summarise
from paperzoo.prumerge.data import DETAIL_ITEM_SIZE
from paperzoo.prumerge.experiments import (
    DETAIL_METHODS,
    K_HIST_MAX,
    SIZE_BINS,
    SWEEP,
    SWEEP_METHODS,
    detail_evaluation,
    evaluation,
)

#: seconds for the claims at quick scale (1 seed), empty prumerge cache, the core's trained ViT
#: cached (shared with tokentm and saco): one seed measured 42 s of CPU on 1 thread, process
#: start and the detail task included (57 s wall on the loaded 2-core machine)
QUICK_BUDGET_S = 60
FT_TOL = 3.0  # points: "small accuracy loss" after fine-tuning (acceptance target Q1)
TF_TOL = 10.0  # points: training-free
PLUS_SHARE_MAX = 0.5  # PruMerge+ keeping more than this share is not the paper's setting
BEHIND_PTS = 1.0  # points: a baseline this far ahead on average is reported, CI or not
BASELINE_NAMES = ("random_k", "cls_topk", "avg_pool", "tome", "visionzip")


def _plan(seed: int, scale: Scale) -> list[ExperimentCall]:
    return [evaluation.call(seed, scale)]


def _pts(run: Measurement, a: str, b: str) -> float:
    return 100.0 * (run[a] - run[b])


def _s(runs: list[Measurement], key: str) -> Summary:
    return summarise([r[key] for r in runs])


def _fmt(s: Summary) -> str:
    return f"{s.mean:+.1f} ± {s.half_width:.1f}" if s.n > 1 else f"{s.mean:+.1f} (n=1)"


def _not_worse(s: Summary) -> bool:
    return s.mean + (s.half_width if s.n > 1 else 0.0) >= 0


def _worse(s: Summary) -> bool:
    return s.mean + (s.half_width if s.n > 1 else 0.0) < 0


# --- claim 1: few tokens at small loss --------------------------------------------------------


def _reduction_criterion(runs: list[Measurement]) -> Verdict:
    frac, red = _s(runs, "fraction").mean, _s(runs, "reduction").mean
    ft, tf = _s(runs, "ft_drop"), _s(runs, "tf_drop")
    r8 = _s(runs, "r8_ft_drop")
    small = ft.mean <= FT_TOL
    text = (
        f"adaptive PruMerge keeps {frac:.1%} of the tokens ({red:.1f}x fewer; v1 abstract 14.4x, "
        f"latest version 4x); accuracy drop fine-tuned {ft.mean:+.1f} pts, training-free "
        f"{tf.mean:+.1f} pts (tolerances {FT_TOL:g} / {TF_TOL:g}); at the fixed 1/8 ratio the "
        f"fine-tuned drop is {r8.mean:+.1f} pts"
    )
    if frac <= 1 / 8 and small and tf.mean <= TF_TOL:
        return Verdict.reproduced(text)
    if red >= 4 and small:
        return Verdict.partial(
            "the latest version's 4x reproduces, v1's 14.4x (<= 1/8) does not: " + text
        )
    return Verdict.not_reproduced(text)


@reproduction(
    name="token_reduction",
    title="far fewer visual tokens at small accuracy loss",
    claim="Abstract (v1): 'PruMerge can compress the visual tokens by 14.4 times on average' with "
    "comparable performance; the latest arXiv version: 'reduce the number of visual tokens by 4 "
    "times'. Measured: adaptive IQR PruMerge on the frozen ViT, head fine-tuned with reduction "
    "(the paper's LoRA setting) and training-free.",
    paper_value="~5.5% of tokens (v1) / 25% (latest); small loss after fine-tuning",
    headline="reduction",
    unit="x fewer tokens",
    criterion=_reduction_criterion,
    plan=_plan,
)
def measure_reduction(seed: int, scale: Scale) -> Measurement:
    r = evaluation(seed, scale)
    n, tokens = r["n_tokens"], r["tokens_prumerge"]
    return {
        "reduction": n / tokens,
        "fraction": tokens / n,
        "ft_drop": _pts(r, "ft_full", "ft_prumerge"),
        "tf_drop": _pts(r, "full", "tf_prumerge"),
        "r8_ft_drop": _pts(r, "ft_full", "ft_r8_prumerge"),
        "full_accuracy": r["full"],
    }


# --- claim 2: PruMerge >= matched-budget baselines ---------------------------------------------


def _baselines_criterion(runs: list[Measurement]) -> Verdict:
    keys = sorted(k for k in runs[0] if k.startswith(("tf_vs_", "ft_vs_")))
    diffs = {k: _s(runs, k) for k in keys}
    lost = [k for k, s in diffs.items() if _worse(s)]  # baseline better beyond the CI
    behind = [k for k, s in diffs.items() if s.mean < -BEHIND_PTS and k not in lost]
    parts = [f"{k.replace('_vs_', ' vs ')} {_fmt(s)}" for k, s in diffs.items()]
    text = "PruMerge minus baseline, pts: " + "; ".join(parts)

    def named(ks: list[str]) -> str:
        return ", ".join(f"{k.replace('_vs_', ' ')} ({-diffs[k].mean:+.1f})" for k in ks)

    if lost and len(lost) == len(keys):
        return Verdict.not_reproduced(f"every baseline is better: {named(lost)}. " + text)
    if lost:
        return Verdict.partial(f"baselines better beyond the CI: {named(lost)}. " + text)
    if behind:
        return Verdict.partial(
            f"no baseline is better beyond the CI, but these are ahead by more than "
            f"{BEHIND_PTS:g} pt on average: {named(behind)}. " + text
        )
    return Verdict.reproduced(text)


def _sweep_plot(runs: list[Measurement], out: Path, scale: Scale) -> list[Path]:
    fig, ax = new_figure()
    tokens = [float(np.mean([r[f"sweep_{x:.4f}_tokens"] for r in runs])) for x in SWEEP]
    for name in SWEEP_METHODS:
        accs = [float(np.mean([r[f"sweep_{x:.4f}_{name}"] for r in runs])) for x in SWEEP]
        ax.plot(tokens, accs, marker="o", label=name)
    ax.axhline(float(np.mean([r["full_accuracy"] for r in runs])), color="k", ls=":", label="all")
    ax.set_xlabel("visual tokens kept (of 64)")
    ax.set_ylabel("test accuracy (training-free)")
    ax.legend(fontsize=8)
    return [save_figure(fig, out / "prumerge_accuracy_vs_tokens.png")]


@reproduction(
    name="matched_baselines",
    title="PruMerge >= matched-budget baselines",
    claim="§4 (tables vs. FastV/SparseVLM-style and pooling reductions): PruMerge's adaptive "
    "selection + merge beats other reductions at the same token budget. Measured: every baseline "
    "gets each image's PruMerge token count; training-free (5 baselines) and fine-tuned "
    "(random-k, [CLS] top-k).",
    paper_value="PruMerge ahead at equal budget",
    headline="tf_vs_random_k",
    unit="pts",
    criterion=_baselines_criterion,
    plan=_plan,
    plot=_sweep_plot,
)
def measure_baselines(seed: int, scale: Scale) -> Measurement:
    r = evaluation(seed, scale)
    out = {f"tf_vs_{b}": _pts(r, "tf_prumerge", f"tf_{b}") for b in BASELINE_NAMES}
    out |= {f"ft_vs_{b}": _pts(r, "ft_prumerge", f"ft_{b}") for b in ("random_k", "cls_topk")}
    sweep = {k: v for k, v in r.items() if k.startswith("sweep_")}
    return {**out, **sweep, "full_accuracy": r["full"]}


# --- claim 3: PruMerge+ >= PruMerge -------------------------------------------------------------


def _plus_criterion(runs: list[Measurement]) -> Verdict:
    tf, ft = _s(runs, "tf_gain"), _s(runs, "ft_gain")
    share = _s(runs, "plus_fraction").mean
    text = (
        f"PruMerge+ minus PruMerge: training-free {_fmt(tf)} pts, fine-tuned {_fmt(ft)} pts, at "
        f"{share:.0%} of the tokens (paper ~25%); vs random-k at PruMerge+'s budget "
        f"{_fmt(_s(runs, 'tf_vs_random_at_plus'))} pts"
    )
    if _worse(tf) or _worse(ft):
        return Verdict.not_reproduced(text)
    if tf.mean > 0 and _not_worse(ft) and share <= PLUS_SHARE_MAX:
        return Verdict.reproduced(text)
    if tf.mean > 0 and _not_worse(ft):
        return Verdict.partial(
            f"PruMerge+ is ahead, but the official stride rule keeps {share:.0%} of a "
            f"{_s(runs, 'n_tokens').mean:.0f}-token grid, far from the paper's ~25%. " + text
        )
    return Verdict.partial(text)


@reproduction(
    name="plus_vs_prumerge",
    title="PruMerge+ >= PruMerge",
    claim="§3.3 / Table 1: PruMerge+ (outliers + spatially uniform samples, ~25% of the tokens) "
    "recovers accuracy PruMerge loses. Measured: raster-stride PruMerge+ (official) vs PruMerge.",
    paper_value="PruMerge+ closer to full LLaVA than PruMerge",
    headline="tf_gain",
    unit="pts",
    criterion=_plus_criterion,
    plan=_plan,
)
def measure_plus(seed: int, scale: Scale) -> Measurement:
    r = evaluation(seed, scale)
    return {
        "tf_gain": _pts(r, "tf_prumerge_plus", "tf_prumerge"),
        "ft_gain": _pts(r, "ft_prumerge_plus", "ft_prumerge"),
        "grid2d_vs_raster": _pts(r, "tf_plus_grid2d", "tf_prumerge_plus"),
        "tf_vs_random_at_plus": _pts(r, "tf_prumerge_plus", "tf_plus_random_k"),
        "plus_fraction": r["tokens_prumerge_plus"] / r["n_tokens"],
        "n_tokens": r["n_tokens"],
    }


# --- claim 4: adaptivity -------------------------------------------------------------------------


def _adaptive_criterion(runs: list[Measurement]) -> Verdict:
    rho, ratio = _s(runs, "k_spearman_objects").mean, _s(runs, "recall_ratio").mean
    std = _s(runs, "k_std").mean
    text = (
        f"k varies per image (std {std:.2f}); Spearman(object patches, k) = {rho:+.2f} (target "
        f">= 0.5); object-patch recall {ratio:.2f}x random-k at the same k (target >= 2x)"
    )
    ok = [std > 0 and rho >= 0.5, ratio >= 2]
    if all(ok):
        return Verdict.reproduced(text)
    return Verdict.partial(text) if any(ok) else Verdict.not_reproduced(text)


def _adaptivity_plot(runs: list[Measurement], out: Path, scale: Scale) -> list[Path]:
    fig, (hist, curve) = new_figure(1, 2)
    ks = np.arange(K_HIST_MAX + 1)
    hist.bar(ks, [np.mean([r[f"khist_{k:02d}"] for r in runs]) for k in ks], color="tab:blue")
    hist.set_xlabel(f"tokens kept k per image (last bar: >= {K_HIST_MAX})")
    hist.set_ylabel("share of test images")
    lows = [lo for lo in SIZE_BINS[:-1] if all(r[f"ksize_{lo:02d}_n"] > 0 for r in runs)]
    centres = [(lo + hi) / 2 for lo, hi in zip(SIZE_BINS[:-1], SIZE_BINS[1:], strict=True)]
    x = [c for lo, c in zip(SIZE_BINS[:-1], centres, strict=True) if lo in lows]
    curve.plot(x, [np.mean([r[f"ksize_{lo:02d}_k"] for r in runs]) for lo in lows], marker="o")
    curve.set_xlabel("object patches in the image (bin centre)")
    curve.set_ylabel("mean k")
    return [save_figure(fig, out / "prumerge_adaptive_k.png")]


@reproduction(
    name="adaptivity",
    title="adaptive k follows image content",
    claim="§3.2: the IQR rule 'adaptively selects' the number of tokens per image, keeping the "
    "important (object) tokens. Measured: k per image vs object size, and the share of object "
    "patches PruMerge keeps vs random-k at the same k.",
    paper_value="k adapts to content; salient tokens kept",
    headline="recall_ratio",
    unit="x random",
    criterion=_adaptive_criterion,
    plan=_plan,
    plot=_adaptivity_plot,
)
def measure_adaptivity(seed: int, scale: Scale) -> Measurement:
    r = evaluation(seed, scale)
    keys = ("k_mean", "k_std", "k_spearman_objects", "recall_prumerge", "recall_random")
    curve = {k: v for k, v in r.items() if k.startswith(("khist_", "ksize_"))}
    return {**{k: r[k] for k in keys}, "recall_ratio": r["recall_ratio"], **curve}


# --- claim 5: the detail regime ------------------------------------------------------------------


def _detail_plan(seed: int, scale: Scale) -> list[ExperimentCall]:
    return [evaluation.call(seed, scale), detail_evaluation.call(seed, scale)]


def _above(s: Summary) -> bool:
    return s.mean - (s.half_width if s.n > 1 else 0.0) > 0


def _detail_criterion(runs: list[Measurement]) -> Verdict:
    tf, ft = _s(runs, "tf_gap"), _s(runs, "ft_gap")
    full = _s(runs, "detail_full").mean
    chance = 1 / _s(runs, "classes").mean
    best = {b: _s(runs, f"detail_tf_vs_{b}") for b in DETAIL_METHODS}
    text = (
        f"accuracy kept by PruMerge (reduced / all-token, %), salient minus detail: training-free "
        f"{_fmt(tf)}, fine-tuned {_fmt(ft)}; detail task all-token accuracy {full:.3f} "
        f"(chance {chance:.2f}) at {_s(runs, 'detail_tokens').mean:.1f} tokens; detail PruMerge "
        "minus baseline, pts: "
        + "; ".join(f"{b} {_fmt(v)}" for b, v in best.items())
        + f"; k per image {_s(runs, 'detail_k').mean:.1f} on small print vs "
        f"{_s(runs, 'salient_k').mean:.1f} on the salient task, object-patch recall "
        f"{_s(runs, 'detail_recall_ratio').mean:.2f}x random-k"
    )
    if full < 2 * chance:
        return Verdict.not_reproduced(
            "the all-token head is near chance on the detail task: " + text
        )
    if _above(tf) and _above(ft):
        return Verdict.reproduced(text)
    if tf.mean > 0 or ft.mean > 0:
        return Verdict.partial(text)
    return Verdict.not_reproduced(text)


@reproduction(
    name="detail_regime",
    title="pruning costs more on a small-print task than on a salient-object task",
    claim="Not a claim of the paper: the expectation that visual-token pruning hurts most on "
    "detail/OCR tasks (UniPruneBench: OCR is the most fragile). Measured: the share of the "
    f"all-token accuracy PruMerge keeps on the same generator's items pasted at {DETAIL_ITEM_SIZE} "
    "px (small print) vs the salient 24 px task, training-free and fine-tuned.",
    paper_value="detail tasks lose more than salient ones",
    headline="ft_gap",
    unit="% retention",
    criterion=_detail_criterion,
    plan=_detail_plan,
)
def measure_detail(seed: int, scale: Scale) -> Measurement:
    r, d = evaluation(seed, scale), detail_evaluation(seed, scale)

    def kept(run: Measurement, a: str, b: str) -> float:
        return 100.0 * run[a] / max(run[b], 1e-12)

    out = {
        "tf_gap": kept(r, "tf_prumerge", "full") - kept(d, "tf_prumerge", "full"),
        "ft_gap": kept(r, "ft_prumerge", "ft_full") - kept(d, "ft_prumerge", "ft_full"),
        "detail_full": d["full"],
        "detail_tf_drop": _pts(d, "full", "tf_prumerge"),
        "detail_ft_drop": _pts(d, "ft_full", "ft_prumerge"),
        "detail_tokens": d["tokens_prumerge"],
        "classes": d["classes"],
        "salient_k": r["k_mean"],
        "detail_k": d["adapt_k_mean"],
        "detail_recall_ratio": d["adapt_recall_ratio"],
    }
    return out | {f"detail_tf_vs_{b}": _pts(d, "tf_prumerge", f"tf_{b}") for b in DETAIL_METHODS}
