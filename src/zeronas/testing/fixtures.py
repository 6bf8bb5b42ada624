"""Reusable pieces for tests and probes of zeronas (and of plug-ins built on it)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

__all__ = ["write_damaged_npz"]


def write_damaged_npz(folder: Path) -> dict[str, Path]:
    """Image files a user may pass as ``npz:PATH`` that zeronas must refuse, by name: an
    archive cut in half, one with a flipped byte, a plain ``.npy``, labels of the wrong
    length, labels that are strings (and ``ok.npz``, a valid 4-image archive)."""
    x = np.zeros((4, 3, 32, 32), np.uint8)
    np.savez(folder / "ok.npz", x=x, y=np.arange(4))
    data = (folder / "ok.npz").read_bytes()
    (folder / "cut.npz").write_bytes(data[: len(data) // 2])
    flipped = bytearray(data)
    flipped[len(flipped) // 2] ^= 0xFF
    (folder / "flip.npz").write_bytes(bytes(flipped))
    np.save(folder / "plain.npy", x)
    np.savez(folder / "short.npz", x=x, y=np.arange(3))
    np.savez(folder / "text.npz", x=x, y=np.array(list("abcd")))
    names = ("ok.npz", "cut.npz", "flip.npz", "plain.npy", "short.npz", "text.npz")
    return {name: folder / name for name in names}
