"""User-facing errors. Each carries problems that print as one line apiece, naming
the file, the key path or checkpoint record, and what was expected."""

from __future__ import annotations

from dataclasses import dataclass


class GraphsimError(Exception):
    """An error caused by the user's input; the CLI prints it without a traceback."""

    exit_code = 1

    def lines(self) -> list[str]:
        return [str(self)]


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a machine: where (file, key path) and what."""

    file: str | None
    key: str | None
    message: str

    def __str__(self) -> str:
        where = ": ".join(part for part in (self.file, self.key) if part)
        return f"{where}: {self.message}" if where else self.message


class ConfigError(GraphsimError):
    """A machine description with one or more problems, all reported together."""

    def __init__(self, problems: list[Problem]):
        self.problems = list(problems)
        super().__init__("\n".join(map(str, self.problems)))

    def lines(self) -> list[str]:
        return [str(p) for p in self.problems]


class Problems:
    """Collects problems during a pass so that all of them are reported, not only the first."""

    def __init__(self):
        self.items: list[Problem] = []

    def add(self, file, key, message):
        self.items.append(Problem(file, key, message))

    def raise_if_any(self):
        if self.items:
            raise ConfigError(self.items)
