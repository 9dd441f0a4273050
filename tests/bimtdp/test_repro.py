from paperzoo.bimtdp.repro import _exact_criterion, _gap_criterion, _gaussian_criterion
from paperzoo.bimtdp.repro import _ordering_criterion as ordering


def _run(**deltas):
    return {f"{v}_delta_m": d for v, d in deltas.items()}


def test_ordering_verdicts_follow_the_numbers():
    good = [_run(naive=-40, bnn=-30, ib=-25, f=-20, fp=-5) for _ in range(3)]
    assert ordering(good).status == "reproduced"
    broken = [_run(naive=-40, bnn=-30, ib=-25, f=-28, fp=-5) for _ in range(3)]
    v = ordering(broken)
    assert v.status == "partial" and "3 of 4" in v.reason
    flat = [_run(naive=-5, bnn=-5, ib=-5, f=-5, fp=-5) for _ in range(3)]
    assert ordering(flat).status == "not reproduced"


def test_gap_closed_verdicts():
    assert _gap_criterion([_run(naive=-40, bnn=-30, ib=-25, f=-20, fp=0)]).status == "reproduced"
    assert _gap_criterion([_run(naive=-40, bnn=-30, ib=-25, f=-35, fp=0)]).status == "partial"
    no_gap = _gap_criterion([_run(naive=0, bnn=-30, ib=-25, f=-35, fp=-1)])
    assert no_gap.status == "not reproduced" and "no gap" in no_gap.reason


def test_gaussian_verdicts():
    run = {"f_z_abs_skew": 0.2, "f_z_abs_kurtosis": 0.5, "bnn_z_abs_skew": 0.3,
           "bnn_z_abs_kurtosis": 2.0, "f_kl_per_dim": 0.5}  # fmt: skip
    assert _gaussian_criterion([run]).status == "reproduced"
    assert _gaussian_criterion([{**run, "f_z_abs_kurtosis": 3.0}]).status == "not reproduced"


def test_exact_verdict_needs_zero_error_and_32x():
    r = {"max_abs_error": 0.0, "sign_mismatches": 0.0, "cases": 4.0, "bytes_ratio": 32.0}
    assert _exact_criterion([r]).status == "reproduced"
    assert _exact_criterion([{**r, "max_abs_error": 1.0}]).status == "not reproduced"
