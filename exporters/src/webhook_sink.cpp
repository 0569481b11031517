#include "plumbline/exporters/webhook_sink.h"

#include <chrono>
#include <utility>

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "plumbline/exporters/cloudevents.h"

#include "pipeline.h"

namespace plumbline::exporters {

namespace asio = boost::asio;

std::string WebhookSignature(std::string_view secret, std::string_view timestamp,
                             std::string_view body) {
  std::string message;
  message.reserve(timestamp.size() + 1 + body.size());
  message.append(timestamp).append(".").append(body);
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int mac_len = 0;
  HMAC(EVP_sha256(), secret.data(), static_cast<int>(secret.size()),
       reinterpret_cast<const unsigned char*>(message.data()), message.size(), mac, &mac_len);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out = "sha256=";
  for (unsigned int i = 0; i < mac_len; ++i) {
    out.push_back(kHex[mac[i] >> 4]);
    out.push_back(kHex[mac[i] & 0xF]);
  }
  return out;
}

namespace {

class WebhookDeliverer final : public internal::BatchDeliverer {
 public:
  WebhookDeliverer(std::unique_ptr<HttpSender> sender, WebhookOptions options)
      : sender_(std::move(sender)), options_(std::move(options)) {}

  asio::awaitable<internal::Outcome> Deliver(internal::Batch batch) override {
    HttpRequest request;
    request.headers = options_.headers;
    if (options_.batch) {
      request.content_type = std::string(kCloudEventBatchContentType) + "; charset=utf-8";
      request.body = CloudEventBatchJson(batch);
    } else {
      request.content_type = std::string(kCloudEventContentType) + "; charset=utf-8";
      request.body = CloudEventJson(*batch.front());
    }
    if (!options_.hmac_secret.empty()) {
      const std::string timestamp =
          std::to_string(std::chrono::duration_cast<std::chrono::seconds>(
                             std::chrono::system_clock::now().time_since_epoch())
                             .count());
      request.headers.emplace_back(std::string(kTimestampHeader), timestamp);
      request.headers.emplace_back(std::string(kSignatureHeader),
                                   WebhookSignature(options_.hmac_secret, timestamp, request.body));
    }
    Result<HttpResponse> response = co_await sender_->Send(std::move(request));
    co_return internal::ClassifyHttp(response);
  }

  void Abort() override { sender_->Close(); }

 private:
  std::unique_ptr<HttpSender> sender_;
  WebhookOptions options_;
};

}  // namespace

Result<std::unique_ptr<WebhookSink>> WebhookSink::Create(asio::io_context& io,
                                                         WebhookOptions options,
                                                         Telemetry& telemetry) {
  Result<Url> url = ParseUrl(options.url);
  if (!url) {
    return MakeError(url.error().code, "webhook " + options.name + ": " + url.error().message);
  }
  Result<std::unique_ptr<HttpSender>> sender = HttpSender::Create(io, *url, options.http);
  if (!sender) {
    return MakeError(sender.error().code,
                     "webhook " + options.name + ": " + sender.error().message);
  }
  internal::PipelineOptions pipeline_options;
  pipeline_options.name = "webhook:" + options.name;
  pipeline_options.route = options.route;
  pipeline_options.retry = options.retry;
  pipeline_options.queue = options.queue;
  if (options.batch) {
    pipeline_options.grouping = options.grouping;
    pipeline_options.max_batch = options.grouping.max_events;
  }
  std::string name = pipeline_options.name;
  auto pipeline = std::make_shared<internal::Pipeline>(
      io, std::move(pipeline_options),
      std::make_unique<WebhookDeliverer>(std::move(*sender), std::move(options)), telemetry);
  pipeline->Start();
  return std::unique_ptr<WebhookSink>(new WebhookSink(std::move(name), std::move(pipeline)));
}

WebhookSink::WebhookSink(std::string name, std::shared_ptr<internal::Pipeline> pipeline)
    : name_(std::move(name)), pipeline_(std::move(pipeline)) {}

WebhookSink::~WebhookSink() { Close(); }

void WebhookSink::Publish(std::shared_ptr<const DriftEvent> event) {
  pipeline_->Publish(std::move(event));
}

void WebhookSink::Close() { pipeline_->Close(); }

bool WebhookSink::finished() const { return pipeline_->finished(); }

}  // namespace plumbline::exporters
