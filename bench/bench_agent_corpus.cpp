// Writes the inputs of the agent benchmark (bench/run-agent): N objects of the ../shared/bench
// mix (bench/synthetic_corpus.h, the Git-managed profile) as
//   DIR/targets/part-NNNN.yaml  the declared objects, 1000 per file, as JSON documents (YAML)
//   DIR/setup.jsonl             the team namespaces and the CRDs of the custom resources
//   DIR/live.jsonl              the same declared objects, one per line, for kube-sim's
//                               POST /_sim/load, which creates them as the API server would
//                               (defaults, managedFields, status)
//   DIR/deployments.txt         "namespace name container" of every Deployment (the latency probe
//   patches them)
// The live objects are the declared ones, not the corpus's live JSON: kube-sim adds what a server
// adds, so the agent starts with zero drift and every event it emits is one the driver caused.
//
//   bench_agent_corpus N DIR
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <set>
#include <string>

#include "synthetic_corpus.h"

namespace {

std::string Crd(const std::string& plural, const std::string& singular, const std::string& kind) {
  return R"({"apiVersion":"apiextensions.k8s.io/v1","kind":"CustomResourceDefinition",)"
         R"("metadata":{"name":")" +
         plural +
         R"(.monitoring.coreos.com"},"spec":{"group":"monitoring.coreos.com",)"
         R"("scope":"Namespaced","names":{"plural":")" +
         plural + R"(","singular":")" + singular + R"(","kind":")" + kind + R"(","listKind":")" +
         kind +
         R"(List"},"versions":[{"name":"v1","served":true,"storage":true,)"
         R"("schema":{"openAPIV3Schema":{"type":"object",)"
         R"("x-kubernetes-preserve-unknown-fields":true}}}]}})";
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 3) {
    std::cerr << "usage: bench_agent_corpus N DIR\n";
    return 2;
  }
  namespace fs = std::filesystem;
  using plumbline::bench::CorpusOptions;
  CorpusOptions options;
  options.objects = std::strtoull(argv[1], nullptr, 10);
  options.drift_fraction = 0;
  const fs::path dir = argv[2];
  fs::create_directories(dir / "targets");
  std::string source;
  const auto model = plumbline::bench::LoadModel(PLUMBLINE_BENCH_MIX_FILE, source);
  const auto corpus = plumbline::bench::GenerateCorpus(options, model);

  std::set<std::string> namespaces;
  std::ofstream live(dir / "live.jsonl", std::ios::binary);
  std::ofstream deployments(dir / "deployments.txt", std::ios::binary);
  std::ofstream part;
  for (std::size_t i = 0; i < corpus.objects.size(); ++i) {
    const auto& obj = corpus.objects[i];
    if (i % 1000 == 0) {
      char name[32];
      std::snprintf(name, sizeof name, "part-%04zu.yaml", i / 1000);
      part.close();
      part.open(dir / "targets" / name, std::ios::binary);
    }
    const std::string json = plumbline::hashing::ToJson(obj.git);
    part << "---\n" << json << "\n";
    live << json << "\n";
    const auto* meta = obj.git.Find("metadata");
    const std::string ns(meta->GetString("namespace"));
    namespaces.insert(ns);
    if (obj.kind == "Deployment") {
      const auto& containers =
          obj.git.Find("spec")->Find("template")->Find("spec")->Find("containers")->items();
      deployments << ns << " " << meta->GetString("name") << " "
                  << containers.front().GetString("name") << "\n";
    }
  }
  std::ofstream setup(dir / "setup.jsonl", std::ios::binary);
  for (const auto& ns : namespaces) {
    setup << R"({"apiVersion":"v1","kind":"Namespace","metadata":{"name":")" << ns << "\"}}\n";
  }
  setup << Crd("servicemonitors", "servicemonitor", "ServiceMonitor") << "\n";
  setup << Crd("prometheusrules", "prometheusrule", "PrometheusRule") << "\n";
  std::cout << "objects " << corpus.objects.size() << " git_bytes " << corpus.git_bytes << " model "
            << source << "\n";
  return 0;
}
