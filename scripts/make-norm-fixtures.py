#!/usr/bin/env python3
"""Golden values for normbench's norms, computed by PyTorch (the reference implementation).

Set-up (Debian): apt-get install -y python3-torch
Run:            /usr/bin/python3 scripts/make-norm-fixtures.py > test/fixtures/norms.json

Every case gives inputs, the upstream gradient dy, and PyTorch's forward output and gradients
with respect to the input and every parameter, computed in float64. normbench's test
(test/norms/pytorch.test.ts) recomputes them in float32 with tfjs and requires agreement
within 1e-5. Shapes: x [8, 5] (batch 8, 5 units); weight norm maps 5 inputs to 4 units.
"""
import json

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

print(json.dumps({"generator": "scripts/make-norm-fixtures.py", "torch": torch.__version__, "cases": cases}, indent=1))
