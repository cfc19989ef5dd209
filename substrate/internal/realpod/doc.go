// Package realpod is what the real substrates share: the trace recorder,
// reading Pebble's own log lines into observations, finding a service's
// processes behind Pebble's back, and taking the charm agent's event log
// into the trace.
package realpod
