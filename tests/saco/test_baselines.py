import numpy as np
import pytest
import torch

from paperzoo.saco import (
    AOPC,
    Comprehensiveness,
    DeletionAUC,
    InsertionAUC,
    LOdds,
    PerturbationMetricConfig,
    Sufficiency,
)


def reference_curve(model, x, a, fractions, keep_top):
    """Per image, per fraction: fill the top (or all but the top) pixels with the image mean."""
    base, curve = [], []
    for n in range(x.shape[0]):
        img = x[n]
        p0 = model(img[None]).softmax(1)[0]
        c = int(p0.argmax())
        order = np.argsort(-a[n].flatten().numpy(), kind="stable")
        row = []
        for f in fractions:
            top = order[: int(round(f * order.size))]
            flat = img.reshape(img.shape[0], -1)
            mean = flat.mean(1, keepdim=True)
            if keep_top:
                pert = mean.expand_as(flat).clone()
                pert[:, top] = flat[:, top]
            else:
                pert = flat.clone()
                pert[:, top] = mean
            row.append(float(model(pert.reshape(img.shape)[None]).softmax(1)[0, c]))
        base.append(float(p0[c]))
        curve.append(row)
    return torch.tensor(base), torch.tensor(curve)


@pytest.fixture
def salience():
    return torch.rand(6, 8, 10, generator=torch.Generator().manual_seed(7))


def test_curve_metrics_match_reference_loops(model, images, salience):
    cfg = PerturbationMetricConfig(steps=5, fractions=(0.1, 0.25, 0.5), batch_size=9)
    grid = np.linspace(0, 1, 6)
    with torch.no_grad():
        base, deletion = reference_curve(model, images, salience, grid, keep_top=False)
        _, insertion = reference_curve(model, images, salience, grid, keep_top=True)
        _, removed = reference_curve(model, images, salience, cfg.fractions, keep_top=False)
        _, kept = reference_curve(model, images, salience, cfg.fractions, keep_top=True)
    expected = {
        AOPC: (base[:, None] - deletion).mean(1),
        DeletionAUC: torch.from_numpy(np.trapezoid(deletion.numpy(), grid, axis=1)),
        InsertionAUC: torch.from_numpy(np.trapezoid(insertion.numpy(), grid, axis=1)),
        LOdds: (torch.log(removed) - torch.log(base)[:, None]).mean(1),
        Comprehensiveness: (base[:, None] - removed).mean(1),
        Sufficiency: (base[:, None] - kept).mean(1),
    }
    for metric_cls, want in expected.items():
        got = metric_cls(cfg)(model=model, x_batch=images, a_batch=salience).scores
        torch.testing.assert_close(
            got.double(), want.double(), rtol=1e-4, atol=1e-5, msg=metric_cls.name
        )


def test_forward_images_and_directions(model, images, salience):
    model.images_seen = 0
    result = AOPC(PerturbationMetricConfig(steps=10))(model=model, x_batch=images, a_batch=salience)
    assert model.images_seen == result.forward_images == 6 * 12
    assert (
        AOPC.higher_is_better and not DeletionAUC.higher_is_better and InsertionAUC.higher_is_better
    )


def test_config_validation():
    for field, value in [
        ("steps", 0),
        ("fractions", (0.0,)),
        ("perturbation", "noise"),
        ("model_outputs", "scores"),
        ("batch_size", 0),
    ]:
        with pytest.raises(ValueError, match=field):
            PerturbationMetricConfig(**{field: value})


def test_labels_are_checked_and_train_mode_is_restored(model, images, salience):
    model.train()
    metric = AOPC()
    with pytest.raises(ValueError, match=r"y_batch: class index outside \[0, 5\)"):
        metric(model=model, x_batch=images, y_batch=torch.full((6,), 7), a_batch=salience)
    with pytest.raises(ValueError, match="y_batch must hold integer class indices"):
        metric(model=model, x_batch=images, y_batch=torch.full((6,), 1.7), a_batch=salience)
    metric(model=model, x_batch=images, y_batch=torch.zeros(6, dtype=torch.long), a_batch=salience)
    assert model.training and all(m.training for m in model.modules())
