#!/usr/bin/env python3
"""The bench's convnet in PyTorch, on the CPU: the peer of `npm run bench -- --workload cnn`.

Set-up (Debian): apt-get install -y python3-torch libopenblas0-pthread
Run:            /usr/bin/python3 scripts/torch-cnn-bench.py --norm batch --batch 32
Prints one JSON line: {"workload", "norm", "activation", "batch", "steps", "steps_per_s", "threads"},
as ../shared/reference/torch_bench.py does for its workloads (that peer script has no convnet and
stays as it is; this is its twin for the shape below, with the same options).

The network is normbench's BENCH_CNN (scripts/workloads.mjs), in PyTorch's NCHW:
  28×28×1 → Conv2d(1, 16, 3, padding=1) → norm → ReLU → MaxPool2d(2)
          → Conv2d(16, 32, 3, padding=1) → norm → ReLU → MaxPool2d(2)
          → Conv2d(32, 32, 3, padding=1) → norm → ReLU → mean over H, W → Linear(32, 10)
softmax cross-entropy, plain SGD lr 0.1. norm: none | batch (BatchNorm2d) | group (GroupNorm(4, C),
normbench's default groups) | layer (GroupNorm(1, C): statistics over C·H·W, γ, β per channel, as
normbench's layer norm on a convolution) | instance (GroupNorm(C, C), per channel over H·W). As in
normbench, a convolution followed by a norm with a shift β has no bias. Data are random (fixed
seed): throughput does not depend on pixel values.
"""
import argparse
import json
import time

import torch
import torch.nn as nn

p = argparse.ArgumentParser()
p.add_argument("--workload", choices=["cnn"], default="cnn")
p.add_argument("--norm", choices=["none", "batch", "group", "layer", "instance"], default="batch")
p.add_argument("--activation", choices=["relu"], default="relu")
p.add_argument("--batch", type=int, default=32)
p.add_argument("--steps", type=int, default=50)
p.add_argument("--warmup", type=int, default=20)
p.add_argument("--threads", type=int, default=1)
a = p.parse_args()
torch.manual_seed(0)
torch.set_num_threads(a.threads)


def norm(c):
    return {
        "none": nn.Identity,
        "batch": lambda: nn.BatchNorm2d(c),
        "group": lambda: nn.GroupNorm(4, c),
        "layer": lambda: nn.GroupNorm(1, c),
        "instance": lambda: nn.GroupNorm(c, c),
    }[a.norm]()


def block(cin, cout, pool):
    layers = [nn.Conv2d(cin, cout, 3, padding=1, bias=a.norm == "none"), norm(cout), nn.ReLU()]
    return layers + ([nn.MaxPool2d(2)] if pool else [])


class Mean(nn.Module):
    def forward(self, x):
        return x.mean(dim=(2, 3))


model = nn.Sequential(*block(1, 16, True), *block(16, 32, True), *block(32, 32, False), Mean(), nn.Linear(32, 10))
opt = torch.optim.SGD(model.parameters(), lr=0.1)
loss_fn = nn.CrossEntropyLoss()
total = a.warmup + a.steps
xs = torch.randn(total, a.batch, 1, 28, 28)
ys = torch.randint(0, 10, (total, a.batch))


def step(k):
    opt.zero_grad()
    loss = loss_fn(model(xs[k]), ys[k])
    loss.backward()
    opt.step()
    return loss.item()


for k in range(a.warmup):
    step(k)
t0 = time.perf_counter()
for k in range(a.warmup, total):
    step(k)
dt = time.perf_counter() - t0
print(json.dumps({"workload": a.workload, "norm": a.norm, "activation": a.activation, "batch": a.batch,
                  "steps": a.steps, "steps_per_s": round(a.steps / dt, 2), "threads": a.threads}))
