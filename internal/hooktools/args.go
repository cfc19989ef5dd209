package hooktools

import (
	"fmt"
	"strings"
)

// args is a tool's command line split as Juju's gnuflag parses it:
// "--name=value", "--name value" (for the flags that take a value),
// "-r 3", bare boolean flags, and "--" ending the flags.
type args struct {
	flags map[string]string
	pos   []string
}

// parseArgs splits argv; valued names the flags that take a value, in
// their long and short forms ("format", "r").
func parseArgs(argv []string, valued ...string) (args, error) {
	takes := map[string]bool{}
	for _, v := range valued {
		takes[v] = true
	}
	out := args{flags: map[string]string{}}
	for i := 0; i < len(argv); i++ {
		a := argv[i]
		if a == "--" {
			out.pos = append(out.pos, argv[i+1:]...)
			break
		}
		if !strings.HasPrefix(a, "-") || a == "-" {
			out.pos = append(out.pos, a)
			continue
		}
		name := strings.TrimLeft(a, "-")
		if n, v, ok := strings.Cut(name, "="); ok {
			out.flags[n] = v
			continue
		}
		if takes[name] {
			if i+1 >= len(argv) {
				return args{}, fmt.Errorf("option needs an argument: %s", a)
			}
			out.flags[name] = argv[i+1]
			i++
			continue
		}
		out.flags[name] = "true"
	}
	return out, nil
}

// has reports whether any of the names was given.
func (a args) has(names ...string) bool {
	for _, n := range names {
		if _, ok := a.flags[n]; ok {
			return true
		}
	}
	return false
}

// get returns the first of the names given.
func (a args) get(names ...string) string {
	for _, n := range names {
		if v, ok := a.flags[n]; ok {
			return v
		}
	}
	return ""
}

// boolFlag reads a Go-style boolean flag (--application, --application=True).
func (a args) boolFlag(names ...string) (bool, error) {
	for _, n := range names {
		v, ok := a.flags[n]
		if !ok {
			continue
		}
		switch strings.ToLower(v) {
		case "true", "1", "t":
			return true, nil
		case "false", "0", "f":
			return false, nil
		}
		return false, fmt.Errorf("invalid boolean value %q for flag --%s", v, n)
	}
	return false, nil
}

// formatArgs parses the arguments of a tool that prints (it takes
// --format, -o and --output), with the other valued flags it takes; bad
// arguments are a usage error.
func formatArgs(argv []string, valued ...string) (args, error) {
	a, err := parseArgs(argv, append([]string{"format", "o", "output"}, valued...)...)
	if err != nil {
		return args{}, usage("%v", err)
	}
	return a, nil
}

// oneArg is the one argument of a tool that takes exactly one; else a
// usage error saying so.
func oneArg(argv []string, want string) (string, error) {
	a, err := parseArgs(argv)
	if err != nil {
		return "", usage("%v", err)
	}
	if len(a.pos) != 1 {
		return "", usage("%s", want)
	}
	return a.pos[0], nil
}
