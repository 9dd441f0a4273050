"""A user's local checkpoint directory (``save_pretrained`` -> ``from_pretrained(dir)``) works."""

from __future__ import annotations

import torch

from paperzoo.core.registry import Scale
from paperzoo.prumerge.bench import tiny_llava
from paperzoo.prumerge.config import PruMergeConfig
from paperzoo.prumerge.llava import patch_llava
from paperzoo.prumerge.patch import hook_count, patch, reduce

CFG = PruMergeConfig(knn=3)


def test_clip_vision_loaded_from_a_local_directory_reduces_like_the_original(clip_vision, tmp_path):
    from transformers import CLIPVisionModel

    clip_vision.save_pretrained(tmp_path / "clip")
    loaded = CLIPVisionModel.from_pretrained(tmp_path / "clip", local_files_only=True).eval()
    x = torch.rand(3, 3, 16, 16, generator=torch.Generator().manual_seed(0))
    with torch.no_grad():
        want = reduce(clip_vision, x, CFG)
        got = reduce(loaded, x, CFG)
        before = loaded(pixel_values=x).last_hidden_state
        hooks = hook_count(loaded)
        with patch(loaded, CFG) as patched:
            inside = patched(x)
        after = loaded(pixel_values=x).last_hidden_state
    assert torch.equal(got.index, want.index)
    torch.testing.assert_close(got.tokens, want.tokens, atol=1e-6, rtol=0)
    assert torch.equal(inside.index, want.index)
    assert hook_count(loaded) == hooks
    torch.testing.assert_close(after, before, atol=0, rtol=0)


def test_llava_loaded_from_a_local_directory_feeds_k_plus_one_per_image(tmp_path):
    from transformers import LlavaForConditionalGeneration as Llava

    tiny_llava(Scale.SMOKE).save_pretrained(tmp_path / "llava")
    model = Llava.from_pretrained(tmp_path / "llava", local_files_only=True).eval()
    c = model.config
    n = (c.vision_config.image_size // c.vision_config.patch_size) ** 2
    ids = torch.cat([torch.tensor([[1, 5]]), torch.full((1, n), c.image_token_id)], 1).repeat(2, 1)
    pixels = torch.rand(2, 3, 32, 32, generator=torch.Generator().manual_seed(0))
    cfg = PruMergeConfig(ratio=1 / 8, knn=3)
    towers = []
    hook = model.model.vision_tower.register_forward_pre_hook(lambda *_: towers.append(1))
    with torch.no_grad(), patch_llava(model, cfg) as handle:
        inputs = handle.prepare(ids, torch.ones_like(ids), pixels)
        out = model(**inputs)
        generated = model.generate(**inputs, max_new_tokens=2, do_sample=False)
    hook.remove()
    assert len(towers) == 1, "prepare's reduction is reused by the forward, not recomputed"
    kept = n // 8 + 1
    assert ((inputs["input_ids"] == c.image_token_id).sum(1) == kept).all()
    assert out.logits.shape[:2] == (2, 2 + kept)
    assert generated.shape == (2, 2 + kept + 2)
    assert "get_image_features" not in model.model.__dict__
