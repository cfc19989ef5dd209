// Package cluster brings kind clusters up and down through kind's own Go
// library (sigs.k8s.io/kind/pkg/cluster), for the kind substrate.
//
// Each cluster gets a Docker network of its own, made before kind's nodes
// and labelled with the cluster's name and the pid of the tandem that made
// it; node containers carry the node image's label. A cluster is either
// kept (a marker beside its kubeconfig: `tandem cluster up`, or `--keep`)
// or belongs to its tandem, and `tandem clean` removes the clusters whose
// tandem is gone and that nobody kept.
package cluster
