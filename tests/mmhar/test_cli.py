import numpy as np
import pytest

from paperzoo.cli import main
from paperzoo.mmhar.data import SynthConfig, channel_names, synth_modalities, synthetic


def _run(argv, capsys):
    with pytest.raises(SystemExit) as info:
        main(argv)
    out = capsys.readouterr()
    return info.value.code, out.out + out.err


@pytest.mark.slow
def test_train_evaluate_sweep_predict_and_errors(tmp_path, capsys):
    ckpt = tmp_path / "m.pt"
    code, out = _run(["mmhar", "train", "--dataset", "synthetic", "--subjects", "0-6",
                      "--modalities", "acc,gyro", "--width", "8", "--epochs", "3",
                      "--out", str(ckpt)], capsys)  # fmt: skip
    assert code == 0 and ckpt.is_file(), out
    code, out = _run(["mmhar", "evaluate", str(ckpt), "--dataset", "synthetic",
                      "--subjects", "7-9", "--plot", str(tmp_path / "cm.png")], capsys)  # fmt: skip
    assert code == 0 and "macro_f1" in out and (tmp_path / "cm.png").is_file(), out
    code, out = _run(["mmhar", "sweep-missing", str(ckpt), "--dataset", "synthetic",
                      "--subjects", "7-9"], capsys)  # fmt: skip
    assert code == 0 and "without-gyro" in out, out
    rec = synthetic(SynthConfig(subjects=2, segments=2), seed=5)[0]
    cols = [c for m in synth_modalities()[:2] for c in channel_names(m)]
    table = np.concatenate([rec.signals["acc"], rec.signals["gyro"]], 1)
    csv = tmp_path / "rec.csv"
    np.savetxt(csv, table, delimiter=",", header=",".join(cols), comments="")
    code, out = _run(["mmhar", "predict", str(ckpt), str(csv), "--plot",
                      str(tmp_path / "t.png")], capsys)  # fmt: skip
    assert code == 0 and "14 windows" in out and (tmp_path / "t.png").is_file(), out
    # user errors: one line each
    code, out = _run(["mmhar", "evaluate", str(ckpt), "--dataset", "synthetic",
                      "--subjects", "0-2"], capsys)  # fmt: skip
    assert code == 2 and "were used in training (leakage)" in out
    code, out = _run(["mmhar", "train", "--dataset", "synthetic", "--modalities", "acc,eeg"],
                     capsys)  # fmt: skip
    assert code == 2 and "modality: unknown ['eeg']" in out
    code, out = _run(["mmhar", "train", "--fusion", "max"], capsys)
    assert code == 2 and "fusion: unknown 'max'" in out
    csv.write_text("acc-x,acc-y\n1,2\n")
    code, out = _run(["mmhar", "predict", str(ckpt), str(csv)], capsys)
    assert code == 2 and "missing columns" in out
