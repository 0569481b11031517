// The live path against its limit: simdjson's own DOM parse of the same bytes.
//
//   BM_SimdjsonParse   dom::parser (reused) parses each live object: the floor of the live path.
//   BM_LiveDigest      the agent's fast path: the same parse + Engine::Digest (project,
//                      normalize, digest) against the object's prepared Target.
//   BM_LiveCompare     parse + Engine::Compare: the full verdict, for reference.
//   BM_PrepareTarget   render-time cost: PrepareTarget on a copy of the Git object (the copy is
//                      timed too; bytes are the Git object's compact JSON).
//   .../<Kind>         the same parse and digest loops restricted to one kind.
//
// Objects are cycled in a loop over a synthetic corpus (synthetic_corpus.h), 7,000 objects and
// about 25 MB of live JSON by default, so caches see a realistic working set. Environment:
//   PLUMBLINE_BENCH_OBJECTS  corpus size (default 7000)
//   PLUMBLINE_BENCH_MIX      cluster-mix file (default ../shared/bench/cluster-mix-100-nodes.json;
//                            the embedded copy when absent)
// Goal (issue acceptance): BM_LiveDigest bytes/s >= 0.5 x BM_SimdjsonParse bytes/s.
#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <string>
#include <vector>

#include <benchmark/benchmark.h>
#include <simdjson.h>

#include "plumbline/hashing/engine.h"
#include "plumbline/hashing/policy.h"
#include "plumbline/render/secret_key.h"

#include "synthetic_corpus.h"

namespace {

namespace hashing = plumbline::hashing;
namespace bench = plumbline::bench;

struct Fixture {
  bench::Corpus corpus;
  hashing::Policy policy;
  plumbline::render::HmacSecretHasher hasher{"plumbline-bench-key-0123456789ab"};
  std::vector<hashing::Target> targets;
  std::vector<std::size_t> all;                             // 0..N-1
  std::map<std::string, std::vector<std::size_t>> by_kind;  // kind -> object indices
  std::size_t max_live = 0;
};

[[noreturn]] void Die(const std::string& message) {
  std::fprintf(stderr, "bench_live_digest: %s\n", message.c_str());
  std::exit(2);  // NOLINT(concurrency-mt-unsafe): setup runs before any benchmark thread
}

// Builds the corpus and targets once, and checks the engine's verdicts against how each object
// was generated: in-sync objects must digest as in sync, drifted ones must not.
Fixture* BuildFixture() {
  auto* f = new Fixture();  // lives for the process: benchmarks share it
  bench::CorpusOptions options;
  // Setup runs on the main thread before any benchmark: getenv is safe here.
  const char* n = std::getenv("PLUMBLINE_BENCH_OBJECTS");  // NOLINT(concurrency-mt-unsafe)
  if (n != nullptr) {
    options.objects = static_cast<std::size_t>(std::strtoull(n, nullptr, 10));
  }
  std::string mix_file;
#ifdef PLUMBLINE_BENCH_MIX_FILE
  mix_file = PLUMBLINE_BENCH_MIX_FILE;
#endif
  const char* m = std::getenv("PLUMBLINE_BENCH_MIX");  // NOLINT(concurrency-mt-unsafe)
  if (m != nullptr) {
    mix_file = m;
  }
  std::string source;
  const auto model = bench::LoadModel(mix_file, source);
  f->corpus = bench::GenerateCorpus(options, model);
  f->corpus.model_source = source;

  auto policy = hashing::ParsePolicy(hashing::Value());
  if (!policy) {
    Die("default policy: " + policy.error().message);
  }
  f->policy = std::move(*policy);

  hashing::Engine engine(f->policy, f->hasher);
  simdjson::dom::parser parser;
  std::size_t in_sync = 0;
  std::size_t generated_drift = 0;
  std::size_t false_drift = 0;
  std::size_t missed_drift = 0;
  std::size_t compiled_bytes = 0;
  std::string first_false;
  std::map<std::string, std::size_t> false_by_kind;
  f->targets.reserve(f->corpus.objects.size());
  for (std::size_t i = 0; i < f->corpus.objects.size(); ++i) {
    const auto& obj = f->corpus.objects[i];
    auto target = hashing::PrepareTarget(obj.git, f->policy, f->hasher, "");
    if (!target) {
      Die("PrepareTarget: " + target.error().message);
    }
    f->targets.push_back(std::move(*target));
    f->all.push_back(i);
    f->by_kind[obj.kind].push_back(i);
    f->max_live = std::max(f->max_live, obj.live.size());

    simdjson::dom::element root;
    if (parser.parse(obj.live).get(root) != simdjson::SUCCESS) {
      Die("generated JSON does not parse: " + obj.kind);
    }
    const hashing::LiveDigests d = engine.Digest(f->targets.back(), root);
    // The compiled fast path must give what the full walk gives (a target without its compiled
    // form takes the full walk).
    hashing::Target plain = f->targets.back();
    plain.compiled.reset();
    const hashing::LiveDigests full = engine.Digest(plain, root);
    if (!(full.declared == d.declared && full.live_only == d.live_only &&
          full.in_sync == d.in_sync && full.restarted == d.restarted)) {
      Die("fast path and full walk disagree on " + obj.kind + " #" + std::to_string(i));
    }
    compiled_bytes += hashing::CompiledTargetBytes(f->targets.back());
    in_sync += d.in_sync ? 1 : 0;
    generated_drift += obj.drifted ? 1 : 0;
    if (!obj.drifted && !d.in_sync) {
      ++false_by_kind[obj.kind];
      if (false_drift++ == 0) {
        const hashing::Verdict v = engine.Compare(f->targets.back(), root);
        first_false = v.id.DisplayName() + (v.paths.empty() ? "" : " at " + v.paths[0].pointer);
      }
    }
    missed_drift += obj.drifted && d.in_sync ? 1 : 0;
  }
  // Per kind: count, median and mean live size, false drift (generated in sync, digest says not).
  for (const auto& [kind, indices] : f->by_kind) {
    std::vector<std::size_t> sizes;
    double sum = 0;
    for (std::size_t i : indices) {
      sizes.push_back(f->corpus.objects[i].live.size());
      sum += static_cast<double>(sizes.back());
    }
    std::sort(sizes.begin(), sizes.end());
    std::fprintf(stderr,
                 "  %-15s %5zu objects  median %7zu B  p90 %7zu B  mean %7.0f B  %5.1f MB  "
                 "false drift %zu\n",
                 kind.c_str(), indices.size(), sizes[sizes.size() / 2],
                 sizes[sizes.size() * 9 / 10], sum / static_cast<double>(sizes.size()), sum / 1e6,
                 false_by_kind[kind]);
  }
  std::fprintf(stderr,
               "corpus: %zu objects, %.1f MB live JSON (mean %.0f B, max %zu B), %.1f MB Git JSON; "
               "model: %s\n"
               "engine: %zu in sync, %zu drifted (%zu generated with drift); "
               "false drift %zu%s%s, missed drift %zu; fast path agrees with the full walk\n"
               "compiled targets: %.1f MB (mean %.0f B per target)\n",
               f->corpus.objects.size(), static_cast<double>(f->corpus.live_bytes) / 1e6,
               static_cast<double>(f->corpus.live_bytes) /
                   static_cast<double>(std::max<std::size_t>(f->corpus.objects.size(), 1)),
               f->max_live, static_cast<double>(f->corpus.git_bytes) / 1e6, source.c_str(), in_sync,
               f->corpus.objects.size() - in_sync, generated_drift, false_drift,
               first_false.empty() ? "" : " (first: ",
               first_false.empty() ? "" : (first_false + ")").c_str(), missed_drift,
               static_cast<double>(compiled_bytes) / 1e6,
               static_cast<double>(compiled_bytes) /
                   static_cast<double>(std::max<std::size_t>(f->corpus.objects.size(), 1)));
  return f;
}

const Fixture& GetFixture() {
  static const Fixture* fixture = BuildFixture();
  return *fixture;
}

enum class Mode { kParse, kDigest, kCompare };

// Cycles `indices` of the corpus; every iteration is one object: parse, then (per mode) digest
// or compare. One dom::parser and one Engine reused, as in the agent.
void LiveLoop(benchmark::State& state, const std::vector<std::size_t>& indices, Mode mode) {
  const Fixture& f = GetFixture();
  if (indices.empty()) {
    state.SkipWithError("no objects of this kind in the corpus");
    return;
  }
  simdjson::dom::parser parser;
  if (parser.allocate(f.max_live) != simdjson::SUCCESS) {
    state.SkipWithError("parser.allocate failed");
    return;
  }
  hashing::Engine engine(f.policy, f.hasher);
  std::size_t next = 0;
  std::int64_t bytes = 0;
  std::int64_t items = 0;
  for (auto _ : state) {  // NOLINT(clang-analyzer-deadcode.DeadStores): the loop idiom
    const std::size_t i = indices[next];
    next = next + 1 == indices.size() ? 0 : next + 1;
    const simdjson::padded_string& doc = f.corpus.objects[i].live;
    simdjson::dom::element root;
    if (parser.parse(doc).get(root) != simdjson::SUCCESS) {
      state.SkipWithError("parse failed");
      break;
    }
    switch (mode) {
      case Mode::kParse:
        benchmark::DoNotOptimize(root);
        break;
      case Mode::kDigest: {
        hashing::LiveDigests d = engine.Digest(f.targets[i], root);
        benchmark::DoNotOptimize(d);
        break;
      }
      case Mode::kCompare: {
        hashing::Verdict v = engine.Compare(f.targets[i], root);
        benchmark::DoNotOptimize(v);
        break;
      }
    }
    bytes += static_cast<std::int64_t>(doc.size());
    ++items;
  }
  state.SetBytesProcessed(bytes);
  state.SetItemsProcessed(items);
  state.counters["objects"] = static_cast<double>(indices.size());
}

// NOLINTNEXTLINE(readability-identifier-naming): Google Benchmark names benchmarks BM_*.
void BM_SimdjsonParse(benchmark::State& state) { LiveLoop(state, GetFixture().all, Mode::kParse); }
BENCHMARK(BM_SimdjsonParse);

// NOLINTNEXTLINE(readability-identifier-naming): Google Benchmark names benchmarks BM_*.
void BM_LiveDigest(benchmark::State& state) { LiveLoop(state, GetFixture().all, Mode::kDigest); }
BENCHMARK(BM_LiveDigest);

// NOLINTNEXTLINE(readability-identifier-naming): Google Benchmark names benchmarks BM_*.
void BM_LiveCompare(benchmark::State& state) { LiveLoop(state, GetFixture().all, Mode::kCompare); }
BENCHMARK(BM_LiveCompare);

// NOLINTNEXTLINE(readability-identifier-naming): Google Benchmark names benchmarks BM_*.
void BM_PrepareTarget(benchmark::State& state) {
  const Fixture& f = GetFixture();
  std::size_t next = 0;
  std::int64_t bytes = 0;
  std::int64_t items = 0;
  for (auto _ : state) {  // NOLINT(clang-analyzer-deadcode.DeadStores): the loop idiom
    const bench::CorpusObject& obj = f.corpus.objects[next];
    next = next + 1 == f.corpus.objects.size() ? 0 : next + 1;
    auto target = hashing::PrepareTarget(obj.git, f.policy, f.hasher, "");
    benchmark::DoNotOptimize(target);
    bytes += static_cast<std::int64_t>(obj.git_bytes);
    ++items;
  }
  state.SetBytesProcessed(bytes);
  state.SetItemsProcessed(items);
}
BENCHMARK(BM_PrepareTarget);

// Per kind: where the digest walk costs more than the parse.
// NOLINTNEXTLINE(readability-identifier-naming): Google Benchmark names benchmarks BM_*.
void BM_SimdjsonParseKind(benchmark::State& state, const char* kind) {
  const auto& by_kind = GetFixture().by_kind;
  auto it = by_kind.find(kind);
  LiveLoop(state, it == by_kind.end() ? std::vector<std::size_t>() : it->second, Mode::kParse);
}
// NOLINTNEXTLINE(readability-identifier-naming): Google Benchmark names benchmarks BM_*.
void BM_LiveDigestKind(benchmark::State& state, const char* kind) {
  const auto& by_kind = GetFixture().by_kind;
  auto it = by_kind.find(kind);
  LiveLoop(state, it == by_kind.end() ? std::vector<std::size_t>() : it->second, Mode::kDigest);
}

#define PLUMBLINE_BENCH_KIND(kind)                      \
  BENCHMARK_CAPTURE(BM_SimdjsonParseKind, kind, #kind); \
  BENCHMARK_CAPTURE(BM_LiveDigestKind, kind, #kind)

PLUMBLINE_BENCH_KIND(Deployment);
PLUMBLINE_BENCH_KIND(StatefulSet);
PLUMBLINE_BENCH_KIND(DaemonSet);
PLUMBLINE_BENCH_KIND(Service);
PLUMBLINE_BENCH_KIND(ConfigMap);
PLUMBLINE_BENCH_KIND(Secret);
PLUMBLINE_BENCH_KIND(ServiceAccount);
PLUMBLINE_BENCH_KIND(Role);
PLUMBLINE_BENCH_KIND(RoleBinding);
PLUMBLINE_BENCH_KIND(ServiceMonitor);
PLUMBLINE_BENCH_KIND(PrometheusRule);

}  // namespace
