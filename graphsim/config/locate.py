"""Where a key is written in TOML text: the line of a dotted key path.

Errors name key paths (``components.l1d.size``); an editor wants the line. This
is a small, forgiving scanner — not a TOML parser: it understands table
headers (``[components.l1d]``, ``[[a.b]]``), dotted keys (``l1d.size = 1``),
quoted keys, inline tables (``l1d = { size = "32KiB" }``), and skips strings
(including multi-line ones), arrays and comments so that nothing inside them
is mistaken for a key. Text that is not valid TOML never raises: the scanner
resynchronises at the next line and reports what it could see.

    >>> line_of('[components.l1d]\\nsize = "32KiB"\\n', "components.l1d.size")
    2
"""

from __future__ import annotations

__all__ = ["key_lines", "line_of", "split_key_path"]

_BARE = set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-")
_ESCAPES = {"b": "\b", "t": "\t", "n": "\n", "f": "\f", "r": "\r", '"': '"', "\\": "\\"}


class _Scanner:
    """Walks TOML text once, recording the line (1-based) at which each key path is first written."""

    def __init__(self, text: str):
        self.text = text
        self.pos = 0
        self.line = 1
        self.explicit: dict[tuple[str, ...], int] = {}  # written as a header or a key
        self.implicit: dict[tuple[str, ...], int] = {}  # only a prefix of something written

    # --- low level ----------------------------------------------------------

    def peek(self, ahead: int = 0) -> str:
        i = self.pos + ahead
        return self.text[i] if i < len(self.text) else ""

    def advance(self, n: int = 1):
        for _ in range(n):
            if self.pos < len(self.text):
                if self.text[self.pos] == "\n":
                    self.line += 1
                self.pos += 1

    def at_end(self) -> bool:
        return self.pos >= len(self.text)

    def skip_spaces(self):
        while self.peek() in (" ", "\t"):
            self.advance()

    def skip_comment(self):
        if self.peek() == "#":
            while not self.at_end() and self.peek() != "\n":
                self.advance()

    def skip_blank(self):
        """Whitespace, newlines and comments (inside arrays)."""
        while not self.at_end():
            c = self.peek()
            if c in " \t\r\n":
                self.advance()
            elif c == "#":
                self.skip_comment()
            else:
                return

    def skip_line(self):
        while not self.at_end() and self.peek() != "\n":
            self.advance()
        self.advance()

    def record(self, path: tuple[str, ...], line: int):
        self.explicit.setdefault(path, line)
        for n in range(1, len(path)):
            self.implicit.setdefault(path[:n], line)

    # --- strings and keys ----------------------------------------------------

    def string(self) -> str | None:
        """A string at the cursor (any of the four kinds); None if there is none."""
        quote = self.peek()
        if quote not in ("'", '"'):
            return None
        if self.peek(1) == quote and self.peek(2) == quote:
            self.advance(3)
            end = self.text.find(quote * 3, self.pos)
            while quote == '"' and end > 0 and self._escaped(end):
                end = self.text.find(quote * 3, end + 1)
            if end < 0:
                end = len(self.text)
            # A closing run may be up to five quotes long ("""a""""" ends with two in the value).
            while self.text.startswith(quote, end + 3):
                end += 1
            value = self.text[self.pos:end]
            self.advance(end + 3 - self.pos)
            return value
        self.advance()
        out = []
        while not self.at_end() and self.peek() != "\n":
            c = self.peek()
            if c == quote:
                self.advance()
                return "".join(out)
            if c == "\\" and quote == '"':
                nxt = self.peek(1)
                out.append(_ESCAPES.get(nxt, nxt))
                self.advance(2)
                continue
            out.append(c)
            self.advance()
        return "".join(out)  # unterminated: take what there is

    def _escaped(self, index: int) -> bool:
        backslashes = 0
        while index - backslashes - 1 >= 0 and self.text[index - backslashes - 1] == "\\":
            backslashes += 1
        return backslashes % 2 == 1

    def key(self) -> tuple[str, ...] | None:
        """A dotted key (bare or quoted parts); None if the cursor is not at one."""
        parts = []
        while True:
            self.skip_spaces()
            c = self.peek()
            if c in ("'", '"'):
                parts.append(self.string() or "")
            elif c in _BARE and c:
                start = self.pos
                while self.peek() in _BARE and self.peek():
                    self.advance()
                parts.append(self.text[start:self.pos])
            else:
                return tuple(parts) if parts else None
            self.skip_spaces()
            if self.peek() != ".":
                return tuple(parts)
            self.advance()

    # --- values --------------------------------------------------------------

    def value(self, path: tuple[str, ...]):
        """Skip a value; inline tables record the keys they hold under ``path``."""
        self.skip_spaces()
        c = self.peek()
        if c in ("'", '"'):
            self.string()
        elif c == "{":
            self.inline_table(path)
        elif c == "[":
            self.array()
        else:
            while not self.at_end() and self.peek() not in " \t\r\n,]}#":
                self.advance()

    def inline_table(self, path: tuple[str, ...]):
        self.advance()  # {
        while not self.at_end():
            self.skip_blank()
            if self.peek() == "}":
                self.advance()
                return
            if self.peek() == ",":
                self.advance()
                continue
            line = self.line
            key = self.key()
            if key is None:
                self.advance()  # not TOML; move on
                continue
            self.record(path + key, line)
            self.skip_spaces()
            if self.peek() == "=":
                self.advance()
                self.value(path + key)

    def array(self):
        self.advance()  # [
        while not self.at_end():
            self.skip_blank()
            c = self.peek()
            if c == "]":
                self.advance()
                return
            if c == ",":
                self.advance()
                continue
            before = self.pos
            self.value(())  # keys in tables inside arrays have no key path of their own
            if self.pos == before:
                self.advance()

    # --- document --------------------------------------------------------------

    def document(self) -> dict[tuple[str, ...], int]:
        table: tuple[str, ...] = ()
        while not self.at_end():
            self.skip_blank()
            if self.at_end():
                break
            line = self.line
            if self.peek() == "[":
                double = self.peek(1) == "["
                self.advance(2 if double else 1)
                key = self.key()
                if key is not None:
                    table = key
                    self.record(table, line)
                self.skip_line()
                continue
            key = self.key()
            if key is None:
                self.skip_line()
                continue
            self.skip_spaces()
            if self.peek() != "=":
                self.skip_line()
                continue
            self.advance()
            self.record(table + key, line)
            self.value(table + key)
            self.skip_spaces()
            self.skip_comment()
            if self.line == line and not self.at_end() and self.peek() != "\n":
                self.skip_line()  # junk after the value
        return {**self.implicit, **self.explicit}


def split_key_path(key_path: str) -> tuple[str, ...]:
    """``components."my.disk".size`` → ('components', 'my.disk', 'size'); plain dots split."""
    scanner = _Scanner(key_path)
    parts = scanner.key()
    if parts is None or not scanner.at_end():
        return tuple(p for p in key_path.split(".") if p)
    return parts


def key_lines(text: str) -> dict[tuple[str, ...], int]:
    """Every key path written in ``text`` (and each of its prefixes) → the line it first appears on."""
    return _Scanner(text).document()


def line_of(text: str, key_path: str) -> int | None:
    """The 1-based line where ``key_path`` is written in ``text``.

    When the key itself is absent, the line of the nearest enclosing table or
    key that is present (for ``components.l1d.size``, the ``[components.l1d]``
    header); None when not even the first part of the path appears.
    """
    if not key_path:
        return None
    found = key_lines(text)
    path = split_key_path(key_path)
    for n in range(len(path), 0, -1):
        if path[:n] in found:
            return found[path[:n]]
    return None
