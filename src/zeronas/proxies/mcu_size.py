"""``mcu_size``: the default search proxies of the ``mcu`` space, chosen on it.

Two studies on real CIFAR-10 under ResNet-8's budget (``benchmarks/mcu_proxies.py``;
ground truth: val accuracy after 5 epochs on 9,000 training images, test split unread;
criterion fixed before looking: Kendall τ, the cheaper within 0.05 of the best):

- across the budget (26 random networks that fit, docs/mcu-proxies.md), MACs rank best
  among the cheap proxies (τ .505; MACs + NASWOT .549, jacob_cov .512, the NATS-TSS
  ``ensemble`` .304): the screen proposes with MACs;
- at a MACs-maximising search's top (18 networks of 10-12.5 M MACs,
  docs/mcu-proxies-top.md), MACs no longer rank (τ .118) and parameters do (τ .603; the
  next, NASWOT and snip, .289; the ``ensemble`` .026): the 20 fittest are re-ranked by
  parameters.

Both are exact and cost microseconds (the space's layer graph), so a search of 500
candidates takes seconds. No data-dependent proxy helped on this space.
"""

from __future__ import annotations

from zeronas.proxies.lists import proxy_set

__all__ = ["mcu_size"]

mcu_size = proxy_set(
    "mcu_size",
    ("params",),
    "logrank",
    "The mcu space's default (docs/mcu-proxies.md): propose by MACs, re-rank the 20 fittest "
    "by parameters.",
    screen=("macs",),
    rerank=20,
)
