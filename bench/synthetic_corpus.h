// A synthetic corpus for the live-path benchmarks: N live objects (JSON text, as an API server
// returns them) and, for each, the declared part a manifest in Git would hold (no status, no
// managedFields, no server defaults).
//
// Shape: the Git-managed profile of ../shared/bench (bench/README.md there). Kind shares come
// from the clusterloader2 100-node mix (Deployment, ConfigMap, Secret, Service, StatefulSet,
// DaemonSet, ServiceAccount); Roles, RoleBindings and custom resources, which the mix does not
// count, get fixed shares of our own. Object sizes follow a lognormal per kind fitted to the
// model's median and p90 (bytes of compact live JSON), clipped at the model's max (at most
// 1.5 MB), plus a few 100-500 KB custom resources. Live objects carry what a real API server
// adds: uid, resourceVersion, creationTimestamp, generation, server defaults, a status block and
// managedFields with the applier's Apply entry (argocd-controller, server-side apply) and the
// kube-controller-manager entries. About 1% of the objects carry real drift (a human edit).
//
// Generation is deterministic: a fixed seed and our own PRNG and Box-Muller transform (not
// <random>'s distributions, whose output differs between standard libraries), so every run on
// every machine measures the same bytes.
//
// Threading: plain functions over values; any thread. Not part of any library: bench/ only.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include <simdjson.h>

#include "plumbline/hashing/value.h"

namespace plumbline::bench {

// One kind of the mix: its share and its size model (bytes of compact live JSON).
struct KindModel {
  std::string kind;  // "Deployment", ...; "CustomResource" for CRD instances
  double count = 0;  // objects per 100-node cluster; only the ratio between kinds matters
  double median = 0;
  double p90 = 0;
  double p99 = 0;
  double max = 0;
};

// The embedded model: ../shared/bench/cluster-mix-100-nodes.json transcribed for the Git-managed
// kinds, plus our shares for Role, RoleBinding and CustomResource (see synthetic_corpus.cpp).
std::vector<KindModel> EmbeddedModel();

// The model with the Git-managed kinds' counts and sizes read from a cluster-mix file of the
// ../shared/bench format. Falls back to EmbeddedModel() (and says so in `source`) when the file
// is absent or does not parse.
std::vector<KindModel> LoadModel(const std::string& mix_file, std::string& source);

struct CorpusOptions {
  std::size_t objects = 7000;                  // about 25 MB of live JSON
  std::uint64_t seed = 0x706c756d626c696eULL;  // "plumblin"
  double drift_fraction = 0.01;
  // Large custom resources (uniform in [100 KB, 500 KB]) on top of the size model.
  std::size_t large_custom_resources = 4;
};

struct CorpusObject {
  std::string kind;
  simdjson::padded_string live;  // compact JSON, as served by the API server
  hashing::Value git;            // the declared part, as a manifest in Git holds it
  std::size_t git_bytes = 0;     // size of `git` as compact JSON
  bool drifted = false;          // generated with a human edit that the engine must report
};

struct Corpus {
  std::vector<CorpusObject> objects;  // kinds interleaved (shuffled), as a watch delivers them
  std::size_t live_bytes = 0;
  std::size_t git_bytes = 0;
  std::string model_source;
};

// Generates the corpus. Same options and model, same bytes.
Corpus GenerateCorpus(const CorpusOptions& options, const std::vector<KindModel>& model);

}  // namespace plumbline::bench
