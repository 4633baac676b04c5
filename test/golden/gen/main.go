// Command gen writes the golden JSON files for the kube-scheduler extender
// wire protocol into test/golden/.
//
// Every file is the exact byte sequence that Go's encoding/json.Marshal
// produces for the real Kubernetes types (k8s.io/kube-scheduler/extender/v1,
// k8s.io/api/core/v1): compact, map keys sorted, HTML-escaped, and with NO
// trailing newline (kube-scheduler sends json.Marshal output as the request
// body unchanged).
//
// Usage (from test/golden/gen):
//
//	go run . -out ..
//
// The output is deterministic: all UIDs, timestamps, digests and sizes are
// fixed or derived from fixed strings. Never edit the generated files by hand.
package main

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"time"

	v1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	resourcehelper "k8s.io/component-helpers/resource"
	extenderv1 "k8s.io/kube-scheduler/extender/v1"
)

// ---------------------------------------------------------------------------
// Small deterministic helpers
// ---------------------------------------------------------------------------

// base is the fixed reference time of the fixture cluster.
var base = time.Date(2026, time.July, 30, 9, 0, 0, 0, time.UTC)

// at returns a metav1.Time offset from base (metav1.Time marshals as RFC 3339
// with second precision, in UTC).
func at(d time.Duration) metav1.Time { return metav1.NewTime(base.Add(d)) }

func atp(d time.Duration) *metav1.Time { t := at(d); return &t }

// uid derives a stable, UUID-shaped string (version-4 layout) from a seed.
func uid(seed string) types.UID {
	h := sha256.Sum256([]byte("quotient-golden/" + seed))
	b := h[:16]
	b[6] = (b[6] & 0x0f) | 0x40
	b[8] = (b[8] & 0x3f) | 0x80
	x := hex.EncodeToString(b)
	return types.UID(x[0:8] + "-" + x[8:12] + "-" + x[12:16] + "-" + x[16:20] + "-" + x[20:32])
}

// hexOf returns n hex characters derived from seed (used for digests, IDs).
func hexOf(seed string, n int) string {
	var out string
	for i := 0; len(out) < n; i++ {
		h := sha256.Sum256([]byte(fmt.Sprintf("%s#%d", seed, i)))
		out += hex.EncodeToString(h[:])
	}
	return out[:n]
}

func q(s string) resource.Quantity { return resource.MustParse(s) }

// rl builds a ResourceList from name/quantity pairs.
func rl(kv ...string) v1.ResourceList {
	if len(kv)%2 != 0 {
		panic("rl: odd number of arguments")
	}
	out := v1.ResourceList{}
	for i := 0; i < len(kv); i += 2 {
		out[v1.ResourceName(kv[i])] = q(kv[i+1])
	}
	return out
}

func ptr[T any](v T) *T { return &v }

// ---------------------------------------------------------------------------
// API-server defaulting, emulated (k8s.io/kubernetes is deliberately not a
// dependency). These mirror pkg/apis/core/v1/defaults.go and the admission
// plugins a default cluster runs (ServiceAccount, DefaultTolerationSeconds,
// Priority), so the objects look like what the scheduler's informer delivers.
// ---------------------------------------------------------------------------

func defaultContainer(c *v1.Container) {
	if c.TerminationMessagePath == "" {
		c.TerminationMessagePath = v1.TerminationMessagePathDefault
	}
	if c.TerminationMessagePolicy == "" {
		c.TerminationMessagePolicy = v1.TerminationMessageReadFile
	}
	if c.ImagePullPolicy == "" {
		c.ImagePullPolicy = v1.PullIfNotPresent
	}
	for i := range c.Ports {
		if c.Ports[i].Protocol == "" {
			c.Ports[i].Protocol = v1.ProtocolTCP
		}
	}
	// SetDefaults_Pod: a missing request defaults to the limit.
	if len(c.Resources.Limits) > 0 {
		if c.Resources.Requests == nil {
			c.Resources.Requests = v1.ResourceList{}
		}
		for k, v := range c.Resources.Limits {
			if _, ok := c.Resources.Requests[k]; !ok {
				c.Resources.Requests[k] = v.DeepCopy()
			}
		}
	}
}

const saVolume = "kube-api-access"

// apiDefault applies what the API server and the default admission chain do
// to a pod on create. withSA adds the projected service-account volume.
func apiDefault(p *v1.Pod, withSA bool) {
	s := &p.Spec
	if withSA {
		vname := saVolume + "-" + hexOf(p.Name, 5)
		s.Volumes = append(s.Volumes, v1.Volume{
			Name: vname,
			VolumeSource: v1.VolumeSource{Projected: &v1.ProjectedVolumeSource{
				Sources: []v1.VolumeProjection{
					{ServiceAccountToken: &v1.ServiceAccountTokenProjection{ExpirationSeconds: ptr(int64(3607)), Path: "token"}},
					{ConfigMap: &v1.ConfigMapProjection{
						LocalObjectReference: v1.LocalObjectReference{Name: "kube-root-ca.crt"},
						Items:                []v1.KeyToPath{{Key: "ca.crt", Path: "ca.crt"}},
					}},
					{DownwardAPI: &v1.DownwardAPIProjection{Items: []v1.DownwardAPIVolumeFile{{
						Path:     "namespace",
						FieldRef: &v1.ObjectFieldSelector{APIVersion: "v1", FieldPath: "metadata.namespace"},
					}}}},
				},
				DefaultMode: ptr(int32(420)),
			}},
		})
		mount := v1.VolumeMount{Name: vname, ReadOnly: true, MountPath: "/var/run/secrets/kubernetes.io/serviceaccount"}
		for i := range s.InitContainers {
			s.InitContainers[i].VolumeMounts = append(s.InitContainers[i].VolumeMounts, mount)
		}
		for i := range s.Containers {
			s.Containers[i].VolumeMounts = append(s.Containers[i].VolumeMounts, mount)
		}
		s.ServiceAccountName = "default"
		s.DeprecatedServiceAccount = "default"
	}
	for i := range s.InitContainers {
		defaultContainer(&s.InitContainers[i])
	}
	for i := range s.Containers {
		defaultContainer(&s.Containers[i])
	}
	// Pod-level resources (PodLevelResources, beta and on by default since
	// 1.34), defaultPodRequests: a missing pod-level cpu/memory request
	// defaults to the pod-level limit. (The real code first takes hugepages
	// from the aggregated container requests; no vector needs that, so the
	// emulation refuses such pods instead of guessing.)
	if s.Resources != nil && len(s.Resources.Limits) > 0 {
		if s.Resources.Requests == nil {
			s.Resources.Requests = v1.ResourceList{}
		}
		for k, v := range s.Resources.Limits {
			if !resourcehelper.IsSupportedPodLevelResource(k) {
				continue
			}
			if k != v1.ResourceCPU && k != v1.ResourceMemory {
				panic("apiDefault: pod-level defaulting of " + string(k) + " is not emulated")
			}
			if _, ok := s.Resources.Requests[k]; !ok {
				s.Resources.Requests[k] = v.DeepCopy()
			}
		}
	}
	if s.RestartPolicy == "" {
		s.RestartPolicy = v1.RestartPolicyAlways
	}
	if s.TerminationGracePeriodSeconds == nil {
		s.TerminationGracePeriodSeconds = ptr(int64(v1.DefaultTerminationGracePeriodSeconds))
	}
	if s.DNSPolicy == "" {
		s.DNSPolicy = v1.DNSClusterFirst
	}
	if s.SecurityContext == nil {
		s.SecurityContext = &v1.PodSecurityContext{}
	}
	if s.SchedulerName == "" {
		s.SchedulerName = v1.DefaultSchedulerName
	}
	if s.EnableServiceLinks == nil {
		s.EnableServiceLinks = ptr(v1.DefaultEnableServiceLinks)
	}
	// DefaultTolerationSeconds admission plugin.
	s.Tolerations = append(s.Tolerations,
		v1.Toleration{Key: v1.TaintNodeNotReady, Operator: v1.TolerationOpExists, Effect: v1.TaintEffectNoExecute, TolerationSeconds: ptr(int64(300))},
		v1.Toleration{Key: v1.TaintNodeUnreachable, Operator: v1.TolerationOpExists, Effect: v1.TaintEffectNoExecute, TolerationSeconds: ptr(int64(300))},
	)
	// Priority admission plugin.
	if s.Priority == nil {
		s.Priority = ptr(int32(0))
	}
	if s.PreemptionPolicy == nil {
		s.PreemptionPolicy = ptr(v1.PreemptLowerPriority)
	}
	if p.Generation == 0 {
		p.Generation = 1
	}
	if p.Status.Phase == "" {
		p.Status.Phase = v1.PodPending
	}
	p.Status.QOSClass = qosClass(p)
}

// qosClass re-implements ComputePodQOS from
// k8s.io/kubernetes/pkg/apis/core/v1/helper/qos with PodLevelResources on.
func qosClass(p *v1.Pod) v1.PodQOSClass {
	supported := func(n v1.ResourceName) bool { return n == v1.ResourceCPU || n == v1.ResourceMemory }
	zero := resource.Quantity{}
	requests, limits := v1.ResourceList{}, v1.ResourceList{}
	guaranteed := true
	add := func(dst v1.ResourceList, n v1.ResourceName, v resource.Quantity) {
		if cur, ok := dst[n]; ok {
			v = v.DeepCopy()
			v.Add(cur)
		}
		dst[n] = v
	}
	accumulate := func(r v1.ResourceRequirements) {
		for n, v := range r.Requests {
			if supported(n) && v.Cmp(zero) == 1 {
				add(requests, n, v)
			}
		}
		found := map[v1.ResourceName]bool{}
		for n, v := range r.Limits {
			if supported(n) && v.Cmp(zero) == 1 {
				found[n] = true
				add(limits, n, v)
			}
		}
		if !found[v1.ResourceCPU] || !found[v1.ResourceMemory] {
			guaranteed = false
		}
	}
	if p.Spec.Resources != nil {
		if len(p.Spec.Resources.Requests) > 0 {
			for n, v := range p.Spec.Resources.Requests {
				if supported(n) && v.Cmp(zero) == 1 {
					add(requests, n, v)
				}
			}
		}
		if len(p.Spec.Resources.Limits) > 0 {
			found := map[v1.ResourceName]bool{}
			for n, v := range p.Spec.Resources.Limits {
				if supported(n) && v.Cmp(zero) == 1 {
					found[n] = true
					add(limits, n, v)
				}
			}
			if !found[v1.ResourceCPU] || !found[v1.ResourceMemory] {
				guaranteed = false
			}
		}
	} else {
		for _, c := range p.Spec.Containers {
			accumulate(c.Resources)
		}
		for _, c := range p.Spec.InitContainers {
			accumulate(c.Resources)
		}
	}
	if len(requests) == 0 && len(limits) == 0 {
		return v1.PodQOSBestEffort
	}
	if guaranteed {
		for n, r := range requests {
			if l, ok := limits[n]; !ok || l.Cmp(r) != 0 {
				guaranteed = false
				break
			}
		}
	}
	if guaranteed && len(requests) == len(limits) {
		return v1.PodQOSGuaranteed
	}
	return v1.PodQOSBurstable
}

// ---------------------------------------------------------------------------
// Pods
// ---------------------------------------------------------------------------

const ns = "ml-training"

// trainerPod is the pending pod the scheduler asks the extender about
// (filter / prioritize / bind). It is owned by an indexed Job, requests one
// GPU, and carries an annotation with <, > and & and a non-ASCII character to
// pin down encoding/json's escaping.
func trainerPod() *v1.Pod {
	jobUID := uid("job/resnet50-train")
	p := &v1.Pod{
		ObjectMeta: metav1.ObjectMeta{
			Name:              "resnet50-train-0-x7k2p",
			GenerateName:      "resnet50-train-0-",
			Namespace:         ns,
			UID:               uid("pod/resnet50-train-0"),
			ResourceVersion:   "48213977",
			CreationTimestamp: at(15*time.Minute + 2*time.Second),
			Labels: map[string]string{
				"app.kubernetes.io/name":                   "resnet50-train",
				"batch.kubernetes.io/controller-uid":       string(jobUID),
				"batch.kubernetes.io/job-completion-index": "0",
				"batch.kubernetes.io/job-name":             "resnet50-train",
				"controller-uid":                           string(jobUID),
				"job-name":                                 "resnet50-train",
				"quotient.example.com/queue":               "team-vision",
			},
			Annotations: map[string]string{
				"batch.kubernetes.io/job-completion-index": "0",
				"quotient.example.com/description":         "ResNet-50 <ImageNet> train & eval, owner Zoë",
			},
			OwnerReferences: []metav1.OwnerReference{{
				APIVersion:         "batch/v1",
				Kind:               "Job",
				Name:               "resnet50-train",
				UID:                jobUID,
				Controller:         ptr(true),
				BlockOwnerDeletion: ptr(true),
			}},
		},
		Spec: v1.PodSpec{
			Containers: []v1.Container{{
				Name:    "trainer",
				Image:   "nvcr.io/nvidia/pytorch:25.06-py3",
				Command: []string{"torchrun"},
				Args:    []string{"--nproc-per-node=1", "train.py", "--arch=resnet50", "--epochs=90"},
				Ports:   []v1.ContainerPort{{Name: "metrics", ContainerPort: 9400}},
				Env: []v1.EnvVar{
					{Name: "NCCL_DEBUG", Value: "WARN"},
					{Name: "JOB_COMPLETION_INDEX", ValueFrom: &v1.EnvVarSource{FieldRef: &v1.ObjectFieldSelector{
						APIVersion: "v1", FieldPath: "metadata.labels['batch.kubernetes.io/job-completion-index']"}}},
				},
				Resources: v1.ResourceRequirements{
					Requests: rl("cpu", "7", "memory", "60Gi", "nvidia.com/gpu", "1", "ephemeral-storage", "20Gi"),
					Limits:   rl("cpu", "8", "memory", "60Gi", "nvidia.com/gpu", "1"),
				},
				VolumeMounts: []v1.VolumeMount{{Name: "dshm", MountPath: "/dev/shm"}},
			}},
			Volumes: []v1.Volume{{Name: "dshm", VolumeSource: v1.VolumeSource{EmptyDir: &v1.EmptyDirVolumeSource{
				Medium: v1.StorageMediumMemory, SizeLimit: ptr(q("8Gi"))}}}},
			RestartPolicy: v1.RestartPolicyNever,
			Hostname:      "resnet50-train-0",
			Subdomain:     "resnet50-train",
			NodeSelector:  map[string]string{"nvidia.com/gpu.product": "NVIDIA-A100-SXM4-40GB"},
			Tolerations: []v1.Toleration{
				{Key: "nvidia.com/gpu", Operator: v1.TolerationOpExists, Effect: v1.TaintEffectNoSchedule},
			},
		},
	}
	apiDefault(p, true)
	return p
}

// preemptorPod is the high-priority pending pod of the preempt call; it has
// already failed one scheduling attempt (PodScheduled=False).
func preemptorPod() *v1.Pod {
	p := &v1.Pod{
		ObjectMeta: metav1.ObjectMeta{
			Name:              "llm-finetune-0",
			Namespace:         ns,
			UID:               uid("pod/llm-finetune-0"),
			ResourceVersion:   "48214410",
			CreationTimestamp: at(20 * time.Minute),
			Labels:            map[string]string{"app.kubernetes.io/name": "llm-finetune", "quotient.example.com/queue": "team-nlp"},
		},
		Spec: v1.PodSpec{
			Containers: []v1.Container{{
				Name:  "finetune",
				Image: "nvcr.io/nvidia/nemo:25.04",
				Resources: v1.ResourceRequirements{
					Limits: rl("cpu", "16", "memory", "120Gi", "nvidia.com/gpu", "2"),
				},
			}},
			PriorityClassName: "ml-high",
			Priority:          ptr(int32(1000)),
			Tolerations: []v1.Toleration{
				{Key: "nvidia.com/gpu", Operator: v1.TolerationOpExists, Effect: v1.TaintEffectNoSchedule},
			},
		},
		Status: v1.PodStatus{
			Phase: v1.PodPending,
			Conditions: []v1.PodCondition{{
				Type:               v1.PodScheduled,
				ObservedGeneration: 1,
				Status:             v1.ConditionFalse,
				LastTransitionTime: at(20*time.Minute + 1*time.Second),
				Reason:             v1.PodReasonUnschedulable,
				Message:            "0/3 nodes are available: 3 Insufficient nvidia.com/gpu.",
			}},
		},
	}
	apiDefault(p, true)
	return p
}

type victimSpec struct {
	name  string
	image string
	app   string
	rv    string
	node  string
	cpu   string
	mem   string
	gpus  string
	podIP string
}

var victimSpecs = []victimSpec{
	{"batch-infer-7d9f8-abcde", "nvcr.io/nvidia/tritonserver:25.06-py3", "batch-infer", "48199031", "node-1", "4", "30Gi", "1", "10.244.1.17"},
	{"batch-infer-7d9f8-fghij", "nvcr.io/nvidia/tritonserver:25.06-py3", "batch-infer", "48199045", "node-1", "4", "30Gi", "1", "10.244.1.18"},
	{"notebook-alice-0", "quay.io/jupyter/pytorch-notebook:cuda12-2025-07-14", "notebook-alice", "48201187", "node-3", "2", "16Gi", "1", "10.244.3.9"},
}

var nodeIPs = map[string]string{"node-1": "10.0.12.11", "node-2": "10.0.12.12", "node-3": "10.0.12.13"}

// victimPod is a running, bound, low-priority pod as it sits in the
// scheduler's cache (managedFields stripped by the informer transform).
func victimPod(v victimSpec) *v1.Pod {
	created := 2 * time.Minute
	started := created + 3*time.Second
	p := &v1.Pod{
		ObjectMeta: metav1.ObjectMeta{
			Name:              v.name,
			Namespace:         ns,
			UID:               uid("pod/" + v.name),
			ResourceVersion:   v.rv,
			CreationTimestamp: at(created),
			Labels:            map[string]string{"app.kubernetes.io/name": v.app, "quotient.example.com/queue": "best-effort"},
		},
		Spec: v1.PodSpec{
			Containers: []v1.Container{{
				Name:  "main",
				Image: v.image,
				Resources: v1.ResourceRequirements{
					Requests: rl("cpu", v.cpu, "memory", v.mem, "nvidia.com/gpu", v.gpus),
					Limits:   rl("memory", v.mem, "nvidia.com/gpu", v.gpus),
				},
			}},
			NodeName:          v.node,
			PriorityClassName: "ml-low",
			Priority:          ptr(int32(100)),
			Tolerations: []v1.Toleration{
				{Key: "nvidia.com/gpu", Operator: v1.TolerationOpExists, Effect: v1.TaintEffectNoSchedule},
			},
		},
	}
	apiDefault(p, true)
	c := p.Spec.Containers[0]
	cond := func(t v1.PodConditionType, d time.Duration) v1.PodCondition {
		return v1.PodCondition{Type: t, ObservedGeneration: 1, Status: v1.ConditionTrue, LastTransitionTime: at(d)}
	}
	p.Status = v1.PodStatus{
		ObservedGeneration: 1,
		Phase:              v1.PodRunning,
		Conditions: []v1.PodCondition{
			cond(v1.PodReadyToStartContainers, created+2*time.Second),
			cond(v1.PodInitialized, created+1*time.Second),
			cond(v1.PodReady, started+5*time.Second),
			cond(v1.ContainersReady, started+5*time.Second),
			cond(v1.PodScheduled, created),
		},
		HostIP:    nodeIPs[v.node],
		HostIPs:   []v1.HostIP{{IP: nodeIPs[v.node]}},
		PodIP:     v.podIP,
		PodIPs:    []v1.PodIP{{IP: v.podIP}},
		StartTime: atp(created + 1*time.Second),
		ContainerStatuses: []v1.ContainerStatus{{
			Name:               "main",
			State:              v1.ContainerState{Running: &v1.ContainerStateRunning{StartedAt: at(started)}},
			Ready:              true,
			RestartCount:       0,
			Image:              v.image,
			ImageID:            imageID(v.image),
			ContainerID:        "containerd://" + hexOf("cid/"+v.name, 64),
			Started:            ptr(true),
			AllocatedResources: c.Resources.Requests.DeepCopy(),
			Resources:          c.Resources.DeepCopy(),
			VolumeMounts: []v1.VolumeMountStatus{{
				Name:              c.VolumeMounts[0].Name,
				MountPath:         c.VolumeMounts[0].MountPath,
				ReadOnly:          true,
				RecursiveReadOnly: ptr(v1.RecursiveReadOnlyDisabled),
			}},
			User: &v1.ContainerUser{Linux: &v1.LinuxContainerUser{UID: 0, GID: 0, SupplementalGroups: []int64{0}}},
		}},
		QOSClass: qosClass(p),
	}
	return p
}

// ---------------------------------------------------------------------------
// Nodes
// ---------------------------------------------------------------------------

func nodeCondition(t v1.NodeConditionType, s v1.ConditionStatus, reason, msg string, heartbeat, transition time.Duration) v1.NodeCondition {
	return v1.NodeCondition{Type: t, Status: s, LastHeartbeatTime: at(heartbeat), LastTransitionTime: at(transition), Reason: reason, Message: msg}
}

func kubeletConditions(heartbeat time.Duration) []v1.NodeCondition {
	boot := -72 * time.Hour
	return []v1.NodeCondition{
		nodeCondition(v1.NodeMemoryPressure, v1.ConditionFalse, "KubeletHasSufficientMemory", "kubelet has sufficient memory available", heartbeat, boot+14*time.Second),
		nodeCondition(v1.NodeDiskPressure, v1.ConditionFalse, "KubeletHasNoDiskPressure", "kubelet has no disk pressure", heartbeat, boot+14*time.Second),
		nodeCondition(v1.NodePIDPressure, v1.ConditionFalse, "KubeletHasSufficientPID", "kubelet has sufficient PID available", heartbeat, boot+14*time.Second),
		nodeCondition(v1.NodeReady, v1.ConditionTrue, "KubeletReady", "kubelet is posting ready status", heartbeat, boot+41*time.Second),
	}
}

// smallNode is a modest GPU node for the nodeCacheCapable=false requests and
// responses: realistic metadata/status but no managedFields and few images.
func smallNode(i int) v1.Node {
	name := fmt.Sprintf("node-%d", i)
	ip := nodeIPs[name]
	zone := []string{"", "us-east-1a", "us-east-1b", "us-east-1a"}[i]
	instanceID := "i-0" + hexOf("instance/"+name, 16)
	n := v1.Node{
		ObjectMeta: metav1.ObjectMeta{
			Name:              name,
			UID:               uid("node/" + name),
			ResourceVersion:   fmt.Sprintf("4821%04d", 3*i+1),
			CreationTimestamp: at(-72 * time.Hour),
			Labels: map[string]string{
				"beta.kubernetes.io/arch":          "amd64",
				"beta.kubernetes.io/os":            "linux",
				"kubernetes.io/arch":               "amd64",
				"kubernetes.io/hostname":           name,
				"kubernetes.io/os":                 "linux",
				"node.kubernetes.io/instance-type": "p4d.24xlarge",
				"nvidia.com/gpu.count":             "8",
				"nvidia.com/gpu.present":           "true",
				"nvidia.com/gpu.product":           "NVIDIA-A100-SXM4-40GB",
				"topology.kubernetes.io/region":    "us-east-1",
				"topology.kubernetes.io/zone":      zone,
			},
			Annotations: map[string]string{
				"node.alpha.kubernetes.io/ttl":                           "0",
				"volumes.kubernetes.io/controller-managed-attach-detach": "true",
			},
		},
		Spec: v1.NodeSpec{
			PodCIDR:    fmt.Sprintf("10.244.%d.0/24", i),
			PodCIDRs:   []string{fmt.Sprintf("10.244.%d.0/24", i)},
			ProviderID: "aws:///" + zone + "/" + instanceID,
			Taints:     []v1.Taint{{Key: "nvidia.com/gpu", Value: "present", Effect: v1.TaintEffectNoSchedule}},
		},
		Status: v1.NodeStatus{
			Capacity:    rl("cpu", "96", "memory", "1176818500Ki", "pods", "110", "ephemeral-storage", "1875350500Ki", "hugepages-1Gi", "0", "hugepages-2Mi", "0", "nvidia.com/gpu", "8"),
			Allocatable: rl("cpu", "95690m", "memory", "1167163716Ki", "pods", "110", "ephemeral-storage", "1727320402825", "hugepages-1Gi", "0", "hugepages-2Mi", "0", "nvidia.com/gpu", "8"),
			Conditions:  kubeletConditions(14*time.Minute + time.Duration(i)*7*time.Second),
			Addresses: []v1.NodeAddress{
				{Type: v1.NodeInternalIP, Address: ip},
				{Type: v1.NodeHostName, Address: name},
			},
			DaemonEndpoints: v1.NodeDaemonEndpoints{KubeletEndpoint: v1.DaemonEndpoint{Port: 10250}},
			NodeInfo: v1.NodeSystemInfo{
				MachineID:               hexOf("machine/"+name, 32),
				SystemUUID:              "ec2" + hexOf("sys/"+name, 5) + "-" + hexOf("sys2/"+name, 4) + "-" + hexOf("sys3/"+name, 4) + "-" + hexOf("sys4/"+name, 4) + "-" + hexOf("sys5/"+name, 12),
				BootID:                  string(uid("boot/" + name)),
				KernelVersion:           "6.1.141-155.222.amzn2023.x86_64",
				OSImage:                 "Amazon Linux 2023.8.20250721",
				ContainerRuntimeVersion: "containerd://2.1.3",
				KubeletVersion:          "v1.36.3",
				KubeProxyVersion:        "",
				OperatingSystem:         "linux",
				Architecture:            "amd64",
				Swap:                    &v1.NodeSwapStatus{Capacity: ptr(int64(0))},
			},
			Images: []v1.ContainerImage{
				image("nvcr.io/nvidia/pytorch", "25.06-py3", 11869142393),
				image("nvcr.io/nvidia/k8s-device-plugin", "v0.17.2", 154736420),
				image("registry.k8s.io/pause", "3.10.1", 320368),
			},
		},
	}
	return n
}

// imageID is the digest reference the runtime reports for "repo:tag"; it
// matches the digest name that image() lists for the same repo and tag.
func imageID(ref string) string {
	for i := len(ref) - 1; i >= 0; i-- {
		if ref[i] == ':' {
			return ref[:i] + "@sha256:" + hexOf(ref, 64)
		}
	}
	panic("imageID: no tag in " + ref)
}

func image(repo, tag string, size int64) v1.ContainerImage {
	return v1.ContainerImage{
		Names:     []string{repo + "@sha256:" + hexOf(repo+":"+tag, 64), repo + ":" + tag},
		SizeBytes: size,
	}
}

func fv1(s string) *metav1.FieldsV1 {
	if !json.Valid([]byte(s)) {
		panic("invalid fieldsV1 JSON: " + s)
	}
	return &metav1.FieldsV1{Raw: []byte(s)}
}

// gpuNodeFull is one realistic, fully populated A100 node (about 18 KB of
// JSON) as kube-scheduler's node informer holds it, managedFields included.
func gpuNodeFull() v1.Node {
	name := "ip-10-0-44-17.ec2.internal"
	zone := "us-east-1c"
	instanceID := "i-0" + hexOf("instance/"+name, 16)
	labels := map[string]string{
		"beta.kubernetes.io/arch":          "amd64",
		"beta.kubernetes.io/instance-type": "p4d.24xlarge",
		"beta.kubernetes.io/os":            "linux",
		"kubernetes.io/arch":               "amd64",
		"kubernetes.io/hostname":           name,
		"kubernetes.io/os":                 "linux",
		"node.kubernetes.io/instance-type": "p4d.24xlarge",
		"topology.k8s.aws/zone-id":         "use1-az6",
		"topology.kubernetes.io/region":    "us-east-1",
		"topology.kubernetes.io/zone":      zone,
		"quotient.example.com/pool":        "a100-mig",
		// Node Feature Discovery
		"feature.node.kubernetes.io/cpu-cpuid.AVX512F":            "true",
		"feature.node.kubernetes.io/cpu-cpuid.AVX512VNNI":         "true",
		"feature.node.kubernetes.io/kernel-version.full":          "6.1.141-155.222.amzn2023.x86_64",
		"feature.node.kubernetes.io/pci-10de.present":             "true",
		"feature.node.kubernetes.io/pci-1d0f.present":             "true",
		"feature.node.kubernetes.io/system-os_release.ID":         "amzn",
		"feature.node.kubernetes.io/system-os_release.VERSION_ID": "2023",
		// GPU Feature Discovery (applied through nfd-master)
		"nvidia.com/cuda.driver-version.full":     "570.133.20",
		"nvidia.com/cuda.driver-version.major":    "570",
		"nvidia.com/cuda.driver-version.minor":    "133",
		"nvidia.com/cuda.driver-version.revision": "20",
		"nvidia.com/cuda.runtime-version.full":    "12.8",
		"nvidia.com/cuda.runtime-version.major":   "12",
		"nvidia.com/cuda.runtime-version.minor":   "8",
		"nvidia.com/gfd.timestamp":                "1785315612",
		"nvidia.com/gpu.compute.major":            "8",
		"nvidia.com/gpu.compute.minor":            "0",
		"nvidia.com/gpu.count":                    "8",
		"nvidia.com/gpu.family":                   "ampere",
		"nvidia.com/gpu.machine":                  "p4d.24xlarge",
		"nvidia.com/gpu.memory":                   "40960",
		"nvidia.com/gpu.mode":                     "compute",
		"nvidia.com/gpu.present":                  "true",
		"nvidia.com/gpu.product":                  "NVIDIA-A100-SXM4-40GB",
		"nvidia.com/gpu.replicas":                 "1",
		"nvidia.com/gpu.sharing-strategy":         "none",
		"nvidia.com/mig.capable":                  "true",
		"nvidia.com/mig.strategy":                 "mixed",
		"nvidia.com/mig.config":                   "quotient-half-mixed",
		"nvidia.com/mig.config.state":             "success",
		"nvidia.com/mps.capable":                  "false",
		// GPU operator
		"nvidia.com/gpu.deploy.container-toolkit":     "true",
		"nvidia.com/gpu.deploy.dcgm-exporter":         "true",
		"nvidia.com/gpu.deploy.device-plugin":         "true",
		"nvidia.com/gpu.deploy.driver":                "pre-installed",
		"nvidia.com/gpu.deploy.gpu-feature-discovery": "true",
		"nvidia.com/gpu.deploy.mig-manager":           "true",
		"nvidia.com/gpu.deploy.operator-validator":    "true",
	}
	// GFD mixed-strategy MIG labels: 4 of the 8 GPUs are partitioned as
	// 4x1g.5gb + 1x3g.20gb each (GFD also emits
	// engines.*, replicas and sharing-strategy per profile; left out for size).
	type mig struct {
		profile             string
		count, mem, sms, gi int
	}
	for _, m := range []mig{
		{"1g.5gb", 16, 4864, 14, 1},
		{"3g.20gb", 4, 19968, 42, 3},
	} {
		p := "nvidia.com/mig-" + m.profile + "."
		labels[p+"count"] = fmt.Sprint(m.count)
		labels[p+"memory"] = fmt.Sprint(m.mem)
		labels[p+"multiprocessors"] = fmt.Sprint(m.sms)
		labels[p+"slices.gi"] = fmt.Sprint(m.gi)
		labels[p+"product"] = "NVIDIA-A100-SXM4-40GB-MIG-" + m.profile
	}

	annotations := map[string]string{
		"alpha.kubernetes.io/provided-node-ip":                   "10.0.44.17",
		"csi.volume.kubernetes.io/nodeid":                        `{"ebs.csi.aws.com":"` + instanceID + `"}`,
		"nfd.node.kubernetes.io/feature-labels":                  "cpu-cpuid.AVX512F,cpu-cpuid.AVX512VNNI,kernel-version.full,pci-10de.present,pci-1d0f.present,system-os_release.ID,system-os_release.VERSION_ID",
		"node.alpha.kubernetes.io/ttl":                           "0",
		"nvidia.com/gpu-driver-upgrade-enabled":                  "true",
		"volumes.kubernetes.io/controller-managed-attach-detach": "true",
	}

	// status.images: kubelet reports at most 50 (nodeStatusMaxImages),
	// sorted by size, largest first.
	// The GPU operator's operand images are pinned by digest, so containerd
	// records only the digest reference for them (one name).
	type img struct {
		repo, tag string
		size      int64
	}
	digestOnly := map[string]bool{
		"nvcr.io/nvidia/k8s/dcgm-exporter":                   true,
		"nvcr.io/nvidia/k8s-device-plugin":                   true,
		"nvcr.io/nvidia/gpu-feature-discovery":               true,
		"nvcr.io/nvidia/cloud-native/k8s-mig-manager":        true,
		"nvcr.io/nvidia/cloud-native/gpu-operator-validator": true,
		"nvcr.io/nvidia/k8s/container-toolkit":               true,
		"nvcr.io/nvidia/cloud-native/k8s-driver-manager":     true,
	}
	imgs := []img{
		{"nvcr.io/nvidia/pytorch", "25.06-py3", 11869142393},
		{"nvcr.io/nvidia/pytorch", "25.04-py3", 11642219517},
		{"nvcr.io/nvidia/nemo", "25.04", 19377361223},
		{"nvcr.io/nvidia/tritonserver", "25.06-py3", 8120963371},
		{"nvcr.io/nvidia/tritonserver", "25.05-trtllm-python-py3", 13764410234},
		{"nvcr.io/nvidia/tensorflow", "25.02-tf2-py3", 7754201811},
		{"nvcr.io/nvidia/jax", "25.04-py3", 6210382104},
		{"nvcr.io/nvidia/cuda", "12.8.1-cudnn-devel-ubuntu24.04", 5347731712},
		{"nvcr.io/nvidia/cuda", "12.8.1-runtime-ubuntu24.04", 1617489326},
		{"nvcr.io/nvidia/cuda", "12.4.1-base-ubuntu22.04", 106274941},
		{"nvcr.io/nvidia/k8s/dcgm-exporter", "4.2.3-4.1.3-ubuntu22.04", 402148711},
		{"nvcr.io/nvidia/k8s-device-plugin", "v0.17.2", 154736420},
		{"nvcr.io/nvidia/gpu-feature-discovery", "v0.17.2", 154736420},
		{"nvcr.io/nvidia/cloud-native/k8s-mig-manager", "v0.12.1-ubuntu20.04", 169881229},
		{"nvcr.io/nvidia/cloud-native/gpu-operator-validator", "v25.3.1", 221870384},
		{"nvcr.io/nvidia/k8s/container-toolkit", "v1.17.8-ubuntu20.04", 140220561},
		{"nvcr.io/nvidia/gpu-operator", "v25.3.1", 103114902},
		{"nvcr.io/nvidia/cloud-native/k8s-driver-manager", "v0.8.0", 75360513},
		{"registry.k8s.io/nfd/node-feature-discovery", "v0.17.3", 70112837},
		{"602401143452.dkr.ecr.us-east-1.amazonaws.com/amazon-k8s-cni", "v1.19.6-eksbuild.1", 65781204},
		{"602401143452.dkr.ecr.us-east-1.amazonaws.com/amazon-k8s-cni-init", "v1.19.6-eksbuild.1", 62012943},
		{"602401143452.dkr.ecr.us-east-1.amazonaws.com/eks/kube-proxy", "v1.36.3-minimal-eksbuild.2", 37716402},
		{"602401143452.dkr.ecr.us-east-1.amazonaws.com/eks/aws-ebs-csi-driver", "v1.46.0", 37012245},
		{"602401143452.dkr.ecr.us-east-1.amazonaws.com/eks/csi-node-driver-registrar", "v2.14.0-eks-1-36-3", 9201551},
		{"602401143452.dkr.ecr.us-east-1.amazonaws.com/eks/livenessprobe", "v2.16.0-eks-1-36-3", 8941820},
		{"602401143452.dkr.ecr.us-east-1.amazonaws.com/eks/pod-identity-agent", "v0.1.29", 15232841},
		{"602401143452.dkr.ecr.us-east-1.amazonaws.com/eks/coredns", "v1.12.2-eksbuild.4", 24814109},
		{"quay.io/prometheus/node-exporter", "v1.9.1", 12843012},
		{"docker.io/fluent/fluent-bit", "4.0.3", 39201841},
		{"docker.io/library/busybox", "1.37.0", 2156518},
		{"docker.io/rayproject/ray-ml", "2.47.1-py311-gpu", 9822419315},
		{"docker.io/vllm/vllm-openai", "v0.9.2", 10121773305},
		{"ghcr.io/huggingface/text-generation-inference", "3.3.4", 5981437732},
		{"ghcr.io/kubeflow/training-operator", "v1-5a5f4c8", 31250119},
		{"quay.io/jupyter/pytorch-notebook", "cuda12-2025-07-14", 6735264519},
		{"registry.example.com/ml/resnet50-train", "v3.2.0", 12080011222},
		{"registry.example.com/ml/llm-finetune", "2026.07.1", 14401229071},
		{"registry.example.com/ml/feature-store-client", "1.8.4", 512009223},
		{"registry.example.com/platform/quotient-agent", "v0.4.0", 28119340},
		{"registry.k8s.io/pause", "3.10.1", 320368},
	}
	sort.SliceStable(imgs, func(a, b int) bool { return imgs[a].size > imgs[b].size })
	images := make([]v1.ContainerImage, 0, len(imgs))
	for _, im := range imgs {
		ci := image(im.repo, im.tag, im.size)
		if digestOnly[im.repo] {
			ci.Names = ci.Names[:1]
		}
		images = append(images, ci)
	}

	gpuRes := func(full bool) v1.ResourceList {
		r := rl(
			"cpu", "96",
			"memory", "1176818500Ki",
			"pods", "737",
			"ephemeral-storage", "1875350500Ki",
			"hugepages-1Gi", "0",
			"hugepages-2Mi", "2Gi",
			"nvidia.com/gpu", "4",
			"nvidia.com/mig-1g.5gb", "16",
			"nvidia.com/mig-3g.20gb", "4",
			"vpc.amazonaws.com/efa", "4",
		)
		if !full {
			r["cpu"] = q("95690m")
			r["memory"] = q("1164566340Ki")
			r["ephemeral-storage"] = q("1727320402825")
		}
		return r
	}

	vols := []string{"vol-0" + hexOf("vol/a", 16), "vol-0" + hexOf("vol/b", 16)}
	volName := func(v string) v1.UniqueVolumeName {
		return v1.UniqueVolumeName("kubernetes.io/csi/ebs.csi.aws.com^" + v)
	}

	// Field-manager sets, as the API server records them (JSON objects with
	// f:/k: keys; `k:{"type":"Ready"}` keys contain escaped quotes).
	kubeletMeta := `{"f:metadata":{"f:annotations":{".":{},"f:alpha.kubernetes.io/provided-node-ip":{},"f:csi.volume.kubernetes.io/nodeid":{},"f:volumes.kubernetes.io/controller-managed-attach-detach":{}},"f:labels":{".":{},"f:beta.kubernetes.io/arch":{},"f:beta.kubernetes.io/instance-type":{},"f:beta.kubernetes.io/os":{},"f:kubernetes.io/arch":{},"f:kubernetes.io/hostname":{},"f:kubernetes.io/os":{},"f:node.kubernetes.io/instance-type":{},"f:topology.k8s.aws/zone-id":{},"f:topology.kubernetes.io/region":{},"f:topology.kubernetes.io/zone":{}}},"f:spec":{"f:providerID":{},"f:taints":{}}}`
	kcm := `{"f:metadata":{"f:annotations":{"f:node.alpha.kubernetes.io/ttl":{}}},"f:spec":{"f:podCIDR":{},"f:podCIDRs":{".":{},"v:\"10.244.17.0/24\"":{}}}}`
	resKeys := func() string {
		s := ""
		keys := make([]string, 0)
		for k := range gpuRes(true) {
			keys = append(keys, string(k))
		}
		sort.Strings(keys)
		for i, k := range keys {
			if i > 0 {
				s += ","
			}
			s += `"f:` + k + `":{}`
		}
		return s
	}()
	kubeletStatus := `{"f:status":{"f:allocatable":{` + resKeys + `},"f:capacity":{` + resKeys + `},` +
		`"f:conditions":{"k:{\"type\":\"DiskPressure\"}":{"f:lastHeartbeatTime":{}},"k:{\"type\":\"MemoryPressure\"}":{"f:lastHeartbeatTime":{}},"k:{\"type\":\"PIDPressure\"}":{"f:lastHeartbeatTime":{}},"k:{\"type\":\"Ready\"}":{"f:lastHeartbeatTime":{},"f:lastTransitionTime":{},"f:message":{},"f:reason":{},"f:status":{}}},` +
		`"f:images":{},"f:nodeInfo":{"f:bootID":{},"f:containerRuntimeVersion":{},"f:kernelVersion":{},"f:kubeletVersion":{},"f:osImage":{}},"f:runtimeHandlers":{},"f:volumesInUse":{}}}`
	nfd := func() string {
		keys := []string{}
		for k := range labels {
			if len(k) > 27 && k[:27] == "feature.node.kubernetes.io/" ||
				len(k) > 11 && k[:11] == "nvidia.com/" && !(len(k) > 22 && k[:22] == "nvidia.com/gpu.deploy.") && k != "nvidia.com/mig.config" && k != "nvidia.com/mig.config.state" {
				keys = append(keys, k)
			}
		}
		sort.Strings(keys)
		s := `{"f:metadata":{"f:annotations":{"f:nfd.node.kubernetes.io/feature-labels":{}},"f:labels":{`
		for i, k := range keys {
			if i > 0 {
				s += ","
			}
			s += `"f:` + k + `":{}`
		}
		return s + `}}}`
	}()
	operator := `{"f:metadata":{"f:annotations":{"f:nvidia.com/gpu-driver-upgrade-enabled":{}},"f:labels":{"f:nvidia.com/gpu.deploy.container-toolkit":{},"f:nvidia.com/gpu.deploy.dcgm-exporter":{},"f:nvidia.com/gpu.deploy.device-plugin":{},"f:nvidia.com/gpu.deploy.driver":{},"f:nvidia.com/gpu.deploy.gpu-feature-discovery":{},"f:nvidia.com/gpu.deploy.mig-manager":{},"f:nvidia.com/gpu.deploy.operator-validator":{},"f:nvidia.com/mig.config":{}}}}`
	migManager := `{"f:metadata":{"f:labels":{"f:nvidia.com/mig.config.state":{}}}}`

	mf := func(manager string, op metav1.ManagedFieldsOperationType, d time.Duration, sub, fields string) metav1.ManagedFieldsEntry {
		return metav1.ManagedFieldsEntry{
			Manager: manager, Operation: op, APIVersion: "v1", Time: atp(d),
			FieldsType: "FieldsV1", FieldsV1: fv1(fields), Subresource: sub,
		}
	}
	boot := -72 * time.Hour

	n := v1.Node{
		ObjectMeta: metav1.ObjectMeta{
			Name:              name,
			UID:               uid("node/" + name),
			ResourceVersion:   "48211736",
			CreationTimestamp: at(boot),
			Labels:            labels,
			Annotations:       annotations,
			ManagedFields: []metav1.ManagedFieldsEntry{
				mf("kubelet", metav1.ManagedFieldsOperationUpdate, boot, "", kubeletMeta),
				mf("kube-controller-manager", metav1.ManagedFieldsOperationUpdate, boot+4*time.Second, "", kcm),
				mf("gpu-operator", metav1.ManagedFieldsOperationUpdate, boot+3*time.Minute, "", operator),
				mf("nvidia-mig-manager", metav1.ManagedFieldsOperationUpdate, boot+6*time.Minute, "", migManager),
				mf("nfd-master", metav1.ManagedFieldsOperationUpdate, boot+7*time.Minute, "", nfd),
				mf("kubelet", metav1.ManagedFieldsOperationUpdate, 14*time.Minute+21*time.Second, "status", kubeletStatus),
			},
		},
		Spec: v1.NodeSpec{
			PodCIDR:    "10.244.17.0/24",
			PodCIDRs:   []string{"10.244.17.0/24"},
			ProviderID: "aws:///" + zone + "/" + instanceID,
			Taints: []v1.Taint{
				{Key: "nvidia.com/gpu", Value: "present", Effect: v1.TaintEffectNoSchedule},
			},
		},
		Status: v1.NodeStatus{
			Capacity:    gpuRes(true),
			Allocatable: gpuRes(false),
			Conditions:  kubeletConditions(14*time.Minute + 21*time.Second),
			Addresses: []v1.NodeAddress{
				{Type: v1.NodeInternalIP, Address: "10.0.44.17"},
				{Type: v1.NodeInternalDNS, Address: name},
				{Type: v1.NodeHostName, Address: name},
			},
			DaemonEndpoints: v1.NodeDaemonEndpoints{KubeletEndpoint: v1.DaemonEndpoint{Port: 10250}},
			NodeInfo: v1.NodeSystemInfo{
				MachineID:               hexOf("machine/"+name, 32),
				SystemUUID:              "ec2" + hexOf("sys/"+name, 5) + "-" + hexOf("sys2/"+name, 4) + "-" + hexOf("sys3/"+name, 4) + "-" + hexOf("sys4/"+name, 4) + "-" + hexOf("sys5/"+name, 12),
				BootID:                  string(uid("boot/" + name)),
				KernelVersion:           "6.1.141-155.222.amzn2023.x86_64",
				OSImage:                 "Amazon Linux 2023.8.20250721",
				ContainerRuntimeVersion: "containerd://2.1.3",
				KubeletVersion:          "v1.36.3-eks-4e1c2a7",
				KubeProxyVersion:        "",
				OperatingSystem:         "linux",
				Architecture:            "amd64",
				Swap:                    &v1.NodeSwapStatus{Capacity: ptr(int64(0))},
			},
			Images:       images,
			VolumesInUse: []v1.UniqueVolumeName{volName(vols[0]), volName(vols[1])},
			VolumesAttached: []v1.AttachedVolume{
				{Name: volName(vols[0]), DevicePath: ""},
				{Name: volName(vols[1]), DevicePath: ""},
			},
			RuntimeHandlers: []v1.NodeRuntimeHandler{
				{Name: "nvidia", Features: &v1.NodeRuntimeHandlerFeatures{RecursiveReadOnlyMounts: ptr(true), UserNamespaces: ptr(true)}},
				{Name: "", Features: &v1.NodeRuntimeHandlerFeatures{RecursiveReadOnlyMounts: ptr(true), UserNamespaces: ptr(true)}},
				{Name: "runc", Features: &v1.NodeRuntimeHandlerFeatures{RecursiveReadOnlyMounts: ptr(true), UserNamespaces: ptr(true)}},
			},
			Features: &v1.NodeFeatures{SupplementalGroupsPolicy: ptr(true)},
		},
	}
	return n
}

// ---------------------------------------------------------------------------
// Pod-request vectors (k8s.io/component-helpers/resource.PodRequests)
// ---------------------------------------------------------------------------

type requestVector struct {
	Name     string            `json:"name"`
	Pod      *v1.Pod           `json:"pod"`
	Requests map[string]string `json:"requests"`
}

type podOpt func(*v1.Pod)

func ctr(name string, requests, limits v1.ResourceList) v1.Container {
	return v1.Container{
		Name:      name,
		Image:     "registry.example.com/ml/" + name + ":v1",
		Resources: v1.ResourceRequirements{Requests: requests, Limits: limits},
	}
}

func sidecar(name string, requests, limits v1.ResourceList) v1.Container {
	c := ctr(name, requests, limits)
	c.RestartPolicy = ptr(v1.ContainerRestartPolicyAlways)
	return c
}

// vecPod builds an API-defaulted pod for a request vector.
func vecPod(name string, init, containers []v1.Container, opts ...podOpt) *v1.Pod {
	p := &v1.Pod{
		ObjectMeta: metav1.ObjectMeta{
			Name:              name,
			Namespace:         "vectors",
			UID:               uid("vector/" + name),
			ResourceVersion:   "1",
			CreationTimestamp: at(30 * time.Minute),
		},
		Spec: v1.PodSpec{InitContainers: init, Containers: containers},
	}
	for _, o := range opts {
		o(p)
	}
	apiDefault(p, false)
	return p
}

func requestsOf(p *v1.Pod) map[string]string {
	// Default options: exactly what NodeResourcesFit uses when the
	// PodLevelResources gate is on (SkipPodLevelResources: false), overhead
	// included, no status resources (the pod is not scheduled yet).
	reqs := resourcehelper.PodRequests(p, resourcehelper.PodResourcesOptions{})
	out := make(map[string]string, len(reqs))
	for k, v := range reqs {
		out[string(k)] = v.String()
	}
	return out
}

func podRequestVectors() []requestVector {
	var vs []requestVector
	add := func(name string, p *v1.Pod) {
		vs = append(vs, requestVector{Name: name, Pod: p, Requests: requestsOf(p)})
	}

	add("one container with cpu and memory requests and limits",
		vecPod("one-container", nil, []v1.Container{
			ctr("app", rl("cpu", "500m", "memory", "1Gi"), rl("cpu", "1", "memory", "2Gi")),
		}))

	add("several containers: requests are summed per resource (cpu, memory, ephemeral-storage)",
		vecPod("several-containers", nil, []v1.Container{
			ctr("app", rl("cpu", "1", "memory", "1Gi", "ephemeral-storage", "2Gi"), nil),
			ctr("proxy", rl("cpu", "2", "memory", "512Mi"), nil),
			ctr("logger", rl("cpu", "100m", "memory", "256Mi", "ephemeral-storage", "500Mi"), nil),
		}))

	add("limits only, as the API server stores it: requests were defaulted from limits on create (Guaranteed)",
		vecPod("limits-only-defaulted", nil, []v1.Container{
			ctr("app", nil, rl("cpu", "2", "memory", "4Gi")),
		}))

	// The raw pod is NOT passed through apiDefault: this is what PodRequests
	// returns if it is handed an object that never went through the API.
	raw := &v1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: "limits-only-raw", Namespace: "vectors", UID: uid("vector/limits-only-raw")},
		Spec: v1.PodSpec{Containers: []v1.Container{
			ctr("app", nil, rl("cpu", "2", "memory", "4Gi")),
		}},
	}
	add("limits only, RAW (never API-defaulted, no requests): PodRequests ignores limits and returns nothing",
		raw)

	add("init container larger than the sum of the containers: the init container wins per resource",
		vecPod("init-larger", []v1.Container{
			ctr("migrate", rl("cpu", "4", "memory", "8Gi"), nil),
		}, []v1.Container{
			ctr("app", rl("cpu", "1", "memory", "1Gi"), nil),
			ctr("proxy", rl("cpu", "500m", "memory", "512Mi"), nil),
		}))

	add("init containers smaller than the containers: the containers' sum wins; init containers are not summed with each other",
		vecPod("init-smaller", []v1.Container{
			ctr("fetch", rl("cpu", "1", "memory", "1Gi"), nil),
			ctr("unpack", rl("cpu", "1500m", "memory", "512Mi"), nil),
		}, []v1.Container{
			ctr("app", rl("cpu", "2", "memory", "2Gi"), nil),
			ctr("proxy", rl("cpu", "500m", "memory", "256Mi"), nil),
		}))

	add("init containers max per resource independently: cpu from one init container, memory from the containers",
		vecPod("init-mixed-max", []v1.Container{
			ctr("compile", rl("cpu", "8", "memory", "1Gi"), nil),
		}, []v1.Container{
			ctr("app", rl("cpu", "1", "memory", "4Gi"), nil),
		}))

	add("restartable sidecar init container (restartPolicy Always) BEFORE a regular init container: the sidecar adds to the containers and to the later init container",
		vecPod("sidecar-before-init", []v1.Container{
			sidecar("mesh", rl("cpu", "500m", "memory", "256Mi"), nil),
			ctr("migrate", rl("cpu", "2", "memory", "1Gi"), nil),
		}, []v1.Container{
			ctr("app", rl("cpu", "1", "memory", "1Gi"), nil),
		}))

	add("restartable sidecar init container AFTER a regular init container: the sidecar adds to the containers but not to the earlier init container",
		vecPod("sidecar-after-init", []v1.Container{
			ctr("migrate", rl("cpu", "2", "memory", "1Gi"), nil),
			sidecar("mesh", rl("cpu", "500m", "memory", "256Mi"), nil),
		}, []v1.Container{
			ctr("app", rl("cpu", "1", "memory", "1Gi"), nil),
		}))

	add("interleaved sidecars and init containers (KEP-753): each init container sees the sum of the sidecars started before it",
		vecPod("sidecars-interleaved", []v1.Container{
			sidecar("mesh", rl("cpu", "100m", "memory", "64Mi"), nil),
			ctr("fetch", rl("cpu", "1", "memory", "256Mi"), nil),
			sidecar("log-shipper", rl("cpu", "200m", "memory", "128Mi"), nil),
			ctr("warmup", rl("cpu", "1", "memory", "2Gi"), nil),
		}, []v1.Container{
			ctr("app", rl("cpu", "500m", "memory", "512Mi"), nil),
		}))

	add("sidecar larger than everything else: sidecars are always added to the containers' sum",
		vecPod("sidecar-large", []v1.Container{
			sidecar("cache", rl("cpu", "3", "memory", "6Gi"), nil),
		}, []v1.Container{
			ctr("app", rl("cpu", "1", "memory", "1Gi"), nil),
		}))

	add("pod overhead (RuntimeClass kata) is added on top of the container requests",
		vecPod("overhead", nil, []v1.Container{
			ctr("app", rl("cpu", "1", "memory", "1Gi"), nil),
		}, func(p *v1.Pod) {
			p.Spec.RuntimeClassName = ptr("kata")
			p.Spec.Overhead = rl("cpu", "250m", "memory", "160Mi")
		}))

	add("pod overhead applies to a BestEffort pod too: the overhead alone is the request",
		vecPod("overhead-besteffort", nil, []v1.Container{
			ctr("app", nil, nil),
		}, func(p *v1.Pod) {
			p.Spec.RuntimeClassName = ptr("kata")
			p.Spec.Overhead = rl("cpu", "250m", "memory", "160Mi")
		}))

	add("pod-level resources (spec.resources): pod-level cpu/memory REPLACE the container sums; extended resources still come from the containers",
		vecPod("pod-level", nil, []v1.Container{
			ctr("app", rl("cpu", "1", "memory", "1Gi", "nvidia.com/gpu", "1"), rl("nvidia.com/gpu", "1")),
			ctr("proxy", rl("cpu", "500m", "memory", "512Mi"), nil),
		}, func(p *v1.Pod) {
			p.Spec.Resources = &v1.ResourceRequirements{
				Requests: rl("cpu", "4", "memory", "8Gi"),
				Limits:   rl("cpu", "4", "memory", "8Gi"),
			}
		}))

	add("pod-level requests with containers that set no requests: the pod-level values are the whole cpu/memory request",
		vecPod("pod-level-no-container-requests", nil, []v1.Container{
			ctr("app", nil, nil),
			ctr("proxy", nil, nil),
		}, func(p *v1.Pod) {
			p.Spec.Resources = &v1.ResourceRequirements{Requests: rl("cpu", "1500m", "memory", "3Gi")}
		}))

	add("pod-level cpu only: cpu from spec.resources, memory still summed from the containers",
		vecPod("pod-level-cpu-only", nil, []v1.Container{
			ctr("app", rl("cpu", "100m", "memory", "1Gi"), nil),
			ctr("proxy", rl("memory", "512Mi"), nil),
		}, func(p *v1.Pod) {
			p.Spec.Resources = &v1.ResourceRequirements{Requests: rl("cpu", "2")}
		}))

	add("pod-level limits only: the API defaults pod-level requests from the limits; containers without resources",
		vecPod("pod-level-limits-only", nil, []v1.Container{
			ctr("app", nil, nil),
			ctr("proxy", nil, nil),
		}, func(p *v1.Pod) {
			p.Spec.Resources = &v1.ResourceRequirements{Limits: rl("cpu", "2", "memory", "4Gi")}
		}))

	add("pod-level resources plus pod overhead: overhead is added after the pod-level override",
		vecPod("pod-level-overhead", nil, []v1.Container{
			ctr("app", rl("cpu", "500m", "memory", "512Mi"), nil),
		}, func(p *v1.Pod) {
			p.Spec.Resources = &v1.ResourceRequirements{Requests: rl("cpu", "1", "memory", "2Gi")}
			p.Spec.RuntimeClassName = ptr("kata")
			p.Spec.Overhead = rl("cpu", "250m", "memory", "160Mi")
		}))

	add("pod-level resources with sidecar and init containers: the KEP-753 result (1500m, 1280Mi) is replaced by the pod-level cpu/memory; ephemeral-storage still from the containers",
		vecPod("pod-level-sidecar", []v1.Container{
			sidecar("mesh", rl("cpu", "500m", "memory", "256Mi"), nil),
			ctr("migrate", rl("cpu", "1", "memory", "1Gi"), nil),
		}, []v1.Container{
			ctr("app", rl("cpu", "1", "memory", "1Gi", "ephemeral-storage", "1Gi"), nil),
		}, func(p *v1.Pod) {
			p.Spec.Resources = &v1.ResourceRequirements{Requests: rl("cpu", "2", "memory", "4Gi")}
		}))

	add("extended resources: nvidia.com/gpu and a MIG profile set as limits; the API defaults requests to the limits",
		vecPod("extended-gpu", nil, []v1.Container{
			ctr("trainer", rl("cpu", "8", "memory", "64Gi"), rl("cpu", "8", "memory", "64Gi", "nvidia.com/gpu", "2")),
			ctr("sidekick", rl("cpu", "1", "memory", "4Gi"), rl("nvidia.com/mig-1g.5gb", "1")),
		}))

	add("extended resources in an init container and a sidecar: GPUs follow the same init/sidecar formula",
		vecPod("extended-gpu-init", []v1.Container{
			ctr("gpu-check", nil, rl("nvidia.com/gpu", "4")),
			sidecar("dcgm", nil, rl("nvidia.com/gpu", "1")),
		}, []v1.Container{
			ctr("trainer", rl("cpu", "2", "memory", "8Gi"), rl("nvidia.com/gpu", "2")),
		}))

	add("milli cpu: 250m + 0.5 (stored canonically as 500m) + 1 = 1750m",
		vecPod("milli-cpu", nil, []v1.Container{
			ctr("a", rl("cpu", "250m"), nil),
			ctr("b", rl("cpu", "0.5"), nil),
			ctr("c", rl("cpu", "1"), nil),
		}))

	add("milli cpu summing to a whole number: 250m + 750m = 1 (canonical, not 1000m)",
		vecPod("milli-cpu-whole", nil, []v1.Container{
			ctr("a", rl("cpu", "250m"), nil),
			ctr("b", rl("cpu", "750m"), nil),
		}))

	add("memory mixing binary and decimal suffixes, binary first: 128Mi + 1Gi + 500M; the sum keeps the first container's (binary) format",
		vecPod("memory-binary-first", nil, []v1.Container{
			ctr("a", rl("memory", "128Mi"), nil),
			ctr("b", rl("memory", "1Gi"), nil),
			ctr("c", rl("memory", "500M"), nil),
		}))

	add("memory mixing decimal and binary suffixes, decimal first: 500M + 1Gi; the sum keeps the decimal format",
		vecPod("memory-decimal-first", nil, []v1.Container{
			ctr("a", rl("memory", "500M"), nil),
			ctr("b", rl("memory", "1Gi"), nil),
		}))

	add("memory with fractional and plain-byte values: 1.5Gi (stored as 1536Mi) + 1048576 bytes",
		vecPod("memory-fractional", nil, []v1.Container{
			ctr("a", rl("memory", "1.5Gi"), nil),
			ctr("b", rl("memory", "1048576"), nil),
		}))

	add("memory in decimal G and exponent notation: 2G + 1e9",
		vecPod("memory-decimal-exponent", nil, []v1.Container{
			ctr("a", rl("memory", "2G"), nil),
			ctr("b", rl("memory", "1e9"), nil),
		}))

	add("hugepages: hugepages-2Mi is summed like any other resource",
		vecPod("hugepages", nil, []v1.Container{
			ctr("dpdk", rl("cpu", "2", "memory", "2Gi", "hugepages-2Mi", "512Mi"), rl("cpu", "2", "memory", "2Gi", "hugepages-2Mi", "512Mi")),
			ctr("ctl", rl("cpu", "100m", "memory", "128Mi", "hugepages-2Mi", "128Mi"), rl("hugepages-2Mi", "128Mi")),
		}))

	add("explicit zero request: cpu \"0\" is present in the result, memory is absent",
		vecPod("explicit-zero", nil, []v1.Container{
			ctr("app", rl("cpu", "0"), nil),
		}))

	add("BestEffort pod with no resources at all: empty result",
		vecPod("besteffort", nil, []v1.Container{
			ctr("app", nil, nil),
		}))

	return vs
}

// ---------------------------------------------------------------------------
// Main
// ---------------------------------------------------------------------------

func main() {
	out := flag.String("out", "..", "directory to write the golden files into (test/golden)")
	check := flag.Bool("check", false, "do not write; exit 1 if any file in -out differs from what would be generated")
	flag.Parse()
	stale := 0

	nodeNames := []string{"node-1", "node-2", "node-3"}
	nodes := &v1.NodeList{Items: []v1.Node{smallNode(1), smallNode(2), smallNode(3)}}

	metaVictims := map[string]*extenderv1.MetaVictims{
		"node-1": {Pods: []*extenderv1.MetaPod{
			{UID: string(uid("pod/" + victimSpecs[0].name))},
			{UID: string(uid("pod/" + victimSpecs[1].name))},
		}, NumPDBViolations: 0},
		"node-3": {Pods: []*extenderv1.MetaPod{
			{UID: string(uid("pod/" + victimSpecs[2].name))},
		}, NumPDBViolations: 1},
	}
	victims := map[string]*extenderv1.Victims{
		"node-1": {Pods: []*v1.Pod{victimPod(victimSpecs[0]), victimPod(victimSpecs[1])}, NumPDBViolations: 0},
		"node-3": {Pods: []*v1.Pod{victimPod(victimSpecs[2])}, NumPDBViolations: 1},
	}

	pod := trainerPod()
	files := []struct {
		name string
		v    any
	}{
		{"filter_names_request.json", extenderv1.ExtenderArgs{Pod: pod, NodeNames: &nodeNames}},
		{"filter_nodes_request.json", extenderv1.ExtenderArgs{Pod: pod, Nodes: nodes}},
		{"filter_names_response_all.json", extenderv1.ExtenderFilterResult{
			NodeNames:                  &nodeNames,
			FailedNodes:                extenderv1.FailedNodesMap{},
			FailedAndUnresolvableNodes: extenderv1.FailedNodesMap{},
			Error:                      "",
		}},
		{"filter_nodes_response_all.json", extenderv1.ExtenderFilterResult{
			Nodes:                      nodes,
			FailedNodes:                extenderv1.FailedNodesMap{},
			FailedAndUnresolvableNodes: extenderv1.FailedNodesMap{},
			Error:                      "",
		}},
		{"prioritize_response_zero.json", extenderv1.HostPriorityList{
			{Host: "node-1", Score: 0}, {Host: "node-2", Score: 0}, {Host: "node-3", Score: 0},
		}},
		{"preempt_meta_request.json", extenderv1.ExtenderPreemptionArgs{Pod: preemptorPod(), NodeNameToMetaVictims: metaVictims}},
		{"preempt_victims_request.json", extenderv1.ExtenderPreemptionArgs{Pod: preemptorPod(), NodeNameToVictims: victims}},
		{"preempt_response_echo.json", extenderv1.ExtenderPreemptionResult{NodeNameToMetaVictims: metaVictims}},
		{"bind_request.json", extenderv1.ExtenderBindingArgs{
			PodName: pod.Name, PodNamespace: pod.Namespace, PodUID: pod.UID, Node: "node-1",
		}},
		{"bind_response_ok.json", extenderv1.ExtenderBindingResult{Error: ""}},
		{"gpu_node_full.json", gpuNodeFull()},
		{"pod_requests.json", podRequestVectors()},
		{"dra_objects.json", draObjectsGolden()},
	}

	for _, f := range files {
		b, err := json.Marshal(f.v)
		if err != nil {
			fmt.Fprintf(os.Stderr, "marshal %s: %v\n", f.name, err)
			os.Exit(1)
		}
		path := filepath.Join(*out, f.name)
		if *check {
			old, err := os.ReadFile(path)
			if err != nil || !bytes.Equal(old, b) {
				fmt.Printf("%-32s STALE (regenerate with: go run . -out ..)\n", f.name)
				stale++
			} else {
				fmt.Printf("%-32s %7d bytes, up to date\n", f.name, len(b))
			}
			continue
		}
		if err := os.WriteFile(path, b, 0o644); err != nil {
			fmt.Fprintf(os.Stderr, "write %s: %v\n", path, err)
			os.Exit(1)
		}
		fmt.Printf("%-32s %7d bytes\n", f.name, len(b))
	}
	if stale > 0 {
		os.Exit(1)
	}
}
