//! Criterion benches of the pure-Rust trigger core (no Python involved).
//!
//! Run with `cargo bench --bench triggers` (add `-- --quick` for a short run).
//! Groups:
//! - `cron_parse`: `CronTrigger::compile_fields` for typical field sets
//! - `cron_next/<zone>`: one `next_fire_time` from a fixed `now` (no previous)
//! - `cron_chain100/<zone>`: 100 fire times chained as a scheduler does
//!   (`prev` = last result, `now` = `prev`)
//! - `interval/<zone>`: `next_timestamp` + `fire_time`, chained and fresh-now
//! - `calendarinterval/<zone>`: chained `next_fire_time`
//!
//! Zones: Europe/Helsinki (chrono-tz, DST) and a fixed +05:30 offset.

use std::hint::black_box;
use std::time::Duration;

use chrono::{NaiveDate, NaiveTime};
use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion};

use apscheduler_rs::time::civil::{make_naive, with_micro};
use apscheduler_rs::time::{Zone, ZonedDateTime};
use apscheduler_rs::triggers::calendarinterval::CalendarIntervalTrigger;
use apscheduler_rs::triggers::cron::{CronTrigger, FieldValues};
use apscheduler_rs::triggers::interval::IntervalTrigger;

fn zones() -> [(&'static str, Zone); 2] {
    [
        (
            "helsinki",
            Zone::Named {
                tz: chrono_tz::Europe::Helsinki,
                twin: None,
            },
        ),
        ("fixed+0530", Zone::Fixed((5 * 3600 + 30 * 60) * 1_000_000)),
    ]
}

/// An aware datetime in `zone` (fold 0).
#[allow(clippy::too_many_arguments)]
fn at(zone: &Zone, y: i64, mo: i64, d: i64, h: i64, mi: i64, s: i64, micro: u32) -> ZonedDateTime {
    let wall = with_micro(
        make_naive(y, mo, d, h, mi, s).expect("valid wall time"),
        micro,
    );
    ZonedDateTime::new(wall, false, zone.clone())
}

/// Field values in `FieldKind::ALL` order:
/// year, month, day, week, day_of_week, hour, minute, second.
type Spec = (&'static str, FieldValues<'static>);

const PARSE_CASES: [Spec; 4] = [
    // CronTrigger.from_crontab('*/5 8-17 * * mon-fri')
    (
        "crontab_*/5_8-17_*_*_mon-fri",
        [
            None,
            Some("*"),
            Some("*"),
            None,
            Some("mon-fri"),
            Some("8-17"),
            Some("*/5"),
            None,
        ],
    ),
    (
        "day=3rd_fri",
        [None, None, Some("3rd fri"), None, None, None, None, None],
    ),
    (
        "day=last",
        [None, None, Some("last"), None, None, None, None, None],
    ),
    (
        "month=6-8,11-12_day=last_hour=0",
        [
            None,
            Some("6-8,11-12"),
            Some("last"),
            None,
            None,
            Some("0"),
            None,
            None,
        ],
    ),
];

const NEXT_CASES: [Spec; 5] = [
    // hour=9, minute=0: daily at 09:00:00
    (
        "daily_09:00",
        [None, None, None, None, None, Some("9"), Some("0"), None],
    ),
    // day_of_week='mon-fri', hour='8,12', minute=30
    (
        "mon-fri_8,12:30",
        [
            None,
            None,
            None,
            None,
            Some("mon-fri"),
            Some("8,12"),
            Some("30"),
            None,
        ],
    ),
    // second='*/5'
    (
        "every_5s",
        [None, None, None, None, None, None, None, Some("*/5")],
    ),
    // month=2, day=29: only in leap years
    (
        "feb_29",
        [None, Some("2"), Some("29"), None, None, None, None, None],
    ),
    // day='3rd fri', hour=10
    (
        "3rd_fri_10:00",
        [
            None,
            None,
            Some("3rd fri"),
            None,
            None,
            Some("10"),
            None,
            None,
        ],
    ),
];

fn cron_trigger(values: &FieldValues, zone: &Zone) -> CronTrigger {
    CronTrigger {
        fields: CronTrigger::compile_fields(values)
            .expect("valid fields")
            .into(),
        zone: zone.clone(),
        start_date: None,
        end_date: None,
    }
}

fn bench_cron_parse(c: &mut Criterion) {
    let mut group = c.benchmark_group("cron_parse");
    for (name, values) in &PARSE_CASES {
        group.bench_with_input(BenchmarkId::from_parameter(name), values, |b, values| {
            b.iter(|| CronTrigger::compile_fields(black_box(values)).unwrap())
        });
    }
    group.finish();
}

fn bench_cron_next(c: &mut Criterion) {
    for (zone_name, zone) in zones() {
        // A Saturday in mid-March (a DST change is two weeks away in Helsinki),
        // with microseconds so the round-up to a whole second is exercised.
        let now = at(&zone, 2025, 3, 15, 10, 17, 23, 500_000);
        let mut group = c.benchmark_group(format!("cron_next/{zone_name}"));
        for (name, values) in &NEXT_CASES {
            let trigger = cron_trigger(values, &zone);
            group.bench_function(*name, |b| {
                b.iter(|| {
                    black_box(&trigger)
                        .next_fire_time(None, black_box(&now))
                        .unwrap()
                        .unwrap()
                })
            });
        }
        group.finish();
    }
}

fn bench_cron_chain(c: &mut Criterion) {
    for (zone_name, zone) in zones() {
        // Starts before the spring-forward change (Helsinki: 2025-03-30 03:00).
        let now = at(&zone, 2025, 3, 15, 10, 17, 23, 0);
        let mut group = c.benchmark_group(format!("cron_chain100/{zone_name}"));
        for (name, values) in &NEXT_CASES {
            let trigger = cron_trigger(values, &zone);
            group.bench_function(*name, |b| {
                b.iter(|| {
                    let mut prev: Option<ZonedDateTime> = None;
                    let mut now = now.clone();
                    for _ in 0..100 {
                        let next = trigger
                            .next_fire_time(prev.as_ref(), &now)
                            .unwrap()
                            .unwrap();
                        now = next.clone();
                        prev = Some(next);
                    }
                    black_box(prev)
                })
            });
        }
        group.finish();
    }
}

fn bench_interval(c: &mut Criterion) {
    for (zone_name, zone) in zones() {
        let start = at(&zone, 2025, 1, 1, 0, 0, 0, 0);
        let trigger = IntervalTrigger::new(3600.0, start.utc_micros().expect("valid"), None);
        let fire_time = |ts: f64| {
            let utc = trigger.fire_instant(ts).unwrap().unwrap();
            ZonedDateTime::from_utc(utc, &zone).unwrap()
        };
        // In summer while the start date is in winter: each step needs the
        // offsets of both DST periods.
        let now = at(&zone, 2025, 6, 1, 10, 17, 23, 500_000);
        let mut group = c.benchmark_group(format!("interval/{zone_name}"));
        group.bench_function("fresh_now", |b| {
            b.iter(|| {
                fire_time(
                    trigger
                        .first_timestamp(|| Ok(start.clone()), black_box(&now))
                        .unwrap(),
                )
            })
        });
        let first = fire_time(trigger.first_timestamp(|| Ok(start.clone()), &now).unwrap());
        group.bench_function("chained_step", |b| {
            b.iter(|| {
                let prev = black_box(&first);
                fire_time(trigger.timestamp_after(prev.utc_micros().unwrap()))
            })
        });
        group.bench_function("chain100", |b| {
            b.iter(|| {
                let mut prev = first.clone();
                for _ in 0..100 {
                    prev = fire_time(trigger.timestamp_after(prev.utc_micros().unwrap()));
                }
                black_box(prev)
            })
        });
        group.finish();
    }
}

fn bench_calendarinterval(c: &mut Criterion) {
    for (zone_name, zone) in zones() {
        // Every month on the 31st at 02:30 (short months are skipped).
        let trigger = CalendarIntervalTrigger {
            years: 0,
            months: 1,
            days: 0,
            time: NaiveTime::from_hms_opt(2, 30, 0).unwrap(),
            zone: zone.clone(),
            start_date: NaiveDate::from_ymd_opt(2025, 1, 31).unwrap(),
            end_date: None,
        };
        // Every day at 03:30; Helsinki skips 03:30 on 2025-03-30, which a chain
        // of 100 days from 2025-01-01 passes over.
        let daily = CalendarIntervalTrigger {
            months: 0,
            days: 1,
            time: NaiveTime::from_hms_opt(3, 30, 0).unwrap(),
            start_date: NaiveDate::from_ymd_opt(2025, 1, 1).unwrap(),
            ..trigger.clone()
        };
        let mut group = c.benchmark_group(format!("calendarinterval/{zone_name}"));
        for (name, trig) in [("monthly_31st_02:30", &trigger), ("daily_03:30", &daily)] {
            let first = trig.next_fire_time(None).unwrap().unwrap();
            group.bench_function(format!("{name}/step"), |b| {
                b.iter(|| {
                    trig.next_fire_time(Some(black_box(&first).wall.date()))
                        .unwrap()
                        .unwrap()
                })
            });
            group.bench_function(format!("{name}/chain100"), |b| {
                b.iter(|| {
                    let mut prev = first.wall.date();
                    for _ in 0..100 {
                        prev = trig
                            .next_fire_time(Some(prev))
                            .unwrap()
                            .unwrap()
                            .wall
                            .date();
                    }
                    black_box(prev)
                })
            });
        }
        group.finish();
    }
}

fn config() -> Criterion {
    Criterion::default()
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2))
}

criterion_group! {
    name = benches;
    config = config();
    targets = bench_cron_parse, bench_cron_next, bench_cron_chain, bench_interval,
        bench_calendarinterval
}
criterion_main!(benches);
