// Small text helpers shared by every library: JSON string quoting and shell-style globs.
#pragma once

#include <string>
#include <string_view>

namespace plumbline {

// Appends `text` as a JSON string literal (quotes, escapes, control characters as \u00XX).
void AppendJsonString(std::string& out, std::string_view text);

// Shell-style match: `*` any run (also empty), `?` one character, everything else literal.
// Linear in practice (one backtrack point, no recursion).
bool GlobMatch(std::string_view pattern, std::string_view text);

}  // namespace plumbline
