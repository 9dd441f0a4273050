import numpy as np
import pytest
import torch
from sklearn.metrics import average_precision_score

from paperzoo.core.interfaces import Explainer
from paperzoo.core.vit import SmallViT, ViTConfig
from paperzoo.tokentm.evaluate import (
    EvalConfig,
    auc,
    average_precision,
    evaluate_explainer,
    perturbation_curve,
    removal_masks,
    segmentation_scores,
)

CFG = ViTConfig(image_size=8, patch_size=4, in_chans=1, num_classes=3, dim=8, depth=1, heads=2)


def test_removal_masks_rank_by_map():
    maps = torch.tensor([[[0.9, 0.1], [0.5, 0.3]]])
    pos = removal_masks(maps, [0.0, 0.25, 0.5, 1.0], positive=True)
    assert pos[0].sum() == 0 and pos[3].all()
    assert pos[1, 0].tolist() == [[True, False], [False, False]]
    assert pos[2, 0].tolist() == [[True, False], [True, False]]
    neg = removal_masks(maps, [0.5], positive=False)
    assert neg[0, 0].tolist() == [[False, True], [False, True]]


def test_perturbation_curve_matches_manual_removal():
    torch.manual_seed(0)
    model = SmallViT(CFG).eval()
    x = torch.rand(4, 1, 8, 8)
    maps = torch.rand(4, 8, 8)
    steps = (0.0, 0.3, 0.6, 1.0)
    got = perturbation_curve(model, x, maps, positive=True, steps=steps)
    with torch.no_grad():
        pred = model(x).argmax(1)
        for i in range(4):
            order = np.argsort(-maps[i].flatten().numpy(), kind="stable")
            for s, frac in enumerate(steps):
                xi = x[i].clone().flatten()
                xi[order[: round(frac * 64)]] = 0
                kept = model(xi.reshape(1, 1, 8, 8)).argmax(1).item() == pred[i].item()
                assert got[i, s].item() == float(kept)
    assert got[:, 0].eq(1).all()


def test_auc_trapezoid():
    curve = torch.tensor([1.0, 0.5, 0.0])
    assert auc(curve, (0.0, 0.5, 1.0)).item() == pytest.approx(0.5)
    assert auc(torch.ones(2, 11)).tolist() == pytest.approx([1.0, 1.0])


def test_average_precision_matches_sklearn():
    g = torch.Generator().manual_seed(3)
    scores = torch.rand(6, 40, generator=g).round(decimals=1)  # many ties
    labels = torch.rand(6, 40, generator=g) < 0.3
    ref = [average_precision_score(labels[i].numpy(), scores[i].numpy()) for i in range(6)]
    torch.testing.assert_close(average_precision(scores, labels), torch.tensor(ref).double())


def test_segmentation_scores_against_numpy():
    g = torch.Generator().manual_seed(4)
    maps = torch.rand(5, 6, 6, generator=g)
    masks = torch.rand(5, 6, 6, generator=g) < 0.4
    got = segmentation_scores(maps, masks)
    m = maps.numpy().reshape(5, -1)
    norm = (m - m.min(1, keepdims=True)) / (m.max(1, keepdims=True) - m.min(1, keepdims=True))
    pred = norm > norm.mean(1, keepdims=True)
    gt = masks.numpy().reshape(5, -1)
    ious = [((pred == c) & (gt == c)).sum() / ((pred == c) | (gt == c)).sum() for c in (0, 1)]
    assert got["pixel_accuracy"] == pytest.approx((pred == gt).mean())
    assert got["miou"] == pytest.approx(np.mean(ious))
    assert got["ap"] == pytest.approx(
        np.mean([average_precision_score(gt[i], norm[i]) for i in range(5)])
    )
    perfect = segmentation_scores(masks.float(), masks)
    assert perfect == pytest.approx({"pixel_accuracy": 1.0, "miou": 1.0, "ap": 1.0})


class _Oracle(Explainer):
    name = "oracle"

    def __init__(self, model, masks):
        super().__init__(model)
        self._masks = masks

    def _explain(self, x, target):
        return self._masks[: len(x)].float()


def test_evaluate_explainer_oracle_localises_perfectly():
    torch.manual_seed(1)
    model = SmallViT(CFG).eval()
    x = torch.rand(6, 1, 8, 8)
    masks = torch.zeros(6, 8, 8, dtype=torch.bool)
    masks[:, 2:5, 1:6] = True
    out = evaluate_explainer(_Oracle(model, masks), x, masks, EvalConfig(n=6, batch_size=4))
    assert out["pixel_accuracy"] == 1.0 and out["miou"] == 1.0 and out["ap"] == 1.0
    assert 0 <= out["positive_auc"] <= 1 and 0 <= out["negative_auc"] <= 1


def test_eval_config_validation():
    with pytest.raises(ValueError, match="n must be >= 1, got 0"):
        EvalConfig(n=0)
    with pytest.raises(ValueError, match="steps must increase from 0.0 to 1.0"):
        EvalConfig(steps=(0.0, 0.5))
