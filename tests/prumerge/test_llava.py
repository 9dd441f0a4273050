"""PruMerge in a tiny random HF LLaVA: per-image embedding counts, generate(), exact restore."""

from __future__ import annotations

import pytest
import torch

from paperzoo.prumerge.config import PruMergeConfig
from paperzoo.prumerge.llava import patch_llava

IMAGE = 99


@pytest.fixture
def llava():
    from transformers import CLIPVisionConfig, LlamaConfig, LlavaConfig
    from transformers import LlavaForConditionalGeneration as Llava

    vision = CLIPVisionConfig(
        hidden_size=32, num_hidden_layers=2, num_attention_heads=2, intermediate_size=64,
        image_size=16, patch_size=4,
    )  # fmt: skip
    text = LlamaConfig(
        hidden_size=32, intermediate_size=64, num_hidden_layers=2, num_attention_heads=2,
        num_key_value_heads=2, vocab_size=100,
    )  # fmt: skip
    torch.manual_seed(0)
    model = Llava(LlavaConfig(vision_config=vision, text_config=text, image_token_id=IMAGE)).eval()
    with torch.no_grad():  # sharpen the random tower's [CLS] attention: outlier counts then differ
        model.model.vision_tower.encoder.layers[-1].self_attn.q_proj.weight.mul_(50)
    return model


def _inputs(b: int = 3):
    ids = torch.cat([torch.tensor([[1, 5]]), torch.full((1, 16), IMAGE), torch.tensor([[7, 8]])], 1)
    g = torch.Generator().manual_seed(1)
    pixels = torch.rand(b, 3, 16, 16, generator=g)
    pixels[1] = 0.5  # a flat image: few outliers, a different k in the same batch
    return ids.repeat(b, 1), torch.ones(b, 20, dtype=torch.long), pixels


@pytest.mark.slow
def test_language_model_sees_k_plus_one_embeddings_per_image_and_restores(llava):
    ids, mask, pixels = _inputs()
    with torch.no_grad():
        before = llava(input_ids=ids, attention_mask=mask, pixel_values=pixels).logits
    seen = []
    hook = llava.model.language_model.register_forward_pre_hook(
        lambda _m, _a, kw: seen.append(kw["inputs_embeds"].shape[1]), with_kwargs=True
    )
    cfg = PruMergeConfig(knn=3)
    with torch.no_grad(), patch_llava(llava, cfg) as handle:
        counts = handle.reduced(pixels).lengths()
        inputs = handle.prepare(ids, mask, pixels)
        assert ((inputs["input_ids"] == IMAGE).sum(1) == counts).all()
        out = llava(**inputs)
        generated = llava.generate(**inputs, max_new_tokens=3, do_sample=False)
    hook.remove()
    assert len(set(counts.tolist())) > 1, "the batch should mix different k"
    assert seen[0] == int((counts + 4).max())  # 4 text tokens + k_i + 1 images, left-padded
    assert out.logits.shape[:2] == inputs["input_ids"].shape
    assert generated.shape == (3, inputs["input_ids"].shape[1] + 3)
    assert "get_image_features" not in llava.model.__dict__
    with torch.no_grad():
        after = llava(input_ids=ids, attention_mask=mask, pixel_values=pixels).logits
    torch.testing.assert_close(after, before, atol=1e-6, rtol=0)


def test_patch_llava_refuses_other_models_and_layouts(llava):
    with pytest.raises(ValueError, match="Llava"):
        with patch_llava(torch.nn.Linear(2, 2)):
            pass
    llava.config.vision_feature_select_strategy = "full"
    with pytest.raises(ValueError, match="select_strategy"):
        with patch_llava(llava):
            pass


def test_forward_with_other_images_recomputes_the_reduction(llava):
    ids, mask, pixels = _inputs()
    cfg = PruMergeConfig(knn=3)
    towers = []
    hook = llava.model.vision_tower.register_forward_pre_hook(lambda *_: towers.append(1))
    with torch.no_grad(), patch_llava(llava, cfg) as handle:
        handle.prepare(ids, mask, pixels)
        other = pixels.flip(0).contiguous()  # same shape, other values: the cache must not apply
        inputs = handle.prepare(ids, mask, other)
        out = llava(**inputs)
        fresh = handle.reduced(other).lengths()
    hook.remove()
    assert len(towers) == 3  # prepare(pixels), prepare(other), reduced(other); forward reused
    assert ((inputs["input_ids"] == IMAGE).sum(1) == fresh).all()
    assert out.logits.shape[:2] == inputs["input_ids"].shape
