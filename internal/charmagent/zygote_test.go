package charmagent

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// zygoteCharm lays a charm with charmcraft's dispatch (the reference
// charm's) whose src/charm.py says what it was run with.
func zygoteCharm(t *testing.T, charmPy string) *CharmConfig {
	dir := filepath.Join(t.TempDir(), "charm")
	require.NoError(t, os.MkdirAll(filepath.Join(dir, "src"), 0o755))
	dispatch, err := os.ReadFile("../../fixtures/charms/snappass/dispatch")
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(filepath.Join(dir, "dispatch"), dispatch, 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "src", "charm.py"), []byte(charmPy), 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "src", "helper.py"), []byte("WORD = 'from src'\n"), 0o644))
	return &CharmConfig{Dir: dir, Zygote: true}
}

func TestAHookFromTheZygoteRunsAsDispatchWouldRunIt(t *testing.T) {
	cfg := zygoteCharm(t, `import os, sys
import helper
print(os.getcwd(), os.path.basename(sys.argv[0]), os.environ['JUJU_HOOK_NAME'], helper.WORD, __name__)
print('to stderr', file=sys.stderr)
sys.exit(int(os.environ['EXIT']))
`)
	z, err := startZygote(cfg, t.TempDir())
	require.NoError(t, err)
	require.NotNil(t, z)
	defer z.stop()
	for _, exit := range []string{"0", "3"} {
		var out, errOut bytes.Buffer
		code, err := z.run(context.Background(), []string{"JUJU_HOOK_NAME=install", "EXIT=" + exit}, cfg.Dir, &out, &errOut)
		require.NoError(t, err)
		assert.Equal(t, exit, map[int]string{0: "0", 3: "3"}[code])
		assert.Equal(t, cfg.Dir+" charm.py install from src __main__\n", out.String(), "its cwd, argv, env and sys.path are dispatch's")
		assert.Equal(t, "to stderr\n", errOut.String())
	}
}

func TestAHookFromTheZygoteIsKilledWithItsContext(t *testing.T) {
	cfg := zygoteCharm(t, "import time\ntime.sleep(60)\n")
	z, err := startZygote(cfg, t.TempDir())
	require.NoError(t, err)
	defer z.stop()
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	start := time.Now()
	code, err := z.run(ctx, nil, cfg.Dir, &bytes.Buffer{}, &bytes.Buffer{})
	require.NoError(t, err)
	assert.Equal(t, -1, code, "killed, as exec reports it")
	assert.Less(t, time.Since(start), 10*time.Second)
}

func TestOnlyACharmcraftDispatchGetsAZygote(t *testing.T) {
	cfg := zygoteCharm(t, "")
	require.NoError(t, os.WriteFile(filepath.Join(cfg.Dir, "dispatch"), []byte("#!/bin/sh\nexec ./src/charm.py\n"), 0o755))
	z, err := startZygote(cfg, t.TempDir())
	require.NoError(t, err)
	assert.Nil(t, z)
}

// TestAHookRunsAsAProcessOnceTheZygoteIsGone: a zygote that died takes
// no hook with it: the hook, and those after, run as processes.
func TestAHookRunsAsAProcessOnceTheZygoteIsGone(t *testing.T) {
	cfg := zygoteCharm(t, "print('ran')\n")
	dir := t.TempDir()
	u := &unitAgent{cfg: cfg, statePath: filepath.Join(dir, "unit.json")}
	z := u.zygote()
	require.NotNil(t, z)
	z.stop()
	var out bytes.Buffer
	code, err := u.exec(context.Background(), filepath.Join(cfg.Dir, "dispatch"), []string{"PATH=" + os.Getenv("PATH")}, &out, &bytes.Buffer{})
	require.NoError(t, err)
	assert.Zero(t, code)
	assert.Equal(t, "ran\n", out.String())
	assert.Nil(t, u.zygote(), "the next hook runs as a process too")
}
