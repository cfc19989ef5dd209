package spec

import (
	"flag"
	"fmt"
	"io"
	"path"
	"strconv"
	"strings"
	"time"
)

// WorkloadTool is where the fixture workload tool lives in every workload
// container tandem builds.
const WorkloadTool = "/usr/bin/workload"

// DefaultHealthFile is the workload tool's health switch: while this file
// exists in the container, its health endpoint answers 500.
const DefaultHealthFile = "/tandem/unhealthy"

// Behaviour is what a service's process does, in the terms the model
// needs. The workload tool's flags are this language (so the real tool
// executes it and the model interprets it through one parser); any other
// program gets a Behaviour declared in the charm spec.
type Behaviour struct {
	// Exits says the process ends by itself, ExitAfter after it starts,
	// with ExitCode. A process that does not exit runs until signalled.
	Exits     bool          `json:"exits,omitempty"`
	ExitAfter time.Duration `json:"exit-after,omitempty"`
	ExitCode  int           `json:"exit-code,omitempty"`
	// HTTPPort and TCPPort, when not zero, are served on all addresses.
	// The HTTP server answers /health with 200, or 500 while HealthFile
	// exists.
	HTTPPort   int    `json:"http-port,omitempty"`
	TCPPort    int    `json:"tcp-port,omitempty"`
	HealthFile string `json:"health-file,omitempty"`
	// IgnoreSIGTERM makes the process survive SIGTERM, so only SIGKILL
	// (after kill-delay) ends it.
	IgnoreSIGTERM bool `json:"ignore-sigterm,omitempty"`
	// Record, when set, names a file under StartRecordDir to which each
	// start appends one line.
	Record string `json:"record,omitempty"`
	// Print is written to stdout at start.
	Print string `json:"print,omitempty"`
	// FailIfExists makes a one-shot probe: exit 1 at once if the path
	// exists, else 0.
	FailIfExists string `json:"fail-if-exists,omitempty"`
}

// NewWorkloadFlags declares the workload tool's flags on fs, filling b.
// The real tool and ParseWorkloadArgs share it, so the two cannot drift.
func NewWorkloadFlags(fs *flag.FlagSet, b *Behaviour) {
	fs.DurationVar(&b.ExitAfter, "exit-after", 0, "exit this long after starting (0s: at once); without it, run until stopped")
	fs.IntVar(&b.ExitCode, "exit-code", 0, "exit code when exiting by itself")
	fs.IntVar(&b.HTTPPort, "http", 0, "serve HTTP on this port, with /health switched by --health-file")
	fs.IntVar(&b.TCPPort, "tcp", 0, "accept TCP connections on this port")
	fs.StringVar(&b.HealthFile, "health-file", DefaultHealthFile, "while this file exists, /health answers 500")
	fs.BoolVar(&b.IgnoreSIGTERM, "ignore-sigterm", false, "survive SIGTERM; only SIGKILL ends the process")
	fs.StringVar(&b.Record, "record", "", "append a line to "+StartRecordDir+"/NAME at each start, once ready (signals set, ports listening)")
	fs.StringVar(&b.Print, "print", "", "write this text to stdout at start")
	fs.StringVar(&b.FailIfExists, "fail-if-exists", "", "probe: exit 1 at once if this path exists, else 0")
}

// ParseWorkloadArgs parses the workload tool's arguments (without argv[0]).
func ParseWorkloadArgs(args []string) (Behaviour, error) {
	var b Behaviour
	fs := flag.NewFlagSet("workload", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	NewWorkloadFlags(fs, &b)
	if err := fs.Parse(args); err != nil {
		return Behaviour{}, fmt.Errorf("cannot parse workload tool arguments: %v", err)
	}
	if fs.NArg() > 0 {
		return Behaviour{}, fmt.Errorf("cannot parse workload tool arguments: unexpected %q", fs.Arg(0))
	}
	fs.Visit(func(f *flag.Flag) {
		if f.Name == "exit-after" {
			b.Exits = true
		}
	})
	if b.FailIfExists != "" {
		b.Exits = true
	}
	if b.Record != "" && strings.ContainsAny(b.Record, "/") {
		return Behaviour{}, fmt.Errorf("cannot parse workload tool arguments: --record takes a name, not a path")
	}
	return b, nil
}

// IsWorkloadTool reports whether argv0 runs the workload tool.
func IsWorkloadTool(argv0 string) bool { return path.Base(argv0) == "workload" }

// SplitCommand splits a service command as Pebble does: shell-like words,
// with single and double quotes; Pebble's "[ ... ]" default-argument
// brackets are dropped, their words kept.
func SplitCommand(cmd string) ([]string, error) {
	var words []string
	var cur strings.Builder
	inWord := false
	var quote rune
	for _, r := range cmd {
		switch {
		case quote != 0:
			if r == quote {
				quote = 0
			} else {
				cur.WriteRune(r)
			}
		case r == '\'' || r == '"':
			quote, inWord = r, true
		case r == ' ' || r == '\t' || r == '\n':
			if inWord {
				words = append(words, cur.String())
				cur.Reset()
				inWord = false
			}
		default:
			cur.WriteRune(r)
			inWord = true
		}
	}
	if quote != 0 {
		return nil, fmt.Errorf("cannot split command %q: unterminated quote", cmd)
	}
	if inWord {
		words = append(words, cur.String())
	}
	out := words[:0]
	for _, w := range words {
		if w != "[" && w != "]" {
			out = append(out, w)
		}
	}
	return out, nil
}

// ResolveBehaviour tells what command does: the workload tool's flags
// parsed, or the behaviour container declares for the program. It fails
// for a command the model cannot know.
func ResolveBehaviour(command string, declared map[string]Behaviour) (Behaviour, error) {
	words, err := SplitCommand(command)
	if err != nil {
		return Behaviour{}, err
	}
	return ResolveArgv(words, declared)
}

// ResolveArgv is ResolveBehaviour for a command already split into words
// (an exec's argv).
func ResolveArgv(words []string, declared map[string]Behaviour) (Behaviour, error) {
	if len(words) == 0 {
		return Behaviour{}, fmt.Errorf("command is empty")
	}
	if IsWorkloadTool(words[0]) {
		return ParseWorkloadArgs(words[1:])
	}
	if b, ok := declared[words[0]]; ok {
		return b, nil
	}
	return Behaviour{}, fmt.Errorf("command %q is neither the workload tool nor a program the spec declares (add it to the container's programs)", words[0])
}

// Args renders b as workload tool arguments, the inverse of ParseWorkloadArgs.
func (b Behaviour) Args() []string {
	var a []string
	if b.Exits && b.FailIfExists == "" {
		a = append(a, "--exit-after="+b.ExitAfter.String())
	}
	if b.ExitCode != 0 {
		a = append(a, "--exit-code="+strconv.Itoa(b.ExitCode))
	}
	if b.HTTPPort != 0 {
		a = append(a, "--http="+strconv.Itoa(b.HTTPPort))
	}
	if b.TCPPort != 0 {
		a = append(a, "--tcp="+strconv.Itoa(b.TCPPort))
	}
	if b.HealthFile != "" && b.HealthFile != DefaultHealthFile {
		a = append(a, "--health-file="+b.HealthFile)
	}
	if b.IgnoreSIGTERM {
		a = append(a, "--ignore-sigterm")
	}
	if b.Record != "" {
		a = append(a, "--record="+b.Record)
	}
	if b.Print != "" {
		a = append(a, "--print="+b.Print)
	}
	if b.FailIfExists != "" {
		a = append(a, "--fail-if-exists="+b.FailIfExists)
	}
	return a
}
