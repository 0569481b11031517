#include "plumbline/exporters/cloudevents.h"

#include <cctype>

namespace plumbline::exporters {

std::string CloudEventSource(std::string_view cluster) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out = "plumbline://";
  for (const char ch : cluster) {
    const auto c = static_cast<unsigned char>(ch);
    if (std::isalnum(c) != 0 || c == '-' || c == '.' || c == '_' || c == '~') {
      out.push_back(ch);
    } else {
      out.push_back('%');
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 0xF]);
    }
  }
  return out;
}

std::string CloudEventType(EventType type) {
  std::string out = "dev.plumbline.drift.";
  for (const char ch : EventTypeName(type)) {
    out.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(ch))));
  }
  return out;
}

std::string CloudEventJson(const DriftEvent& event) {
  std::string data = DriftEventToJson(event);
  std::string out;
  out.reserve(data.size() + 256);
  out.append("{\"specversion\":\"1.0\",\"id\":");
  AppendJsonString(out, event.id);
  out.append(",\"source\":");
  AppendJsonString(out, CloudEventSource(event.cluster));
  out.append(",\"type\":");
  AppendJsonString(out, CloudEventType(event.type));
  out.append(",\"subject\":");
  AppendJsonString(out, ResourceKey(event.resource));
  if (!event.time.empty()) {
    out.append(",\"time\":");
    AppendJsonString(out, event.time);
  }
  out.append(",\"datacontenttype\":\"application/json\",\"data\":");
  out.append(data);
  out.push_back('}');
  return out;
}

std::string JoinJsonArray(const std::vector<std::string>& objects) {
  std::size_t size = 2;
  for (const auto& o : objects) {
    size += o.size() + 1;
  }
  std::string out;
  out.reserve(size);
  out.push_back('[');
  for (std::size_t i = 0; i < objects.size(); ++i) {
    if (i > 0) {
      out.push_back(',');
    }
    out.append(objects[i]);
  }
  out.push_back(']');
  return out;
}

std::string CloudEventBatchJson(const std::vector<std::shared_ptr<const DriftEvent>>& events) {
  std::vector<std::string> objects;
  objects.reserve(events.size());
  for (const auto& e : events) {
    objects.push_back(CloudEventJson(*e));
  }
  return JoinJsonArray(objects);
}

}  // namespace plumbline::exporters
