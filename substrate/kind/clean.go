package kind

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"syscall"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/clientcmd"
)

// Clean deletes, on the cluster a kubeconfig names, the namespaces of runs
// whose tandem is gone, and returns their names. A live run's are left.
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
