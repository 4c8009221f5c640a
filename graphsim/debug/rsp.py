"""GDB remote serial protocol framing: `$body#cs` packets, acks, the interrupt byte.

A `Connection` wraps one client socket. While the machine is stopped the stub
reads packets with `read_packet()` (blocking); while it runs it calls
`poll_interrupt()` between slices, which never blocks. Nothing a client sends
can raise anything but `Disconnected`: a packet with a bad checksum is NAKed
(or dropped in no-ack mode), an over-long packet drops the connection, and
garbage between packets is skipped.
"""

from __future__ import annotations

import select
import socket

MAX_PACKET = 0x4000  # PacketSize advertised in qSupported (bytes of packet body)
INTERRUPT = 0x03


class Disconnected(Exception):
    """The client went away (or sent something that ends the conversation)."""


def checksum(data: bytes) -> int:
    return sum(data) & 0xFF


def escape_binary(data: bytes) -> bytes:
    """Binary data in a reply (qXfer): '#', '$', '}' and '*' are sent as '}' + (byte ^ 0x20)."""
    out = bytearray()
    for b in data:
        if b in b"#$}*":
            out += bytes((0x7D, b ^ 0x20))
        else:
            out.append(b)
    return bytes(out)


def unescape_binary(data: bytes) -> bytes:
    """The data of a binary packet (X): '}' escapes the next byte (xor 0x20)."""
    out = bytearray()
    it = iter(data)
    for b in it:
        if b == 0x7D:
            nxt = next(it, None)
            if nxt is None:
                raise ValueError("escape character at the end of the data")
            out.append(nxt ^ 0x20)
        else:
            out.append(b)
    return bytes(out)


class Connection:
    def __init__(self, sock: socket.socket):
        self.sock = sock
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.buf = bytearray()
        self.ack = True  # until QStartNoAckMode
        self.interrupted = False  # a 0x03 arrived (while stopped or between packets)

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass

    # --- reading ---------------------------------------------------------------
    def _fill(self, block: bool) -> bool:
        """Read what is available (block: wait for at least one byte). False if nothing came."""
        if not block:
            ready, _, _ = select.select([self.sock], [], [], 0)
            if not ready:
                return False
        try:
            data = self.sock.recv(65536)
        except (ConnectionError, OSError) as exc:
            raise Disconnected(str(exc)) from None
        if not data:
            raise Disconnected("the client closed the connection")
        self.buf += data
        return True

    def poll_interrupt(self) -> bool:
        """While running: True if the client sent the interrupt byte. Other bytes stay buffered."""
        while self._fill(False):
            pass
        if INTERRUPT in self.buf:
            del self.buf[:self.buf.index(INTERRUPT) + 1]
            return True
        return False

    def read_packet(self) -> bytes:
        """The next well-formed packet's body (acknowledged). Blocks until one arrives."""
        while True:
            start = self.buf.find(b"$")
            if INTERRUPT in self.buf[:start if start >= 0 else len(self.buf)]:
                self.interrupted = True
            if start < 0:
                self.buf.clear()
                self._fill(True)
                continue
            del self.buf[:start]
            end = self.buf.find(b"#")
            restart = self.buf.find(b"$", 1)
            if restart >= 0 and (end < 0 or restart < end):
                del self.buf[:restart]  # a packet started before this one ended: it was cut off
                continue
            if end < 0 or len(self.buf) < end + 3:
                if len(self.buf) > MAX_PACKET + 4:
                    raise Disconnected("packet longer than the advertised PacketSize")
                self._fill(True)
                continue
            body = bytes(self.buf[1:end])
            sent = bytes(self.buf[end + 1:end + 3])
            del self.buf[:end + 3]
            try:
                good = int(sent, 16) == checksum(body)
            except ValueError:
                good = False
            if not good:
                if self.ack:
                    self._send_raw(b"-")
                continue
            if self.ack:
                self._send_raw(b"+")
            return body

    # --- writing ---------------------------------------------------------------
    def _send_raw(self, data: bytes):
        try:
            self.sock.sendall(data)
        except (ConnectionError, OSError) as exc:
            raise Disconnected(str(exc)) from None

    def send_packet(self, body: bytes | str):
        if isinstance(body, str):
            body = body.encode("latin-1")
        packet = b"$" + body + b"#%02x" % checksum(body)
        for _attempt in range(3):
            self._send_raw(packet)
            if not self.ack:
                return
            if self._await_ack():
                return
        raise Disconnected("the client did not acknowledge a packet three times")

    def _await_ack(self) -> bool:
        while True:
            while not self.buf:
                ready, _, _ = select.select([self.sock], [], [], 5.0)
                if not ready:
                    raise Disconnected("no acknowledgement from the client within 5 s")
                self._fill(True)
            b = self.buf[0]
            if b == ord("+"):
                del self.buf[0]
                return True
            if b == ord("-"):
                del self.buf[0]
                return False
            if b == INTERRUPT:
                self.interrupted = True
                del self.buf[0]
                continue
            return True  # a new packet instead of an ack: GDB considers the reply received
