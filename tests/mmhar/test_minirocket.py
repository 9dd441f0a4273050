import numpy as np
import pytest

from paperzoo.mmhar.baselines.minirocket import MiniRocketRidge, fused_channels


def test_fused_channels_resamples_every_modality_to_the_first(synth_windows):
    x = fused_channels(synth_windows)
    n = synth_windows.x["acc"].shape[-1]
    assert x.shape == (len(synth_windows), 7, n) and x.dtype == np.float32
    np.testing.assert_array_equal(x[:, :3], synth_windows.x["acc"])
    with pytest.raises(ValueError, match="n_kernels"):
        MiniRocketRidge(n_kernels=10)


@pytest.mark.slow
def test_minirocket_solves_basic_motions():
    from paperzoo.mmhar.data import load_basic_motions

    split = load_basic_motions()
    model = MiniRocketRidge(n_kernels=2_000, seed=0)  # the first fit compiles numba kernels
    pred = model.predict(model.fit(split.train), split.test)
    assert (pred == split.test.y).mean() >= 0.95  # research notes: 1.00
