"""Everything that knows SQL and file layout: opening, layouts, reading and writing.

Import from the submodules (`core.store.store`, `core.store.reader`, ...); this package
imports nothing itself, so importing one submodule loads only what that one needs.
"""
