"""PyTorch side of `cargo run --release -p recon-benches --bin train`.

The same models, optimizer (Adam, lr 1e-3), batch size and data sizes as the
Rust side, in a lean PyTorch loop (a random permutation and slicing per epoch,
no DataLoader). Prints one JSON object: seconds per epoch for each model.

Usage: python3 train_step.py EPOCHS THREADS [MNIST_IDX_GZ]
"""
import gzip
import json
import sys
import time

import torch
from torch import nn

EPOCHS, THREADS = int(sys.argv[1]), int(sys.argv[2])
torch.set_num_threads(THREADS)
torch.manual_seed(0)


def dense(widths):
    """Linear layers with ReLU between them (none after the last)."""
    layers = []
    for i, (a, b) in enumerate(zip(widths, widths[1:])):
        layers.append(nn.Linear(a, b))
        if i < len(widths) - 2:
            layers.append(nn.ReLU())
    return nn.Sequential(*layers)


class AE(nn.Module):
    def __init__(self, enc, dec):
        super().__init__()
        self.enc, self.dec = enc, dec

    def loss(self, x):
        return nn.functional.mse_loss(self.dec(self.enc(x)), x)


class VAE(nn.Module):
    def __init__(self, d, hidden=64, latent=12):
        super().__init__()
        self.h = nn.Sequential(nn.Linear(d, hidden), nn.ReLU())
        self.mu, self.lv = nn.Linear(hidden, latent), nn.Linear(hidden, latent)
        self.dec = nn.Sequential(nn.Linear(latent, hidden), nn.ReLU(), nn.Linear(hidden, d))

    def loss(self, x):
        h = self.h(x)
        mu, lv = self.mu(h), self.lv(h)
        z = mu + torch.exp(0.5 * lv) * torch.randn_like(mu)
        recon = nn.functional.mse_loss(self.dec(z), x) * x.shape[1]
        kl = -0.5 * torch.sum(1 + lv - mu * mu - lv.exp()) / x.shape[0]
        return recon + kl


class ConvAE(nn.Module):
    def __init__(self):
        super().__init__()
        r = nn.ReLU()
        self.net = nn.Sequential(
            nn.Conv2d(1, 16, 3, padding=1), r, nn.MaxPool2d(2, ceil_mode=True),
            nn.Conv2d(16, 8, 3, padding=1), r, nn.MaxPool2d(2, ceil_mode=True),
            nn.Conv2d(8, 8, 3, padding=1), r, nn.MaxPool2d(2, ceil_mode=True),
            nn.Conv2d(8, 8, 3, padding=1), r, nn.Upsample(scale_factor=2),
            nn.Conv2d(8, 8, 3, padding=1), r, nn.Upsample(scale_factor=2),
            nn.Conv2d(8, 16, 3), r, nn.Upsample(scale_factor=2),
            nn.Conv2d(16, 1, 3, padding=1), nn.Sigmoid())

    def loss(self, x):
        x = x.view(-1, 1, 28, 28)
        return nn.functional.binary_cross_entropy(self.net(x), x)


def epoch_seconds(model, x, epochs):
    opt = torch.optim.Adam(model.parameters(), lr=1e-3, eps=1e-7)
    times = []
    for _ in range(epochs):
        t = time.perf_counter()
        perm = torch.randperm(x.shape[0])
        for i in range(0, x.shape[0], 32):
            xb = x[perm[i:i + 32]]
            opt.zero_grad(set_to_none=True)
            model.loss(xb).backward()
            opt.step()
        times.append(time.perf_counter() - t)
    return sorted(times)[len(times) // 2]


out = {"torch": torch.__version__, "threads": THREADS}
x = torch.randn(16000, 3) @ torch.randn(3, 29) * 0.6 + 0.05 * torch.randn(16000, 29)
out["ae"] = epoch_seconds(AE(nn.Sequential(nn.Linear(29, 12), nn.ReLU()), nn.Linear(12, 29)), x, EPOCHS)
out["deep-ae"] = epoch_seconds(AE(nn.Sequential(dense([29, 16, 8, 4]), nn.ReLU()), dense([4, 8, 16, 29])), x, EPOCHS)
out["vae"] = epoch_seconds(VAE(29), x, EPOCHS)
if len(sys.argv) > 3:
    raw = gzip.open(sys.argv[3]).read()
    imgs = torch.frombuffer(bytearray(raw[16:]), dtype=torch.uint8).float().view(-1, 784) / 255.0
    out["conv-ae"] = epoch_seconds(ConvAE(), imgs, 1)
print(json.dumps(out))
