import numpy as np
import pytest

from paperzoo.navdiff.bev import (
    TARGET,
    WALL,
    bev_maps,
    obstacle_iou,
    point_clouds,
    project,
    seen_through,
)
from paperzoo.navdiff.config import BEVConfig
from paperzoo.navdiff.env import VecGridMaze
from paperzoo.navdiff.maze import generate_mazes, place_start_goal

CLEAN = BEVConfig(noise=0.0, clutter=0.0, label_flip=0.0)


def _mazes(n=6, size=15):
    seeds = np.arange(n) + 7
    free = generate_mazes(seeds, size)
    _, goals = place_start_goal(seeds, free, 10.0)
    return free, goals


def _truth(free, goals):
    maps = np.stack([~free, free, np.zeros_like(free)], 1).astype(np.uint8)
    maps[np.arange(len(free)), 2, goals[:, 0], goals[:, 1]] = 1
    return maps


def test_clean_projection_recovers_the_map_exactly():
    free, goals = _mazes()
    np.testing.assert_array_equal(bev_maps(free, goals, CLEAN, 0), _truth(free, goals))


def test_clean_projection_recovers_a_30x30_map_exactly():
    free, goals = _mazes(2, 30)
    np.testing.assert_array_equal(bev_maps(free, goals, CLEAN, 1), _truth(free, goals))


def test_noisy_projection_stays_close_to_the_map():
    free, goals = _mazes()
    maps = bev_maps(free, goals, BEVConfig(), 3)  # 2 cm noise, clutter, outliers, label flips
    assert obstacle_iou(maps, free) >= 0.95
    assert maps[np.arange(len(free)), 2, goals[:, 0], goals[:, 1]].all()  # goal recall 1
    wrong = (maps != _truth(free, goals)).any(1).mean()
    assert 0 <= wrong < 0.01


def test_obstacles_come_from_the_height_band_not_the_labels():
    free, goals = _mazes(2)
    cloud = point_clouds(free, goals, CLEAN, 0)
    relabelled = cloud._replace(labels=np.full_like(cloud.labels, WALL))
    maps = project(relabelled, 2, 15, CLEAN)
    np.testing.assert_array_equal(maps[:, 0], ~free)
    assert not maps[:, 2].any()  # no target labels: no goal


def test_clutter_outside_the_band_adds_no_obstacle():
    free, goals = _mazes(2)
    cloud = point_clouds(free, goals, BEVConfig(noise=0.0, clutter=0.5, label_flip=0.0), 0)
    maps = project(cloud, 2, 15, CLEAN)
    np.testing.assert_array_equal(maps[:, :2], _truth(free, goals)[:, :2])


def test_cloud_labels_and_shapes():
    free, goals = _mazes(2)
    cloud = point_clouds(free, goals, CLEAN, 0)
    assert cloud.xyz.shape == (len(cloud.maze), 3) and cloud.labels.shape == cloud.maze.shape
    target = cloud.labels == TARGET
    cells = np.floor(cloud.xyz[target, :2] / CLEAN.cell).astype(int)[:, ::-1]
    np.testing.assert_array_equal(cells, goals[cloud.maze[target]])


def test_seen_through_reveals_only_seen_cells():
    free, goals = _mazes(2)
    env = VecGridMaze()
    obs = env.reset(np.arange(2) + 7)
    view = seen_through(bev_maps(free, goals, CLEAN, 0), obs.maps)
    np.testing.assert_array_equal(view, obs.maps)  # clean projection: identical to the env's map


def test_bad_input():
    free, goals = _mazes(1)
    with pytest.raises(ValueError, match="free"):
        point_clouds(free.astype(int), goals)
    with pytest.raises(ValueError, match="goals"):
        point_clouds(free, goals[:, :1])
    cloud = point_clouds(free, goals, CLEAN)
    with pytest.raises(ValueError, match="xyz"):
        project(cloud._replace(xyz=cloud.xyz * np.nan), 1, 15)
    with pytest.raises(ValueError, match="band"):
        BEVConfig(band=(2.0, 1.0))
    with pytest.raises(ValueError, match="noise"):
        BEVConfig(noise=-0.1)
