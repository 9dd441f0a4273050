"""GridMaze2D environments: :class:`VecGridMaze` (B mazes stepped together in numpy) and
:class:`GridMazeEnv`, the Gymnasium interface to one maze (registered as ``paperzoo/GridMaze-v0``).

Observation: the cumulative allocentric map ``uint8 [3, S, S]`` (seen obstacle, seen free, goal
once seen) and the agent's position. Termination is strict (docs/navdiff.md §2.1).
"""

from __future__ import annotations

from typing import Any, NamedTuple

import gymnasium
import numpy as np
from gymnasium import spaces

from paperzoo.navdiff.config import EnvConfig
from paperzoo.navdiff.maze import (
    COST,
    DONE,
    MOVES,
    N_ACTIONS,
    distances,
    generate_mazes,
    place_start_goal,
    valid_moves,
    visible_cells,
)

ENV_ID = "paperzoo/GridMaze-v0"


class Observation(NamedTuple):
    """Batched observation: ``maps uint8 [B, 3, S, S]``, ``positions int64 [B, 2]``."""

    maps: np.ndarray
    positions: np.ndarray


def check_layout(free: np.ndarray, starts: np.ndarray, goals: np.ndarray) -> np.ndarray:
    """Validate user mazes ``bool [B, S, S]`` with starts/goals ``[B, 2]``; returns the shortest
    start→goal cost ``[B]``. Walls at start or goal, or an unreachable goal, raise ValueError."""
    free = np.asarray(free)
    if free.ndim != 3 or free.shape[1] != free.shape[2]:
        raise ValueError(f"maze: expected a square grid [B, S, S], got shape {free.shape}")
    if free.dtype != bool:
        raise TypeError(f"maze: expected a bool grid (True = free), got {free.dtype}")
    b, s, _ = free.shape
    for name, p in (("start", starts), ("goal", goals)):
        p = np.asarray(p)
        if p.shape != (b, 2) or not np.issubdtype(p.dtype, np.integer):
            raise ValueError(
                f"{name}: expected integer positions [{b}, 2], got {p.shape} {p.dtype}"
            )
        if ((p < 0) | (p >= s)).any():
            raise ValueError(f"{name}: positions outside the {s}×{s} grid: {p.tolist()}")
        walled = ~free[np.arange(b), p[:, 0], p[:, 1]]
        if walled.any():
            i = int(walled.argmax())
            raise ValueError(f"{name}: {tuple(p[i].tolist())} is inside a wall (maze {i})")
    target = np.zeros_like(free)
    target[np.arange(b), goals[:, 0], goals[:, 1]] = True
    dist = distances(valid_moves(free), target)[np.arange(b), starts[:, 0], starts[:, 1]]
    if not np.isfinite(dist).all():
        i = int((~np.isfinite(dist)).argmax())
        raise ValueError(
            f"goal: {tuple(goals[i].tolist())} is unreachable from start "
            f"{tuple(starts[i].tolist())} (maze {i})"
        )
    return dist


class VecGridMaze:
    """B GridMaze2D episodes stepped together; finished episodes ignore further actions.

    Per-episode outcome arrays (``success``, ``reached``, ``collided``, ``cycled``, ``steps``,
    ``path_cost``, ``shortest``) are ``[B]`` and read after the episodes end.
    """

    def __init__(self, config: EnvConfig | None = None) -> None:
        self.config = config or EnvConfig()

    def reset(self, seeds: np.ndarray | list[int]) -> Observation:
        """New seeded mazes: maze, goal and start of episode b depend on ``seeds[b]`` only."""
        seeds = np.asarray(seeds)
        if seeds.ndim != 1 or not np.issubdtype(seeds.dtype, np.integer) or (seeds < 0).any():
            raise ValueError(f"seeds: expected a 1-D array of ints >= 0, got {seeds!r}")
        free = generate_mazes(seeds, self.config.size)
        starts, goals = place_start_goal(seeds, free, self.config.min_distance)
        return self.reset_to(free, starts, goals)

    def reset_to(self, free: np.ndarray, starts: np.ndarray, goals: np.ndarray) -> Observation:
        """Episodes on given mazes (validated by :func:`check_layout`)."""
        starts, goals = np.asarray(starts), np.asarray(goals)
        self.shortest = check_layout(free, starts, goals)
        b, s, _ = free.shape
        self.free, self.goals = free.copy(), goals.astype(np.int64)
        self.pos = starts.astype(np.int64).copy()
        self.maps = np.zeros((b, 3, s, s), dtype=bool)
        self.t = np.zeros(b, dtype=np.int64)
        self.terminated = np.zeros(b, dtype=bool)
        self.truncated = np.zeros(b, dtype=bool)
        self.success = np.zeros(b, dtype=bool)
        self.collided = np.zeros(b, dtype=bool)
        self.cycled = np.zeros(b, dtype=bool)
        self.reached = np.zeros(b, dtype=bool)
        self.path_cost = np.zeros(b)
        self._path = np.full((b, self.config.max_steps + 1, 2), -1, dtype=np.int64)
        self._path[:, 0] = self.pos
        self._observe(np.ones(b, dtype=bool))
        return self.observation()

    @property
    def active(self) -> np.ndarray:
        return ~(self.terminated | self.truncated)

    @property
    def steps(self) -> np.ndarray:
        return self.t.copy()

    def observation(self) -> Observation:
        return Observation(self.maps.astype(np.uint8), self.pos.copy())

    def _observe(self, mask: np.ndarray) -> None:
        cells, vis = visible_cells(self.free, self.pos, self.config.view_range)
        vis &= mask[:, None]
        rows = np.broadcast_to(np.arange(len(vis))[:, None], vis.shape)
        r, c, b = cells[..., 0][vis], cells[..., 1][vis], rows[vis]
        wall = ~self.free[b, r, c]
        self.maps[b[wall], 0, r[wall], c[wall]] = True
        self.maps[b[~wall], 1, r[~wall], c[~wall]] = True
        is_goal = (r == self.goals[b, 0]) & (c == self.goals[b, 1])
        self.maps[b[is_goal], 2, r[is_goal], c[is_goal]] = True

    def _repeats(self, moved: np.ndarray) -> np.ndarray:
        """CALVIN's ``check_repeat(path, offset)``, batched: the path (positions after each move,
        the start first) ends in the same loop twice, ``path[-j:] == path[-2j:-j]``, where j ≥
        offset is the smallest lag at which the current position was held before."""
        offset = self.config.cycle_window
        rows = np.arange(len(self.pos))
        t = self.t
        n = int(t.max()) + 1
        path = self._path[:, :n]
        idx = np.arange(n)[None]
        earlier = (path == self.pos[:, None]).all(-1) & (idx <= (t - offset)[:, None])
        last = np.where(earlier.any(1), np.where(earlier, idx, -1).max(1), -1)  # path index
        lag = t - last
        check = moved & (t + 1 > 2 * offset) & (last >= 0) & (2 * lag <= t + 1)
        k = idx  # compare path[t - k] with path[last - k] for k < lag
        a = path[rows[:, None], np.clip(t[:, None] - k, 0, n - 1)]
        b = path[rows[:, None], np.clip(last[:, None] - k, 0, n - 1)]
        same = (a == b).all(-1) | (k >= lag[:, None])
        return check & same.all(1)

    def step(
        self, actions: np.ndarray
    ) -> tuple[Observation, np.ndarray, np.ndarray, np.ndarray, dict[str, np.ndarray]]:
        """Apply ``int [B]`` actions; returns (observation, reward, terminated, truncated, info)."""
        actions = np.asarray(actions)
        b = len(self.pos)
        if actions.shape != (b,) or not np.issubdtype(actions.dtype, np.integer):
            raise ValueError(f"actions: expected integers of shape ({b},), got {actions.shape}")
        if ((actions < 0) | (actions >= N_ACTIONS)).any():
            raise ValueError(f"actions: must lie in [0, {N_ACTIONS}), got {actions.tolist()}")
        live = self.active
        s = self.config.size
        rows = np.arange(b)
        done = live & (actions == DONE)
        at_goal = (self.pos == self.goals).all(1)
        self.success |= done & at_goal
        move = live & ~done
        d = MOVES[actions]
        target = self.pos + d

        def free_at(p: np.ndarray) -> np.ndarray:
            inside = ((p >= 0) & (p < s)).all(1)
            q = np.clip(p, 0, s - 1)
            return inside & self.free[rows, q[:, 0], q[:, 1]]

        ok = free_at(target)
        diag = (d != 0).all(1)
        corner = free_at(self.pos + d * [1, 0]) | free_at(self.pos + d * [0, 1])
        ok &= ~diag | corner
        bad = move & ~ok
        go = move & ok
        self.collided |= bad
        self.pos[go] = target[go]
        self.path_cost[go] += COST[actions[go]]
        self.reached |= go & (self.pos == self.goals).all(1)
        self._observe(go)
        self.t[live] += 1
        self._path[rows[live], np.minimum(self.t[live], self.config.max_steps)] = self.pos[live]
        cycle = self._repeats(go) if self.config.cycle_window else np.zeros(b, dtype=bool)
        self.cycled |= cycle
        self.terminated |= done | bad | cycle
        self.truncated |= live & ~self.terminated & (self.t >= self.config.max_steps)
        reward = (done & at_goal).astype(np.float64)
        info = {"success": self.success.copy(), "collided": bad, "cycle": cycle}
        return self.observation(), reward, self.terminated.copy(), self.truncated.copy(), info


class GridMazeEnv(gymnasium.Env):
    """One GridMaze2D episode behind the Gymnasium API (``gymnasium.make("paperzoo/GridMaze-v0")``).

    ``reset(seed=s)`` gives the same maze as episode seed ``s`` of :class:`VecGridMaze`;
    ``options={"maze": bool [S, S], "start": (r, c), "goal": (r, c)}`` plays a given maze.
    """

    metadata = {"render_modes": ["rgb_array"], "render_fps": 4}

    def __init__(
        self,
        size: int = 15,
        view_range: int = 2,
        max_steps: int = 100,
        min_distance: float = 10.0,
        cycle_window: int = 5,
        render_mode: str | None = None,
    ) -> None:
        if render_mode not in (None, "rgb_array"):
            raise ValueError(f"render_mode must be None or 'rgb_array', got {render_mode!r}")
        self.config = EnvConfig(size, view_range, max_steps, min_distance, cycle_window)
        self.render_mode = render_mode
        self._vec = VecGridMaze(self.config)
        self.observation_space = spaces.Dict(
            {
                "map": spaces.Box(0, 1, (3, size, size), dtype=np.uint8),
                "position": spaces.Box(0, size - 1, (2,), dtype=np.int64),
            }
        )
        self.action_space = spaces.Discrete(N_ACTIONS)

    def _obs(self) -> dict[str, np.ndarray]:
        obs = self._vec.observation()
        return {"map": obs.maps[0], "position": obs.positions[0]}

    def _info(self) -> dict[str, Any]:
        v = self._vec
        return {
            "success": bool(v.success[0]),
            "reached": bool(v.reached[0]),
            "collided": bool(v.collided[0]),
            "cycle": bool(v.cycled[0]),
            "path_cost": float(v.path_cost[0]),
            "shortest": float(v.shortest[0]),
        }

    def reset(
        self, *, seed: int | None = None, options: dict[str, Any] | None = None
    ) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
        super().reset(seed=seed)
        options = dict(options or {})
        if options:
            unknown = sorted(set(options) - {"maze", "start", "goal"})
            missing = sorted({"maze", "start", "goal"} - set(options))
            if unknown or missing:
                raise ValueError(f"options: unknown keys {unknown}, missing keys {missing}")
            maze = np.asarray(options["maze"])
            if maze.shape != (self.config.size,) * 2:
                raise ValueError(
                    f"maze: expected shape {(self.config.size,) * 2}, got {maze.shape}"
                )
            self._vec.reset_to(
                maze[None],
                np.asarray([options["start"]], dtype=np.int64),
                np.asarray([options["goal"]], dtype=np.int64),
            )
        else:
            maze_seed = seed if seed is not None else int(self.np_random.integers(2**31))
            self._vec.reset([maze_seed])
        return self._obs(), self._info()

    def step(self, action: int) -> tuple[dict[str, np.ndarray], float, bool, bool, dict[str, Any]]:
        if not self.action_space.contains(action):
            raise ValueError(f"action: expected an int in [0, {N_ACTIONS}), got {action!r}")
        if not self._vec.active[0]:
            raise ValueError("step: the episode has ended; call reset()")
        _, reward, term, trunc, _ = self._vec.step(np.array([int(action)]))
        return self._obs(), float(reward[0]), bool(term[0]), bool(trunc[0]), self._info()

    def render(self) -> np.ndarray | None:
        if self.render_mode is None:
            return None
        v = self._vec
        return render_rgb(v.maps[0], v.free[0], v.pos[0], v.goals[0])


def render_rgb(maps: np.ndarray, free: np.ndarray, pos: np.ndarray, goal: np.ndarray) -> np.ndarray:
    """``uint8 [S, S, 3]``: seen free white, seen walls black, unseen grey (walls darker),
    goal green, agent red."""
    img = np.where(free[..., None], 170, 120).astype(np.uint8).repeat(3, -1)
    img[maps[1].astype(bool)] = 255
    img[maps[0].astype(bool)] = 0
    img[goal[0], goal[1]] = (40, 180, 60)
    img[pos[0], pos[1]] = (220, 40, 40)
    return img


if ENV_ID not in gymnasium.registry:
    gymnasium.register(id=ENV_ID, entry_point="paperzoo.navdiff.env:GridMazeEnv")
