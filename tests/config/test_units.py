import pytest

from graphsim.config import units
from graphsim.config.units import UnitError


@pytest.mark.parametrize("text,expected", [
    ("32KiB", 32768), ("128MiB", 128 << 20), ("1GiB", 1 << 30), ("64B", 64), (4096, 4096),
    ("64", 64), ("1_024B", 1024), ("0.5KiB", 512), (" 2 MiB ", 2 << 20),
])
def test_sizes(text, expected):
    assert units.parse_size(text) == expected


@pytest.mark.parametrize("text,hint", [
    ("32KB", "did you mean '32KiB'?"), ("4MB", "did you mean '4MiB'?"), ("1G", "did you mean '1GiB'?"),
    ("16 kb", "did you mean '16KiB'?"),
])
def test_size_spelling_hints(text, hint):
    with pytest.raises(UnitError) as err:
        units.parse_size(text)
    assert hint in str(err.value)


@pytest.mark.parametrize("bad", ["KiB", "12XiB", "1.3B", True, 1.5, [1], "-4KiB"])
def test_bad_sizes(bad):
    with pytest.raises(UnitError):
        units.parse_size(bad)


def test_frequencies_and_times():
    assert units.parse_frequency("1GHz") == 10**9
    assert units.parse_frequency("3686400Hz") == 3686400
    assert units.parse_frequency("10MHz") == 10**7
    assert units.parse_time("10ns") == 10_000
    assert units.parse_time("1.5ns") == 1500
    with pytest.raises(UnitError, match="did you mean '1GHz'"):
        units.parse_frequency("1Ghz")
    with pytest.raises(UnitError, match="no unit"):
        units.parse_time(10)
    with pytest.raises(UnitError, match="whole number"):
        units.parse_time("0.1ps")


def test_cycles_and_addresses():
    assert units.parse_cycles(3) == 3
    assert units.parse_cycles("3 cycles") == 3
    with pytest.raises(UnitError, match="duration"):
        units.parse_cycles("3ns")
    assert units.parse_address("0x8000_0000") == 0x8000_0000
    assert units.parse_address(4096) == 4096
    with pytest.raises(UnitError):
        units.parse_address("eighty")


@pytest.mark.parametrize("n", [1, 64, 4096, 32768, 3 << 20, 1 << 30, 1000])
def test_format_size_round_trips(n):
    assert units.parse_size(units.format_size(n)) == n


@pytest.mark.parametrize("hz", [1, 10**9, 3686400, 10**7])
def test_format_frequency_round_trips(hz):
    assert units.parse_frequency(units.format_frequency(hz)) == hz
