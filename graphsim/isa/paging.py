"""The satp translation modes a graphsim hart implements, by XLEN. satp.MODE is WARL:
a write of a mode not listed here leaves satp unchanged (how Linux probes Sv57 → Sv48 → Sv39).
Like QEMU 7.2's default harts, RV64 harts implement Sv39, Sv48 and Sv57."""

SATP_MODES = {
    64: {"bare": 0, "sv39": 8, "sv48": 9, "sv57": 10},
    32: {"bare": 0, "sv32": 1},
}


def supported_mask(xlen: int) -> int:
    """Bit MODE set for every supported satp.MODE value."""
    mask = 0
    for mode in SATP_MODES[xlen].values():
        mask |= 1 << mode
    return mask


def supported_names(xlen: int) -> list[str]:
    return [name for name in SATP_MODES[xlen] if name != "bare"]
