#!/usr/bin/env bash
# Build the one-folder desktop app into dist/unimotion-studio/ with PyInstaller, then smoke-test it.
#   packaging/build.sh             build + smoke test
#   SKIP_SMOKE=1 packaging/build.sh  build only
# CPU heavy (torch and Qt are analysed and copied): expect several minutes and about 1.5 GB.
set -euo pipefail
cd "$(dirname "$0")/.."
PY="${PY:-.venv/bin/python}"
APP=unimotion-studio
OUT="dist/$APP"

if ! "$PY" -m PyInstaller --version >/dev/null 2>&1; then
    "$PY" -m pip install --quiet 'pyinstaller>=6.10'
fi
if [ ! -f resources/icons/studio-256.png ]; then
    QT_QPA_PLATFORM=offscreen "$PY" packaging/make_icon.py
fi

start=$(date +%s)
nice -n "${NICE:-10}" "$PY" -m PyInstaller --noconfirm --clean --log-level WARN \
    --distpath dist --workpath build/pyinstaller packaging/studio.spec
# torch's own libraries carry symbol tables the app never uses (libtorch_cpu.so: 434 -> 345 MB). Only
# these: stripping libraries that auditwheel patched (numpy's OpenBLAS) breaks them.
if command -v strip >/dev/null 2>&1; then
    find "$OUT/_internal/torch/lib" -name '*.so*' -type f -exec strip --strip-unneeded {} +
fi
cp packaging/$APP.desktop packaging/install-desktop.sh "$OUT/"
cp resources/icons/studio-256.png "$OUT/$APP.png"
echo "built $OUT in $(( $(date +%s) - start )) s, size $(du -sh "$OUT" | cut -f1)"

if [ "${SKIP_SMOKE:-0}" != 1 ]; then
    bash packaging/smoke_test.sh "$OUT"
fi
