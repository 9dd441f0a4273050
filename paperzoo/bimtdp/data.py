"""SynthRooms: a seeded, procedural multi-task dataset (ours, docs/bimtdp.md §3.2).

Batched analytic ray casting in torch: a pinhole camera inside a box room (floor, ceiling, four
walls) with up to 3 spheres, 3 yaw-rotated boxes and 2 upright cylinders resting on the floor.
Per pixel, from the nearest hit: z-depth, the analytic normal in the camera frame, the semantic
class, the instance id; boundaries (1 px, on the upper/left pixel) where the instance changes,
depth jumps by > 25 % or normals turn by > 30°; saliency = object pixels. RGB: per-instance
albedo (class base colour + jitter), textures from a pool shared across classes, Lambertian
shading from a point light with shadow rays, ambient light and Gaussian sensor noise. No loop
over pixels; one loop over primitive kinds.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import Tensor

CLASSES = ("floor", "wall", "ceiling", "sphere", "box", "cylinder")
TASKS = ("semseg", "depth", "normals", "boundary", "saliency")
ROOM = (3.0, 2.6, 3.0)  # half-width x, height y, half-depth z
N_SPHERE, N_BOX, N_CYL = 3, 3, 2
_BASE = torch.tensor(
    [
        [0.55, 0.45, 0.35],
        [0.7, 0.7, 0.65],
        [0.85, 0.85, 0.85],
        [0.8, 0.3, 0.3],
        [0.3, 0.5, 0.8],
        [0.4, 0.75, 0.4],
    ]
)
INF = 1e9


@dataclass(frozen=True)
class SynthRooms:
    """A rendered split: every tensor is [N, ...] at ``size``×``size`` pixels.

    rgb [N, 3, S, S] in [0, 1]; depth [N, 1, S, S] (metres, z in the camera frame); normals
    [N, 3, S, S] unit, camera frame (x right, y up, z forward), facing the camera; semseg
    [N, S, S] int64 class ids; instance [N, S, S]; boundary and saliency [N, 1, S, S] in {0, 1};
    focal [N] in pixels.
    """

    rgb: Tensor
    depth: Tensor
    normals: Tensor
    semseg: Tensor
    instance: Tensor
    boundary: Tensor
    saliency: Tensor
    focal: Tensor  # [N] focal length in pixels

    def __len__(self) -> int:
        return self.rgb.shape[0]

    def subset(self, index: Tensor | slice) -> SynthRooms:
        return SynthRooms(*(getattr(self, f)[index] for f in self.__dataclass_fields__))


def _rot_y(a: Tensor) -> Tensor:
    c, s, z, o = a.cos(), a.sin(), torch.zeros_like(a), torch.ones_like(a)
    return torch.stack([c, z, s, z, o, z, -s, z, c], -1).view(*a.shape, 3, 3)


def _rot_x(a: Tensor) -> Tensor:
    c, s, z, o = a.cos(), a.sin(), torch.zeros_like(a), torch.ones_like(a)
    return torch.stack([o, z, z, z, c, -s, z, s, c], -1).view(*a.shape, 3, 3)


def _scene(n: int, g: torch.Generator) -> dict[str, Tensor]:
    """Random objects per image: centres, sizes, yaw, active masks (positions on the floor)."""

    def u(*shape: int, lo: float = 0.0, hi: float = 1.0) -> Tensor:
        return lo + (hi - lo) * torch.rand(*shape, generator=g)

    rx, _, rz = ROOM
    s_r = u(n, N_SPHERE, lo=0.25, hi=0.6)
    s_c = torch.stack(
        [
            u(n, N_SPHERE, lo=-rx + 0.7, hi=rx - 0.7),
            s_r + u(n, N_SPHERE, hi=0.8),
            u(n, N_SPHERE, lo=-0.5, hi=rz - 0.6),
        ],
        -1,
    )
    b_h = u(n, N_BOX, 3, lo=0.2, hi=0.6)  # half extents
    b_c = torch.stack(
        [u(n, N_BOX, lo=-rx + 0.8, hi=rx - 0.8), b_h[..., 1], u(n, N_BOX, lo=-0.5, hi=rz - 0.7)], -1
    )
    c_r, c_h = u(n, N_CYL, lo=0.15, hi=0.4), u(n, N_CYL, lo=0.5, hi=1.8)
    c_c = torch.stack(
        [u(n, N_CYL, lo=-rx + 0.6, hi=rx - 0.6), u(n, N_CYL, lo=-0.5, hi=rz - 0.5)], -1
    )
    return {
        "s_c": s_c,
        "s_r": s_r,
        "s_on": u(n, N_SPHERE) < 0.6,
        "b_c": b_c,
        "b_h": b_h,
        "b_yaw": u(n, N_BOX, hi=math.pi),
        "b_on": u(n, N_BOX) < 0.6,
        "c_c": c_c,
        "c_r": c_r,
        "c_h": c_h,
        "c_on": u(n, N_CYL) < 0.6,
    }


def _hit_objects(o: Tensor, d: Tensor, sc: dict[str, Tensor]) -> tuple[Tensor, Tensor, Tensor]:
    """Nearest object hit of rays o + t d. o, d: [N, P, 3] -> t [N, P], normal [N, P, 3],
    object slot [N, P] (spheres 0..2, boxes 3..5, cylinders 6..7; −1 none)."""
    ts, ns = [], []
    # spheres: |o + t d − c|² = r²
    oc = o[:, :, None] - sc["s_c"][:, None]  # [N, P, K, 3]
    a = (d * d).sum(-1)[..., None]
    b = 2 * (oc * d[:, :, None]).sum(-1)
    c = (oc * oc).sum(-1) - sc["s_r"][:, None] ** 2
    disc = b * b - 4 * a * c
    t = (-b - disc.clamp(min=0).sqrt()) / (2 * a)
    ok = (disc > 0) & (t > 1e-4) & sc["s_on"][:, None]
    ts.append(torch.where(ok, t, INF))
    p = o[:, :, None] + t[..., None] * d[:, :, None]
    ns.append((p - sc["s_c"][:, None]) / sc["s_r"][:, None, :, None])
    # boxes: slabs in the box frame (rotated about y)
    rot = _rot_y(sc["b_yaw"])[:, None]  # [N, 1, K, 3, 3] world <- box
    ol = torch.einsum("npkji,npkj->npki", rot, oc_b := o[:, :, None] - sc["b_c"][:, None])
    dl = torch.einsum("npkji,npj->npki", rot, d)
    del oc_b
    inv = 1 / torch.where(dl.abs() < 1e-9, torch.full_like(dl, 1e-9), dl)
    h = sc["b_h"][:, None]
    t1, t2 = (-h - ol) * inv, (h - ol) * inv
    tnear = torch.minimum(t1, t2).amax(-1)
    tfar = torch.maximum(t1, t2).amin(-1)
    ok = (tnear < tfar) & (tnear > 1e-4) & sc["b_on"][:, None]
    ts.append(torch.where(ok, tnear, INF))
    axis = torch.minimum(t1, t2).argmax(-1, keepdim=True)
    nl = torch.zeros_like(ol).scatter_(-1, axis, 1.0) * -torch.sign(dl.gather(-1, axis))
    ns.append(torch.einsum("npkij,npkj->npki", rot.expand(-1, o.shape[1], -1, -1, -1), nl))
    # upright cylinders: side (x, z) circle, top cap at y = h
    cc = sc["c_c"][:, None]  # [N, 1, K, 2]
    oxz = o[:, :, None][..., [0, 2]] - cc
    dxz = d[..., [0, 2]][:, :, None]
    a = (dxz * dxz).sum(-1).clamp(min=1e-9)
    b = 2 * (oxz * dxz).sum(-1)
    c = (oxz * oxz).sum(-1) - sc["c_r"][:, None] ** 2
    disc = b * b - 4 * a * c
    t_side = (-b - disc.clamp(min=0).sqrt()) / (2 * a)
    y_side = o[..., 1:2] + t_side * d[..., 1:2]
    ok_side = (disc > 0) & (t_side > 1e-4) & (y_side >= 0) & (y_side <= sc["c_h"][:, None])
    dy = torch.where(d[..., 1:2].abs() < 1e-9, torch.full_like(d[..., 1:2], 1e-9), d[..., 1:2])
    t_cap = (sc["c_h"][:, None] - o[..., 1:2]) / dy
    pc = oxz + t_cap[..., None] * dxz
    ok_cap = (t_cap > 1e-4) & ((pc * pc).sum(-1) <= sc["c_r"][:, None] ** 2)
    t_side = torch.where(ok_side, t_side, INF)
    t_cap = torch.where(ok_cap, t_cap, INF)
    side = t_side <= t_cap
    t = torch.where(side, t_side, t_cap)
    ts.append(torch.where(sc["c_on"][:, None], t, INF))
    p = oxz + t[..., None] * dxz
    n_side = (
        torch.stack([p[..., 0], torch.zeros_like(t), p[..., 1]], -1) / sc["c_r"][:, None, :, None]
    )
    n_cap = torch.zeros_like(n_side)
    n_cap[..., 1] = 1.0
    ns.append(torch.where(side[..., None], n_side, n_cap))
    t_all, n_all = torch.cat(ts, -1), torch.cat(ns, -2)  # [N, P, 8], [N, P, 8, 3]
    t_min, slot = t_all.min(-1)
    normal = n_all.gather(2, slot[..., None, None].expand(-1, -1, 1, 3)).squeeze(2)
    return t_min, normal, torch.where(t_min < INF / 2, slot, torch.full_like(slot, -1))


def _hit_room(o: Tensor, d: Tensor) -> tuple[Tensor, Tensor, Tensor]:
    """Exit point of rays from inside the room box: t [N, P], normal [N, P, 3], face [N, P]."""
    rx, ry, rz = ROOM
    lo = torch.tensor([-rx, 0.0, -rz])
    hi = torch.tensor([rx, ry, rz])
    dd = torch.where(d.abs() < 1e-9, torch.full_like(d, 1e-9), d)
    t = torch.where(dd > 0, (hi - o) / dd, (lo - o) / dd)  # [N, P, 3]
    tmin, axis = t.min(-1)
    normal = torch.zeros_like(d).scatter_(-1, axis[..., None], 1.0)
    normal = normal * -torch.sign(d.gather(-1, axis[..., None]))
    face = axis * 2 + (d.gather(-1, axis[..., None])[..., 0] > 0).long()  # 0..5
    return tmin, normal, face


def _texture(p: Tensor, kind: Tensor, freq: Tensor) -> Tensor:
    """Texture value in [0.6, 1] at world points p [N, P, 3]; kind, freq [N, P] (pool of 4)."""
    q = p * freq[..., None]
    checker = ((q.floor().sum(-1) % 2) == 0).float()
    stripes = ((q[..., 0] + q[..., 2] + q[..., 1]).floor() % 2 == 0).float()
    waves = 0.5 + 0.5 * torch.sin(3 * q[..., 0]) * torch.sin(3 * q[..., 2] + 2 * q[..., 1])
    tex = torch.stack([torch.ones_like(checker), checker, stripes, waves], -1)
    return 0.6 + 0.4 * tex.gather(-1, kind[..., None]).squeeze(-1)


def render(n: int, size: int = 32, seed: int = 0, noise: float = 0.02) -> SynthRooms:
    """Render ``n`` random rooms at ``size``×``size`` pixels, deterministically from ``seed``."""
    if n < 1 or size < 8:
        raise ValueError(f"n must be >= 1 and size >= 8, got n={n!r}, size={size!r}")
    g = torch.Generator().manual_seed(seed)
    sc = _scene(n, g)
    # camera: random FOV, height, yaw, pitch; near the back wall looking into the room
    fov = torch.deg2rad(50 + 20 * torch.rand(n, generator=g))
    cam_x = (torch.rand(n, generator=g) - 0.5) * 2
    cam_y = 0.9 + 0.9 * torch.rand(n, generator=g)
    cam_z = -ROOM[2] + 0.3 + 0.3 * torch.rand(n, generator=g)
    cam = torch.stack([cam_x, cam_y, cam_z], -1)
    yaw = (torch.rand(n, generator=g) - 0.5) * 0.8
    pitch = -0.1 - 0.25 * torch.rand(n, generator=g)
    rot = _rot_y(yaw) @ _rot_x(-pitch)  # world <- camera ([N, 3, 3])
    f = 0.5 * size / torch.tan(fov / 2)
    v, u = torch.meshgrid(torch.arange(size) + 0.5, torch.arange(size) + 0.5, indexing="ij")
    u, v = u.flatten() - size / 2, v.flatten() - size / 2
    # z = 1 in the camera frame, so the ray parameter t is the z-depth
    d_cam = torch.stack(
        [u[None] / f[:, None], -v[None] / f[:, None], torch.ones(n, size * size)], -1
    )
    d = torch.einsum("nij,npj->npi", rot, d_cam)
    o = cam[:, None].expand_as(d)
    t_obj, n_obj, slot = _hit_objects(o, d, sc)
    t_room, n_room, face = _hit_room(o, d)
    on_obj = t_obj < t_room
    depth = torch.where(on_obj, t_obj, t_room)
    normal_w = torch.where(on_obj[..., None], n_obj, n_room)
    normal_w = torch.where((normal_w * d).sum(-1, keepdim=True) > 0, -normal_w, normal_w)
    # classes: faces (axis*2 + positive side): y- floor, y+ ceiling, x/z walls
    room_cls = torch.tensor([1, 1, 0, 2, 1, 1])[face]
    obj_cls = torch.tensor([3] * N_SPHERE + [4] * N_BOX + [5] * N_CYL)[slot.clamp(min=0)]
    semseg = torch.where(on_obj, obj_cls, room_cls)
    instance = torch.where(on_obj, 6 + slot, face)
    # shading
    p = o + depth[..., None] * d
    light = torch.stack(
        [
            (torch.rand(n, generator=g) - 0.5) * 4,
            torch.full((n,), ROOM[1] - 0.2),
            torch.rand(n, generator=g) * 2,
        ],
        -1,
    )[:, None]
    to_l = light - p
    dist = to_l.norm(dim=-1, keepdim=True)
    ldir = to_l / dist
    t_sh, _, _ = _hit_objects(p + 1e-3 * normal_w, ldir, sc)
    lit = (t_sh > dist[..., 0]).float()
    lambert = (normal_w * ldir).sum(-1).clamp(min=0) * lit
    inst_key = torch.randint(0, 4, (n, 14), generator=g)  # texture kind per instance
    inst_freq = 1 + 3 * torch.rand(n, 14, generator=g)
    jitter = 0.15 * (torch.rand(n, 14, 3, generator=g) - 0.5)
    kind = inst_key.gather(1, instance)
    freq = inst_freq.gather(1, instance)
    albedo = (_BASE[semseg] + jitter.gather(1, instance[..., None].expand(-1, -1, 3))).clamp(0, 1)
    shade = 0.35 + 0.9 * lambert / (1 + 0.05 * dist[..., 0] ** 2)
    rgb = albedo * (_texture(p, kind, freq) * shade)[..., None]
    rgb = rgb + noise * torch.randn(rgb.shape, generator=g)
    normal_c = torch.einsum("nji,npj->npi", rot, normal_w)  # camera <- world: Rᵀ n

    def img(x: Tensor) -> Tensor:
        return x.view(n, size, size, -1).permute(0, 3, 1, 2).contiguous()

    depth_i, normals_i = img(depth[..., None]), img(normal_c)
    inst_i = instance.view(n, size, size)
    return SynthRooms(
        rgb=img(rgb).clamp(0, 1),
        depth=depth_i,
        normals=F.normalize(normals_i, dim=1),
        semseg=semseg.view(n, size, size),
        instance=inst_i,
        boundary=boundaries(inst_i, depth_i, normals_i),
        saliency=(semseg.view(n, 1, size, size) >= 3).float(),
        focal=f,
    )


def boundaries(
    instance: Tensor, depth: Tensor, normals: Tensor, angle_deg: float = 30.0, jump: float = 0.25
) -> Tensor:
    """1 where a 4-neighbour has another instance, a relative depth jump > ``jump`` or a normal
    turn > ``angle_deg``. (A 5 % jump would mark most of a grazing floor at 32 px.)"""
    cos = math.cos(math.radians(angle_deg))
    edge = torch.zeros_like(depth, dtype=torch.bool)
    for dim in (2, 3):  # right and down neighbours, marked on the first pixel of the pair
        a = [slice(None)] * 4
        b = [slice(None)] * 4
        a[dim], b[dim] = slice(None, -1), slice(1, None)
        inst = instance[:, None][tuple(a)] != instance[:, None][tuple(b)]
        dep = (depth[tuple(a)] - depth[tuple(b)]).abs() > jump * depth[tuple(a)]
        nrm = (normals[tuple(a)] * normals[tuple(b)]).sum(1, keepdim=True) < cos
        e = inst | dep | nrm
        edge[tuple(a)] |= e
    return edge.float()


def depth_normals(depth: Tensor, fov_f: Tensor | None = None) -> Tensor:
    """Normals from depth by finite differences of back-projected points (camera frame).

    depth [N, 1, S, S]; fov_f [N] focal lengths in pixels (needed for exact back-projection).
    Returns [N, 3, S-2, S-2] unit normals facing the camera (central differences).
    """
    n, _, s, _ = depth.shape
    v, u = torch.meshgrid(
        torch.arange(s) + 0.5 - s / 2, torch.arange(s) + 0.5 - s / 2, indexing="ij"
    )
    f = fov_f.view(n, 1, 1) if fov_f is not None else torch.full((n, 1, 1), float(s))
    pts = torch.stack([u / f, -v / f, torch.ones(n, s, s)], 1) * depth  # [N, 3, S, S]
    dx = pts[:, :, 1:-1, 2:] - pts[:, :, 1:-1, :-2]
    dy = pts[:, :, 2:, 1:-1] - pts[:, :, :-2, 1:-1]
    nrm = F.normalize(torch.cross(dx, dy, dim=1), dim=1)
    facing = (nrm * pts[:, :, 1:-1, 1:-1]).sum(1, keepdim=True) > 0
    return torch.where(facing, -nrm, nrm)
