// Package spec is the contract every layer of tandem shares: the charm spec
// (containers, images, storage, the charm's event handlers), unit and
// container ids, the PebbleClient interface a charm drives Pebble through,
// the Clock that waits go through, capability names, timing profiles, the
// workload tool's behaviour language and the trace format.
//
// spec imports nothing of tandem's own, so the model (simulator/), the pod
// builder (sidecar/), the substrates and the step library can all depend on
// it without depending on each other.
package spec
