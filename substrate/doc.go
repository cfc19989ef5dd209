// Package substrate is the one interface the step library drives a unit
// through, whatever runs it: the model (sim), real Pebble in sandboxes
// (local), sidecar pods on Docker (docker) or on a cluster (kind).
//
// Each implementation lives in its own package and registers itself; a
// substrate declares its capabilities, and a scenario that needs one it
// lacks is skipped with the reason and the substrates that can run it.
package substrate
