"""UART 16550A as QEMU's hw/char/serial.c models it, served inside the kernel.

Full register set: RBR/THR/DLL (0), IER/DLM (1), IIR/FCR (2), LCR (3),
MCR (4), LSR (5), MSR (6), SCR (7); 16-byte receive FIFO with trigger
levels; loopback. Transmission is instantaneous (as QEMU with a ready
chardev): a THR write appends the byte to the output buffer the machine
drains (`Core.uart_drain`), then THRE/TEMT are set and the THR-empty
interrupt is pending. Received bytes come from a host input queue
(`Core.uart_push_rx`) moved into the FIFO while it has room. One
deliberate difference: the character-timeout interrupt (CTI) is raised as
soon as data waits below the trigger level, instead of after four
character times of QEMU's real-time timer, so that it is deterministic.
"""

from ..isa import _jitcache  # noqa: F401  (must precede @njit: keyed cache dir)
from numba import njit

from ..config.schema import REQUESTER, RESPONDER, Address, Component, Frequency, Int, Param, Port, Size, StateField


class UART16550(Component):
    kind = "uart16550"
    doc = "NS16550A-compatible UART (QEMU virt: 0x1000_0000, irq 10)."

    base = Param(Address, 0x10000000, "register address")
    size = Param(Size, "256B", "register window")
    irq = Param(Int, 10, "PLIC source", min=1)
    clock_frequency = Param(Frequency, "3686400Hz", "input clock (reported in the device tree)")
    port = Port(RESPONDER, "mem", "register access", vector=True)
    irq_line = Port(REQUESTER, "irq", "interrupt line to the PLIC")

    state_version = 1
    state = (
        StateField("rbr", "int64", (), "receive buffer (non-FIFO mode)"),
        StateField("thr", "int64", (), "transmit holding register"),
        StateField("ier", "int64", (), "interrupt enable"),
        StateField("iir", "int64", (), "interrupt identification"),
        StateField("fcr", "int64", (), "FIFO control"),
        StateField("lcr", "int64", (), "line control"),
        StateField("mcr", "int64", (), "modem control"),
        StateField("lsr", "int64", (), "line status"),
        StateField("msr", "int64", (), "modem status"),
        StateField("scr", "int64", (), "scratch"),
        StateField("divider", "int64", (), "baud divisor (DLL/DLM)"),
        StateField("thr_ipending", "int64", (), "THR-empty interrupt pending"),
        StateField("timeout_ipending", "int64", (), "character timeout interrupt pending"),
        StateField("irq_level", "int64", (), "level of the interrupt line"),
        StateField("rx_head", "int64", (), "receive FIFO read index"),
        StateField("rx_count", "int64", (), "bytes in the receive FIFO"),
        StateField("rx_itl", "int64", (), "receive FIFO trigger level"),
        StateField("rx_fifo", "int64", (16,), "receive FIFO"),
    )


_NAMES = [f.name for f in UART16550.state]
U_RBR, U_THR, U_IER, U_IIR, U_FCR, U_LCR, U_MCR, U_LSR, U_MSR, U_SCR, U_DIV = range(11)
U_THR_IP, U_TIMEOUT_IP, U_IRQ, U_RX_HEAD, U_RX_COUNT, U_RX_ITL, U_RX_FIFO = range(11, 18)
assert _NAMES.index("rx_fifo") == U_RX_FIFO and _NAMES.index("divider") == U_DIV
UART_WORDS = U_RX_FIFO + 16
FIFO_LEN = 16

LSR_DR = 0x01
LSR_OE = 0x02
LSR_BI = 0x10
LSR_THRE = 0x20
LSR_TEMT = 0x40
LSR_INT_ANY = 0x1E
IIR_NO_INT = 0x01
IIR_THRI = 0x02
IIR_RDI = 0x04
IIR_RLSI = 0x06
IIR_CTI = 0x0C
IIR_FE = 0xC0
IER_RDI = 0x01
IER_THRI = 0x02
IER_RLSI = 0x04
IER_MSI = 0x08
FCR_FE = 0x01
FCR_RFR = 0x02
FCR_XFR = 0x04
MCR_LOOP = 0x10
MSR_ANY_DELTA = 0x0F
LCR_DLAB = 0x80


def reset_values():
    """Register values after reset, by field name (QEMU serial_reset)."""
    return {"iir": IIR_NO_INT, "lsr": LSR_TEMT | LSR_THRE, "msr": 0xB0, "divider": 0x0C, "mcr": 0x08, "rx_itl": 1}


@njit(cache=True)
def uart_irq_level(dev, u):
    """serial_update_irq: recompute IIR; returns the line level."""
    ier = dev[u + U_IER]
    lsr = dev[u + U_LSR]
    tmp = IIR_NO_INT
    if (ier & IER_RLSI) and (lsr & LSR_INT_ANY):
        tmp = IIR_RLSI
    elif (ier & IER_RDI) and dev[u + U_TIMEOUT_IP]:
        tmp = IIR_CTI
    elif (ier & IER_RDI) and (lsr & LSR_DR) and (not (dev[u + U_FCR] & FCR_FE) or dev[u + U_RX_COUNT] >= dev[u + U_RX_ITL]):
        tmp = IIR_RDI
    elif (ier & IER_THRI) and dev[u + U_THR_IP]:
        tmp = IIR_THRI
    elif (ier & IER_MSI) and (dev[u + U_MSR] & MSR_ANY_DELTA):
        tmp = 0x00
    dev[u + U_IIR] = tmp | (dev[u + U_IIR] & 0xF0)
    return 1 if tmp != IIR_NO_INT else 0


@njit(cache=True)
def uart_receive_byte(dev, u, b):
    """serial_receive1 for one byte."""
    if dev[u + U_FCR] & FCR_FE:
        if dev[u + U_RX_COUNT] >= FIFO_LEN:
            dev[u + U_LSR] |= LSR_OE
        else:
            i = (dev[u + U_RX_HEAD] + dev[u + U_RX_COUNT]) % FIFO_LEN
            dev[u + U_RX_FIFO + i] = b & 0xFF
            dev[u + U_RX_COUNT] += 1
        dev[u + U_LSR] |= LSR_DR
        if dev[u + U_RX_COUNT] < dev[u + U_RX_ITL]:
            dev[u + U_TIMEOUT_IP] = 1  # deterministic stand-in for the 4-character timeout
    else:
        if dev[u + U_LSR] & LSR_DR:
            dev[u + U_LSR] |= LSR_OE
        dev[u + U_RBR] = b & 0xFF
        dev[u + U_LSR] |= LSR_DR


@njit(cache=True)
def uart_can_receive(dev, u):
    if dev[u + U_MCR] & MCR_LOOP:
        return False
    if dev[u + U_FCR] & FCR_FE:
        return dev[u + U_RX_COUNT] < FIFO_LEN
    return (dev[u + U_LSR] & LSR_DR) == 0


@njit(cache=True)
def uart_pull(dev, u, work, rxq, cap, headi, counti):
    """Move bytes from the host input queue into the UART while it can receive. Returns True if any moved."""
    moved = False
    while work[counti] > 0 and uart_can_receive(dev, u):
        b = work[rxq + work[headi]]
        work[headi] = (work[headi] + 1) % cap
        work[counti] -= 1
        uart_receive_byte(dev, u, b)
        moved = True
    return moved


@njit(cache=True)
def uart_read(dev, u, reg):
    """Register read (offset 0..7). Returns (value, pull): pull asks the caller to refill from the host queue."""
    dlab = dev[u + U_LCR] & LCR_DLAB
    if reg == 0:
        if dlab:
            return dev[u + U_DIV] & 0xFF, False
        if dev[u + U_FCR] & FCR_FE:
            ret = 0
            if dev[u + U_RX_COUNT] > 0:
                ret = dev[u + U_RX_FIFO + dev[u + U_RX_HEAD]]
                dev[u + U_RX_HEAD] = (dev[u + U_RX_HEAD] + 1) % FIFO_LEN
                dev[u + U_RX_COUNT] -= 1
            if dev[u + U_RX_COUNT] == 0:
                dev[u + U_LSR] &= ~(LSR_DR | LSR_BI)
                dev[u + U_TIMEOUT_IP] = 0
            else:
                dev[u + U_TIMEOUT_IP] = 1 if dev[u + U_RX_COUNT] < dev[u + U_RX_ITL] else 0
        else:
            ret = dev[u + U_RBR]
            dev[u + U_LSR] &= ~(LSR_DR | LSR_BI)
        return ret, True
    if reg == 1:
        if dlab:
            return (dev[u + U_DIV] >> 8) & 0xFF, False
        return dev[u + U_IER], False
    if reg == 2:
        ret = dev[u + U_IIR]
        if (ret & 0x0F) == IIR_THRI:
            dev[u + U_THR_IP] = 0
        return ret, False
    if reg == 3:
        return dev[u + U_LCR], False
    if reg == 4:
        return dev[u + U_MCR], False
    if reg == 5:
        ret = dev[u + U_LSR]
        if dev[u + U_LSR] & (LSR_BI | LSR_OE):
            dev[u + U_LSR] &= ~(LSR_BI | LSR_OE)
        return ret, False
    if reg == 6:
        mcr = dev[u + U_MCR]
        if mcr & MCR_LOOP:
            return ((mcr & 0x0C) << 4) | ((mcr & 0x02) << 3) | ((mcr & 0x01) << 5), False
        ret = dev[u + U_MSR]
        if ret & MSR_ANY_DELTA:
            dev[u + U_MSR] = ret & 0xF0
        return ret, False
    return dev[u + U_SCR], False


@njit(cache=True)
def uart_write(dev, u, reg, val, work, tx, txcap, txcounti):
    """Register write. Returns 0 done, 1 output buffer full (nothing changed: exit and retry)."""
    val &= 0xFF
    dlab = dev[u + U_LCR] & LCR_DLAB
    if reg == 0:
        if dlab:
            dev[u + U_DIV] = (dev[u + U_DIV] & 0xFF00) | val
            return 0
        loop = dev[u + U_MCR] & MCR_LOOP
        if not loop and work[txcounti] >= txcap:
            return 1
        dev[u + U_THR] = val
        if loop:
            if uart_can_receive_loop(dev, u):
                uart_receive_byte(dev, u, val)
        else:
            work[tx + work[txcounti]] = val
            work[txcounti] += 1
        dev[u + U_LSR] |= LSR_THRE | LSR_TEMT
        dev[u + U_THR_IP] = 1
        return 0
    if reg == 1:
        if dlab:
            dev[u + U_DIV] = (dev[u + U_DIV] & 0xFF) | (val << 8)
            return 0
        changed = (dev[u + U_IER] ^ val) & 0x0F
        dev[u + U_IER] = val & 0x0F
        if changed & IER_THRI:
            dev[u + U_THR_IP] = 1 if ((dev[u + U_IER] & IER_THRI) and (dev[u + U_LSR] & LSR_THRE)) else 0
        return 0
    if reg == 2:
        if (val ^ dev[u + U_FCR]) & FCR_FE:
            val |= FCR_XFR | FCR_RFR
        if val & FCR_RFR:
            dev[u + U_LSR] &= ~(LSR_DR | LSR_BI)
            dev[u + U_TIMEOUT_IP] = 0
            dev[u + U_RX_HEAD] = 0
            dev[u + U_RX_COUNT] = 0
        if val & FCR_XFR:
            dev[u + U_LSR] |= LSR_THRE
            dev[u + U_THR_IP] = 1
        val &= 0xC9
        dev[u + U_FCR] = val
        if val & FCR_FE:
            dev[u + U_IIR] |= IIR_FE
            t = val & 0xC0
            dev[u + U_RX_ITL] = 1 if t == 0 else (4 if t == 0x40 else (8 if t == 0x80 else 14))
        else:
            dev[u + U_IIR] &= ~IIR_FE
        return 0
    if reg == 3:
        dev[u + U_LCR] = val
        return 0
    if reg == 4:
        dev[u + U_MCR] = val & 0x1F
        return 0
    if reg == 7:
        dev[u + U_SCR] = val
    return 0


@njit(cache=True)
def uart_can_receive_loop(dev, u):
    if dev[u + U_FCR] & FCR_FE:
        return True
    return True
