#!/usr/bin/env python3
"""Golden values for normbench's 2-D convolution (src/nn/conv.ts), computed by PyTorch.

Set-up (Debian): apt-get install -y python3-torch
Run:            /usr/bin/python3 scripts/make-conv-fixtures.py > test/fixtures/conv.json

Each case is a convolution y = conv2d(x, w) + b with its stride and padding, an upstream
gradient dy, and PyTorch's forward output and gradients with respect to x, w and b, computed in
float64 and written at full precision.

Layout. As scripts/make-norm4d-fixtures.py: images CHANNELS-LAST [N, H, W, C]
(x.permute(0, 2, 3, 1)), filters in tfjs's layout [kh, kw, in, out] (PyTorch's [out, in, kh, kw]
permuted by (2, 3, 1, 0)), the bias [out].

Padding is TensorFlow's: `valid` none; `same` an output of ceil(H / stride) rows, padded with
total = max((ceil(H / s) − 1)·s + k − H, 0) rows, floor(total / 2) on top and the rest below (the
same for columns). With stride 2 that pad is asymmetric, which torch's padding='same' (stride 1
only) cannot express: the image is padded explicitly with F.pad, then convolved with padding 0.
Shapes have H ≠ W, odd and even sizes, so a row/column mix-up or a wrong pad split fails.

And `pools`: 2×2 max and average pooling at stride 2 (F.max_pool2d, F.avg_pool2d), forward and
input gradient, on an input of 5 rows (the last one dropped) with distinct values.

Every case is checked in this script against an independent NumPy computation (a loop over the
output positions for y, ∂L/∂x and ∂L/∂w) on the arrays as written, so a wrong layout or a wrong
fixture cannot be written.
"""
import json
import math
import re
import sys

import numpy as np
import torch
import torch.nn.functional as F

torch.manual_seed(1919)
torch.set_default_dtype(torch.float64)
TOL = 1e-12
checks = {}


def t(a):
    return a.detach().tolist()


def same_pads(size, k, s):
    total = max((math.ceil(size / s) - 1) * s + k - size, 0)
    return total // 2, total - total // 2


def check(what, got, expected):
    got, expected = np.asarray(got, dtype=np.float64), np.asarray(expected, dtype=np.float64)
    assert got.shape == expected.shape, f"{what}: shape {got.shape} != {expected.shape}"
    diff = float((np.abs(got - expected) / np.maximum(1.0, np.abs(expected))).max())
    assert diff < TOL, f"{what}: max diff {diff:.3e}"
    checks[what] = diff


CASES = [
    # name, (N, H, W, Cin), k, Cout, stride, padding
    ("same_s1", (2, 6, 5, 3), 3, 4, 1, "same"),
    ("same_s2", (2, 7, 6, 3), 3, 4, 2, "same"),
    ("valid_s1", (2, 6, 5, 3), 3, 4, 1, "valid"),
    ("valid_s2", (2, 7, 6, 3), 3, 4, 2, "valid"),
    ("same_k5_s1", (3, 5, 6, 2), 5, 3, 1, "same"),
    ("same_k1_s2", (2, 5, 4, 3), 1, 2, 2, "same"),
]

cases = {}
for name, (n, h, w, cin), k, cout, stride, padding in CASES:
    x = torch.randn(n, cin, h, w, requires_grad=True)
    weight = (torch.randn(cout, cin, k, k) * 0.5).requires_grad_()
    bias = torch.randn(cout, requires_grad=True)
    if padding == "same":
        top, bottom = same_pads(h, k, stride)
        left, right = same_pads(w, k, stride)
    else:
        top = bottom = left = right = 0
    y = F.conv2d(F.pad(x, (left, right, top, bottom)), weight, bias, stride=stride)
    dy = torch.randn_like(y)
    dx, dw, db = torch.autograd.grad(y, (x, weight, bias), grad_outputs=dy)
    cases[name] = c = dict(
        stride=stride, padding=padding,
        x=t(x.permute(0, 2, 3, 1)), w=t(weight.permute(2, 3, 1, 0)), bias=t(bias),
        y=t(y.permute(0, 2, 3, 1)), dy=t(dy.permute(0, 2, 3, 1)),
        dx=t(dx.permute(0, 2, 3, 1)), dw=t(dw.permute(2, 3, 1, 0)), dbias=t(db),
    )
    # The NumPy reference, on the channels-last arrays as written.
    xa, wa, ba, dya = (np.asarray(c[f]) for f in ("x", "w", "bias", "dy"))
    xp = np.pad(xa, ((0, 0), (top, bottom), (left, right), (0, 0)))
    ho, wo = dya.shape[1], dya.shape[2]
    assert (ho, wo) == ((math.ceil(h / stride), math.ceil(w / stride)) if padding == "same" else (math.ceil((h - k + 1) / stride), math.ceil((w - k + 1) / stride)))
    y_np = np.zeros((n, ho, wo, cout)) + ba
    dxp = np.zeros_like(xp)
    dw_np = np.zeros_like(wa)
    for i in range(ho):
        for j in range(wo):
            patch = xp[:, i * stride:i * stride + k, j * stride:j * stride + k, :]
            y_np[:, i, j, :] += np.einsum("nabc,abco->no", patch, wa)
            dw_np += np.einsum("nabc,no->abco", patch, dya[:, i, j, :])
            dxp[:, i * stride:i * stride + k, j * stride:j * stride + k, :] += np.einsum("abco,no->nabc", wa, dya[:, i, j, :])
    check(f"{name}.y", c["y"], y_np)
    check(f"{name}.dx", c["dx"], dxp[:, top:top + h, left:left + w, :])
    check(f"{name}.dw", c["dw"], dw_np)
    check(f"{name}.dbias", c["dbias"], dya.sum(axis=(0, 1, 2)))

# Pooling as the convnet's blocks use it (2×2 windows at stride 2, `valid`: a last row or column
# that does not fill a window is dropped), max and average, forward and input gradient. The input
# has distinct values, so the maximum of each window is unique (no tie to break).
pools = {}
for kind in ("max", "avg"):
    x = torch.randn(2, 3, 5, 6, requires_grad=True)
    y = F.max_pool2d(x, 2) if kind == "max" else F.avg_pool2d(x, 2)
    dy = torch.randn_like(y)
    (dx,) = torch.autograd.grad(y, (x,), grad_outputs=dy)
    pools[kind] = c = dict(size=2, x=t(x.permute(0, 2, 3, 1)), y=t(y.permute(0, 2, 3, 1)), dy=t(dy.permute(0, 2, 3, 1)), dx=t(dx.permute(0, 2, 3, 1)))
    xa, dya = np.asarray(c["x"]), np.asarray(c["dy"])
    assert len(np.unique(xa)) == xa.size
    y_np = np.zeros(dya.shape)
    dx_np = np.zeros(xa.shape)
    for i in range(dya.shape[1]):
        for j in range(dya.shape[2]):
            win = xa[:, 2 * i:2 * i + 2, 2 * j:2 * j + 2, :]
            if kind == "max":
                y_np[:, i, j, :] = win.max(axis=(1, 2))
                dx_np[:, 2 * i:2 * i + 2, 2 * j:2 * j + 2, :] += (win == win.max(axis=(1, 2), keepdims=True)) * dya[:, i:i + 1, j:j + 1, :]
            else:
                y_np[:, i, j, :] = win.mean(axis=(1, 2))
                dx_np[:, 2 * i:2 * i + 2, 2 * j:2 * j + 2, :] += dya[:, i:i + 1, j:j + 1, :] / 4
    check(f"pool_{kind}.y", c["y"], y_np)
    check(f"pool_{kind}.dx", c["dx"], dx_np)

for what, diff in checks.items():
    print(f"{what}: max rel diff = {diff:.3e}", file=sys.stderr)

text = json.dumps({"generator": "scripts/make-conv-fixtures.py", "torch": torch.__version__, "cases": cases, "pools": pools}, indent=1)
print(re.sub(r"\[\s*([-+.\deE,\s]+?)\s*\]", lambda m: "[" + ", ".join(m.group(1).split()).replace(",,", ",") + "]", text))
