// Package docker is the substrate of real sidecar pods on Docker, through
// testcontainers-go: the pod sidecar.PodSpec describes, realised container
// by container. A pause container holds the pod's network namespace (and
// publishes the charm agent's ports on 127.0.0.1 only); the init container
// copies Pebble and the agent into the charm-data volume and runs to
// completion; each workload keeps its image and gets Pebble as its
// command; the charm container runs Pebble, which runs the agent. Docker's
// restart policy plays the kubelet's part, timed by the docker profile.
// Everything carries tandem=<run id>; tandem removes it itself (the
// testcontainers reaper's image cannot be pulled here).
package docker
