#include "agent_config.h"

#include <cstdlib>
#include <fstream>
#include <iterator>
#include <set>

#include "plumbline/render/yaml_reader.h"

namespace plumbline::cli {
namespace {

using hashing::Value;

Error KeyError(const std::string& where, const std::string& key, const std::string& what) {
  return Error{ErrorCode::kInvalidArgument, "config " + where + ": " + key + ": " + what};
}

Status CheckKeys(const Value& map, const std::set<std::string>& known, const std::string& where,
                 const std::string& prefix) {
  for (const auto& [key, value] : map.members()) {
    if (!known.contains(key)) {
      std::string list;
      for (const auto& k : known) {
        list += (list.empty() ? "" : ", ") + k;
      }
      return KeyError(where, prefix + key, "unknown key (known: " + list + ")");
    }
  }
  return Status::Ok();
}

Result<std::string> GetString(const Value& map, const std::string& name, const std::string& where,
                              const std::string& key) {
  const Value* v = map.Find(name);
  if (v == nullptr || v->is_null()) {
    return std::string();
  }
  if (!v->is_string()) {
    return KeyError(where, key, "must be a string");
  }
  return v->text();
}

Result<bool> GetBool(const Value& map, const std::string& name, bool fallback,
                     const std::string& where, const std::string& key) {
  const Value* v = map.Find(name);
  if (v == nullptr || v->is_null()) {
    return fallback;
  }
  if (!v->is_bool()) {
    return KeyError(where, key, "must be true or false");
  }
  return v->bool_value();
}

Result<double> GetNumber(const Value& map, const std::string& name, double fallback,
                         const std::string& where, const std::string& key) {
  const Value* v = map.Find(name);
  if (v == nullptr || v->is_null()) {
    return fallback;
  }
  if (!v->is_number()) {
    return KeyError(where, key, "must be a number");
  }
  char* end = nullptr;
  const double d = std::strtod(v->text().c_str(), &end);
  if (end == v->text().c_str() || d < 0) {
    return KeyError(where, key, "must be a non-negative number");
  }
  return d;
}

}  // namespace

Result<std::chrono::milliseconds> ParseDuration(const Value& v, const std::string& key) {
  std::string text = v.text();
  if (!v.is_string() && !v.is_number()) {
    return MakeError(ErrorCode::kInvalidArgument, key + ": must be a duration like 10s");
  }
  double factor = 1000;
  for (const auto& [suffix, f] : std::initializer_list<std::pair<const char*, double>>{
           {"ms", 1}, {"s", 1000}, {"m", 60'000}, {"h", 3'600'000}}) {
    const std::string s = suffix;
    if (text.size() > s.size() && text.compare(text.size() - s.size(), s.size(), s) == 0) {
      // "ms" before "s" and "m": the first suffix that matches wins.
      text = text.substr(0, text.size() - s.size());
      factor = f;
      break;
    }
  }
  char* end = nullptr;
  const double n = std::strtod(text.c_str(), &end);
  if (text.empty() || end != text.c_str() + text.size() || n < 0) {
    return MakeError(ErrorCode::kInvalidArgument,
                     key + ": \"" + v.text() + "\" is not a duration (10s, 500ms, 2m, 1h)");
  }
  return std::chrono::milliseconds(static_cast<std::int64_t>(n * factor));
}

Status SubstituteEnv(Value& v, const std::string& key) {
  if (v.is_string()) {
    const std::string& in = v.text();
    if (in.find('$') == std::string::npos) {
      return Status::Ok();
    }
    std::string out;
    for (std::size_t i = 0; i < in.size(); ++i) {
      if (in.compare(i, 3, "$${") == 0) {
        out += "${";
        i += 2;
        continue;
      }
      if (in.compare(i, 2, "${") == 0) {
        const auto close = in.find('}', i + 2);
        if (close == std::string::npos) {
          return MakeError(ErrorCode::kInvalidArgument,
                           key + ": unterminated ${ in \"" + in + "\"");
        }
        const std::string name = in.substr(i + 2, close - i - 2);
        const char* value = std::getenv(name.c_str());
        if (value == nullptr) {
          return MakeError(ErrorCode::kInvalidArgument,
                           key + ": environment variable " + name + " is not set");
        }
        out += value;
        i = close;
        continue;
      }
      out.push_back(in[i]);
    }
    v = Value::String(std::move(out));
    return Status::Ok();
  }
  if (v.is_array()) {
    for (std::size_t i = 0; i < v.items().size(); ++i) {
      PLUMBLINE_RETURN_IF_ERROR(SubstituteEnv(v.items()[i], key + "[" + std::to_string(i) + "]"));
    }
  } else if (v.is_object()) {
    for (auto& [k, member] : v.members()) {
      PLUMBLINE_RETURN_IF_ERROR(SubstituteEnv(member, key.empty() ? k : key + "." + k));
    }
  }
  return Status::Ok();
}

Result<AgentConfig> LoadAgentConfig(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return MakeError(ErrorCode::kIo, "config " + path + ": cannot read the file");
  }
  const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  auto parsed = render::ParseYamlStream(text);
  if (!parsed) {
    return MakeError(ErrorCode::kInvalidArgument, "config " + path + ": " + parsed.error().message);
  }
  if (parsed->size() != 1) {
    return MakeError(
        ErrorCode::kInvalidArgument,
        "config " + path + ": expected one YAML document, found " + std::to_string(parsed->size()));
  }
  return ParseAgentConfig(std::move(parsed->front().value), path);
}

Result<AgentConfig> ParseAgentConfig(Value doc, const std::string& where) {
  AgentConfig c;
  if (doc.is_null()) {
    return c;
  }
  if (!doc.is_object()) {
    return MakeError(ErrorCode::kInvalidArgument, "config " + where + ": must be a YAML map");
  }
  PLUMBLINE_RETURN_IF_ERROR(SubstituteEnv(doc, ""));
  PLUMBLINE_RETURN_IF_ERROR(
      CheckKeys(doc,
                {"cluster", "targets", "policy", "hmacKeyFile", "kubeconfig", "context", "api",
                 "metrics", "events", "orphanKinds", "sinks", "spool", "log", "leaderElection"},
                where, ""));
  auto cluster = GetString(doc, "cluster", where, "cluster");
  if (!cluster) {
    return cluster.error();
  }
  if (!cluster->empty()) {
    c.agent.cluster_name = *cluster;
  }
  for (const auto& [name, field] : std::initializer_list<std::pair<const char*, std::string*>>{
           {"hmacKeyFile", &c.hmac_key_file},
           {"kubeconfig", &c.kubeconfig},
           {"context", &c.context}}) {
    auto s = GetString(doc, name, where, name);
    if (!s) {
      return s.error();
    }
    *field = *s;
  }

  if (const Value* targets = doc.Find("targets"); targets != nullptr && !targets->is_null()) {
    const Value* t = targets;
    std::string prefix = "targets.";
    if (targets->is_array()) {
      if (targets->items().size() != 1) {
        return KeyError(where, "targets", "exactly one target source is supported");
      }
      t = &targets->items()[0];
      prefix = "targets[0].";
    }
    if (!t->is_object()) {
      return KeyError(where, "targets", "must be a map with source:");
    }
    PLUMBLINE_RETURN_IF_ERROR(
        CheckKeys(*t, {"source", "namespace", "revision", "pollInterval"}, where, prefix));
    for (const auto& [name, field] : std::initializer_list<std::pair<const char*, std::string*>>{
             {"source", &c.agent.targets},
             {"namespace", &c.agent.namespace_},
             {"revision", &c.agent.revision}}) {
      auto s = GetString(*t, name, where, prefix + name);
      if (!s) {
        return s.error();
      }
      *field = *s;
    }
    if (const Value* poll = t->Find("pollInterval"); poll != nullptr) {
      auto d = ParseDuration(*poll, "config " + where + ": " + prefix + "pollInterval");
      if (!d) {
        return d.error();
      }
      c.agent.targets_poll_interval = *d;
    }
  }

  if (const Value* policy = doc.Find("policy"); policy != nullptr && !policy->is_null()) {
    if (policy->is_string()) {
      c.policy_file = policy->text();
    } else if (policy->is_object()) {
      c.policy_inline = *policy;
    } else {
      return KeyError(where, "policy", "must be a file path or an inline policy map");
    }
  }

  if (const Value* api = doc.Find("api"); api != nullptr && !api->is_null()) {
    if (!api->is_object()) {
      return KeyError(where, "api", "must be a map");
    }
    PLUMBLINE_RETURN_IF_ERROR(
        CheckKeys(*api, {"qps", "burst", "pageSize", "watchList", "timeout"}, where, "api."));
    auto qps = GetNumber(*api, "qps", c.agent.api.qps, where, "api.qps");
    auto burst = GetNumber(*api, "burst", c.agent.api.burst, where, "api.burst");
    auto page =
        GetNumber(*api, "pageSize", static_cast<double>(c.agent.page_size), where, "api.pageSize");
    auto watch_list = GetBool(*api, "watchList", c.agent.use_watch_list, where, "api.watchList");
    if (!qps) {
      return qps.error();
    }
    if (!burst) {
      return burst.error();
    }
    if (!page) {
      return page.error();
    }
    if (!watch_list) {
      return watch_list.error();
    }
    c.agent.api.qps = *qps;
    c.agent.api.burst = static_cast<int>(*burst);
    c.agent.page_size = static_cast<std::size_t>(*page);
    c.agent.use_watch_list = *watch_list;
    if (const Value* timeout = api->Find("timeout"); timeout != nullptr) {
      auto d = ParseDuration(*timeout, "config " + where + ": api.timeout");
      if (!d) {
        return d.error();
      }
      c.agent.api.request_timeout = *d;
    }
  }

  if (const Value* metrics = doc.Find("metrics"); metrics != nullptr && !metrics->is_null()) {
    if (!metrics->is_object()) {
      return KeyError(where, "metrics", "must be a map");
    }
    PLUMBLINE_RETURN_IF_ERROR(CheckKeys(
        *metrics, {"address", "perResourceSeries", "perResourceSeriesLimit"}, where, "metrics."));
    auto address = GetString(*metrics, "address", where, "metrics.address");
    if (!address) {
      return address.error();
    }
    if (!address->empty()) {
      c.agent.status_address = *address;
    }
    auto per = GetBool(*metrics, "perResourceSeries", false, where, "metrics.perResourceSeries");
    if (!per) {
      return per.error();
    }
    c.per_resource_series = *per;
    auto limit =
        GetNumber(*metrics, "perResourceSeriesLimit", 500, where, "metrics.perResourceSeriesLimit");
    if (!limit) {
      return limit.error();
    }
    c.per_resource_series_limit = static_cast<std::size_t>(*limit);
  }

  if (const Value* events = doc.Find("events"); events != nullptr && !events->is_null()) {
    if (!events->is_object()) {
      return KeyError(where, "events", "must be a map");
    }
    PLUMBLINE_RETURN_IF_ERROR(CheckKeys(*events, {"file"}, where, "events."));
    auto file = GetString(*events, "file", where, "events.file");
    if (!file) {
      return file.error();
    }
    c.events_file = *file;
  }

  if (const Value* log = doc.Find("log"); log != nullptr && !log->is_null()) {
    if (!log->is_object()) {
      return KeyError(where, "log", "must be a map");
    }
    PLUMBLINE_RETURN_IF_ERROR(CheckKeys(*log, {"level"}, where, "log."));
    auto level = GetString(*log, "level", where, "log.level");
    if (!level) {
      return level.error();
    }
    if (!level->empty()) {
      c.log_level = *level;
    }
  }

  if (const Value* kinds = doc.Find("orphanKinds"); kinds != nullptr && !kinds->is_null()) {
    if (!kinds->is_array()) {
      return KeyError(where, "orphanKinds", "must be a list of Kind or Kind.group");
    }
    for (const Value& k : kinds->items()) {
      if (!k.is_string() || k.text().empty()) {
        return KeyError(where, "orphanKinds", "must be a list of Kind or Kind.group");
      }
      c.agent.orphan_kinds.push_back(k.text());
    }
  }

  if (const Value* sinks = doc.Find("sinks"); sinks != nullptr && !sinks->is_null()) {
    if (!sinks->is_array()) {
      return KeyError(where, "sinks", "must be a list");
    }
    for (std::size_t i = 0; i < sinks->items().size(); ++i) {
      const Value& s = sinks->items()[i];
      if (!s.is_object() || s.GetString("type").empty()) {
        return KeyError(where, "sinks[" + std::to_string(i) + "]", "must be a map with type:");
      }
      c.sinks.push_back(s);
    }
  }

  if (const Value* spool = doc.Find("spool"); spool != nullptr && !spool->is_null()) {
    if (!spool->is_object()) {
      return KeyError(where, "spool", "must be a map");
    }
    PLUMBLINE_RETURN_IF_ERROR(CheckKeys(*spool, {"dir", "maxBytes"}, where, "spool."));
    auto dir = GetString(*spool, "dir", where, "spool.dir");
    if (!dir) {
      return dir.error();
    }
    c.spool_dir = *dir;
    auto max = GetNumber(*spool, "maxBytes", static_cast<double>(c.spool_max_bytes), where,
                         "spool.maxBytes");
    if (!max) {
      return max.error();
    }
    c.spool_max_bytes = static_cast<std::uint64_t>(*max);
  }

  if (const Value* le = doc.Find("leaderElection"); le != nullptr && !le->is_null()) {
    if (!le->is_object()) {
      return KeyError(where, "leaderElection", "must be a map");
    }
    PLUMBLINE_RETURN_IF_ERROR(CheckKeys(*le,
                                        {"enabled", "leaseName", "leaseNamespace", "identity",
                                         "leaseDuration", "renewDeadline", "retryPeriod"},
                                        where, "leaderElection."));
    auto& election = c.agent.leader_election;
    auto enabled = GetBool(*le, "enabled", false, where, "leaderElection.enabled");
    if (!enabled) {
      return enabled.error();
    }
    election.enabled = *enabled;
    for (auto [name, field] : {std::pair{"leaseName", &election.lease_name},
                               std::pair{"leaseNamespace", &election.lease_namespace},
                               std::pair{"identity", &election.identity}}) {
      if (le->Find(name) == nullptr) {
        continue;
      }
      auto text = GetString(*le, name, where, std::string("leaderElection.") + name);
      if (!text) {
        return text.error();
      }
      *field = *text;
    }
    for (auto [name, field] : {std::pair{"leaseDuration", &election.lease_duration},
                               std::pair{"renewDeadline", &election.renew_deadline},
                               std::pair{"retryPeriod", &election.retry_period}}) {
      if (const Value* v = le->Find(name); v != nullptr) {
        auto d = ParseDuration(*v, "config " + where + ": leaderElection." + name);
        if (!d) {
          return d.error();
        }
        *field = *d;
      }
    }
    if (election.enabled) {
      if (Status st = agent::ValidateLeaderElection(election); !st) {
        return KeyError(where, "leaderElection", st.error().message);
      }
    }
  }
  return c;
}

}  // namespace plumbline::cli
