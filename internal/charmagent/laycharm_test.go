package charmagent

import (
	"os"
	"path/filepath"
	"testing"
)

// A new pod's charm-data gets the charm from the image; a charm dir
// already there (the charm container restarted in its pod) is kept.
func TestTheCharmIsLaidOnlyWhereThereIsNone(t *testing.T) {
	src, data := t.TempDir(), t.TempDir()
	os.MkdirAll(filepath.Join(src, "venv", "bin"), 0o755)
	os.WriteFile(filepath.Join(src, "dispatch"), []byte("#!/bin/sh\n"), 0o755)
	os.Symlink("/usr/bin/python3", filepath.Join(src, "venv", "bin", "python"))
	dir := filepath.Join(data, "agents", "unit-a-0", "charm")
	if err := layTree("the charm", src, dir); err != nil {
		t.Fatal(err)
	}
	st, err := os.Stat(filepath.Join(dir, "dispatch"))
	if err != nil || st.Mode()&0o100 == 0 {
		t.Fatalf("dispatch laid as %v, %v; want it executable", st, err)
	}
	if link, err := os.Readlink(filepath.Join(dir, "venv", "bin", "python")); err != nil || link != "/usr/bin/python3" {
		t.Fatalf("venv/bin/python laid as %q, %v; want the link kept", link, err)
	}
	os.WriteFile(filepath.Join(dir, "written-by-the-charm"), nil, 0o644)
	if err := layTree("the charm", src, dir); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, "written-by-the-charm")); err != nil {
		t.Fatal("a charm dir already there was laid again")
	}
}

// A new pod's charm-data gets the attached resources from the image,
// each under its name; ones already there are kept.
func TestResourcesAreLaidWhereResourceGetSaysOnlyWhereThereAreNone(t *testing.T) {
	stage, data := t.TempDir(), t.TempDir()
	src := filepath.Join(stage, "model", "weights.bin")
	os.MkdirAll(filepath.Dir(src), 0o755)
	os.WriteFile(src, []byte("v1"), 0o644)
	cfg := &CharmConfig{ResourcesSource: stage}
	cfg.Place("app", "app/2")
	if cfg.ResourcesDir != "/var/lib/juju/agents/unit-app-2/resources" || cfg.Dir != "/var/lib/juju/agents/unit-app-2/charm" {
		t.Fatalf("placed at %q and %q; want unit-app-2's", cfg.ResourcesDir, cfg.Dir)
	}
	dir := filepath.Join(data, "resources")
	dst := filepath.Join(dir, "model", "weights.bin")
	if err := layTree("the resources", cfg.ResourcesSource, dir); err != nil {
		t.Fatal(err)
	}
	if got, _ := os.ReadFile(dst); string(got) != "v1" {
		t.Fatalf("resource laid as %q, want v1", got)
	}
	os.WriteFile(src, []byte("v2"), 0o644)
	if err := layTree("the resources", cfg.ResourcesSource, dir); err != nil {
		t.Fatal(err)
	}
	if got, _ := os.ReadFile(dst); string(got) != "v1" {
		t.Fatalf("a resource already there was laid again: %q", got)
	}
}
