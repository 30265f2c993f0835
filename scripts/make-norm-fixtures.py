#!/usr/bin/env python3
"""Golden values for normbench's norms, computed by PyTorch (the reference implementation).

Set-up (Debian): apt-get install -y python3-torch
Run:            /usr/bin/python3 scripts/make-norm-fixtures.py > test/fixtures/norms.json

Every case gives inputs, the upstream gradient dy, and PyTorch's forward output and gradients
with respect to the input and every parameter, computed in float64. normbench's test
(test/norms/pytorch.test.ts) recomputes them in float32 with tfjs and requires agreement
within 1e-5. Shapes: x [8, 5] (batch 8, 5 units); weight norm maps 5 inputs to 4 units;
group norm has 12 units in 3 groups.

Cases 1-5 use PyTorch's own modules. PyTorch 1.13 has no RMSNorm, batch renormalization,
mean-only BN or stop-gradient centring: cases 7-11 are the papers' equations written in
float64 PyTorch (autograd for the gradients, .detach() / no_grad for stop_gradient), and the
RMSNorm case is checked in this script against a direct NumPy computation of the output and of
the closed-form gradient. New cases are appended after the old ones, so the random stream and
the values of the old cases do not change.
"""
import json

import numpy as np
import torch
import torch.nn as nn

torch.manual_seed(20161)
torch.set_default_dtype(torch.float64)
B, D, OUT = 8, 5, 4


def t(a):
    return a.detach().tolist()


def randn(*shape, scale=1.0, shift=0.0):
    return torch.randn(*shape) * scale + shift


def grads_of(y, dy, *tensors):
    return torch.autograd.grad(y, tensors, grad_outputs=dy)


cases = {}

# 1. BatchNorm1d in training mode: batch statistics, biased variance; one running-stat update.
x = randn(B, D, scale=2.0, shift=1.0).requires_grad_()
dy = randn(B, D)
bn = nn.BatchNorm1d(D, eps=1e-5, momentum=0.1)
with torch.no_grad():
    bn.weight.copy_(randn(D, scale=0.5, shift=1.0))
    bn.bias.copy_(randn(D, scale=0.5))
bn.train()
y = bn(x)
dx, dg, db = grads_of(y, dy, x, bn.weight, bn.bias)
cases["batch_train"] = dict(
    x=t(x), dy=t(dy), gamma=t(bn.weight), beta=t(bn.bias), epsilon=1e-5, torch_momentum=0.1,
    y=t(y), dx=t(dx), dgamma=t(dg), dbeta=t(db),
    running_mean=t(bn.running_mean), running_var=t(bn.running_var),
)

# 2. BatchNorm1d in evaluation mode: fixed running statistics.
bn.eval()
with torch.no_grad():
    bn.running_mean.copy_(randn(D, scale=0.5))
    bn.running_var.copy_(randn(D).abs() + 0.5)
x2 = randn(B, D, scale=2.0, shift=1.0).requires_grad_()
y = bn(x2)
dx, dg, db = grads_of(y, dy, x2, bn.weight, bn.bias)
cases["batch_eval"] = dict(
    x=t(x2), dy=t(dy), gamma=t(bn.weight), beta=t(bn.bias), epsilon=1e-5,
    running_mean=t(bn.running_mean), running_var=t(bn.running_var),
    y=t(y), dx=t(dx), dgamma=t(dg), dbeta=t(db),
)

# 3. BatchNorm1d without γ and β (affine=False), training mode.
bn0 = nn.BatchNorm1d(D, eps=1e-5, affine=False)
bn0.train()
x3 = randn(B, D, scale=3.0, shift=-2.0).requires_grad_()
y = bn0(x3)
(dx,) = grads_of(y, dy, x3)
cases["batch_train_no_affine"] = dict(x=t(x3), dy=t(dy), epsilon=1e-5, y=t(y), dx=t(dx))

# 4. LayerNorm over the 5 units of each example.
ln = nn.LayerNorm(D, eps=1e-5)
with torch.no_grad():
    ln.weight.copy_(randn(D, scale=0.5, shift=1.0))
    ln.bias.copy_(randn(D, scale=0.5))
x4 = randn(B, D, scale=2.0, shift=1.0).requires_grad_()
y = ln(x4)
dx, dg, db = grads_of(y, dy, x4, ln.weight, ln.bias)
cases["layer"] = dict(
    x=t(x4), dy=t(dy), gamma=t(ln.weight), beta=t(ln.bias), epsilon=1e-5,
    y=t(y), dx=t(dx), dgamma=t(dg), dbeta=t(db),
)

# 5. weight_norm on Linear(5, 4): w = g · v / ‖v‖ per output row; g perturbed away from ‖v‖.
lin = nn.utils.weight_norm(nn.Linear(D, OUT), name="weight", dim=0)
with torch.no_grad():
    lin.weight_v.copy_(randn(OUT, D))
    lin.weight_g.copy_(randn(OUT, 1).abs() + 0.5)
    lin.bias.copy_(randn(OUT, scale=0.5))
x5 = randn(B, D).requires_grad_()
dy5 = randn(B, OUT)
y = lin(x5)
dx, dv, dgw, db = grads_of(y, dy5, x5, lin.weight_v, lin.weight_g, lin.bias)
cases["weight"] = dict(
    x=t(x5), dy=t(dy5),
    v=t(lin.weight_v), g=t(lin.weight_g.view(-1)), bias=t(lin.bias),  # v in PyTorch's [out, in] layout
    y=t(y), dx=t(dx), dv=t(dv), dg=t(dgw.view(-1)), dbias=t(db),
)

# 6. GroupNorm(3, 12) on [8, 12]: per example, 3 groups of 4 units, γ and β per unit.
UNITS_G, GROUPS = 12, 3
gn = nn.GroupNorm(GROUPS, UNITS_G, eps=1e-5)
with torch.no_grad():
    gn.weight.copy_(randn(UNITS_G, scale=0.5, shift=1.0))
    gn.bias.copy_(randn(UNITS_G, scale=0.5))
x6 = randn(B, UNITS_G, scale=2.0, shift=1.0).requires_grad_()
dy6 = randn(B, UNITS_G)
y = gn(x6)
dx, dg, db = grads_of(y, dy6, x6, gn.weight, gn.bias)
cases["group"] = dict(
    x=t(x6), dy=t(dy6), groups=GROUPS, gamma=t(gn.weight), beta=t(gn.bias), epsilon=1e-5,
    y=t(y), dx=t(dx), dgamma=t(dg), dbeta=t(db),
)


# 7. RMSNorm (Zhang & Sennrich 2019): y = g · x / sqrt(mean(x²) + ε) (+ β), per example.
def rms_norm(x, gain, beta, eps):
    y = x / torch.sqrt((x * x).mean(dim=1, keepdim=True) + eps) * gain
    return y if beta is None else y + beta


def rms_numpy(x, gain, beta, eps, dy):
    """The same, and its closed-form input gradient, element by element in NumPy."""
    x, gain, dy = np.asarray(x), np.asarray(gain), np.asarray(dy)
    rms = np.sqrt(np.mean(x ** 2, axis=1, keepdims=True) + eps)
    xhat = x / rms
    y = xhat * gain + (0.0 if beta is None else np.asarray(beta))
    dxhat = dy * gain
    dx = (dxhat - xhat * np.mean(dxhat * xhat, axis=1, keepdims=True)) / rms
    return y, dx


for name, with_beta in (("rms", False), ("rms_center", True)):
    xr = randn(B, D, scale=2.0, shift=1.0).requires_grad_()
    gain = randn(D, scale=0.5, shift=1.0).requires_grad_()
    beta = randn(D, scale=0.5).requires_grad_() if with_beta else None
    y = rms_norm(xr, gain, beta, 1e-5)
    dx, dgain, *dbeta = grads_of(y, dy, xr, gain, *([beta] if with_beta else []))
    y_np, dx_np = rms_numpy(t(xr), t(gain), t(beta) if with_beta else None, 1e-5, t(dy))
    assert np.abs(y_np - y.detach().numpy()).max() < 1e-12, "RMSNorm output disagrees with NumPy"
    assert np.abs(dx_np - dx.numpy()).max() < 1e-12, "RMSNorm gradient disagrees with the closed form"
    cases[name] = dict(
        x=t(xr), dy=t(dy), gamma=t(gain), epsilon=1e-5, y=t(y), dx=t(dx), dgamma=t(dgain),
        **(dict(beta=t(beta), dbeta=t(dbeta[0])) if with_beta else {}),
    )


# 8. Batch renormalization (Ioffe 2017, Alg. 1), training mode, from the paper's equations.
def batch_renorm(x, gamma, beta, moving_mean, moving_var, rmax, dmax, eps):
    mu = x.mean(dim=0)
    var = x.var(dim=0, unbiased=False)
    sigma_b = torch.sqrt(var + eps)
    sigma = torch.sqrt(moving_var + eps)
    with torch.no_grad():
        r = (sigma_b / sigma).clamp(1 / rmax, rmax)
        d = ((mu - moving_mean) / sigma).clamp(-dmax, dmax)
    xhat = (x - mu) / sigma_b * r + d
    return gamma * xhat + beta, r, d, mu.detach(), var.detach()


def renorm_case(x, moving_mean, moving_var, rmax, dmax, momentum=0.1):
    gamma = randn(D, scale=0.5, shift=1.0).requires_grad_()
    beta = randn(D, scale=0.5).requires_grad_()
    y, r, d, mu, var = batch_renorm(x, gamma, beta, moving_mean, moving_var, rmax, dmax, 1e-5)
    dx, dg, db = grads_of(y, dy, x, gamma, beta)
    # Moving averages as BatchNorm1d updates them: PyTorch momentum 0.1, unbiased variance.
    new_mean = (1 - momentum) * moving_mean + momentum * mu
    new_var = (1 - momentum) * moving_var + momentum * var * B / (B - 1)
    clipped = int(((r - 1 / rmax).abs() < 1e-15).sum() + ((r - rmax).abs() < 1e-15).sum() + (d.abs() - dmax).abs().lt(1e-15).sum())
    return clipped, dict(
        x=t(x), dy=t(dy), gamma=t(gamma), beta=t(beta), epsilon=1e-5, rmax=rmax, dmax=dmax, torch_momentum=momentum,
        moving_mean=t(moving_mean), moving_var=t(moving_var), r=t(r), d=t(d),
        y=t(y), dx=t(dx), dgamma=t(dg), dbeta=t(db), new_moving_mean=t(new_mean), new_moving_var=t(new_var),
    )


# 8a. Clipping active: moving statistics far from the batch's, tight bounds.
x8 = (randn(B, D) * torch.tensor([0.5, 1.0, 2.0, 4.0, 1.0]) + torch.tensor([0.0, 2.0, -1.0, 0.5, 3.0])).requires_grad_()
clipped, cases["renorm_clipped"] = renorm_case(
    x8, moving_mean=torch.tensor([1.0, 2.1, -3.0, 0.4, 0.0]), moving_var=torch.tensor([1.0, 1.1, 1.0, 1.5, 1.0]), rmax=1.5, dmax=0.5)
assert clipped >= 3, f"renorm_clipped: only {clipped} of r, d clipped"
# 8b. Clipping inactive: moving statistics near the batch's, the paper's final bounds.
x8b = randn(B, D, scale=2.0, shift=1.0).requires_grad_()
with torch.no_grad():
    near_mean = x8b.mean(dim=0) + 0.3 * randn(D)
    near_var = x8b.var(dim=0, unbiased=False) * (1 + 0.3 * randn(D).tanh())
clipped, cases["renorm_unclipped"] = renorm_case(x8b, moving_mean=near_mean, moving_var=near_var, rmax=3.0, dmax=5.0)
assert clipped == 0, "renorm_unclipped: some r or d clipped"

# 9. Mean-only batch normalization (Salimans & Kingma 2016 §2.1): y = x − μ_B + β, training.
x9 = randn(B, D, scale=2.0, shift=1.0).requires_grad_()
beta9 = randn(D, scale=0.5).requires_grad_()
y = x9 - x9.mean(dim=0) + beta9
dx, db = grads_of(y, dy, x9, beta9)
cases["mean_only"] = dict(
    x=t(x9), dy=t(dy), beta=t(beta9), torch_momentum=0.1, y=t(y), dx=t(dx), dbeta=t(db),
    running_mean=t(0.1 * x9.mean(dim=0)),  # from 0, as BatchNorm1d's running mean
)

# 10. Centring with the batch mean (and std) through stop_gradient (Ioffe & Szegedy §2).
for name, scale in (("centered_stopgrad", False), ("centered_stopgrad_scale", True)):
    xc = randn(B, D, scale=2.0, shift=1.0).requires_grad_()
    mu = xc.mean(dim=0).detach()
    var = xc.var(dim=0, unbiased=False).detach()
    y = (xc - mu) / torch.sqrt(var + 1e-5) if scale else xc - mu
    (dx,) = grads_of(y, dy, xc)
    cases[name] = dict(
        x=t(xc), dy=t(dy), epsilon=1e-5, torch_momentum=0.1, y=t(y), dx=t(dx),
        running_mean=t(0.1 * mu), running_var=t(0.9 + 0.1 * var * B / (B - 1)),
    )

print(json.dumps({"generator": "scripts/make-norm-fixtures.py", "torch": torch.__version__, "cases": cases}, indent=1))
