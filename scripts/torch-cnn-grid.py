#!/usr/bin/env python3
"""A whole training curve of a small convnet grid, trained by plain PyTorch: the independent
reference for test/cnn-torch-curve.test.ts, which trains the same grid through normbench's CLI
(test/fixtures/torch-cnn-grid.yaml) and compares the two per norm.

Set-up (Debian): apt-get install -y python3-torch
Run:            /usr/bin/python3 scripts/torch-cnn-grid.py > test/fixtures/torch-cnn-grid.json
(~15 s on one core). The options change the grid, for exploring (--seeds 1-20 measures the
seed-to-seed spread with more seeds); the committed fixture is the run without options, whose
command line the JSON records; a rerun writes it again byte for byte.

Nothing here comes from normbench's code: the data are read from the IDX files themselves, the
weights drawn by a torch.Generator, the batches by torch.randperm, the layers are torch.nn's.
What is the same is the definition of the experiment, taken from normbench's documentation and
its src/ (where the file is named, that is where the definition lives):

  data      data/fashion-mnist-mini (6 000 train, 1 000 test, official IDX files, gzip), pixels
            byte / 255 (src/data/fashion-mnist.ts), images 28×28×1; `test_limit` keeps the first
            examples of the test split (src/data/types.ts limitSplit).
  model     per block: Conv2d(k×k, stride 1, padding `same` = (k − 1)/2 each side for odd k)
            → norm → ReLU → MaxPool2d(2); then the mean over H, W per channel (head `gap`), then
            Linear(C, 10) giving logits (src/models/cnn.ts). The convolution has a bias, zero
            at the start, unless the norm drops it: batch and group (with their β) do, none does
            not (norm.dropsDenseBias in src/norms/).
  norms     none; batch: BatchNorm2d(C, eps 1e-5, momentum 0.1 — normbench's decay 0.9), batch
            statistics in training, moving averages in evaluation (src/norms/batch.ts); group:
            GroupNorm(G, C, eps 1e-5), γ, β per channel, γ = 1, β = 0 (src/norms/group.ts).
  init      He normal, N(0, 2 / fan_in) with fan_in = k·k·in for a filter and the input width
            for the dense output layer (src/nn/init.ts drawFilter / drawKernel); biases zero.
            Per seed one torch.Generator draws the filters conv1, conv2, …, then the output
            kernel, so networks of one seed start from the same weights under every norm (as
            normbench's, whose draws are keyed by seed and layer).
  batches   a fresh permutation of the training examples every epoch (torch.randperm with a
            generator of the seed), cut into consecutive batches; an epoch's last incomplete
            batch is dropped (src/data/batcher.ts).
  step      mean softmax cross-entropy over the batch (F.cross_entropy), gradients, plain SGD
            θ ← θ − lr·g (src/train/trainer.ts), in float32.
  curve     evaluation points at step 0, every `eval_every` steps and the last step
            (src/train/journal.ts): train_loss is the mean training-batch loss over the steps
            since the previous point, the step-0 point holding the first batch's loss (taken
            before any update; that batch stays in the first window as well); test_loss and
            test_accuracy on the test split in evaluation mode.
  AUC       train_loss_auc = the mean of every step's training-batch loss: Σ_t ℓ_t / steps,
            the area under the per-step loss curve ÷ steps (journal.ts `result`) — not a
            trapezoid over the evaluation points.

The draws differ from normbench's (another generator), so the two agree in distribution, not
value by value: the test compares means over the seeds, within a tolerance chosen from the
seed-to-seed spread measured here and there.
"""
import argparse
import gzip
import json
import os
import struct
import sys

import torch
import torch.nn as nn
import torch.nn.functional as F

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DATA = os.path.join(ROOT, "data", "fashion-mnist-mini")


def seeds_arg(text):
    """`1,2,3` or `1-10`."""
    if "-" in text:
        lo, hi = (int(v) for v in text.split("-"))
        return list(range(lo, hi + 1))
    return [int(v) for v in text.split(",")]


p = argparse.ArgumentParser(description="A small convnet grid in plain PyTorch: the reference curve for test/cnn-torch-curve.test.ts.")
p.add_argument("--channels", default="16,32", help="output channels per conv block (default 16,32)")
p.add_argument("--kernel", type=int, default=3)
p.add_argument("--groups", type=int, default=4, help="GroupNorm's groups (default 4)")
p.add_argument("--lr", type=float, default=0.2)
p.add_argument("--batch", type=int, default=16)
p.add_argument("--steps", type=int, default=200)
p.add_argument("--eval-every", type=int, default=50)
p.add_argument("--test-limit", type=int, default=200)
p.add_argument("--norms", default="none,batch,group")
p.add_argument("--seeds", type=seeds_arg, default=[1, 2, 3], help="1,2,3 or 1-10 (default 1,2,3)")
a = p.parse_args()

torch.set_num_threads(1)
CHANNELS = [int(c) for c in a.channels.split(",")]
NORMS = a.norms.split(",")
assert set(NORMS) <= {"none", "batch", "group"}, "norms: none, batch, group"
assert a.kernel % 2 == 1, "padding same is (k - 1) / 2 on each side only for an odd kernel"


def read_idx(name):
    """An IDX file (gzip): big-endian magic 0x0000 <type 0x08> <ndims>, ndims uint32 sizes, bytes."""
    with gzip.open(os.path.join(DATA, name), "rb") as f:
        raw = f.read()
    zero, dtype, ndims = struct.unpack(">HBB", raw[:4])
    assert zero == 0 and dtype == 0x08, f"{name}: not an IDX file of unsigned bytes"
    shape = struct.unpack(">" + "I" * ndims, raw[4:4 + 4 * ndims])
    values = torch.frombuffer(bytearray(raw[4 + 4 * ndims:]), dtype=torch.uint8)
    assert values.numel() == torch.Size(shape).numel(), f"{name}: size does not match its header"
    return values.reshape(shape)


train_x = read_idx("train-images-idx3-ubyte.gz").float().div(255).unsqueeze(1)  # [N, 1, 28, 28]
train_y = read_idx("train-labels-idx1-ubyte.gz").long()
test_x = read_idx("t10k-images-idx3-ubyte.gz").float().div(255).unsqueeze(1)[: a.test_limit]
test_y = read_idx("t10k-labels-idx1-ubyte.gz").long()[: a.test_limit]
N = train_x.shape[0]


NORM_OPTIONS = {"none": {}, "batch": {"eps": 1e-5, "momentum": 0.1}, "group": {"groups": a.groups, "eps": 1e-5}}


def make_norm(name, channels):
    o = NORM_OPTIONS[name]
    if name == "none":
        return nn.Identity()
    if name == "batch":
        return nn.BatchNorm2d(channels, eps=o["eps"], momentum=o["momentum"])
    return nn.GroupNorm(o["groups"], channels, eps=o["eps"])


class Net(nn.Module):
    def __init__(self, norm, gen):
        super().__init__()
        blocks = []
        inputs = 1
        for c in CHANNELS:
            conv = nn.Conv2d(inputs, c, a.kernel, padding=(a.kernel - 1) // 2, bias=(norm == "none"))
            blocks += [conv, make_norm(norm, c), nn.ReLU(), nn.MaxPool2d(2)]
            inputs = c
        self.blocks = nn.Sequential(*blocks)
        self.out = nn.Linear(inputs, 10)
        with torch.no_grad():
            for m in self.blocks:
                if isinstance(m, nn.Conv2d):
                    fan_in = a.kernel * a.kernel * m.in_channels
                    m.weight.copy_(torch.randn(m.weight.shape, generator=gen) * (2 / fan_in) ** 0.5)
                    if m.bias is not None:
                        m.bias.zero_()
            self.out.weight.copy_(torch.randn(self.out.weight.shape, generator=gen) * (2 / inputs) ** 0.5)
            self.out.bias.zero_()

    def forward(self, x):
        return self.out(self.blocks(x).mean(dim=(2, 3)))


def evaluate(net):
    net.eval()
    with torch.no_grad():
        logits = net(test_x)
        loss = F.cross_entropy(logits, test_y).item()
        accuracy = (logits.argmax(1) == test_y).float().mean().item()
    net.train()
    return loss, accuracy


def run(norm, seed):
    net = Net(norm, torch.Generator().manual_seed(seed))
    opt = torch.optim.SGD(net.parameters(), lr=a.lr)
    order_gen = torch.Generator().manual_seed(1_000_003 * seed + 7)
    order, cursor = None, N
    losses, points = [], []
    window = []
    initial = evaluate(net)
    for step in range(1, a.steps + 1):
        if cursor + a.batch > N:
            order, cursor = torch.randperm(N, generator=order_gen), 0
        idx = order[cursor:cursor + a.batch]
        cursor += a.batch
        loss = F.cross_entropy(net(train_x[idx]), train_y[idx])
        opt.zero_grad()
        loss.backward()
        opt.step()
        value = loss.item()
        losses.append(value)
        window.append(value)
        if step == 1:
            points.append({"step": 0, "train_loss": value, "test_loss": initial[0], "test_accuracy": initial[1]})
        if step % a.eval_every == 0 or step == a.steps:
            test_loss, test_accuracy = evaluate(net)
            points.append({"step": step, "train_loss": sum(window) / len(window), "test_loss": test_loss, "test_accuracy": test_accuracy})
            window = []
    return {"norm": norm, "seed": seed, "train_loss_auc": sum(losses) / len(losses), "points": points}


def mean(xs):
    return sum(xs) / len(xs)


def spread(xs):
    """Sample standard deviation ÷ mean: the seed-to-seed spread, relative."""
    m = mean(xs)
    return (sum((x - m) ** 2 for x in xs) / (len(xs) - 1)) ** 0.5 / m if len(xs) > 1 else 0.0


runs = [run(norm, seed) for norm in NORMS for seed in a.seeds]
per_norm = {}
for norm in NORMS:
    aucs = [r["train_loss_auc"] for r in runs if r["norm"] == norm]
    finals = [r["points"][-1]["train_loss"] for r in runs if r["norm"] == norm]
    per_norm[norm] = {"train_loss_auc_mean": mean(aucs), "train_loss_auc_spread": spread(aucs), "final_train_loss_mean": mean(finals), "final_train_loss_spread": spread(finals)}

print(json.dumps({
    "what": "scripts/torch-cnn-grid.py: the convnet grid of test/fixtures/torch-cnn-grid.yaml in plain PyTorch, per seed its curve and train_loss_auc (mean of every step's batch loss)",
    "command": "/usr/bin/python3 " + " ".join(["scripts/torch-cnn-grid.py", *sys.argv[1:]]) + " > test/fixtures/torch-cnn-grid.json",
    "torch": torch.__version__,
    "config": {
        "dataset": {"name": "fashion-mnist-mini", "test_limit": a.test_limit},
        "model": {"kind": "cnn", "channels": CHANNELS, "kernel": a.kernel, "stride": 1, "padding": "same", "pool": "max", "pool_size": 2, "head": "gap", "hidden": [], "init": "he_normal"},
        "train": {"optimizer": "sgd", "lr": a.lr, "batch_size": a.batch, "steps": a.steps, "eval_every": a.eval_every},
        # PyTorch's own parameters: BatchNorm2d's momentum 0.1 is normbench's moving-average decay 0.9.
        "norms": {n: NORM_OPTIONS[n] for n in NORMS},
        "activation": "relu",
        "seeds": a.seeds,
    },
    "per_norm": per_norm,
    "runs": runs,
}, indent=1))
