import pytest
import torch

from paperzoo.bimtdp.config import ModelConfig, TrainConfig
from paperzoo.bimtdp.data import render
from paperzoo.bimtdp.metrics import depth_rmse, evaluate, miou, normal_error, ods_f
from paperzoo.bimtdp.models import MultiTaskNet, check_teacher
from paperzoo.bimtdp.packed_model import PackedStage, export_packed, packed_weight_bytes
from paperzoo.bimtdp.training import train


@pytest.mark.parametrize("variant", ["fp", "naive", "bnn", "ib", "kd", "f", "c"])
def test_every_variant_gives_every_task_map(variant):
    model = MultiTaskNet(ModelConfig(variant, width1=8, width2=8)).eval()
    with torch.no_grad():
        r = model(torch.rand(2, 3, 16, 16))
    assert r["out"]["semseg"].shape == (2, 6, 16, 16)
    assert r["out"]["depth"].shape == (2, 1, 16, 16)
    torch.testing.assert_close(r["out"]["normals"].norm(dim=1), torch.ones(2, 16, 16))
    assert (float(r["kl"]) > 0) == (variant in ("ib", "f", "c"))


def test_config_refuses_bad_options():
    with pytest.raises(ValueError, match="variant"):
        ModelConfig("x")
    with pytest.raises(ValueError, match="tasks: unknown"):
        ModelConfig(tasks=("semseg", "edges"))
    with pytest.raises(ValueError, match="tasks: repeated"):
        ModelConfig(tasks=("depth", "depth"))
    with pytest.raises(ValueError, match="binarizer"):
        ModelConfig("fp", binarizer="irnet")
    with pytest.raises(ValueError, match="lr"):
        TrainConfig(lr=0.0)


def test_teacher_student_mismatch_is_named():
    with pytest.raises(ValueError, match="teacher/student mismatch: tasks"):
        check_teacher(ModelConfig("f"), ModelConfig("fp", tasks=("semseg",)))
    with pytest.raises(ValueError, match="width2"):
        check_teacher(ModelConfig("f"), ModelConfig("fp", width2=64))
    with pytest.raises(ValueError, match="needs an FP teacher"):
        train(ModelConfig("f"), TrainConfig(steps=1), render(4, 16))


@pytest.mark.slow
def test_training_lowers_the_loss_and_kd_runs():
    data = render(32, 16, seed=1)
    cfg = TrainConfig(steps=25, batch_size=8)
    teacher = train(ModelConfig("fp", width1=8, width2=8), cfg, data)
    before = evaluate(MultiTaskNet(ModelConfig("fp", width1=8, width2=8)).eval(), data)
    after = evaluate(teacher, data)
    assert after["depth"] < before["depth"]
    student = train(ModelConfig("f", width1=8, width2=8), cfg, data, teacher)
    assert set(evaluate(student, data)) >= {"semseg", "depth", "normals", "boundary"}


def test_metrics_against_hand_values():
    target = torch.tensor([[[0, 0], [1, 1]]])
    assert miou(torch.tensor([[[0, 1], [1, 1]]]), target, 2) == pytest.approx((1 / 2 + 2 / 3) / 2)
    assert depth_rmse(torch.ones(1, 1, 2, 2), torch.zeros(1, 1, 2, 2)) == 1.0
    n = torch.zeros(1, 3, 1, 1)
    n[:, 2] = 1
    m = torch.zeros(1, 3, 1, 1)
    m[:, 0] = 1
    assert normal_error(m, n) == pytest.approx(90.0)
    edge = torch.zeros(1, 1, 8, 8)
    edge[..., 4, :] = 1
    assert ods_f(edge, edge) == pytest.approx(1.0)
    shifted = torch.roll(edge, 1, 2)
    assert ods_f(shifted, edge, tolerance=1) == pytest.approx(1.0)
    assert ods_f(shifted, edge, tolerance=0) == pytest.approx(0.0)


@pytest.mark.filterwarnings("ignore:packed conv")
@pytest.mark.parametrize("variant,binarizer", [("ib", None), ("bnn", "reactnet"), ("naive", None)])
def test_exported_packed_model_matches_the_float_student(variant, binarizer):
    torch.manual_seed(0)
    cfg = ModelConfig(variant, width1=64, width2=64, binarizer=binarizer)
    model = MultiTaskNet(cfg).eval()
    for m in model.modules():  # non-trivial BN statistics
        if isinstance(m, torch.nn.BatchNorm2d):
            m.running_mean.uniform_(-0.5, 0.5)
            m.running_var.uniform_(0.5, 2.0)
        if hasattr(m, "alpha"):  # ReActNet's learnable thresholds
            m.alpha.data.uniform_(-0.3, 0.3)
    packed = export_packed(model)
    x = torch.rand(2, 3, 16, 16)
    with torch.no_grad():
        ref, got = model(x), packed(x)
    s1_ref, s2_ref = model.encode(x)
    s1, s2 = packed.encode(x)
    torch.testing.assert_close(s1, s1_ref, rtol=1e-4, atol=1e-4)
    torch.testing.assert_close(s2, s2_ref, rtol=1e-3, atol=1e-3)
    agree = (ref["out"]["semseg"].argmax(1) == got["out"]["semseg"].argmax(1)).float().mean()
    assert agree > 0.99
    fp32, bits = packed_weight_bytes(packed)
    assert fp32 == 32 * bits


@pytest.mark.filterwarnings("ignore:packed conv")
@pytest.mark.parametrize("binarizer,width", [(None, 64), (None, 70), ("naive", 40)])
def test_packed_stages_hand_on_packed_bits_bit_exact_against_block_by_block(
    binarizer, width, cpp_kernel
):
    # IR-Net blocks keep the float residual stream (in place); naive blocks keep none between them
    torch.manual_seed(1)
    variant = "naive" if binarizer == "naive" else "bnn"
    cfg = ModelConfig(variant, width1=width, width2=width + 8, blocks1=3, blocks2=2)
    model = MultiTaskNet(cfg).eval()
    for m in model.modules():
        if isinstance(m, torch.nn.BatchNorm2d):
            m.running_mean.uniform_(-0.5, 0.5)
            m.running_var.uniform_(0.5, 2.0)
    packed = export_packed(model, kernel=cpp_kernel)
    assert isinstance(packed.stage1, PackedStage) and packed.stage1.fused
    x = torch.rand(2, 3, 12, 10)
    with torch.no_grad():
        s0 = packed.stem(x)
        s0_copy = s0.clone()
        fused = packed.stage1(s0)
        assert torch.equal(s0, s0_copy)  # the stage's input is not overwritten
        h = s0
        for block in packed.stage1:  # block by block: each packs the previous float output
            h = block(h)
        assert torch.equal(fused, h)
        again = packed.stage1(s0)  # reused packed buffers, fresh float output
        assert torch.equal(again, fused) and again.data_ptr() != fused.data_ptr()
        s1, s2 = packed.encode(x)
        ref1, ref2 = model.encode(x)
    torch.testing.assert_close(s1, ref1, rtol=1e-4, atol=1e-4)
    torch.testing.assert_close(s2, ref2, rtol=1e-3, atol=1e-3)


def test_bidense_has_no_packed_form():
    with pytest.raises(ValueError, match="no packed form"):
        export_packed(MultiTaskNet(ModelConfig("bnn", width1=8, width2=8, binarizer="bidense")))


def test_any_task_subset_trains_and_evaluates_including_saliency():
    data = render(16, 16, seed=2)
    cfg = ModelConfig("ib", tasks=("saliency", "depth"), width1=8, width2=8)
    model = train(cfg, TrainConfig(steps=3, batch_size=4), data)
    metrics = evaluate(model, data)
    assert set(metrics) == {"saliency", "depth", "z_abs_skew", "z_abs_kurtosis"}
    assert 0 <= metrics["saliency"] <= 1


def test_pre_activation_features_are_exposed_and_distillable():
    from paperzoo.bimtdp.training import student_feature, teacher_feature

    model = MultiTaskNet(ModelConfig("f", width1=8, width2=8)).eval()
    with torch.no_grad():
        feat = model(torch.rand(1, 3, 16, 16))["feat"]
    torch.testing.assert_close(
        feat["dec_depth"], model.decoders["depth"].post(feat["pre_dec_depth"])
    )
    assert teacher_feature(feat, "z", "pre") is feat["pre_stage2"]
    assert student_feature(feat, "z", "pre") is feat["z"]
    with pytest.raises(ValueError, match="kd_features"):
        TrainConfig(kd_features="mid")
