import numpy as np
import pytest

from paperzoo.mmhar.config import ModelConfig, TrainConfig
from paperzoo.mmhar.evaluate import evaluate, grouped_kfold, missing_sweep
from paperzoo.mmhar.training import load_trained, predict_log_proba, save_trained, train_model


@pytest.mark.slow
def test_train_predict_checkpoint_and_unseen_labels(synth_windows, tmp_path):
    train, test = grouped_kfold(synth_windows.subject, 3)[0]
    tr, te = synth_windows.take(train), synth_windows.take(test)
    cfg = ModelConfig(fusion="concat", width=8, modality_dropout=0.0)
    trained = train_model(
        tr.select(["acc", "gyro"]), cfg, TrainConfig(epochs=25, batch_size=32, seed=0)
    )
    assert trained.normalization.subjects == set(tr.subject.tolist())
    s = evaluate(trained, te)
    assert s["accuracy"] > 0.6  # chance is 1/6; acc (posture) and gyro (motion) are complementary
    back = load_trained(save_trained(tmp_path / "m.pt", trained))
    np.testing.assert_allclose(
        predict_log_proba(back, te), predict_log_proba(trained, te), atol=1e-5
    )
    sweep = missing_sweep(trained, te.select(["acc", "gyro"]))
    assert set(sweep) == {"all", "without-acc", "without-gyro", "random-0.25", "random-0.5"}
    # a model trained on a subset of classes refuses windows with other labels
    few = tr.take(tr.y < 3)
    few = type(few)(few.modalities, few.classes[:3], few.x, few.present, few.y, few.subject,
                    few.recording, few.start, few.length_s)  # fmt: skip
    small = train_model(few.select(["acc"]), ModelConfig(fusion="concat", width=4),
                        TrainConfig(epochs=1))  # fmt: skip
    with pytest.raises(ValueError, match="unseen in training"):
        evaluate(small, te)
    with pytest.raises(ValueError, match="modality"):
        evaluate(trained, te.select(["acc"]))
