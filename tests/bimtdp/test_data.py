import pytest
import torch
import torch.nn.functional as F

from paperzoo.bimtdp.data import CLASSES, depth_normals, render


@pytest.fixture(scope="module")
def rooms():
    return render(24, 32, seed=3)


def test_render_is_seeded_and_shaped(rooms):
    again = render(24, 32, seed=3)
    assert torch.equal(rooms.rgb, again.rgb) and torch.equal(rooms.semseg, again.semseg)
    assert not torch.equal(render(24, 32, seed=4).depth, rooms.depth)
    assert rooms.rgb.shape == (24, 3, 32, 32) and rooms.normals.shape == (24, 3, 32, 32)
    assert rooms.rgb.min() >= 0 and rooms.rgb.max() <= 1
    assert rooms.depth.min() > 0


def test_every_class_occurs_and_normals_are_unit_and_face_the_camera(rooms):
    counts = torch.bincount(rooms.semseg.flatten(), minlength=len(CLASSES))
    assert (counts > 0).all()
    torch.testing.assert_close(rooms.normals.norm(dim=1), torch.ones(24, 32, 32))
    # z-axis points forward: a surface seen by the camera has n_z <= 0 on the optical axis
    centre = rooms.normals[:, 2, 15:17, 15:17]
    assert (centre <= 1e-6).all()


def test_boundary_fraction_and_saliency_are_sane(rooms):
    frac = float(rooms.boundary.mean())
    assert 0.03 < frac < 0.25
    assert torch.equal(rooms.saliency[:, 0] > 0, rooms.semseg >= 3)


def test_normals_agree_with_depth_derived_normals_on_planar_interiors(rooms):
    """Self-test: finite differences of the back-projected exact depth give the analytic normals."""
    derived = depth_normals(rooms.depth, rooms.focal)
    inst = rooms.instance[:, None].float()
    same = F.max_pool2d(inst, 3, 1) == -F.max_pool2d(-inst, 3, 1)
    planar = rooms.semseg[:, None, 1:-1, 1:-1] <= 2  # floor, walls, ceiling
    mask = same & planar
    cos = (derived * rooms.normals[:, :, 1:-1, 1:-1]).sum(1, keepdim=True).clamp(-1, 1)
    angle = torch.rad2deg(torch.acos(cos))[mask]
    assert mask.sum() > 1000 and float(angle.median()) < 3.0


def test_bad_sizes_are_refused():
    with pytest.raises(ValueError, match="size"):
        render(2, 4)
