"""When a schedule fires: the time-spec engine, Temporal's semantics, pure (no I/O, no clock).

A spec is the union of its calendars, intervals and cron expressions, minus its skip
calendars, within [start, end], in one time zone; each time may be shifted by a
deterministic jitter. `CompiledSpec.next_time(after)` gives the first (nominal, actual)
time after `after`.

Why our own engine: croniter and cronsim evaluate classic cron (day-of-month OR
day-of-week, 6th field = seconds), while the seed system runs on Temporal, whose
schedules mean something else: calendars of ranges (`ScheduleCalendar`), a year field,
day-of-month AND day-of-week, skip calendars, intervals with an offset, and its own
daylight-saving rules. Both forms compile here to one calendar representation.

Cron strings (Temporal's forms):
- 5 fields: minute hour day-of-month month day-of-week
- 6 fields: minute hour day-of-month month day-of-week year
- 7 fields: second minute hour day-of-month month day-of-week year
- `@yearly` `@annually` `@monthly` `@weekly` `@daily` `@midnight` `@hourly`;
  `@every 90m` or `@every 1h/15m` (an interval with an offset)
- an optional `CRON_TZ=Zone ` (or `TZ=Zone `) prefix and a `# comment` suffix.
A field is `*`, a value, `a-b`, `a-b/step`, `a/step` (a to the field's end) or `*/step`,
and comma-separated lists of those. Months take names (`jan`, `February`: 3+ letters),
days of week names (`mon`, `Tu`: 2+ letters) and 0-7 (0 and 7 are Sunday).

Daylight saving (local time zones): a local time skipped by a spring-forward change does
not happen, so it does not fire; a local time repeated by a fall-back change happens
twice and fires twice. Intervals count real seconds from the Unix epoch (plus offset)
and ignore time zones.
"""
from __future__ import annotations

import datetime
import hashlib
import re
from dataclasses import dataclass, field
from typing import Iterable, Sequence
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

__all__ = [
    "SpecError",
    "Calendar",
    "Interval",
    "CronParts",
    "CompiledSpec",
    "parse_cron",
    "parse_duration",
    "calendar_from_ranges",
    "load_zone",
    "MIN_YEAR",
    "MAX_YEAR",
]

MIN_YEAR, MAX_YEAR = 2000, 2100  # Temporal's calendar years; nothing fires after MAX_YEAR
NS = 1_000_000_000
UTC = datetime.timezone.utc

# (name, lowest, highest) of each calendar field
FIELDS = {
    "second": (0, 59),
    "minute": (0, 59),
    "hour": (0, 23),
    "day_of_month": (1, 31),
    "month": (1, 12),
    "year": (MIN_YEAR, MAX_YEAR),
    "day_of_week": (0, 6),
}
# What a field of a calendar means when it lists no range (the seed's ScheduleCalendar defaults).
DEFAULT_RANGES = {
    "second": [(0, 0, 1)],
    "minute": [(0, 0, 1)],
    "hour": [(0, 0, 1)],
    "day_of_month": [(1, 31, 1)],
    "month": [(1, 12, 1)],
    "year": [(MIN_YEAR, MAX_YEAR, 1)],
    "day_of_week": [(0, 6, 1)],
}
_MONTHS = ["january", "february", "march", "april", "may", "june", "july", "august", "september", "october", "november", "december"]
_WEEKDAYS = ["sunday", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday"]
_MACROS = {
    "@yearly": "0 0 1 1 *",
    "@annually": "0 0 1 1 *",
    "@monthly": "0 0 1 * *",
    "@weekly": "0 0 * * 0",
    "@daily": "0 0 * * *",
    "@midnight": "0 0 * * *",
    "@hourly": "0 * * * *",
}
_CRON_FIELDS = {
    5: ("minute", "hour", "day_of_month", "month", "day_of_week"),
    6: ("minute", "hour", "day_of_month", "month", "day_of_week", "year"),
    7: ("second", "minute", "hour", "day_of_month", "month", "day_of_week", "year"),
}


class SpecError(ValueError):
    """A spec that cannot be used; the message names the part and what is wrong with it."""


# ---------------------------------------------------------------- durations


_DURATION_PART = re.compile(r"(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|ms|s|m|h|d)")
_UNIT_NS = {"ns": 1, "us": 1_000, "µs": 1_000, "ms": 1_000_000, "s": NS, "m": 60 * NS, "h": 3600 * NS, "d": 86400 * NS}


def parse_duration(text: str) -> int:
    """`1h30m`, `90s`, `1.5h`, `2d` (Go's duration syntax plus days) in nanoseconds."""
    s = text.strip()
    if not s:
        raise SpecError("a duration is empty (write e.g. 30s, 5m, 1h30m, 2d)")
    total, pos = 0, 0
    for match in _DURATION_PART.finditer(s):
        if match.start() != pos:
            break
        total += int(float(match.group(1)) * _UNIT_NS[match.group(2)])
        pos = match.end()
    if pos != len(s):
        raise SpecError(f"duration {text!r} is not valid (write e.g. 30s, 5m, 1h30m, 2d)")
    return total


# ---------------------------------------------------------------- calendars


def _bits(ranges: Iterable[tuple[int, int, int]]) -> int:
    mask = 0
    for start, end, step in ranges:
        for value in range(start, max(start, end) + 1, max(step, 1)):
            mask |= 1 << value
    return mask


@dataclass(frozen=True)
class Calendar:
    """A set of local times: one matches when every field's value is in its set.
    Each field is a bit mask (bit v set = value v matches); years as offsets from MIN_YEAR."""

    second: int
    minute: int
    hour: int
    day_of_month: int
    month: int
    year: int
    day_of_week: int
    comment: str = ""

    def matches_fields(self, y: int, mo: int, d: int, h: int, mi: int, s: int) -> bool:
        return bool(
            _has(self.year, y - MIN_YEAR) and _has(self.month, mo) and _has(self.day_of_month, d)
            and _has(self.day_of_week, _weekday(y, mo, d)) and _has(self.hour, h) and _has(self.minute, mi) and _has(self.second, s)
        )

    def next_local(self, start: tuple[int, int, int, int, int, int]) -> tuple[int, int, int, int, int, int] | None:
        """The first local wall time >= start (y, mo, d, h, mi, s) whose fields match; None after MAX_YEAR."""
        y, mo, d, h, mi, s = start
        while y <= MAX_YEAR:
            if not _has(self.year, y - MIN_YEAR):
                y, mo, d, h, mi, s = y + 1, 1, 1, 0, 0, 0
                continue
            if mo > 12:
                y, mo, d, h, mi, s = y + 1, 1, 1, 0, 0, 0
                continue
            if not _has(self.month, mo):
                mo, d, h, mi, s = mo + 1, 1, 0, 0, 0
                continue
            if d > _days_in_month(y, mo):
                mo, d, h, mi, s = mo + 1, 1, 0, 0, 0
                continue
            if not (_has(self.day_of_month, d) and _has(self.day_of_week, _weekday(y, mo, d))):
                d, h, mi, s = d + 1, 0, 0, 0
                continue
            if h > 23:
                d, h, mi, s = d + 1, 0, 0, 0
                continue
            if not _has(self.hour, h):
                h, mi, s = h + 1, 0, 0
                continue
            if mi > 59:
                h, mi, s = h + 1, 0, 0
                continue
            if not _has(self.minute, mi):
                mi, s = mi + 1, 0
                continue
            nxt = _next_bit(self.second, s)
            if nxt is None:
                mi, s = mi + 1, 0
                continue
            return (y, mo, d, h, mi, nxt)
        return None


def _has(mask: int, value: int) -> bool:
    return value >= 0 and (mask >> value) & 1 == 1


def _next_bit(mask: int, start: int) -> int | None:
    rest = mask >> start
    if rest == 0:
        return None
    return start + ((rest & -rest).bit_length() - 1)


def _weekday(y: int, mo: int, d: int) -> int:
    """0 = Sunday."""
    return (datetime.date(y, mo, d).weekday() + 1) % 7


def _days_in_month(y: int, mo: int) -> int:
    if mo == 2:
        return 29 if (y % 4 == 0 and (y % 100 != 0 or y % 400 == 0)) else 28
    return 30 if mo in (4, 6, 9, 11) else 31


def calendar_from_ranges(where: str, ranges: dict[str, Sequence[tuple[int, int, int]]], comment: str = "") -> Calendar:
    """A calendar from (start, end, step) ranges per field (the seed's ScheduleCalendar /
    ScheduleRange: end < start means just start, step 0 means 1); a field with no range
    takes its default (second, minute, hour 0; every day, month, year and weekday).
    Raises SpecError naming `where` and the field."""
    masks = {}
    for name, (lo, hi) in FIELDS.items():
        given = list(ranges.get(name) or ())
        for i, (start, end, step) in enumerate(given):
            place = f"{where}.{name}[{i}]"
            if not lo <= start <= hi:
                raise SpecError(f"{place}.start is {start}; {name} values go from {lo} to {hi}")
            if end > hi:
                raise SpecError(f"{place}.end is {end}; {name} values go from {lo} to {hi}")
            if step < 0:
                raise SpecError(f"{place}.step is {step}; it must be 0 (every value) or positive")
        chosen = given or DEFAULT_RANGES[name]
        if name == "year":
            chosen = [(a - MIN_YEAR, b - MIN_YEAR if b else 0, c) for a, b, c in chosen]
        masks[name] = _bits(chosen)
    return Calendar(comment=comment, **masks)


# ---------------------------------------------------------------- cron


@dataclass(frozen=True)
class Interval:
    """Every `every_s` seconds from the Unix epoch, shifted by `offset_s`."""

    every_s: int
    offset_s: int = 0

    def next_after(self, after_s: int) -> int:
        return ((after_s - self.offset_s) // self.every_s + 1) * self.every_s + self.offset_s


def make_interval(where: str, every_ns: int, offset_ns: int = 0) -> Interval:
    """An interval in whole seconds (Temporal's resolution): at least 1 s; 0 <= offset < every."""
    if every_ns < NS:
        raise SpecError(f"{where}.every is {every_ns / NS:g} s; an interval must be at least 1 second")
    if offset_ns < 0:
        raise SpecError(f"{where}.offset is {offset_ns / NS:g} s; it must not be negative")
    every_s, offset_s = every_ns // NS, offset_ns // NS
    if offset_s >= every_s:
        raise SpecError(f"{where}.offset is {offset_s} s; it must be less than every ({every_s} s)")
    return Interval(every_s, offset_s)


@dataclass(frozen=True)
class CronParts:
    """What one cron expression compiles to: a calendar or an interval, and its CRON_TZ zone."""

    calendar: Calendar | None = None
    interval: Interval | None = None
    time_zone: str = ""


def parse_cron(expression: str, where: str = "cron expression") -> CronParts:
    """Compile one cron expression (see the module doc); SpecError names the field that is wrong."""
    text = expression.strip()
    head = f"{where} {expression!r}"
    comment = ""
    if "#" in text:
        text, comment = text.split("#", 1)
        text, comment = text.strip(), comment.strip()
    zone = ""
    if text.startswith(("CRON_TZ=", "TZ=")):
        prefix, _, text = text.partition(" ")
        zone = prefix.split("=", 1)[1]
        if not zone or not text.strip():
            raise SpecError(f"{head}: write CRON_TZ=<zone> followed by the schedule, e.g. 'CRON_TZ=Europe/Paris 0 9 * * *'")
        text = text.strip()
    if text.startswith("@every"):
        rest = text[len("@every"):].strip()
        if not rest:
            raise SpecError(f"{head}: @every needs a duration, e.g. '@every 30m' or '@every 1h/15m'")
        every, _, offset = rest.partition("/")
        try:
            interval = make_interval(head, parse_duration(every), parse_duration(offset) if offset else 0)
        except SpecError as exc:
            raise SpecError(f"{head}: {exc}" if not str(exc).startswith(head) else str(exc)) from None
        return CronParts(interval=interval, time_zone=zone)
    if text.startswith("@"):
        if text not in _MACROS:
            raise SpecError(f"{head}: unknown macro {text!r}; use one of {', '.join(sorted(_MACROS))} or '@every <duration>'")
        text = _MACROS[text]
    fields = text.split()
    if len(fields) not in _CRON_FIELDS:
        raise SpecError(
            f"{head} has {len(fields)} field{'s' if len(fields) != 1 else ''}; write 5 (minute hour day-of-month month day-of-week), "
            "6 (... year) or 7 (second minute hour day-of-month month day-of-week year), or a macro such as @daily"
        )
    ranges = {}
    for name, value in zip(_CRON_FIELDS[len(fields)], fields):
        ranges[name] = _parse_cron_field(head, name, value)
    return CronParts(calendar=calendar_from_ranges(head, ranges, comment), time_zone=zone)


def _parse_cron_field(head: str, name: str, text: str) -> list[tuple[int, int, int]]:
    lo, hi = FIELDS[name]
    if name == "day_of_week":
        hi = 7  # 7 is Sunday too
    label = name.replace("_", "-")
    out = []
    for part in text.split(","):
        where = f"{head}: {label} field {text!r}"
        if not part:
            raise SpecError(f"{where} has an empty item (a stray comma?)")
        step = 1
        base = part
        if "/" in part:
            base, _, step_text = part.partition("/")
            if not step_text.isdigit() or int(step_text) < 1:
                raise SpecError(f"{where}: step {step_text!r} in {part!r} must be a whole number of at least 1")
            step = int(step_text)
        if base == "*":
            start, end = lo, hi
        elif "-" in base:
            first, _, last = base.partition("-")
            start = _cron_value(where, name, first, lo, hi)
            end = _cron_value(where, name, last, lo, hi)
            if end < start:
                raise SpecError(f"{where}: range {base!r} ends before it starts")
        else:
            start = _cron_value(where, name, base, lo, hi)
            end = hi if "/" in part else start
        if name == "day_of_week":
            values = range(start, end + 1, step)
            out.extend((v % 7, v % 7, 1) for v in values)
        else:
            out.append((start, end, step))
    return out


def _cron_value(where: str, name: str, text: str, lo: int, hi: int) -> int:
    lowered = text.lower()
    if name == "month" and len(lowered) >= 3 and lowered.isalpha():
        for i, month in enumerate(_MONTHS):
            if month.startswith(lowered):
                return i + 1
    if name == "day_of_week" and len(lowered) >= 2 and lowered.isalpha():
        for i, day in enumerate(_WEEKDAYS):
            if day.startswith(lowered):
                return i
    if not text.isdigit():
        kind = {"month": "a number or a month name", "day_of_week": "a number or a day name"}.get(name, "a number")
        raise SpecError(f"{where}: {text!r} is not {kind}")
    value = int(text)
    if not lo <= value <= hi:
        raise SpecError(f"{where}: {value} is out of range {lo}-{hi}")
    return value


# ---------------------------------------------------------------- time zones


def load_zone(name: str, where: str = "time_zone_name") -> datetime.tzinfo:
    """An IANA zone (empty or UTC = UTC); SpecError for an unknown name."""
    if not name or name.upper() == "UTC":
        return UTC
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        raise SpecError(f"{where} {name!r} is not a known IANA time zone (e.g. 'Europe/Paris', 'America/New_York', 'UTC')") from None


# ---------------------------------------------------------------- the compiled spec


@dataclass
class CompiledSpec:
    """A whole spec, ready to answer "when next?". Times are unix nanoseconds in and out;
    nominal times fall on whole seconds."""

    calendars: list[Calendar] = field(default_factory=list)
    intervals: list[Interval] = field(default_factory=list)
    skip: list[Calendar] = field(default_factory=list)
    start_ns: int | None = None
    end_ns: int | None = None
    jitter_ns: int = 0
    zone: datetime.tzinfo = UTC
    jitter_seed: str = ""

    def next_time(self, after_ns: int) -> tuple[int, int] | None:
        """(nominal, actual) of the first time strictly after `after_ns` (actual = nominal plus
        jitter, never reaching the time after it); None when nothing is left."""
        after_s = _floor_s(after_ns)
        if self.start_ns is not None and after_ns < self.start_ns:
            after_s = -(-self.start_ns // NS) - 1  # the start second itself may match
        for _ in range(100_000):  # skip calendars can exclude many times in a row
            nominal = self._raw_next(after_s)
            if nominal is None or (self.end_ns is not None and nominal * NS > self.end_ns):
                return None
            if not self._skipped(nominal):
                break
            after_s = nominal
        else:
            return None
        return nominal * NS, nominal * NS + self._jitter(nominal)

    def times(self, after_ns: int, count: int, until_ns: int | None = None) -> list[tuple[int, int]]:
        """Up to `count` successive next_time results after `after_ns` (actual <= until_ns)."""
        out = []
        while len(out) < count:
            nxt = self.next_time(after_ns)
            if nxt is None or (until_ns is not None and nxt[1] > until_ns):
                break
            out.append(nxt)
            after_ns = nxt[1]
        return out

    def _raw_next(self, after_s: int) -> int | None:
        best = None
        for cal in self.calendars:
            t = _calendar_next(cal, self.zone, after_s)
            if t is not None and (best is None or t < best):
                best = t
        for iv in self.intervals:
            t = iv.next_after(after_s)
            if best is None or t < best:
                best = t
        return best

    def _skipped(self, t_s: int) -> bool:
        if not self.skip:
            return False
        local = datetime.datetime.fromtimestamp(t_s, self.zone)
        return any(c.matches_fields(local.year, local.month, local.day, local.hour, local.minute, local.second) for c in self.skip)

    def _jitter(self, nominal_s: int) -> int:
        if self.jitter_ns <= 0:
            return 0
        limit = self.jitter_ns
        following = self._raw_next(nominal_s)
        if following is not None:
            limit = min(limit, (following - nominal_s) * NS - 1)
        if limit <= 0:
            return 0
        digest = hashlib.blake2b(f"{self.jitter_seed}\x00{nominal_s}".encode(), digest_size=8).digest()
        return int.from_bytes(digest, "big") % (limit + 1)


def _floor_s(ns: int) -> int:
    return ns // NS


def _calendar_next(cal: Calendar, zone: datetime.tzinfo, after_s: int) -> int | None:
    """The first instant (unix s) after `after_s` whose local wall time in `zone` matches.

    Walks matching wall times in order. A wall time in a spring-forward gap does not exist
    (skipped); one in a fall-back overlap exists twice (both count). Valid first readings
    (fold=0) grow with the wall time, so once one passes the best instant found, stop."""
    if zone is UTC:
        wall = _fields(datetime.datetime.fromtimestamp(after_s + 1, UTC))
        found = cal.next_local(wall)
        return None if found is None else int(datetime.datetime(*found, tzinfo=UTC).timestamp())
    here = datetime.datetime.fromtimestamp(after_s, zone)
    # A fall-back change (the offset drops) near `after` repeats wall times that read earlier
    # than here but happen later: start the walk that much earlier.
    offset = here.utcoffset()
    back = max(
        datetime.timedelta(0),
        offset - datetime.datetime.fromtimestamp(after_s + 86400, zone).utcoffset(),
        datetime.datetime.fromtimestamp(after_s - 86400, zone).utcoffset() - offset,
    )
    start = here.replace(tzinfo=None, fold=0) - back
    wall = _fields(start)
    best = None
    while True:
        found = cal.next_local(wall)
        if found is None:
            return best
        naive = datetime.datetime(*found)
        first = _instant(naive, zone, 0)
        if first is not None and best is not None and first > best:
            return best
        for candidate in (first, _instant(naive, zone, 1)):
            if candidate is not None and candidate > after_s and (best is None or candidate < best):
                best = candidate
        wall = _fields(naive + datetime.timedelta(seconds=1))


def _instant(naive: datetime.datetime, zone: datetime.tzinfo, fold: int) -> int | None:
    """The unix second of a local wall time read with `fold`, or None if that reading does
    not exist (a gap, or fold=1 of a time that is not repeated)."""
    t = int(naive.replace(tzinfo=zone, fold=fold).timestamp())
    back = datetime.datetime.fromtimestamp(t, zone)
    if back.replace(tzinfo=None) != naive or back.fold != fold:
        return None
    return t


def _fields(dt: datetime.datetime) -> tuple[int, int, int, int, int, int]:
    return (dt.year, dt.month, dt.day, dt.hour, dt.minute, dt.second)


# ---------------------------------------------------------------- from the API's ScheduleSpec


def compile_spec(spec, where: str = "schedule.spec", jitter_seed: str = "") -> CompiledSpec:
    """A `fanflow.v1.ScheduleSpec` (protos/schedule.proto) compiled; SpecError names the part
    that is wrong (e.g. "schedule.spec.cron_expressions[1] '61 * * * *': minute field ...")."""
    zone_name = spec.time_zone_name
    cron_zone: str | None = None
    calendars, intervals = [], []
    for i, cal in enumerate(spec.calendars):
        calendars.append(_proto_calendar(f"{where}.calendars[{i}]", cal))
    for i, iv in enumerate(spec.intervals):
        intervals.append(make_interval(f"{where}.intervals[{i}]", iv.every.ToNanoseconds(), iv.offset.ToNanoseconds()))
    for i, expression in enumerate(spec.cron_expressions):
        parts = parse_cron(expression, f"{where}.cron_expressions[{i}]")
        if cron_zone is not None and parts.time_zone != cron_zone:
            raise SpecError(f"{where}.cron_expressions[{i}] {expression!r}: every cron expression must name the same CRON_TZ (or none)")
        cron_zone = parts.time_zone
        if parts.calendar is not None:
            calendars.append(parts.calendar)
        if parts.interval is not None:
            intervals.append(parts.interval)
    if cron_zone:
        if zone_name and zone_name != cron_zone:
            raise SpecError(f"{where}.cron_expressions name CRON_TZ={cron_zone} but {where}.time_zone_name is {zone_name!r}; give the zone once")
        zone_name = cron_zone
    if not calendars and not intervals:
        raise SpecError(f"{where} gives no times: set at least one of cron_expressions, intervals or calendars")
    skip = [_proto_calendar(f"{where}.skip[{i}]", cal) for i, cal in enumerate(spec.skip)]
    start_ns = spec.start_time.ToNanoseconds() if spec.HasField("start_time") else None
    end_ns = spec.end_time.ToNanoseconds() if spec.HasField("end_time") else None
    if start_ns is not None and end_ns is not None and end_ns <= start_ns:
        raise SpecError(f"{where}.end_time ({_iso(end_ns)}) is not after {where}.start_time ({_iso(start_ns)})")
    jitter_ns = spec.jitter.ToNanoseconds()
    if jitter_ns < 0:
        raise SpecError(f"{where}.jitter is negative; it must be zero or positive")
    return CompiledSpec(
        calendars=calendars, intervals=intervals, skip=skip, start_ns=start_ns, end_ns=end_ns,
        jitter_ns=jitter_ns, zone=load_zone(zone_name, f"{where}.time_zone_name"), jitter_seed=jitter_seed,
    )


def _proto_calendar(where: str, cal) -> Calendar:
    ranges = {name: [(r.start, r.end, r.step) for r in getattr(cal, name)] for name in FIELDS}
    return calendar_from_ranges(where, ranges, cal.comment)


def _iso(ns: int) -> str:
    return datetime.datetime.fromtimestamp(ns / NS, UTC).isoformat().replace("+00:00", "Z")
