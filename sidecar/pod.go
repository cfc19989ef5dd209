package sidecar

import (
	"fmt"
	"strconv"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// Pod is the pod the StatefulSet controller makes of ss for ordinal n:
// the template's spec under the name <app>-<n>, with the labels the
// controller adds, the Service's subdomain, and a volume per claim
// template bound to that pod's claim (<claim>-<app>-<n>), as
// pkg/controller/statefulset's newVersionedStatefulSetPod makes it.
func Pod(ss *appsv1.StatefulSet, n int) *corev1.Pod {
	name := fmt.Sprintf("%s-%d", ss.Name, n)
	labels := map[string]string{}
	for k, v := range ss.Spec.Template.Labels {
		labels[k] = v
	}
	labels[appsv1.StatefulSetPodNameLabel] = name
	labels[appsv1.PodIndexLabel] = strconv.Itoa(n)
	spec := *ss.Spec.Template.Spec.DeepCopy()
	spec.Hostname, spec.Subdomain = name, ss.Spec.ServiceName
	for _, claim := range ss.Spec.VolumeClaimTemplates {
		spec.Volumes = append(spec.Volumes, corev1.Volume{Name: claim.Name, VolumeSource: corev1.VolumeSource{
			PersistentVolumeClaim: &corev1.PersistentVolumeClaimVolumeSource{ClaimName: claim.Name + "-" + name},
		}})
	}
	return &corev1.Pod{
		TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "Pod"},
		ObjectMeta: metav1.ObjectMeta{Name: name, Labels: labels},
		Spec:       spec,
	}
}
