# serverless-oidc. `make dev` runs the service locally, `make test` runs what CI runs.
SHELL := /bin/bash
.DEFAULT_GOAL := help

PORT ?= 3000
# make dev PERSIST=1 keeps the emulated tables and secrets in .local-stack/data-$(PORT).json between runs
PERSIST ?=
# make dev KEYS=kms holds the signing, RSA and SM2 password keys in (emulated) KMS instead of Secrets Manager
KEYS ?=
KMS_KEY_PARAMETERS := SigningKeySource=KMS RsaPasswordKeySource=KMS Sm2PasswordKeySource=KMS
# The first deploy: make deploy GUIDED=1 asks the stack name, region and domain, or STACK=… REGION=… gives them;
# PARAMS="Name=Value …" overrides template parameters
# SAMCONFIG=path: the samconfig.toml to read and to save the answers in (default: ./samconfig.toml)
GUIDED ?=
STACK ?=
REGION ?=
PARAMS ?=
# The Lambda runtime we target; pyenv provides it where present, and sam build needs python3.13 on PATH.
export PYENV_VERSION ?= 3.13.0
export SAM_CLI_TELEMETRY := 0
export PIP_DISABLE_PIP_VERSION_CHECK := 1

BOOTSTRAP_PYTHON := $(shell command -v python3.13 >/dev/null 2>&1 && echo python3.13 || echo python3)
VENV := .venv
PY := $(VENV)/bin/python
SAM_VENV := .venv-sam
SAM := $(SAM_VENV)/bin/sam
# Tests import the built artifact, so they need a build for this machine's architecture; deploys use arm64.
HOST_ARCH := $(shell uname -m | sed -e 's/aarch64/arm64/')
HOST_BUILD := .aws-sam/build-$(HOST_ARCH)
INTEROP := tests/interop

.PHONY: help venv dev test unit lint validate build build-host interop-deps browser-deps bench invoke deploy clean

help:
	@echo "make dev           the service on http://127.0.0.1:\$$PORT (default 3000), AWS emulated; PERSIST=1 keeps its data,"
	@echo "                   PARAMETERS='Name=Value …' sets template parameters, KEYS=kms holds the keys in emulated KMS"
	@echo "make test          everything CI runs: make lint, sam validate --lint, sam builds, npm ci, all tests"
	@echo "make unit          the unit tests alone"
	@echo "make lint          ruff: the rules of pyproject.toml, bugs not style (make test runs it first)"
	@echo "make validate      sam validate --lint of template.yaml"
	@echo "make invoke FUNCTION=TokenFunction EVENT=events/token-password.json   docker-free sam local invoke"
	@echo "make bench         timing figures on this machine, the tables of docs/performance.md, and docs/performance.png"
	@echo "make build         sam build for deployment (arm64, .aws-sam/build)"
	@echo "make build-host    sam build for this machine's architecture (.aws-sam/build-<arch>, imported by tests/built)"
	@echo "make deploy        build, deploy with samconfig.toml, install oidc-admin; the first time GUIDED=1 (asks stack,"
	@echo "                   region, domain) or STACK=<name> REGION=<region>; PARAMS=\"Name=Value …\" sets parameters"
	@echo "make venv          .venv: Python dependencies and oidc-admin (made by the other targets when needed)"
	@echo "make interop-deps  npm ci of the JavaScript clients the interop tests run (tests/interop)"
	@echo "make browser-deps  Debian's chromium and chromium-driver for tests/browser (apt-get, as root), when missing"
	@echo "make clean         remove .venv, .venv-sam, .aws-sam, .local-stack (saved PERSIST data too), node_modules"
	@echo "make help          this list"

# Quiet, and on stderr: `make invoke … > response.json` must get the response alone even when .venv is (re)made.
# setuptools' editable install warns in a box of asterisks about package-named folders in the working directory,
# which our layout (packages under layers/core and tools) has none of: that one warning is filtered.
$(VENV)/.installed: requirements-dev.txt layers/dependencies/requirements.txt pyproject.toml
	@echo "making $(VENV) (Python dependencies, oidc-admin)" >&2
	@test -x $(PY) || $(BOOTSTRAP_PYTHON) -m venv $(VENV) >&2
	@$(PY) -m pip install -q --upgrade pip >&2
	@PYTHONWARNINGS="ignore:Editable installation" $(PY) -m pip install -q -r requirements-dev.txt -e . >&2
	@touch $@

venv: $(VENV)/.installed

$(SAM_VENV)/.installed: requirements-sam.txt
	test -x $(SAM_VENV)/bin/python || $(BOOTSTRAP_PYTHON) -m venv $(SAM_VENV)
	$(SAM_VENV)/bin/python -m pip install -q --upgrade pip
	$(SAM_VENV)/bin/python -m pip install -q -r requirements-sam.txt
	touch $@

dev: venv
	@case "$(KEYS)" in ""|secretsmanager|kms) ;; *) echo "KEYS=$(KEYS): use KEYS=kms (or nothing, for Secrets Manager)" >&2; exit 2;; esac
	$(PY) -m oidc_tools.local.stack --port $(PORT)$(if $(filter 1 yes true,$(PERSIST)), --data .local-stack/data-$(PORT).json)$(foreach parameter,$(if $(filter kms,$(KEYS)),$(KMS_KEY_PARAMETERS)) $(PARAMETERS), --parameter $(parameter))

invoke: venv
	@test -n "$(FUNCTION)" -a -n "$(EVENT)" || { echo "usage: make invoke FUNCTION=TokenFunction EVENT=events/token-password.json"; exit 2; }
	@$(PY) -m oidc_tools.local.invoke $(FUNCTION) $(EVENT)

validate: $(SAM_VENV)/.installed
	$(SAM) validate --lint

build: $(SAM_VENV)/.installed
	$(SAM) build

# Check the parameters, ask or take the first deploy's answers, build, and deploy the stack samconfig.toml names
# (oidc_tools/deploy.py); .venv installs .venv/bin/oidc-admin. The stack makes its own keys when it is created
# (docs/keys.md).
deploy: venv $(SAM_VENV)/.installed
	$(PY) -m oidc_tools.deploy --sam $(SAM)$(if $(filter 1 yes true,$(GUIDED)), --guided)$(if $(STACK), --stack-name $(STACK))$(if $(REGION), --region $(REGION))$(if $(SAMCONFIG), --config-file $(SAMCONFIG))$(if $(PARAMS), $(PARAMS))
	@echo "deployed. The first keys are made by the stack's key rotation (oidc-admin keys rotate starts another)"

build-host: $(SAM_VENV)/.installed
	$(SAM) build --build-dir $(HOST_BUILD) --parameter-overrides Architecture=$(HOST_ARCH)

interop-deps: $(INTEROP)/node_modules/.package-lock.json

$(INTEROP)/node_modules/.package-lock.json: $(INTEROP)/package.json $(INTEROP)/package-lock.json
	cd $(INTEROP) && npm ci --no-audit --no-fund

# The headless browser tests/browser drives: Debian's own packages, from the system's apt sources and nowhere else,
# and a Chinese font, without which the zh-CN page (and its screenshot in docs/) shows empty boxes.
BROWSER := /usr/bin/chromium
BROWSER_DRIVER := /usr/bin/chromedriver
CJK_FONT := /usr/share/fonts/truetype/wqy/wqy-microhei.ttc
BROWSER_PACKAGES := chromium chromium-driver fonts-wqy-microhei

browser-deps: $(BROWSER) $(BROWSER_DRIVER) $(CJK_FONT)

$(BROWSER) $(BROWSER_DRIVER) $(CJK_FONT):
	@test "$$(id -u)" = 0 || { echo "needs root: sudo apt-get install -y $(BROWSER_PACKAGES)" >&2; exit 1; }
	apt-get update
	DEBIAN_FRONTEND=noninteractive apt-get install -y $(BROWSER_PACKAGES)

# Three workers on two cores, a test file each (a file's stacks and fixtures stay in one process): every failed login
# waits for the failure floor (1 s, docs/security.md), so much of the suite waits rather than computes, and a third
# worker fills those waits. TEST_WORKERS=0 runs everything in one process.
TEST_WORKERS ?= 3
test: venv lint validate build build-host interop-deps browser-deps
	HOST_BUILD=$(HOST_BUILD) $(PY) -m pytest $(if $(filter-out 0,$(TEST_WORKERS)),-n $(TEST_WORKERS) --dist loadfile)

unit: venv
	$(PY) -m pytest tests/unit

# Bugs, not style: the rule set is in pyproject.toml and docs/contributing.md says why each rule is there.
lint: venv
	$(VENV)/bin/ruff check .

# The cold-start figures import the host build, as Lambda's init would; the plot is docs/performance.md's figure.
bench: venv build-host
	HOST_BUILD=$(HOST_BUILD) $(PY) -m oidc_tools.bench --plot docs/performance.png
	$(PY) -m oidc_tools.bench.migration

clean:
	rm -rf $(VENV) $(SAM_VENV) .aws-sam .local-stack $(INTEROP)/node_modules
