"""graphsim: a full-system RISC-V simulator whose machines are TOML component graphs."""

__version__ = "0.1.0"
