"""Compare Traces (issue 19): two traces in one merged tree, or a baseline against many.

`core.tracediff` aligns and diffs; this folder only shows it: `window` (the non-modal window),
`model` (the merged tree), `summary` (the strip on top), `detail` (the selected row),
`baseline` (the table of a baseline against N), `ask` (Compare with…), `launch` (the entry
points the main window wires), `loading` (the work done off the GUI thread).
"""
