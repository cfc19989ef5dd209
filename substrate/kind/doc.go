// Package kind runs sidecar units on a Kubernetes cluster: tandem's own
// kind cluster (substrate/kind/cluster) by default, or any cluster a
// kubeconfig names. Units are deployed as Juju deploys them: a
// StatefulSet (Parallel) and its headless <app>-endpoints Service, from
// sidecar/, in a namespace per scenario labelled for clean-up.
//
// tandem reaches each pod's charm agent, and through it each container's
// Pebble, over client-go port-forwards; it follows pods and their
// Kubernetes events with informers, and Pebble's output with log streams.
// On a kind cluster on this machine the nodes are containers here, so
// tandem's images are loaded into them, and a container's PID 1 is a
// process here: a service is signalled, a container killed and a file
// read through /proc, with nothing needed in the image, and a node fails
// by its container being killed.
//
// On any other cluster the images are pushed to the registry the run
// names, signals and file reads go through the container's Pebble, and
// the scenarios that kill containers or fail nodes are skipped with the
// reason (substrate.Narrow).
package kind
