package main

// DRA objects (resource.k8s.io/v1) as the API server returns them for NVIDIA's DRA driver
// (k8s-dra-driver-gpu: classes gpu.nvidia.com and mig.nvidia.com, pool = node name, devices
// gpu-<minor> and gpu-<minor>-mig-<profile>-<gi>-<start>, DynamicMIG's counter set per GPU
// with memory-slice-<i> counters), and a pod using claims. The values are fixtures written
// from the driver's source, not captured from a cluster; the JSON is the real types'.

import (
	v1 "k8s.io/api/core/v1"
	resourcev1 "k8s.io/api/resource/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

type draObjects struct {
	DeviceClass    resourcev1.DeviceClass   `json:"deviceClass"`
	ClaimAllocated resourcev1.ResourceClaim `json:"claimAllocated"`
	ClaimRequests  resourcev1.ResourceClaim `json:"claimRequests"`
	SliceCounters  resourcev1.ResourceSlice `json:"sliceCounters"`
	SliceDevices   resourcev1.ResourceSlice `json:"sliceDevices"`
	Pod            v1.Pod                   `json:"pod"`
}

var (
	draTypeMeta = func(kind string) metav1.TypeMeta {
		return metav1.TypeMeta{Kind: kind, APIVersion: "resource.k8s.io/v1"}
	}
	gpuCounterNames = []string{"memory-slice-0", "memory-slice-1", "memory-slice-2", "memory-slice-3",
		"memory-slice-4", "memory-slice-5", "memory-slice-6", "memory-slice-7"}
)

func cel(expression string) []resourcev1.DeviceSelector {
	return []resourcev1.DeviceSelector{{CEL: &resourcev1.CELDeviceSelector{Expression: expression}}}
}

// The counters of a whole H100 (every slice), or of a MIG partition over `slices` from `first`.
func gpuCounters(first, slices int, multiprocessors, memory string) map[string]resourcev1.Counter {
	c := map[string]resourcev1.Counter{
		"multiprocessors": {Value: q(multiprocessors)},
		"memory":          {Value: q(memory)},
	}
	for i := first; i < first+slices; i++ {
		c[gpuCounterNames[i]] = resourcev1.Counter{Value: q("1")}
	}
	return c
}

func draObjectsGolden() draObjects {
	node := "node-1"
	pool := resourcev1.ResourcePool{Name: node, Generation: 3, ResourceSliceCount: 2}
	gpuClass := resourcev1.DeviceClass{
		TypeMeta: draTypeMeta("DeviceClass"),
		ObjectMeta: metav1.ObjectMeta{Name: "gpu.nvidia.com", UID: uid("deviceclass-gpu"),
			ResourceVersion: "812", Generation: 1, CreationTimestamp: at(0)},
		Spec: resourcev1.DeviceClassSpec{
			Selectors:            cel("device.driver == 'gpu.nvidia.com' && device.attributes['gpu.nvidia.com'].type == 'gpu'"),
			ExtendedResourceName: ptr("nvidia.com/gpu"),
		},
	}
	allocated := resourcev1.ResourceClaim{
		TypeMeta: draTypeMeta("ResourceClaim"),
		ObjectMeta: metav1.ObjectMeta{
			Name: "trainer-0-gpu-x7k2p", GenerateName: "trainer-0-gpu-", Namespace: "team-a",
			UID: uid("claim-trainer-0-gpu"), ResourceVersion: "4711", CreationTimestamp: at(0),
			Annotations: map[string]string{"resource.kubernetes.io/pod-claim-name": "gpu"},
			OwnerReferences: []metav1.OwnerReference{{APIVersion: "v1", Kind: "Pod", Name: "trainer-0",
				UID: uid("pod-trainer-0"), Controller: ptr(true), BlockOwnerDeletion: ptr(true)}},
			Finalizers: []string{"resource.kubernetes.io/delete-protection"},
		},
		Spec: resourcev1.ResourceClaimSpec{Devices: resourcev1.DeviceClaim{Requests: []resourcev1.DeviceRequest{{
			Name: "gpu",
			Exactly: &resourcev1.ExactDeviceRequest{
				DeviceClassName: "gpu.nvidia.com",
				Selectors:       cel("device.attributes['gpu.nvidia.com'].productName == 'NVIDIA H100 80GB HBM3'"),
				AllocationMode:  resourcev1.DeviceAllocationModeExactCount,
				Count:           2,
			},
		}}}},
		Status: resourcev1.ResourceClaimStatus{
			Allocation: &resourcev1.AllocationResult{
				Devices: resourcev1.DeviceAllocationResult{Results: []resourcev1.DeviceRequestAllocationResult{
					{Request: "gpu", Driver: "gpu.nvidia.com", Pool: node, Device: "gpu-0"},
					{Request: "gpu", Driver: "gpu.nvidia.com", Pool: node, Device: "gpu-1"},
				}},
				NodeSelector: &v1.NodeSelector{NodeSelectorTerms: []v1.NodeSelectorTerm{{
					MatchFields: []v1.NodeSelectorRequirement{{Key: "metadata.name",
						Operator: v1.NodeSelectorOpIn, Values: []string{node}}},
				}}},
			},
			ReservedFor: []resourcev1.ResourceClaimConsumerReference{
				{Resource: "pods", Name: "trainer-0", UID: uid("pod-trainer-0")},
			},
		},
	}
	requests := resourcev1.ResourceClaim{
		TypeMeta: draTypeMeta("ResourceClaim"),
		ObjectMeta: metav1.ObjectMeta{Name: "team-a-mixed", Namespace: "team-a",
			UID: uid("claim-team-a-mixed"), ResourceVersion: "4800", CreationTimestamp: at(0)},
		Spec: resourcev1.ResourceClaimSpec{Devices: resourcev1.DeviceClaim{Requests: []resourcev1.DeviceRequest{
			{Name: "gpu", FirstAvailable: []resourcev1.DeviceSubRequest{
				{Name: "full", DeviceClassName: "gpu.nvidia.com",
					AllocationMode: resourcev1.DeviceAllocationModeExactCount, Count: 1},
				{Name: "mig", DeviceClassName: "mig.nvidia.com",
					Selectors:      cel("device.attributes['gpu.nvidia.com'].profile == '1g.10gb'"),
					AllocationMode: resourcev1.DeviceAllocationModeExactCount, Count: 2},
			}},
			{Name: "node-gpus", Exactly: &resourcev1.ExactDeviceRequest{DeviceClassName: "gpu.nvidia.com",
				AllocationMode: resourcev1.DeviceAllocationModeAll}},
			{Name: "shared", Exactly: &resourcev1.ExactDeviceRequest{DeviceClassName: "shared.gpu.nvidia.com",
				AllocationMode: resourcev1.DeviceAllocationModeExactCount, Count: 1,
				Capacity: &resourcev1.CapacityRequirements{Requests: map[resourcev1.QualifiedName]resource.Quantity{
					"memory": q("10Gi"), "multiprocessors": q("33")}}}},
		}}},
	}
	counters := resourcev1.ResourceSlice{
		TypeMeta:   draTypeMeta("ResourceSlice"),
		ObjectMeta: metav1.ObjectMeta{Name: node + "-gpu.nvidia.com-counters", UID: uid("slice-counters"), CreationTimestamp: at(0)},
		Spec: resourcev1.ResourceSliceSpec{Driver: "gpu.nvidia.com", Pool: pool, NodeName: ptr(node),
			SharedCounters: []resourcev1.CounterSet{{Name: "gpu-0-counter-set",
				Counters: gpuCounters(0, 8, "132", "80Gi")}}},
	}
	devices := resourcev1.ResourceSlice{
		TypeMeta:   draTypeMeta("ResourceSlice"),
		ObjectMeta: metav1.ObjectMeta{Name: node + "-gpu.nvidia.com-gpu-0", UID: uid("slice-gpu-0"), CreationTimestamp: at(0)},
		Spec: resourcev1.ResourceSliceSpec{Driver: "gpu.nvidia.com", Pool: pool, NodeName: ptr(node),
			Devices: []resourcev1.Device{
				{Name: "gpu-0",
					Attributes: map[resourcev1.QualifiedName]resourcev1.DeviceAttribute{
						"type":                  {StringValue: ptr("gpu")},
						"productName":           {StringValue: ptr("NVIDIA H100 80GB HBM3")},
						"cudaComputeCapability": {VersionValue: ptr("9.0.0")},
					},
					Capacity: map[resourcev1.QualifiedName]resourcev1.DeviceCapacity{
						"memory": {Value: q("80Gi")}, "multiprocessors": {Value: q("132")}},
					ConsumesCounters: []resourcev1.DeviceCounterConsumption{{CounterSet: "gpu-0-counter-set",
						Counters: gpuCounters(0, 8, "132", "80Gi")}}},
				{Name: "gpu-0-mig-1g10gb-19-0",
					Attributes: map[resourcev1.QualifiedName]resourcev1.DeviceAttribute{
						"type": {StringValue: ptr("mig")}, "profile": {StringValue: ptr("1g.10gb")}},
					Capacity: map[resourcev1.QualifiedName]resourcev1.DeviceCapacity{
						"memory": {Value: q("10Gi")}, "multiprocessors": {Value: q("16")}},
					ConsumesCounters: []resourcev1.DeviceCounterConsumption{{CounterSet: "gpu-0-counter-set",
						Counters: gpuCounters(0, 1, "16", "10Gi")}}},
				{Name: "gpu-0-mig-3g40gb-9-4",
					Attributes: map[resourcev1.QualifiedName]resourcev1.DeviceAttribute{
						"type": {StringValue: ptr("mig")}, "profile": {StringValue: ptr("3g.40gb")}},
					Capacity: map[resourcev1.QualifiedName]resourcev1.DeviceCapacity{
						"memory": {Value: q("40Gi")}, "multiprocessors": {Value: q("60")}},
					ConsumesCounters: []resourcev1.DeviceCounterConsumption{{CounterSet: "gpu-0-counter-set",
						Counters: gpuCounters(4, 4, "60", "40Gi")}}},
			}},
	}
	pod := v1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: "trainer-0", Namespace: "team-a", UID: uid("pod-trainer-0"),
			CreationTimestamp: at(0)},
		Spec: v1.PodSpec{
			Containers: []v1.Container{{Name: "train", Image: "nvcr.io/nvidia/pytorch:25.01-py3",
				Resources: v1.ResourceRequirements{
					Requests: rl("cpu", "4", "nvidia.com/gpu", "1"),
					Limits:   rl("nvidia.com/gpu", "1"),
					Claims:   []v1.ResourceClaim{{Name: "gpu"}, {Name: "shared"}},
				}}},
			ResourceClaims: []v1.PodResourceClaim{
				{Name: "gpu", ResourceClaimTemplateName: ptr("two-h100")},
				{Name: "shared", ResourceClaimName: ptr("team-a-mixed")},
			},
		},
		Status: v1.PodStatus{
			Phase: v1.PodPending,
			ResourceClaimStatuses: []v1.PodResourceClaimStatus{
				{Name: "gpu", ResourceClaimName: ptr("trainer-0-gpu-x7k2p")},
			},
			ExtendedResourceClaimStatus: &v1.PodExtendedResourceClaimStatus{
				RequestMappings: []v1.ContainerExtendedResourceRequest{
					{ContainerName: "train", ResourceName: "nvidia.com/gpu", RequestName: "container-0-request-0"},
				},
				ResourceClaimName: "trainer-0-extended-resources-q8z4m",
			},
		},
	}
	return draObjects{DeviceClass: gpuClass, ClaimAllocated: allocated, ClaimRequests: requests,
		SliceCounters: counters, SliceDevices: devices, Pod: pod}
}
