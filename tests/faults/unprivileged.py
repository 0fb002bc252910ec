"""Running Python code as a process that file permissions apply to.

Permission faults (an unreadable file, a read-only folder) cannot be staged for root, who reads
and writes whatever the mode bits say. As root, `run_python` starts the child through util-linux
`setpriv` with the two capabilities that bypass permissions (CAP_DAC_OVERRIDE,
CAP_DAC_READ_SEARCH) taken out of its bounding set: it stays root, so it can still run this
interpreter and owns the files the test made, but the mode bits bind it as they bind its owner.
Any other user is bound already and runs the child as it is. `skip_reason()` says why neither
works here (no setpriv, or a container that may not drop capabilities).
"""

from __future__ import annotations

import functools
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
_DROP = "-dac_override,-dac_read_search"


def _prefix() -> list[str]:
    if os.geteuid() != 0:
        return []
    setpriv = shutil.which("setpriv")
    return [setpriv, "--bounding-set", _DROP, "--"] if setpriv else []


@functools.cache
def skip_reason() -> str | None:
    """Why a permission fault cannot be staged on this machine, or None when it can."""
    if os.geteuid() != 0:
        return None
    if not _prefix():
        return "running as root, and util-linux setpriv is missing to drop its DAC capabilities"
    probe = subprocess.run(
        [*_prefix(), sys.executable, "-c", "open('/proc/self/status').read()"],
        capture_output=True,
        check=False,
    )
    if probe.returncode != 0:
        return f"running as root, and setpriv cannot drop capabilities here: {probe.stderr!r}"
    return None


def bound_python() -> list[str]:
    """The command line of this interpreter run as a process that file permissions bind."""
    return [*_prefix(), sys.executable]


def run_python(code: str, *args: str, timeout: float = 120) -> Any:
    """Run `code` in a child bound by file permissions; the JSON it printed last, decoded."""
    done = subprocess.run(
        [*bound_python(), "-c", code, *args],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        timeout=timeout,
        check=False,
    )
    assert done.returncode == 0, f"the child failed:\n{done.stdout}\n{done.stderr}"
    return json.loads(done.stdout.strip().splitlines()[-1])


#: A child that opens a store read-only and prints its trace ids, or the error it met.
OPEN_AND_LIST = """
import json, sys
from core.errors import StoreError
from core.store.store import Store
try:
    with Store.open(sys.argv[1]) as store:
        rows = store.reader.trace_page(None, limit=1000).rows
        print(json.dumps({"traces": sorted(row.trace_id for row in rows)}))
except StoreError as error:
    print(json.dumps({"error": type(error).__name__, "message": str(error)}))
"""
