"""The stub's side of the remote protocol, driven by a raw client: what GDB never sends
(broken packets, disconnects, huge requests) must end in an error reply or a dropped
connection, never a crashed simulation; and the protocol's own single step ('vCont;s',
which GDB does not use on RISC-V: it steps with breakpoints) stops after exactly one
instruction, at the trap vector when the instruction traps."""

from __future__ import annotations

import os
import subprocess
import sys
import time

import pytest

from graphsim.debug.rsp import escape_binary, unescape_binary
from graphsim.debug.stub import parse_listen_address
from graphsim.errors import GraphsimError
from tests.conftest import CONFIGS, ROOT
from tests.debug.session import DEMO, GUESTS, Graphsim, RawClient, checksum
from tests.debug.test_gdb import DEMO_OUTPUT, symbol

XLEN_BYTES = 8


def reg(value: str) -> int:
    return int.from_bytes(bytes.fromhex(value), "little")


@pytest.fixture
def stopped():
    """graphsim waiting before the first instruction, a raw client attached."""
    sim = Graphsim()
    client = RawClient(sim.port)
    yield sim, client
    client.close()
    sim.kill()


def finish_normally(sim: Graphsim):
    done = sim.finish()
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith(DEMO_OUTPUT)
    assert "Traceback" not in done.stderr


def test_bad_checksums_and_malformed_packets_get_naks_and_errors(stopped):
    sim, c = stopped
    c.send_raw(b"$g#00")
    assert c.ack() == b"-"
    c.send_raw(b"$g#zz")
    assert c.ack() == b"-"
    c.send_raw(b"garbage before a packet $?#3f")
    assert c.ack() == b"+" and c.reply() == "T05thread:1;"
    assert c.command("mzz,4") == "E01"
    assert c.command("m80000000") == "E01"
    assert c.command("pzz") == "E01"
    assert c.command("p99999") == "E01"
    assert c.command("P20=1234") == "E01"  # pc is 8 bytes
    assert c.command("Z0,80000000") == "E01"
    assert c.command("Hg99") == "E02"
    assert c.command("vCont;s:63") == "E02"
    assert c.command("qThreadExtraInfo,9") == "E01"
    assert c.command("qRcmd,zz") == "E01"
    assert c.command("qXfer:features:read:other.xml:0,100") == "E00"
    assert c.command("unknown-packet") == ""
    assert c.command("vMustReplyEmpty") == ""
    assert c.command("?") == "T05thread:1;"  # still alive and stopped where it was
    c.send_only("c")
    finish_normally(sim)


def test_huge_requests_are_refused(stopped):
    sim, c = stopped
    assert c.command("m80000000,ffffffff") == "E01"
    assert c.command("m80000000,ffffffffffffffffffff") == "E01"
    assert c.command("qRcmd," + b"phys 0x80000000 0x10000000".hex()) == "E16"
    assert len(c.command("m80000000,1000")) == 2 * 0x1000
    c.send_raw(b"$" + b"M80000000,1:" + b"0" * 0x5000)  # longer than PacketSize, never terminated
    with pytest.raises(EOFError):
        c.reply()  # the stub drops the connection; the run continues as after a detach
    finish_normally(sim)


def test_a_client_vanishing_mid_packet_leaves_the_run_going(stopped):
    sim, c = stopped
    assert c.command("Z0,%x,2" % symbol("middle")) == "OK"
    c.send_raw(b"$m80000000,")
    c.close()
    finish_normally(sim)  # the breakpoint went with the client


def test_memory_outside_ram_and_unmapped_is_refused_without_side_effects(stopped):
    sim, c = stopped
    assert c.command("m10000000,1") == "E0e"  # the UART: reading its receive register would consume input
    assert c.command("M10000000,1:41") == "E0e"
    assert c.command("m0,8") == "E0e"
    assert c.command("qRcmd," + b"phys 0x2000000 8".hex()) == "E0e"
    data = bytes(range(0x20, 0x30)) + b"#$}*"
    addr = symbol("watched_counter")
    packet = b"X%x,%x:" % (addr, len(data)) + escape_binary(data)
    c.send_raw(b"$" + packet + b"#" + checksum(packet))
    assert c.ack() == b"+" and c.reply() == "OK"
    assert bytes.fromhex(c.command("m%x,%x" % (addr, len(data)))) == data
    assert c.command("X%x,0:" % addr) == "OK"
    assert c.command("M%x,8:0000000000000000" % addr) == "OK"
    assert c.command("M%x,4:0000000000000000" % (addr + 8)) == "E01"  # length and data disagree
    assert c.command("M%x,14:%s" % (addr + 8, "00" * 20)) == "OK"
    c.send_only("c")
    finish_normally(sim)


def test_single_step_stops_after_one_instruction_and_at_the_trap_vector(stopped):
    sim, c = stopped
    main, load, vector = symbol("main"), symbol("faulting_load"), symbol("_mtrap_entry")
    assert c.command("Z0,%x,4" % load) == "OK"
    assert c.command("vCont;c") == "T05thread:1;"
    assert reg(c.command("p20")) == load
    assert c.command("z0,%x,4" % load) == "OK"
    assert c.command("vCont;s:1") == "T05thread:1;"
    assert reg(c.command("p20")) == vector
    assert reg(c.command("p%x" % (65 + 0x342))) == 5  # mcause: load access fault
    assert reg(c.command("p%x" % (65 + 0x341))) == load  # mepc
    assert c.command("Z0,%x,2" % main) == "OK"
    c.command("D")
    finish_normally(sim)  # detached: the breakpoint at main is gone, the run completes


def test_step_over_a_compressed_instruction_and_from_a_breakpoint(stopped):
    sim, c = stopped
    main = symbol("main")
    assert c.command("Z1,%x,2" % main) == "OK"
    assert c.command("c") == "T05thread:1;"
    assert reg(c.command("p20")) == main
    assert c.command("s") == "T05thread:1;"  # from the breakpoint (still inserted): one instruction
    assert reg(c.command("p20")) == main + 2
    icount = c.command("qRcmd," + b"icount".hex())
    assert bytes.fromhex(icount).decode().startswith("icount ")
    c.send_only("k")
    done = sim.finish()
    assert done.returncode == 0 and "killed from gdb" in done.stderr


def test_ctrl_c_and_attaching_to_a_running_machine():
    # (on the interpreter: with the block compiler sieve_long ends in < 1 s, before the client attaches)
    sim = Graphsim("--quiet", kernel=GUESTS / "sieve_long.elf", wait=False, env={**os.environ, "GRAPHSIM_JIT": "0"})
    try:
        time.sleep(1.0)
        c = RawClient(sim.port)  # attaching stops the machine
        assert c.command("qSupported:multiprocess+;swbreak+") .startswith("PacketSize=")
        assert c.command("?") == "T05thread:1;"
        first = reg(c.command("p%x" % (65 + 0xB02)))  # minstret
        c.send_only("vCont;c")
        time.sleep(0.5)
        c.send_raw(b"\x03")
        assert c.reply() == "T02thread:1;"
        assert reg(c.command("p%x" % (65 + 0xB02))) > first
        assert c.command("QStartNoAckMode") == "OK"
        c.sock.sendall(b"$?#3f")  # no acks from here on
        assert c.reply_noack() == "T02thread:1;"
        c.sock.sendall(b"$vKill;1#6e")
        assert c.reply_noack() == "OK"
        done = sim.finish()
        assert done.returncode == 0 and "killed from gdb" in done.stderr
    finally:
        sim.kill()


def test_listen_address_and_option_errors(tmp_path):
    assert parse_listen_address("1234") == ("127.0.0.1", 1234)
    assert parse_listen_address("0.0.0.0:0") == ("0.0.0.0", 0)
    for bad in ("x", "70000", ":12", "host:port"):
        with pytest.raises(GraphsimError, match="expected \\[HOST:\\]PORT"):
            parse_listen_address(bad)
    for args, message in ((["--wait-gdb"], "--wait-gdb needs --gdb"), (["--gdb", "nope"], "--gdb 'nope'")):
        result = subprocess.run([sys.executable, "-m", "graphsim.cli", "run", str(CONFIGS / "virt-rv64.toml"),
                                 "--kernel", str(DEMO), "--outdir", str(tmp_path), *args],
                                cwd=ROOT, capture_output=True, text=True, timeout=60)
        assert result.returncode != 0 and message in result.stderr and "Traceback" not in result.stderr


def test_binary_escapes_round_trip():
    data = bytes(range(256))
    assert unescape_binary(escape_binary(data)) == data
    assert b"#" not in escape_binary(data) and b"$" not in escape_binary(data)


def test_linux_kernel_memory_through_its_sv39_page_tables():
    """Stop Linux (OpenSBI + kernel, configs/linux.toml) once it runs in S-mode with paging on (Sv57:
the hart offers Sv39/48/57, Linux takes the largest):
    the instruction bytes at the kernel's virtual pc, read through the stub's page walk, are
    the bytes of the kernel image (linked at 0xffffffff80000000, loaded at RAM + 2 MiB)."""
    image = (ROOT / "assets" / "linux" / "Image").read_bytes()
    sim = Graphsim("--quiet", "--max-insts", "60000000", config="linux-tiny.toml", kernel=None)
    try:
        c = RawClient(sim.port)
        assert c.command("?") == "T05thread:1;"
        seen = []
        # Interrupted every 50 ms: the tiny kernel runs in S-mode for some 20 M instructions (a
        # fraction of a second on a quiet host) between OpenSBI and the idle prompt.
        for _attempt in range(400):
            c.send_only("vCont;c")
            time.sleep(0.05)
            c.send_raw(b"\x03")
            reply = c.reply()
            if reply.startswith("W"):
                pytest.fail(f"Linux finished before it was caught in S-mode with paging on: {seen}")
            assert reply == "T02thread:1;"
            priv = reg(c.command("p%x" % (65 + 4096)))
            satp = reg(c.command("p%x" % (65 + 0x180)))
            pc = reg(c.command("p20"))
            seen.append((priv, hex(satp), hex(pc)))
            if priv == 1 and satp >> 60 in (8, 9, 10) and 0 <= pc - 0xFFFFFFFF80000000 <= len(image) - 16:
                break  # in kernel text (not in a module or the vmalloc area)
        else:
            pytest.fail("never caught Linux in S-mode with Sv39 on")
        offset = pc - 0xFFFFFFFF80000000
        assert bytes.fromhex(c.command("m%x,10" % pc)) == image[offset:offset + 16]
        physical = bytes.fromhex(c.command("qRcmd," + ("phys 0x%x 16" % (0x80200000 + offset)).encode().hex()))
        assert physical.decode().split(": ")[1].split() == [f"{b:02x}" for b in image[offset:offset + 16]]
        assert c.command("m0100000000000000,8") == "E0e"  # not a canonical address
        c.send_only("k")
        done = sim.finish()
        assert done.returncode == 0 and "killed from gdb" in done.stderr
    finally:
        sim.kill()
