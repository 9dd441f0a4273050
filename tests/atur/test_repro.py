from paperzoo.atur import repro
from paperzoo.core import registry
from paperzoo.core.report import summarise


def _pitfall(std_pss_k, cleancal, cov=0.9):
    out = {}
    for k in ("k10", "k100"):
        out |= {f"{k}_std_pss_over_k": std_pss_k, f"{k}_std_cleancal_coverage": cleancal,
                f"{k}_std_coverage": cov, f"{k}_std_pss": 8.0, f"{k}_at_pss": 4.0}  # fmt: skip
    return out


def test_claims_are_registered_with_computed_criteria():
    names = {r.qualified_name for r in registry.reproductions(["atur"])}
    assert {"atur.pitfall", "atur.trades_mart", "atur.at_ur"} <= names
    benches = {b.qualified_name for b in registry.benchmarks(["atur"])}
    assert {"atur.pgd10", "atur.at_epoch"} <= benches


def test_pitfall_verdicts_follow_the_numbers():
    assert repro._pitfall_criterion([_pitfall(0.9, 0.6)]).status == "reproduced"
    assert repro._pitfall_criterion([_pitfall(0.3, 0.2)]).status == "reproduced"
    assert repro._pitfall_criterion([_pitfall(0.3, 0.8)]).status == "not reproduced"
    # big sets but coverage off target does not count
    assert repro._pitfall_criterion([_pitfall(0.9, 0.6, cov=0.8)]).status == "not reproduced"


def _variants(delta, seeds=3):
    runs = []
    for s in range(seeds):
        r = {}
        for k in ("k10", "k100"):
            r |= {f"{k}_at_pss": 3.0 + 0.01 * s, f"{k}_at_pss_sd": 0.1, f"{k}_at_robust_acc": 0.5}
            for v in ("trades", "mart"):
                r |= {f"{k}_{v}_pss": 3.0 + delta + 0.02 * s, f"{k}_{v}_robust_acc": 0.55,
                      f"{k}_{v}_coverage": 0.9}  # fmt: skip
        runs.append(r)
    return runs


def test_trades_mart_verdicts_use_the_ci():
    assert repro._variants_criterion(_variants(0.5)).status == "reproduced"
    assert repro._variants_criterion(_variants(-0.5)).status == "not reproduced"
    assert repro._variants_criterion(_variants(0.001)).status == "not reproduced"


def _atur(best, control):
    runs = []
    for s in range(3):
        r = {}
        for k in ("k10", "k100"):
            for m, pss in (("at", 10.0), ("at-scale", control), ("at-em", best + 1),
                           ("at-beta", best + 2), ("at-beta-em", best)):  # fmt: skip
                r |= {f"{k}_{m}_pss": pss + 0.01 * s, f"{k}_{m}_pss_sd": 0.2,
                      f"{k}_{m}_coverage": 0.9}  # fmt: skip
        runs.append(r)
    return runs


def test_at_ur_verdict_separates_the_loss_scale_effect():
    assert repro._atur_criterion(_atur(best=8.0, control=9.5)).status == "reproduced"
    partial = repro._atur_criterion(_atur(best=8.0, control=7.0))
    assert partial.status == "partial" and "not the loss-scale control" in partial.reason
    assert repro._atur_criterion(_atur(best=11.0, control=9.0)).status == "not reproduced"


def _noisy_variants(deltas):
    """One run per seed; trades and mart exceed AT by ``deltas[seed]`` in both regimes."""
    return [
        {
            f"{k}_{m}": v
            for k in ("k10", "k100")
            for m, v in (
                ("at_pss", 3.0),
                ("at_robust_acc", 0.5),
                ("trades_pss", 3.0 + d),
                ("mart_pss", 3.0 + d),
                ("trades_robust_acc", 0.5),
                ("mart_robust_acc", 0.5),
                ("trades_coverage", 0.9),
                ("mart_coverage", 0.9),
            )
        }  # fmt: skip
        for d in deltas
    ]


def test_one_seed_decides_on_the_point_difference_and_claims_no_ci():
    verdict = repro._variants_criterion(_variants(0.001, seeds=1))
    assert verdict.status == "reproduced"
    assert "n=1 seed: no CI over seeds" in verdict.reason
    assert "±" not in verdict.reason and "95%" not in verdict.reason
    runs = _variants(0.5, seeds=1)
    for k in ("k10", "k100"):
        runs[0][f"{k}_mart_pss"] = 2.0  # mart smaller: two of four comparisons hold
    partial = repro._variants_criterion(runs)
    assert partial.status == "partial" and "beyond" not in partial.reason
    assert "2 of 4 comparisons larger by the point difference" in partial.reason
    atur = repro._atur_criterion(_atur(best=11.0, control=9.0)[:1])
    assert atur.status == "not reproduced" and "n=1 seed: no CI over seeds" in atur.reason
    assert "beyond" not in atur.reason


def test_several_seeds_use_the_student_t_ci_of_the_per_seed_differences():
    deltas = [0.1, 0.5]
    verdict = repro._variants_criterion(_noisy_variants(deltas))
    hw = summarise(deltas).half_width  # t(0.975, 1) · sd / √2 ≈ 2.54: the CI spans 0
    assert f"PSS +0.30 ± {hw:.2f} vs AT" in verdict.reason
    assert "95% Student-t CI" in verdict.reason and "n=2 seeds" in verdict.reason
    assert verdict.status == "not reproduced"
    # the same positive difference from one seed is decided on its sign alone
    assert repro._variants_criterion(_noisy_variants(deltas[:1])).status == "reproduced"


def test_at_ur_reason_discloses_the_selection():
    reason = repro._atur_criterion(_atur(best=8.0, control=9.5)).reason
    assert "best of the 3 AT-UR variants" in reason and "held-out training data" in reason


def test_bar_plot_writes_a_png(tmp_path):
    runs = _variants(0.5, seeds=2)
    (path,) = repro._variants_plot(runs, tmp_path, "quick")
    assert path == tmp_path / "atur_trades_mart.png" and path.read_bytes()[:4] == b"\x89PNG"


def test_at_ur_reason_reports_fat_and_trades_variants_at_full_scale():
    runs = _atur(best=8.0, control=9.5)
    for s, r in enumerate(runs):
        for k in ("k10", "k100"):
            for m, pss in (("fat", 10.0), ("fat-beta-em", 9.0), ("trades", 12.0),
                           ("trades-em", 12.5), ("trades-beta-em", 11.0)):  # fmt: skip
                r[f"{k}_{m}_pss"] = pss + 0.01 * s
    verdict = repro._atur_criterion(runs)
    assert "fat-beta-em -1.00 ± 0.00 vs fat" in verdict.reason
    assert "trades-em +0.50 ± 0.00 vs trades" in verdict.reason
    assert verdict.status == "reproduced"  # the extras do not enter the verdict
    assert "fat" not in repro._atur_criterion(_atur(best=8.0, control=9.5)).reason
