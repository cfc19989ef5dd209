package spec

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
)

// ProcNetTCP and ProcNetTCP6 are where Linux lists a network namespace's
// TCP sockets; a container's Pebble can read them (its files API), so a
// scenario can see that a port listens without anything in the image.
const (
	ProcNetTCP  = "/proc/net/tcp"
	ProcNetTCP6 = "/proc/net/tcp6"
)

// tcpListen is the state column's value of a listening socket
// (include/net/tcp_states.h: TCP_LISTEN).
const tcpListen = "0A"

// ListeningPorts reads the local ports in state LISTEN from the content of
// /proc/net/tcp or /proc/net/tcp6.
func ListeningPorts(content string) []int {
	var out []int
	for _, line := range strings.Split(content, "\n") {
		f := strings.Fields(line)
		if len(f) < 4 || f[3] != tcpListen {
			continue
		}
		_, hexPort, ok := strings.Cut(f[1], ":")
		if !ok {
			continue
		}
		port, err := strconv.ParseUint(hexPort, 16, 16)
		if err == nil {
			out = append(out, int(port))
		}
	}
	sort.Ints(out)
	return out
}

// ProcNetTCPContent is /proc/net/tcp as the kernel writes it for sockets
// listening on ports of 0.0.0.0: what the model shows for its services.
func ProcNetTCPContent(ports []int) string {
	var b strings.Builder
	b.WriteString("  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n")
	for i, p := range ports {
		fmt.Fprintf(&b, "%4d: 00000000:%04X 00000000:0000 %s 00000000:00000000 00:00000000 00000000     0        0 %d 1 0000000000000000 100 0 0 10 0\n", i, p, tcpListen, 10000+i)
	}
	return b.String()
}
