// Protobuf request bodies for kube-sim. kubectl's typed clients (`kubectl create namespace`,
// `create configmap`, `create secret`, `create deployment`, `create service`, `create
// serviceaccount`) POST `application/vnd.kubernetes.protobuf`: the "k8s\0" magic, then a
// runtime.Unknown {1: TypeMeta{1: apiVersion, 2: kind}, 2: raw, 3: contentEncoding,
// 4: contentType} whose raw bytes are the object in k8s.io/api's generated.proto encoding
// (docs/kubernetes/kubectl-wire.md section 1.5).
//
// Stateless; any thread.
#pragma once

#include <string_view>

#include "plumbline/common/result.h"
#include "plumbline/hashing/value.h"

namespace plumbline::sim {

// Decodes a protobuf body into the JSON object the same request would have carried as JSON:
// apiVersion and kind from the TypeMeta, then the object's fields under their JSON names.
// gogo-protobuf writes every non-pointer field, empty strings and zeros included; those are
// treated as unset and not emitted. Pointer fields (replicas, automountServiceAccountToken,
// maxSurge, ...) are emitted whenever present, zero included. Byte fields (Secret data,
// ConfigMap binaryData) come out base64-encoded as in JSON; invalid UTF-8 in strings becomes
// U+FFFD as Go's JSON encoder writes it. Unknown field numbers are skipped, as the real decoder
// does; fields outside what the kubectl create commands send are not decoded.
//
// Kinds: v1 Namespace, ConfigMap, Secret, Service, ServiceAccount and apps/v1 Deployment.
// Errors: kUnsupportedMediaType for any other kind or a non-empty contentEncoding;
// kInvalidArgument for malformed bytes (bad magic, truncated or overlong varints, lengths past
// the end, wrong wire types, timestamps outside years 0-9999).
Result<hashing::Value> DecodeProtobufObject(std::string_view body);

}  // namespace plumbline::sim
