package cluster

import (
	"testing"

	"github.com/stretchr/testify/require"
	"sigs.k8s.io/kind/pkg/apis/config/v1alpha4"

	kindfixtures "github.com/tandem-harness/tandem/fixtures/kind"
)

func TestConfigSetsOneControlPlaneAndTheWorkers(t *testing.T) {
	cfg, err := Config(kindfixtures.ClusterConfig, 2)
	require.NoError(t, err)
	require.Len(t, cfg.Nodes, 3)
	require.Equal(t, v1alpha4.ControlPlaneRole, cfg.Nodes[0].Role)
	require.Equal(t, v1alpha4.WorkerRole, cfg.Nodes[1].Role)
	require.Equal(t, v1alpha4.WorkerRole, cfg.Nodes[2].Role)
	require.Equal(t, v1alpha4.ProxyMode("nftables"), cfg.Networking.KubeProxyMode)
	require.Len(t, cfg.KubeadmConfigPatchesJSON6902, 1, "the node-monitor grace period")
	hasCgroupPatch := len(cfg.KubeadmConfigPatches) == 1 && cfg.KubeadmConfigPatches[0] == "kind: KubeletConfiguration\nfailCgroupV1: false\n"
	require.Equal(t, CgroupV1(), hasCgroupPatch, "the cgroup v1 patch is there exactly where the host is cgroup v1")
}

func TestConfigRefusesAnUnknownField(t *testing.T) {
	_, err := Config([]byte("kind: Cluster\napiVersion: kind.x-k8s.io/v1alpha4\nnetworkin: {}\n"), 1)
	require.ErrorContains(t, err, "cannot read the cluster config")
}
