#!/usr/bin/env python3
"""Golden values for normbench's norms on 4-D, channels-last tensors, computed by PyTorch.

Set-up (Debian): apt-get install -y python3-torch
Run:            /usr/bin/python3 scripts/make-norm4d-fixtures.py > test/fixtures/norms4d.json

The 4-D companion of scripts/make-norm-fixtures.py (test/fixtures/norms.json): the same norms,
applied to images. Every case gives inputs, the upstream gradient dy, and PyTorch's forward
output and gradients with respect to the input and every parameter, computed in float64 and
written at full precision.

Layout. PyTorch computes in NCHW; every image-shaped array in the JSON is CHANNELS-LAST
[N, H, W, C] (x.permute(0, 2, 3, 1)), as normbench's tfjs code holds it. Per-channel parameters
and statistics are [C]. Conv filters are in tfjs's layout [kh, kw, in, out] (PyTorch's
[out, in, kh, kw] permuted by (2, 3, 1, 0)). Shapes: N = 4, H = 3, W = 5, C = 6 (H ≠ W so that an
H/W mix-up fails); the conv check uses x [2, 5, 5, 2] and a 3×3 filter from 2 to 4 channels.

Cases (statistics axes in channels-last terms; ε = 1e-5 throughout):
  batch_train             nn.BatchNorm2d, training: per channel over N·H·W, biased variance;
                          running_mean / running_var after one update from 0 / 1 (momentum 0.1,
                          unbiased variance, m = N·H·W = 60).
  batch_eval              nn.BatchNorm2d, evaluation, given running_mean / running_var.
  batch_train_no_affine   nn.BatchNorm2d(affine=False), training (with its running statistics).
  group                   nn.GroupNorm(3, 6): per example over H·W and 2 contiguous channels
                          (channels 0-1, 2-3, 4-5); γ and β per channel.
  layer                   F.layer_norm over [C, H, W] (per example over H·W·C, no affine), then a
                          per-channel γ [C] and β [C].
  rms, rms_center         RMSNorm per example over H·W·C: y = x / sqrt(mean(x²) + ε) · γ[c]
                          (+ β[c] for rms_center).
  instance                nn.InstanceNorm2d(affine=True, track_running_stats=False): per example
                          and channel over H·W.
  mean_only               y = x − mean_{N,H,W}(x) + β[c], gradients through the mean; running_mean
                          after one update from 0 (momentum 0.1).
  renorm_clipped          Batch renormalization (Ioffe 2017, Alg. 1) per channel over N·H·W, r and
                          d clipped for some channels and not for others; new moving averages as
                          BatchNorm2d updates them (momentum 0.1, unbiased variance, m = 60).
  centered_stopgrad(_scale)  x − μ (and / sqrt(σ² + ε)) with the batch statistics per channel over
                          N·H·W under stop_gradient (Ioffe & Szegedy §2); running statistics as
                          BatchNorm2d would update them.
  weight                  nn.utils.weight_norm(nn.Conv2d(2, 4, 3), dim=0): w = g · v / ‖v‖ with
                          the norm of each output filter over (in, kh, kw). v, w, dw, dv in
                          [kh, kw, in, out]; g, dg [out] (g random, not ‖v‖). Then a conv check:
                          y_conv = conv2d(x_conv, w, bias, stride 1, padding 1 — tfjs 'same'),
                          and the gradients through the convolution and the weight norm.

Cases batch_*, group, instance and weight use PyTorch's own modules; layer uses F.layer_norm;
rms, mean_only, renorm and centered_stopgrad are the papers' equations in float64 PyTorch
(autograd for the gradients, no_grad / .detach() for stop_gradient). Every case is checked in
this script, on the channels-last arrays as written, against an independent NumPy computation
(forward output, and the closed-form gradients where they are short), so a wrong layout or a
wrong fixture cannot be written. Cases are generated in the order above, so appending new
cases after them leaves the random stream and the values of these unchanged.
"""
import json
import re
import sys

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(20164)
torch.set_default_dtype(torch.float64)
N, H, W, C = 4, 3, 5, 6
M = N * H * W  # values per channel statistic
EPS, MOMENTUM = 1e-5, 0.1
TOL = 1e-12
checks = {}


def t(a):
    return a.detach().tolist()


def nhwc(a):
    """An NCHW tensor as a channels-last nested list."""
    return t(a.permute(0, 2, 3, 1))


def hwio(w):
    """A PyTorch conv filter [out, in, kh, kw] in tfjs's layout [kh, kw, in, out]."""
    return t(w.permute(2, 3, 1, 0))


def randn(*shape, scale=1.0, shift=0.0):
    return torch.randn(*shape) * scale + shift


def image(scale=2.0, shift=1.0):
    return randn(N, C, H, W, scale=scale, shift=shift).requires_grad_()


def grads_of(y, dy, *tensors, **kw):
    return torch.autograd.grad(y, tensors, grad_outputs=dy, **kw)


def check(what, got, expected, tol=TOL):
    """got (a written nested list) equals expected (NumPy) within tol, relative to max(1, |expected|)."""
    got, expected = np.asarray(got, dtype=np.float64), np.asarray(expected, dtype=np.float64)
    assert got.shape == expected.shape, f"{what}: shape {got.shape} != {expected.shape}"
    diff = float((np.abs(got - expected) / np.maximum(1.0, np.abs(expected))).max())
    assert diff < tol, f"{what}: max diff {diff:.3e}"
    checks[what] = max(checks.get(what, 0.0), diff)


def a(v):
    return np.asarray(v, dtype=np.float64)


def standardise_np(case, axes, groups=None, affine=True):
    """NumPy reference for norms that standardise over `axes` of the channels-last x, then apply
    γ[c], β[c]: output and closed-form gradients dx, dγ, dβ. groups: split C into that many
    contiguous groups (axis 3 becomes groups, axis 4 the channels within a group)."""
    x, dy = a(case["x"]), a(case["dy"])
    gamma = a(case["gamma"]) if affine else np.ones(C)
    beta = a(case["beta"]) if affine else np.zeros(C)
    if groups:
        x, dy = x.reshape(N, H, W, groups, C // groups), dy.reshape(N, H, W, groups, C // groups)
        gamma, beta = gamma.reshape(groups, C // groups), beta.reshape(groups, C // groups)
    mu = x.mean(axis=axes, keepdims=True)
    var = ((x - mu) ** 2).mean(axis=axes, keepdims=True)
    sigma = np.sqrt(var + case["epsilon"])
    xhat = (x - mu) / sigma
    y = xhat * gamma + beta
    g = dy * gamma
    dx = (g - g.mean(axis=axes, keepdims=True) - xhat * (g * xhat).mean(axis=axes, keepdims=True)) / sigma
    dgamma, dbeta = (dy * xhat).sum(axis=(0, 1, 2)), dy.sum(axis=(0, 1, 2))
    shape = (N, H, W, C)
    return dict(xhat=xhat.reshape(shape), y=y.reshape(shape), dx=dx.reshape(shape),
                dgamma=dgamma.reshape(C), dbeta=dbeta.reshape(C))


def check_case(name, case, ref, fields):
    for f in fields:
        check(f"{name}.{f}", case[f], ref[f])


cases = {}
dy_t = randn(N, C, H, W)  # the upstream gradient shared by the image cases
dy = nhwc(dy_t)

# 1. BatchNorm2d in training mode: batch statistics, biased variance; one running-stat update.
x = image()
bn = nn.BatchNorm2d(C, eps=EPS, momentum=MOMENTUM)
with torch.no_grad():
    bn.weight.copy_(randn(C, scale=0.5, shift=1.0))
    bn.bias.copy_(randn(C, scale=0.5))
bn.train()
y = bn(x)
dx, dg, db = grads_of(y, dy_t, x, bn.weight, bn.bias)
cases["batch_train"] = c = dict(
    x=nhwc(x), dy=dy, gamma=t(bn.weight), beta=t(bn.bias), epsilon=EPS, torch_momentum=MOMENTUM,
    y=nhwc(y), dx=nhwc(dx), dgamma=t(dg), dbeta=t(db),
    running_mean=t(bn.running_mean), running_var=t(bn.running_var),
)
ref = standardise_np(c, axes=(0, 1, 2))
check_case("batch_train", c, ref, ("y", "dx", "dgamma", "dbeta"))
xhat = (a(c["y"]) - a(c["beta"])) / a(c["gamma"])
check("batch_train.xhat_mean", xhat.mean(axis=(0, 1, 2)), np.zeros(C))
check("batch_train.xhat_var", xhat.var(axis=(0, 1, 2)), np.ones(C), tol=1e-5)
check("batch_train.running_mean", c["running_mean"], MOMENTUM * a(c["x"]).mean(axis=(0, 1, 2)))
check("batch_train.running_var", c["running_var"], (1 - MOMENTUM) + MOMENTUM * a(c["x"]).var(axis=(0, 1, 2), ddof=1))

# 2. BatchNorm2d in evaluation mode: fixed running statistics.
bn.eval()
with torch.no_grad():
    bn.running_mean.copy_(randn(C, scale=0.5))
    bn.running_var.copy_(randn(C).abs() + 0.5)
x = image()
y = bn(x)
dx, dg, db = grads_of(y, dy_t, x, bn.weight, bn.bias)
cases["batch_eval"] = c = dict(
    x=nhwc(x), dy=dy, gamma=t(bn.weight), beta=t(bn.bias), epsilon=EPS,
    running_mean=t(bn.running_mean), running_var=t(bn.running_var),
    y=nhwc(y), dx=nhwc(dx), dgamma=t(dg), dbeta=t(db),
)
sigma = np.sqrt(a(c["running_var"]) + EPS)
xhat = (a(c["x"]) - a(c["running_mean"])) / sigma
check("batch_eval.y", c["y"], xhat * a(c["gamma"]) + a(c["beta"]))
check("batch_eval.dx", c["dx"], a(dy) * a(c["gamma"]) / sigma)
check("batch_eval.dgamma", c["dgamma"], (a(dy) * xhat).sum(axis=(0, 1, 2)))
check("batch_eval.dbeta", c["dbeta"], a(dy).sum(axis=(0, 1, 2)))

# 3. BatchNorm2d without γ and β (affine=False), training mode.
bn0 = nn.BatchNorm2d(C, eps=EPS, momentum=MOMENTUM, affine=False)
bn0.train()
x = image(scale=3.0, shift=-2.0)
y = bn0(x)
(dx,) = grads_of(y, dy_t, x)
cases["batch_train_no_affine"] = c = dict(
    x=nhwc(x), dy=dy, epsilon=EPS, torch_momentum=MOMENTUM, y=nhwc(y), dx=nhwc(dx),
    running_mean=t(bn0.running_mean), running_var=t(bn0.running_var),
)
ref = standardise_np(c, axes=(0, 1, 2), affine=False)
check_case("batch_train_no_affine", c, ref, ("y", "dx"))
check("batch_train_no_affine.running_mean", c["running_mean"], MOMENTUM * a(c["x"]).mean(axis=(0, 1, 2)))
check("batch_train_no_affine.running_var", c["running_var"],
      (1 - MOMENTUM) + MOMENTUM * a(c["x"]).var(axis=(0, 1, 2), ddof=1))

# 4. GroupNorm(3, 6): per example, 3 groups of 2 contiguous channels, γ and β per channel.
GROUPS = 3
gn = nn.GroupNorm(GROUPS, C, eps=EPS)
with torch.no_grad():
    gn.weight.copy_(randn(C, scale=0.5, shift=1.0))
    gn.bias.copy_(randn(C, scale=0.5))
x = image()
y = gn(x)
dx, dg, db = grads_of(y, dy_t, x, gn.weight, gn.bias)
cases["group"] = c = dict(
    x=nhwc(x), dy=dy, groups=GROUPS, gamma=t(gn.weight), beta=t(gn.bias), epsilon=EPS,
    y=nhwc(y), dx=nhwc(dx), dgamma=t(dg), dbeta=t(db),
)
ref = standardise_np(c, axes=(1, 2, 4), groups=GROUPS)
check_case("group", c, ref, ("y", "dx", "dgamma", "dbeta"))
# and channel by channel: channels 2g and 2g+1 share their group's statistics.
xa = a(c["x"])
for n in range(N):
    for g in range(GROUPS):
        vals = xa[n, :, :, 2 * g:2 * g + 2]
        xhat = (vals - vals.mean()) / np.sqrt(vals.var() + EPS)
        check("group.y_by_channel", a(c["y"])[n, :, :, 2 * g:2 * g + 2],
              xhat * a(c["gamma"])[2 * g:2 * g + 2] + a(c["beta"])[2 * g:2 * g + 2])

# 5. Layer norm: per example over all of H·W·C (F.layer_norm over [C, H, W], no elementwise
# affine), then γ[c] and β[c] per channel.
gamma = randn(C, scale=0.5, shift=1.0).requires_grad_()
beta = randn(C, scale=0.5).requires_grad_()
x = image()
y = F.layer_norm(x, [C, H, W], eps=EPS) * gamma.view(1, C, 1, 1) + beta.view(1, C, 1, 1)
dx, dg, db = grads_of(y, dy_t, x, gamma, beta)
cases["layer"] = c = dict(
    x=nhwc(x), dy=dy, gamma=t(gamma), beta=t(beta), epsilon=EPS,
    y=nhwc(y), dx=nhwc(dx), dgamma=t(dg), dbeta=t(db),
)
ref = standardise_np(c, axes=(1, 2, 3))
check_case("layer", c, ref, ("y", "dx", "dgamma", "dbeta"))
xhat = (a(c["y"]) - a(c["beta"])) / a(c["gamma"])
check("layer.xhat_mean", xhat.mean(axis=(1, 2, 3)), np.zeros(N))
check("layer.xhat_var", xhat.var(axis=(1, 2, 3)), np.ones(N), tol=1e-5)


# 6. RMSNorm (Zhang & Sennrich 2019) per example over H·W·C: y = γ[c] · x / sqrt(mean(x²) + ε) (+ β[c]).
def rms_norm(x, gain, beta, eps):
    y = x / torch.sqrt((x * x).mean(dim=(1, 2, 3), keepdim=True) + eps) * gain.view(1, C, 1, 1)
    return y if beta is None else y + beta.view(1, C, 1, 1)


def rms_numpy(x, gain, beta, eps, dy):
    """The same on channels-last arrays, and its closed-form input gradient, in NumPy."""
    x, gain, dy = a(x), a(gain), a(dy)
    rms = np.sqrt(np.mean(x ** 2, axis=(1, 2, 3), keepdims=True) + eps)
    xhat = x / rms
    y = xhat * gain + (0.0 if beta is None else a(beta))
    dxhat = dy * gain
    dx = (dxhat - xhat * np.mean(dxhat * xhat, axis=(1, 2, 3), keepdims=True)) / rms
    return y, dx, (dy * xhat).sum(axis=(0, 1, 2))


for name, with_beta in (("rms", False), ("rms_center", True)):
    x = image()
    gain = randn(C, scale=0.5, shift=1.0).requires_grad_()
    beta = randn(C, scale=0.5).requires_grad_() if with_beta else None
    y = rms_norm(x, gain, beta, EPS)
    dx, dgain, *dbeta = grads_of(y, dy_t, x, gain, *([beta] if with_beta else []))
    cases[name] = c = dict(
        x=nhwc(x), dy=dy, gamma=t(gain), epsilon=EPS, y=nhwc(y), dx=nhwc(dx), dgamma=t(dgain),
        **(dict(beta=t(beta), dbeta=t(dbeta[0])) if with_beta else {}),
    )
    y_np, dx_np, dgain_np = rms_numpy(c["x"], c["gamma"], c["beta"] if with_beta else None, EPS, dy)
    check(f"{name}.y", c["y"], y_np)
    check(f"{name}.dx", c["dx"], dx_np)
    check(f"{name}.dgamma", c["dgamma"], dgain_np)
    if with_beta:
        check(f"{name}.dbeta", c["dbeta"], a(dy).sum(axis=(0, 1, 2)))

# 7. InstanceNorm2d: per example and channel over H·W, γ and β per channel.
inorm = nn.InstanceNorm2d(C, eps=EPS, affine=True, track_running_stats=False)
with torch.no_grad():
    inorm.weight.copy_(randn(C, scale=0.5, shift=1.0))
    inorm.bias.copy_(randn(C, scale=0.5))
x = image()
y = inorm(x)
dx, dg, db = grads_of(y, dy_t, x, inorm.weight, inorm.bias)
cases["instance"] = c = dict(
    x=nhwc(x), dy=dy, gamma=t(inorm.weight), beta=t(inorm.bias), epsilon=EPS,
    y=nhwc(y), dx=nhwc(dx), dgamma=t(dg), dbeta=t(db),
)
ref = standardise_np(c, axes=(1, 2))
check_case("instance", c, ref, ("y", "dx", "dgamma", "dbeta"))

# 8. Mean-only batch normalization (Salimans & Kingma 2016 §2.1): y = x − μ_B[c] + β[c], training.
x = image()
beta = randn(C, scale=0.5).requires_grad_()
mu = x.mean(dim=(0, 2, 3), keepdim=True)
y = x - mu + beta.view(1, C, 1, 1)
dx, db = grads_of(y, dy_t, x, beta)
cases["mean_only"] = c = dict(
    x=nhwc(x), dy=dy, beta=t(beta), torch_momentum=MOMENTUM, y=nhwc(y), dx=nhwc(dx), dbeta=t(db),
    running_mean=t(MOMENTUM * mu.view(C)),  # from 0, as BatchNorm2d's running mean
)
xa, dya = a(c["x"]), a(dy)
check("mean_only.y", c["y"], xa - xa.mean(axis=(0, 1, 2)) + a(c["beta"]))
check("mean_only.dx", c["dx"], dya - dya.mean(axis=(0, 1, 2)))
check("mean_only.dbeta", c["dbeta"], dya.sum(axis=(0, 1, 2)))
check("mean_only.running_mean", c["running_mean"], MOMENTUM * xa.mean(axis=(0, 1, 2)))


# 9. Batch renormalization (Ioffe 2017, Alg. 1), training mode, per channel over N·H·W.
def batch_renorm(x, gamma, beta, moving_mean, moving_var, rmax, dmax, eps):
    mu = x.mean(dim=(0, 2, 3))
    var = x.var(dim=(0, 2, 3), unbiased=False)
    sigma_b = torch.sqrt(var + eps)
    sigma = torch.sqrt(moving_var + eps)
    with torch.no_grad():
        r = (sigma_b / sigma).clamp(1 / rmax, rmax)
        d = ((mu - moving_mean) / sigma).clamp(-dmax, dmax)
    xhat = (x - mu.view(1, C, 1, 1)) / sigma_b.view(1, C, 1, 1) * r.view(1, C, 1, 1) + d.view(1, C, 1, 1)
    return gamma.view(1, C, 1, 1) * xhat + beta.view(1, C, 1, 1), r, d, mu.detach(), var.detach()


# Channels 0, 2, 3, 4 far from the moving statistics, 1 and 5 near them; tight bounds.
x = (randn(N, C, H, W) * torch.tensor([0.5, 1.0, 2.0, 4.0, 1.0, 1.2]).view(1, C, 1, 1)
     + torch.tensor([0.0, 2.0, -1.0, 0.5, 3.0, -0.5]).view(1, C, 1, 1)).requires_grad_()
moving_mean = torch.tensor([1.0, 2.1, -3.0, 0.4, 0.0, -0.4])
moving_var = torch.tensor([1.0, 1.1, 1.0, 1.5, 1.0, 1.3])
rmax, dmax = 1.5, 0.5
gamma = randn(C, scale=0.5, shift=1.0).requires_grad_()
beta = randn(C, scale=0.5).requires_grad_()
y, r, d, mu, var = batch_renorm(x, gamma, beta, moving_mean, moving_var, rmax, dmax, EPS)
dx, dg, db = grads_of(y, dy_t, x, gamma, beta)
# Moving averages as BatchNorm2d updates them: PyTorch momentum 0.1, unbiased variance (m = N·H·W).
new_mean = (1 - MOMENTUM) * moving_mean + MOMENTUM * mu
new_var = (1 - MOMENTUM) * moving_var + MOMENTUM * var * M / (M - 1)
cases["renorm_clipped"] = c = dict(
    x=nhwc(x), dy=dy, gamma=t(gamma), beta=t(beta), epsilon=EPS, rmax=rmax, dmax=dmax, torch_momentum=MOMENTUM,
    moving_mean=t(moving_mean), moving_var=t(moving_var), r=t(r), d=t(d),
    y=nhwc(y), dx=nhwc(dx), dgamma=t(dg), dbeta=t(db), new_moving_mean=t(new_mean), new_moving_var=t(new_var),
)
r_clip = (np.abs(a(c["r"]) - 1 / rmax) < 1e-15) | (np.abs(a(c["r"]) - rmax) < 1e-15)
d_clip = np.abs(np.abs(a(c["d"])) - dmax) < 1e-15
assert 0 < r_clip.sum() < C and 0 < d_clip.sum() < C, f"renorm_clipped: r clipped {r_clip}, d clipped {d_clip}"
# r and d are constants in the gradient, so this is BatchNorm with γ' = γ·r and β' = γ·d + β:
# PyTorch's own batch norm kernel gives the same output and input gradient, and NumPy's
# closed form the same dx (×r), dγ and dβ.
xb = torch.tensor(t(x), requires_grad=True)
yb = F.batch_norm(xb, torch.zeros(C), torch.ones(C), weight=gamma.detach() * r, bias=gamma.detach() * d + beta.detach(),
                  training=True, momentum=MOMENTUM, eps=EPS)
(dxb,) = grads_of(yb, dy_t, xb)
check("renorm_clipped.y_vs_F.batch_norm", c["y"], a(nhwc(yb)))
check("renorm_clipped.dx_vs_F.batch_norm", c["dx"], a(nhwc(dxb)))
xa = a(c["x"])
mu_np, var_np = xa.mean(axis=(0, 1, 2)), xa.var(axis=(0, 1, 2))
sigma_np = np.sqrt(a(c["moving_var"]) + EPS)
check("renorm_clipped.r", c["r"], np.clip(np.sqrt(var_np + EPS) / sigma_np, 1 / rmax, rmax))
check("renorm_clipped.d", c["d"], np.clip((mu_np - a(c["moving_mean"])) / sigma_np, -dmax, dmax))
ref = standardise_np(c, axes=(0, 1, 2))
check("renorm_clipped.y", c["y"], (ref["xhat"] * a(c["r"]) + a(c["d"])) * a(c["gamma"]) + a(c["beta"]))
check("renorm_clipped.dx", c["dx"], ref["dx"] * a(c["r"]))
check("renorm_clipped.dgamma", c["dgamma"], (a(dy) * (ref["xhat"] * a(c["r"]) + a(c["d"]))).sum(axis=(0, 1, 2)))
check("renorm_clipped.dbeta", c["dbeta"], ref["dbeta"])
check("renorm_clipped.new_moving_mean", c["new_moving_mean"], 0.9 * a(c["moving_mean"]) + 0.1 * mu_np)
check("renorm_clipped.new_moving_var", c["new_moving_var"], 0.9 * a(c["moving_var"]) + 0.1 * xa.var(axis=(0, 1, 2), ddof=1))

# 10. Centring with the batch mean (and std) per channel through stop_gradient (Ioffe & Szegedy §2).
for name, scale in (("centered_stopgrad", False), ("centered_stopgrad_scale", True)):
    x = image()
    mu = x.mean(dim=(0, 2, 3)).detach()
    var = x.var(dim=(0, 2, 3), unbiased=False).detach()
    y = x - mu.view(1, C, 1, 1)
    if scale:
        y = y / torch.sqrt(var + EPS).view(1, C, 1, 1)
    (dx,) = grads_of(y, dy_t, x)
    cases[name] = c = dict(
        x=nhwc(x), dy=dy, epsilon=EPS, torch_momentum=MOMENTUM, y=nhwc(y), dx=nhwc(dx),
        running_mean=t(MOMENTUM * mu), running_var=t((1 - MOMENTUM) + MOMENTUM * var * M / (M - 1)),
    )
    xa = a(c["x"])
    div = np.sqrt(xa.var(axis=(0, 1, 2)) + EPS) if scale else 1.0
    check(f"{name}.y", c["y"], (xa - xa.mean(axis=(0, 1, 2))) / div)
    check(f"{name}.dx", c["dx"], a(dy) / div)
    check(f"{name}.running_mean", c["running_mean"], MOMENTUM * xa.mean(axis=(0, 1, 2)))
    check(f"{name}.running_var", c["running_var"], (1 - MOMENTUM) + MOMENTUM * xa.var(axis=(0, 1, 2), ddof=1))

# 11. weight_norm on Conv2d(2, 4, 3): w = g · v / ‖v‖ per output filter (norm over in, kh, kw).
CIN, COUT, K, NC, S = 2, 4, 3, 2, 5  # conv check: x_conv [NC, S, S, CIN]
conv = nn.utils.weight_norm(nn.Conv2d(CIN, COUT, K, stride=1, padding=1), name="weight", dim=0)
with torch.no_grad():
    conv.weight_v.copy_(randn(COUT, CIN, K, K))
    conv.weight_g.copy_(randn(COUT, 1, 1, 1).abs() + 0.5)
    conv.bias.copy_(randn(COUT, scale=0.5))
dw_t = randn(COUT, CIN, K, K)
x = randn(NC, CIN, S, S).requires_grad_()
dy_conv = randn(NC, COUT, S, S)
y = conv(x)  # the forward pre-hook sets conv.weight = g · v / ‖v‖, with its graph
w = conv.weight
dv, dgw = grads_of(w, dw_t, conv.weight_v, conv.weight_g, retain_graph=True)
dxc, dvc, dgc, dbc = grads_of(y, dy_conv, x, conv.weight_v, conv.weight_g, conv.bias)
cases["weight"] = c = dict(
    v=hwio(conv.weight_v), g=t(conv.weight_g.view(-1)), w=hwio(w), dw=hwio(dw_t), dv=hwio(dv), dg=t(dgw.view(-1)),
    stride=1, padding=1,
    x_conv=nhwc(x), bias=t(conv.bias), y_conv=nhwc(y), dy_conv=nhwc(dy_conv),
    dx_conv=nhwc(dxc), dv_conv=hwio(dvc), dg_conv=t(dgc.view(-1)), dbias_conv=t(dbc),
)
v, g, dw = a(c["v"]), a(c["g"]), a(c["dw"])  # [kh, kw, in, out]
norm = np.sqrt((v ** 2).sum(axis=(0, 1, 2)))
vhat = v / norm
check("weight.w", c["w"], g * vhat)
check("weight.norm_w", np.sqrt((a(c["w"]) ** 2).sum(axis=(0, 1, 2))), g)
check("weight.dg", c["dg"], (dw * vhat).sum(axis=(0, 1, 2)))
check("weight.dv", c["dv"], g / norm * (dw - vhat * (dw * vhat).sum(axis=(0, 1, 2))))
# The convolution, channels-last with the [kh, kw, in, out] filter, as a direct sum (padding 1).
xw = a(c["x_conv"])
xp = np.pad(xw, ((0, 0), (1, 1), (1, 1), (0, 0)))
wc = a(c["w"])
y_np = np.zeros((NC, S, S, COUT)) + a(c["bias"])
for i in range(S):
    for j in range(S):
        y_np[:, i, j, :] += np.einsum("nabc,abco->no", xp[:, i:i + K, j:j + K, :], wc)
check("weight.y_conv", c["y_conv"], y_np)
dyc = a(c["dy_conv"])
dw_np = np.zeros((K, K, CIN, COUT))
dxp = np.zeros_like(xp)
for i in range(S):
    for j in range(S):
        dw_np += np.einsum("nabc,no->abco", xp[:, i:i + K, j:j + K, :], dyc[:, i, j, :])
        dxp[:, i:i + K, j:j + K, :] += np.einsum("abco,no->nabc", wc, dyc[:, i, j, :])
check("weight.dx_conv", c["dx_conv"], dxp[:, 1:-1, 1:-1, :])
check("weight.dbias_conv", c["dbias_conv"], dyc.sum(axis=(0, 1, 2)))
check("weight.dg_conv", c["dg_conv"], (dw_np * vhat).sum(axis=(0, 1, 2)))
check("weight.dv_conv", c["dv_conv"], g / norm * (dw_np - vhat * (dw_np * vhat).sum(axis=(0, 1, 2))))

for what, diff in checks.items():
    print(f"{what}: max rel diff = {diff:.3e}", file=sys.stderr)

text = json.dumps({"generator": "scripts/make-norm4d-fixtures.py", "torch": torch.__version__, "cases": cases}, indent=1)
# One line per innermost row of numbers (as scripts/make-rnn-fixtures.py): smaller, and still
# diffs row by row.
print(re.sub(r"\[\s*([-+.\deE,\s]+?)\s*\]", lambda m: "[" + ", ".join(m.group(1).split()).replace(",,", ",") + "]", text))
