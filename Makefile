.DEFAULT_GOAL := help

## help: list the targets
help:
	@sed -n 's/^## //p' $(MAKEFILE_LIST) | column -t -s ':'

## build: build bin/analyzer
build:
	go build -o bin/analyzer ./cmd/analyzer

## test: run every test (the README's test command)
test:
	go test -count=1 ./...

## test/race: run every test with the race detector
test/race:
	go test -race -count=1 ./...

## lint: gofmt and go vet
lint:
	@test -z "$$(gofmt -l $$(git ls-files '*.go'))" || (gofmt -l $$(git ls-files '*.go'); exit 1)
	go vet ./...

## ci: what CI runs
ci:
	bash .ci/run

## db/reset: delete the embedded database under ./.analyzer (asks first)
db/reset:
	@read -p "Delete ./.analyzer/pgdata? [y/N] " a && [ "$$a" = y ] && rm -rf ./.analyzer/pgdata

## mutation: mutation testing (gremlins v0.6.0) of internal/metrics, internal/sync, internal/outcomes; slow, not in CI (docs/testing.md)
MUTATION_PKGS ?= metrics sync outcomes
MUTATION_WORKERS ?= 2
mutation:
	@for p in $(MUTATION_PKGS); do \
		echo "== internal/$$p"; \
		GOFLAGS=-count=1 go run github.com/go-gremlins/gremlins/cmd/gremlins@v0.6.0 unleash --workers $(MUTATION_WORKERS) \
			--timeout-coefficient 10 -o $${TMPDIR:-/tmp}/analyzer-mutation-$$p.json ./internal/$$p | tail -n 6 || exit 1; \
	done
