// Package kind runs sidecar units on a Kubernetes cluster: tandem's own
// kind cluster (substrate/kind/cluster) by default, or any cluster a
// kubeconfig names. Units are deployed as Juju deploys them: a
// StatefulSet (Parallel) and its headless <app>-endpoints Service, from
// sidecar/, in a namespace per scenario labelled for clean-up.
//
// tandem reaches each pod's charm agent, and through it each workload's
// Pebble, over client-go port-forwards; it follows pods with an informer
// and Pebble's output with log streams. On tandem's kind cluster the
// nodes are containers on this machine, so a container's PID 1 is a
// process here: a service is signalled, a container killed and a file
// read through /proc, with nothing needed in the image, and a node fails
// by its container being killed.
package kind
