"""Registered claims: fusion beats the best single modality on HAPT (and the features + trees
baseline); with the gyroscope missing the robust variants keep their score where early fusion
with zero-fill drops; BasicMotions is solved by every variant; a linear probe on acc↔gyro
contrastive features competes with supervised training at 10 % labels. Verdicts are computed
from the measured numbers by the targets of docs/mmhar.md §4. Scales: see
:mod:`paperzoo.mmhar.experiments`.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from paperzoo.core.plot import bar_chart
from paperzoo.core.registry import Measurement, Scale, Verdict, reproduction
from paperzoo.mmhar.evaluate import plot_confusion
from paperzoo.mmhar.experiments import basic_motions, hapt_contrastive, hapt_fusion

#: seconds for the claims at quick scale (1 seed, the default), empty cache: 62 s CPU measured
#: (fusion + missing_gyro ≈ 42 s, contrastive ≈ 12 s; 211 s wall on the shared 2-core machine);
#: seeds 1–2 on top took 149 s CPU
QUICK_BUDGET_S = 60
FUSED_TARGET, GAIN_TARGET = 0.92, 0.03
MISSING_TARGET, MAX_LOSS, CONTROL_DROP = 0.88, 0.03, 0.08
BM_TARGET = 0.95
PROBE_SHARE, RETRIEVAL_FACTOR = 0.85, 5.0


def _mean(runs: list[Measurement], key: str) -> float:
    return float(np.mean([r[key] for r in runs]))


def _scale_note(scale_runs: list[Measurement]) -> str:
    r = scale_runs[0]
    return (
        f"{len(scale_runs)} seed(s); {int(r['n_subjects'])} subjects, "
        f"{int(r['n_test_windows'])} test windows per seed, subject-wise folds"
    )


def _hapt(seed: int, scale: Scale) -> Measurement:
    r = hapt_fusion(seed, scale)
    return {k: float(v) for k, v in r.items() if isinstance(v, float | int)}


# --- claim 1: fusion beats the best single modality --------------------------------------------


def _fusion_criterion(runs: list[Measurement]) -> Verdict:
    fused, late = _mean(runs, "fused_macro_f1"), _mean(runs, "late_mean_macro_f1")
    acc, gyro = _mean(runs, "acc_macro_f1"), _mean(runs, "gyro_macro_f1")
    trees = _mean(runs, "trees_early_macro_f1")
    best = max(acc, gyro)
    gain = fused - best
    reason = (
        f"macro-F1: fused (gated, modality dropout) {fused:.3f}, late-mean {late:.3f}, "
        f"early {_mean(runs, 'early_macro_f1'):.3f}; acc only {acc:.3f}, gyro only {gyro:.3f} "
        f"(gain over best single {gain:+.3f}, target +{GAIN_TARGET}); features+trees {trees:.3f}. "
        f"{_scale_note(runs)}"
    )
    checks = [fused >= FUSED_TARGET, gain >= GAIN_TARGET, fused > trees]
    if all(checks):
        return Verdict.reproduced(reason)
    if fused >= FUSED_TARGET and gain > 0:
        return Verdict.partial(f"{sum(checks)} of 3 targets met. {reason}")
    return Verdict.not_reproduced(reason)


def _fusion_plot(runs: list[Measurement], out: Path, scale: Scale) -> list[Path]:
    keys = ("acc", "gyro", "early", "fused", "late_mean", "late_product", "trees_early")
    bars = {k: _mean(runs, f"{k}_macro_f1") for k in keys}
    paths = [bar_chart(out / "mmhar_fusion.png", {"HAPT macro-F1": bars}, "macro-F1", hline=0.92)]
    r = hapt_fusion(0, scale)  # cached: the confusion matrix of seed 0's fused model
    cm = np.array(r["fused_confusion"])
    title = f"fused model, HAPT ({scale} scale, seed 0)"
    paths.append(plot_confusion(cm, tuple(r["classes"]), out / "mmhar_confusion.png", title))
    return paths


@reproduction(
    name="fusion",
    title="fusion beats the best single modality on HAPT",
    claim="Survey §3–4 (intra-multimodal systems): fusing complementary wearable modalities "
    "beats each alone. Issue target: HAPT subject-wise macro-F1 of the fused deep model "
    "≥ 0.92, ≥ best single modality + 0.03, and above features + trees on the same folds.",
    paper_value="fused ≥ 0.92 macro-F1, ≥ best single + 0.03 (trees, LOSO: 0.944 vs acc 0.902)",
    headline="fused_macro_f1",
    criterion=_fusion_criterion,
    plan=lambda seed, scale: [hapt_fusion.call(seed, scale)],
    plot=_fusion_plot,
)
def measure_fusion(seed: int, scale: Scale) -> Measurement:
    return _hapt(seed, scale)


# --- claim 2: robustness to a missing gyroscope --------------------------------------------


def _missing_criterion(runs: list[Measurement]) -> Verdict:
    robust, robust_all = _mean(runs, "fused_nogyro_macro_f1"), _mean(runs, "fused_macro_f1")
    late, acc = _mean(runs, "late_mean_nogyro_macro_f1"), _mean(runs, "acc_macro_f1")
    early, early_all = _mean(runs, "early_nogyro_macro_f1"), _mean(runs, "early_macro_f1")
    nodrop = _mean(runs, "fused_nodrop_nogyro_macro_f1")
    drop = early_all - early
    reason = (
        f"gyro missing, macro-F1: modality-dropout model {robust:.3f} (all present "
        f"{robust_all:.3f}, loss {robust_all - robust:+.3f}), renormalised late fusion {late:.3f} "
        f"(acc only {acc:.3f}), same gated model without dropout {nodrop:.3f}, early fusion "
        f"zero-fill {early:.3f} (drop {drop:.3f}, control expects ≥ {CONTROL_DROP}). "
        f"{_scale_note(runs)}"
    )
    robust_ok = robust >= MISSING_TARGET and robust_all - robust <= MAX_LOSS
    late_ok = late >= MISSING_TARGET and late >= acc - 0.01
    control = drop >= CONTROL_DROP
    if robust_ok and late_ok and control:
        return Verdict.reproduced(reason)
    if (robust_ok or late_ok) and (control or drop > 0):
        return Verdict.partial(reason)
    return Verdict.not_reproduced(reason)


def _missing_plot(runs: list[Measurement], out: Path, scale: Scale) -> list[Path]:
    panels = {
        "all present": {
            k: _mean(runs, f"{k}_macro_f1") for k in ("early", "fused_nodrop", "fused")
        },
        "gyro missing": {
            k: _mean(runs, f"{k}_nogyro_macro_f1") for k in ("early", "fused_nodrop", "fused")
        },
    }
    panels["gyro missing"]["late_mean"] = _mean(runs, "late_mean_nogyro_macro_f1")
    panels["all present"]["late_mean"] = _mean(runs, "late_mean_macro_f1")
    return [bar_chart(out / "mmhar_missing.png", panels, "macro-F1", hline=MISSING_TARGET)]


@reproduction(
    name="missing_gyro",
    title="late fusion / modality dropout survive a missing gyro",
    claim="Survey §5 (challenges: missing modalities): presence-aware late fusion and modality "
    "dropout keep accuracy with a modality missing at test time, where early fusion with "
    "zero-fill (imputation) collapses. Issue target: robust variant ≥ 0.88 with the gyroscope "
    "missing while early fusion zero-fill drops.",
    paper_value="robust ≥ 0.88 macro-F1, loss ≤ 0.03; zero-fill early fusion drops ≥ 0.08",
    headline="fused_nogyro_macro_f1",
    criterion=_missing_criterion,
    plan=lambda seed, scale: [hapt_fusion.call(seed, scale)],
    plot=_missing_plot,
)
def measure_missing(seed: int, scale: Scale) -> Measurement:
    return _hapt(seed, scale)


# --- claim 3: BasicMotions -----------------------------------------------------------------------


def _bm_criterion(runs: list[Measurement]) -> Verdict:
    means = {k.removesuffix("_accuracy"): _mean(runs, k) for k in runs[0]}
    low = {k: v for k, v in means.items() if v < BM_TARGET}
    reason = "accuracy: " + ", ".join(f"{k} {v:.3f}" for k, v in means.items())
    reason += f" (official 40/40 split, {len(runs)} seed(s))"
    if not low:
        return Verdict.reproduced(reason)
    if len(low) < len(means):
        return Verdict.partial(f"below {BM_TARGET}: {sorted(low)}. {reason}")
    return Verdict.not_reproduced(reason)


@reproduction(
    name="basic_motions",
    title="BasicMotions ≥ 0.95 for every modality and fusion",
    claim="Smoke test on real data (aeon's BasicMotions, watch acc + gyro, 4 classes): every "
    "single modality and every fusion level reaches ≥ 0.95 accuracy.",
    paper_value="≥ 0.95 (notes: RF and MiniRocket 1.00)",
    headline="gated_accuracy",
    criterion=_bm_criterion,
    plan=lambda seed, scale: [basic_motions.call(seed, scale)],
)
def measure_basic_motions(seed: int, scale: Scale) -> Measurement:
    return basic_motions(seed, scale)


# --- claim 4: cross-modal contrastive pretraining ------------------------------------------------


def _contrastive_criterion(runs: list[Measurement]) -> Verdict:
    probe, sup = _mean(runs, "probe_macro_f1"), _mean(runs, "supervised_macro_f1")
    rand = _mean(runs, "random_probe_macro_f1")
    top1, chance = _mean(runs, "retrieval_top1"), _mean(runs, "retrieval_chance")
    r = runs[0]
    reason = (
        f"macro-F1 with {int(r['n_labelled'])} labelled windows (10 %): linear probe on "
        f"acc↔gyro InfoNCE features {probe:.3f}, supervised gated CNN {sup:.3f} (probe/supervised "
        f"{probe / sup:.2f}, target ≥ {PROBE_SHARE}), probe on untrained encoders {rand:.3f}; "
        f"acc→gyro top-1 retrieval {top1:.3f} = {top1 / chance:.1f}× chance (target "
        f"≥ {RETRIEVAL_FACTOR:g}×). {len(runs)} seed(s); {int(r['n_subjects'])} subjects, "
        f"{int(r['n_pretrain'])} unlabelled training windows, {int(r['n_test_windows'])} test "
        f"windows of held-out subjects"
    )
    checks = [probe >= PROBE_SHARE * sup, top1 >= RETRIEVAL_FACTOR * chance, probe > rand]
    if all(checks):
        return Verdict.reproduced(reason)
    if checks[0] or checks[1]:
        return Verdict.partial(f"{sum(checks)} of 3 targets met. {reason}")
    return Verdict.not_reproduced(reason)


def _contrastive_plot(runs: list[Measurement], out: Path, scale: Scale) -> list[Path]:
    bars = {
        k.removesuffix("_macro_f1").replace("_", " "): _mean(runs, k)
        for k in ("supervised_macro_f1", "random_probe_macro_f1", "probe_macro_f1")
    }
    return [bar_chart(out / "mmhar_contrastive.png", {"HAPT, 10 % labels": bars}, "macro-F1")]


@reproduction(
    name="contrastive",
    title="cross-modal contrastive pretraining with a linear probe",
    claim="Survey §4 (self-supervised / contrastive cross-modal learning, IMU2CLIP-style): "
    "aligning two modalities with InfoNCE on unlabelled windows gives features that a linear "
    "probe turns into a classifier competitive with supervised training when labels are scarce. "
    "Research-notes target: probe ≥ 85 % of supervised macro-F1 with 10 % of the labels, "
    "cross-modal retrieval ≥ 5× chance, and above a probe on untrained encoders.",
    paper_value="probe ≥ 0.85 × supervised (10 % labels); retrieval ≥ 5× chance",
    headline="probe_macro_f1",
    criterion=_contrastive_criterion,
    plan=lambda seed, scale: [hapt_contrastive.call(seed, scale)],
    plot=_contrastive_plot,
)
def measure_contrastive(seed: int, scale: Scale) -> Measurement:
    return hapt_contrastive(seed, scale)
