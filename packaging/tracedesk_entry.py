"""The PyInstaller bundle's entry point: `tracedesk [ARGS]`, plus the demo recipe's child.

A frozen program has no `python -m`, so `app.demo` starts the recipe's child process as this
same program with `--build-demo OUT.db` (see `app.demo.recipe_command`); that case goes to
`core.demo.build.main` without creating a QApplication. Everything else is the ordinary
`tracedesk` gui-script, `app.__main__.main`.
"""

from __future__ import annotations

import sys

BUILD_DEMO_FLAG = "--build-demo"  # the same as app.demo.BUILD_DEMO_FLAG (a test checks it)


def run(argv: list[str]) -> int:
    """Dispatch the command line `argv` (without the program name)."""
    if argv[:1] == [BUILD_DEMO_FLAG]:
        from core.demo.build import main as build_demo

        return build_demo(argv[1:])
    from app.__main__ import main

    return main(argv)


if __name__ == "__main__":
    sys.exit(run(sys.argv[1:]))
