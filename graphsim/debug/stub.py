"""The GDB remote stub: a TCP server that lets GDB stop, inspect and drive a
running Machine (any CPU model, RV64 or RV32, harts as threads).

How it runs (docs/gdb.md):
  * The runner (graphsim/sim/runner.py) owns the loop. While the machine runs,
    `poll()` is called between kernel slices: it accepts a client (which stops
    the machine, as attaching to QEMU does) and notices Ctrl-C (the 0x03 byte).
  * Breakpoints, watchpoints and single steps are stops *inside* the compiled
    kernel (Core.set_debug, kernel.debug_before/debug_watch): armed only while
    GDB has something inserted or is stepping, so a run without them executes
    exactly the code it does without a debugger. Watchpoints are set on the
    physical bytes their virtual range maps to when the machine resumes.
  * While stopped, `serve_stop()` answers packets; simulated time stands still.
    GDB reads and writes change state only where GDB asks.
"""

from __future__ import annotations

import socket
import sys

from ..cpu import layout as L
from ..errors import GraphsimError
from ..isa import state as S
from ..sim.machine import Stop
from .rsp import MAX_PACKET, Connection, Disconnected, escape_binary, unescape_binary
from .target import DebugError, DebugTarget

SIGINT = 2
SIGTRAP = 5
WATCH_TYPES = {2: ("watch", 2), 3: ("rwatch", 1), 4: ("awatch", 3)}  # Z type -> stop reply key, kernel kind
MAX_MEMORY = (MAX_PACKET - 16) // 2  # bytes in one m reply
MONITOR_HELP = """monitor commands:
  icount                 instructions executed, in total and per hart
  stats                  the statistics as a stats.txt dump would show them now
  phys ADDR LEN          physical memory (RAM only), hex dump (LEN <= 4096)
  checkpoint [NAME]      a checkpoint at the current instruction, in the run's library
"""


def parse_listen_address(text: str) -> tuple[str, int]:
    """`[HOST:]PORT` -> (host, port); the host defaults to 127.0.0.1 (loopback only)."""
    host, sep, port = text.rpartition(":")
    if not sep:
        host = "127.0.0.1"
    try:
        number = int(port)
    except ValueError:
        number = -1
    if not 0 <= number <= 65535 or (sep and not host):
        raise GraphsimError(f"--gdb {text!r}: expected [HOST:]PORT, e.g. 1234 or 127.0.0.1:1234 (0: any free port)")
    return host, number


class GdbStub:
    def __init__(self, machine, address: str, take_checkpoint=None, log=sys.stderr):
        """``take_checkpoint(name) -> (id, seconds)`` serves `monitor checkpoint` (None: not offered)."""
        host, port = parse_listen_address(address)
        self.machine = machine
        self.target = DebugTarget(machine)
        self.take_checkpoint = take_checkpoint
        self.log = log
        try:
            self.server = socket.create_server((host, port), reuse_port=False)
        except OSError as exc:
            raise GraphsimError(f"--gdb {address}: cannot listen on {host}:{port} ({exc.strerror or exc})") from None
        self.server.setblocking(False)
        self.host, self.port = self.server.getsockname()[:2]
        self.conn: Connection | None = None
        self.breakpoints: dict[int, int] = {}  # address -> Z type (0 software, 1 hardware)
        self.watchpoints: dict[tuple[int, int, int], None] = {}  # (address, length, Z type), in insertion order
        self.g_hart = 0  # Hg: hart whose registers and memory GDB reads
        self.c_hart = -1  # Hc: hart 's' steps (-1: the current one)
        self.stop_reply = f"T{SIGTRAP:02x}thread:1;"
        self.event_hart = 0
        self._attaching = False
        self._armed = None
        self._watch_pieces: list[tuple[int, int, int, int]] = []
        machine.debugger = self
        print(f"[graphsim] gdb stub listening on {self.host}:{self.port}", file=log, flush=True)

    # --- the runner's side --------------------------------------------------------
    def wait_for_client(self) -> str:
        """--wait-gdb: block until a client attaches, then serve it; returns serve_stop's action."""
        print("[graphsim] waiting for gdb to attach before the first instruction", file=self.log, flush=True)
        self.server.setblocking(True)
        try:
            sock, _ = self.server.accept()
        finally:
            self.server.setblocking(False)
        self._attach(sock)
        return self.serve_stop()

    def poll(self) -> Stop | None:
        """Between slices while running: a new client or Ctrl-C stops the machine."""
        if self.conn is None:
            try:
                sock, _ = self.server.accept()
            except (BlockingIOError, InterruptedError):
                return None
            self._attach(sock)
            return Stop("debug", detail="attach")
        try:
            interrupted = self.conn.poll_interrupt()
        except Disconnected:
            self._drop()
            return None
        if interrupted:
            self._stopped(SIGINT, self.g_hart)
            return Stop("debug", detail="interrupt")
        return None

    def on_core_stop(self, event) -> Stop:
        """The kernel stopped for the debugger (Machine._handle): remember the stop reply."""
        self.machine.core.set_debug()
        extra = ""
        if event.value == L.DBG_WATCH:
            addr = event.paddr & ((1 << self.target.xlen) - 1)
            extra = self._watch_reply(addr, event.size)
        self._stopped(SIGTRAP, event.hart, extra)
        return Stop("debug", detail={L.DBG_BREAKPOINT: "breakpoint", L.DBG_STEP: "step"}.get(event.value, "watch"))

    def serve_stop(self) -> str:
        """The machine is stopped: talk to GDB until it resumes ("resume") or kills ("kill")."""
        self.machine.core.set_debug()
        self._armed = None
        if self.conn is None:
            return "resume"
        try:
            if not self._attaching:
                self.conn.send_packet(self.stop_reply)
            self._attaching = False
            while True:
                reply, action = self.handle(self.conn.read_packet())
                if reply is not None:
                    self.conn.send_packet(reply)
                if action == "kill":
                    self._drop()
                    return "kill"
                if action == "detach":
                    self._drop()
                    return "resume"
                if action is not None:
                    self._arm(action)
                    return "resume"
                if self.conn.interrupted:  # a Ctrl-C while stopped means nothing
                    self.conn.interrupted = False
        except Disconnected as exc:
            print(f"[graphsim] gdb disconnected ({exc}); the run continues", file=self.log, flush=True)
            self._drop()
            return "resume"

    def finish(self, stop: Stop):
        """The run ended: tell a connected GDB the program exited, stop listening."""
        if self.conn is not None:
            try:
                self.conn.send_packet(f"W{stop.exit_code & 0xFF:02x}")
            except Disconnected:
                pass
            self._drop()
        self.server.close()
        self.machine.debugger = None

    # --- connection state -----------------------------------------------------------
    def _attach(self, sock):
        self.conn = Connection(sock)
        self._attaching = True  # GDB asks '?' first: no unsolicited stop reply
        self._stopped(SIGTRAP, 0)
        print("[graphsim] gdb attached", file=self.log, flush=True)

    def _drop(self):
        """The client is gone (detach, kill or disconnect): everything it inserted goes with it."""
        if self.conn is not None:
            self.conn.close()
        self.conn = None
        self.breakpoints.clear()
        self.watchpoints.clear()
        self.machine.core.set_debug()

    def _stopped(self, signal: int, hart: int, extra: str = ""):
        self.event_hart = hart
        self.g_hart = hart
        self.stop_reply = f"T{signal:02x}{extra}thread:{hart + 1:x};"

    def _watch_reply(self, paddr: int, access: int) -> str:
        """The stop reply's `watch:ADDR` for a hit at physical paddr (GDB wants the virtual address)."""
        for pa, length, ztype, va in self._watch_pieces:
            key, kind = WATCH_TYPES[ztype]
            if kind & access and pa <= paddr < pa + length:
                return f"{key}:{va + paddr - pa:x};"
        return f"awatch:{paddr:x};"

    def _physical_watches(self) -> list[tuple[int, int, int, int]]:
        """Each watchpoint's virtual range as (physical address, length, Z type, virtual address)
        pieces, one per page, through the current translation of the hart GDB looks at."""
        pieces = []
        for (va, length, ztype) in self.watchpoints:
            try:
                mapped = list(self.target.physical_pieces(self.g_hart, va, length))
            except DebugError:
                continue  # unmapped now (it was when inserted): it cannot trigger until GDB re-inserts it
            for pa, n in mapped:
                pieces.append((pa, n, ztype, va))
                va += n
        return pieces

    def _arm(self, step_hart: int):
        """Resume: arm the kernel's stops (step_hart >= 0: stop after that hart's next instruction)."""
        core = self.machine.core
        harts = core.harts
        skip = {self.event_hart: int(harts[self.event_hart, S.ICOUNT])}
        if step_hart >= 0:
            skip[step_hart] = int(harts[step_hart, S.ICOUNT])
        self._watch_pieces = self._physical_watches()
        watches = [(pa, n, WATCH_TYPES[t][1]) for (pa, n, t, _va) in self._watch_pieces]
        self._armed = (list(self.breakpoints), watches, step_hart,
                       int(harts[step_hart, S.ICOUNT]) + 1 if step_hart >= 0 else 0, skip)
        core.set_debug(*self._armed)

    def after_switch(self):
        """switch_cpu built a new core: arm its kernel as the old one was."""
        if self.conn is not None and self._armed is not None:
            self.machine.core.set_debug(*self._armed)

    # --- packets ---------------------------------------------------------------------
    def handle(self, packet: bytes):
        """One packet -> (reply or None, action): action None (stay stopped), a hart index to
        step or -1 to continue, "detach" or "kill"."""
        try:
            text = packet.decode("latin-1")
            return self._dispatch(text, packet)
        except DebugError:
            return "E0e", None
        except (ValueError, IndexError, KeyError, OverflowError):
            return "E01", None
        except Exception as exc:  # a bug in the stub must not end the simulation: say so, answer an error
            print(f"[graphsim] gdb packet {packet[:40]!r} failed: {type(exc).__name__}: {exc}", file=self.log)
            return "E01", None

    def _dispatch(self, text: str, packet: bytes):
        if not text:
            return "", None
        cmd = text[0]
        t = self.target
        if cmd == "?":
            return self.stop_reply, None
        if cmd == "q" or cmd == "Q":
            return self._query(text), None
        if cmd == "H":
            tid = int(text[2:], 16) if text[2:] not in ("-1", "") else -1
            hart = tid - 1 if tid > 0 else -1
            if hart >= t.nharts:
                return "E02", None
            if text[1] == "g":
                self.g_hart = hart if hart >= 0 else self.g_hart
            else:
                self.c_hart = hart
            return "OK", None
        if cmd == "T":
            return ("OK" if 1 <= int(text[1:], 16) <= t.nharts else "E02"), None
        if cmd == "g":
            return t.general_registers(self.g_hart).hex(), None
        if cmd == "G":
            return ("OK" if t.write_general_registers(self.g_hart, bytes.fromhex(text[1:])) else "E01"), None
        if cmd == "p":
            value = t.read_register(self.g_hart, int(text[1:], 16))
            return (value.hex() if value is not None else "E01"), None
        if cmd == "P":
            regnum, _, value = text[1:].partition("=")
            return ("OK" if t.write_register(self.g_hart, int(regnum, 16), bytes.fromhex(value)) else "E01"), None
        if cmd == "m":
            addr, length = (int(v, 16) for v in text[1:].split(","))
            if length > MAX_MEMORY:
                return "E01", None
            return t.read_memory(self.g_hart, addr, length).hex(), None
        if cmd == "M":
            where, _, data = text[1:].partition(":")
            addr, length = (int(v, 16) for v in where.split(","))
            raw = bytes.fromhex(data)
            if len(raw) != length:
                return "E01", None
            t.write_memory(self.g_hart, addr, raw)
            return "OK", None
        if cmd == "X":
            colon = packet.index(b":")
            addr, length = (int(v, 16) for v in packet[1:colon].decode().split(","))
            raw = unescape_binary(packet[colon + 1:])
            if len(raw) != length:
                return "E01", None
            if length:
                t.write_memory(self.g_hart, addr, raw)
            return "OK", None
        if cmd in "Zz":
            return self._breakpoint(text), None
        if cmd in "cs" and len(text) > 1:  # resume at another address
            t.write_register(self._step_hart(), 32, int(text[1:], 16).to_bytes(t.xlen // 8, "little"))
        if cmd == "c":
            return None, -1
        if cmd == "s":
            return None, self._step_hart()
        if cmd == "v":
            return self._v_packet(text)
        if cmd == "D":
            return "OK", "detach"
        if cmd == "k":
            return None, "kill"
        return "", None

    def _step_hart(self) -> int:
        return self.c_hart if self.c_hart >= 0 else self.g_hart

    def _v_packet(self, text: str):
        if text == "vCont?":
            return "vCont;c;C;s;S", None
        if text.startswith("vCont;"):
            step = -1
            for action in text[6:].split(";"):
                verb, _, thread = action.partition(":")
                if verb[:1] in ("s", "S"):
                    step = int(thread, 16) - 1 if thread and thread != "-1" else self._step_hart()
                    if not 0 <= step < self.target.nharts:
                        return "E02", None
                    break
            return None, step
        if text.startswith("vKill"):
            return "OK", "kill"
        return "", None  # vMustReplyEmpty and anything unknown

    def _breakpoint(self, text: str) -> str:
        ztype, addr, length = text[1:].split(";")[0].split(",")[:3]
        ztype, addr, length = int(ztype), int(addr, 16), int(length, 16)
        insert = text[0] == "Z"
        if ztype in (0, 1):
            if insert:
                if addr not in self.breakpoints and len(self.breakpoints) >= L.DBG_MAX_BP:
                    return "E1c"  # ENOSPC
                self.breakpoints[addr] = ztype
            else:
                self.breakpoints.pop(addr, None)
            return "OK"
        if ztype in WATCH_TYPES:
            if length <= 0:
                return "E16"
            key = (addr, length, ztype)
            if insert:
                if key not in self.watchpoints and len(self.watchpoints) >= L.DBG_MAX_WP // 2:
                    return "E1c"  # (half the table: a range may take two pages)
                list(self.target.physical_pieces(self.g_hart, addr, length))  # mapped now (else DebugError: E0e)
                self.watchpoints[key] = None
            else:
                self.watchpoints.pop(key, None)
            return "OK"
        return ""

    def _query(self, text: str) -> str:
        t = self.target
        name = text.split(":")[0].split(",")[0]
        if name == "qSupported":
            return (f"PacketSize={MAX_PACKET:x};qXfer:features:read+;QStartNoAckMode+;vContSupported+")
        if name == "QStartNoAckMode":
            self.conn.send_packet("OK")
            self.conn.ack = False
            return None
        if name == "qXfer":
            parts = text.split(":")
            if parts[1:3] != ["features", "read"] or parts[3] != "target.xml":
                return "E00"
            offset, length = (int(v, 16) for v in parts[4].split(","))
            data = t.target_xml()
            chunk = data[offset:offset + min(length, MAX_MEMORY)]
            more = offset + len(chunk) < len(data)
            return ("m" if more else "l") + escape_binary(chunk).decode("latin-1")
        if name == "qAttached":
            return "1"
        if name == "qC":
            return f"QC{self.g_hart + 1:x}"
        if name == "qfThreadInfo":
            return "m" + ",".join(f"{h + 1:x}" for h in range(t.nharts))
        if name == "qsThreadInfo":
            return "l"
        if name == "qThreadExtraInfo":
            hart = int(text.split(",")[1], 16) - 1
            mode = {0: "U", 1: "S", 3: "M"}[int(self.machine.core.harts[hart, S.PRIV])]
            cpu = self.machine.cpus[hart]
            return f"hart {cpu.hartid} ({cpu.name}, {mode}-mode)".encode().hex()
        if name == "qSymbol":
            return "OK"
        if name == "qRcmd":
            return self._monitor(bytes.fromhex(text.split(",", 1)[1]).decode("utf-8", "replace").strip())
        return ""

    # --- monitor commands ---------------------------------------------------------------
    def _monitor(self, command: str) -> str:
        words = command.split()
        m = self.machine
        if not words or words[0] == "help":
            out = MONITOR_HELP
        elif words[0] == "icount":
            per = ", ".join(f"{cpu.name} {m.hart_instret(h):,}" for h, cpu in enumerate(m.cpus))
            out = f"icount {m.instret} ({per}); tick {m.tick}\n"
        elif words[0] == "stats":
            out = m.stats("gdb monitor stats").text()
        elif words[0] == "phys" and len(words) == 3:
            addr, length = int(words[1], 0), int(words[2], 0)
            if not 0 < length <= 4096:
                return "E16"
            data = self.target.read_physical(addr, length)
            out = "".join(f"{addr + i:#010x}: {data[i:i + 16].hex(' ')}\n" for i in range(0, length, 16))
        elif words[0] == "checkpoint" and len(words) <= 2:
            if self.take_checkpoint is None:
                out = "checkpoints are not available in this run\n"
            else:
                cpt_id, seconds = self.take_checkpoint(words[1] if len(words) == 2 else "")
                out = f"checkpoint {cpt_id} at {m.instret:,} insts in {seconds:.3f} s\n"
        else:
            out = f"unknown monitor command {command!r}\n" + MONITOR_HELP
        return out.encode().hex()
