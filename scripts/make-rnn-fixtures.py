#!/usr/bin/env python3
"""Golden values for normbench's recurrent cells (LSTM, tanh RNN) and recurrent norms, by PyTorch.

Set-up (Debian): apt-get install -y python3-torch
Run:            /usr/bin/python3 scripts/make-rnn-fixtures.py > test/fixtures/rnn.json

Everything is computed in float64. Inputs are rounded to 12 significant digits *before* the
computation (so they are exact as stored); outputs and gradients are rounded to 12 significant
digits when written. The script asserts (max |diff| < 1e-12) that the hand-written plain LSTM and
tanh RNN equal torch.nn.LSTM / torch.nn.RNN given the same weights (outputs, final state and all
gradients), and that every norm equals PyTorch's own F.batch_norm / F.layer_norm (including the
running-statistic update); the measured differences are printed to stderr.

Conventions (those of normbench's TypeScript cells)
---------------------------------------------------
Shapes: B = 4 (batch), T = 3 (steps), D = 5 (inputs), H = 6 (units); G = 4 for the LSTM, 1 for RNN.
x [B, T, D] batch-major; h0 [B, H] small random non-zero (as with h0_noise); c0 = zeros [B, H].
kernel_x W_x [D, G·H], kernel_h W_h [H, G·H], bias b [G·H]; LSTM gate blocks along the last axis
in the order i, f, g, o (PyTorch nn.LSTM's order): z[:, 0:H] = i, [H:2H] = f, [2H:3H] = g, [3H:4H] = o.
  plain LSTM: z_t = x_t·W_x + h_{t-1}·W_h + b; c_t = σ(f)⊙c_{t-1} + σ(i)⊙tanh(g); h_t = σ(o)⊙tanh(c_t)
  tanh RNN:   h_t = tanh(x_t·W_x + h_{t-1}·W_h + b)
  LN-LSTM (Ba et al. 2016): z_t = LN(x_t·W_x; γ_x) + LN(h_{t-1}·W_h; γ_h) + b, LN per example over all
      4H values (one mean, one biased variance), gain only; h_t = σ(o)⊙tanh(LN(c_t; γ_c, β_c)), LN over H.
  BN-LSTM (Cooijmans et al. 2016): z_t = BN_t(x_t·W_x; γ_x) + BN_t(h_{t-1}·W_h; γ_h) + b;
      h_t = σ(o)⊙tanh(BN_t(c_t; γ_c, β_c)). Training mode: per unit over the batch, statistics
      computed separately at every step t (biased variance), gradients flow through the statistics.
  BN-RNN (Laurent et al. 2015): BN only on the input term, gain only:
      RNN:  h_t = tanh(BN(x_t·W_x; γ_x) + h_{t-1}·W_h + b)
      LSTM: z_t = BN(x_t·W_x; γ_x) + h_{t-1}·W_h + b, plain LSTM otherwise.
      stats "frame": statistics per step over the B rows of x_t·W_x;
      stats "sequence": statistics pooled over all B·T rows of x·W_x.
  ε = 1e-5 for every LN and BN. Gains γ are drawn from U(0.1, 1) so they are exercised.
Loss for the gradients: L = Σ_t Σ_{b,j} h_t[b,j]·R[b,t,j], R a fixed random [B, T, H] (T = 5 for eval).

share_stats (decision). Pooling BN statistics over batch × all steps is only well defined for the
x-projection: x·W_x does not depend on the recurrence, so its [B·T, 4H] statistics can be computed
before the loop (as BN-RNN "sequence" does). For the h-projection it is circular: the pooled mean and
variance of h_{t-1}·W_h over t = 1..T include h_t·W_h, ..., h_{T-1}·W_h, but h_t is itself computed
from the normalised h_{t-1}·W_h, i.e. from those same statistics -- a fixed-point equation, not a
forward computation. BN(c_t) is circular in the same way (c_{t+1} depends on h_t, which depends on
BN(c_t) through statistics that include c_{t+1}). A two-pass approximation would be an arbitrary
choice, not a reference. So "lstm_batch_share_stats" shares statistics only for the x-projection
(pooled over all B·T rows, exactly as bn-rnn "sequence"), while the h-projection and cell BNs keep
per-step statistics, as in lstm_batch. (The pooled x statistics also make every h_t depend on the
future inputs x_{t+1..T}; that is inherent in sequence-wise BN, and the gradients reflect it.)

Evaluation mode (lstm_batch_eval): population statistics per step for t = 0..T_train-1 (T_train = 3),
applied to an input of length T_eval = 5; steps t >= T_train reuse step T_train-1's statistics.
Moving averages (lstm_batch_moving): running mean 0, running variance 1 at every step, one training
forward pass (the same inputs as lstm_batch), Keras momentum 0.9:
new_mean = 0.9·old + 0.1·batch_mean, new_var = 0.9·old + 0.1·(m/(m-1))·σ²_B with m = B = 4
(unbiased, as PyTorch does; checked against F.batch_norm with PyTorch momentum 0.1).

JSON layout
-----------
{"generator": "scripts/make-rnn-fixtures.py", "torch": "<version>",
 "shapes": {"B": 4, "T": 3, "D": 5, "H": 6, "T_train": 3, "T_eval": 5},
 "cases": {<name>: case}}
Every case:
  "cell": "lstm" | "rnn"; "norm": "none" | "layer" | "batch" | "bn-rnn";
  "stats": "frame" | "sequence" | "share_stats" (batch/bn-rnn only); "mode": "train" | "eval"
  "inputs": {"x": [B,T,D], "h0": [B,H], "c0": [B,H] (LSTM only, zeros), "R": [B,T,H],
             "params": {name: array}, "epsilon": 1e-5 (normalised cases),
             "momentum": 0.9 and "running_init": {"mean": 0, "var": 1} (lstm_batch_moving only),
             "population": {"x"|"h"|"c": {"mean": [T_train, units], "var": [T_train, units]}}
                          (lstm_batch_eval only; units = 4H for x and h, H for c)}
  "outputs": {"h": [B,T,H] (all h_t, t = 1..T), "c_T": [B,H] (LSTM only), "loss": number,
              "running": {"x"|"h"|"c": {"mean": [T, units], "var": [T, units]}} (lstm_batch_moving only)}
  "grads": {"x": [B,T,D], "h0": [B,H], <param name>: same shape as the param}  (not in lstm_batch_moving)
Params per case (names are the JSON keys):
  lstm, rnn:                           kernel_x, kernel_h, bias
  lstm_layer, lstm_batch*, (eval too): kernel_x, kernel_h, bias, gamma_x [4H], gamma_h [4H],
                                       gamma_c [H], beta_c [H]
  lstm_bnrnn_*, rnn_bnrnn_*:           kernel_x, kernel_h, bias, gamma_x [G·H]
Cases:
  lstm, lstm_layer, lstm_batch (stats frame), lstm_batch_share_stats, lstm_batch_eval (T = 5),
  lstm_batch_moving, lstm_bnrnn_frame, lstm_bnrnn_sequence, rnn, rnn_bnrnn_frame, rnn_bnrnn_sequence.
All training-mode cases share x, h0 and R; kernels/bias are shared within each cell type; the
LSTM norm cases share gamma_x, gamma_h, gamma_c, beta_c (and gamma_x is shared by the bn-rnn cases of
the same cell). lstm_batch_eval has its own x [B,5,D] and R [B,5,H].
"""
import json
import re
import sys

import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(20162)
torch.set_default_dtype(torch.float64)
B, T, D, H = 4, 3, 5, 6
T_TRAIN, T_EVAL = 3, 5
EPS = 1e-5
KERAS_MOMENTUM = 0.9
TOL = 1e-12
SIG = 12


def rounded(v):
    if isinstance(v, list):
        return [rounded(e) for e in v]
    return float(f"{v:.{SIG}g}")


def t(a):
    a = a.detach()
    return rounded(a.tolist()) if a.dim() > 0 else rounded(a.item())


def inp(*shape, scale=1.0, shift=0.0, low=None, high=None):
    """A random input, rounded to SIG significant digits so the stored value is exact."""
    if low is not None:
        a = torch.rand(*shape) * (high - low) + low
    else:
        a = torch.randn(*shape) * scale + shift
    return torch.tensor(rounded(a.tolist()))


def maxdiff(a, b):
    return (a.detach() - b.detach()).abs().max().item()


checks = {}


def check(what, a, b):
    d = maxdiff(a, b)
    checks[what] = max(d, checks.get(what, 0.0))
    assert d < TOL, f"{what}: max |diff| = {d:.3e}"


# ---------------------------------------------------------------------------------------------
# Norms: PyTorch's functional ops, each cross-checked once against the textbook formula below.

def bn_train(a, gamma, beta=None, running=None):
    """BN over the rows of a (per column), training mode; optional running-stat update."""
    rm, rv = running if running is not None else (None, None)
    return F.batch_norm(a, rm, rv, weight=gamma, bias=beta, training=True,
                        momentum=1.0 - KERAS_MOMENTUM, eps=EPS)


def bn_eval(a, mean, var, gamma, beta=None):
    return F.batch_norm(a, mean, var, weight=gamma, bias=beta, training=False, eps=EPS)


def ln(a, gamma, beta=None):
    return F.layer_norm(a, (a.shape[-1],), weight=gamma, bias=beta, eps=EPS)


def self_test_norms():
    a = inp(B, 4 * H, scale=2.0, shift=0.5).requires_grad_()
    g = inp(4 * H, low=0.1, high=1.0).requires_grad_()
    be = inp(4 * H, scale=0.3).requires_grad_()
    dy = inp(B, 4 * H)
    # BN, training
    mu = a.mean(0)
    var = a.var(0, unbiased=False)
    ref = (a - mu) / torch.sqrt(var + EPS) * g + be
    rm, rv = torch.zeros(4 * H), torch.ones(4 * H)
    out = bn_train(a, g, be, (rm, rv))
    check("F.batch_norm(train) vs formula: y", out, ref)
    for n, u, v in zip("a g beta".split(), torch.autograd.grad(out, (a, g, be), dy),
                       torch.autograd.grad(ref, (a, g, be), dy)):
        check(f"F.batch_norm(train) vs formula: d{n}", u, v)
    m = a.shape[0]
    check("running mean vs Keras rule", rm, KERAS_MOMENTUM * 0 + (1 - KERAS_MOMENTUM) * mu)
    check("running var vs Keras rule", rv,
          KERAS_MOMENTUM * 1 + (1 - KERAS_MOMENTUM) * var * m / (m - 1))
    # BN, evaluation
    pm, pv = inp(4 * H, scale=0.3), inp(4 * H, low=0.3, high=1.5)
    check("F.batch_norm(eval) vs formula", bn_eval(a, pm, pv, g, be),
          (a - pm) / torch.sqrt(pv + EPS) * g + be)
    # LN
    mu = a.mean(1, keepdim=True)
    var = a.var(1, unbiased=False, keepdim=True)
    ref = (a - mu) / torch.sqrt(var + EPS) * g + be
    out = ln(a, g, be)
    check("F.layer_norm vs formula: y", out, ref)
    for n, u, v in zip("a g beta".split(), torch.autograd.grad(out, (a, g, be), dy),
                       torch.autograd.grad(ref, (a, g, be), dy)):
        check(f"F.layer_norm vs formula: d{n}", u, v)


self_test_norms()


# ---------------------------------------------------------------------------------------------
# The recurrence. x_term [B, T, G·H] is the (possibly normalised) input projection, which never
# depends on the recurrence; norm_h(t, a) and norm_c(t, c) normalise the h-projection and the cell.

def unroll(cell, x_term, h0, p, norm_h=None, norm_c=None):
    steps = x_term.shape[1]
    h, c = h0, torch.zeros(h0.shape)
    hs = []
    for s in range(steps):
        zh = h @ p["kernel_h"]
        if norm_h is not None:
            zh = norm_h(s, zh)
        z = x_term[:, s] + zh + p["bias"]
        if cell == "lstm":
            i, f, g, o = z.split(H, dim=1)
            c = torch.sigmoid(f) * c + torch.sigmoid(i) * torch.tanh(g)
            h = torch.sigmoid(o) * torch.tanh(norm_c(s, c) if norm_c is not None else c)
        else:
            h = torch.tanh(z)
        hs.append(h)
    return torch.stack(hs, 1), c


def x_projection(x, p, how, gamma=None, running=None, population=None):
    zx = x @ p["kernel_x"]  # [B, T, G·H]
    if how == "none":
        return zx
    if how == "layer":
        return ln(zx, gamma)
    if how == "sequence":
        b, s, u = zx.shape
        return bn_train(zx.reshape(b * s, u), gamma).reshape(b, s, u)
    if how == "frame":
        return torch.stack([bn_train(zx[:, s], gamma, running=None if running is None else running[s])
                            for s in range(zx.shape[1])], 1)
    if how == "eval":
        return torch.stack([bn_eval(zx[:, s], *population[min(s, T_TRAIN - 1)], gamma)
                            for s in range(zx.shape[1])], 1)
    raise ValueError(how)


def finish(case, cell, x, h0, R, p, hs, c_T, grads=True):
    loss = (hs * R).sum()
    case["inputs"].update(x=t(x), h0=t(h0))
    if cell == "lstm":
        case["inputs"]["c0"] = t(torch.zeros(h0.shape))
    case["inputs"].update(R=t(R), params={k: t(v) for k, v in p.items()})
    case["outputs"] = dict(h=t(hs), loss=t(loss))
    if cell == "lstm":
        case["outputs"]["c_T"] = t(c_T)
    if grads:
        names = ["x", "h0"] + list(p)
        gs = torch.autograd.grad(loss, [x, h0] + list(p.values()), retain_graph=True)
        case["grads"] = {n: t(g) for n, g in zip(names, gs)}
    return case


def new_case(cell, norm, stats=None, mode="train", epsilon=True):
    case = dict(cell=cell, norm=norm)
    if stats is not None:
        case["stats"] = stats
    case["mode"] = mode
    case["inputs"] = {"epsilon": EPS} if epsilon else {}
    return case


def leaf(a):
    return a.clone().requires_grad_()


# ---------------------------------------------------------------------------------------------
# Shared inputs.
X = inp(B, T, D)
H0 = inp(B, H, scale=0.3)
R = inp(B, T, H)
LSTM_W = dict(kernel_x=inp(D, 4 * H, scale=0.5), kernel_h=inp(H, 4 * H, scale=0.5),
              bias=inp(4 * H, scale=0.3))
LSTM_NORM = dict(gamma_x=inp(4 * H, low=0.1, high=1.0), gamma_h=inp(4 * H, low=0.1, high=1.0),
                 gamma_c=inp(H, low=0.1, high=1.0), beta_c=inp(H, scale=0.3))
RNN_W = dict(kernel_x=inp(D, H, scale=0.5), kernel_h=inp(H, H, scale=0.5), bias=inp(H, scale=0.3))
RNN_GAMMA_X = inp(H, low=0.1, high=1.0)
X_EVAL = inp(B, T_EVAL, D)
R_EVAL = inp(B, T_EVAL, H)


def leaves(**named):
    return {k: leaf(v) for k, v in named.items()}


cases = {}

# 1. Plain LSTM, tied to torch.nn.LSTM.
x, h0, p = leaf(X), leaf(H0), leaves(**LSTM_W)
hs, c_T = unroll("lstm", x_projection(x, p, "none"), h0, p)
cases["lstm"] = finish(new_case("lstm", "none", epsilon=False), "lstm", x, h0, R, p, hs, c_T)

ref = nn.LSTM(D, H, batch_first=True)
with torch.no_grad():
    ref.weight_ih_l0.copy_(LSTM_W["kernel_x"].T)
    ref.weight_hh_l0.copy_(LSTM_W["kernel_h"].T)
    ref.bias_ih_l0.copy_(LSTM_W["bias"])
    ref.bias_hh_l0.zero_()
x2, h02 = leaf(X), leaf(H0)
hs2, (hT2, cT2) = ref(x2, (h02.unsqueeze(0), torch.zeros(1, B, H)))
check("nn.LSTM: h", hs, hs2)
check("nn.LSTM: h_T", hs[:, -1], hT2[0])
check("nn.LSTM: c_T", c_T, cT2[0])
g1 = torch.autograd.grad((hs * R).sum(), [x, h0, p["kernel_x"], p["kernel_h"], p["bias"]])
g2 = torch.autograd.grad((hs2 * R).sum(), [x2, h02, ref.weight_ih_l0, ref.weight_hh_l0,
                                            ref.bias_ih_l0, ref.bias_hh_l0])
for n, a, b in [("x", g1[0], g2[0]), ("h0", g1[1], g2[1]), ("kernel_x", g1[2], g2[2].T),
                ("kernel_h", g1[3], g2[3].T), ("bias", g1[4], g2[4]), ("bias (hh)", g1[4], g2[5])]:
    check(f"nn.LSTM: grad {n}", a, b)

# 2. LN-LSTM.
x, h0, p = leaf(X), leaf(H0), leaves(**LSTM_W, **LSTM_NORM)
hs, c_T = unroll("lstm", x_projection(x, p, "layer", p["gamma_x"]), h0, p,
                 norm_h=lambda s, a: ln(a, p["gamma_h"]),
                 norm_c=lambda s, c: ln(c, p["gamma_c"], p["beta_c"]))
cases["lstm_layer"] = finish(new_case("lstm", "layer"), "lstm", x, h0, R, p, hs, c_T)

# 3. BN-LSTM, per-step statistics, training mode; the same pass records the moving averages.
x, h0, p = leaf(X), leaf(H0), leaves(**LSTM_W, **LSTM_NORM)
running = {k: [(torch.zeros(u), torch.ones(u)) for _ in range(T)]
           for k, u in (("x", 4 * H), ("h", 4 * H), ("c", H))}
hs, c_T = unroll("lstm", x_projection(x, p, "frame", p["gamma_x"], running=running["x"]), h0, p,
                 norm_h=lambda s, a: bn_train(a, p["gamma_h"], None, running["h"][s]),
                 norm_c=lambda s, c: bn_train(c, p["gamma_c"], p["beta_c"], running["c"][s]))
cases["lstm_batch"] = finish(new_case("lstm", "batch", "frame"), "lstm", x, h0, R, p, hs, c_T)

# 3b. Moving averages from that pass, re-derived by hand from the per-step batch statistics.
zx = (x @ p["kernel_x"]).detach()
h_prev = torch.cat([h0.detach().unsqueeze(1), hs.detach()[:, :-1]], 1)
zh = h_prev @ p["kernel_h"].detach()
cs = []  # c_t for every step, re-run without gradients
with torch.no_grad():
    def grab(s, c):
        cs.append(c.clone())
        return bn_train(c, p["gamma_c"], p["beta_c"])
    unroll("lstm", x_projection(x, p, "frame", p["gamma_x"]), h0, p,
           norm_h=lambda s, a: bn_train(a, p["gamma_h"]), norm_c=grab)
cs = torch.stack(cs, 1)
for k, v in (("x", zx), ("h", zh), ("c", cs)):
    for s in range(T):
        m, var = v[:, s].mean(0), v[:, s].var(0, unbiased=True)
        check("running mean (F.batch_norm) vs hand", running[k][s][0],
              KERAS_MOMENTUM * 0.0 + (1 - KERAS_MOMENTUM) * m)
        check("running var (F.batch_norm) vs hand", running[k][s][1],
              KERAS_MOMENTUM * 1.0 + (1 - KERAS_MOMENTUM) * var)
moving = new_case("lstm", "batch", "frame")
moving["inputs"].update(momentum=KERAS_MOMENTUM, running_init={"mean": 0.0, "var": 1.0})
finish(moving, "lstm", x, h0, R, p, hs, c_T, grads=False)
moving["outputs"]["running"] = {k: {"mean": t(torch.stack([m for m, _ in v])),
                                    "var": t(torch.stack([u for _, u in v]))}
                                for k, v in running.items()}
cases["lstm_batch_moving"] = moving

# 4. BN-LSTM with share_stats: pooled statistics for the x-projection only (see the docstring).
x, h0, p = leaf(X), leaf(H0), leaves(**LSTM_W, **LSTM_NORM)
hs, c_T = unroll("lstm", x_projection(x, p, "sequence", p["gamma_x"]), h0, p,
                 norm_h=lambda s, a: bn_train(a, p["gamma_h"]),
                 norm_c=lambda s, c: bn_train(c, p["gamma_c"], p["beta_c"]))
cases["lstm_batch_share_stats"] = finish(new_case("lstm", "batch", "share_stats"), "lstm",
                                         x, h0, R, p, hs, c_T)

# 5. BN-LSTM, evaluation mode: per-step population statistics, T_eval = 5 > T_train = 3.
pop = {k: [(inp(u, scale=0.3), inp(u, low=0.3, high=1.5)) for _ in range(T_TRAIN)]
       for k, u in (("x", 4 * H), ("h", 4 * H), ("c", H))}
x, h0, p = leaf(X_EVAL), leaf(H0), leaves(**LSTM_W, **LSTM_NORM)


def pop_at(k, s):
    return pop[k][min(s, T_TRAIN - 1)]


hs, c_T = unroll("lstm", x_projection(x, p, "eval", p["gamma_x"], population=pop["x"]), h0, p,
                 norm_h=lambda s, a: bn_eval(a, *pop_at("h", s), p["gamma_h"]),
                 norm_c=lambda s, c: bn_eval(c, *pop_at("c", s), p["gamma_c"], p["beta_c"]))
ev = new_case("lstm", "batch", "frame", mode="eval")
ev["inputs"]["population"] = {k: {"mean": t(torch.stack([m for m, _ in v])),
                                  "var": t(torch.stack([u for _, u in v]))}
                              for k, v in pop.items()}
cases["lstm_batch_eval"] = finish(ev, "lstm", x, h0, R_EVAL, p, hs, c_T)

# 6. BN-RNN on the LSTM: BN on x_t·W_x only (gain γ_x), frame and sequence statistics.
for stats in ("frame", "sequence"):
    x, h0, p = leaf(X), leaf(H0), leaves(**LSTM_W, gamma_x=LSTM_NORM["gamma_x"])
    hs, c_T = unroll("lstm", x_projection(x, p, stats, p["gamma_x"]), h0, p)
    cases[f"lstm_bnrnn_{stats}"] = finish(new_case("lstm", "bn-rnn", stats), "lstm",
                                          x, h0, R, p, hs, c_T)

# 7. Plain tanh RNN, tied to torch.nn.RNN.
x, h0, p = leaf(X), leaf(H0), leaves(**RNN_W)
hs, _ = unroll("rnn", x_projection(x, p, "none"), h0, p)
cases["rnn"] = finish(new_case("rnn", "none", epsilon=False), "rnn", x, h0, R, p, hs, None)

ref = nn.RNN(D, H, nonlinearity="tanh", batch_first=True)
with torch.no_grad():
    ref.weight_ih_l0.copy_(RNN_W["kernel_x"].T)
    ref.weight_hh_l0.copy_(RNN_W["kernel_h"].T)
    ref.bias_ih_l0.copy_(RNN_W["bias"])
    ref.bias_hh_l0.zero_()
x2, h02 = leaf(X), leaf(H0)
hs2, hT2 = ref(x2, h02.unsqueeze(0))
check("nn.RNN: h", hs, hs2)
check("nn.RNN: h_T", hs[:, -1], hT2[0])
g1 = torch.autograd.grad((hs * R).sum(), [x, h0, p["kernel_x"], p["kernel_h"], p["bias"]])
g2 = torch.autograd.grad((hs2 * R).sum(), [x2, h02, ref.weight_ih_l0, ref.weight_hh_l0,
                                            ref.bias_ih_l0, ref.bias_hh_l0])
for n, a, b in [("x", g1[0], g2[0]), ("h0", g1[1], g2[1]), ("kernel_x", g1[2], g2[2].T),
                ("kernel_h", g1[3], g2[3].T), ("bias", g1[4], g2[4]), ("bias (hh)", g1[4], g2[5])]:
    check(f"nn.RNN: grad {n}", a, b)

# 8. BN-RNN (Laurent et al.) on the tanh RNN, frame and sequence statistics.
for stats in ("frame", "sequence"):
    x, h0, p = leaf(X), leaf(H0), leaves(**RNN_W, gamma_x=RNN_GAMMA_X)
    hs, _ = unroll("rnn", x_projection(x, p, stats, p["gamma_x"]), h0, p)
    cases[f"rnn_bnrnn_{stats}"] = finish(new_case("rnn", "bn-rnn", stats), "rnn",
                                         x, h0, R, p, hs, None)

for what, d in checks.items():
    print(f"{what}: max |diff| = {d:.3e}", file=sys.stderr)

text = json.dumps({"generator": "scripts/make-rnn-fixtures.py", "torch": torch.__version__,
                   "shapes": dict(B=B, T=T, D=D, H=H, T_train=T_TRAIN, T_eval=T_EVAL),
                   "cases": cases}, indent=1)
# One line per innermost row of numbers: small, and still diffs row by row.
print(re.sub(r"\[\s*([-+.\deE,\s]+?)\s*\]", lambda m: "[" + ", ".join(m.group(1).split()).replace(",,", ",") + "]", text))
