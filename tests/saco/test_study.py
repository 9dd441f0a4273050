import math

import pytest
import torch
from typer.testing import CliRunner

from paperzoo.core.data.placed import PlacedConfig
from paperzoo.core.vit import SmallViT, ViTConfig, save_small_vit
from paperzoo.saco import repro
from paperzoo.saco.cli import app
from paperzoo.saco.study import (
    StudyConfig,
    StudyResult,
    paired_bootstrap,
    run_study,
    separation,
    study_images,
)


@pytest.fixture(scope="module")
def tiny_vit():
    torch.manual_seed(0)
    return SmallViT(ViTConfig(dim=16, depth=2, heads=2)).eval()


def test_study_scores_every_method_with_every_metric(tiny_vit):
    x = study_images(6, seed=1, data=PlacedConfig(source="digits"))
    cfg = StudyConfig(
        n_images=6, ks=(4, 8), methods=("random", "rollout", "tokentm"), bootstrap=100
    )
    seen = []
    result = run_study(tiny_vit, x, cfg, seed=0, on_step=seen.append)
    assert seen == ["random", "rollout", "tokentm"]
    metrics = {
        "SaCo@K=4",
        "SaCo@K=8",
        "AOPC",
        "Deletion AUC",
        "Insertion AUC",
        "LOdds",
        "Comprehensiveness",
        "Sufficiency",
    }
    assert {m for _, m in result.scores} == metrics
    for scores in result.scores.values():
        assert scores.shape == (6,)
    saco = result.scores[("tokentm", "SaCo@K=8")]
    assert ((saco >= -1) & (saco <= 1)).all()
    assert result.higher_is_better["SaCo@K=4"] and not result.higher_is_better["Deletion AUC"]


def test_paired_bootstrap_and_separation():
    gen = torch.Generator().manual_seed(0)
    base = torch.rand(400, generator=gen)
    lo, hi = paired_bootstrap(base + 0.5, base, 500)
    assert lo == pytest.approx(0.5) and hi == pytest.approx(0.5)
    noise = torch.randn(400, generator=gen)
    lo, hi = paired_bootstrap(noise, torch.zeros(400), 500)
    assert lo < 0 < hi and hi - lo < 0.4
    result = StudyResult(
        scores={
            ("random", "m"): base,
            ("good", "m"): base - 1.0,
            ("same", "m"): base + noise * 1e-3,
            ("bad", "m"): base + 1.0,
        },
        higher_is_better={"m": False},
    )
    sep = separation(result, "m", 500)
    assert sep["good"] == 1.0 and sep["bad"] == -1.0 and sep["same"] == 0.0


def _runs(**values):
    run = {f"separated.{m.name}": values.get(m.name, 1.0) for m in repro.OLDER_METRICS}
    run |= {"random.SaCo@K=10": values.get("random", 0.0), "separated.SaCo@K=10": 1.0}
    run |= {
        "ablation.multi_layer_gain": 0.1,
        "ablation.gradient_gain": values.get("grad", 0.1),
        "ablation.both_over_best_single": 0.05,
    }
    return [run]


def test_criteria_follow_the_numbers():
    assert repro.older_metrics_criterion(_runs()).status == "not reproduced"
    failing = {m.name: 0.2 for m in repro.OLDER_METRICS[:4]}
    assert repro.older_metrics_criterion(_runs(**failing)).status == "reproduced"
    assert repro.older_metrics_criterion(_runs(AOPC=0.0)).status == "partial"
    assert repro.saco_random_criterion(_runs()).status == "reproduced"
    assert repro.saco_random_criterion(_runs(random=0.2)).status == "partial"
    assert repro.ablation_criterion(_runs()).status == "reproduced"
    verdict = repro.ablation_criterion(_runs(grad=-0.1))
    assert verdict.status == "partial" and "gradient − raw: -0.100" in verdict.reason
    assert math.isclose(repro._mean(_runs() + _runs(random=0.4), "random.SaCo@K=10"), 0.2)


@pytest.mark.fashion_mnist
def test_cli_scores_a_user_checkpoint(tiny_vit, tmp_path):
    ckpt = save_small_vit(tmp_path / "vit.pt", tiny_vit)
    runner = CliRunner()
    result = runner.invoke(
        app, ["score", "--method", "genatt", "--k", "5", "--n", "8", "--model", str(ckpt)]
    )
    assert result.exit_code == 0, result.output
    assert "SaCo(genatt, K=5) = " in result.output and "48 forward images" in result.output
    bad = runner.invoke(app, ["score", "--method", "nope", "--n", "4", "--model", str(ckpt)])
    assert isinstance(bad.exception, ValueError) and "unknown explainer 'nope'" in str(
        bad.exception
    )
    big = runner.invoke(app, ["score", "--k", "5000", "--n", "4", "--model", str(ckpt)])
    assert "k=5000 is larger than the number of pixel groups" in str(big.exception)


def test_plots_are_written_from_measured_runs(tmp_path):
    run = _runs()[0]
    run |= {f"{m}.SaCo@K=10": 0.1 * i for i, m in enumerate(repro.METHODS)}
    run |= {f"separated.SaCo@K={k}": 1.0 for k in (5, 10, 20)}
    paths = [
        *repro._plot_separation([run], tmp_path, "quick"),
        *repro._plot_saco([run], tmp_path, "quick"),
        *repro._plot_ablation([run], tmp_path, "quick"),
    ]
    assert [p.name for p in paths] == [
        "saco_random_separation.png",
        "saco_per_method.png",
        "saco_ablation.png",
    ]
    assert all(p.read_bytes()[:4] == b"\x89PNG" for p in paths)
