"""Everything that knows SQL and file layout: opening, layouts, reading and writing.

Import from the submodules (`core.store.store`, `core.store.reader`, ...); this package
imports nothing itself so that `core.query` and the store can use each other's pieces.
"""
