package spec

import (
	"errors"
	"fmt"
	"strings"

	"github.com/canonical/pebble/client"
)

// RecAnswer is what Pebble answered the scenario: Message is the question
// (an action, or "health <level>"), State the answer. Real substrates and
// the model record it alike, and the comparison covers it.
const RecAnswer = "answer"

// ActionAnswer is an action's outcome as the comparison sees it: "ok", or
// "failed" with Pebble's error kind; for an exec, its exit code and what
// it printed. Messages are left out: the kind is the contract.
func ActionAnswer(a Action, res *ExecResult, err error) string {
	if a.Kind == ActExec && res != nil && err == nil {
		out := fmt.Sprintf("exit %d", res.ExitCode)
		if p := strings.TrimSuffix(res.Stdout, "\n"); p != "" {
			out += fmt.Sprintf(", printed %q", p)
		}
		return out
	}
	if err == nil {
		return "ok"
	}
	var ce *client.Error
	if errors.As(err, &ce) && ce.Kind != "" {
		return "failed (" + ce.Kind + ")"
	}
	return "failed"
}

// HealthQuestion is a health query as an answer record names it.
func HealthQuestion(level client.CheckLevel) string { return "health " + string(level) }

// HealthLevel reads the level back from a question HealthQuestion made.
func HealthLevel(question string) (client.CheckLevel, bool) {
	level, ok := strings.CutPrefix(question, "health ")
	return client.CheckLevel(level), ok
}

// HealthAnswer is a health query's answer as the comparison sees it.
func HealthAnswer(healthy bool, err error) string {
	switch {
	case err != nil:
		return "failed"
	case healthy:
		return "healthy"
	}
	return "unhealthy"
}
