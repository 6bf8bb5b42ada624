"""The ``mcu`` space's search proxies, chosen on it by what a search *picks* with them.

``benchmarks/mcu_defaults.py`` (docs/mcu-defaults.md): twelve settings of `zeronas
search`, each run for three seeds under ResNet-8's budget on the standard-schedule space;
every pick trained 5 epochs on 9,000 real CIFAR-10 images, its val accuracy the ground
truth (test split unread); criterion fixed before looking: the highest mean, the cheaper
within 0.5 points.

- ``mcu_jacob_params`` (the default): propose by jacob_cov, re-rank the 20 fittest by
  parameters. Mean pick 53.8 % (jacob_cov alone 52.6, MACs 51.8, the NATS-TSS
  ``ensemble`` 49.7, ``mcu_size`` 49.0); ResNet-8 under the same: 56.3 %. Search ≈ 25 s.
- ``mcu_size``: propose by MACs, re-rank the 20 fittest by parameters; the default on the
  unconstrained space (docs/mcu-proxies.md of December 2026, by rank correlation), kept
  by name.
"""

from __future__ import annotations

from zeronas.proxies.lists import proxy_set

__all__ = ["mcu_jacob_params", "mcu_size"]

mcu_jacob_params = proxy_set(
    "mcu_jacob_params",
    ("params",),
    "logrank",
    "The mcu space's default (docs/mcu-defaults.md): propose by jacob_cov, re-rank the 20 "
    "fittest by parameters.",
    screen=("jacob_cov",),
    rerank=20,
)

mcu_size = proxy_set(
    "mcu_size",
    ("params",),
    "logrank",
    "The mcu space's former default: propose by MACs, re-rank the 20 fittest by parameters.",
    screen=("macs",),
    rerank=20,
)
