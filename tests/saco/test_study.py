import math
from dataclasses import replace

import pytest
import torch
from typer.testing import CliRunner

from paperzoo.core import registry
from paperzoo.core.data.placed import PlacedConfig
from paperzoo.core.registry import Scale
from paperzoo.core.vit import SmallViT, ViTConfig, adapt, save_small_vit
from paperzoo.core.vit import train as train_mod
from paperzoo.saco import cli, experiments, repro
from paperzoo.saco.cli import app
from paperzoo.saco.data import fit_to_model, study_images
from paperzoo.saco.study import (
    StudyConfig,
    StudyResult,
    paired_bootstrap,
    run_study,
    run_study_seeds,
    separation,
    study_methods,
)

DIGITS = PlacedConfig(source="digits")


@pytest.fixture(scope="module")
def tiny_vit():
    torch.manual_seed(0)
    return SmallViT(ViTConfig(dim=16, depth=2, heads=2)).eval()


def test_study_scores_every_method_with_every_metric(tiny_vit):
    x = study_images(6, seed=1, data=DIGITS)
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
    run |= {f"{m}.SaCo@K=10": 0.3 for m in repro.ABLATION.values()}
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
    runs = [{**_runs()[0], "vit_test_accuracy": 0.746}]
    for criterion in (repro.older_metrics_criterion, repro.saco_random_criterion,
                      repro.ablation_criterion):  # fmt: skip
        assert criterion(runs).reason.startswith("ViT test accuracy 74.6 %; ")


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
    run |= {f"{m}.SaCo@K=10": 0.1 * i for i, m in enumerate(registry.explainers())}
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


def test_the_default_study_discovers_every_registered_explainer_in_order(tiny_vit):
    x = study_images(4, seed=2, data=DIGITS)
    cfg = StudyConfig(n_images=4, ks=(4,), older_metrics=False, bootstrap=100)
    registered = list(registry.explainers())
    assert len(registered) == 8 and {"random", *repro.ABLATION.values()} <= set(registered)
    assert study_methods(cfg) == tuple(registered)
    result = run_study(tiny_vit, x, cfg, seed=0)
    assert result.methods == registered
    # what is measured does not depend on the order the explainers run in
    reverse = run_study(tiny_vit, x, replace(cfg, methods=tuple(registered[::-1])))
    for key, scores in result.scores.items():
        torch.testing.assert_close(reverse.scores[key], scores, rtol=0, atol=0, equal_nan=True)


def test_bad_method_lists_get_one_clear_message():
    with pytest.raises(ValueError, match=r"methods: 'nope' not registered as explainers \(regis"):
        study_methods(StudyConfig(methods=("rollout", "nope")))
    with pytest.raises(TypeError, match="methods must be a tuple of names or None"):
        StudyConfig(methods="rollout")
    with pytest.raises(ValueError, match="methods must not be empty"):
        StudyConfig(methods=())
    with pytest.raises(ValueError, match="a name appears twice"):
        StudyConfig(methods=("rollout", "rollout"))
    result = StudyResult(scores={("rollout", "m"): torch.zeros(3)}, higher_is_better={"m": True})
    with pytest.raises(ValueError, match="baseline: 'random' is not among the study's methods"):
        separation(result, "m", 100)


def test_run_study_accepts_an_adapter_and_restores_train_flags():
    timm = pytest.importorskip("timm")
    torch.manual_seed(0)
    host = timm.models.vision_transformer.VisionTransformer(
        img_size=16, patch_size=4, embed_dim=24, depth=2, num_heads=3, num_classes=5,
        drop_rate=0.5, proj_drop_rate=0.5,
    ).train()  # fmt: skip
    adapter = adapt(host)
    x = fit_to_model(study_images(4, seed=0, data=DIGITS), adapter)
    assert x.shape == (4, 3, 16, 16)
    cfg = StudyConfig(n_images=4, ks=(4,), methods=("rollout", "genatt"), bootstrap=100)
    via_adapter = run_study(adapter, x, cfg)  # was: AttributeError, eval_mode(adapter)
    via_module = run_study(host, x, cfg)
    assert all(m.training for m in host.modules())
    for key, scores in via_module.scores.items():  # dropout off while explaining and scoring
        torch.testing.assert_close(via_adapter.scores[key], scores, equal_nan=True)


def test_fit_to_model_refuses_colour_images_for_a_grey_model(tiny_vit):
    assert fit_to_model(torch.rand(2, 1, 32, 32), tiny_vit).shape == (2, 1, 32, 32)
    with pytest.raises(ValueError, match="x: 3-channel images cannot feed a 1-channel model"):
        fit_to_model(torch.rand(2, 3, 32, 32), tiny_vit)


def test_run_study_seeds_draws_fresh_images_per_seed(tiny_vit):
    cfg = StudyConfig(n_images=4, ks=(4,), methods=("random", "rollout"), older_metrics=False)
    results = run_study_seeds(tiny_vit, cfg, 2, DIGITS)
    for seed, result in enumerate(results):
        alone = run_study(tiny_vit, study_images(4, seed, DIGITS), cfg, seed)
        torch.testing.assert_close(result.scores[("rollout", "SaCo@K=4")],
                                   alone.scores[("rollout", "SaCo@K=4")])  # fmt: skip
    assert not torch.equal(results[0].scores[("random", "SaCo@K=4")],
                           results[1].scores[("random", "SaCo@K=4")])  # fmt: skip
    with pytest.raises(ValueError, match="seeds must be an int >= 1, got 0"):
        run_study_seeds(tiny_vit, cfg, 0, DIGITS)


def _registered_without(monkeypatch, name):
    subset = {k: v for k, v in registry.explainers().items() if k != name}
    monkeypatch.setattr(registry, "explainers", lambda: dict(subset))


def test_the_study_experiment_needs_random_and_says_which_ablation_method_is_missing(
    tiny_vit, monkeypatch
):
    meta = {"data_config": DIGITS, "test_accuracy": 0.5}
    monkeypatch.setattr(train_mod, "trained_vit", lambda scale: (tiny_vit, meta))
    _registered_without(monkeypatch, "genatt")
    run = experiments.study.__wrapped__(0, Scale.SMOKE)
    assert "genatt.SaCo@K=10" not in run and "rollout.SaCo@K=10" in run
    assert all(math.isnan(run[k]) for k in experiments.ABLATION_GAINS)
    verdict = repro.ablation_criterion([run])
    assert verdict.status == "not reproduced" and "genatt not registered" in verdict.reason
    assert repro.saco_random_criterion([run]).status in ("reproduced", "partial", "not reproduced")
    _registered_without(monkeypatch, "random")
    with pytest.raises(ValueError, match="methods: the study compares explainers with Random"):
        experiments.study.__wrapped__(0, Scale.SMOKE)


def test_cli_benchmark_is_one_library_call(tiny_vit, monkeypatch, tmp_path):
    monkeypatch.setattr(cli, "resolve_model", lambda spec: (tiny_vit, DIGITS))
    args = ["benchmark", "--n", "4", "--seeds", "2", "--ks", "4", "--methods", "random,rollout"]
    result = CliRunner().invoke(app, [*args, "--out", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert "rollout" in result.output and "methods better than Random (seed 0" in result.output
    saved = torch.load(tmp_path / "saco_benchmark.pt")
    assert len(saved["scores"]) == 2 and saved["higher"]["SaCo@K=4"] is True


def test_cli_without_a_model_or_a_cached_vit_says_what_to_do(monkeypatch, tmp_path):
    monkeypatch.setenv("PAPERZOO_CACHE", str(tmp_path))
    result = CliRunner().invoke(app, ["score", "--n", "4"])
    assert isinstance(result.exception, FileNotFoundError)
    assert "no trained ViT cached; run `paperzoo tokentm train` or pass --model" in str(
        result.exception
    )
