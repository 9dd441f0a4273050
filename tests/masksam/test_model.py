from functools import partial

import pytest
import torch
from segment_anything.modeling import ImageEncoderViT
from torch import nn

from paperzoo.masksam.config import MaskSAMConfig, sam_shaped
from paperzoo.masksam.model import MaskSAM
from tests.masksam.conftest import tiny


@pytest.mark.parametrize("frames", [4, 8])
def test_output_shapes(frames):
    cfg = tiny(frames=frames)
    model = MaskSAM(cfg)
    out = model(torch.randn(2, 1, frames, 16, 16))
    assert out["pred_logits"].shape == (2, frames, 4, 4)
    assert out["pred_masks"].shape == out["aux_masks"].shape == (2, 4, frames, 16, 16)
    assert out["aux_boxes"].shape == (2, frames, 4, 4)
    assert model.semantic(torch.randn(1, 1, frames, 16, 16)).shape == (1, 3, frames, 16, 16)


def test_gradients_reach_only_the_new_modules():
    model = MaskSAM(tiny())
    out = model(torch.randn(1, 1, 4, 16, 16))
    sum(v.float().square().mean() for v in out.values()).backward()
    for name, p in model.named_parameters():
        is_sam = name.startswith(("image_encoder.", "prompt_encoder.", "mask_decoder."))
        assert p.requires_grad != is_sam, name
        assert (p.grad is None) == is_sam, name
    assert any(p.grad.abs().sum() > 0 for p in model.parameters() if p.grad is not None)


def test_the_2d_ablation_mixes_no_slices():
    model = MaskSAM(tiny(depth_context=False)).eval()
    x = torch.randn(1, 1, 4, 16, 16)
    y = x.clone()
    y[:, :, 0] += torch.randn(1, 1, 16, 16)
    with torch.no_grad():
        a, b = model.semantic(x), model.semantic(y)
    torch.testing.assert_close(a[:, :, 1:], b[:, :, 1:])
    assert not torch.allclose(a[:, :, 0], b[:, :, 0])


def test_new_adapters_leave_sams_encoder_unchanged():
    """Zero-initialised up-projections and depth embedding: our encoder = SAM's, per slice."""
    cfg = tiny()
    model = MaskSAM(cfg).eval()
    ref = ImageEncoderViT(
        img_size=16, patch_size=4, embed_dim=32, depth=2, num_heads=2, mlp_ratio=4, out_chans=16,
        norm_layer=partial(nn.LayerNorm, eps=1e-6), use_rel_pos=True, window_size=2,
        global_attn_indexes=(1,),
    ).eval()  # fmt: skip
    ref.load_state_dict(
        {k[14:]: v for k, v in model.state_dict().items() if k.startswith("image_encoder.")}
    )
    x3 = torch.randn(2, 3, 4, 16, 16)
    with torch.no_grad():
        _, neck = model.encode(x3)
        want = ref(x3.transpose(1, 2).reshape(8, 3, 16, 16))
    torch.testing.assert_close(neck, want, atol=1e-5, rtol=1e-5)


def test_vit_b_shaped_trainable_fraction_is_under_ten_percent():
    with torch.device("meta"):
        counts = MaskSAM(sam_shaped("vit_b")).parameter_counts()
    assert 90e6 < counts["sam"] < 95e6  # SAM ViT-B with a 256² grid and its decoder
    assert counts["trainable"] / counts["total"] <= 0.10


def test_wrong_chunk_size_is_refused():
    with pytest.raises(ValueError, match="x: expected chunks"):
        MaskSAM(tiny())(torch.randn(1, 1, 3, 16, 16))


@pytest.mark.parametrize(
    ("field", "value"),
    [("patch_size", 5), ("img_size", 18), ("num_queries", 2), ("prompt_dim", 24), ("depth", 0),
     ("global_attn_indexes", (5,)), ("pos_embed_resize", "nearest"), ("adapter_ratio", 0.0)],
)  # fmt: skip
def test_config_rejects_bad_values(field, value):
    with pytest.raises(ValueError, match=field):
        tiny(**{field: value})


def test_unknown_sam_shape_is_refused():
    with pytest.raises(ValueError, match="unknown"):
        sam_shaped("vit_x")
    assert sam_shaped("vit_l").sam_shape == "vit_l" and MaskSAMConfig().sam_shape is None
