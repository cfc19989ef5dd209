package spec

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"time"
)

// TraceFormat and TraceVersion open every trace; a reader refuses any
// other version rather than misread it.
const (
	TraceFormat  = "tandem-trace"
	TraceVersion = 1
)

// TraceHeader is a trace's first line.
type TraceHeader struct {
	Format    string        `json:"format"`
	Version   int           `json:"version"`
	Substrate string        `json:"substrate"`
	Profile   TimingProfile `json:"profile"`
	Seed      int64         `json:"seed"`
	Scenario  string        `json:"scenario,omitempty"`
	// Played names the record types tandem made itself, playing a part of
	// the platform the substrate lacks (the kubelet's container restarts
	// and the StatefulSet's pods on local): the comparison does not count
	// them as agreement.
	Played []string `json:"played,omitempty"`
}

// RecordKind separates what was done from what was seen.
type RecordKind string

const (
	KindAction      RecordKind = "action"
	KindObservation RecordKind = "observation"
)

// Record types. Actions are replayed into the model; observations are
// compared with the model's.
const (
	// actions
	RecDeploy        = "deploy"         // Spec, Count (units), Nodes
	RecPebble        = "pebble"         // Unit, Action
	RecKillService   = "kill-service"   // Unit, Container, Service, Message = signal
	RecKillContainer = "kill-container" // Unit, Container ("charm" for the charm container)
	RecDeletePod     = "delete-pod"     // Unit
	RecFailNode      = "fail-node"      // Node
	RecForceDelete   = "force-delete"   // Unit
	RecHealth        = "set-health"     // Unit, Container, Path, State = "up"|"down"
	RecReadFile      = "read-file"      // Unit, Container, Path: asks for a file observation
	RecEnd           = "end"            // the scenario's last instant
	RecDeployPodspec = "deploy-podspec" // Spec, Nodes: the older pattern's operator and workload pods (R1.6)
	RecConfig        = "config"         // Message: the options set, as `juju config` (a real charm)
	RecRunAction     = "run-action"     // Unit, Message = action name (a real charm)
	RecRelation      = "relation"       // Relation: what the other application did (a real charm)
	RecCharmCall     = "charm-call"     // Message: a charm of your own's Pebble call that changed nothing, "GET /v1/services -> 200"
	RecLeader        = "leader"         // Unit: the unit given leadership (a real charm)
	RecAddUnit       = "add-unit"       // Unit: a unit scaling added (a real charm)
	RecRemoveUnit    = "remove-unit"    // Unit: a unit scaling takes away (a real charm)
	// observations
	RecService   = "service"           // Unit, Container, Service, State
	RecLog       = "log"               // Unit, Container, Message: Pebble's own log line
	RecStart     = "start"             // Unit, Container, Service: a process start
	RecRestart   = "container-restart" // Unit, Container, Count
	RecEvent     = "event"             // Unit, Message = event name, Key
	RecFile      = "file"              // Unit, Container, File
	RecPlacement = "placement"         // Unit, Node
	RecCheck     = "check"             // Unit, Container, Check, State
	RecPod       = "pod"               // Unit, State (phase or readiness)
	// RecKubeEvent is a Kubernetes event about a unit's pod: Unit,
	// Container (when it is about one), State = its reason, Message. The
	// model emits the prober's (Unhealthy, Killing); steps read them, the
	// comparator does not.
	RecKubeEvent = "kube-event"
)

// FileState is a file as seen from inside its container.
type FileState struct {
	Path    string `json:"path"`
	Content string `json:"content,omitempty"`
	Mode    string `json:"mode,omitempty"`
	User    string `json:"user,omitempty"`
	Group   string `json:"group,omitempty"`
	Error   string `json:"error,omitempty"`
}

// Record is one line of a trace after the header.
type Record struct {
	At        time.Duration `json:"at"`
	Kind      RecordKind    `json:"kind"`
	Type      string        `json:"type"`
	Source    string        `json:"source,omitempty"` // "scenario" or "charm", for actions
	Unit      UnitID        `json:"unit,omitempty"`
	Container string        `json:"container,omitempty"`
	Service   string        `json:"service,omitempty"`
	Check     string        `json:"check,omitempty"`
	Node      string        `json:"node,omitempty"`
	State     string        `json:"state,omitempty"`
	Message   string        `json:"message,omitempty"`
	Key       string        `json:"key,omitempty"`
	Path      string        `json:"path,omitempty"`
	Count     int           `json:"count,omitempty"`
	Nodes     int           `json:"nodes,omitempty"`
	Action    *Action       `json:"action,omitempty"`
	Spec      *CharmSpec    `json:"spec,omitempty"`
	File      *FileState    `json:"file,omitempty"`
	Relation  *RelationOp   `json:"relation,omitempty"`
	// Took is, on an event a charm of your own's hook ran for, how long
	// the hook ran: the model's hook lasts as long.
	Took time.Duration `json:"took,omitempty"`
}

// Source values of action records.
const (
	SourceScenario = "scenario"
	SourceCharm    = "charm"
	// SourceYourCharm is a charm of your own's Pebble call, as the charm
	// agent's proxy saw it: the model replays it, having no handlers to
	// run for that charm.
	SourceYourCharm = "your-charm"
)

// Trace is a whole trace in memory.
type Trace struct {
	Header  TraceHeader
	Records []Record
}

// End is the last instant the trace records.
func (t *Trace) End() time.Duration {
	var end time.Duration
	for _, r := range t.Records {
		end = max(end, r.At)
	}
	return end
}

// TraceWriter writes a trace as JSON lines.
type TraceWriter struct {
	enc *json.Encoder
}

// NewTraceWriter writes h as the first line.
func NewTraceWriter(w io.Writer, h TraceHeader) (*TraceWriter, error) {
	h.Format, h.Version = TraceFormat, TraceVersion
	tw := &TraceWriter{enc: json.NewEncoder(w)}
	if err := tw.enc.Encode(h); err != nil {
		return nil, fmt.Errorf("cannot write trace header: %w", err)
	}
	return tw, nil
}

// Write appends one record.
func (tw *TraceWriter) Write(r Record) error {
	if err := tw.enc.Encode(r); err != nil {
		return fmt.Errorf("cannot write trace record: %w", err)
	}
	return nil
}

// WriteTrace writes a whole trace.
func WriteTrace(w io.Writer, t *Trace) error {
	tw, err := NewTraceWriter(w, t.Header)
	if err != nil {
		return err
	}
	for _, r := range t.Records {
		if err := tw.Write(r); err != nil {
			return err
		}
	}
	return nil
}

// ReadTrace reads a trace, naming the line of anything it cannot read.
func ReadTrace(r io.Reader, name string) (*Trace, error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64*1024), 16*1024*1024)
	t := &Trace{}
	line := 0
	for sc.Scan() {
		line++
		if len(sc.Bytes()) == 0 {
			continue
		}
		if line == 1 {
			if err := json.Unmarshal(sc.Bytes(), &t.Header); err != nil {
				return nil, fmt.Errorf("%s:1: cannot read trace header: %v", name, err)
			}
			if t.Header.Format != TraceFormat {
				return nil, fmt.Errorf("%s:1: not a tandem trace (format %q, want %q)", name, t.Header.Format, TraceFormat)
			}
			if t.Header.Version != TraceVersion {
				return nil, fmt.Errorf("%s:1: cannot read trace version %d: this tandem reads version %d", name, t.Header.Version, TraceVersion)
			}
			continue
		}
		var rec Record
		if err := json.Unmarshal(sc.Bytes(), &rec); err != nil {
			return nil, fmt.Errorf("%s:%d: cannot read trace record: %v", name, line, err)
		}
		t.Records = append(t.Records, rec)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("%s: cannot read trace: %v", name, err)
	}
	if line == 0 {
		return nil, fmt.Errorf("%s: empty trace: want a header line", name)
	}
	return t, nil
}

// ReadTraceFile reads the trace at path.
func ReadTraceFile(path string) (*Trace, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("cannot open trace: %w", err)
	}
	defer f.Close()
	return ReadTrace(f, path)
}
