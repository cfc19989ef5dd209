package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/yaml"
)

// injected splits inject's output into its Service, StatefulSet and pod.
func injected(t *testing.T, out string) (corev1.Service, appsv1.StatefulSet, corev1.Pod) {
	t.Helper()
	docs := strings.Split(out, "---\n")
	require.Len(t, docs, 4, "notes, a Service, a StatefulSet and a pod:\n%s", out)
	var svc corev1.Service
	var ss appsv1.StatefulSet
	var pod corev1.Pod
	require.NoError(t, yaml.UnmarshalStrict([]byte(docs[1]), &svc))
	require.NoError(t, yaml.UnmarshalStrict([]byte(docs[2]), &ss))
	require.NoError(t, yaml.UnmarshalStrict([]byte(docs[3]), &pod))
	return svc, ss, pod
}

func podImages(ps corev1.PodSpec) map[string]string {
	out := map[string]string{}
	for _, c := range append(ps.InitContainers, ps.Containers...) {
		out[c.Name] = c.Image
	}
	return out
}

// TestInjectACharmOfYourOwn: the reference charm's metadata makes the
// pod Juju makes: the charm container with the charm's dir and tools on
// charm-data at /var/lib/juju, one workload container per container, an
// image from --image by resource name.
func TestInjectACharmOfYourOwn(t *testing.T) {
	code, out, errOut := run(t, "inject", "--charm", "../../fixtures/charms/snappass", "--image", "redis-image=redis:7")
	require.Equal(t, exitOK, code, errOut)
	svc, ss, pod := injected(t, out)
	require.Equal(t, "snappass-endpoints", svc.Name)
	require.Equal(t, "snappass", ss.Name)
	require.Equal(t, map[string]string{"charm-init": "tandem/pebble-init", "charm": "tandem/charm-snappass", "redis": "redis:7", "snappass": "tandem/workload"}, podImages(ss.Spec.Template.Spec))
	var charmMounts []string
	for _, m := range ss.Spec.Template.Spec.Containers[0].VolumeMounts {
		charmMounts = append(charmMounts, m.MountPath)
	}
	require.Contains(t, charmMounts, "/var/lib/juju")
	require.Equal(t, "snappass-0", pod.Name)
	require.Equal(t, "snappass-endpoints", pod.Spec.Subdomain)
	require.Equal(t, podImages(ss.Spec.Template.Spec), podImages(pod.Spec))
	require.Contains(t, out, "# redis runs redis:7 (--image redis-image)")
	require.Contains(t, out, "# snappass runs tandem/workload: resource snappass-image names no upstream-source")
}

// TestInjectTakesUpstreamSourceAndStorage: an oci-image resource's
// upstream-source is the container's image, as Juju deploys it; storage
// is a claim template, and the pod's volume is its own claim.
func TestInjectTakesUpstreamSourceAndStorage(t *testing.T) {
	dir := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(dir, "metadata.yaml"), []byte(`name: db
containers:
  pg:
    resource: pg-image
    mounts:
      - storage: data
        location: /var/lib/pg
resources:
  pg-image:
    type: oci-image
    upstream-source: postgres:16
storage:
  data:
    type: filesystem
`), 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "dispatch"), []byte("#!/bin/sh\n"), 0o755))
	code, out, errOut := run(t, "inject", "--charm", dir, "--units", "3")
	require.Equal(t, exitOK, code, errOut)
	_, ss, pod := injected(t, out)
	require.Equal(t, int32(3), *ss.Spec.Replicas)
	require.Equal(t, "postgres:16", podImages(ss.Spec.Template.Spec)["pg"])
	require.Len(t, ss.Spec.VolumeClaimTemplates, 1)
	require.Equal(t, "data", ss.Spec.VolumeClaimTemplates[0].Name)
	var claims []string
	for _, v := range pod.Spec.Volumes {
		if v.PersistentVolumeClaim != nil {
			claims = append(claims, v.PersistentVolumeClaim.ClaimName)
		}
	}
	require.Equal(t, []string{"data-db-0"}, claims)
}

func TestInjectRefusesWhatItCannotUse(t *testing.T) {
	for args, want := range map[string]string{
		"--charm ../../fixtures/charms/snappass --image nginx=nginx:1":              `charm snappass has no container or oci-image resource "nginx" (containers: redis, snappass)`,
		"--charm ../../fixtures/charms/snappass --image redis":                      "want NAME=REF",
		"--charm ../../fixtures/no-such-charm":                                      "cannot open charm",
		"--charm ../../fixtures/charms/snappass ../../fixtures/snappass/charm.yaml": "want a charm or one charm spec file",
		"--units 0 --charm ../../fixtures/charms/snappass":                          "give --units 1 or more",
		"--unit 2 --charm ../../fixtures/charms/snappass":                           "flag provided but not defined: -unit (tandem inject --help lists the flags)",
		"--image web=nginx:1 ../../fixtures/snappass/charm.yaml":                    `has no container "web"`,
	} {
		code, _, errOut := run(t, append([]string{"inject"}, strings.Fields(args)...)...)
		require.Equal(t, exitUsage, code, args)
		require.Contains(t, errOut, want, args)
		require.Equal(t, 1, strings.Count(strings.TrimSpace(errOut), "\n")+1, "one line: %s", errOut)
	}
}
