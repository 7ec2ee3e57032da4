"""The translation catalogues: every `locale/<lang>/LC_MESSAGES/django.po` under dukaan/, compiled
to the `.mo` files Django reads, in pure Python.

The `.po` files are under version control; the `.mo` files are built (`make install` and the image
build run `dukaan compilemessages`, which is this), so neither needs GNU gettext on the machine. Only making
the catalogues (`dukaan makemessages`, and the test that checks them) needs Debian's `gettext`.
"""

from __future__ import annotations

import ast
import os
import struct
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]  # dukaan/


@dataclass
class Entry:
    msgid: str = ""
    msgid_plural: str = ""
    msgctxt: str | None = None
    msgstr: dict[int, str] = field(default_factory=dict)
    flags: set[str] = field(default_factory=set)
    obsolete: bool = False

    @property
    def fuzzy(self) -> bool:
        return "fuzzy" in self.flags

    @property
    def translated(self) -> bool:
        return bool(self.msgstr) and all(self.msgstr.values()) and not self.fuzzy


def parse_po(text: str) -> list[Entry]:
    """The entries of a `.po` file (the header is the entry with msgid "")."""
    entries: list[Entry] = []
    entry = Entry()
    key: tuple[str, int] | None = None
    started = False

    def finish() -> None:
        nonlocal entry, started, key
        if started:
            entries.append(entry)
        entry, started, key = Entry(), False, None

    for raw in text.splitlines():
        line = raw.strip()
        obsolete = line.startswith("#~")
        if obsolete:
            line = line[2:].strip()
        if not line:
            finish()
            continue
        if line.startswith("#,"):
            if started and key and key[0] == "msgstr":
                finish()
            entry.flags.update(flag.strip() for flag in line[2:].split(","))
            continue
        if line.startswith("#"):
            continue
        word, _, rest = line.partition(" ")
        if line.startswith('"'):
            value, name = ast.literal_eval(line), key
        else:
            if word in ("msgctxt", "msgid") and started and key and key[0] == "msgstr":
                finish()
            value = ast.literal_eval(rest)
            name = ("msgstr", int(word[7:-1])) if word.startswith("msgstr[") else (word, 0)
            key, started = name, True
            entry.obsolete = entry.obsolete or obsolete
            if name[0] == "msgstr":
                entry.msgstr[name[1]] = ""
            elif name[0] == "msgctxt":
                entry.msgctxt = ""
        if name is None:
            raise ValueError(f"A string outside any entry: {raw!r}")
        if name[0] == "msgstr":
            entry.msgstr[name[1]] += value
        elif name[0] == "msgctxt":
            entry.msgctxt = (entry.msgctxt or "") + value
        else:
            setattr(entry, name[0], getattr(entry, name[0]) + value)
    finish()
    return entries


def mo_bytes(entries: list[Entry]) -> bytes:
    """The GNU `.mo` file of `entries`: translated ones only (fuzzy and obsolete left out, as msgfmt
    does), the header included."""
    pairs: dict[bytes, bytes] = {}
    for entry in entries:
        if entry.obsolete or (entry.msgid and not entry.translated):
            continue
        text = entry.msgid + ("\0" + entry.msgid_plural if entry.msgid_plural else "")
        if entry.msgctxt is not None:
            text = entry.msgctxt + "\x04" + text
        pairs[text.encode()] = "\0".join(entry.msgstr[n] for n in sorted(entry.msgstr)).encode()
    keys = sorted(pairs)
    ids = b"".join(key + b"\0" for key in keys)
    strs = b"".join(pairs[key] + b"\0" for key in keys)
    start = 7 * 4 + 16 * len(keys)  # the header, then the two tables of (length, offset)
    id_table: list[int] = []
    str_table: list[int] = []
    offset = 0
    for key in keys:
        id_table += [len(key), start + offset]
        offset += len(key) + 1
    offset = 0
    for key in keys:
        str_table += [len(pairs[key]), start + len(ids) + offset]
        offset += len(pairs[key]) + 1
    header = struct.pack("Iiiiiii", 0x950412DE, 0, len(keys), 7 * 4, 7 * 4 + 8 * len(keys), 0, 0)
    return (
        header
        + struct.pack(f"{len(id_table)}i", *id_table)
        + struct.pack(f"{len(str_table)}i", *str_table)
        + ids
        + strs
    )


def catalogues(root: Path = ROOT) -> list[Path]:
    return sorted(root.glob("**/locale/*/LC_MESSAGES/django.po"))


def compile_all(root: Path = ROOT, *, force: bool = False) -> list[Path]:
    """Write each catalogue's `.mo` beside it when the `.po` is newer; returns those written."""
    written = []
    for po in catalogues(root):
        mo = po.with_suffix(".mo")
        if force or not mo.exists() or mo.stat().st_mtime < po.stat().st_mtime:
            # Written aside, then renamed: a process reading it meanwhile gets the old file or the new one.
            part = mo.with_name(f".{mo.name}.{os.getpid()}")
            part.write_bytes(mo_bytes(parse_po(po.read_text(encoding="utf-8"))))
            os.replace(part, mo)
            written.append(mo)
    return written
