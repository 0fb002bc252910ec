"""Layout detection, artifact re-basing, fresh databases, and `core` staying free of Qt."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from core.store.artifacts import ArtifactResolver
from core.store.ddl import create_sqlite_database
from core.store.store import Store


def test_layouts_of_the_fixtures(db318: Path, db31: Path) -> None:
    with Store.open(db318) as store:
        assert store.layout.release == "3.18"
        assert store.layout.is_head and store.layout.spans_in_db and store.layout.has_assessments
        assert "f4a9b2c7d1e6" in store.layout.label
    with Store.open(db31) as store:
        assert store.layout.release == "3.1"
        assert not store.layout.spans_in_db and not store.layout.has_assessments
        assert not store.layout.has_trace_column("trace_name")


def test_recorded_paths_are_rebased_next_to_the_moved_db(db31: Path) -> None:
    with Store.open(db31) as store:
        resolver = store.reader.artifacts
    assert resolver.recorded_roots == ("/home/user/tracing-tutorial-3.1/mlruns",)
    recorded = (
        "/home/user/tracing-tutorial-3.1/mlruns/0/traces/79f98d58f0324d999fc0ae7d47ead55e/artifacts"
    )
    assert (
        resolver.resolve(recorded)
        == db31.parent / "mlruns/0/traces/79f98d58f0324d999fc0ae7d47ead55e/artifacts"
    )


def test_resolver_keeps_paths_that_still_exist(tmp_path: Path) -> None:
    existing = tmp_path / "elsewhere" / "1"
    existing.mkdir(parents=True)
    resolver = ArtifactResolver.for_experiments(tmp_path / "db", [("1", str(existing))])
    assert resolver.resolve(f"file://{existing}") == existing
    assert resolver.resolve("/does/not/exist") is None


def test_fresh_database_has_the_318_layout(tmp_path: Path) -> None:
    path = tmp_path / "new.db"
    create_sqlite_database(path)
    with Store.open(path, read_only=False) as store:
        assert store.layout.is_head and not store.read_only
        assert [e.name for e in store.reader.experiments()] == ["Default"]
        assert store.reader.experiments()[0].artifact_location == str(tmp_path / "mlruns" / "0")
        assert store.reader.count_traces(None) == 0


def test_core_imports_without_qt() -> None:
    """Import `core` with PySide6 made unimportable: nothing in it may need Qt."""
    script = (
        "import sys\n"
        "class Block:\n"
        "    def find_spec(self, name, path=None, target=None):\n"
        "        if name.split('.')[0] in ('PySide6', 'shiboken6'):\n"
        "            raise ImportError('Qt is blocked in this test')\n"
        "sys.meta_path.insert(0, Block())\n"
        "import core, core.store.store, core.query, core.dataframe\n"
        "assert not [m for m in sys.modules if m.startswith('PySide6')]\n"
    )
    subprocess.run([sys.executable, "-c", script], check=True)


def test_change_detector_notices_another_writer(db318: Path) -> None:
    import sqlite3

    with Store.open(db318) as store:
        detector = store.change_detector()
        assert not detector.changed()
        with sqlite3.connect(db318) as writer:
            writer.execute("UPDATE trace_info SET status = 'ERROR' WHERE rowid = 1")
        assert detector.changed()
        assert not detector.changed()
        detector.close()
