#include "sinks_config.h"

#include <set>
#include <utility>  // before Asio (asio#944)

#include "plumbline/exporters/alertmanager_sink.h"
#include "plumbline/exporters/collector_sink.h"
#include "plumbline/exporters/slack_sink.h"
#include "plumbline/exporters/webhook_sink.h"

namespace plumbline::cli {
namespace {

using hashing::Value;

// Reads one sink's map, remembering which keys were used so unknown ones can be named.
class SinkReader {
 public:
  SinkReader(const Value& map, std::string where) : map_(map), where_(std::move(where)) {}

  Status String(const char* key, std::string& out, bool required = false) {
    used_.insert(key);
    const Value* v = map_.Find(key);
    if (v == nullptr || v->is_null()) {
      if (required) {
        return Fail(key, "is required");
      }
      return Status::Ok();
    }
    if (!v->is_string()) {
      return Fail(key, "must be a string");
    }
    out = v->text();
    return Status::Ok();
  }
  Status Bool(const char* key, bool& out) {
    used_.insert(key);
    const Value* v = map_.Find(key);
    if (v == nullptr || v->is_null()) {
      return Status::Ok();
    }
    if (!v->is_bool()) {
      return Fail(key, "must be true or false");
    }
    out = v->bool_value();
    return Status::Ok();
  }
  Status Duration(const char* key, std::chrono::milliseconds& out) {
    used_.insert(key);
    const Value* v = map_.Find(key);
    if (v == nullptr || v->is_null()) {
      return Status::Ok();
    }
    auto d = ParseDuration(*v, where_ + "." + key);
    if (!d) {
      return d.error();
    }
    out = *d;
    return Status::Ok();
  }
  Status StringMap(const char* key, std::vector<std::pair<std::string, std::string>>& out) {
    used_.insert(key);
    const Value* v = map_.Find(key);
    if (v == nullptr || v->is_null()) {
      return Status::Ok();
    }
    if (!v->is_object()) {
      return Fail(key, "must be a map of strings");
    }
    for (const auto& [k, value] : v->members()) {
      if (!value.is_string()) {
        return Fail(std::string(key) + "." + k, "must be a string");
      }
      out.emplace_back(k, value.text());
    }
    return Status::Ok();
  }
  Status Route(exporters::RouteOptions& route) {
    used_.insert("route");
    const Value* v = map_.Find("route");
    if (v == nullptr || v->is_null()) {
      return Status::Ok();
    }
    if (!v->is_object()) {
      return Fail("route", "must be a map");
    }
    for (const auto& [k, list] : v->members()) {
      std::vector<std::string>* field = k == "kinds"        ? &route.kinds
                                        : k == "namespaces" ? &route.namespaces
                                        : k == "driftKinds" ? &route.drift_kinds
                                        : k == "eventTypes" ? &route.event_types
                                                            : nullptr;
      if (field == nullptr) {
        return Fail("route." + k, "unknown key (known: driftKinds, eventTypes, kinds, namespaces)");
      }
      if (!list.is_array()) {
        return Fail("route." + k, "must be a list");
      }
      for (const Value& item : list.items()) {
        if (!item.is_string()) {
          return Fail("route." + k, "must be a list of strings");
        }
        field->push_back(item.text());
      }
    }
    return Status::Ok();
  }
  // Every key of the map must have been read.
  Status Done() const {
    for (const auto& [key, value] : map_.members()) {
      if (!used_.contains(key)) {
        std::string known;
        for (const auto& k : used_) {
          known += (known.empty() ? "" : ", ") + k;
        }
        return Error{ErrorCode::kInvalidArgument,
                     where_ + "." + key + ": unknown key (known: " + known + ")"};
      }
    }
    return Status::Ok();
  }

 private:
  Error Fail(const std::string& key, const std::string& what) const {
    return Error{ErrorCode::kInvalidArgument, where_ + "." + key + ": " + what};
  }
  const Value& map_;
  std::string where_;
  std::set<std::string> used_ = {"type"};
};

}  // namespace

Result<std::vector<std::unique_ptr<EventSink>>> BuildSinks(boost::asio::io_context& io,
                                                           const AgentConfig& config,
                                                           Telemetry& telemetry) {
  std::vector<std::unique_ptr<EventSink>> sinks;
  std::set<std::string> names;
  for (std::size_t i = 0; i < config.sinks.size(); ++i) {
    const Value& s = config.sinks[i];
    const std::string type(s.GetString("type"));
    const std::string where = "config sinks[" + std::to_string(i) + "]";
    SinkReader r(s, where);
    std::string name = type;
    PLUMBLINE_RETURN_IF_ERROR(r.String("name", name));
    if (!names.insert(type + ":" + name).second) {
      return MakeError(ErrorCode::kInvalidArgument,
                       where + ".name: another " + type + " sink is named \"" + name + "\"");
    }
    exporters::HttpSenderOptions http;
    PLUMBLINE_RETURN_IF_ERROR(r.String("caFile", http.ca_file));
    if (type == "webhook") {
      exporters::WebhookOptions o;
      o.name = name;
      o.http = http;
      PLUMBLINE_RETURN_IF_ERROR(r.String("url", o.url, true));
      PLUMBLINE_RETURN_IF_ERROR(r.StringMap("headers", o.headers));
      PLUMBLINE_RETURN_IF_ERROR(r.String("hmacSecret", o.hmac_secret));
      PLUMBLINE_RETURN_IF_ERROR(r.Bool("batch", o.batch));
      PLUMBLINE_RETURN_IF_ERROR(r.Duration("groupingWindow", o.grouping.window));
      PLUMBLINE_RETURN_IF_ERROR(r.Route(o.route));
      PLUMBLINE_RETURN_IF_ERROR(r.Done());
      auto sink = exporters::WebhookSink::Create(io, std::move(o), telemetry);
      if (!sink) {
        return MakeError(sink.error().code, where + ": " + sink.error().message);
      }
      sinks.push_back(std::move(*sink));
    } else if (type == "slack") {
      exporters::SlackOptions o;
      o.name = name;
      o.http = http;
      PLUMBLINE_RETURN_IF_ERROR(r.String("webhookUrl", o.webhook_url, true));
      PLUMBLINE_RETURN_IF_ERROR(r.Duration("groupingWindow", o.grouping.window));
      PLUMBLINE_RETURN_IF_ERROR(r.Route(o.route));
      PLUMBLINE_RETURN_IF_ERROR(r.Done());
      auto sink = exporters::SlackSink::Create(io, std::move(o), telemetry);
      if (!sink) {
        return MakeError(sink.error().code, where + ": " + sink.error().message);
      }
      sinks.push_back(std::move(*sink));
    } else if (type == "alertmanager") {
      exporters::AlertmanagerOptions o;
      o.name = name;
      o.http = http;
      PLUMBLINE_RETURN_IF_ERROR(r.String("url", o.url, true));
      PLUMBLINE_RETURN_IF_ERROR(r.StringMap("headers", o.headers));
      PLUMBLINE_RETURN_IF_ERROR(r.StringMap("labels", o.extra_labels));
      PLUMBLINE_RETURN_IF_ERROR(r.String("generatorUrl", o.generator_url));
      PLUMBLINE_RETURN_IF_ERROR(r.Duration("resendInterval", o.resend_interval));
      PLUMBLINE_RETURN_IF_ERROR(r.Route(o.route));
      PLUMBLINE_RETURN_IF_ERROR(r.Done());
      auto sink = exporters::AlertmanagerSink::Create(io, std::move(o), telemetry);
      if (!sink) {
        return MakeError(sink.error().code, where + ": " + sink.error().message);
      }
      sinks.push_back(std::move(*sink));
    } else if (type == "collector") {
      exporters::CollectorOptions o;
      o.name = name;
      o.http = http;
      PLUMBLINE_RETURN_IF_ERROR(r.String("url", o.url, true));
      PLUMBLINE_RETURN_IF_ERROR(r.String("bearerToken", o.bearer_token));
      PLUMBLINE_RETURN_IF_ERROR(r.StringMap("headers", o.headers));
      PLUMBLINE_RETURN_IF_ERROR(r.Duration("batchDelay", o.batch_delay));
      PLUMBLINE_RETURN_IF_ERROR(r.Route(o.route));
      PLUMBLINE_RETURN_IF_ERROR(r.Done());
      if (config.spool_dir.empty()) {
        return MakeError(ErrorCode::kInvalidArgument,
                         where + ": a collector needs spool.dir (or --spool-dir)");
      }
      o.spool.dir = config.spool_dir + "/" + name;
      o.spool.max_bytes = config.spool_max_bytes;
      auto sink = exporters::CollectorSink::Create(io, std::move(o), telemetry);
      if (!sink) {
        return MakeError(sink.error().code, where + ": " + sink.error().message);
      }
      sinks.push_back(std::move(*sink));
    } else {
      return MakeError(ErrorCode::kInvalidArgument,
                       where + ".type: \"" + type +
                           "\" is not a sink type (webhook, slack, alertmanager, collector)");
    }
  }
  return sinks;
}

}  // namespace plumbline::cli
