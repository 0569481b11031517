// EventSink: where drift events go (JSON lines, webhooks, Slack, Alertmanager, the collector).
// The agent publishes every event to every sink; a slow or dead sink must never block detection
// or the other sinks.
//
// Threading: the agent calls Publish() and Close() on its io thread only. Implementations
// queue, spool or drop (counted) and return at once; their own I/O runs on the same io_context.
#pragma once

#include <memory>
#include <string_view>

#include "plumbline/common/drift_event.h"

namespace plumbline {

class EventSink {
 public:
  virtual ~EventSink() = default;
  // A short stable name for logs and metric labels ("jsonl", "webhook:ops", "collector").
  virtual std::string_view name() const = 0;
  // Takes the event. Never blocks on I/O.
  virtual void Publish(std::shared_ptr<const DriftEvent> event) = 0;
  // Stops taking events and finishes in bounded time: delivers what it can, leaves the rest in
  // its spool (durable sinks) and ends its coroutines so the io_context can return.
  virtual void Close() = 0;
};

}  // namespace plumbline
