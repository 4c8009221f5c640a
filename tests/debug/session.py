"""Running graphsim with its GDB stub as a subprocess, and driving it with Debian's
gdb-multiarch in batch mode or with a raw protocol client."""

from __future__ import annotations

import re
import socket
import subprocess
import sys
from dataclasses import dataclass

import pytest

from tests.conftest import CONFIGS, ROOT, need_tool

GUESTS = ROOT / "assets" / "guest" / "build"
DEMO = GUESTS / "gdb_demo.elf"
GDB = "gdb-multiarch"
TIMEOUT = 600  # (a cold numba compile of a CPU model takes minutes on a loaded machine)


def need_gdb():
    """Skips without gdb-multiarch, but fails under CI, where scripts/setup.sh installs it."""
    need_tool(GDB, "gdb-multiarch")


@dataclass
class Finished:
    returncode: int
    stdout: str
    stderr: str

    def digest(self) -> str:
        return re.search(r"digest ([0-9a-f]{64})$", self.stdout, re.M).group(1)


class Graphsim:
    """`graphsim run|restore ... --gdb 0` in the background; `port` once it listens."""

    @staticmethod
    def python_cli() -> list[str]:
        return [sys.executable, "-m", "graphsim.cli"]

    def __init__(self, *args, wait=True, config="virt-rv64.toml", kernel=DEMO, command="run", env=None):
        argv = [*self.python_cli(), command]
        if command == "run":
            argv += [str(CONFIGS / config)] + (["--kernel", str(kernel)] if kernel is not None else [])
        argv += [*args, "--gdb", "0", "--digest"]
        if wait:
            argv.append("--wait-gdb")
        self.proc = subprocess.Popen(argv, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
        self.head = []
        for line in self.proc.stderr:
            self.head.append(line)
            found = re.search(r"gdb stub listening on 127\.0\.0\.1:(\d+)", line)
            if found:
                self.port = int(found.group(1))
                break
        else:
            raise AssertionError("graphsim did not start its gdb stub:\n" + "".join(self.head))

    def finish(self, timeout=TIMEOUT) -> Finished:
        out, err = self.proc.communicate(timeout=timeout)
        return Finished(self.proc.returncode, out, "".join(self.head) + err)

    def kill(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.communicate()


def gdb(sim: Graphsim, *commands, elf=DEMO, arch=None) -> str:
    """gdb-multiarch -batch: load elf's symbols, attach to sim, run commands; returns its output."""
    need_gdb()
    argv = [GDB, "-nx", "-batch", "-ex", "set pagination off", "-ex", "set confirm off"]
    if arch:
        argv += ["-ex", f"set architecture {arch}"]
    if elf is not None:
        # The guests' sources, wherever the ELF was built (its DW_AT_comp_dir names the build's tree).
        argv += ["-ex", f"directory {GUESTS.parent}", "-ex", f"file {elf}"]
    argv += ["-ex", f"target remote 127.0.0.1:{sim.port}"]
    for command in commands:
        argv += ["-ex", command]
    result = subprocess.run(argv, cwd=ROOT, capture_output=True, text=True, timeout=TIMEOUT)
    return result.stdout + result.stderr


def plain_run(*args, config="virt-rv64.toml", kernel=DEMO) -> Finished:
    """The same run without a debugger."""
    argv = [sys.executable, "-m", "graphsim.cli", "run", str(CONFIGS / config), "--kernel", str(kernel),
            *args, "--digest"]
    result = subprocess.run(argv, cwd=ROOT, capture_output=True, text=True, timeout=TIMEOUT)
    return Finished(result.returncode, result.stdout, result.stderr)


def checksum(body: bytes) -> bytes:
    return b"%02x" % (sum(body) & 0xFF)


class RawClient:
    """A minimal remote-protocol client for what GDB never sends (broken packets, raw steps)."""

    def __init__(self, port: int):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=30)
        self.buf = b""

    def send_raw(self, data: bytes):
        self.sock.sendall(data)

    def _byte(self) -> int:
        if not self.buf:
            data = self.sock.recv(65536)
            if not data:
                raise EOFError("the stub closed the connection")
            self.buf = data
        b, self.buf = self.buf[0], self.buf[1:]
        return b

    def ack(self) -> bytes:
        """The next acknowledgement character (b'+' or b'-')."""
        return bytes([self._byte()])

    def reply(self) -> str:
        """The next packet's body (checked and acknowledged)."""
        while self._byte() != ord("$"):
            pass
        body = bytearray()
        while (b := self._byte()) != ord("#"):
            body.append(b)
        sent = bytes([self._byte(), self._byte()])
        assert sent == checksum(bytes(body)), (sent, body)
        self.sock.sendall(b"+")
        return body.decode("latin-1")

    def reply_noack(self) -> str:
        """The next packet's body in no-ack mode."""
        while self._byte() != ord("$"):
            pass
        body = bytearray()
        while (b := self._byte()) != ord("#"):
            body.append(b)
        self._byte(), self._byte()
        return body.decode("latin-1")

    def command(self, body: str) -> str:
        data = body.encode("latin-1")
        self.sock.sendall(b"$" + data + b"#" + checksum(data))
        assert self.ack() == b"+"
        return self.reply()

    def send_only(self, body: str):
        data = body.encode("latin-1")
        self.sock.sendall(b"$" + data + b"#" + checksum(data))
        assert self.ack() == b"+"

    def close(self):
        self.sock.close()
