"""The machine's console: where UART output goes and where UART input comes from.

Output fans out to sinks (the run's console.log, stdout, a PTY, a Unix socket)
and a bounded tail kept for checkpoints. Input comes from scripted text, from
"send this when the console shows that" rules, from the terminal (raw mode) or
from a PTY/socket peer. Scripted input is queued and fed as the UART's FIFO has
room; typed input is a host event, so runs that take it are not reproducible.
"""

from __future__ import annotations

import os
import re
import select
import socket
import sys
from dataclasses import dataclass

TAIL_BYTES = 64 * 1024


@dataclass
class SendRule:
    """Send ``text`` the first time the console output (since the previous rule fired) matches ``pattern``."""

    pattern: re.Pattern
    text: bytes


class Detached(KeyboardInterrupt):
    """The user left the attached console with Ctrl-] (the run stops as if interrupted)."""


class Console:
    def __init__(self):
        self.sinks: list = []
        self.tail = bytearray()
        self.written = 0  # bytes of output so far
        self.pending_input = bytearray()
        self.rules: list[SendRule] = []
        self._since_rule = bytearray()  # output the next rule is matched against
        self.interactive_fds: list[int] = []
        self._terminal = None
        self._socket_server: socket.socket | None = None
        self._socket_peer: socket.socket | None = None

    # --- output -------------------------------------------------------------

    def add_sink(self, sink):
        """Anything with write(bytes) and flush()."""
        self.sinks.append(sink)

    def write(self, data: bytes):
        if not data:
            return
        self.written += len(data)
        self.tail += data
        del self.tail[:-TAIL_BYTES]
        for sink in self.sinks:
            sink.write(data)
            sink.flush()
        if self._socket_peer is not None:
            try:
                self._socket_peer.sendall(data)
            except OSError:
                self._socket_peer = None
        if self.rules:
            self._since_rule += data
            del self._since_rule[:-TAIL_BYTES]
            while self.rules and self.rules[0].pattern.search(self._since_rule.decode("utf-8", "replace")):
                self.pending_input += self.rules.pop(0).text
                self._since_rule.clear()

    def tail_text(self, limit: int = 4096) -> str:
        return bytes(self.tail[-limit:]).decode("utf-8", "replace")

    # --- input --------------------------------------------------------------

    def feed(self, text: bytes):
        self.pending_input += text

    def send_when(self, pattern: str, text: bytes):
        self.rules.append(SendRule(re.compile(pattern), text))

    def attach_terminal(self):
        """Read the guest's input from stdin: a terminal is put in raw mode (Ctrl-] detaches);
        a pipe (the desktop app's QProcess) is read as it is."""
        fd = sys.stdin.fileno()
        if os.isatty(fd):
            import termios
            import tty

            self._terminal = (fd, termios.tcgetattr(fd))
            tty.setraw(fd)
        self.interactive_fds.append(fd)

    def open_pty(self) -> str:
        """A pseudo-terminal for the guest console; returns the name to attach to (e.g. with screen)."""
        master, slave = os.openpty()
        os.set_blocking(master, False)
        self.interactive_fds.append(master)
        self.add_sink(_FdSink(master))
        return os.ttyname(slave)

    def listen_unix(self, path: str):
        """Serve the console on a Unix socket (one peer at a time)."""
        if os.path.exists(path):
            os.unlink(path)
        server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        server.bind(path)
        server.listen(1)
        server.setblocking(False)
        self._socket_server = server

    def poll(self, timeout: float = 0.0) -> None:
        """Gather whatever interactive input is waiting (up to ``timeout`` seconds)."""
        fds = list(self.interactive_fds)
        if self._socket_server is not None:
            fds.append(self._socket_server.fileno())
        if self._socket_peer is not None:
            fds.append(self._socket_peer.fileno())
        if not fds:
            return
        ready, _, _ = select.select(fds, [], [], timeout)
        for fd in ready:
            if self._socket_server is not None and fd == self._socket_server.fileno():
                self._socket_peer, _ = self._socket_server.accept()
                continue
            try:
                data = os.read(fd, 4096)
            except OSError:
                data = b""
            if not data:  # end of input: stop watching this source
                if fd in self.interactive_fds:
                    self.interactive_fds.remove(fd)
                else:
                    self._socket_peer = None
                continue
            if self._terminal is not None and fd == self._terminal[0] and b"\x1d" in data:
                raise Detached  # Ctrl-] leaves the console, as in telnet
            self.pending_input += data

    @property
    def has_live_input(self) -> bool:
        return bool(self.interactive_fds or self._socket_server)

    def take_input(self, room: int) -> bytes:
        data = bytes(self.pending_input[:room])
        del self.pending_input[:room]
        return data

    def close(self):
        if self._terminal is not None:
            import termios

            fd, attrs = self._terminal
            termios.tcsetattr(fd, termios.TCSADRAIN, attrs)
            self._terminal = None
        for sink in self.sinks:
            if hasattr(sink, "close") and sink not in (sys.stdout.buffer,):
                sink.close()


class _FdSink:
    def __init__(self, fd: int):
        self.fd = fd

    def write(self, data: bytes):
        try:
            os.write(self.fd, data)
        except OSError:
            pass  # nobody attached to the PTY yet

    def flush(self):
        pass

    def close(self):
        pass


class TerminalSink:
    """stdout, translating bare newlines for a terminal in raw mode."""

    def __init__(self, raw: bool = False):
        self.out = sys.stdout.buffer
        self.raw = raw

    def write(self, data: bytes):
        if self.raw:
            data = data.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")
        self.out.write(data)

    def flush(self):
        self.out.flush()
