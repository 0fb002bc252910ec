"""The benchmark suite (`make bench`): synthetic MLflow 3.18 databases and timed read paths.

`synth` builds and caches the databases, `run` measures TraceDesk's reader against them (and
MLflow itself, through a child process with MLflow's interpreter) and records BENCHMARKS.md.
Nothing here is collected by pytest: speed is only ever reported, never asserted in tests.
"""
