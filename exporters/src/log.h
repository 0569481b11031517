// The exporters' logger: the "delivery" spdlog logger when the program registered one, else
// spdlog's default logger. Messages are key=value; nothing at info level per event.
#pragma once

#include <memory>

#include <spdlog/spdlog.h>

namespace plumbline::exporters::internal {

inline std::shared_ptr<spdlog::logger> Log() {
  auto logger = spdlog::get("delivery");
  return logger ? logger : spdlog::default_logger();
}

}  // namespace plumbline::exporters::internal
