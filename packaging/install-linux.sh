#!/bin/sh
# Install TraceDesk's one-folder bundle as a desktop application for the current user.
#
#   packaging/install-linux.sh [BUNDLE]      # BUNDLE: dist/tracedesk (the default)
#   packaging/install-linux.sh --uninstall
#
# Copies BUNDLE to $PREFIX/lib/tracedesk and links $PREFIX/bin/tracedesk to it; installs the
# desktop entry, AppStream metadata, icons and MIME types (taken from the bundle's own
# resources) under $PREFIX/share; refreshes the desktop, MIME and icon caches where those
# tools exist; makes TraceDesk the default application for mlflow.db files, and for SQLite
# databases too when no other application is their default. PREFIX defaults to ~/.local.
# Nothing needs root. The bundle carries a copy of this script, so a copied dist/tracedesk
# folder installs itself: `dist/tracedesk/install-linux.sh`.
set -eu

APP_ID=org.tracedesk.TraceDesk
PREFIX=${PREFIX:-$HOME/.local}
LIB=$PREFIX/lib/tracedesk
BIN=$PREFIX/bin
SHARE=$PREFIX/share
SIZES="16 32 48 64 128 256 512"

say() { printf '%s\n' "$*"; }
have() { command -v "$1" >/dev/null 2>&1; }

refresh_caches() {
    if have update-desktop-database; then
        update-desktop-database -q "$SHARE/applications" || true
    fi
    if have update-mime-database; then
        update-mime-database "$SHARE/mime" || true
    fi
    if have gtk-update-icon-cache && [ -f "$SHARE/icons/hicolor/index.theme" ]; then
        gtk-update-icon-cache -q -t -f "$SHARE/icons/hicolor" || true
    fi
}

uninstall() {
    rm -rf "$LIB"
    [ -L "$BIN/tracedesk" ] && rm -f "$BIN/tracedesk"
    rm -f "$SHARE/applications/$APP_ID.desktop" "$SHARE/metainfo/$APP_ID.metainfo.xml" \
        "$SHARE/mime/packages/tracedesk-mime.xml" "$SHARE/icons/hicolor/scalable/apps/$APP_ID.svg"
    for size in $SIZES; do
        rm -f "$SHARE/icons/hicolor/${size}x$size/apps/$APP_ID.png"
    done
    refresh_caches
    say "TraceDesk removed from $PREFIX"
}

if [ "${1:-}" = "--uninstall" ]; then
    uninstall
    exit 0
fi
case "${1:-}" in -h | --help)
    sed -n '2,13p' "$0" | sed 's/^# \{0,1\}//'
    exit 0
    ;;
esac

HERE=$(cd "$(dirname "$0")" && pwd)
if [ $# -ge 1 ]; then
    BUNDLE=$1
elif [ -x "$HERE/tracedesk" ] && [ -d "$HERE/_internal" ]; then
    BUNDLE=$HERE # the copy inside a bundle
else
    BUNDLE=$HERE/../dist/tracedesk
fi
if [ ! -x "$BUNDLE/tracedesk" ] || [ ! -d "$BUNDLE/_internal/resources" ]; then
    say "No TraceDesk bundle at $BUNDLE: build it with 'python packaging/build.py'." >&2
    exit 1
fi
BUNDLE=$(cd "$BUNDLE" && pwd)
RES=$BUNDLE/_internal/resources

# The program: a fresh copy (an older one is replaced whole), started through a link in bin/.
if [ "$BUNDLE" != "$LIB" ]; then
    rm -rf "$LIB.new"
    mkdir -p "$(dirname "$LIB")"
    cp -a "$BUNDLE" "$LIB.new"
    rm -rf "$LIB"
    mv "$LIB.new" "$LIB"
fi
mkdir -p "$BIN"
ln -sfn "$LIB/tracedesk" "$BIN/tracedesk"

# The desktop entry runs the installed program by its full path: a launcher's PATH may lack
# ~/.local/bin.
mkdir -p "$SHARE/applications" "$SHARE/metainfo" "$SHARE/mime/packages"
sed -e "s|^Exec=tracedesk |Exec=$LIB/tracedesk |" -e "s|^TryExec=tracedesk\$|TryExec=$LIB/tracedesk|" \
    "$RES/linux/$APP_ID.desktop" >"$SHARE/applications/$APP_ID.desktop"
cp "$RES/linux/$APP_ID.metainfo.xml" "$SHARE/metainfo/"
cp "$RES/linux/tracedesk-mime.xml" "$SHARE/mime/packages/"
for size in $SIZES; do
    mkdir -p "$SHARE/icons/hicolor/${size}x$size/apps"
    cp "$RES/icons/hicolor/${size}x$size/apps/$APP_ID.png" "$SHARE/icons/hicolor/${size}x$size/apps/"
done
mkdir -p "$SHARE/icons/hicolor/scalable/apps"
cp "$RES/icons/hicolor/scalable/apps/$APP_ID.svg" "$SHARE/icons/hicolor/scalable/apps/"
refresh_caches

# Double-click: mlflow.db files open in TraceDesk; other SQLite files only if nothing else
# already opens them (xdg-utils' xdg-mime, else GLib's gio).
default_app() { # default_app TYPE: the desktop file opening TYPE, or nothing
    if have xdg-mime; then
        xdg-mime query default "$1" 2>/dev/null || true
    elif have gio; then
        gio mime "$1" 2>/dev/null | sed -n "s/^Default application for .*: //p"
    fi
}
make_default() { # make_default TYPE
    if have xdg-mime; then
        xdg-mime default "$APP_ID.desktop" "$1" || true
    elif have gio; then
        gio mime "$1" "$APP_ID.desktop" >/dev/null || true
    fi
}
make_default application/x-mlflow-tracking-db
if [ -z "$(default_app application/vnd.sqlite3)" ]; then
    make_default application/vnd.sqlite3
fi

say "TraceDesk installed: $LIB (run 'tracedesk' or find it in your applications menu)"
case ":$PATH:" in
*":$BIN:"*) ;;
*) say "Note: $BIN is not on your PATH; add it to start 'tracedesk' from a terminal." ;;
esac
