"""The run TokenTM's claims read: every explainer on both tests (perturbation, segmentation).

One evaluation per seed and scale, cached through :mod:`paperzoo.core.experiments` and shared by
the two claims. Scale 'full': the full trained ViT, 500 test images per seed. 'quick': the cached
full ViT if present (else a 3-epoch, 30k-image training; placed digits when Fashion-MNIST is not
installed), 200 test images. 'smoke': a two-block ViT on digits, 8 images.
"""

from __future__ import annotations

from paperzoo.core.data.fashion_mnist import ROOT_ENV
from paperzoo.core.experiments import experiment
from paperzoo.core.registry import Measurement, Scale
from paperzoo.tokentm.evaluate import DEFAULT_METHODS, evaluate_methods

# (metric, higher is better)
PERTURBATION = (("positive_auc", False), ("negative_auc", True))
SEGMENTATION = (("pixel_accuracy", True), ("miou", True), ("ap", True))
MUST_BEAT = ("random", "rollout")  # the acceptance gate, docs/tokentm.md §3.1
PAPER_BEATS = ("raw_attention", "attention_gradcam", "genatt", "chefer_lrp", "integrated_gradients")


@experiment(code=("paperzoo.tokentm", "paperzoo.core"), env=(ROOT_ENV,))
def evaluation(seed: int, scale: Scale) -> Measurement:
    """All methods, both tests, one seed, with TokenTM's margin over each other method."""
    from paperzoo.core.vit.train import trained_vit

    scale = Scale.parse(scale)
    model, meta = trained_vit(scale)
    n = scale.pick(smoke=8, quick=200, full=500)
    results = evaluate_methods(model, DEFAULT_METHODS, n=n, seed=seed, data=meta["data_config"])
    out: Measurement = {
        "vit_test_accuracy": meta["test_accuracy"],
        "vit_full_scale": float(meta["is_full_spec"]),
        "data_is_fashion_mnist": float(meta["data_config"].source == "fashion_mnist"),
    }
    for method, metrics in results.items():
        for name, value in metrics.items():
            out[f"{method}.{name}"] = value
    for metric, higher in PERTURBATION + SEGMENTATION:
        for other in MUST_BEAT + PAPER_BEATS:
            diff = out[f"tokentm.{metric}"] - out[f"{other}.{metric}"]
            out[f"margin.{metric}.vs_{other}"] = diff if higher else -diff
    return out
