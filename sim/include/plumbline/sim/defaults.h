// Server-side defaulting for kube-sim: what kube-apiserver 1.32 writes into a built-in object
// between decoding a create/update body and storing it, so that `kubectl get -o yaml` of a
// simulated object looks like one from a real cluster. Sources and layers are in
// docs/kubernetes/defaults.md (sections 0-14): versioned defaulting (also inside pod templates),
// conversion side effects, registry strategies, Service IP/port allocation, the effects of the
// admission plugins enabled by default, and serialization artifacts.
//
// Stateless functions over the caller's Values; any thread. The context's allocators are called
// on the calling thread, synchronously, only while ApplyServerDefaults runs.
#pragma once

#include <functional>
#include <string>
#include <string_view>

#include "plumbline/common/result.h"
#include "plumbline/hashing/value.h"

namespace plumbline::sim {

struct DefaultingContext {
  // UID of the object being created (Job selector and labels). Empty: metadata.uid is used.
  std::string uid;
  // Service clusterIP allocation ("10.96.x.y"), called once per Service that needs an address.
  // Unset (or returning ""): an address derived from the UID is used.
  std::function<std::string()> allocate_cluster_ip;
  // PVC storageClassName chosen by the DefaultStorageClass admission plugin ("" = no default).
  std::string default_storage_class;
  // Service nodePort allocation (30000-32767). Unset: ports derived from the UID, unique within
  // the Service.
  std::function<int()> allocate_node_port;
  // Ingress spec.ingressClassName chosen by the DefaultIngressClass admission plugin ("" = none).
  std::string default_ingress_class;
  // True on create: the status sent by the client is discarded first, as the registry
  // strategies' PrepareForCreate do. False (updates): an existing status is kept; only the parts
  // every response carries (status: {}, status.loadBalancer: {}, ...) are filled in.
  bool reset_status = false;
};

// Applies the server-side defaults of kube-apiserver 1.32 to `object` (a built-in kind in its
// served version; `group` is "" for core) in place. Covered kinds: Namespace, Pod, Service,
// Endpoints, EndpointSlice, ConfigMap, Secret (stringData folded into data, type Opaque),
// ServiceAccount, PersistentVolumeClaim, Deployment, ReplicaSet, StatefulSet, DaemonSet, Job,
// CronJob, Ingress, NetworkPolicy, HorizontalPodAutoscaler, Role, RoleBinding, ClusterRole,
// ClusterRoleBinding, Lease, CustomResourceDefinition; also ReplicationController, PodTemplate,
// PersistentVolume, StorageClass, PriorityClass, IngressClass, PodDisruptionBudget and the
// admission webhook configurations. Other kinds (custom resources) are left untouched.
//
// Not done here: metadata.uid/creationTimestamp/resourceVersion/generation/managedFields (the
// caller's), controllers (Deployment revision, status updates, CRD conditions, token secrets).
// Idempotent: applying it to its own output changes nothing. Malformed input (wrong JSON types)
// is left as it is where it cannot be defaulted; never aborts.
void ApplyServerDefaults(hashing::Value& object, std::string_view group, std::string_view kind,
                         const DefaultingContext& context);

// Update of a Service: copies clusterIP, clusterIPs, ipFamilies, ipFamilyPolicy, nodePorts
// (matched by port name) and healthCheckNodePort from `stored` into `updated` where the new body
// omits them and both versions still need them (storage.go patchAllocatedValues). Call it
// before ApplyServerDefaults, which would otherwise allocate new values. Other kinds: no-op.
void CarryForwardAllocations(hashing::Value& updated, const hashing::Value& stored,
                             std::string_view group, std::string_view kind);

// The text resource.Quantity serializes to after parsing `text` (canonical form: "1000m" -> "1",
// "0.5" -> "500m", "2048Mi" -> "2Gi", "1e3" stays "1e3", "1500" stays "1500"). With
// `round_up_to_milli` (what SetDefaults_ResourceList does to requests/limits) the value is first
// rounded away from zero to a multiple of 0.001 ("100n" -> "1m").
// Errors: kInvalidArgument for anything resource.ParseQuantity refuses.
Result<std::string> SerializeQuantity(std::string_view text, bool round_up_to_milli);

}  // namespace plumbline::sim
