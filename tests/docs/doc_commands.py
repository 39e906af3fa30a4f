"""The shell commands that README.md and docs/*.md print, extracted so a test can run each as printed.

A command is a line of a fenced ``bash`` block that starts with ``pinchpoint`` (or ``.venv/bin/pinchpoint``);
``&&`` chains stay one command. A trailing ``# comment`` is dropped. A line whose comment begins with
``needs X`` (internet, a GPL peer the user installs) is run too and must either work or fail with a message that
names X, never a traceback; ``serve`` is started and probed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DOC_FILES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]

_FENCE = re.compile(r"^```(\w*)\s*$")


@dataclass(frozen=True)
class DocCommand:
    file: str
    line: int
    command: str
    comment: str

    @property
    def needs(self) -> str | None:
        """What a ``# needs X ...`` comment says the command needs beyond the package (internet, pymrio)."""
        m = re.match(r"needs\s+(\w+)", self.comment.lower())
        return m.group(1) if m else None

    @property
    def serves(self) -> bool:
        return bool(re.match(r"^(\S*/)?pinchpoint (serve|web)\b", self.command))

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.command}"


def _split_comment(line: str) -> tuple[str, str]:
    """Split a shell line at its first ``#`` outside quotes."""
    quote = ""
    for i, ch in enumerate(line):
        if quote:
            if ch == quote:
                quote = ""
        elif ch in "'\"":
            quote = ch
        elif ch == "#" and (i == 0 or line[i - 1].isspace()):
            return line[:i].rstrip(), line[i + 1:].strip()
    return line.rstrip(), ""


def doc_commands(files: list[Path] | None = None) -> list[DocCommand]:
    found: list[DocCommand] = []
    for path in files or DOC_FILES:
        lang: str | None = None
        pending = ""  # a command continued on the next line with a trailing backslash, as a shell reads it
        for n, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            if pending or lang in ("bash", "sh", "shell"):
                raw = f"{pending} {raw.strip()}" if pending else raw.rstrip()
                pending = raw[:-1].rstrip() if raw.endswith("\\") else ""
                if pending:
                    continue
            fence = _FENCE.match(raw.strip())
            if fence:
                lang = None if lang is not None else fence.group(1)
                continue
            if lang not in ("bash", "sh", "shell"):
                continue
            command, comment = _split_comment(raw.strip())
            # The README's set-up lines end in `&& .venv/bin/pinchpoint ...`: the part from there is the command.
            start = re.search(r"(^|&&\s*)((\.venv/bin/)?pinchpoint\s)", command)
            if start and (start.start() == 0 or "pinchpoint" not in command[: start.start()]):
                found.append(DocCommand(str(path.relative_to(ROOT)), n, command[start.start(2):], comment))
    return found


# A quoted figure is tied to the command that gives it by an HTML comment after it (invisible when rendered):
#   <!-- figure "+344.8%": pinchpoint trade growth ... -f json :: partner=KGZ :: growth_pct -->
# The quote must stand in the text within the 12 lines above; the command's JSON rows are filtered by the
# key=value pairs (exactly one row must remain) and the column's value, rounded as the quote is, must equal it.
_FIGURE = re.compile(r'<!--\s*figure\s+"(?P<quote>[^"]+)"\s*:\s*(?P<command>.+?)\s*::\s*(?P<filters>[^:]*?)\s*::'
                     r"\s*(?P<column>[\w.]+)\s*-->")
_NUMBER = re.compile(r"[+\-−]?\d[\d,]*(\.\d+)?")


@dataclass(frozen=True)
class DocFigure:
    file: str
    line: int
    quote: str
    command: str
    filters: tuple[tuple[str, str], ...]
    column: str
    context: str  # the text above the comment, where the quote must stand

    def __str__(self) -> str:
        return f'{self.file}:{self.line}: "{self.quote}"'

    @property
    def value(self) -> float:
        m = _NUMBER.search(self.quote)
        if not m:
            raise ValueError(f"{self}: no number in the quote")
        return float(m.group(0).replace(",", "").replace("−", "-"))

    @property
    def decimals(self) -> int:
        m = _NUMBER.search(self.quote)
        assert m is not None
        return len(m.group(1)) - 1 if m.group(1) else 0

    def matches(self, actual: float) -> bool:
        return round(actual, self.decimals) == round(self.value, self.decimals)


def doc_figures(files: list[Path] | None = None) -> list[DocFigure]:
    found: list[DocFigure] = []
    for path in files or DOC_FILES:
        lines = path.read_text(encoding="utf-8").splitlines()
        for n, raw in enumerate(lines, start=1):
            for m in _FIGURE.finditer(raw):
                pairs = tuple(tuple(p.split("=", 1)) for p in m.group("filters").split(",") if "=" in p)
                context = "\n".join(re.sub(r"<!--.*?-->", "", ln) for ln in lines[max(0, n - 13): n])
                found.append(DocFigure(str(path.relative_to(ROOT)), n, m.group("quote"), m.group("command"),
                                       pairs, m.group("column"), context))  # type: ignore[arg-type]
    return found
