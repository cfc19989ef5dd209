// Package local is the substrate of real Pebble on this machine: each
// workload container is `pebble run --create-dirs --hold` as PID 1 in its
// own bubblewrap sandbox, with its own root directory, so a pushed file
// lands in that container and never on the host, and Pebble's boot id is
// fresh at each start. A unit's containers share one network namespace,
// held by a pause process as a pod's is, so ports never collide across
// units or concurrent scenarios. The charm container runs Pebble, which
// runs the charm agent; the harness reaches each workload's Pebble through
// the same socket the charm uses and the agent through a unix socket.
//
// tandem plays the kubelet: a container whose Pebble exits or is killed is
// restarted on the same $PEBBLE after the local timing profile's back-off,
// with a fresh root (its own writes lost) and its API layers gone.
package local
