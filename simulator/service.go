package simulator

import (
	"fmt"
	"time"

	"github.com/tandem-harness/tandem/spec"
)

// Internal service states (R5.1), as servstate names them.
const (
	stateInitial     = "initial"
	stateStarting    = "starting"
	stateRunning     = "running"
	stateTerminating = "terminating"
	stateKilling     = "killing"
	stateStopped     = "stopped"
	stateBackoff     = "backoff"
	stateExited      = "exited"
)

// statusOf maps an internal state to what the API reports (R5.1).
func statusOf(state string) string {
	switch state {
	case stateStarting, stateRunning:
		return "active"
	case stateBackoff:
		return "backoff"
	case stateExited:
		return "error"
	}
	return "inactive"
}

// svc is one service's state machine in one Pebble (R5). Its transitions
// follow servstate's handlers.go; its process is the service command's
// Behaviour played on the virtual clock.
type svc struct {
	p           *pebble
	cfg         *service
	beh         spec.Behaviour
	state       string
	since       time.Duration
	backoffNum  int
	backoffTime time.Duration
	restarting  bool
	starts      int
	// proc is the running process's generation; timers of an earlier
	// process find it changed and do nothing.
	proc     int
	alive    bool
	resetTmr *Timer
	startChg *change
	stopChg  *change
}

func (s *svc) name() string { return s.cfg.Name }

func (s *svc) transition(state string) { s.transitionRestarting(state, false) }

func (s *svc) transitionRestarting(state string, restarting bool) {
	old := statusOf(s.state)
	s.state, s.restarting = state, restarting
	if statusOf(state) != old {
		s.since = s.p.now()
	}
}

// start begins a start request (R5.2): starting for the okay delay, then
// running; an exit within it fails the change.
func (s *svc) start(chg *change) {
	switch s.state {
	case stateInitial:
	default:
		chg.fail(s.name(), fmt.Sprintf("cannot start service while %s", s.state))
		return
	}
	if err := s.startProcess(); err != nil {
		s.transition(stateStopped)
		chg.fail(s.name(), err.Error())
		return
	}
	s.startChg = chg
	s.transition(stateStarting)
	proc := s.proc
	s.p.after(okayDelay, func() {
		if s.proc == proc && s.state == stateStarting {
			s.transition(stateRunning)
			s.finishStart("")
		}
	})
}

func (s *svc) finishStart(errMsg string) {
	if s.startChg == nil {
		return
	}
	chg := s.startChg
	s.startChg = nil
	if errMsg != "" {
		chg.fail(s.name(), errMsg)
	} else {
		chg.done(s.name())
	}
}

// startProcess runs the command (servstate startInternal).
func (s *svc) startProcess() error {
	beh, err := spec.ResolveBehaviour(s.cfg.Command, s.p.ctr.spec.Programs)
	if err != nil {
		return fmt.Errorf("cannot start service: %v", err)
	}
	s.beh = beh
	s.proc++
	s.alive = true
	s.starts++
	s.p.log("Service %q starting: %s", s.name(), s.cfg.Command)
	proc := s.proc
	limit := s.cfg.BackoffLimit.Value
	s.resetTmr = s.p.after(limit, func() {
		if s.proc == proc && s.state == stateRunning {
			s.backoffNum, s.backoffTime = 0, 0
		}
	})
	if s.p.ctr.portTaken(s, beh) {
		// The workload tool cannot bind and exits at once with 1, before
		// it records its start.
		s.p.after(0, func() { s.processExited(proc, 1) })
		return nil
	}
	if beh.Record != "" {
		// The tool records its start once it is ready: signals set,
		// ports listening.
		s.p.ctr.appendStartRecord(beh.Record)
	}
	if beh.Exits {
		code := beh.ExitCode
		if beh.FailIfExists != "" {
			code = 0
			if s.p.ctr.fs.get(beh.FailIfExists) != nil {
				code = 1
			}
		}
		s.p.after(beh.ExitAfter, func() { s.processExited(proc, code) })
	}
	return nil
}

// signal delivers sig to the process; what happens is the process's own
// business (its Behaviour).
func (s *svc) signal(sig string) {
	if !s.alive {
		return
	}
	num, ok := signalNumbers[sig]
	if !ok {
		return
	}
	if sig == "SIGTERM" && s.beh.IgnoreSIGTERM {
		return
	}
	proc := s.proc
	s.p.after(0, func() { s.processExited(proc, 128+num) })
}

var signalNumbers = map[string]int{
	"SIGHUP": 1, "SIGINT": 2, "SIGQUIT": 3, "SIGKILL": 9, "SIGUSR1": 10, "SIGUSR2": 12, "SIGTERM": 15,
}

func (s *svc) processExited(proc, code int) {
	if s.proc != proc || !s.alive {
		return
	}
	s.alive = false
	s.resetTmr.Stop()
	s.exited(code)
}

// exited follows servstate's exited (R5.2, R5.3).
func (s *svc) exited(code int) {
	switch s.state {
	case stateStarting, stateRunning:
		action, onType := s.action(code == 0)
		if s.state == stateStarting {
			s.finishStart(fmt.Sprintf("exited quickly with code %d, will %s", code, action))
		}
		s.p.log("Service %q stopped unexpectedly with code %d", s.name(), code)
		switch action {
		case actionIgnore:
			s.p.log("Service %q %s action is %q, not doing anything further", s.name(), onType, action)
			if code == 0 {
				s.transition(stateStopped)
			} else {
				s.transition(stateExited)
			}
		case actionShutdown:
			kind, exit := "success", 0
			if code != 0 {
				kind, exit = "failure", 10
			}
			s.p.log("Service %q %s action is %q, triggering %s shutdown", s.name(), onType, action, kind)
			s.transition(stateExited)
			s.p.shutdown(exit)
		case actionSuccessShutdown:
			s.p.log("Service %q %s action is %q, triggering success shutdown", s.name(), onType, action)
			s.transition(stateExited)
			s.p.shutdown(0)
		case actionFailureShutdown:
			s.p.log("Service %q %s action is %q, triggering failure shutdown", s.name(), onType, action)
			s.transition(stateExited)
			s.p.shutdown(10)
		default:
			s.doBackoff(action, onType)
		}
	case stateTerminating, stateKilling:
		if s.restarting {
			s.p.log("Service %q exited after check failure, restarting", s.name())
			s.doBackoff(actionRestart, "on-check-failure")
		} else {
			s.p.log("Service %q stopped", s.name())
			s.transition(stateStopped)
			s.finishStop("")
		}
	}
}

func (s *svc) action(success bool) (string, string) {
	action, onType := s.cfg.OnFailure, "on-failure"
	if success {
		action, onType = s.cfg.OnSuccess, "on-success"
	}
	if action == actionUnset {
		action = actionRestart
	}
	return action, onType
}

// doBackoff waits before restarting (R5.4).
func (s *svc) doBackoff(action, onType string) {
	s.backoffNum++
	s.backoffTime = nextBackoff(s.cfg, s.backoffTime)
	s.p.log("Service %q %s action is %q, waiting ~%s before restart (backoff %d)", s.name(), onType, action, s.backoffTime, s.backoffNum)
	s.transition(stateBackoff)
	wait := s.backoffTime + s.p.jitter(s.backoffTime)
	proc := s.proc
	s.p.after(wait, func() {
		if s.proc != proc || s.state != stateBackoff {
			return
		}
		if err := s.startProcess(); err != nil {
			s.p.log("Cannot start service %q: %v", s.name(), err)
			return
		}
		s.transition(stateRunning)
	})
}

// nextBackoff is servstate's calculateNextBackoff (R5.4).
func nextBackoff(cfg *service, current time.Duration) time.Duration {
	if current == 0 {
		return cfg.BackoffDelay.Value
	}
	if current >= cfg.BackoffLimit.Value {
		return cfg.BackoffLimit.Value
	}
	next := time.Duration(current.Seconds() * cfg.BackoffFactor.Value * float64(time.Second))
	if next > cfg.BackoffLimit.Value {
		next = cfg.BackoffLimit.Value
	}
	return next
}

func (s *svc) killDelay() time.Duration {
	if s.cfg.KillDelay.IsSet {
		return s.cfg.KillDelay.Value
	}
	return defaultKillDelay
}

// stop follows servstate's stop (R5.5).
func (s *svc) stop(chg *change) {
	switch s.state {
	case stateStarting:
		s.finishStart(fmt.Sprintf("stopped before the %s okay delay", okayDelay))
		fallthrough
	case stateRunning:
		s.stopChg = chg
		s.transition(stateTerminating)
		s.terminate()
	case stateBackoff:
		s.p.log("Service %q stopped while waiting for backoff", s.name())
		s.proc++ // cancels the pending restart
		s.transition(stateStopped)
		chg.done(s.name())
	case stateInitial, stateStopped, stateExited:
		chg.done(s.name())
	default:
		chg.fail(s.name(), fmt.Sprintf("cannot stop service while %s", s.state))
	}
}

// terminate sends SIGTERM and arms the kill-delay timer.
func (s *svc) terminate() {
	proc := s.proc
	s.signal("SIGTERM")
	s.p.after(s.killDelay(), func() {
		if s.proc != proc || s.state != stateTerminating {
			return
		}
		s.transitionRestarting(stateKilling, s.restarting)
		s.signal("SIGKILL")
		s.p.after(failDelay, func() {
			if s.proc != proc || s.state != stateKilling {
				return
			}
			s.p.log("Service %q still running after SIGTERM and SIGKILL", s.name())
			s.transition(stateStopped)
			s.finishStop("process still running after SIGTERM and SIGKILL")
		})
	})
}

func (s *svc) finishStop(errMsg string) {
	if s.stopChg == nil {
		return
	}
	chg := s.stopChg
	s.stopChg = nil
	if errMsg != "" {
		chg.fail(s.name(), errMsg)
	} else {
		chg.done(s.name())
	}
}

// checkFailed applies an on-check-failure action (R6.2).
func (s *svc) checkFailed(action string) {
	onType := "on-check-failure"
	switch s.state {
	case stateRunning, stateBackoff, stateExited:
	default:
		return
	}
	switch action {
	case actionIgnore:
	case actionShutdown:
		s.p.log("Service %q %s action is %q, triggering failure shutdown", s.name(), onType, action)
		s.p.shutdown(11)
	case actionSuccessShutdown:
		s.p.log("Service %q %s action is %q, triggering success shutdown", s.name(), onType, action)
		s.p.shutdown(0)
	case actionRestart:
		switch s.state {
		case stateRunning:
			s.p.log("Service %q %s action is %q, terminating process before restarting", s.name(), onType, action)
			s.transitionRestarting(stateTerminating, true)
			s.terminate()
		case stateBackoff:
			s.p.log("Service %q %s action is %q, waiting for current backoff", s.name(), onType, action)
		case stateExited:
			s.doBackoff(action, onType)
		}
	}
}
