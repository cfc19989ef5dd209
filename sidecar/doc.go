// Package sidecar is what Juju injects: a charm spec made into the
// StatefulSet, pod and headless Service Juju 3.6 builds for a sidecar
// charm (REFERENCE R1), in Kubernetes' own API types. The docker
// substrate realises the pod it describes container by container; the
// kind substrate applies it to a cluster. It imports only spec/ and
// Kubernetes' API types.
package sidecar
