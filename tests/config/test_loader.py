import pytest

from graphsim.config.loader import FORMAT_VERSION, load_machine, load_machine_text, parse_override
from graphsim.errors import ConfigError


def write(tmp_path, name, text):
    path = tmp_path / name
    path.write_text(text)
    return path


def one_line(err) -> str:
    lines = err.value.lines()
    assert len(lines) == 1
    return lines[0]


def test_version_is_mandatory(tmp_path):
    path = write(tmp_path, "m.toml", "[components.cpu]\ntype = 'cpu.atomic'\n")
    with pytest.raises(ConfigError) as err:
        load_machine(path)
    assert one_line(err) == f"{path}: version: missing; a machine file starts with 'version = {FORMAT_VERSION}'"


def test_too_new_and_too_old_are_distinct(tmp_path):
    new = write(tmp_path, "new.toml", f"version = {FORMAT_VERSION + 1}\n")
    old = write(tmp_path, "old.toml", "version = 0\n")
    with pytest.raises(ConfigError, match="newer than this graphsim reads"):
        load_machine(new)
    with pytest.raises(ConfigError, match="older than the oldest"):
        load_machine(old)


def test_malformed_toml_names_file(tmp_path):
    path = write(tmp_path, "bad.toml", "version = 1\n[components.cpu\n")
    with pytest.raises(ConfigError) as err:
        load_machine(path)
    assert one_line(err).startswith(f"{path}: malformed TOML")


def test_includes_merge_and_record_origins(tmp_path):
    write(tmp_path, "base.toml", "version = 1\n[components.l1d]\ntype = 'cache'\nsize = '32KiB'\nassoc = 8\n")
    top = write(tmp_path, "top.toml", "version = 1\ninclude = ['base.toml']\n[components.l1d]\nsize = '64KiB'\n")
    source = load_machine(top)
    assert source.data["components"]["l1d"] == {"type": "cache", "size": "64KiB", "assoc": 8}
    assert source.origin("components", "l1d", "size") == str(top)
    assert source.origin("components", "l1d", "assoc") == str(tmp_path / "base.toml")


def test_include_cycle_and_missing_include(tmp_path):
    write(tmp_path, "a.toml", "version = 1\ninclude = ['b.toml']\n")
    write(tmp_path, "b.toml", "version = 1\ninclude = ['a.toml']\n")
    with pytest.raises(ConfigError, match="include cycle"):
        load_machine(tmp_path / "a.toml")
    missing = write(tmp_path, "c.toml", "version = 1\ninclude = ['nope.toml']\n")
    with pytest.raises(ConfigError) as err:
        load_machine(missing)
    assert one_line(err) == f"{tmp_path / 'nope.toml'}: included from {missing}: file not found"


def test_overrides(tmp_path):
    path = write(tmp_path, "m.toml", "version = 1\n[components.l1d]\ntype = 'cache'\n")
    source = load_machine(path, ["components.l1d.size=64KiB", "components.l1d.assoc=4",
                                 "components.l1d.write_allocate=false"])
    assert source.data["components"]["l1d"] == {"type": "cache", "size": "64KiB", "assoc": 4,
                                                "write_allocate": False}
    assert source.origin("components", "l1d", "size") == "--set"
    assert parse_override("a.b='x y'") == (["a", "b"], "x y")
    with pytest.raises(ConfigError, match="KEY=VALUE"):
        parse_override("components.l1d.size")


def test_text_loading_for_the_editor(tmp_path):
    write(tmp_path, "base.toml", "version = 1\n[machine]\nname = 'b'\n")
    source = load_machine_text("version = 1\ninclude = 'base.toml'\n", base_dir=tmp_path)
    assert source.data["machine"]["name"] == "b"
