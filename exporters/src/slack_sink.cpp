#include "plumbline/exporters/slack_sink.h"

#include <utility>

#include "pipeline.h"
#include "text_util.h"

namespace plumbline::exporters {

namespace asio = boost::asio;

namespace {

constexpr std::size_t kMaxBlocks = 50;
constexpr std::size_t kMaxSectionText = 3000;
constexpr std::size_t kMaxHeaderText = 150;
constexpr std::size_t kMaxFallbackText = 3000;
constexpr std::size_t kBlocksPerEvent = 5;  // summary, changes, diff, context, divider

// Slack mrkdwn escaping: &, < and > only.
std::string Escape(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (const char c : text) {
    switch (c) {
      case '&':
        out.append("&amp;");
        break;
      case '<':
        out.append("&lt;");
        break;
      case '>':
        out.append("&gt;");
        break;
      default:
        out.push_back(c);
    }
  }
  return out;
}

// Inside `code`: escaped, and no backtick that would end the span.
std::string Code(std::string_view text) {
  std::string out = Escape(text);
  for (auto& c : out) {
    if (c == '`') {
      c = '\'';
    }
  }
  return "`" + out + "`";
}

std::string_view Emoji(const DriftEvent& e) {
  switch (e.type) {
    case EventType::kResolved:
      return ":white_check_mark:";
    case EventType::kMissing:
      return ":x:";
    case EventType::kOrphan:
    case EventType::kExtraneous:
      return ":grey_question:";
    default:
      return ":warning:";
  }
}

std::string Headline(const DriftEvent& e) {
  std::string title =
      internal::ResourceTitle(e.resource.kind, e.resource.namespace_, e.resource.name);
  if (e.type == EventType::kResolved) {
    return title + " is back in sync";
  }
  return title + " " + (e.drift_kind.empty() ? std::string("drifted") : e.drift_kind);
}

void AppendSection(std::string& blocks, std::string_view mrkdwn) {
  if (blocks.size() > 1) {
    blocks.push_back(',');
  }
  blocks.append(R"({"type":"section","text":{"type":"mrkdwn","text":)");
  AppendJsonString(blocks, internal::Truncate(mrkdwn, kMaxSectionText));
  blocks.append("}}");
}

void AppendContext(std::string& blocks, std::string_view mrkdwn) {
  blocks.append(R"(,{"type":"context","elements":[{"type":"mrkdwn","text":)");
  AppendJsonString(blocks, internal::Truncate(mrkdwn, kMaxSectionText));
  blocks.append("}]}");
}

// Appends the blocks of one event; returns how many.
std::size_t AppendEvent(std::string& blocks, const DriftEvent& e, const SlackOptions& options) {
  std::size_t count = 0;
  std::string summary = std::string(Emoji(e)) + " *" + Escape(Headline(e)) + "*";
  if (!e.message.empty()) {
    summary += "\n" + Escape(e.message);
  }
  summary += "\nCluster " + Code(e.cluster);
  if (!e.target.revision.empty() || !e.target.source.empty()) {
    summary += " · Git revision " + Code(e.target.revision.empty() ? "-" : e.target.revision);
    if (!e.target.source.empty()) {
      summary += " of " + Code(e.target.source);
    }
    if (!e.target.path.empty()) {
      summary += " (" + Code(e.target.path) + ")";
    }
  }
  AppendSection(blocks, summary);
  ++count;
  if (!e.changes.empty()) {
    std::string changes = "*Changed fields* (Git → live)";
    std::size_t shown = 0;
    for (const auto& c : e.changes) {
      if (shown == options.max_changes_per_event) {
        break;
      }
      std::string line = "\n• " + Code(c.path) + ": " +
                         Code(internal::Truncate(c.git_json.value_or("(absent)"), 200)) + " → " +
                         Code(internal::Truncate(c.live_json.value_or("(absent)"), 200));
      if (c.actor) {
        line += " by *" + Escape(c.actor->manager) + "*";
        if (!c.actor->time.empty()) {
          line += " at " + Escape(c.actor->time);
        }
      }
      if (changes.size() + line.size() > kMaxSectionText - 64) {
        break;
      }
      changes += line;
      ++shown;
    }
    if (shown < e.changes.size()) {
      changes += "\n…and " + std::to_string(e.changes.size() - shown) + " more";
    }
    AppendSection(blocks, changes);
    ++count;
  }
  if (!e.diff.empty()) {
    std::string diff = Escape(e.diff);
    for (std::size_t at = 0; (at = diff.find("```", at)) != std::string::npos;) {
      diff.replace(at, 3, "'''");
    }
    const std::size_t budget = std::min(options.max_diff_chars, kMaxSectionText - 16);
    AppendSection(blocks, "```" + internal::Truncate(diff, budget, "\n…") + "```");
    ++count;
  }
  AppendContext(blocks, "event " + Code(e.id) + " · detected " + Escape(e.time));
  blocks.append(R"(,{"type":"divider"})");
  count += 2;
  return count;
}

}  // namespace

std::string SlackMessageJson(const std::vector<std::shared_ptr<const DriftEvent>>& events,
                             const SlackOptions& options) {
  if (events.empty()) {
    return "{}";
  }
  const DriftEvent& first = *events.front();
  std::size_t drifted = 0;
  for (const auto& e : events) {
    drifted += e->type == EventType::kResolved ? 0U : 1U;
  }
  std::string header = "Plumbline: ";
  if (drifted == 0) {
    header += std::to_string(events.size()) + " resolved in " + first.cluster;
  } else {
    header += std::to_string(drifted) + (drifted == 1 ? " resource" : " resources") +
              " drifted in " + first.cluster;
    if (drifted < events.size()) {
      header += ", " + std::to_string(events.size() - drifted) + " resolved";
    }
  }
  // The fallback text: what notifications and screen readers show.
  std::string text = header + ": " + Headline(first);
  if (!first.message.empty()) {
    text += " (" + first.message + ")";
  }
  if (events.size() > 1) {
    text += " and " + std::to_string(events.size() - 1) + " more";
  }

  std::string blocks = "[";
  blocks.append(R"({"type":"header","text":{"type":"plain_text","text":)");
  AppendJsonString(blocks, internal::Truncate(header, kMaxHeaderText));
  blocks.append(R"(,"emoji":true}})");
  std::size_t used = 1;
  std::size_t shown = 0;
  for (const auto& e : events) {
    // Keep one block for the "more" note.
    if (used + kBlocksPerEvent > kMaxBlocks - 1) {
      break;
    }
    used += AppendEvent(blocks, *e, options);
    ++shown;
  }
  if (shown < events.size()) {
    AppendSection(blocks, "…and " + std::to_string(events.size() - shown) +
                              " more events not shown (limit of one Slack message)");
  }
  blocks.push_back(']');

  std::string out = "{\"text\":";
  AppendJsonString(out, internal::Truncate(Escape(text), kMaxFallbackText));
  out.append(",\"blocks\":");
  out.append(blocks);
  out.push_back('}');
  return out;
}

namespace {

class SlackDeliverer final : public internal::BatchDeliverer {
 public:
  SlackDeliverer(std::unique_ptr<HttpSender> sender, SlackOptions options)
      : sender_(std::move(sender)), options_(std::move(options)) {}

  asio::awaitable<internal::Outcome> Deliver(internal::Batch batch) override {
    HttpRequest request;
    request.content_type = "application/json; charset=utf-8";
    request.body = SlackMessageJson(batch, options_);
    Result<HttpResponse> response = co_await sender_->Send(std::move(request));
    co_return internal::ClassifyHttp(response);
  }

  void Abort() override { sender_->Close(); }

 private:
  std::unique_ptr<HttpSender> sender_;
  SlackOptions options_;
};

}  // namespace

Result<std::unique_ptr<SlackSink>> SlackSink::Create(asio::io_context& io, SlackOptions options,
                                                     Telemetry& telemetry) {
  Result<Url> url = ParseUrl(options.webhook_url);
  if (!url) {
    return MakeError(url.error().code, "slack " + options.name + ": " + url.error().message);
  }
  Result<std::unique_ptr<HttpSender>> sender = HttpSender::Create(io, *url, options.http);
  if (!sender) {
    return MakeError(sender.error().code, "slack " + options.name + ": " + sender.error().message);
  }
  internal::PipelineOptions pipeline_options;
  pipeline_options.name = "slack:" + options.name;
  pipeline_options.route = options.route;
  pipeline_options.retry = options.retry;
  pipeline_options.queue = options.queue;
  pipeline_options.grouping = options.grouping;
  pipeline_options.max_batch = options.grouping.max_events;
  std::string name = pipeline_options.name;
  auto pipeline = std::make_shared<internal::Pipeline>(
      io, std::move(pipeline_options),
      std::make_unique<SlackDeliverer>(std::move(*sender), std::move(options)), telemetry);
  pipeline->Start();
  return std::unique_ptr<SlackSink>(new SlackSink(std::move(name), std::move(pipeline)));
}

SlackSink::SlackSink(std::string name, std::shared_ptr<internal::Pipeline> pipeline)
    : name_(std::move(name)), pipeline_(std::move(pipeline)) {}
SlackSink::~SlackSink() { Close(); }
void SlackSink::Publish(std::shared_ptr<const DriftEvent> event) {
  pipeline_->Publish(std::move(event));
}
void SlackSink::Close() { pipeline_->Close(); }
bool SlackSink::finished() const { return pipeline_->finished(); }

}  // namespace plumbline::exporters
