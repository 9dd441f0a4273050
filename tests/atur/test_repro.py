from paperzoo.atur import repro
from paperzoo.core import registry


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
