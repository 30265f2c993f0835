#!/usr/bin/env python3
# The matrix products of one training step of the 784-100-100-100-10 MLP at batch 60, timed in
# PyTorch on one thread: the peer's side of `node scripts/profile-step.mjs --products`.
import time

import torch

torch.set_num_threads(1)


def timed(f, reps=2000):
    for _ in range(100):
        f()
    t0 = time.perf_counter()
    for _ in range(reps):
        f()
    return (time.perf_counter() - t0) / reps * 1e6


# (label, rows, shared, cols, per step), as in profile-step.mjs
PRODUCTS = [
    ("forward 784→100", 60, 784, 100, 1),
    ("∂W 784×100 (xᵀ·∂y)", 784, 60, 100, 1),
    ("forward 100→100", 60, 100, 100, 2),
    ("∂x 100 (∂y·Wᵀ)", 60, 100, 100, 2),
    ("∂W 100×100", 100, 60, 100, 2),
    ("forward 100→10", 60, 100, 10, 1),
    ("∂x 10→100", 60, 10, 100, 1),
    ("∂W 100×10", 100, 60, 10, 1),
]
total = 0.0
for label, m, k, n, count in PRODUCTS:
    a, b = torch.randn(m, k), torch.randn(k, n)
    us = timed(lambda: a @ b)
    total += count * us
    print(f"{label}: [{m},{k}]·[{k},{n}] ×{count}: {us:.0f} us")
print(f"torch {torch.__version__}, 1 thread: products per step {total:.0f} us")
