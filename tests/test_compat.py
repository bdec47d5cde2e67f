"""compat.install(): `import apscheduler...` gives apscheduler_rs's modules.

Each test runs in a fresh interpreter, since this one has the real apscheduler
(the reference) imported."""

from __future__ import annotations

import pickle
import subprocess
import sys
import textwrap

from apscheduler.triggers.cron import CronTrigger as ReferenceCron


def run(code: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)], capture_output=True, text=True, timeout=120
    )


def test_imports_resolve_to_the_same_module_objects() -> None:
    result = run(
        """
        import apscheduler_rs.compat as compat
        compat.install()
        import apscheduler
        from apscheduler.triggers.cron import CronTrigger
        from apscheduler.util import obj_to_ref
        import apscheduler.events as events
        import apscheduler_rs, apscheduler_rs.triggers.cron as real, apscheduler_rs.events
        assert apscheduler is apscheduler_rs
        assert CronTrigger is real.CronTrigger
        assert events is apscheduler_rs.events
        assert real.__spec__.name == "apscheduler_rs.triggers.cron", real.__spec__
        assert compat.installed()
        compat.install()  # idempotent
        print(CronTrigger(hour=8, timezone="UTC"))
        """
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "cron[hour='8']"


def test_missing_modules_fail_instead_of_loading_the_real_apscheduler() -> None:
    result = run(
        """
        import apscheduler_rs.compat as compat
        compat.install()
        try:
            import apscheduler.nonexistent_module
        except ModuleNotFoundError as exc:
            print("refused:", exc.name)
        """
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "refused: apscheduler.nonexistent_module"


def test_install_after_the_real_apscheduler_is_refused() -> None:
    result = run(
        """
        import apscheduler.triggers.cron
        import apscheduler_rs.compat as compat
        try:
            compat.install()
        except RuntimeError as exc:
            print("RuntimeError:", exc)
        """
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("RuntimeError: apscheduler is already imported")


def test_apscheduler_pickles_load_unchanged_after_install() -> None:
    data = pickle.dumps(ReferenceCron(day="last", hour=2, timezone="Europe/Helsinki"))
    result = run(
        f"""
        import pickle
        import apscheduler_rs.compat as compat
        compat.install()
        trigger = pickle.loads({data!r})
        print(type(trigger).__module__, trigger)
        """
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "apscheduler_rs.triggers.cron cron[day='last', hour='2']"


def test_uninstall_restores_normal_imports() -> None:
    result = run(
        """
        import sys
        import apscheduler_rs.compat as compat
        compat.install()
        import apscheduler.util
        compat.uninstall()
        assert not compat.installed()
        assert "apscheduler.util" not in sys.modules
        import apscheduler.util  # the real one (installed as the test oracle)
        print(apscheduler.util.__spec__.name, apscheduler.util.__file__.endswith("apscheduler/util.py"))
        """
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "apscheduler.util True"
