"""graphsim.config.locate: the line of a dotted key path in TOML text."""

import tomllib

from graphsim.config.locate import key_lines, line_of, split_key_path

MACHINE = '''\
version = 1
# [components.commented] is not a table
include = ["include/virt-devices.toml"]

[machine]
name = "x # not a comment"
description = """
[components.fake]
size = 3
"""

[components.cpu]
type = "cpu.atomic"
isa = ["rv64imac",
  "zicsr", # still the array
]
l1.size = 4

[components]
ram = { type = "memory", size = "1MiB", sub = { base = 1 } }
"my.disk" = { image = "a.img" }

[components.l1d]
type = "cache"
'size' = "32KiB"
'''


def test_the_fixture_is_valid_toml():
    tomllib.loads(MACHINE)


def test_keys_in_tables():
    assert line_of(MACHINE, "version") == 1
    assert line_of(MACHINE, "machine.name") == 6
    assert line_of(MACHINE, "components.cpu.type") == 13
    assert line_of(MACHINE, "components.cpu.isa") == 14
    assert line_of(MACHINE, "components.l1d.size") == 25  # a quoted key


def test_dotted_keys_and_inline_tables():
    assert line_of(MACHINE, "components.cpu.l1.size") == 17
    assert line_of(MACHINE, "components.ram.size") == 20
    assert line_of(MACHINE, "components.ram.sub.base") == 20
    assert line_of(MACHINE, '"components"."my.disk".image') == 21


def test_absent_key_gives_the_enclosing_table():
    assert line_of(MACHINE, "components.l1d.assoc") == 23
    assert line_of(MACHINE, "components.cpu.frequency") == 12
    assert line_of(MACHINE, "components.nothere.size") == 19  # the explicit [components] header
    assert line_of(MACHINE, "workload.kernel") is None
    assert line_of(MACHINE, "") is None


def test_strings_and_comments_hide_keys():
    assert line_of(MACHINE, "components.fake.size") == 19
    assert line_of(MACHINE, "components.commented") == 19
    assert ("components", "fake") not in key_lines(MACHINE)


def test_explicit_header_beats_an_earlier_implicit_one():
    text = "[a.b]\nx = 1\n[a]\ny = 2\n"
    assert line_of(text, "a.z") == 3
    assert line_of(text, "a.b.z") == 1


def test_array_of_tables_and_broken_text_never_raise():
    assert line_of("[[guest]]\nname = 1\n[[guest]]\nname = 2\n", "guest.name") == 2
    for text in ("a = {\nb", "[unclosed\nx = 1", 'x = "unterminated\ny = 2', "= 3\n[t]\nk=1", "a.b.", ""):
        line_of(text, "t.k")
    assert line_of("[unclosed\nx = 1\n", "unclosed.x") == 2


def test_split_key_path():
    assert split_key_path("components.l1d.size") == ("components", "l1d", "size")
    assert split_key_path('components."my.disk".size') == ("components", "my.disk", "size")
