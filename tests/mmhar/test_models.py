import pytest
import torch

from paperzoo.mmhar.config import ENCODERS, FUSIONS, ModelConfig, TrainConfig
from paperzoo.mmhar.data import HAPT_MODALITIES, synth_modalities
from paperzoo.mmhar.export import onnx_session, quantize_int8, run_onnx
from paperzoo.mmhar.models import MultimodalNet, n_parameters

MODS = synth_modalities()  # acc, gyro at 50 Hz; ecg at 100 Hz


def _batch(b=4):
    g = torch.Generator().manual_seed(0)
    x = {m.name: torch.randn(b, m.channels, int(2.56 * m.rate), generator=g) for m in MODS}
    return x, torch.tensor([[1, 1, 1], [1, 0, 1], [0, 1, 0], [1, 1, 0]], dtype=torch.bool)


@pytest.mark.parametrize("fusion", FUSIONS)
def test_every_fusion_gives_log_probs_and_ignores_missing_inputs(fusion):
    torch.manual_seed(0)
    model = MultimodalNet(MODS, 6, ModelConfig(fusion=fusion, width=4)).eval()
    x, present = _batch()
    out = model(x, present)
    assert out.shape == (4, 6)
    torch.testing.assert_close(out.exp().sum(1), torch.ones(4))
    x2 = {k: v.clone() for k, v in x.items()}
    x2["ecg"][~present[:, 2]] = 50.0  # garbage where ecg is missing
    torch.testing.assert_close(model(x2, present), out)


@pytest.mark.parametrize("encoder", ENCODERS)
def test_encoders_train_and_every_parameter_gets_a_gradient(encoder):
    model = MultimodalNet(MODS, 6, ModelConfig(encoder=encoder, fusion="concat", width=4))
    x, present = _batch()
    model(x, torch.ones_like(present)).sum().backward()
    assert all(p.grad is not None for p in model.parameters())


def test_profile_sizes_and_bad_configs():
    assert n_parameters(MultimodalNet(HAPT_MODALITIES, 6, ModelConfig())) <= 100_000
    dcl = ModelConfig(encoder="deepconvlstm", fusion="early", modality_dropout=0.0)
    assert n_parameters(MultimodalNet(HAPT_MODALITIES, 6, dcl)) == 97_286
    with pytest.raises(ValueError, match="fusion"):
        ModelConfig(fusion="sum")
    with pytest.raises(ValueError, match="modality_dropout"):
        ModelConfig(modality_dropout=1.0)
    with pytest.raises(ValueError, match="epochs"):
        TrainConfig(epochs=0)
    model = MultimodalNet(MODS, 6, ModelConfig(width=4))
    x, present = _batch()
    with pytest.raises(ValueError, match="modality"):
        model({"acc": x["acc"]}, present)


@pytest.mark.slow
def test_int8_and_onnx_match_torch():
    torch.manual_seed(0)
    model = MultimodalNet(HAPT_MODALITIES, 6, ModelConfig(width=8)).eval()
    x = {m.name: torch.randn(16, 3, 128) for m in HAPT_MODALITIES}
    present = torch.ones(16, 2, dtype=torch.bool)
    present[3, 1] = False
    with torch.inference_mode():
        ref = model(x, present)
        session = onnx_session(model, x, present)
        torch.testing.assert_close(torch.from_numpy(run_onnx(session, x, present)), ref,
                                   atol=1e-4, rtol=1e-4)  # fmt: skip
        assert (quantize_int8(model)(x, present) - ref).abs().max() < 0.05
