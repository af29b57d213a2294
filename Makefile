# glassnet: two commands on a fresh machine.
#   make demo   set up .venv and train the Hello-World model on bundled digits
#   make test   set up .venv with the test extras and run the whole suite
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: demo test venv bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

# torch is pinned (2.13.0): an unpinned torch pulls several GB of CUDA wheels.
$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install -q "torch==2.13.0"
	$(BIN)/python -m pip install -q -e ".[test]"
	@# Graphviz's dot draws keras.utils.plot_model pictures; installed where we may (root, Debian), else a note
	command -v dot >/dev/null || (apt-get update -qq && apt-get install -y -qq graphviz) \
		|| echo "note: graphviz not installed; plot_model tests will skip (apt-get install graphviz)"
	@# Chromium (+ its driver) runs the browser tests of the served demo page; Debian's packages, nothing downloaded
	command -v chromium >/dev/null || (apt-get update -qq && apt-get install -y -qq chromium chromium-driver) \
		|| echo "note: chromium not installed; browser tests will skip (apt-get install chromium chromium-driver)"
	touch $(STAMP)

venv: $(STAMP)

demo: $(STAMP)
	$(BIN)/glassnet train

test: $(STAMP)
	$(BIN)/python -m pytest -n 2 --dist loadgroup -q --doctest-modules glassnet tests

bench: $(STAMP)
	$(BIN)/python benchmarks/fit_speed.py

clean:
	rm -rf $(VENV) runs .pytest_cache
