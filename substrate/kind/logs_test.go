package kind

import "testing"

func TestAfterTakesOnlyLaterTimestamps(t *testing.T) {
	const first = "2026-11-30T16:50:12.123456789Z"
	for _, c := range []struct {
		ts, last string
		want     bool
	}{
		{first, "", true},
		{"2026-11-30T16:50:12.5Z", first, true},
		{first, first, false},
		{"2026-11-30T16:50:12Z", first, false},
		// A word where the timestamp should be is no line of the log: as
		// text it would sort after every date and stop all later lines.
		{"unable", first, false},
		{"unable", "", false},
	} {
		if got := after(c.ts, c.last); got != c.want {
			t.Errorf("after(%q, %q) = %v, want %v", c.ts, c.last, got, c.want)
		}
	}
}
