//go:build integration

package main

import (
	"archive/tar"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/tandem-harness/tandem/internal/binaries"
)

// The JUnit schema CI tools validate with is Jenkins' xUnit plugin's
// junit-10.xsd. pytest's source distribution carries a copy for its own
// tests (testing/example_scripts), so the test takes it from there, from
// PyPI, rather than keeping a copy here.
const (
	schemaSource = "pytest==8.3.4"
	schemaMember = "pytest-8.3.4/testing/example_scripts/junit-10.xsd"
)

// junitTools is a venv with testdata/junit/requirements.txt (xmlschema and
// junitparser, pinned) and the schema beside it, built once and cached.
func junitTools(t *testing.T) (python, xsd string) {
	t.Helper()
	reqs, err := os.ReadFile("testdata/junit/requirements.txt")
	require.NoError(t, err)
	sum := sha256.Sum256(append(reqs, schemaSource...))
	dir := filepath.Join(binaries.CacheDir(), "test-venvs", "junit-"+hex.EncodeToString(sum[:])[:12])
	python, xsd = filepath.Join(dir, "bin", "python"), filepath.Join(dir, "junit-10.xsd")
	if _, err := os.Stat(filepath.Join(dir, ".complete")); err == nil {
		return python, xsd
	}
	require.NoError(t, os.MkdirAll(filepath.Dir(dir), 0o755))
	unlock, err := binaries.Lock(dir + ".lock")
	require.NoError(t, err)
	defer unlock()
	os.RemoveAll(dir)
	pip := filepath.Join(dir, "bin", "pip")
	for _, args := range [][]string{
		{"/usr/bin/python3", "-m", "venv", dir},
		{pip, "install", "--disable-pip-version-check", "-q", "-r", "testdata/junit/requirements.txt"},
		{pip, "download", "--disable-pip-version-check", "-q", "--no-deps", "--no-binary", ":all:", "-d", filepath.Join(dir, "sdist"), schemaSource},
	} {
		out, err := exec.Command(args[0], args[1:]...).CombinedOutput()
		require.NoError(t, err, "%s: %s", strings.Join(args, " "), out)
	}
	sdists, err := filepath.Glob(filepath.Join(dir, "sdist", "*.tar.gz"))
	require.NoError(t, err)
	require.Len(t, sdists, 1)
	require.NoError(t, extractMember(sdists[0], schemaMember, xsd))
	require.NoError(t, os.WriteFile(filepath.Join(dir, ".complete"), nil, 0o644))
	return python, xsd
}

func extractMember(tarball, member, to string) error {
	f, err := os.Open(tarball)
	if err != nil {
		return err
	}
	defer f.Close()
	gz, err := gzip.NewReader(f)
	if err != nil {
		return err
	}
	tr := tar.NewReader(gz)
	for {
		h, err := tr.Next()
		if err != nil {
			return err // io.EOF too: the member must be there
		}
		if h.Name != member {
			continue
		}
		out, err := os.Create(to)
		if err != nil {
			return err
		}
		if _, err := io.Copy(out, tr); err != nil {
			out.Close()
			return err
		}
		return out.Close()
	}
}

// consumed is what testdata/junit/consume.py prints.
type consumed struct {
	Declared map[string]int `json:"declared"`
	Counted  map[string]int `json:"counted"`
	Cases    map[string][]struct {
		Kind    string `json:"kind"`
		Message string `json:"message"`
	} `json:"cases"`
}

// The report of a suite with a failing scenario, a skipped one and a
// skipped outline row is valid against the schema CI tools read, and a
// real consumer (junitparser) reads 1 failure and 2 skipped, with reasons,
// and the same totals from the cases as the file declares.
func TestJUnitIsValidAndReadByARealConsumer(t *testing.T) {
	python, xsd := junitTools(t)
	report := filepath.Join(t.TempDir(), "report.xml")
	code, _, _ := run(t, "run", "--substrate", "nodeless", "--artifacts", t.TempDir(), "--format", "junit:"+report, "testdata/junit/mixed.feature")
	require.Equal(t, exitFailed, code)

	cmd := exec.Command(python, "testdata/junit/consume.py", report, xsd)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	require.NoError(t, err, "the report is not what CI tools read:\n%s", stderr.String())
	var got consumed
	require.NoError(t, json.Unmarshal(out, &got))
	want := map[string]int{"tests": 5, "failures": 1, "errors": 0, "skipped": 2}
	require.Equal(t, want, got.Counted, "junitparser's count from the cases")
	for _, k := range []string{"tests", "failures", "errors"} {
		require.Equal(t, want[k], got.Declared[k], "the file's declared %s", k)
	}
	require.Empty(t, got.Cases["a unit settles"])
	failed := got.Cases["a check that fails"]
	require.Len(t, failed, 1)
	require.Equal(t, "Failure", failed[0].Kind)
	require.Contains(t, failed[0].Message, "has not received app-pebble-check-failed")
	reason := "needs nodes, which nodeless lacks; runs on sim, kind"
	for _, name := range []string{"failover across nodes", "one per node count #2"} {
		require.Len(t, got.Cases[name], 1, name)
		require.Equal(t, "Skipped", got.Cases[name][0].Kind, name)
		require.Equal(t, reason, got.Cases[name][0].Message, name)
	}
	require.Empty(t, got.Cases["one per node count #1"])
}
