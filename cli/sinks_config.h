// The `sinks:` of the agent's config file (docs/configuration.md) turned into exporters' sinks.
// Every key is checked; errors name the sink and the key. One thread.
#pragma once

#include <memory>
#include <vector>

#include <boost/asio/io_context.hpp>

#include "plumbline/common/event_sink.h"
#include "plumbline/common/result.h"
#include "plumbline/common/telemetry.h"

#include "agent_config.h"

namespace plumbline::cli {

Result<std::vector<std::unique_ptr<EventSink>>> BuildSinks(boost::asio::io_context& io,
                                                           const AgentConfig& config,
                                                           Telemetry& telemetry);

}  // namespace plumbline::cli
