"""Microcontroller presets: on-chip SRAM and flash from the vendors' datasheets, less a
stated reserve for what is not the model (the TFLite Micro runtime's code and the
application in flash; stack, heap, I/O buffers and the application's data in SRAM). What
remains is the budget of an int8 network: its TFLite Micro arena and its ``.tflite``
(:mod:`zeronas.hardware.int8_memory`). ``zeronas mcus`` lists them; ``--mcu NAME`` applies
one as ``--max-sram-kib`` / ``--max-flash-kib``.
"""

from __future__ import annotations

from dataclasses import dataclass

from zeronas.errors import ZeroNASError

__all__ = ["MCU", "MCUS", "FLASH_RESERVE_KIB", "SRAM_RESERVE_KIB", "get_mcu"]

#: KiB of flash kept for the TFLite Micro interpreter with the kernels a CNN needs
#: (about 100 KiB on Cortex-M with CMSIS-NN) and a small application
FLASH_RESERVE_KIB = 160
#: KiB of SRAM kept for stack, heap, the runtime's own data and the application's buffers
SRAM_RESERVE_KIB = 32


@dataclass(frozen=True)
class MCU:
    """A part: core, clock (MHz), on-chip SRAM and flash (KiB), the datasheet they come
    from and a note, and the reserves (KiB) left to everything that is not the model."""

    name: str
    core: str
    mhz: int
    sram_kib: int
    flash_kib: int
    datasheet: str
    note: str = ""
    sram_reserve_kib: int = SRAM_RESERVE_KIB
    flash_reserve_kib: int = FLASH_RESERVE_KIB

    @property
    def max_sram_kib(self) -> int:
        """The arena budget."""
        return self.sram_kib - self.sram_reserve_kib

    @property
    def max_flash_kib(self) -> int:
        """The model-file budget."""
        return self.flash_kib - self.flash_reserve_kib


MCUS: dict[str, MCU] = {
    m.name: m
    for m in (
        MCU("stm32f746", "Cortex-M7", 216, 320, 1024, "ST DS10916",
            "320 KB SRAM incl. 64 KB DTCM; MCUNet's and TinyEngine's board (F746G-DISCO)"),
        MCU("stm32f412", "Cortex-M4", 100, 256, 1024, "ST DS10314", "the 1 MB flash G part"),
        MCU("stm32h743", "Cortex-M7", 480, 1024, 2048, "ST DS12110", "1 MB SRAM incl. DTCM"),
        MCU("nrf52840", "Cortex-M4F", 64, 256, 1024, "Nordic nRF52840 PS v1.7",
            "Arduino Nano 33 BLE Sense, TFLM's person-detection example"),
        MCU("apollo3", "Cortex-M4F", 48, 384, 1024, "Ambiq Apollo3 Blue", "SparkFun Edge"),
        MCU("rp2040", "Cortex-M0+", 133, 264, 2048, "Raspberry Pi RP2040",
            "flash is external QSPI: 2 MB on the Pico board"),
    )
}  # fmt: skip


def get_mcu(name: str) -> MCU:
    """The preset ``name`` (case-insensitive); an unknown one is refused, listing them."""
    key = str(name).strip().lower()
    if key not in MCUS:
        raise ZeroNASError(f"unknown MCU {name!r}. Known: {', '.join(MCUS)} (zeronas mcus)")
    return MCUS[key]
