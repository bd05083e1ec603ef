"""The shell commands README.md gives, read from it when the tests run (so a README change
is tested too): every line of a ``sh`` block, and every inline code span that is a
command with arguments (``aws ...``, ``make <target>``, ``portal-automation <command>
...``, ``python -m ...``). A span naming a command in prose (``sam deploy``) is not one.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
README = ROOT / "README.md"
_BLOCK = re.compile(r"```sh\n(.*?)```", re.S)
_SPAN = re.compile(r"`([^`\n]+)`")
_COMMAND_WORDS = (
    *("aws ", "make", "portal-automation ", "portal-local ", "python -m ", "pip "),
    *(".venv/bin/", "sam ", "shred "),
)


@dataclass(frozen=True)
class Command:
    text: str
    """The command as written, continuation lines joined, its comment cut."""
    comment: str = ""
    """What the line's own comment, or the first comment line above it, says (a file's
    content: ``# params.json: {...}``)."""


def _strip_comment(line: str) -> tuple[str, str]:
    """The command and its trailing comment (a ``#`` outside quotes)."""
    quote = None
    for i, char in enumerate(line):
        if char in "'\"" and (quote is None or quote == char):
            quote = None if quote == char else char
        elif char == "#" and quote is None and (i == 0 or line[i - 1] == " "):
            return line[:i].rstrip(), line[i + 1 :].strip()
    return line.rstrip(), ""


def block_commands(text: str) -> list[Command]:
    commands: list[Command] = []
    for block in _BLOCK.findall(text):
        joined = re.sub(r"\\\n\s*", " ", block)
        pending_comment = ""
        for line in joined.splitlines():
            command, comment = _strip_comment(line.strip())
            if not command:  # the first comment line above a command names its file
                pending_comment = pending_comment or comment
                continue
            commands.append(Command(command, pending_comment or comment))
            pending_comment = ""
    return commands


def _is_command(span: str) -> bool:
    if not span.startswith(_COMMAND_WORDS):
        return False
    words = span.split()
    if words[0] == "make":
        return len(words) >= 2  # make <target> [...]
    if words[0] in ("sam", "pip", "portal-local", "portal-automation"):
        return len(words) >= 3 or "<" in span  # a name in prose is not a command line
    return len(words) >= 3


def inline_commands(text: str) -> list[Command]:
    prose = _BLOCK.sub("", text)
    return [Command(span) for span in _SPAN.findall(prose) if _is_command(span)]


def readme_commands(path: Path = README) -> list[Command]:
    text = path.read_text(encoding="utf-8")
    return block_commands(text) + inline_commands(text)
