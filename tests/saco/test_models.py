"""SaCo and the older metrics on every classifier the ViT core supports (issue 10, item 4)."""

import numpy as np
import pytest
import torch
from torch import nn

from paperzoo.core.classifier import as_classifier
from paperzoo.core.vit import adapt
from paperzoo.saco import (
    AOPC,
    Comprehensiveness,
    DeletionAUC,
    InsertionAUC,
    LOdds,
    PerturbationMetricConfig,
    SaCo,
    SaCoConfig,
    Sufficiency,
)

timm = pytest.importorskip("timm")
transformers = pytest.importorskip("transformers")

METRICS = [
    SaCo(SaCoConfig(k=4, batch_size=5)),
    *(
        cls(PerturbationMetricConfig(steps=4, batch_size=5))
        for cls in (AOPC, DeletionAUC, InsertionAUC, LOdds, Comprehensiveness, Sufficiency)
    ),
]


class LogitsOf(nn.Module):
    """A plain module returning a Tensor: the form every metric accepted before."""

    def __init__(self, model: nn.Module, hf: bool) -> None:
        super().__init__()
        self.model, self.hf = model, hf

    def forward(self, x):
        return self.model(pixel_values=x).logits if self.hf else self.model(x)


def _hf_vit() -> nn.Module:
    torch.manual_seed(0)
    cfg = transformers.ViTConfig(
        image_size=16, patch_size=4, num_channels=3, hidden_size=24, num_hidden_layers=2,
        num_attention_heads=3, intermediate_size=48, num_labels=5, hidden_dropout_prob=0.5,
    )  # fmt: skip
    return transformers.ViTForImageClassification(cfg)


def _timm_vit() -> nn.Module:
    torch.manual_seed(0)
    return timm.models.vision_transformer.VisionTransformer(
        img_size=16, patch_size=4, embed_dim=24, depth=2, num_heads=3, num_classes=5,
        drop_rate=0.5, proj_drop_rate=0.5,
    )  # fmt: skip


def _host(name: str) -> tuple[nn.Module, object, nn.Module]:
    """(the weights' module, what the metric gets, an equivalent plain Tensor-returning module)."""
    module = _timm_vit() if name == "timm-adapter" else _hf_vit()
    model = module if name == "hf" else adapt(module)
    return module, model, LogitsOf(module, hf=name != "timm-adapter")


@pytest.fixture(scope="module")
def inputs():
    gen = torch.Generator().manual_seed(3)
    return torch.rand(3, 3, 16, 16, generator=gen), torch.rand(3, 16, 16, generator=gen)


@pytest.mark.parametrize("host", ["hf", "hf-adapter", "timm-adapter"])
def test_metrics_accept_hf_outputs_and_adapters_and_restore_train_flags(host, inputs):
    x, a = inputs
    module, model, plain = _host(host)
    module.train()
    dropouts = [m for m in module.modules() if isinstance(m, nn.Dropout)]
    dropouts[0].eval()  # mixed flags must come back exactly
    flags = [m.training for m in module.modules()]
    for metric in METRICS:
        got = metric(model=model, x_batch=x, a_batch=a)
        want = metric(model=plain, x_batch=x, a_batch=a)  # dropout on would make these differ
        torch.testing.assert_close(got.scores, want.scores, msg=metric.name)
        assert got.scores.isfinite().all(), metric.name
        assert [m.training for m in module.modules()] == flags, metric.name


def test_classifier_device_dtype_and_logits():
    tm = _timm_vit().double().eval()
    clf = as_classifier(adapt(tm))
    assert clf.module is tm and clf.device == torch.device("cpu") and clf.dtype == torch.float64
    x = torch.rand(2, 3, 16, 16)
    with torch.no_grad():
        torch.testing.assert_close(clf(x), tm(x.double()))  # images cast to the model's dtype
        assert as_classifier(_hf_vit().eval())(x).shape == (2, 5)
    assert as_classifier(nn.Flatten()).device == torch.device("cpu")  # no parameters


def test_float64_model_gives_the_float32_scores(model, images):
    a = torch.rand(6, 8, 10, generator=torch.Generator().manual_seed(8))
    want = SaCo(SaCoConfig(k=5))(model=model, x_batch=images, a_batch=a).scores
    got = SaCo(SaCoConfig(k=5))(model=model.double(), x_batch=images, a_batch=a).scores
    torch.testing.assert_close(got, want, rtol=1e-4, atol=1e-5)


class Returns(nn.Module):
    def __init__(self, make) -> None:
        super().__init__()
        self.make = make

    def forward(self, x):
        return self.make(x)


@pytest.mark.parametrize("metric", [SaCo(), AOPC()], ids=["SaCo", "AOPC"])
def test_unsupported_models_and_outputs_are_refused_with_one_message(metric, images):
    a = torch.rand(6, 8, 10)
    with pytest.raises(TypeError, match="model must be an nn.Module returning logits"):
        metric(model=lambda x: x.flatten(1), x_batch=images, a_batch=a)
    with pytest.raises(TypeError, match=r"model returned tuple.*return_dict=True"):
        metric(model=Returns(lambda x: (x.flatten(1)[:, :5],)), x_batch=images, a_batch=a)
    with pytest.raises(TypeError, match="model returned dict"):
        metric(model=Returns(lambda x: {"out": x}), x_batch=images, a_batch=a)
    with pytest.raises(ValueError, match=r"logits \[B, K\] = \[6, K\].*got shape \(6,\)"):
        metric(model=Returns(lambda x: x.sum((1, 2, 3))), x_batch=images, a_batch=a)
    with pytest.raises(ValueError, match="model returned NaN or inf"):
        metric(model=Returns(lambda x: x.flatten(1) / 0), x_batch=images, a_batch=a)


def test_input_siblings_get_one_clear_message(model, images):
    a = torch.rand(6, 8, 10, generator=torch.Generator().manual_seed(9))
    metric = SaCo(SaCoConfig(k=5))
    flipped = metric(model=model, x_batch=images.flip(3), a_batch=a.flip(2)).scores
    np_flipped = metric(  # numpy views with negative strides
        model=model, x_batch=images.numpy()[:, :, :, ::-1], a_batch=a.numpy()[:, :, ::-1]
    ).scores
    torch.testing.assert_close(np_flipped, flipped)
    with pytest.raises(TypeError, match="x_batch must hold real numbers"):
        metric(model=model, x_batch=np.empty((6, 3, 8, 10), dtype=object), a_batch=a)
    with pytest.raises(TypeError, match="a_batch must hold real numbers"):
        metric(model=model, x_batch=images, a_batch=a.to(torch.complex64))
    with pytest.raises(TypeError, match="a_batch must be a torch tensor or numpy array"):
        metric(model=model, x_batch=images, a_batch=a.tolist())
    with pytest.raises(ValueError, match=r"a_batch must be \[B, H, W\]"):
        metric(model=model, x_batch=images, a_batch=torch.tensor(1.0))
    with pytest.raises(ValueError, match=r"x_batch must be \[B, C, H, W\], B >= 1"):
        metric(model=model, x_batch=images[:0], a_batch=a[:0])
    with pytest.raises(ValueError, match="y_batch must hold integer class indices"):
        metric(model=model, x_batch=images, y_batch=torch.ones(6, dtype=torch.bool), a_batch=a)
