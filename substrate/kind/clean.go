package kind

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"strings"
	"syscall"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/clientcmd"
)

// Clean deletes, on the cluster a kubeconfig names, the namespaces of this
// machine's runs whose tandem is gone, and returns their names. A live
// run's are left, and so are other machines' (a shared cluster): their
// pids mean nothing here.
func Clean(kubeconfig string) ([]string, error) {
	cfg, err := clientcmd.BuildConfigFromFlags("", kubeconfig)
	if err != nil {
		return nil, fmt.Errorf("cannot read the kubeconfig %s: %w", kubeconfig, err)
	}
	cfg.Timeout = 10 * time.Second
	cs, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	list, err := cs.CoreV1().Namespaces().List(ctx, metav1.ListOptions{LabelSelector: LabelOwner})
	if err != nil {
		return nil, fmt.Errorf("cannot list the cluster's namespaces: %w", err)
	}
	var removed []string
	for _, ns := range list.Items {
		if host := ns.Labels[LabelHost]; host != "" && host != HostLabel() {
			continue
		}
		pid, err := strconv.Atoi(ns.Labels[LabelOwner])
		if err == nil && pid != os.Getpid() && syscall.Kill(pid, 0) == nil {
			continue // its tandem is still running
		}
		if err := deleteNamespace(cs, ns.Name); err != nil {
			return removed, err
		}
		removed = append(removed, ns.Name)
	}
	return removed, nil
}

// HostLabel is this machine's name as a label value: its hostname, cut
// to what a label value allows (63 characters of [A-Za-z0-9._-], starting
// and ending with a letter or digit).
func HostLabel() string {
	name, _ := os.Hostname()
	return labelValue(name)
}

func labelValue(s string) string {
	b := []byte(s)
	for i, c := range b {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '_' || c == '-') {
			b[i] = '-'
		}
	}
	out := string(b)
	if len(out) > 63 {
		out = out[:63]
	}
	out = strings.Trim(out, "._-")
	if out == "" {
		return "unknown"
	}
	return out
}
