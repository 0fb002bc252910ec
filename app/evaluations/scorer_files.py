"""Custom scorers from a Python file the user picks, run only as the user saw it (no Qt).

The rerun dialog reads the file (`read_code`), shows its path and text and asks before anything
runs. The job thread then loads exactly that text (`load_scorers`): a loader hands importlib the
confirmed source instead of reading the file again, so an edit made after the confirmation
cannot slip in. Every object the module defines that is a core `Scorer` (what `@core.scorer`
and the built-in scorer classes make) is collected; core's ready-made instances that the file
merely imported are left out.
"""

from __future__ import annotations

import hashlib
import importlib.abc
import importlib.util
import sys
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType

from core.scorers import Scorer, contains, exact_match

#: Files larger than this are not shown, so they are not run.
MAX_CODE_BYTES = 1_000_000


class ScorerFileError(RuntimeError):
    """The file cannot be used: unreadable, too large, failed to load, or holds no scorer."""


@dataclass(frozen=True)
class CodeFile:
    """A Python file as the user was shown it."""

    path: Path
    text: str

    @property
    def digest(self) -> str:
        return hashlib.sha256(self.text.encode("utf-8")).hexdigest()


def read_code(path: str | Path) -> CodeFile:
    """The file's text, to show before it runs."""
    target = Path(path)
    try:
        size = target.stat().st_size
        if size > MAX_CODE_BYTES:
            raise ScorerFileError(
                f"{target} is {size:,} bytes: too large to show, so it will not be run."
            )
        text = target.read_text("utf-8")
    except UnicodeDecodeError as error:
        raise ScorerFileError(f"{target} is not a UTF-8 text file.") from error
    except OSError as error:
        raise ScorerFileError(f"{target} cannot be read: {error.strerror or error}.") from error
    return CodeFile(target, text)


class _ConfirmedSource(importlib.abc.Loader):
    """Executes the confirmed text as the module (never the file as it is now)."""

    def __init__(self, code: CodeFile) -> None:
        self._code = code

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> ModuleType | None:
        return None  # the default module

    def exec_module(self, module: ModuleType) -> None:
        compiled = compile(self._code.text, str(self._code.path), "exec", dont_inherit=True)
        exec(compiled, module.__dict__)  # the code the user read and confirmed


def load_scorers(code: CodeFile) -> list[Scorer]:
    """Job thread: run the confirmed file as a module and return the scorers it defines."""
    name = f"tracedesk_scorers_{code.digest[:16]}"
    spec = importlib.util.spec_from_file_location(name, code.path, loader=_ConfirmedSource(code))
    if spec is None or spec.loader is None:
        raise ScorerFileError(f"{code.path} cannot be loaded as a Python module.")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # dataclasses and pickling look the module up while it runs
    try:
        spec.loader.exec_module(module)
    except (Exception, SystemExit) as error:  # sys.exit() in the file must not end the job
        raise ScorerFileError(
            f"{code.path} failed while loading: {type(error).__name__}: {error}"
        ) from error
    finally:
        sys.modules.pop(name, None)
    return scorers_in(module, code.path)


def scorers_in(module: ModuleType, path: Path) -> list[Scorer]:
    ready_made = {id(exact_match), id(contains)}
    found: dict[int, Scorer] = {}
    for value in vars(module).values():
        if isinstance(value, Scorer) and id(value) not in ready_made:
            found.setdefault(id(value), value)
    if not found:
        raise ScorerFileError(
            f"{path} defines no scorer: decorate a function with @core.scorer "
            "(or make an instance of a core scorer class) at the top level of the file."
        )
    return list(found.values())
