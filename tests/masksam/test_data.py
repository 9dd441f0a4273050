from pathlib import Path

import nibabel as nib
import numpy as np
import pytest

from paperzoo.masksam.data import PhantomSpec, load_nifti, make_phantom, save_mask_like, save_volume

NIB_DATA = Path(nib.__file__).parent / "tests" / "data"
SPEC = PhantomSpec(shape=(16, 32, 32))


def test_phantom_is_seeded_anisotropic_and_labelled():
    a, b, c = make_phantom(3, SPEC), make_phantom(3, SPEC), make_phantom(4, SPEC)
    np.testing.assert_array_equal(a.image, b.image)
    np.testing.assert_array_equal(a.label, b.label)
    assert not np.array_equal(a.label, c.label)
    assert a.image.dtype == np.float32 and a.label.dtype == np.uint8
    assert a.label.max() < len(SPEC.classes) and abs(a.image.mean()) < 1e-3
    assert a.spacing[0] >= 2.5 > 1.0 >= a.spacing[1] == a.spacing[2]


def test_shape_twins_differ_only_along_z():
    for seed in range(4):
        v = make_phantom(seed, SPEC)
        a_id, b_id = SPEC.classes.index("twin_a"), SPEC.classes.index("twin_b")
        a_slices = np.flatnonzero((v.label == a_id).any((1, 2)))
        b_slices = np.flatnonzero((v.label == b_id).any((1, 2)))
        assert 3 <= a_slices.size <= 5 and b_slices.size == 16  # short cylinder vs through-tube
        both = a_slices[0]
        area_a, area_b = (v.label[both] == a_id).sum(), (v.label[both] == b_id).sum()
        assert abs(int(area_a) - int(area_b)) <= 0.35 * max(area_a, area_b)
        ia, ib = v.image[v.label == a_id].mean(), v.image[v.label == b_id].mean()
        assert abs(ia - ib) < 0.35 * v.image.std()


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [({"shape": (2, 32, 32)}, "shape"), ({"organs": ("heart",)}, "organs"),
     ({"missing_prob": 1.0}, "missing_prob"), ({"noise_hu": -1.0}, "noise_hu")],
)  # fmt: skip
def test_spec_rejects_bad_values(kwargs, field):
    with pytest.raises(ValueError, match=field):
        PhantomSpec(**kwargs)


def test_nifti_round_trip_keeps_spacing_and_puts_the_coarse_axis_first(tmp_path):
    v = make_phantom(0, SPEC)
    save_volume(v, tmp_path / "ph.nii.gz", tmp_path / "lab.nii.gz")
    loaded = load_nifti(tmp_path / "ph.nii.gz")
    np.testing.assert_allclose(loaded.image, v.image, atol=1e-6)
    np.testing.assert_allclose(loaded.spacing, v.spacing, rtol=1e-6)
    labels = load_nifti(tmp_path / "lab.nii.gz")
    save_mask_like(labels.image.astype(np.uint8), labels, tmp_path / "mask.nii.gz")
    np.testing.assert_array_equal(load_nifti(tmp_path / "mask.nii.gz").image, v.label)


@pytest.mark.parametrize("name", ["standard.nii.gz", "anatomical.nii", "reoriented_anat_moved.nii"])
def test_written_masks_keep_the_inputs_grid_affine_and_orientation(tmp_path, name):
    src = nib.load(str(NIB_DATA / name))
    vol = load_nifti(NIB_DATA / name)
    assert vol.image.shape == tuple(src.shape[i] for i in vol.perm)
    assert vol.spacing[0] == max(src.header.get_zooms()[:3])
    mask = (np.arange(vol.image.size).reshape(vol.image.shape) % 3).astype(np.uint8)
    out = nib.load(str(save_mask_like(mask, vol, tmp_path / "m.nii.gz")))
    assert out.shape == src.shape
    np.testing.assert_allclose(out.affine, src.affine)
    assert nib.aff2axcodes(out.affine) == nib.aff2axcodes(src.affine)
    np.testing.assert_allclose(out.header.get_zooms(), src.header.get_zooms()[:3])
    np.testing.assert_array_equal(np.asarray(out.dataobj).transpose(vol.perm), mask)


def test_bad_volumes_give_clear_errors(tmp_path):
    with pytest.raises(ValueError, match="must be 3D"):
        load_nifti(NIB_DATA / "example4d.nii.gz")
    (tmp_path / "bad.nii.gz").write_bytes(b"\x1f\x8b garbage")
    with pytest.raises(ValueError, match="cannot read"):
        load_nifti(tmp_path / "bad.nii.gz")
    img = nib.Nifti1Image(np.zeros((4, 4, 4), np.float32), np.eye(4))
    img.header.set_zooms((1.0, 0.0, 1.0))
    nib.save(img, str(tmp_path / "zero.nii"))
    with pytest.raises(ValueError, match="spacing"):
        load_nifti(tmp_path / "zero.nii")
    data = np.zeros((4, 4, 4), np.float32)
    data[0, 0, 0] = np.nan
    nib.save(nib.Nifti1Image(data, np.eye(4)), str(tmp_path / "nan.nii"))
    with pytest.raises(ValueError, match="NaN"):
        load_nifti(tmp_path / "nan.nii")
    with pytest.raises(FileNotFoundError, match="volume"):
        load_nifti(tmp_path / "missing.nii")
    nib.save(nib.Nifti1Image(np.zeros((4, 4), np.float32), np.eye(4)), str(tmp_path / "flat.nii"))
    with pytest.raises(ValueError, match="must be 3D"):
        load_nifti(tmp_path / "flat.nii")


@pytest.mark.slow
def test_mni_brain_copies_differ_and_keep_grey_and_white_matter():
    from paperzoo.masksam.data import BRAIN_CLASSES, mni_brain

    a, b = mni_brain(0, (16, 32, 32)), mni_brain(1, (16, 32, 32))
    assert a.image.shape == a.label.shape == (16, 32, 32) and a.image.dtype == np.float32
    assert set(np.unique(a.label)) == set(range(len(BRAIN_CLASSES)))
    assert 0.05 < (a.label == 1).mean() < 0.4 and 0.05 < (a.label == 2).mean() < 0.4
    assert not np.array_equal(a.label, b.label) and a.spacing[0] > a.spacing[1]
    with pytest.raises(ValueError, match="shape"):
        mni_brain(0, (2, 32, 32))
