"""Small helpers shared by the calendar tests."""

import datetime
from zoneinfo import ZoneInfo

SHANGHAI = ZoneInfo("Asia/Shanghai")


def local(*args) -> datetime.datetime:
    """An aware datetime in Asia/Shanghai: ``local(2026, 11, 25, 9, 30)``."""
    return datetime.datetime(*args, tzinfo=SHANGHAI)


def unfold(text: str) -> list[str]:
    """The logical content lines of an iCalendar text (RFC 5545 3.1)."""
    return text.replace("\r\n ", "").replace("\r\n\t", "").split("\r\n")


def parse_events(text: str) -> list[dict[str, str]]:
    """Every VEVENT as {property name (without parameters): value}."""
    events, current = [], None
    for line in unfold(text):
        if line == "BEGIN:VEVENT":
            current = {}
        elif line == "END:VEVENT":
            events.append(current)
            current = None
        elif current is not None and ":" in line:
            name, value = line.split(":", 1)
            current[name.split(";", 1)[0]] = value
    return events


def ics_unescape(value: str) -> str:
    out, chars = [], iter(value)
    for char in chars:
        if char == "\\":
            nxt = next(chars, "")
            out.append("\n" if nxt in "nN" else nxt)
        else:
            out.append(char)
    return "".join(out)
