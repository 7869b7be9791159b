"""The time-spec engine (fanflow/schedule_spec.py): Temporal's cron forms, calendars of
ranges, intervals with an offset, skip calendars, start/end, jitter, time zones and the
daylight-saving edges (a skipped local time does not fire, a repeated one fires twice)."""
from __future__ import annotations

import datetime as dt
import random

import pytest
from hypothesis import given, settings, strategies as st

from fanflow.schedule_spec import CompiledSpec, SpecError, calendar_from_ranges, compile_spec, load_zone, parse_cron, parse_duration
from protos import schedule_pb2 as S

NS = 1_000_000_000
UTC = dt.timezone.utc


def spec_of(*crons: str, **options) -> CompiledSpec:
    calendars, intervals, zone = [], [], ""
    for cron in crons:
        parts = parse_cron(cron)
        zone = parts.time_zone or zone
        if parts.calendar:
            calendars.append(parts.calendar)
        if parts.interval:
            intervals.append(parts.interval)
    return CompiledSpec(calendars=calendars, intervals=intervals, zone=load_zone(options.pop("tz", zone)), **options)


def ns(t: dt.datetime) -> int:
    return int(t.timestamp()) * NS


def local_times(spec: CompiledSpec, start: dt.datetime, count: int) -> list[str]:
    return [dt.datetime.fromtimestamp(nominal / NS, spec.zone).isoformat() for nominal, _ in spec.times(ns(start), count)]


def check_every_second_agrees(spec: CompiledSpec, start: dt.datetime, count: int) -> None:
    """Between two consecutive times, asking from any second gives the later one (no time is
    skipped or repeated whichever second the schedule wakes at)."""
    after = ns(start)
    for _ in range(count):
        nominal, _ = spec.next_time(after)
        for second in range(after // NS, nominal // NS):
            assert spec.next_time(second * NS)[0] == nominal, (second, nominal)
        after = nominal


# ---------------------------------------------------------------- cron forms


def test_five_field_cron_in_utc():
    spec = spec_of("*/15 9-17 * * mon-fri")
    assert local_times(spec, dt.datetime(2024, 1, 5, 16, 40, tzinfo=UTC), 4) == [
        "2024-01-05T16:45:00+00:00", "2024-01-05T17:00:00+00:00", "2024-01-05T17:15:00+00:00", "2024-01-05T17:30:00+00:00",
    ]
    # Friday 17:45 is the last of the week; Monday 09:00 comes next
    assert local_times(spec, dt.datetime(2024, 1, 5, 17, 45, tzinfo=UTC), 1) == ["2024-01-08T09:00:00+00:00"]


def test_six_fields_end_with_the_year_and_seven_start_with_the_second():
    six = spec_of("30 12 1 jan * 2030")
    assert local_times(six, dt.datetime(2024, 1, 1, tzinfo=UTC), 2) == ["2030-01-01T12:30:00+00:00"]
    seven = spec_of("15 30 12 1 1 * 2027-2028")
    assert local_times(seven, dt.datetime(2024, 1, 1, tzinfo=UTC), 3) == ["2027-01-01T12:30:15+00:00", "2028-01-01T12:30:15+00:00"]


def test_macros_names_steps_and_comments():
    assert local_times(spec_of("@daily"), dt.datetime(2024, 2, 28, 5, tzinfo=UTC), 2) == ["2024-02-29T00:00:00+00:00", "2024-03-01T00:00:00+00:00"]
    assert local_times(spec_of("@hourly"), dt.datetime(2024, 2, 28, 5, 1, tzinfo=UTC), 1) == ["2024-02-28T06:00:00+00:00"]
    assert local_times(spec_of("@weekly"), dt.datetime(2024, 3, 1, tzinfo=UTC), 1) == ["2024-03-03T00:00:00+00:00"]  # a Sunday
    assert local_times(spec_of("@monthly"), dt.datetime(2024, 3, 1, 0, 0, 1, tzinfo=UTC), 1) == ["2024-04-01T00:00:00+00:00"]
    assert local_times(spec_of("@yearly"), dt.datetime(2024, 3, 1, tzinfo=UTC), 1) == ["2025-01-01T00:00:00+00:00"]
    # "x/step" runs from x to the field's end; 7 is Sunday; month names; a trailing comment
    spec = spec_of("0 10/6 * feb,Mar 7 # twice a sunday in feb and march")
    assert local_times(spec, dt.datetime(2024, 2, 1, tzinfo=UTC), 3) == [
        "2024-02-04T10:00:00+00:00", "2024-02-04T16:00:00+00:00", "2024-02-04T22:00:00+00:00",
    ]
    assert parse_cron("0 0 * * * # note").calendar.comment == "note"


def test_day_of_month_and_day_of_week_must_both_match():
    """Temporal's rule (not classic cron's OR): the 13th only when it is a Friday."""
    spec = spec_of("0 0 13 * fri")
    assert local_times(spec, dt.datetime(2024, 1, 1, tzinfo=UTC), 3) == [
        "2024-09-13T00:00:00+00:00", "2024-12-13T00:00:00+00:00", "2025-06-13T00:00:00+00:00",
    ]


def test_every_macro_is_an_interval_with_an_offset():
    parts = parse_cron("@every 1h/15m")
    assert parts.calendar is None and (parts.interval.every_s, parts.interval.offset_s) == (3600, 900)
    spec = spec_of("@every 1h/15m")
    assert local_times(spec, dt.datetime(2024, 1, 1, 10, 20, tzinfo=UTC), 2) == ["2024-01-01T11:15:00+00:00", "2024-01-01T12:15:00+00:00"]
    assert parse_duration("1h30m") == 5400 * NS and parse_duration("1.5d") == 129600 * NS and parse_duration("250ms") == NS // 4


def test_cron_tz_prefix_sets_the_zone():
    spec = spec_of("CRON_TZ=Asia/Tokyo 0 9 * * *")
    assert spec.zone.key == "Asia/Tokyo"
    first = spec.next_time(ns(dt.datetime(2023, 12, 31, 12, tzinfo=UTC)))[0]
    assert dt.datetime.fromtimestamp(first / NS, UTC).isoformat() == "2024-01-01T00:00:00+00:00"  # 09:00 in Tokyo


@pytest.mark.parametrize(
    "expression, message",
    [
        ("61 * * * *", r"minute field '61': 61 is out of range 0-59"),
        ("0 24 * * *", r"hour field '24': 24 is out of range 0-23"),
        ("0 0 0 * *", r"day-of-month field '0': 0 is out of range 1-31"),
        ("0 0 * 13 *", r"month field '13': 13 is out of range 1-12"),
        ("0 0 * jn *", r"month field 'jn': 'jn' is not a number or a month name"),
        ("0 0 * * fun", r"day-of-week field 'fun': 'fun' is not a number or a day name"),
        ("0 0 * * 8", r"day-of-week field '8': 8 is out of range 0-7"),
        ("0 0 * * * 1999", r"year field '1999': 1999 is out of range 2000-2100"),
        ("5-2 * * * *", r"minute field '5-2': range '5-2' ends before it starts"),
        ("*/0 * * * *", r"minute field '\*/0': step '0'"),
        ("1,,2 * * * *", r"minute field '1,,2' has an empty item"),
        ("* * * *", r"has 4 fields; write 5"),
        ("0 0 1 2 3 4 5 6", r"has 8 fields"),
        ("@fortnightly", r"unknown macro '@fortnightly'"),
        ("@every", r"@every needs a duration"),
        ("@every 0s", r"at least 1 second"),
        ("@every 1h/2h", r"offset is 7200 s; it must be less than every"),
        ("@every 5 minutes", r"duration '5 minutes' is not valid"),
        ("L * * * *", r"minute field 'L': 'L' is not a number"),
    ],
)
def test_bad_cron_names_the_field(expression, message):
    with pytest.raises(SpecError, match=message):
        parse_cron(expression)


# ---------------------------------------------------------------- calendars, intervals, skip, bounds


def test_calendar_ranges_with_seed_defaults():
    # ScheduleCalendar(hour=[9], minute=[0]): seconds default 0, every day
    cal = calendar_from_ranges("c", {"hour": [(9, 0, 0)], "minute": [(0, 0, 0)]})
    spec = CompiledSpec(calendars=[cal])
    assert local_times(spec, dt.datetime(2024, 1, 1, 9, 0, 1, tzinfo=UTC), 2) == ["2024-01-02T09:00:00+00:00", "2024-01-03T09:00:00+00:00"]
    # ranges with steps, end < start = just start, weekdays only
    cal = calendar_from_ranges("c", {"minute": [(0, 30, 15), (50, 10, 0)], "hour": [(8, 0, 0)], "day_of_week": [(1, 5, 0)]})
    spec = CompiledSpec(calendars=[cal])
    assert local_times(spec, dt.datetime(2024, 1, 5, 8, 20, tzinfo=UTC), 4) == [
        "2024-01-05T08:30:00+00:00", "2024-01-05T08:50:00+00:00", "2024-01-08T08:00:00+00:00", "2024-01-08T08:15:00+00:00",
    ]


@pytest.mark.parametrize(
    "ranges, message",
    [
        ({"second": [(60, 0, 0)]}, r"c.second\[0\].start is 60; second values go from 0 to 59"),
        ({"hour": [(1, 24, 0)]}, r"c.hour\[0\].end is 24"),
        ({"day_of_week": [(7, 0, 0)]}, r"c.day_of_week\[0\].start is 7; day_of_week values go from 0 to 6"),
        ({"month": [(1, 12, -1)]}, r"c.month\[0\].step is -1"),
        ({"year": [(1999, 0, 0)]}, r"c.year\[0\].start is 1999"),
    ],
)
def test_bad_calendar_ranges_name_the_field(ranges, message):
    with pytest.raises(SpecError, match=message):
        calendar_from_ranges("c", ranges)


def test_union_of_calendars_intervals_and_crons_minus_skip():
    spec = S.ScheduleSpec(
        cron_expressions=["0 12 * * *"],
        intervals=[S.ScheduleInterval(every={"seconds": 6 * 3600}, offset={"seconds": 3600})],
        calendars=[S.ScheduleCalendar(hour=[S.ScheduleRange(start=3)])],
        skip=[S.ScheduleCalendar(hour=[S.ScheduleRange(start=7)], day_of_week=[S.ScheduleRange(start=0, end=6)])],  # no 07:00
    )
    compiled = compile_spec(spec)
    assert local_times(compiled, dt.datetime(2024, 1, 1, tzinfo=UTC), 6) == [
        "2024-01-01T01:00:00+00:00", "2024-01-01T03:00:00+00:00", "2024-01-01T12:00:00+00:00", "2024-01-01T13:00:00+00:00",
        "2024-01-01T19:00:00+00:00", "2024-01-02T01:00:00+00:00",
    ]


def test_start_and_end_bound_the_times():
    start, end = dt.datetime(2024, 1, 1, 10, tzinfo=UTC), dt.datetime(2024, 1, 1, 10, 3, tzinfo=UTC)
    spec = spec_of("* * * * *", start_ns=ns(start), end_ns=ns(end))
    assert local_times(spec, dt.datetime(2023, 6, 1, tzinfo=UTC), 10) == [  # the start itself counts
        "2024-01-01T10:00:00+00:00", "2024-01-01T10:01:00+00:00", "2024-01-01T10:02:00+00:00", "2024-01-01T10:03:00+00:00",
    ]


def test_jitter_is_deterministic_and_never_reaches_the_next_time():
    plain = spec_of("@every 60s")
    jittered = spec_of("@every 60s", jitter_ns=3600 * NS, jitter_seed="ns/sched")
    after = ns(dt.datetime(2024, 1, 1, tzinfo=UTC))
    times = jittered.times(after, 50)
    assert [n for n, _ in times] == [n for n, _ in plain.times(after, 50)]
    delays = [actual - nominal for nominal, actual in times]
    assert all(0 <= d < 60 * NS for d in delays) and len(set(delays)) > 40
    assert times == jittered.times(after, 50)  # same seed, same delays
    assert [a for _, a in spec_of("@every 60s", jitter_ns=3600 * NS, jitter_seed="other").times(after, 50)] != [a for _, a in times]


def test_intervals_ignore_time_zones_and_count_from_the_epoch():
    spec = spec_of("@every 2s", tz="America/New_York")
    assert [n // NS for n, _ in spec.times(101 * NS, 3)] == [102, 104, 106]


def test_compile_spec_errors_name_the_part():
    def error(**fields) -> str:
        with pytest.raises(SpecError) as info:
            compile_spec(S.ScheduleSpec(**fields))
        return str(info.value)

    assert "gives no times" in error()
    assert error(cron_expressions=["0 0 * * *", "bad"]).startswith("schedule.spec.cron_expressions[1] 'bad' has 1 field")
    assert "schedule.spec.intervals[0].every is 0 s; an interval must be at least 1 second" in error(intervals=[S.ScheduleInterval()])
    assert "schedule.spec.time_zone_name 'Mars/Olympus' is not a known IANA time zone" in error(cron_expressions=["@daily"], time_zone_name="Mars/Olympus")
    assert "end_time (2024-01-01T00:00:00Z) is not after schedule.spec.start_time (2024-06-01T00:00:00Z)" in error(
        cron_expressions=["@daily"], start_time={"seconds": 1717200000}, end_time={"seconds": 1704067200})
    assert "every cron expression must name the same CRON_TZ" in error(cron_expressions=["CRON_TZ=Europe/Paris @daily", "@daily"])
    assert "give the zone once" in error(cron_expressions=["CRON_TZ=Europe/Paris @daily"], time_zone_name="Asia/Tokyo")
    assert "schedule.spec.skip[0].hour[0].start is 30" in error(cron_expressions=["@daily"], skip=[S.ScheduleCalendar(hour=[S.ScheduleRange(start=30)])])


# ---------------------------------------------------------------- daylight saving


def test_spring_forward_skips_the_missing_local_time():
    spec = spec_of("CRON_TZ=US/Pacific 33 33 2 * * * *")
    assert local_times(spec, dt.datetime(2022, 3, 11, 20, tzinfo=load_zone("US/Pacific")), 3) == [
        "2022-03-12T02:33:33-08:00", "2022-03-14T02:33:33-07:00", "2022-03-15T02:33:33-07:00",  # no 2:33:33 on March 13
    ]


def test_fall_back_fires_the_repeated_local_time_twice():
    spec = spec_of("CRON_TZ=US/Pacific 33 33,44 1 * * * *")
    assert local_times(spec, dt.datetime(2021, 11, 7, 0, 15, 15, tzinfo=load_zone("US/Pacific")), 6) == [
        "2021-11-07T01:33:33-07:00", "2021-11-07T01:44:33-07:00",
        "2021-11-07T01:33:33-08:00", "2021-11-07T01:44:33-08:00",  # the same wall times, an hour later
        "2021-11-08T01:33:33-08:00", "2021-11-08T01:44:33-08:00",
    ]


def test_hourly_across_both_changes_in_london():
    spec = spec_of("30 * * * *", tz="Europe/London")
    zone = load_zone("Europe/London")
    assert local_times(spec, dt.datetime(2024, 3, 31, 0, 0, tzinfo=zone), 3) == [
        "2024-03-31T00:30:00+00:00", "2024-03-31T02:30:00+01:00", "2024-03-31T03:30:00+01:00",  # 01:30 does not exist
    ]
    assert local_times(spec, dt.datetime(2024, 10, 27, 0, 0, tzinfo=zone), 4) == [
        "2024-10-27T00:30:00+01:00", "2024-10-27T01:30:00+01:00", "2024-10-27T01:30:00+00:00", "2024-10-27T02:30:00+00:00",
    ]


@pytest.mark.parametrize("zone, start", [
    ("US/Pacific", dt.datetime(2021, 11, 6, 23)), ("US/Pacific", dt.datetime(2022, 3, 12, 23)),
    ("Europe/London", dt.datetime(2024, 10, 26, 23)), ("Australia/Lord_Howe", dt.datetime(2024, 4, 6, 23)),  # a 30-minute change
])
def test_every_second_between_two_times_leads_to_the_later_one_across_dst(zone, start):
    spec = spec_of("*/20 1-3 * * *", tz=zone)
    check_every_second_agrees(spec, start.replace(tzinfo=load_zone(zone)), 8)


def test_midnight_daily_in_a_zone_whose_change_is_at_midnight():
    # Santiago moves clocks at 24:00 -> 01:00 in September: that day has no 00:00
    spec = spec_of("0 0 * * *", tz="America/Santiago")
    times = local_times(spec, dt.datetime(2024, 9, 6, 12, tzinfo=load_zone("America/Santiago")), 3)
    assert times == ["2024-09-07T00:00:00-04:00", "2024-09-09T00:00:00-03:00", "2024-09-10T00:00:00-03:00"]


@settings(max_examples=60, deadline=None)
@given(
    minute=st.sampled_from(["*", "0", "*/7", "15-45/10", "5,50"]),
    hour=st.sampled_from(["*", "1", "0-3", "*/5", "22-23"]),
    dom=st.sampled_from(["*", "1", "15-20", "31", "*/3"]),
    dow=st.sampled_from(["*", "0", "mon-fri", "6"]),
    zone=st.sampled_from(["UTC", "US/Pacific", "Europe/London", "Australia/Lord_Howe", "America/Santiago", "Asia/Kolkata"]),
    start=st.integers(min_value=1_600_000_000, max_value=1_800_000_000),
)
def test_property_next_is_after_matches_and_misses_nothing(minute, hour, dom, dow, zone, start):
    spec = spec_of(f"{minute} {hour} {dom} * {dow}", tz=zone)
    tz = load_zone(zone)
    after = start * NS
    nxt = spec.next_time(after)
    assert nxt is not None
    nominal = nxt[0] // NS
    assert nominal > start
    local = dt.datetime.fromtimestamp(nominal, tz)
    assert spec.calendars[0].matches_fields(local.year, local.month, local.day, local.hour, local.minute, local.second)
    # no matching instant in between (sampled), and every earlier second leads to the same time
    rng = random.Random(start)
    for second in [rng.randrange(start, nominal) for _ in range(40)] + [nominal - 1]:
        assert spec.next_time(second * NS)[0] // NS == nominal
    if nominal - start <= 3 * 86400:
        for second in range(start + 1, nominal, 60):
            probe = dt.datetime.fromtimestamp(second, tz)
            if probe.second == 0:
                assert not spec.calendars[0].matches_fields(probe.year, probe.month, probe.day, probe.hour, probe.minute, probe.second), probe
