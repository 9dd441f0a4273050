"""Evasion attacks on [0, 1] inputs: PGD (l∞, l2), FGSM, APGD-CE, APGD-T and their ensemble.

PGD: Madry et al. 2018. APGD: Croce & Hein, "Reliable evaluation of adversarial robustness with an
ensemble of diverse parameter-free attacks", ICML 2020 (Alg. 1; APGD-T maximises the targeted
DLR loss). The model is put in eval mode while attacking and its flags restored afterwards;
normalisation belongs inside the model. Every random start takes a ``torch.Generator``.
Inputs must be torch tensors on the model's device and in its dtype (numpy is refused, not
converted: only the caller knows which device and precision the model runs in).
"""

from __future__ import annotations

from collections.abc import Callable

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from paperzoo.atur.config import AttackConfig, Norm
from paperzoo.core.runtime import eval_mode

Objective = Callable[[Tensor, Tensor], Tensor]  # (logits [B, K], target) -> per-sample loss [B]


def _require_tensor(value: object, name: str) -> None:
    if not isinstance(value, Tensor):
        hint = " (convert with torch.from_numpy)" if type(value).__module__ == "numpy" else ""
        raise TypeError(f"{name}: expected a torch.Tensor, got {type(value).__name__}{hint}")


def check_inputs(x: Tensor, y: Tensor) -> None:
    """Boundary check: float images ``[B, ...]`` in [0, 1], integer labels ``[B]`` on x's device."""
    _require_tensor(x, "x")
    _require_tensor(y, "y")
    if not torch.is_floating_point(x):
        raise ValueError(f"x: inputs must be a float tensor in [0, 1], got dtype {x.dtype}")
    if x.dim() < 2:
        raise ValueError(f"x: expected a batch [B, ...], got shape {tuple(x.shape)}")
    if x.numel() and (not torch.isfinite(x).all() or x.min() < 0 or x.max() > 1):
        raise ValueError(
            f"x: inputs must lie in [0, 1] (normalise inside the model), got range "
            f"[{float(x.min()):.4g}, {float(x.max()):.4g}]"
        )
    if y.dtype == torch.bool or y.is_floating_point() or y.is_complex():
        raise ValueError(f"y: labels must be integer class indices, got dtype {y.dtype}")
    if y.shape != x.shape[:1]:
        raise ValueError(f"y: labels must have shape {tuple(x.shape[:1])}, got {tuple(y.shape)}")
    if y.device != x.device:
        raise ValueError(f"y: on device {y.device} but x is on {x.device}")


def check_model_inputs(model: nn.Module, x: Tensor) -> None:
    """Boundary check: ``x`` on the device and in the dtype of the model's first float parameter."""
    if not isinstance(model, nn.Module):
        raise TypeError(f"model: expected a torch.nn.Module, got {type(model).__name__}")
    param = next((p for p in model.parameters() if p.is_floating_point()), None)
    if param is None:
        return
    if x.device != param.device:
        raise ValueError(
            f"x: on device {x.device} but the model's parameters are on {param.device}"
        )
    if x.dtype != param.dtype:
        raise ValueError(
            f"x: dtype {x.dtype} differs from the model's parameters ({param.dtype}); "
            f"pass x.to({param.dtype})"
        )


def check_labels(y: Tensor, num_classes: int) -> None:
    """Boundary check once K is known (after a forward): every label in [0, K)."""
    if y.numel() and (y.min() < 0 or y.max() >= num_classes):
        raise ValueError(
            f"y: labels must lie in [0, K) with K={num_classes} (the model's outputs), got range "
            f"[{int(y.min())}, {int(y.max())}]"
        )


def _per_sample_norm(t: Tensor) -> Tensor:
    """l2 norm of each sample, shaped ``[B, 1, ..., 1]`` to broadcast over ``t``."""
    return t.flatten(1).norm(dim=1).view(-1, *([1] * (t.dim() - 1)))


def project(x_adv: Tensor, x: Tensor, eps: float | Tensor, norm: Norm) -> Tensor:
    """Project onto the ε-ball around ``x`` and then onto [0, 1]."""
    delta = x_adv - x
    if norm == "linf":
        delta = torch.maximum(torch.minimum(delta, x.new_tensor(eps)), x.new_tensor(-eps))
    else:
        delta = delta * torch.clamp(eps / (_per_sample_norm(delta) + 1e-12), max=1.0)
    return (x + delta).clamp_(0.0, 1.0)


def _linf_box(x: Tensor, eps: float) -> tuple[Tensor, Tensor]:
    """B∞(x, ε) ∩ [0, 1] as per-coordinate bounds, so projecting onto it is one clamp."""
    return (x - eps).clamp_(min=0.0), (x + eps).clamp_(max=1.0)


def _direction(grad: Tensor, norm: Norm) -> Tensor:
    """Steepest-ascent direction: sign(g) for l∞, g / ‖g‖₂ for l2."""
    if norm == "linf":
        return grad.sign()
    return grad / (_per_sample_norm(grad) + 1e-10)


def _random_start(x: Tensor, eps: float, norm: Norm, generator: torch.Generator | None) -> Tensor:
    if norm == "linf":
        noise = torch.empty_like(x).uniform_(-eps, eps, generator=generator)
        return (x + noise).clamp(0.0, 1.0)
    noise = torch.empty_like(x).normal_(generator=generator)
    radius = torch.empty(x.shape[0], *([1] * (x.dim() - 1)), device=x.device)
    radius.uniform_(0, 1, generator=generator)
    return (x + noise / (_per_sample_norm(noise) + 1e-12) * radius * eps).clamp(0.0, 1.0)


def _loss_and_grad(
    model: nn.Module, x_adv: Tensor, target: Tensor, objective: Objective
) -> tuple[Tensor, Tensor, Tensor]:
    """(per-sample loss [B], ∂Σloss/∂x [B, ...], logits [B, K]), all detached."""
    with torch.enable_grad():
        x_adv = x_adv.detach().requires_grad_(True)
        logits = model(x_adv)
        loss = objective(logits, target)
        (grad,) = torch.autograd.grad(loss.sum(), x_adv)
    return loss.detach(), grad, logits.detach()


def cross_entropy(logits: Tensor, y: Tensor) -> Tensor:
    """Per-sample cross-entropy, ``[B, K], [B] -> [B]``."""
    return F.cross_entropy(logits, y, reduction="none")


def kl_to_clean(logits: Tensor, p_clean: Tensor) -> Tensor:
    """KL(p_clean ‖ softmax(logits)) per sample: TRADES' inner maximisation objective."""
    return (p_clean * (p_clean.clamp_min(1e-12).log() - F.log_softmax(logits, 1))).sum(1)


def targeted_dlr_loss(logits: Tensor, y_and_t: Tensor) -> Tensor:
    """Targeted DLR: −(z_y − z_t) / (z_π1 − (z_π3 + z_π4)/2 + 1e-12); ``y_and_t`` is ``[B, 2]``."""
    z_sorted = logits.sort(1, descending=True).values
    z_y = logits.gather(1, y_and_t[:, :1]).squeeze(1)
    z_t = logits.gather(1, y_and_t[:, 1:]).squeeze(1)
    scale = z_sorted[:, 0] - (z_sorted[:, 2] + z_sorted[:, 3]) / 2 + 1e-12
    return -(z_y - z_t) / scale


def pgd(
    model: nn.Module,
    x: Tensor,
    y: Tensor,
    eps: float,
    alpha: float,
    steps: int,
    norm: Norm = "linf",
    random_start: bool = True,
    generator: torch.Generator | None = None,
    objective: Objective = cross_entropy,
    target: Tensor | None = None,
) -> Tensor:
    """Projected gradient ascent on ``objective(model(x'), target)`` within the ε-ball.

    x_{t+1} = Π_{B(x, ε) ∩ [0,1]}(x_t + α·sign(∇ℓ)) (l∞) or α·∇ℓ/‖∇ℓ‖₂ (l2). ``target``
    defaults to ``y``. Inner code: no input checks, the model's mode is left to the caller.
    """
    target = y if target is None else target
    x = x.detach()
    x_adv = _random_start(x, eps, norm, generator) if random_start else x.clone()
    box = _linf_box(x, eps) if norm == "linf" else None
    for _ in range(steps):
        _, grad, _ = _loss_and_grad(model, x_adv, target, objective)
        if box is None:
            x_adv = project(x_adv + alpha * _direction(grad, norm), x, eps, norm)
        else:
            x_adv = (x_adv + alpha * grad.sign_()).clamp_(*box)
    return x_adv


def trades_inner(
    model: nn.Module,
    x: Tensor,
    eps: float,
    alpha: float,
    steps: int,
    generator: torch.Generator | None = None,
) -> Tensor:
    """TRADES' inner maximisation: PGD on KL(f(x) ‖ f(x')) from x + 0.001·N(0, I) (l∞)."""
    with torch.no_grad():
        p_clean = model(x).softmax(1)
    noise = torch.empty_like(x).normal_(generator=generator)
    x_start = (x + 0.001 * noise).clamp(0.0, 1.0)
    x_adv, box = x_start, _linf_box(x, eps)
    for _ in range(steps):
        _, grad, _ = _loss_and_grad(model, x_adv, p_clean, kl_to_clean)
        x_adv = (x_adv + alpha * grad.sign_()).clamp_(*box)
    return x_adv


def _apgd_checkpoints(steps: int) -> list[int]:
    """Iterations after which APGD may halve its step (windows 0.22·N, −0.03·N each, ≥ 0.06·N)."""
    window = max(int(0.22 * steps), 1)
    shrink, smallest = max(int(0.03 * steps), 1), max(int(0.06 * steps), 1)
    points, at = [], 0
    while at + window <= steps:
        at += window
        points.append(at)
        window = max(window - shrink, smallest)
    return points


def apgd(
    model: nn.Module,
    x: Tensor,
    y: Tensor,
    eps: float,
    steps: int,
    norm: Norm = "linf",
    objective: Objective = cross_entropy,
    target: Tensor | None = None,
    rho: float = 0.75,
    generator: torch.Generator | None = None,
    x_start: Tensor | None = None,
) -> tuple[Tensor, Tensor, Tensor]:
    """One APGD run (Croce & Hein 2020, Alg. 1), vectorised over the batch.

    Returns (x_max_loss, x_fooling, fooled): the highest-loss iterate, the last iterate that was
    misclassified (``x`` where none was), and a bool ``[B]`` of samples ever misclassified.
    ``x_start`` replaces the random start drawn from ``generator``.
    """
    target = y if target is None else target
    shape = (-1, *([1] * (x.dim() - 1)))
    checkpoints = set(_apgd_checkpoints(steps))
    step = torch.full((x.shape[0],), 2.0 * eps, device=x.device)
    x_adv = _random_start(x, eps, norm, generator) if x_start is None else x_start
    loss, grad, logits = _loss_and_grad(model, x_adv, target, objective)
    fooled = logits.argmax(1) != y
    x_fool = torch.where(fooled.view(shape), x_adv, x)
    best_loss, x_best, grad_best = loss.clone(), x_adv.clone(), grad.clone()
    x_prev, loss_prev = x_adv, loss
    n_increase = torch.zeros_like(loss)
    best_at_check = best_loss.clone()
    reduced_at_check = torch.ones_like(fooled)
    last_check = 0
    for i in range(steps):
        momentum = 0.75 if i > 0 else 1.0
        z = project(x_adv + step.view(shape) * _direction(grad, norm), x, eps, norm)
        # x^{k+1} = P(x^k + α(z^{k+1} − x^k) + (1 − α)(x^k − x^{k−1}))
        x_new = project(
            x_adv + momentum * (z - x_adv) + (1 - momentum) * (x_adv - x_prev), x, eps, norm
        )
        x_prev, x_adv = x_adv, x_new
        loss, grad, logits = _loss_and_grad(model, x_adv, target, objective)
        fooled_now = logits.argmax(1) != y
        x_fool = torch.where(fooled_now.view(shape), x_adv, x_fool)
        fooled |= fooled_now
        n_increase += (loss > loss_prev).float()
        loss_prev = loss
        improved = loss > best_loss
        best_loss = torch.where(improved, loss, best_loss)
        x_best = torch.where(improved.view(shape), x_adv, x_best)
        grad_best = torch.where(improved.view(shape), grad, grad_best)
        if i + 1 in checkpoints:
            oscillating = n_increase <= rho * (i + 1 - last_check)  # condition 1
            stalled = ~reduced_at_check & (best_at_check >= best_loss)  # condition 2
            reduce = oscillating | stalled
            step = torch.where(reduce, step / 2, step)
            x_adv = torch.where(reduce.view(shape), x_best, x_adv)
            grad = torch.where(reduce.view(shape), grad_best, grad)
            reduced_at_check, best_at_check = reduce, best_loss.clone()
            n_increase.zero_()
            last_check = i + 1
    return x_best, x_fool, fooled


def apgd_targeted(
    model: nn.Module,
    x: Tensor,
    y: Tensor,
    eps: float,
    steps: int,
    norm: Norm = "linf",
    n_target_classes: int = 9,
    rho: float = 0.75,
    generator: torch.Generator | None = None,
    active: Tensor | None = None,
) -> tuple[Tensor, Tensor, Tensor]:
    """APGD-T: targeted-DLR APGD towards the 2nd, 3rd, … highest clean classes in turn.

    Only the samples in ``active`` (bool ``[B]``, default all) are passed to the model; each round
    attacks those still robust. Random starts are drawn for the whole batch and indexed, so a
    sample's result does not depend on which others are attacked. Returns (x_max_loss,
    x_fooling, fooled) as :func:`apgd` (``x`` and False for inactive samples); x_max_loss is from
    the first round. Needs K ≥ 4.
    """
    fooled = torch.zeros_like(y, dtype=torch.bool)
    x_best, x_fool = x.clone(), x.clone()
    pos = torch.arange(len(x), device=x.device) if active is None else active.nonzero().squeeze(1)
    if pos.numel() == 0:
        return x_best, x_fool, fooled
    with torch.no_grad():
        order = model(x[pos]).argsort(1, descending=True)  # row i belongs to sample pos[i]
    n_targets = min(n_target_classes, order.shape[1] - 1)
    for t in range(1, n_targets + 1):
        still = (~fooled[pos]).nonzero().squeeze(1)
        if still.numel() == 0:
            break
        idx = pos[still]
        x_start = _random_start(x, eps, norm, generator)[idx]
        y_and_t = torch.stack([y[idx], order[still, t]], 1)
        xb, xf, fl = apgd(
            model,
            x[idx],
            y[idx],
            eps,
            steps,
            norm,
            targeted_dlr_loss,
            y_and_t,
            rho,
            generator,
            x_start,
        )
        if t == 1:
            x_best[idx] = xb
        x_fool[idx] = xf
        fooled[idx] = fl
    return x_best, x_fool, fooled


class Attack:
    """``Attack(cfg)(model, x, y, generator=None) -> x_adv``: validates once, then attacks.

    The model is in eval mode during the attack and its flags are restored afterwards. ``x`` and
    ``y`` are torch tensors on the model's device, ``x`` in its dtype; ``y`` any integer dtype.
    """

    def __init__(self, cfg: AttackConfig) -> None:
        self.cfg = cfg

    def __call__(
        self, model: nn.Module, x: Tensor, y: Tensor, generator: torch.Generator | None = None
    ) -> Tensor:
        check_inputs(x, y)
        check_model_inputs(model, x)
        y = y.long()
        with eval_mode(model):
            n_classes = _num_classes(model, x)
            check_labels(y, n_classes)
            return self._compute(model, x.detach(), y, n_classes, generator)

    def _compute(
        self,
        model: nn.Module,
        x: Tensor,
        y: Tensor,
        n_classes: int,
        generator: torch.Generator | None,
    ) -> Tensor:
        c = self.cfg
        if c.name == "pgd":
            return pgd(model, x, y, c.eps, c.alpha, c.steps, c.norm, c.random_start, generator)
        if c.name == "fgsm":
            return pgd(model, x, y, c.eps, c.eps, 1, c.norm, False)
        if c.name in ("apgd-t", "aa") and n_classes < 4:
            raise ValueError(f"attack: apgd-t needs >= 4 classes, model has {n_classes}")
        shape = (-1, *([1] * (x.dim() - 1)))
        targeted = (c.eps, c.steps, c.norm, c.n_target_classes, c.rho)
        # AutoAttack starts each attack from the same seed: APGD-T gets a copy of the state
        t_generator = generator
        if generator is not None and c.name == "aa":
            t_generator = torch.Generator(generator.device).set_state(generator.get_state())
        if c.name == "apgd-t":
            x_best, x_fool, fooled = apgd_targeted(model, x, y, *targeted, generator)
        else:
            x_best, x_fool, fooled = apgd(
                model, x, y, c.eps, c.steps, c.norm, cross_entropy, None, c.rho, generator
            )
        if c.name == "aa" and not fooled.all():
            # APGD-T only on the points APGD-CE did not fool
            _, xf, fl = apgd_targeted(model, x, y, *targeted, t_generator, active=~fooled)
            x_fool = torch.where((fl & ~fooled).view(shape), xf, x_fool)
            fooled = fooled | fl
        # deviation switch: AutoAttack returns the clean input where every attack failed
        fallback = x if c.keep_clean_if_robust else x_best
        return torch.where(fooled.view(shape), x_fool, fallback)


def _num_classes(model: nn.Module, x: Tensor) -> int:
    with torch.no_grad():
        return int(model(x[:1]).shape[1])
