"""Recon's six presets as PyTorch modules, for the benchmarks in this folder.

Same layer sizes, activations and losses as `crates/nn/src/models` builds
(`ModelConfig::preset`): tables of `d` features get a linear output and MSE,
images a sigmoid output and binary cross-entropy. Each module has
`loss(x)` (the training loss of a batch, as Recon's `Autoencoder::loss`) and
`reconstruct(x)` (deterministic: no noise, the VAE decodes its mean), which
is what scoring runs.
"""
import torch
from torch import nn


def dense(widths, last_relu):
    """Linear layers with ReLU after each (after the last only if `last_relu`)."""
    layers = []
    for i, (a, b) in enumerate(zip(widths, widths[1:])):
        layers.append(nn.Linear(a, b))
        if last_relu or i < len(widths) - 2:
            layers.append(nn.ReLU())
    return nn.Sequential(*layers)


class AE(nn.Module):
    """ae, sparse-ae, deep-ae, denoising-ae: `d -> hidden... -> latent (relu)`
    and the mirrored decoder with a linear output."""

    def __init__(self, d, hidden=(), latent=12, l1=0.0, noise=0.0):
        super().__init__()
        self.enc = dense([d, *hidden, latent], last_relu=True)
        self.dec = dense([latent, *reversed(hidden), d], last_relu=False)
        self.l1, self.noise = l1, noise

    def loss(self, x):
        inp = x + self.noise * torch.randn_like(x) if self.noise > 0 else x
        code = self.enc(inp)
        loss = nn.functional.mse_loss(self.dec(code), x)
        if self.l1 > 0:
            loss = loss + self.l1 * code.abs().sum() / x.shape[0]
        return loss

    def reconstruct(self, x):
        return self.dec(self.enc(x))


class VAE(nn.Module):
    """vae: `d -> 64 (relu)`, heads mu and logvar (12), decoder `12 -> 64 -> d`;
    loss = per-row sum of squared errors (mean over the batch) + KL."""

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

    def reconstruct(self, x):
        return self.dec(self.mu(self.h(x)))


class ConvAE(nn.Module):
    """conv-ae: the Keras blog's 28x28 convolutional autoencoder."""

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

    def reconstruct(self, x):
        return self.net(x.view(-1, 1, 28, 28)).view(x.shape[0], -1)


def preset(name, d=29):
    """The module for one of Recon's preset names."""
    if name == "ae":
        return AE(d)
    if name == "sparse-ae":
        return AE(d, l1=1e-5)
    if name == "deep-ae":
        return AE(d, hidden=(16, 8), latent=4)
    if name == "denoising-ae":
        return AE(d, noise=0.5)
    if name == "vae":
        return VAE(d)
    if name == "conv-ae":
        return ConvAE()
    raise ValueError("unknown preset " + name)


def table(n=16000, d=29):
    """The benchmarks' synthetic credit-card-sized table: rows near a 3-D subspace."""
    return torch.randn(n, 3) @ torch.randn(3, d) * 0.6 + 0.05 * torch.randn(n, d)


def mnist(path):
    """The bundled MNIST images (IDX, gzip) as rows of 784 values in [0, 1]."""
    import gzip
    raw = gzip.open(path).read()
    return torch.frombuffer(bytearray(raw[16:]), dtype=torch.uint8).float().view(-1, 784) / 255.0
