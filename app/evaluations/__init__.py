"""The Evaluations page: runs of an experiment, result grids, run comparison, local reruns.

`page.EvaluationsPage` is the page the window adds; the Qt-free parts (`cell_text`, `rows`,
`compare`, `diff`, `rerun`, `predictor`, `scorer_files`, `ollama`) run in the background threads.
"""
