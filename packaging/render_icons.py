"""Render the application icon's PNG sizes from resources/icons/tracedesk.svg with Qt.

    QT_QPA_PLATFORM=offscreen .venv/bin/python packaging/render_icons.py

Writes resources/icons/hicolor/<N>x<N>/apps/org.tracedesk.TraceDesk.png for the sizes desktops
look for (the freedesktop icon theme layout, installed as-is under ~/.local/share/icons), and
a copy of the SVG as hicolor/scalable/apps/org.tracedesk.TraceDesk.svg. `--check` renders
into memory and fails when a committed icon is missing or its pixels differ from a fresh
rendering (the SVG changed: rerun without it). QSvgRenderer is in QtSvg, which
PySide6-Essentials ships.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import QBuffer, QByteArray, QIODevice, QRectF, Qt
from PySide6.QtGui import QGuiApplication, QImage, QPainter
from PySide6.QtSvg import QSvgRenderer

ROOT = Path(__file__).resolve().parent.parent
ICONS = ROOT / "resources" / "icons"
SOURCE = ICONS / "tracedesk.svg"
APP_ID = "org.tracedesk.TraceDesk"
SIZES = (16, 32, 48, 64, 128, 256, 512)


def render(svg: Path, size: int) -> QImage:
    """`svg` drawn on a transparent `size` by `size` square, antialiased."""
    renderer = QSvgRenderer(str(svg))
    if not renderer.isValid():
        raise ValueError(f"{svg} is not a valid SVG")
    image = QImage(size, size, QImage.Format.Format_ARGB32_Premultiplied)
    image.fill(Qt.GlobalColor.transparent)
    painter = QPainter(image)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
    renderer.render(painter, QRectF(0, 0, size, size))
    painter.end()
    return image.convertToFormat(QImage.Format.Format_ARGB32)


def png_bytes(image: QImage) -> bytes:
    data = QByteArray()
    buffer = QBuffer(data)
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    if not image.save(buffer, b"PNG"):
        raise OSError("Qt could not encode a PNG")
    buffer.close()
    return bytes(data.data())


def target(size: int) -> Path:
    return ICONS / "hicolor" / f"{size}x{size}" / "apps" / f"{APP_ID}.png"


def scalable_target() -> Path:
    return ICONS / "hicolor" / "scalable" / "apps" / f"{APP_ID}.svg"


def same_pixels(path: Path, image: QImage, tolerance: int = 8) -> bool:
    """Whether the PNG at `path` shows `image` (each channel within `tolerance`): encoders
    of other Qt and zlib versions write other bytes for the same picture."""
    stored = QImage(str(path))
    if stored.isNull() or stored.size() != image.size():
        return False
    stored = stored.convertToFormat(QImage.Format.Format_ARGB32)
    for y in range(image.height()):
        for x in range(image.width()):
            a, b = stored.pixel(x, y), image.pixel(x, y)
            if any(abs((a >> s & 0xFF) - (b >> s & 0xFF)) > tolerance for s in (0, 8, 16, 24)):
                return False
    return True


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="compare, write nothing")
    args = parser.parse_args(argv)
    _app = QGuiApplication.instance() or QGuiApplication(sys.argv[:1])
    stale = []
    for size in SIZES:
        path, image = target(size), render(SOURCE, size)
        if path.is_file() and same_pixels(path, image):
            continue
        stale.append(path)
        if not args.check:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(png_bytes(image))
            print(f"wrote {path.relative_to(ROOT)}")
    scalable = scalable_target()
    if not scalable.is_file() or scalable.read_bytes() != SOURCE.read_bytes():
        stale.append(scalable)
        if not args.check:
            scalable.parent.mkdir(parents=True, exist_ok=True)
            scalable.write_bytes(SOURCE.read_bytes())
            print(f"wrote {scalable.relative_to(ROOT)}")
    if args.check and stale:
        names = ", ".join(str(p.relative_to(ROOT)) for p in stale)
        print(f"out of date (run packaging/render_icons.py): {names}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
