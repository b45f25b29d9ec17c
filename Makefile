# Common tasks; the README lists them. `make up` and `make test` are the two set-up commands.
.PHONY: up down test test-dates setup infra-start infra-stop infra-status infra-reset lint format schemas docs token subscriber bench bench-reporting

up:            ## run the whole platform locally with a demo district
	deploy/local/platform.sh up

down:          ## stop the platform and its infrastructure
	deploy/local/platform.sh down

test:          ## run every test (starts and stops the infrastructure it needs)
	deploy/local/test.sh

test-dates:    ## the whole suite with the machine's clock at 2026-12-01, 2027-01-31 and 2027-08-15 (faketime)
	deploy/local/test-at-dates.sh

setup:         ## install the Python workspace from uv.lock
	deploy/local/python.sh

infra-start:
	deploy/local/infra.sh start

infra-stop:
	deploy/local/infra.sh stop

infra-status:
	deploy/local/infra.sh status

infra-reset:   ## stop the infrastructure and delete its data
	deploy/local/infra.sh reset

lint:
	.venv/bin/ruff check . && .venv/bin/ruff format --check . && .venv/bin/mypy

format:
	.venv/bin/ruff format . && .venv/bin/ruff check --fix .

schemas:       ## regenerate the committed JSON Schemas from the event models
	.venv/bin/python -m contracts.schemas

token:         ## mint a dev token, e.g. make token ARGS="--role teacher --school sch-yecheng-9 --classes cls-3-2"
	.venv/bin/dev-token $(ARGS)

docs:          ## regenerate the committed OpenAPI and AsyncAPI documents of every service
	.venv/bin/python deploy/local/generated_docs.py

# The local broker: its address, and the admin's development password (service_kit.broker_access).
KAFKA := DISTRICT_KAFKA_BOOTSTRAP_SERVERS=$${DISTRICT_KAFKA_BOOTSTRAP_SERVERS:-127.0.0.1:$${DISTRICT_KAFKA_PORT:-9092}}

subscriber:    ## an external subscriber's credentials and ACLs on the local broker, e.g. make subscriber NAME=city-dashboard
	@test -n "$(NAME)" || { echo "usage: make subscriber NAME=<subscriber>" >&2; exit 2; }
	$(KAFKA) .venv/bin/python -m service_kit.broker_access add-subscriber $(NAME)

bench:         ## benchmarks against a running platform (make up first): first slice, 2,000-row roster, notifications, reporting, late invitations, a teacher's offline sync
	.venv/bin/python tests/load/bench_first_slice.py
	.venv/bin/python tests/load/bench_roster_import.py
	.venv/bin/python tests/load/bench_notifications.py
	$(MAKE) --no-print-directory bench-reporting ARGS=
	.venv/bin/python tests/load/bench_late_invitations.py
	.venv/bin/python tests/load/bench_offline_sync.py --visits 50

# The school day the benchmark computes its expected figures at: the one `make up` pins (platform.sh).
bench-reporting: ## reporting's benchmark alone (make up first): 10 schools, or ARGS="--county" for 200 schools and 100,000 students
	$(KAFKA) DISTRICT_SCHOOL_DATE=$${DISTRICT_SCHOOL_DATE:-2026-11-20} DISTRICT_KAFKA_USERNAME=admin \
	  DISTRICT_KAFKA_PASSWORD=$$(.venv/bin/python -m service_kit.broker_access password admin) \
	  .venv/bin/python tests/load/bench_reporting.py $(ARGS)
