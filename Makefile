# The same commands the README and CI run.
.PHONY: suite test bench steps-doc build

suite:      ## the conformance suite on the default substrate (local), compared with the model
	./scripts/suite

test:       ## every test, every substrate this machine can run
	./scripts/test

bench:      ## the benchmarks the README reports (local, docker and kind need their set-up: scripts/setup-kind)
	go test -run XXX -bench . -benchmem ./simulator/
	go test -run XXX -bench SuiteOnSim ./cmd/tandem/
	go test -tags integration -p 1 -run XXX -bench . -benchtime 10x ./substrate/local/ ./substrate/docker/ ./internal/charmagent/
	go test -tags integration -p 1 -run XXX -bench ClusterUp -benchtime 1x ./cmd/tandem/
	go test -tags integration -p 1 -run XXX -bench CheckReferenceCharm -benchtime 3x ./cmd/tandem/
	go run ./cmd/tandem cluster up && go test -tags integration -p 1 -run XXX -bench 'UnitReady|ReferenceCharmToActiveOnKind' -benchtime 5x ./cmd/tandem/; go run ./cmd/tandem cluster down

steps-doc:  ## regenerate docs/steps.md
	go run ./cmd/tandem steps --markdown > docs/steps.md

build:
	CGO_ENABLED=0 go build -o bin/tandem ./cmd/tandem
