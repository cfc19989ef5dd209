// Package simulator is tandem's reference model: what REFERENCE.md says a
// Juju sidecar unit does, on a discrete-event virtual clock, so a scenario
// whose service backs off for five minutes runs in microseconds and every
// run with the same seed is the same run.
//
// One type per concern, as Pebble's overlord is split: Clock (virtual
// time), plan (layers, combining, validation), pebble (one per container:
// services, checks, files, notices, changes), unit (the pod: containers,
// the kubelet's restarts, the charm agent's events and handlers), Model
// (nodes, scheduling, the StatefulSet, the trace). Replay and Compare put
// the model to work as the reference for real runs.
//
// simulator imports only spec/.
package simulator
