"""Loading SAM checkpoints: equivalence against segment_anything's own modules, resizing, errors."""

import pytest
import torch
from segment_anything.modeling import ImageEncoderViT

from paperzoo.masksam.model import MaskSAM
from paperzoo.masksam.sam import (
    build_sam_parts,
    load_sam_checkpoint,
    resize_pos_embed,
    resize_rel_pos,
    two_way_transformer,
)
from tests.masksam.conftest import tiny


def _random_sam_state(cfg) -> dict[str, torch.Tensor]:
    """A random SAM state dict (segment_anything's own modules) at ``cfg``'s sizes; zero-initialised
    position tables are randomised too, so their loading is checked."""
    torch.manual_seed(0)
    parts = dict(
        zip(("image_encoder", "prompt_encoder", "mask_decoder"), build_sam_parts(cfg), strict=True)
    )
    state = {}
    for prefix, module in parts.items():
        for k, v in module.state_dict().items():
            state[f"{prefix}.{k}"] = torch.randn_like(v) * 0.05 if "pos" in k else v
    return state


@pytest.fixture
def checkpoint(tmp_path):
    path = tmp_path / "sam_tiny.pth"
    torch.save(_random_sam_state(tiny()), path)
    return path


def test_loaded_encoder_equals_segment_anythings_encoder(checkpoint):
    cfg = tiny()
    model = MaskSAM(cfg).eval()
    counts = load_sam_checkpoint(model, checkpoint, cfg)
    assert counts["loaded"] > 0 and counts["new"] > 0
    state = torch.load(checkpoint, weights_only=True)
    ref = build_sam_parts(cfg)[0].eval()
    assert isinstance(ref, ImageEncoderViT)
    ref.load_state_dict({k[14:]: v for k, v in state.items() if k.startswith("image_encoder.")})
    x3 = torch.randn(1, 3, 4, 16, 16)
    with torch.no_grad():
        _, neck = model.encode(x3)
        want = ref(x3.transpose(1, 2).reshape(4, 3, 16, 16))
    torch.testing.assert_close(neck, want, atol=1e-5, rtol=1e-5)
    own = model.state_dict()
    for key in (
        "mask_decoder.output_hypernetworks_mlps.0.layers.0.weight",
        "prompt_encoder.point_embeddings.2.weight",
    ):
        torch.testing.assert_close(own[key], state[key])


def test_fresh_decoder_transformer_equals_segment_anythings():
    """Zero-initialised adapters and the fused attention leave SAM's TwoWayTransformer as it is."""
    cfg = tiny()
    torch.manual_seed(0)
    model = MaskSAM(cfg).eval()
    b, s, p = 2 * cfg.frames * cfg.num_queries, cfg.tokens, cfg.prompt_dim
    image, pe, tokens = torch.randn(b, p, s, s), torch.randn(b, p, s, s), torch.randn(b, 8, p)
    transformer = model.mask_decoder.transformer
    adapters = [tuple(a) for a in model.token_adapters]
    with torch.no_grad():
        got = two_way_transformer(
            transformer,
            image,
            pe,
            tokens,
            adapters,
            list(model.image_adapters),
            model.final_adapter,
        )
        want = transformer(image, pe, tokens)
    for g, w in zip(got, want, strict=True):
        torch.testing.assert_close(g, w, atol=1e-5, rtol=1e-5)


def test_a_decoder_under_another_name_is_an_error(tmp_path):
    state = _random_sam_state(tiny())
    renamed = {k.replace("mask_decoder.", "decoder.", 1): v for k, v in state.items()}
    torch.save(renamed, tmp_path / "bad.pth")
    with pytest.raises(ValueError, match="SAM keys missing.*mask_decoder"):
        load_sam_checkpoint(MaskSAM(tiny()), tmp_path / "bad.pth", tiny())


def test_a_checkpoint_of_another_sam_size_is_refused(tmp_path):
    fake = {"image_encoder.pos_embed": torch.zeros(1, 4, 4, 1280)}
    fake.update({f"image_encoder.blocks.{i}.norm1.weight": torch.zeros(1) for i in range(32)})
    torch.save(fake, tmp_path / "h.pth")
    with pytest.raises(ValueError, match="is a vit_h SAM but the model is 32-d/2-block"):
        load_sam_checkpoint(MaskSAM(tiny()), tmp_path / "h.pth", tiny())


def test_corrupt_or_pickled_checkpoints_are_refused(tmp_path):
    (tmp_path / "junk.pth").write_bytes(b"not a torch file")
    with pytest.raises(ValueError, match="corrupt"):
        load_sam_checkpoint(MaskSAM(tiny()), tmp_path / "junk.pth", tiny())
    torch.save({"model": object()}, tmp_path / "pickle.pth")
    with pytest.raises(ValueError, match="pickled"):
        load_sam_checkpoint(MaskSAM(tiny()), tmp_path / "pickle.pth", tiny())


@pytest.mark.parametrize("mode", ["crop", "interpolate"])
def test_a_larger_grid_is_resized_on_load(tmp_path, mode):
    """A SAM saved at 32² (8×8 tokens, global rel-pos 15 rows) loads into a 16² model."""
    big = _random_sam_state(tiny(img_size=32))
    torch.save(big, tmp_path / "big.pth")
    cfg = tiny(pos_embed_resize=mode)
    model = MaskSAM(cfg)
    load_sam_checkpoint(model, tmp_path / "big.pth", cfg)
    own = model.state_dict()
    pos = big["image_encoder.pos_embed"]
    want = pos[:, :4, :4] if mode == "crop" else resize_pos_embed(pos, 4, "interpolate")
    torch.testing.assert_close(own["image_encoder.pos_embed"], want)
    assert own["image_encoder.blocks.1.attn.rel_pos_h"].shape[0] == 7  # 2·4 − 1


def test_resizing_is_the_identity_at_the_same_size_and_interpolates_linearly():
    pos = torch.randn(1, 4, 4, 3)
    assert resize_pos_embed(pos, 4, "crop") is pos
    rel = torch.arange(3.0)[:, None]  # 0, 1, 2 on a line stays on it after resizing
    out = resize_rel_pos(rel, 5)[:, 0]
    assert torch.all(out[1:] >= out[:-1]) and out[0] >= 0 and out[-1] <= 2
    with pytest.raises(ValueError, match="pos_embed"):
        resize_pos_embed(pos, 8, "crop")
