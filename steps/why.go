package steps

import (
	"fmt"
	"strings"

	"github.com/tandem-harness/tandem/spec"
)

// whyServiceLines bounds what whyService quotes of Pebble's log.
const whyServiceLines = 4

// whyService is what the run says of why a service is not as a step
// wants it: the charm's calls on its container that failed (a start's
// change carries Pebble's reason: a missing executable, say) and the last
// lines Pebble logged about it. It is "" when the run says nothing.
func (s *scenario) whyService(container, service string) string {
	var why []string
	if events, err := s.sub.Events(s.unit); err == nil {
		for _, e := range events {
			for _, msg := range e.Errors {
				if strings.Contains(msg, " "+container+": ") || strings.Contains(msg, " in "+container) {
					why = append(why, fmt.Sprintf("the charm's %s handler failed: %s", e.Name, msg))
				}
			}
		}
	}
	var logged []string
	for _, r := range s.sub.Trace().Records {
		if r.Type == spec.RecLog && r.Unit == s.unit && r.Container == container && strings.Contains(r.Message, fmt.Sprintf("%q", service)) {
			logged = append(logged, r.Message)
		}
	}
	if len(logged) > whyServiceLines {
		logged = logged[len(logged)-whyServiceLines:]
	}
	if len(logged) > 0 {
		why = append(why, "Pebble logged: "+strings.Join(logged, "; "))
	}
	if len(why) == 0 {
		return ""
	}
	return "\n" + strings.Join(why, "\n")
}
