#include "patch.h"

#include <algorithm>
#include <string_view>

namespace plumbline::hashing {
namespace {

std::string JoinPointer(const std::vector<std::string>& tokens, std::size_t n) {
  std::string out;
  for (std::size_t i = 0; i < n; ++i) {
    AppendJsonPointerToken(out, tokens[i]);
  }
  return out;
}

Value* Child(Value* node, const std::string& token) {
  if (node->is_object()) {
    return node->Find(token);
  }
  if (node->is_array()) {
    if (token.empty() || token.find_first_not_of("0123456789") != std::string::npos) {
      return nullptr;
    }
    const std::size_t i = std::stoul(token);
    return i < node->items().size() ? &node->items()[i] : nullptr;
  }
  return nullptr;
}

// Builds the value to add at tokens[from..] when tokens[from] is the first missing one.
Value Nest(const std::vector<std::string>& tokens, std::size_t from, const Value& leaf) {
  Value v = leaf;
  for (std::size_t i = tokens.size(); i-- > from + 1;) {
    if (tokens[i] == "-") {
      v = Value::MakeArray({std::move(v)});
    } else {
      Value obj = Value::MakeObject();
      obj.Set(tokens[i], std::move(v));
      v = std::move(obj);
    }
  }
  return v;
}

void Apply(Value& doc, const DriftRecord& d, std::vector<PatchOp>& patch) {
  const std::vector<std::string> tokens = SplitJsonPointer(d.git_pointer);
  if (tokens.empty()) {
    return;
  }
  Value* node = &doc;
  for (std::size_t i = 0; i + 1 < tokens.size(); ++i) {
    Value* next = Child(node, tokens[i]);
    if (next == nullptr) {
      if (d.op == "remove" || !d.value) {
        return;
      }
      // Create the missing branch in one "add" of its first missing ancestor.
      Value nested = Nest(tokens, i, *d.value);
      const std::string at = JoinPointer(tokens, i + 1);
      if (node->is_object()) {
        node->Set(tokens[i], nested);
      } else if (node->is_array()) {
        node->items().push_back(nested);
      }
      patch.push_back(PatchOp{"add", at, std::move(nested)});
      return;
    }
    node = next;
  }
  const std::string& last = tokens.back();
  const std::string at = JoinPointer(tokens, tokens.size());
  if (d.op == "remove") {
    if (node->is_object()) {
      node->Erase(last);
    } else if (node->is_array() && Child(node, last) != nullptr) {
      node->items().erase(node->items().begin() + static_cast<std::ptrdiff_t>(std::stoul(last)));
    }
    patch.push_back(PatchOp{"remove", at, std::nullopt});
    return;
  }
  if (!d.value) {
    return;
  }
  if (node->is_array() && last == "-") {
    node->items().push_back(*d.value);
    patch.push_back(PatchOp{"add", at, d.value});
  } else if (node->is_array()) {
    if (Value* target = Child(node, last)) {
      *target = *d.value;
      patch.push_back(PatchOp{"replace", at, d.value});
    }
  } else if (node->is_object()) {
    const bool exists = node->Find(last) != nullptr;
    node->Set(last, *d.value);
    patch.push_back(PatchOp{exists ? "replace" : "add", at, d.value});
  }
}

std::vector<std::string> Lines(const std::string& text) {
  std::vector<std::string> lines;
  std::size_t start = 0;
  while (start < text.size()) {
    std::size_t nl = text.find('\n', start);
    if (nl == std::string::npos) {
      nl = text.size();
    }
    lines.push_back(text.substr(start, nl - start));
    start = nl + 1;
  }
  return lines;
}

}  // namespace

void BuildPatchAndDiff(const Value& target, const std::vector<DriftRecord>& drifts,
                       std::vector<PatchOp>& patch, std::string& diff) {
  Value live_view = target;
  // Adds and replaces first; removals last and from the highest index down, so earlier
  // operations do not shift the positions later ones refer to.
  for (const auto& d : drifts) {
    if (d.op != "remove") {
      Apply(live_view, d, patch);
    }
  }
  std::vector<const DriftRecord*> removals;
  for (const auto& d : drifts) {
    if (d.op == "remove") {
      removals.push_back(&d);
    }
  }
  std::sort(removals.begin(), removals.end(),
            [](const auto* a, const auto* b) { return a->git_pointer > b->git_pointer; });
  for (const auto* d : removals) {
    Apply(live_view, *d, patch);
  }
  diff = UnifiedDiff(ToDisplayText(target), ToDisplayText(live_view));
}

std::string WholeObjectDiff(const Value& object, bool added) {
  return added ? UnifiedDiff("", ToDisplayText(object)) : UnifiedDiff(ToDisplayText(object), "");
}

std::string UnifiedDiff(const std::string& before, const std::string& after) {
  const std::vector<std::string> a = Lines(before);
  const std::vector<std::string> b = Lines(after);
  // Trim the common head and tail, then LCS on the middle (bounded: objects are < 1.5 MB and
  // drift is local, so the middle is small; past the bound show it as one replacement).
  std::size_t head = 0;
  while (head < a.size() && head < b.size() && a[head] == b[head]) {
    ++head;
  }
  std::size_t tail = 0;
  while (tail < a.size() - head && tail < b.size() - head &&
         a[a.size() - 1 - tail] == b[b.size() - 1 - tail]) {
    ++tail;
  }
  const std::size_t n = a.size() - head - tail;
  const std::size_t m = b.size() - head - tail;
  struct Edit {
    char op;  // ' ', '-', '+'
    std::size_t a_line;
    std::size_t b_line;
  };
  std::vector<Edit> edits;
  for (std::size_t i = 0; i < head; ++i) {
    edits.push_back({' ', i, i});
  }
  constexpr std::size_t kMaxCells = 16u << 20;
  if (n * m <= kMaxCells && n > 0 && m > 0) {
    std::vector<std::uint32_t> lcs((n + 1) * (m + 1), 0);
    auto at = [&](std::size_t i, std::size_t j) -> std::uint32_t& { return lcs[i * (m + 1) + j]; };
    for (std::size_t i = n; i-- > 0;) {
      for (std::size_t j = m; j-- > 0;) {
        at(i, j) = a[head + i] == b[head + j] ? at(i + 1, j + 1) + 1
                                              : std::max(at(i + 1, j), at(i, j + 1));
      }
    }
    std::size_t i = 0;
    std::size_t j = 0;
    while (i < n || j < m) {
      if (i < n && j < m && a[head + i] == b[head + j]) {
        edits.push_back({' ', head + i, head + j});
        ++i;
        ++j;
      } else if (i < n && (j == m || at(i + 1, j) >= at(i, j + 1))) {
        edits.push_back({'-', head + i, head + j});
        ++i;
      } else {
        edits.push_back({'+', head + i, head + j});
        ++j;
      }
    }
  } else {
    for (std::size_t i = 0; i < n; ++i) {
      edits.push_back({'-', head + i, head});
    }
    for (std::size_t j = 0; j < m; ++j) {
      edits.push_back({'+', head + n, head + j});
    }
  }
  for (std::size_t i = 0; i < tail; ++i) {
    edits.push_back({' ', a.size() - tail + i, b.size() - tail + i});
  }

  std::string out = "--- git\n+++ live\n";
  constexpr std::size_t kContext = 3;
  std::size_t k = 0;
  while (k < edits.size()) {
    if (edits[k].op == ' ') {
      ++k;
      continue;
    }
    // A hunk: from kContext lines before this change to kContext lines after the last change
    // that is within 2*kContext of the previous one.
    std::size_t start = k >= kContext ? k - kContext : 0;
    std::size_t end = k;
    std::size_t last_change = k;
    while (end < edits.size()) {
      if (edits[end].op != ' ') {
        last_change = end;
      } else if (end - last_change > 2 * kContext) {
        break;
      }
      ++end;
    }
    end = std::min(edits.size(), last_change + kContext + 1);
    std::size_t a_start = edits[start].a_line;
    std::size_t b_start = edits[start].b_line;
    std::size_t a_count = 0;
    std::size_t b_count = 0;
    std::string body;
    for (std::size_t e = start; e < end; ++e) {
      const Edit& ed = edits[e];
      if (ed.op != '+') {
        ++a_count;
      }
      if (ed.op != '-') {
        ++b_count;
      }
      body.push_back(ed.op);
      body += ed.op == '+' ? b[ed.b_line] : a[ed.a_line];
      body.push_back('\n');
    }
    out += "@@ -" + std::to_string(a_count == 0 ? a_start : a_start + 1) + "," +
           std::to_string(a_count) + " +" + std::to_string(b_count == 0 ? b_start : b_start + 1) +
           "," + std::to_string(b_count) + " @@\n";
    out += body;
    k = end;
  }
  return out;
}

}  // namespace plumbline::hashing
