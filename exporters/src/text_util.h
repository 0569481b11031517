// Small text helpers for the message builders (Slack, Alertmanager).
#pragma once

#include <string>
#include <string_view>

namespace plumbline::exporters::internal {

// At most `max_bytes` bytes of `text`, cut at a UTF-8 character boundary; when cut, the last
// bytes are replaced by `ellipsis`.
inline std::string Truncate(std::string_view text, std::size_t max_bytes,
                            std::string_view ellipsis = "…") {
  if (text.size() <= max_bytes) {
    return std::string(text);
  }
  std::size_t cut = max_bytes > ellipsis.size() ? max_bytes - ellipsis.size() : 0;
  while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xC0U) == 0x80U) {
    --cut;  // do not split a multi-byte character
  }
  std::string out(text.substr(0, cut));
  out.append(ellipsis);
  return out;
}

// "Kind namespace/name" or "Kind name" for cluster-scoped resources.
inline std::string ResourceTitle(std::string_view kind, std::string_view ns,
                                 std::string_view name) {
  std::string out(kind);
  out.push_back(' ');
  if (!ns.empty()) {
    out.append(ns).push_back('/');
  }
  out.append(name);
  return out;
}

}  // namespace plumbline::exporters::internal
