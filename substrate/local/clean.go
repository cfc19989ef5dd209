package local

import "github.com/tandem-harness/tandem/substrate/internal/rundir"

// Leftover is what a killed local run left.
type Leftover = rundir.Leftover

// Leftovers finds run directories whose tandem is gone, and the processes
// still working in them (the sim substrate's too: a charm of your own's
// sandboxes). A live run's directory is not a leftover.
func Leftovers() ([]Leftover, error) { return rundir.Leftovers() }

// Clean kills what killed runs left running and removes their directories.
func Clean() ([]Leftover, error) { return rundir.Clean() }
