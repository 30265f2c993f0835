#!/usr/bin/env python3
"""Golden values for a norm's placement in an MLP (issue 18), computed by float64 PyTorch.

Set-up (Debian): apt-get install -y python3-torch
Run:            /usr/bin/python3 scripts/make-placement-fixtures.py > test/fixtures/placement.json

A 5-4-4-3 MLP on a batch of 8 in training mode (batch statistics), each hidden layer either
  pre:  a = x·W (+ b),  h = φ(norm(a))     (the dense bias dropped where the norm cancels it)
  post: a = x·W + b,    h = norm(φ(a))     (the bias kept: φ stands between it and the norm)
then logits = h·W_out + b_out and the mean softmax cross-entropy. Every case gives the
parameters under the names normbench's model gives them (hidden1/kernel, hidden1/batch/gamma, …),
the logits, the loss and the loss's gradient with respect to every parameter. normbench's test
(test/models/placement.test.ts) loads the parameters into its own MLP, recomputes in float32
and requires agreement within 1e-5, checking every parameter of the model. Each case is drawn
again until every group it normalises has a variance of at least 1e-3 (printed to stderr): two
saturated tanh units in a group of 2 can have a variance below ε, where float32 keeps too few
digits of their difference for any float32 implementation to agree with float64.

The norms are the papers' equations in float64 (biased batch variance, ε = 1e-5 inside the
square root; LayerNorm is torch.nn.functional.layer_norm, BatchNorm F.batch_norm in training
mode). New cases go after the old ones, so the random stream of the old cases does not change.
"""
import json
import sys

import torch
import torch.nn.functional as F

torch.manual_seed(18)
torch.set_default_dtype(torch.float64)
B, D, H, C = 8, 5, 4, 3
EPS = 1e-5

ACT = {"relu": torch.relu, "sigmoid": torch.sigmoid, "tanh": torch.tanh}


def batch(a, p):
    return F.batch_norm(a, None, None, p["gamma"], p["beta"], training=True, eps=EPS)


def layer(a, p):
    return F.layer_norm(a, (a.shape[1],), p["gamma"], p["beta"], eps=EPS)


def rms(a, p):
    return p["gamma"] * a / torch.sqrt((a * a).mean(dim=1, keepdim=True) + EPS)


def group(a, p, groups=2):
    n, c = a.shape
    g = a.reshape(n, groups, c // groups)
    mu = g.mean(dim=2, keepdim=True)
    var = g.var(dim=2, unbiased=False, keepdim=True)
    return ((g - mu) / torch.sqrt(var + EPS)).reshape(n, c) * p["gamma"] + p["beta"]


def mean_only(a, p):
    return a - a.mean(dim=0, keepdim=True) + p["beta"]


# name → (function, its parameters, does it drop the dense bias at placement pre)
NORMS = {
    "batch": (batch, ["gamma", "beta"], True),
    "layer": (layer, ["gamma", "beta"], True),
    "rms": (rms, ["gamma"], False),
    "group": (group, ["gamma", "beta"], True),
    "mean-only": (mean_only, ["beta"], True),
}


def make_case(norm, placement, activation, options=None):
    """A case whose every normalised group has variance ≥ 1e-3 (drawn again until it does)."""
    for _ in range(100):
        case = draw_case(norm, placement, activation, options)
        if case is not None:
            return case
    raise RuntimeError(f"no well-conditioned draw for {norm} {placement} {activation}")


def draw_case(norm, placement, activation, options):
    fn, names, drops_bias = NORMS[norm]
    x = torch.randn(B, D) * 1.5 + 0.5
    y = torch.randint(0, C, (B,))
    params = {}
    fan_in = D
    for i in (1, 2):
        params[f"hidden{i}/kernel"] = torch.randn(fan_in, H) * 0.6
        if placement == "post" or not drops_bias:
            params[f"hidden{i}/bias"] = torch.randn(H) * 0.3
        for n in names:
            params[f"hidden{i}/{norm}/{n}"] = torch.randn(H) * 0.3 + (1.0 if n == "gamma" else 0.0)
        fan_in = H
    params["output/kernel"] = torch.randn(H, C) * 0.6
    params["output/bias"] = torch.randn(C) * 0.3
    for p in params.values():
        p.requires_grad_()
    act = ACT[activation]
    h = x
    smallest = float("inf")
    for i in (1, 2):
        a = h @ params[f"hidden{i}/kernel"]
        if f"hidden{i}/bias" in params:
            a = a + params[f"hidden{i}/bias"]
        own = {n: params[f"hidden{i}/{norm}/{n}"] for n in names}
        normed = a if placement == "pre" else act(a)
        groups = (options or {}).get("groups", 1)
        spread = normed.var(dim=0, unbiased=False) if norm in ("batch", "mean-only") else normed.reshape(B, groups, -1).var(dim=2, unbiased=False)
        smallest = min(smallest, spread.min().item())
        h = act(fn(a, own)) if placement == "pre" else fn(act(a), own)
    if smallest < 1e-3:
        return None
    print(f"{norm} {placement} {activation}: smallest variance normalised {smallest:.2e}", file=sys.stderr)
    logits = h @ params["output/kernel"] + params["output/bias"]
    loss = F.cross_entropy(logits, y)
    grads = torch.autograd.grad(loss, list(params.values()))
    return dict(
        norm=norm, options=dict(options or {}, placement=placement), activation=activation,
        x=x.tolist(), y=y.tolist(), params={k: v.detach().tolist() for k, v in params.items()},
        logits=logits.detach().tolist(), loss=loss.item(),
        grads={k: g.tolist() for k, g in zip(params, grads)},
    )


cases = {
    "batch_pre_relu": make_case("batch", "pre", "relu"),
    "batch_post_relu": make_case("batch", "post", "relu"),
    "batch_post_sigmoid": make_case("batch", "post", "sigmoid"),
    "layer_post_tanh": make_case("layer", "post", "tanh"),
    "rms_post_relu": make_case("rms", "post", "relu"),
    "group_post_tanh": make_case("group", "post", "tanh", {"groups": 2}),
    "mean_only_post_sigmoid": make_case("mean-only", "post", "sigmoid"),
}
print(json.dumps({"generator": "scripts/make-placement-fixtures.py", "torch": torch.__version__, "cases": cases}, indent=1))
