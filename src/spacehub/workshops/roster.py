"""Who sits in a workshop: seats generated from a count, or read from an instructor's roster (CSV).

Everything is checked before anything is made: a roster with one bad line is refused whole, saying
which lines and why, and so is a seat whose name the hub or the machine already uses. Seat names are
hub user names and, in isolated mode, Unix account names: lower-case letters, digits, ``_`` and ``-``,
starting with a letter, at most 32 characters.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable
from dataclasses import dataclass

#: a workshop's name is its hub group's and its group folder's (``groups/<name>/``), and each seat's
#: name starts with it: a letter first, so that seat names are Unix names too
WORKSHOP_NAME = re.compile(r"^[a-z][a-z0-9_-]{0,20}$")
SEAT_NAME = re.compile(r"^[a-z_][a-z0-9_-]{0,31}$")
#: seats of one workshop at most: a hub of this size serves a few classes, not a MOOC
MAX_SEATS = 500
EMAIL = re.compile(r"^[^@\s,;]+@[^@\s,;]+\.[^@\s,;]+$")


class RosterError(ValueError):
    """A roster or a seat count the hub refuses; ``problems`` lists every line that is wrong."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        shown = "; ".join(problems[:10]) + (f"; and {len(problems) - 10} more" if len(problems) > 10 else "")
        super().__init__(f"the roster is refused, nothing was created: {shown}")


@dataclass(frozen=True)
class Seat:
    """One participant's place: the hub user name, and who it is for (as the roster says)."""

    name: str
    full_name: str = ""
    email: str = ""


def check_workshop_name(name: str) -> str:
    if not WORKSHOP_NAME.match(name or ""):
        raise RosterError([f"workshop name {name!r}: lower-case letters, digits, '-' and '_', starting with a "
                           "letter, at most 21 characters (it names the hub group, its folder and the seats)"])
    return name


def generated(workshop: str, seats: int) -> list[Seat]:
    """``seats`` seats named ``<workshop>-01`` ... (``-001`` from 100 seats)."""
    check_workshop_name(workshop)
    if not 1 <= seats <= MAX_SEATS:
        raise RosterError([f"--seats {seats}: between 1 and {MAX_SEATS}"])
    width = max(2, len(str(seats)))
    return [Seat(f"{workshop}-{i:0{width}d}") for i in range(1, seats + 1)]


def read_roster(text: str, workshop: str) -> list[Seat]:
    """Seats from a CSV roster: a header row naming ``username`` (and optionally ``name``, ``email``),
    one participant per row. Every problem is reported with its line, and none is created."""
    check_workshop_name(workshop)
    if "\0" in text:
        raise RosterError(["the roster is not text (a CSV file: username,name,email)"])
    rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))  # a spreadsheet's byte-order mark
    header_at = next((i for i, row in enumerate(rows) if any(cell.strip() for cell in row)), None)
    if header_at is None:
        raise RosterError(["the roster is empty: a header row (username,name,email) and a row per participant"])
    header = [cell.strip().lower() for cell in rows[header_at]]
    if "username" not in header:
        raise RosterError([f"line {header_at + 1}: the header must name a 'username' column "
                           f"(found: {', '.join(header) or 'nothing'})"])
    unknown = [h for h in header if h not in ("username", "name", "email")]
    if unknown:
        raise RosterError([f"line {header_at + 1}: unknown column(s) {', '.join(unknown)} "
                           "(a roster has username, name, email)"])
    col = {h: header.index(h) for h in header}
    seats: list[Seat] = []
    problems: list[str] = []
    first_line: dict[str, int] = {}
    for number, row in enumerate(rows[header_at + 1:], start=header_at + 2):
        if not any(cell.strip() for cell in row):
            continue
        if len(row) > len(header):
            problems.append(f"line {number}: {len(row)} values for {len(header)} columns (a comma in a name? quote it)")
            continue
        value = {h: (row[i].strip() if i < len(row) else "") for h, i in col.items()}
        name = value["username"].lower()
        if not SEAT_NAME.match(name) or name[0].isdigit():
            problems.append(f"line {number}: user name {value['username']!r} must be lower-case letters, digits, "
                            "'_' and '-', starting with a letter, at most 32 characters")
            continue
        if name in first_line:
            problems.append(f"line {number}: {name} is on line {first_line[name]} already")
            continue
        if value.get("email") and not EMAIL.match(value["email"]):
            problems.append(f"line {number}: {value['email']!r} is not an e-mail address")
            continue
        first_line[name] = number
        seats.append(Seat(name, value.get("name", "")[:100], value.get("email", "")))
    if not seats and not problems:
        problems.append("the roster names nobody: a row per participant under the header")
    if len(seats) > MAX_SEATS:
        problems.append(f"{len(seats)} participants: at most {MAX_SEATS} seats per workshop")
    if problems:
        raise RosterError(problems)
    return seats


def clashes(seats: Iterable[Seat], taken: Iterable[str]) -> None:
    """Refuse seats whose names are taken (hub users, Unix accounts, instructors): a workshop never
    takes over somebody's account."""
    taken = set(taken)
    found = sorted(s.name for s in seats if s.name in taken)
    if found:
        raise RosterError([f"{name} is already a user of this hub or an account of this machine" for name in found])
