// Package wire is how a hook tool reaches the unit agent: what the
// multi-call binary sends and gets back. It imports nothing of tandem's,
// so the binary every tool call starts stays small and quick.
package wire

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"slices"
	"strings"
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

// Result is what a tool printed and its exit code.
type Result struct {
	Stdout string `json:"stdout,omitempty"`
	Stderr string `json:"stderr,omitempty"`
	Code   int    `json:"code"`
}

// ReadsStdin says whether a call reads its settings from standard input
// ("--file -"), so the binary reads it only then.
func ReadsStdin(argv []string) bool {
	i := slices.Index(argv, "--file")
	return slices.Contains(argv, "--file=-") || (i >= 0 && i+1 < len(argv) && argv[i+1] == "-")
}

// InlineFiles reads each "key#file=PATH" argument of a secret's content
// (ops writes every value to a file so that it stays off the command
// line) and passes it as "key#base64=VALUE": the path is the hook's, and
// the agent may not see the hook's filesystem.
func InlineFiles(argv []string) ([]string, error) {
	out := slices.Clone(argv)
	for i, a := range out {
		key, path, ok := strings.Cut(a, "#file=")
		if !ok || strings.HasPrefix(a, "-") || (i > 0 && takesValue(out[i-1])) {
			continue
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return nil, fmt.Errorf("cannot read the value of %q: %w", key, err)
		}
		out[i] = key + "#base64=" + base64.StdEncoding.EncodeToString(data)
	}
	return out, nil
}

// takesValue says whether a secret tool's flag takes the next argument
// as its value (which is then no content, whatever it holds).
func takesValue(flag string) bool {
	switch strings.TrimLeft(flag, "-") {
	case "label", "description", "expire", "rotate", "owner":
		return true
	}
	return false
}

// Send makes one call to the agent listening on the unix socket: one JSON
// request, one JSON answer, on a connection of its own. Plain JSON over
// the socket, not HTTP: every tool call starts the binary afresh, and the
// smaller it is the sooner it runs.
func Send(socket string, req Request) (Result, error) {
	conn, err := net.Dial("unix", socket)
	if err != nil {
		return Result{}, fmt.Errorf("cannot reach the unit agent at %s: %w", socket, err)
	}
	defer conn.Close()
	if err := json.NewEncoder(conn).Encode(req); err != nil {
		return Result{}, fmt.Errorf("cannot ask the unit agent: %w", err)
	}
	var res Result
	if err := json.NewDecoder(conn).Decode(&res); err != nil {
		return Result{}, fmt.Errorf("cannot read the unit agent's answer: %w", err)
	}
	return res, nil
}

// Serve answers tool calls on l until it closes, each with answer.
func Serve(l net.Listener, answer func(Request) Result) {
	for {
		conn, err := l.Accept()
		if err != nil {
			return
		}
		go func() {
			defer conn.Close()
			var req Request
			if err := json.NewDecoder(conn).Decode(&req); err != nil {
				json.NewEncoder(conn).Encode(Result{Stderr: "ERROR cannot read the call: " + err.Error() + "\n", Code: 1})
				return
			}
			json.NewEncoder(conn).Encode(answer(req))
		}()
	}
}
