#!/usr/bin/env bash
# Add the built app to the desktop menu of the current user. Run from the build folder
# (dist/unimotion-studio/), where build.sh copies this script, the .desktop entry and the icon.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
apps="${XDG_DATA_HOME:-$HOME/.local/share}/applications"
icons="${XDG_DATA_HOME:-$HOME/.local/share}/icons/hicolor/256x256/apps"
mkdir -p "$apps" "$icons"
cp "$here/unimotion-studio.png" "$icons/unimotion-studio.png"
sed "s|^Exec=unimotion-studio|Exec=\"$here/unimotion-studio\"|" "$here/unimotion-studio.desktop" \
    > "$apps/unimotion-studio.desktop"
echo "installed $apps/unimotion-studio.desktop"
