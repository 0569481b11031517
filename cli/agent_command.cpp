// `plumbline agent`: the wiring (STYLE.md §1: only main connects concrete sinks to the agent).
#include <cctype>
#include <csignal>
#include <cstdio>
#include <memory>
#include <utility>  // before Asio (asio#944)

#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <spdlog/pattern_formatter.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include "plumbline/agent/agent.h"
#include "plumbline/agent/json_lines_sink.h"
#include "plumbline/agent/kube_config.h"
#include "plumbline/exporters/metrics.h"
#include "plumbline/render/bundle.h"
#include "plumbline/render/secret_key.h"

#include "agent_config.h"
#include "commands.h"
#include "options.h"
#include "policy_file.h"
#include "sinks_config.h"

namespace plumbline::cli {
namespace {

bool IsJsonNumber(std::string_view v) {
  std::size_t i = v.starts_with('-') ? 1 : 0;
  const std::size_t digits = i;
  while (i < v.size() && v[i] >= '0' && v[i] <= '9') {
    ++i;
  }
  if (i == digits || (v[digits] == '0' && i - digits > 1)) {
    return false;
  }
  if (i < v.size() && v[i] == '.') {
    const std::size_t fraction = ++i;
    while (i < v.size() && v[i] >= '0' && v[i] <= '9') {
      ++i;
    }
    if (i == fraction) {
      return false;
    }
  }
  return i == v.size();
}

// The libraries log `key=value` pairs (STYLE.md §6; a value with spaces is "quoted", with \"
// and \\ escapes). Each pair becomes a JSON member, numbers unquoted:
// msg="targets loaded" resources=7 -> "msg":"targets loaded","resources":7. A payload that is
// not all pairs is kept whole as "msg".
std::string LogMembers(std::string_view payload) {
  std::string out;
  std::size_t i = 0;
  bool first = true;
  bool has_msg = false;
  while (i < payload.size()) {
    while (i < payload.size() && payload[i] == ' ') {
      ++i;
    }
    if (i == payload.size()) {
      break;
    }
    const std::size_t key_start = i;
    while (i < payload.size() && (std::isalnum(static_cast<unsigned char>(payload[i])) ||
                                  payload[i] == '_' || payload[i] == '.' || payload[i] == '-')) {
      ++i;
    }
    if (i == key_start || i == payload.size() || payload[i] != '=') {
      out.clear();
      break;
    }
    const std::string_view key = payload.substr(key_start, i - key_start);
    ++i;
    std::string value;
    bool quoted = false;
    if (i < payload.size() && payload[i] == '"') {
      quoted = true;
      ++i;
      bool closed = false;
      while (i < payload.size()) {
        const char c = payload[i++];
        if (c == '\\' && i < payload.size()) {
          value.push_back(payload[i++]);
        } else if (c == '"') {
          closed = true;
          break;
        } else {
          value.push_back(c);
        }
      }
      if (!closed || (i < payload.size() && payload[i] != ' ')) {
        out.clear();
        break;
      }
    } else {
      const std::size_t end = std::min(payload.find(' ', i), payload.size());
      value = payload.substr(i, end - i);
      i = end;
    }
    if (!first) {
      out.push_back(',');
    }
    first = false;
    has_msg = has_msg || key == "msg";
    AppendJsonString(out, key);
    out.push_back(':');
    if (!quoted && IsJsonNumber(value)) {
      out += value;
    } else {
      AppendJsonString(out, value);
    }
  }
  if (out.empty() || !has_msg) {
    std::string whole = "\"msg\":";
    AppendJsonString(whole, payload);
    if (!out.empty()) {
      whole += "," + out;  // pairs without a msg= of their own
    }
    return whole;
  }
  return out;
}

// Log lines are JSON objects: {"time":..,"level":..,"logger":..,"msg":..,"key":value,...}.
class JsonMessageFlag : public spdlog::custom_flag_formatter {
 public:
  void format(const spdlog::details::log_msg& msg, const std::tm&,
              spdlog::memory_buf_t& dest) override {
    const std::string members =
        LogMembers(std::string_view(msg.payload.data(), msg.payload.size()));
    dest.append(members.data(), members.data() + members.size());
  }
  std::unique_ptr<custom_flag_formatter> clone() const override {
    return std::make_unique<JsonMessageFlag>();
  }
};

void ConfigureLogging(const std::string& level) {
  // Every log line on stderr: stdout may carry the event stream (--events-file -). spdlog's
  // own default logger writes to stdout, so the delivery logger and the default are replaced.
  if (!spdlog::get("delivery")) {
    spdlog::set_default_logger(spdlog::stderr_logger_mt("delivery"));
  }
  auto formatter =
      std::make_unique<spdlog::pattern_formatter>(spdlog::pattern_time_type::utc, "\n");
  formatter->add_flag<JsonMessageFlag>('*').set_pattern(
      R"({"time":"%Y-%m-%dT%H:%M:%S.%eZ","level":"%l","logger":"%n",%*})");
  spdlog::set_formatter(std::move(formatter));
  spdlog::set_level(spdlog::level::from_str(level));
}

}  // namespace

int AgentCommand(const std::vector<std::string>& argv) {
  auto args = ParseArgs(argv, {"--targets", "-n", "--namespace", "--revision", "--kubeconfig",
                               "--context", "--policy", "--cluster-name", "--events-file",
                               "--config", "--metrics-addr", "--hmac-key-file", "--log-level",
                               "--targets-poll-interval", "--spool-dir", "--collector-url"});
  if (!args) {
    return Fail("agent: " + args.error().message);
  }
  if (!args->positional.empty()) {
    return Fail("agent: unexpected argument " + args->positional.front());
  }
  AgentConfig config;
  if (args->Has("--config")) {
    auto loaded = LoadAgentConfig(args->Get("--config"));
    if (!loaded) {
      return Fail(loaded.error().message);
    }
    config = std::move(*loaded);
  }
  // Flags override the file.
  auto flag = [&](const char* name, std::string& field) {
    if (args->Has(name)) {
      field = args->Get(name);
    }
  };
  flag("--targets", config.agent.targets);
  flag("-n", config.agent.namespace_);
  flag("--namespace", config.agent.namespace_);
  flag("--revision", config.agent.revision);
  flag("--kubeconfig", config.kubeconfig);
  flag("--context", config.context);
  flag("--policy", config.policy_file);
  flag("--cluster-name", config.agent.cluster_name);
  flag("--events-file", config.events_file);
  flag("--metrics-addr", config.agent.status_address);
  flag("--hmac-key-file", config.hmac_key_file);
  flag("--log-level", config.log_level);
  flag("--spool-dir", config.spool_dir);
  if (args->Has("--collector-url")) {
    hashing::Value collector = hashing::Value::MakeObject();
    collector.Set("type", hashing::Value::String("collector"));
    collector.Set("url", hashing::Value::String(args->Get("--collector-url")));
    config.sinks.push_back(std::move(collector));
  }
  if (args->Has("--policy")) {
    config.policy_inline.reset();
  }
  if (args->Has("--targets-poll-interval")) {
    auto d = ParseDuration(hashing::Value::String(args->Get("--targets-poll-interval")),
                           "--targets-poll-interval");
    if (!d) {
      return Fail("agent: " + d.error().message);
    }
    config.agent.targets_poll_interval = *d;
  }
  if (config.agent.targets.empty()) {
    return Fail("agent: --targets SOURCE|BUNDLE is required (or targets.source in --config)");
  }
  if (spdlog::level::from_str(config.log_level) == spdlog::level::off &&
      config.log_level != "off") {
    return Fail("agent: --log-level must be trace, debug, info, warn, error or off");
  }
  ConfigureLogging(config.log_level);

  Result<hashing::Policy> policy = config.policy_inline
                                       ? hashing::ParsePolicy(*config.policy_inline)
                                       : LoadPolicyFile(config.policy_file);
  if (!policy) {
    return Fail("agent: policy: " + policy.error().message);
  }
  const std::string key_path =
      config.hmac_key_file.empty() ? render::DefaultKeyPath() : config.hmac_key_file;
  auto key = render::LoadOrCreateKey(key_path, /*create=*/true);
  if (!key) {
    return Fail("agent: " + key.error().message);
  }
  render::HmacSecretHasher hasher(*key);
  config.agent.hmac_key_id = render::KeyId(*key);

  exporters::MetricsOptions metrics_options;
  metrics_options.version = PLUMBLINE_VERSION;
  metrics_options.per_resource_series = config.per_resource_series;
  metrics_options.per_resource_series_limit = config.per_resource_series_limit;
  exporters::PrometheusTelemetry telemetry(metrics_options);

  boost::asio::io_context io;
  auto owned_sinks = BuildSinks(io, config, telemetry);
  if (!owned_sinks) {
    return Fail("agent: " + owned_sinks.error().message);
  }
  // JSON lines go to --events-file, or to stdout when no other sink is configured.
  if (!config.events_file.empty() || owned_sinks->empty()) {
    auto jsonl = agent::JsonLinesSink::Open(config.events_file, telemetry);
    if (!jsonl) {
      return Fail("agent: " + jsonl.error().message);
    }
    owned_sinks->push_back(std::move(*jsonl));
  }
  std::vector<EventSink*> sinks;
  for (auto& sink : *owned_sinks) {
    sinks.push_back(sink.get());
  }

  agent::ClusterConfigOptions cluster_options;
  cluster_options.kubeconfig = config.kubeconfig;
  cluster_options.context = config.context;
  auto cluster = agent::LoadClusterConfig(cluster_options);
  if (!cluster) {
    return Fail("agent: " + cluster.error().message);
  }

  agent::Agent agent(io, config.agent, std::move(*cluster), *policy, hasher, sinks, telemetry);
  agent.HandleStatus("/metrics", [&telemetry] {
    return agent::StatusResponse{200, std::string(exporters::kMetricsContentType),
                                 telemetry.RenderMetrics()};
  });
  if (Status s = agent.Start(); !s) {
    return Fail("agent: " + s.error().message);
  }
  boost::asio::signal_set signals(io, SIGTERM, SIGINT);
  signals.async_wait([&agent](const boost::system::error_code& ec, int signal) {
    if (!ec) {
      spdlog::info("msg=\"signal received; shutting down\" signal={}", signal);
      agent.Stop();
    }
  });
  std::signal(SIGPIPE, SIG_IGN);
  try {
    io.run();
  } catch (const std::exception& e) {
    spdlog::critical("msg=\"agent loop failed\" error=\"{}\"", e.what());
    return 3;
  }
  spdlog::info("msg=\"stopped\"");
  return 0;
}

}  // namespace plumbline::cli
