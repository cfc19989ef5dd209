// Package checksuite is `tandem check`'s built-in suite: ordinary feature
// files, in tandem's public steps, about the duties a charm has in the
// sidecar pattern. They name no container, service or check of a
// particular charm: the steps find those in the charm's metadata and its
// plans, and the charm is --charm's. Render writes them for a charm, with
// what it needs to settle (its config) in each feature's Background.
package checksuite

import (
	"embed"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

//go:embed features/*.feature
var embedded embed.FS

// File is one feature file of the suite.
type File struct {
	Name string
	Text string
}

// Options are what `tandem check` adds to the suite for a charm.
type Options struct {
	// Config are the charm's config options set before each deploy, as
	// "key=value" in the order given.
	Config []string
	// Relations are the related applications it needs, related before
	// each deploy, their data set right after it.
	Relations []Relation
	// ExpectStatus, when set, is the status every settled unit must be
	// in (active, waiting, blocked ...); otherwise it is reported, not
	// judged.
	ExpectStatus string
}

// settles is the step every check waits with; ExpectStatus makes it
// judge the status too.
const settles = "the unit settles within "

// deployed is the deploy step of every check, after which the related
// applications' data are set.
const deployed = "    When the charm is deployed\n"

// Render gives the suite's files for a charm, in the order they run.
func Render(opts Options) ([]File, error) {
	names, err := fs.Glob(embedded, "features/*.feature")
	if err != nil {
		return nil, err
	}
	sort.Strings(names)
	var background []string
	for _, kv := range opts.Config {
		key, value, ok := strings.Cut(kv, "=")
		if !ok || key == "" {
			return nil, fmt.Errorf("cannot read config %q: write it as key=value", kv)
		}
		if err := quotable(kv); err != nil {
			return nil, fmt.Errorf("cannot set config %q: %w", kv, err)
		}
		background = append(background, fmt.Sprintf(`    Given the charm's config "%s" is "%s"`, key, value))
	}
	var afterDeploy []string
	for _, r := range opts.Relations {
		if err := r.check(); err != nil {
			return nil, err
		}
		background = append(background, r.relate())
		afterDeploy = append(afterDeploy, r.data()...)
	}
	if err := quotable(opts.ExpectStatus); err != nil {
		return nil, fmt.Errorf("cannot expect status %q: %w", opts.ExpectStatus, err)
	}
	var out []File
	for _, name := range names {
		data, err := embedded.ReadFile(name)
		if err != nil {
			return nil, err
		}
		text := string(data)
		if opts.ExpectStatus != "" {
			text = strings.ReplaceAll(text, settles, `the unit settles with status "`+opts.ExpectStatus+`" within `)
		}
		if len(afterDeploy) > 0 {
			text = strings.ReplaceAll(text, deployed, deployed+strings.Join(afterDeploy, "\n")+"\n")
		}
		if len(background) > 0 {
			text = withBackground(text, background)
		}
		out = append(out, File{Name: filepath.Base(name), Text: text})
	}
	return out, nil
}

// quotable says why s cannot go between a step's double quotes, which
// take what is between them as it is: no escapes, so no double quote,
// and one line.
func quotable(s string) error {
	if strings.ContainsAny(s, "\"\n") {
		return fmt.Errorf("a step cannot hold a double quote or a new line")
	}
	return nil
}

// withBackground puts a Background with lines before a feature's first
// scenario.
func withBackground(text string, lines []string) string {
	i := strings.Index(text, "\n  Scenario")
	if i < 0 {
		return text
	}
	return text[:i+1] + "  Background:\n" + strings.Join(lines, "\n") + "\n\n" + text[i+1:]
}

// Write writes files into dir, which it makes, and returns their paths.
func Write(dir string, files []File) ([]string, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("cannot write the suite: %w", err)
	}
	var paths []string
	for _, f := range files {
		p := filepath.Join(dir, f.Name)
		if err := os.WriteFile(p, []byte(f.Text), 0o644); err != nil {
			return nil, fmt.Errorf("cannot write the suite: %w", err)
		}
		paths = append(paths, p)
	}
	return paths, nil
}
