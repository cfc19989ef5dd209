package hooktools

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"slices"
	"time"
)

// Request is one tool call, as the multi-call binary sends it to the
// agent: the hook's context id (JUJU_CONTEXT_ID), the tool's name, its
// arguments, and its standard input where it reads one.
type Request struct {
	Context string   `json:"context"`
	Tool    string   `json:"tool"`
	Args    []string `json:"args"`
	Stdin   []byte   `json:"stdin,omitempty"`
}

// ToolPath is where the agent answers tool calls, on the socket named by
// JUJU_AGENT_SOCKET_ADDRESS.
const ToolPath = "/v1/tool"

// ReadsStdin says whether a call reads its settings from standard input
// ("--file -"), so the binary reads it only then.
func ReadsStdin(argv []string) bool {
	i := slices.Index(argv, "--file")
	return slices.Contains(argv, "--file=-") || (i >= 0 && i+1 < len(argv) && argv[i+1] == "-")
}

// Send makes one call to the agent listening on the unix socket.
func Send(socket string, req Request) (Result, error) {
	body, err := json.Marshal(req)
	if err != nil {
		return Result{}, err
	}
	c := &http.Client{Timeout: 5 * time.Minute, Transport: &http.Transport{
		DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
			return (&net.Dialer{}).DialContext(ctx, "unix", socket)
		}}}
	resp, err := c.Post("http://agent"+ToolPath, "application/json", bytes.NewReader(body))
	if err != nil {
		return Result{}, fmt.Errorf("cannot reach the unit agent at %s: %w", socket, err)
	}
	defer resp.Body.Close()
	var res Result
	if err := json.NewDecoder(resp.Body).Decode(&res); err != nil {
		return Result{}, fmt.Errorf("cannot read the unit agent's answer: %w", err)
	}
	return res, nil
}
