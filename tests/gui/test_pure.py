"""The GUI's pure-Python parts: columns from the index, the lineage forest, run commands, status lines,
settings with a schema version, findings in words."""

import dataclasses
import os
import json

from graphsim.checkpoint.compat import Finding
from graphsim.checkpoint.library import Entry
from gui import settings as settings_mod
from gui.catalog import COLUMN_STYLE, NOT_COLUMNS, build_forest, columns
from gui.runs import BootRequest, RestoreRequest, StatusParser, console_text
from gui.words import explain, verdict_line


def entry(cpt_id, parent="", **kw):
    values = {f.name: (0 if f.type == "int" else "") for f in dataclasses.fields(Entry)}
    values.update(id=cpt_id, name=cpt_id, parent=parent, **kw)
    return Entry(**values)


def test_columns_are_derived_from_the_index():
    keys = [c.key for c in columns()]
    assert keys[0] == "name"  # the tree column
    assert set(keys) == {f.name for f in dataclasses.fields(Entry)} - NOT_COLUMNS
    assert set(COLUMN_STYLE) <= {f.name for f in dataclasses.fields(Entry)}, "style for a field that is gone"
    by_key = {c.key: c for c in columns()}
    assert by_key["stored_bytes"].format(3 * 2**20) == "3.00 MiB"
    assert by_key["instret"].format(1234567) == "1,234,567" and by_key["instret"].align == "right"
    assert by_key["trigger"].format("inst:200000") == "instruction 200,000"
    assert by_key["trigger"].format("m5op:") == "m5op checkpoint"
    assert by_key["disks"].format("disk0:disk-a.img:0123456789ab") == "disk0 = disk-a.img"
    assert by_key["stored_bytes"].format(1219584) == "1.16 MiB"
    assert by_key["note"].editable


def test_a_new_index_field_becomes_a_column(monkeypatch):
    import gui.catalog as catalog

    Extended = dataclasses.make_dataclass("Extended", [("power_watts", int, 0)], bases=(Entry,))
    monkeypatch.setattr(catalog, "Entry", Extended)
    column = {c.key: c for c in catalog.columns()}["power_watts"]
    assert column.title == "Power watts" and column.numeric and column.format(1500) == "1,500"


def test_forest_orphans_and_damaged_at_the_top():
    entries = [entry("a"), entry("b", "a"), entry("c", "b"), entry("d", "gone"), entry("e", "a")]
    roots = build_forest(entries, {"x": "manifest.toml: not valid TOML"})
    assert [r.id for r in roots] == ["a", "d", "x"]
    a = roots[0]
    assert [c.id for c in a.children] == ["b", "e"] and a.children[0].children[0].id == "c"
    assert [c.row for c in a.children] == [0, 1] and roots[2].row == 2
    assert roots[2].entry is None and "not valid TOML" in roots[2].value("note")


def test_restore_command_line():
    request = RestoreRequest("cpt-1", "/lib", cpu="timing", config="/m.toml", disks={"disk0": "/b.img", "x": ""},
                             max_insts=1000, checkpoint_at_inst=[5, 6], checkpoint_on_console=["\\$ $"],
                             outdir="/runs/r1")
    args = request.argv()
    assert args[:6] == ["-m", "graphsim.cli", "restore", "cpt-1", "--library", "/lib"]
    joined = " ".join(args)
    for part in ("--cpu timing", "--config /m.toml", "--disk disk0=/b.img", "--max-insts 1000 ",
                 "--checkpoint-at-inst 5 --checkpoint-at-inst 6", "--checkpoint-on-console \\$ $",
                 "--progress --console --outdir /runs/r1"):
        assert part in joined
    assert "x=" not in joined and "--allow-warnings" not in joined  # only when the user allowed them
    assert "--allow-warnings" in RestoreRequest("c", "/l", allow_warnings=True).argv()
    assert request.command()[1] == "-P"  # the working directory never shadows the package
    assert RestoreRequest("c", "/l").with_outdir("/runs").outdir.startswith("/runs/c-")


def test_boot_command_line():
    request = BootRequest("configs/virt-rv64-disk.toml", "/lib", cpu="pipelined", kernel="/k.elf",
                          disks={"disk0": "/b.img", "x": ""}, max_insts=5_000_000, checkpoint_at_inst=[7],
                          checkpoint_on_console=["# $"], name="first", note="n", outdir="/runs/b1")
    args = request.argv()
    assert args[:6] == ["-m", "graphsim.cli", "run", os.path.abspath("configs/virt-rv64-disk.toml"), "--library",
                        "/lib"]
    joined = " ".join(args)
    for part in ("--cpu pipelined", "--kernel /k.elf", "--disk disk0=/b.img", "--max-insts 5000000 ",
                 "--checkpoint-at-inst 7", "--checkpoint-on-console # $", "--name first", "--note n",
                 "--progress --console --outdir /runs/b1"):
        assert part in joined
    assert "x=" not in joined and request.label == "virt-rv64-disk"
    assert "--kernel" not in BootRequest("m.toml", "/l").argv()  # the machine file's [workload] then
    assert request.command()[1] == "-P" and request.shell_line().startswith("graphsim run /")


def test_status_lines():
    parser = StatusParser()
    events = parser.feed("\r[graphsim] 1,000,000 insts  0.001000 s simulated  12.5 MIPS \r[graphsim] 2,0")
    assert [(e.kind, e.insts, e.mips) for e in events] == [("progress", 1_000_000, 12.5)]
    events = parser.feed("00,000 insts  0.002000 s simulated  13.0 MIPS \n[graphsim] checkpoint cpt-9 at 2,000,000 "
                         "insts (inst:2000000) in 0.010 s, 0.50 MiB\n[graphsim] warning      disk0: image swapped\n"
                         "error: checkpoints/x/state/cpu.bin: checksum mismatch\n")
    assert [e.kind for e in events] == ["progress", "checkpoint", "finding", "error"]
    assert events[1].checkpoint == "cpt-9" and events[1].insts == 2_000_000
    glued = parser.feed("\r[graphsim] 3,826 insts  0.000004 s simulated  0.0 MIPS [graphsim] checkpoint cpt-8 at "
                        "200,000 insts (inst:200000) in 0.026 s, 0.01 MiB\n")
    assert [(e.kind, e.checkpoint) for e in glued] == [("progress", ""), ("checkpoint", "cpt-8")]
    assert parser.feed("[graphsim] guest exited with code 0 after 5 insts, 0.1 s simulated, 0.2 s host (1 MIPS)") == []
    (done,) = parser.flush()
    assert done.kind == "done" and done.insts == 5
    (summary,) = StatusParser().feed("[graphsim] guest exited with code 0 after 397,566 insts, 0.000398 s simulated, "
                                     "0.16 s host (2.5 MIPS)\n")
    assert (summary.insts, summary.seconds, summary.mips) == (397_566, 0.000398, 2.5)
    assert console_text("\x1b[1;32mok\x1b[0m\r\n$ ") == "ok\n$ "


def test_settings_schema_version(tmp_path, monkeypatch):
    path = str(tmp_path / "gui.json")
    s = settings_mod.load(path)
    assert s.last_library == ""
    s.last_library = "/lib"
    s.remember_machine("/a.toml")
    s.remember_machine("/b.toml")
    s.remember_machine("/a.toml")
    settings_mod.save(s, path)
    saved = json.loads(open(path).read())
    assert saved["schema_version"] == settings_mod.SCHEMA_VERSION
    again = settings_mod.load(path)
    assert again.last_library == "/lib" and again.recent_machines == ["/a.toml", "/b.toml"]

    # a file from a newer app: defaults, and the file is backed up before it could be overwritten
    json.dump({"schema_version": settings_mod.SCHEMA_VERSION + 1, "last_library": "/new"}, open(path, "w"))
    assert settings_mod.load(path).last_library == ""
    assert json.load(open(path + ".newer"))["last_library"] == "/new"

    # an older file goes through the migrations, step by step
    monkeypatch.setattr(settings_mod, "SCHEMA_VERSION", settings_mod.SCHEMA_VERSION + 1)
    monkeypatch.setitem(settings_mod.MIGRATIONS, settings_mod.SCHEMA_VERSION - 1,
                        lambda d: {**{k: v for k, v in d.items() if k != "library"}, "last_library": d["library"]})
    json.dump({"schema_version": settings_mod.SCHEMA_VERSION - 1, "library": "/old"}, open(path, "w"))
    assert settings_mod.load(path).last_library == "/old"
    open(path, "w").write("{not json")
    assert settings_mod.load(path).last_library == ""


def test_findings_in_words():
    findings = [Finding("same", "xlen", "RV64"), Finding("changed", "cpu", "CPU model atomic → timing"),
                Finding("incompatible", "cpu", "checkpoint uses extension M; target rv64ic lacks it")]
    assert "M instructions" in explain(findings[2])
    assert "timing" in explain(findings[1])
    grade, text = verdict_line(findings)
    assert grade == "incompatible" and text.startswith("Incompatible") and "1 incompatible" in text


def test_restore_child_does_not_depend_on_the_working_directory(library_copy, tmp_path):
    """The app's restore process, started from a folder that holds a `graphsim` folder (as the
    folder above a clone does), still runs the installed graphsim."""
    import subprocess

    root, ids = library_copy  # a private copy: another process opens it
    shadow = tmp_path / "graphsim"
    shadow.mkdir()
    (shadow / "__init__.py").write_text("raise ImportError('the working directory shadowed graphsim')\n")
    request = RestoreRequest(ids["first"], str(root), max_insts=1000,
                             outdir=str(tmp_path / "run"))
    result = subprocess.run(request.command(), cwd=tmp_path, stdin=subprocess.DEVNULL, capture_output=True,
                            text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    assert "reached --max-insts" in result.stderr

