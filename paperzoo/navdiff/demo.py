"""Animated GIF of one episode: the map seen so far, the agent's belief (QMDP), the sampled plans
and the chosen one (docs/navdiff.md §5)."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import torch
from PIL import Image

from paperzoo.core.plot import new_figure
from paperzoo.navdiff.config import EnvConfig, SelectConfig
from paperzoo.navdiff.diffusion import DiffusionPolicy
from paperzoo.navdiff.env import render_rgb
from paperzoo.navdiff.evaluate import Trace, evaluate
from paperzoo.navdiff.maze import DONE, MOVES
from paperzoo.navdiff.planner import QMDPPlanner, belief_predict, one_hot_belief
from paperzoo.navdiff.selection import PAD


def _path(start: np.ndarray, plan: np.ndarray) -> np.ndarray:
    steps = [start]
    for a in plan:
        if a == PAD or a >= DONE:
            break
        steps.append(steps[-1] + MOVES[a])
    return np.array(steps)


def _belief(planner: QMDPPlanner, frame: dict) -> np.ndarray:
    """The belief after the chosen plan's first action, predicted by the learned model."""
    maps = torch.from_numpy(frame["map"][None]).float()
    _, _, avail, _ = planner(maps)
    b0 = one_hot_belief(torch.from_numpy(frame["position"][None]), maps.shape[-2:])
    act = torch.tensor([max(int(frame.get("chosen", [DONE])[0]), 0) % (DONE + 1)])
    return belief_predict(b0, act, planner.kernels(), avail)[0].numpy()


@torch.no_grad()
def episode_gif(
    out: Path,
    planner: QMDPPlanner,
    policy: DiffusionPolicy,
    env: EnvConfig,
    seed: int = 0,
    select: SelectConfig | None = None,
) -> tuple[Path, dict]:
    """Run one episode (maze seed ``seed``) and write its frames as an animated GIF."""
    trace = Trace()
    result = evaluate(
        env, np.array([seed]), "diffusion", planner, policy, select, seed, trace=trace
    )
    images = []
    for frame in trace.frames:
        fig, (ax_map, ax_belief) = new_figure(1, 2, figsize=(6.4, 3.4))
        ax_map.imshow(render_rgb(frame["map"], frame["free"], frame["position"], frame["goal"]))
        for plan in frame.get("plans", []):
            p = _path(frame["position"], plan)
            ax_map.plot(p[:, 1], p[:, 0], color="tab:blue", alpha=0.25, lw=1)
        if "chosen" in frame:
            p = _path(frame["position"], frame["chosen"])
            ax_map.plot(p[:, 1], p[:, 0], color="tab:orange", lw=2.5)
        ax_map.set_title("map seen, sampled plans, chosen (orange)", fontsize=8)
        ax_belief.imshow(_belief(planner, frame), cmap="magma")
        ax_belief.set_title("belief after the next action", fontsize=8)
        for ax in (ax_map, ax_belief):
            ax.set_xticks([])
            ax.set_yticks([])
        buf = io.BytesIO()
        fig.savefig(buf, format="png", dpi=80)
        images.append(Image.open(buf).convert("P"))
    if not images:
        raise ValueError("episode: no frames recorded")
    out = Path(out)
    images[0].save(out, save_all=True, append_images=images[1:], duration=300, loop=0)
    return out, result
