# CXM: `make demo` serves the console with demo data; `make test` runs everything.
.PHONY: demo test install install-test serve lint

install:
	@scripts/install.sh

install-test:
	@scripts/install.sh test

demo: install
	.venv/bin/cxm migrate --no-input
	.venv/bin/cxm demo
	.venv/bin/cxm serve --host 127.0.0.1 --port 8000

serve: install
	.venv/bin/cxm serve

test: install-test
	@scripts/test.sh

lint: install-test
	.venv/bin/ruff check . && .venv/bin/ruff format --check . && .venv/bin/mypy cxm bench
