"""Noise immunity and NINASWOT: Wu, Lin & Tsai, ACM ICEA 2021, as the code of that line of
work computes them (the paper text was not available).

With f(x) the features entering the network's last ``nn.Linear`` (for NAS-Bench-201 the
globally pooled final features, before the classifier) and ε ~ N(0, σ²), σ = 0.05, added
to the normalised batch:

.. math::

    NI = -\\sum_{i, d} (f(x)_{id} - f(x + \\varepsilon)_{id})^2

Two no-grad forwards in train mode, each batch with its own BN statistics. The clean one is
the forward every reader proxy shares (naswot's); ε is drawn from a generator seeded 0, so
NI is a function of (network, batch). (The later TEVC-2023 NI over all pooling layers is a
different metric and is not this one.)

``ninaswot`` = 2 (naswot − μ) / σ + (NI − μ) / σ, μ and σ of each over the scorer's reference
sample (50 seeded random architectures of the same space, non-finite values masked).
"""

from __future__ import annotations

import torch
from torch import nn
from torch.utils.hooks import RemovableHandle

from zeronas.proxies._hooks import read_forward
from zeronas.proxies.base import derived_proxy, proxy

__all__ = ["SIGMA", "NoiseImmunityReader", "noise_immunity", "ninaswot"]

SIGMA = 0.05


def _classifier(net: nn.Module) -> nn.Linear:
    linears = [m for m in net.modules() if isinstance(m, nn.Linear)]
    if not linears:
        raise ValueError("noise_immunity needs a final nn.Linear classifier to read features")
    return linears[-1]


class NoiseImmunityReader:
    """Takes f(x) from the shared clean forward, then runs the noisy forward itself."""

    def __init__(self, x: torch.Tensor) -> None:
        self.x = x
        self.net: nn.Module | None = None
        self.classifier: nn.Linear | None = None
        self.clean: torch.Tensor | None = None

    def _keep(self, _module: nn.Module, args: tuple) -> None:
        self.clean = args[0].detach().flatten(1).clone()

    def attach(self, net: nn.Module) -> list[RemovableHandle]:
        self.net, self.classifier = net, _classifier(net)
        return [self.classifier.register_forward_pre_hook(self._keep)]

    def result(self) -> float:
        if self.net is None or self.classifier is None or self.clean is None:
            raise RuntimeError("the classifier was not reached in the forward pass")
        generator = torch.Generator().manual_seed(0)
        noise = torch.randn(self.x.shape, generator=generator).to(self.x.device)
        noisy = [torch.empty(0)]

        def keep(_module: nn.Module, args: tuple) -> None:
            noisy[0] = args[0].detach().flatten(1)

        handle = self.classifier.register_forward_pre_hook(keep)
        was_training = self.net.training
        try:
            self.net.train()
            with torch.no_grad():
                self.net(self.x + SIGMA * noise)
        finally:
            handle.remove()
            self.net.train(was_training)
        return -float(((self.clean - noisy[0]).double() ** 2).sum())


@proxy("noise_immunity", needs_data=True, reads="forward", reader=NoiseImmunityReader)
def noise_immunity(net: nn.Module, x: torch.Tensor) -> float:
    """−Σ (f(x) − f(x+ε))² of the final pooled features, ε ~ N(0, 0.05²) (Wu et al. 2021)."""
    return read_forward(net, x, [NoiseImmunityReader(x)])[0]


ninaswot = derived_proxy(
    "ninaswot",
    (("naswot", 2.0), ("noise_immunity", 1.0)),
    "2 z(naswot) + z(noise_immunity), z over 50 random archs of the space (Wu et al. 2021).",
    needs_data=True,
)
