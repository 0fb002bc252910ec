"""The app tests' window fixtures, for the fault tests that check the window too.

Their autouse fixtures come along: test names for QSettings, a fresh settings folder per test,
and the check that no test leaves a thread running (the trace writer's included).
"""

from tests.app.conftest import (
    application_names,
    make_window,
    no_dangling_threads,
    temporary_settings,
    window,
)

__all__ = [  # fixtures, used by name
    "application_names",
    "make_window",
    "no_dangling_threads",
    "temporary_settings",
    "window",
]
