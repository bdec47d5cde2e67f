"""apscheduler-rs: APScheduler 3 with a Rust core.

Import from ``apscheduler_rs`` exactly where you imported from ``apscheduler``
(``apscheduler_rs.triggers.cron.CronTrigger``, ...).
"""

release = "0.1.0"
version_info = tuple(int(part) for part in release.split("."))
version = __version__ = release

#: The APScheduler release whose behaviour this package reproduces.
apscheduler_compat_version = "3.11.3"
