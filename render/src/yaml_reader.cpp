// How kubectl reads a manifest file, and how this file mirrors each step:
//
//  1. apimachinery's YAMLReader cuts the byte stream into parts at lines that start with "---"
//     (a "---" line followed by anything but blanks or a comment is an error), and ends the last
//     line with "\n" if the file does not. SplitParts() does the same.
//  2. sigs.k8s.io/yaml runs go-yaml v2's Unmarshal on each part: libyaml-style parsing of the
//     *first* document into a node tree (anchors resolved at parse time), then decoding into
//     interface{} with YAML 1.1 scalar resolution (resolve.go), merge keys, and aliases expanded.
//     PartReader builds the same node tree from libyaml events; Decoder decodes it.
//  3. The result is converted to JSON: map keys become strings (int, float as float32 'g', bool),
//     other key types are errors; +Inf/NaN values cannot be encoded. See KeyText/ScalarValue.
//
// Known differences from kubectl (checked against kubectl 1.32):
//  - Rejected here, accepted by kubectl: a key defined twice in one mapping (go-yaml keeps the
//    last one); bytes that are not UTF-8 (go-yaml passes them through and encoding/json turns each
//    into U+FFFD); the "\'" escape in double quotes (libyaml 0.2.5 dropped it); input past the
//    max_* limits.
//  - Accepted here, rejected by kubectl: the "\/" escape (added in libyaml 0.2.x); input that
//    starts with "{", which kubectl hands to encoding/json instead (a YAML flow mapping fails
//    there).
//  - Integers above int64 stay exact; kubectl's unstructured decoding turns them into doubles.

#include "plumbline/render/yaml_reader.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <deque>
#include <limits>
#include <string>
#include <string_view>
#include <system_error>
#include <unordered_map>
#include <utility>
#include <vector>

#include <yaml.h>

#include "plumbline/common/result.h"
#include "plumbline/hashing/value.h"

namespace plumbline::render {
namespace {

using hashing::Value;

constexpr std::string_view kStrTag = "tag:yaml.org,2002:str";
constexpr std::string_view kBoolTag = "tag:yaml.org,2002:bool";
constexpr std::string_view kIntTag = "tag:yaml.org,2002:int";
constexpr std::string_view kFloatTag = "tag:yaml.org,2002:float";
constexpr std::string_view kNullTag = "tag:yaml.org,2002:null";
constexpr std::string_view kTimestampTag = "tag:yaml.org,2002:timestamp";
constexpr std::string_view kBinaryTag = "tag:yaml.org,2002:binary";
constexpr std::string_view kMergeTag = "tag:yaml.org,2002:merge";
constexpr std::string_view kYamlTagPrefix = "tag:yaml.org,2002:";

// ---------------------------------------------------------------------------------------------
// Errors

// Scalar text quoted for an error message: JSON-escaped (so the message stays on one line) and cut
// to a readable length.
std::string Quoted(std::string_view text) {
  constexpr std::size_t kMaxShown = 64;
  std::string out;
  if (text.size() > kMaxShown) {
    hashing::AppendJsonString(out, text.substr(0, kMaxShown));
    out.insert(out.size() - 1, "...");
  } else {
    hashing::AppendJsonString(out, text);
  }
  return out;
}

Error SyntaxError(int line, std::string_view message) {
  return MakeError(ErrorCode::kInvalidArgument,
                   "line " + std::to_string(line) + ": " + std::string(message));
}

Error LimitError(int line, std::string_view message) {
  return MakeError(ErrorCode::kLimitExceeded,
                   "line " + std::to_string(line) + ": " + std::string(message));
}

// go-yaml's shortTag: "tag:yaml.org,2002:int" -> "!!int".
std::string ShortTag(std::string_view tag) {
  if (tag.substr(0, kYamlTagPrefix.size()) == kYamlTagPrefix) {
    return "!!" + std::string(tag.substr(kYamlTagPrefix.size()));
  }
  return std::string(tag);
}

// ---------------------------------------------------------------------------------------------
// Step 1: split the stream into parts (k8s.io/apimachinery/pkg/util/yaml YAMLReader).

struct Part {
  // The part's lines, a view into the input: a part is a contiguous run of lines, and re-ending
  // "\r\n" lines with "\n" as kubectl does changes nothing libyaml reports.
  std::string_view text;
  int first_line = 1;        // 1-based line of text[0] in the whole stream
  bool add_newline = false;  // the input's last line has no "\n"; kubectl adds one
};

// Decodes one UTF-8 sequence at s[i] strictly (as Go's utf8.DecodeRune does: no overlongs, no
// surrogates, nothing above U+10FFFF). Returns its length, or 0 when invalid.
std::size_t ValidUtf8Length(std::string_view s, std::size_t i, char32_t* rune) {
  const auto byte = [&](std::size_t k) { return static_cast<unsigned char>(s[k]); };
  const unsigned char b0 = byte(i);
  if (b0 < 0x80) {
    *rune = b0;
    return 1;
  }
  std::size_t len = 0;
  char32_t r = 0;
  unsigned char lo = 0x80;
  unsigned char hi = 0xBF;
  if (b0 >= 0xC2 && b0 <= 0xDF) {
    len = 2;
    r = b0 & 0x1FU;
  } else if (b0 >= 0xE0 && b0 <= 0xEF) {
    len = 3;
    r = b0 & 0x0FU;
    lo = b0 == 0xE0 ? 0xA0 : 0x80;
    hi = b0 == 0xED ? 0x9F : 0xBF;
  } else if (b0 >= 0xF0 && b0 <= 0xF4) {
    len = 4;
    r = b0 & 0x07U;
    lo = b0 == 0xF0 ? 0x90 : 0x80;
    hi = b0 == 0xF4 ? 0x8F : 0xBF;
  } else {
    return 0;
  }
  if (i + len > s.size()) {
    return 0;
  }
  for (std::size_t k = 1; k < len; ++k) {
    const unsigned char b = byte(i + k);
    if (b < (k == 1 ? lo : 0x80) || b > (k == 1 ? hi : 0xBF)) {
      return 0;
    }
    r = (r << 6) | (b & 0x3FU);
  }
  *rune = r;
  return len;
}

// Go's unicode.IsSpace, as used by strings.TrimSpace.
bool IsGoSpace(char32_t r) {
  switch (r) {
    case '\t':
    case '\n':
    case '\v':
    case '\f':
    case '\r':
    case ' ':
    case 0x85:
    case 0xA0:
    case 0x1680:
    case 0x2028:
    case 0x2029:
    case 0x202F:
    case 0x205F:
    case 0x3000:
      return true;
    default:
      return r >= 0x2000 && r <= 0x200A;
  }
}

// strings.TrimSpace, front half: the caller only tests for emptiness and the first character.
std::string_view SkipGoSpace(std::string_view s) {
  std::size_t begin = 0;
  while (begin < s.size()) {
    char32_t r = 0;
    const std::size_t len = ValidUtf8Length(s, begin, &r);
    if (len == 0 || !IsGoSpace(r)) {
      break;
    }
    begin += len;
  }
  return s.substr(begin);
}

Result<std::vector<Part>> SplitParts(std::string_view text) {
  constexpr std::string_view kSeparator = "---";
  constexpr std::size_t kNone = std::string_view::npos;
  std::vector<Part> parts;
  if (text.substr(0, 2) == "\xFF\xFE" || text.substr(0, 2) == "\xFE\xFF") {
    // UTF-16 (libyaml and go-yaml follow the byte order mark): no line can start with the bytes
    // "---", so kubectl sees a single part. Keep it byte-exact; an added "\n" would be half a
    // UTF-16 unit.
    parts.push_back(Part{text, 1, false});
    return parts;
  }
  std::size_t part_begin = kNone;
  int part_line = 0;
  int line_number = 0;
  for (std::size_t pos = 0; pos < text.size();) {
    const std::size_t line_begin = pos;
    const std::size_t newline = text.find('\n', pos);
    std::string_view line;
    if (newline == kNone) {
      line = text.substr(pos);  // a last line without "\n" keeps a trailing "\r" (bufio.ReadLine)
      pos = text.size();
    } else {
      line = text.substr(pos, newline - pos);
      pos = newline + 1;
      if (!line.empty() && line.back() == '\r') {
        line.remove_suffix(1);
      }
    }
    ++line_number;
    if (line.substr(0, kSeparator.size()) != kSeparator) {
      if (part_begin == kNone) {
        part_begin = line_begin;
        part_line = line_number;
      }
      continue;
    }
    const std::string_view rest = SkipGoSpace(line.substr(kSeparator.size()));
    if (!rest.empty() && rest.front() != '#') {
      return SyntaxError(line_number, "invalid document separator: " + Quoted(rest));
    }
    if (part_begin != kNone) {
      parts.push_back(Part{text.substr(part_begin, line_begin - part_begin), part_line, false});
      part_begin = kNone;
    }
  }
  if (part_begin != kNone) {
    parts.push_back(Part{text.substr(part_begin), part_line, text.back() != '\n'});
  }
  return parts;
}

// ---------------------------------------------------------------------------------------------
// Step 2a: libyaml events into go-yaml's node tree.

enum class NodeKind : std::uint8_t { kScalar, kSequence, kMapping, kAlias };

struct RawNode {
  NodeKind kind = NodeKind::kScalar;
  bool implicit = false;  // libyaml plain_implicit: a plain scalar without tag, or tagged "!"
  bool closed = false;    // collections: the end event has been seen
  int line = 0;           // 1-based, whole stream
  std::string text;       // scalar value
  std::string tag;        // full tag, empty when none
  std::vector<std::size_t> children;  // sequence items, or key, value, key, value, ...
  std::size_t target = 0;             // alias: the anchored node
  std::uint64_t expanded = 1;         // nodes after alias expansion (saturating)
  std::size_t height = 0;             // collection levels after alias expansion (scalar: 0)
};

struct RawDocument {
  std::deque<RawNode> nodes;  // nodes[0] is the root; empty for a part without a document
  int line = 0;
};

std::uint64_t SaturatingAdd(std::uint64_t a, std::uint64_t b) {
  return a > std::numeric_limits<std::uint64_t>::max() - b
             ? std::numeric_limits<std::uint64_t>::max()
             : a + b;
}

int AddLines(int first_line, std::size_t zero_based) {
  constexpr auto kMax = static_cast<std::size_t>(std::numeric_limits<int>::max());
  const std::size_t line = static_cast<std::size_t>(first_line) + zero_based;
  return static_cast<int>(std::min(line, kMax));
}

std::string CString(const yaml_char_t* s) {
  return s == nullptr ? std::string() : std::string(reinterpret_cast<const char*>(s));
}

// Owns a libyaml parser reading from a string that must outlive it.
class LibyamlParser {
 public:
  explicit LibyamlParser(std::string_view input)
      : initialized_(yaml_parser_initialize(&parser_) != 0) {
    if (initialized_) {
      yaml_parser_set_input_string(&parser_, reinterpret_cast<const unsigned char*>(input.data()),
                                   input.size());
    }
  }
  ~LibyamlParser() {
    if (initialized_) {
      yaml_parser_delete(&parser_);
    }
  }
  LibyamlParser(const LibyamlParser&) = delete;
  LibyamlParser& operator=(const LibyamlParser&) = delete;

  bool initialized() const { return initialized_; }
  yaml_parser_t& get() { return parser_; }

 private:
  yaml_parser_t parser_{};
  bool initialized_ = false;
};

// Owns one event; yaml_event_delete is a no-op on a zeroed event.
class LibyamlEvent {
 public:
  LibyamlEvent() = default;
  ~LibyamlEvent() { yaml_event_delete(&event_); }
  LibyamlEvent(const LibyamlEvent&) = delete;
  LibyamlEvent& operator=(const LibyamlEvent&) = delete;

  yaml_event_t& get() { return event_; }

 private:
  yaml_event_t event_{};
};

Error LibyamlError(const yaml_parser_t& parser, const Part& part) {
  std::string problem =
      parser.problem != nullptr ? parser.problem : "unknown problem parsing YAML content";
  switch (parser.error) {
    case YAML_MEMORY_ERROR:
      return MakeError(ErrorCode::kInternal, "libyaml ran out of memory");
    case YAML_READER_ERROR: {
      // Reader errors carry a byte offset into the part instead of a mark.
      const std::string_view before = part.text.substr(0, parser.problem_offset);
      const auto newlines = std::count(before.begin(), before.end(), '\n');
      if (parser.problem_value != -1) {
        char value[32];
        std::snprintf(value, sizeof(value), " (0x%X)", static_cast<unsigned>(parser.problem_value));
        problem += value;
      }
      return SyntaxError(AddLines(part.first_line, static_cast<std::size_t>(newlines)), problem);
    }
    default: {
      if (parser.context != nullptr) {
        problem += " (";
        problem += parser.context;
        problem +=
            " at line " + std::to_string(AddLines(part.first_line, parser.context_mark.line)) + ")";
      }
      return SyntaxError(AddLines(part.first_line, parser.problem_mark.line), problem);
    }
  }
}

// Reads the first document of one part into a RawDocument, enforcing the limits as nodes appear.
class PartReader {
 public:
  PartReader(const Part& part, const YamlLimits& limits, std::uint64_t& total_nodes)
      : part_(part), limits_(limits), total_nodes_(total_nodes) {}

  Result<RawDocument> Read() {
    doc_.line = part_.first_line;
    std::string with_newline;
    std::string_view input = part_.text;
    if (part_.add_newline) {
      with_newline.reserve(input.size() + 1);
      with_newline.append(input).push_back('\n');
      input = with_newline;
    }
    LibyamlParser parser(input);
    if (!parser.initialized()) {
      return MakeError(ErrorCode::kInternal, "libyaml: cannot initialize a parser");
    }
    for (;;) {
      LibyamlEvent event;
      if (yaml_parser_parse(&parser.get(), &event.get()) == 0) {
        return LibyamlError(parser.get(), part_);
      }
      const yaml_event_t& ev = event.get();
      const int line = AddLines(part_.first_line, ev.start_mark.line);
      Status status;
      // libyaml's event payload is a C union selected by ev.type.
      // NOLINTBEGIN(cppcoreguidelines-pro-type-union-access)
      switch (ev.type) {
        case YAML_STREAM_START_EVENT:
          break;
        case YAML_DOCUMENT_START_EVENT:
          doc_.line = line;
          break;
        case YAML_STREAM_END_EVENT:    // the part holds only comments and blank lines
        case YAML_DOCUMENT_END_EVENT:  // go-yaml's Unmarshal stops after the first document
          return std::move(doc_);
        case YAML_ALIAS_EVENT:
          status = OnAlias(CString(ev.data.alias.anchor), line);
          break;
        case YAML_SCALAR_EVENT: {
          RawNode node;
          node.kind = NodeKind::kScalar;
          node.line = line;
          node.text.assign(reinterpret_cast<const char*>(ev.data.scalar.value),
                           ev.data.scalar.length);
          node.tag = CString(ev.data.scalar.tag);
          node.implicit = ev.data.scalar.plain_implicit != 0;
          node.closed = true;
          status = OnNode(std::move(node), ev.data.scalar.anchor);
          break;
        }
        case YAML_SEQUENCE_START_EVENT:
        case YAML_MAPPING_START_EVENT: {
          RawNode node;
          const bool sequence = ev.type == YAML_SEQUENCE_START_EVENT;
          node.kind = sequence ? NodeKind::kSequence : NodeKind::kMapping;
          node.line = line;
          node.tag = CString(sequence ? ev.data.sequence_start.tag : ev.data.mapping_start.tag);
          status = OnNode(std::move(node),
                          sequence ? ev.data.sequence_start.anchor : ev.data.mapping_start.anchor);
          break;
        }
        case YAML_SEQUENCE_END_EVENT:
        case YAML_MAPPING_END_EVENT:
          OnCollectionEnd();
          break;
        case YAML_NO_EVENT:
          return MakeError(ErrorCode::kInternal, "libyaml returned no event");
      }
      // NOLINTEND(cppcoreguidelines-pro-type-union-access)
      if (!status) {
        return status.error();
      }
    }
  }

 private:
  Status CountNodes(std::uint64_t n, int line) {
    total_nodes_ = SaturatingAdd(total_nodes_, n);
    if (total_nodes_ > limits_.max_nodes) {
      return LimitError(line, "more than " + std::to_string(limits_.max_nodes) +
                                  " YAML nodes after alias expansion (max_nodes limit)");
    }
    return Status::Ok();
  }

  Status CheckDepth(std::size_t depth, int line) const {
    if (depth > limits_.max_depth) {
      return LimitError(line, "nesting deeper than " + std::to_string(limits_.max_depth) +
                                  " levels (max_depth limit)");
    }
    return Status::Ok();
  }

  void Attach(std::size_t index) {
    if (!open_.empty()) {
      doc_.nodes[open_.back()].children.push_back(index);
    }
  }

  Status OnNode(RawNode node, const yaml_char_t* anchor) {
    const int line = node.line;
    const bool collection = node.kind != NodeKind::kScalar;
    if (Status s = CountNodes(1, line); !s) {
      return s;
    }
    if (collection) {
      if (Status s = CheckDepth(open_.size() + 1, line); !s) {
        return s;
      }
    }
    const std::size_t index = doc_.nodes.size();
    doc_.nodes.push_back(std::move(node));
    Attach(index);
    if (anchor != nullptr) {
      // Registered before the children, as go-yaml does, so "&a [*a]" is detected below.
      anchors_[CString(anchor)] = index;
    }
    if (collection) {
      open_.push_back(index);
    }
    return Status::Ok();
  }

  Status OnAlias(const std::string& name, int line) {
    const auto it = anchors_.find(name);
    if (it == anchors_.end()) {
      return SyntaxError(line, "unknown anchor " + Quoted(name) + " referenced");
    }
    const RawNode& target = doc_.nodes[it->second];
    if (!target.closed) {
      return SyntaxError(line, "anchor " + Quoted(name) + " value contains itself");
    }
    // Checked before anything is expanded: this is what stops an alias bomb early.
    if (Status s = CountNodes(target.expanded, line); !s) {
      return s;
    }
    if (Status s = CheckDepth(open_.size() + target.height, line); !s) {
      return s;
    }
    RawNode node;
    node.kind = NodeKind::kAlias;
    node.line = line;
    node.closed = true;
    node.target = it->second;
    node.expanded = target.expanded;
    node.height = target.height;
    const std::size_t index = doc_.nodes.size();
    doc_.nodes.push_back(std::move(node));
    Attach(index);
    return Status::Ok();
  }

  void OnCollectionEnd() {
    if (open_.empty()) {
      return;  // libyaml balances start and end events; nothing to close otherwise
    }
    RawNode& node = doc_.nodes[open_.back()];
    open_.pop_back();
    std::uint64_t expanded = 1;
    std::size_t height = 0;
    for (const std::size_t child : node.children) {
      expanded = SaturatingAdd(expanded, doc_.nodes[child].expanded);
      height = std::max(height, doc_.nodes[child].height);
    }
    node.expanded = expanded;
    node.height = height + 1;
    node.closed = true;
  }

  const Part& part_;
  const YamlLimits& limits_;
  std::uint64_t& total_nodes_;
  RawDocument doc_;
  std::vector<std::size_t> open_;  // open collections, outermost first
  std::unordered_map<std::string, std::size_t> anchors_;
};

// ---------------------------------------------------------------------------------------------
// Step 2b: go-yaml v2 scalar resolution (resolve.go), with Go's strconv and time rules.

struct Scalar {
  enum class Kind : std::uint8_t { kNull, kBool, kInt, kUint, kFloat, kString };
  Kind kind = Kind::kNull;
  bool b = false;
  std::int64_t i = 0;
  std::uint64_t u = 0;
  double d = 0;
  std::string s;
  std::string_view tag;  // the resolved tag (go-yaml's rtag)
};

Scalar StringScalar(std::string s) {
  Scalar out;
  out.kind = Scalar::Kind::kString;
  out.s = std::move(s);
  out.tag = kStrTag;
  return out;
}

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

// go-yaml's resolveMap: the YAML 1.1 words, looked up before any number parsing.
bool LookupWord(std::string_view in, Scalar* out) {
  static constexpr std::string_view kTrue[] = {"y",    "Y",    "yes", "Yes", "YES", "true",
                                               "True", "TRUE", "on",  "On",  "ON"};
  static constexpr std::string_view kFalse[] = {"n",     "N",     "no",  "No",  "NO", "false",
                                                "False", "FALSE", "off", "Off", "OFF"};
  static constexpr std::string_view kNull[] = {"", "~", "null", "Null", "NULL"};
  static constexpr std::string_view kNan[] = {".nan", ".NaN", ".NAN"};
  static constexpr std::string_view kInf[] = {".inf", ".Inf", ".INF", "+.inf", "+.Inf", "+.INF"};
  static constexpr std::string_view kNegInf[] = {"-.inf", "-.Inf", "-.INF"};
  const auto in_list = [&](const auto& list) {
    return std::find(std::begin(list), std::end(list), in) != std::end(list);
  };
  if (in_list(kTrue) || in_list(kFalse)) {
    out->kind = Scalar::Kind::kBool;
    out->b = in_list(kTrue);
    out->tag = kBoolTag;
    return true;
  }
  if (in_list(kNull)) {
    out->kind = Scalar::Kind::kNull;
    out->tag = kNullTag;
    return true;
  }
  if (in_list(kNan) || in_list(kInf) || in_list(kNegInf)) {
    out->kind = Scalar::Kind::kFloat;
    out->d = in_list(kNan)   ? std::numeric_limits<double>::quiet_NaN()
             : in_list(kInf) ? std::numeric_limits<double>::infinity()
                             : -std::numeric_limits<double>::infinity();
    out->tag = kFloatTag;
    return true;
  }
  return false;
}

// go-yaml's resolveTable: what the first byte says the scalar might be.
char Hint(std::string_view in) {
  if (in.empty()) {
    return 'N';
  }
  const char c = in.front();
  if (c == '+' || c == '-') {
    return 'S';
  }
  if (IsDigit(c)) {
    return 'D';
  }
  if (std::string_view("yYnNtTfFoO~").find(c) != std::string_view::npos) {
    return 'M';
  }
  if (c == '.') {
    return '.';
  }
  return 0;
}

char LowerAscii(char c) { return static_cast<char>(static_cast<unsigned char>(c) | 0x20U); }

// strconv.ParseUint(s, 0, 64) for s without underscores.
bool ParseGoUint(std::string_view s, std::uint64_t* out) {
  if (s.empty()) {
    return false;
  }
  unsigned base = 10;
  if (s[0] == '0') {
    if (s.size() >= 3 && LowerAscii(s[1]) == 'b') {
      base = 2;
      s.remove_prefix(2);
    } else if (s.size() >= 3 && LowerAscii(s[1]) == 'o') {
      base = 8;
      s.remove_prefix(2);
    } else if (s.size() >= 3 && LowerAscii(s[1]) == 'x') {
      base = 16;
      s.remove_prefix(2);
    } else {
      base = 8;
      s.remove_prefix(1);
    }
  }
  std::uint64_t n = 0;
  for (const char c : s) {
    unsigned digit = 0;
    if (IsDigit(c)) {
      digit = static_cast<unsigned>(c - '0');
    } else if (LowerAscii(c) >= 'a' && LowerAscii(c) <= 'z') {
      digit = static_cast<unsigned>(LowerAscii(c) - 'a') + 10;
    } else {
      return false;
    }
    if (digit >= base) {
      return false;
    }
    if (n > (std::numeric_limits<std::uint64_t>::max() - digit) / base) {
      return false;  // out of range
    }
    n = n * base + digit;
  }
  *out = n;
  return true;
}

// strconv.ParseInt(s, 0, 64) for s without underscores.
bool ParseGoInt(std::string_view s, std::int64_t* out) {
  if (s.empty()) {
    return false;
  }
  bool negative = false;
  if (s[0] == '+' || s[0] == '-') {
    negative = s[0] == '-';
    s.remove_prefix(1);
  }
  std::uint64_t magnitude = 0;
  if (!ParseGoUint(s, &magnitude)) {
    return false;
  }
  constexpr std::uint64_t kCutoff = std::uint64_t{1} << 63;
  if (negative) {
    if (magnitude > kCutoff) {
      return false;
    }
    *out = magnitude == kCutoff ? std::numeric_limits<std::int64_t>::min()
                                : -static_cast<std::int64_t>(magnitude);
  } else {
    if (magnitude >= kCutoff) {
      return false;
    }
    *out = static_cast<std::int64_t>(magnitude);
  }
  return true;
}

// go-yaml's yamlStyleFloat: ^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$
bool IsYamlStyleFloat(std::string_view s) {
  std::size_t i = 0;
  const auto digits = [&] {
    const std::size_t start = i;
    while (i < s.size() && IsDigit(s[i])) {
      ++i;
    }
    return i - start;
  };
  if (i < s.size() && (s[i] == '+' || s[i] == '-')) {
    ++i;
  }
  if (i < s.size() && s[i] == '.') {
    ++i;
    if (digits() == 0) {
      return false;
    }
  } else {
    if (digits() == 0) {
      return false;
    }
    if (i < s.size() && s[i] == '.') {
      ++i;
      digits();
    }
  }
  if (i < s.size() && (s[i] == 'e' || s[i] == 'E')) {
    ++i;
    if (i < s.size() && (s[i] == '+' || s[i] == '-')) {
      ++i;
    }
    if (digits() == 0) {
      return false;
    }
  }
  return i == s.size();
}

// Decimal exponent of the first significant digit of a decimal literal (no underscores).
long DecimalMagnitude(std::string_view s) {
  long magnitude = 0;
  bool found = false;
  bool in_fraction = false;
  long int_digits_after_first = 0;
  long fraction_position = 0;
  std::size_t i = 0;
  if (i < s.size() && (s[i] == '+' || s[i] == '-')) {
    ++i;
  }
  for (; i < s.size(); ++i) {
    const char c = s[i];
    if (c == '.') {
      in_fraction = true;
      continue;
    }
    if (!IsDigit(c)) {
      break;
    }
    if (in_fraction) {
      ++fraction_position;
    }
    if (!found && c != '0') {
      found = true;
      magnitude = in_fraction ? -fraction_position : 0;
    } else if (found && !in_fraction) {
      ++int_digits_after_first;
    }
  }
  if (!found) {
    return std::numeric_limits<long>::min();
  }
  magnitude += int_digits_after_first;
  if (i < s.size() && (s[i] == 'e' || s[i] == 'E')) {
    std::string_view e = s.substr(i + 1);
    bool negative = false;
    if (!e.empty() && (e[0] == '+' || e[0] == '-')) {
      negative = e[0] == '-';
      e.remove_prefix(1);
    }
    long exponent = 0;
    for (const char c : e) {
      exponent = std::min(exponent * 10 + (c - '0'), 100000L);
    }
    magnitude += negative ? -exponent : exponent;
  }
  return magnitude;
}

// strconv.ParseFloat(s, 64) for a decimal literal already checked for syntax and without
// underscores. Like Go: correctly rounded, overflow fails, underflow gives zero.
bool ParseDecimalFloat(std::string_view s, double* out) {
  const bool negative = !s.empty() && s[0] == '-';
  if (!s.empty() && s[0] == '+') {
    s.remove_prefix(1);  // from_chars takes no '+'
  }
  double d = 0;
  const auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), d);
  if (ptr != s.data() + s.size()) {
    return false;
  }
  if (ec == std::errc::result_out_of_range) {
    if (DecimalMagnitude(s) >= 0) {
      return false;  // overflow: Go returns ±Inf with ErrRange
    }
    d = negative ? -0.0 : 0.0;
  } else if (ec != std::errc()) {
    return false;
  }
  *out = d;
  return true;
}

// strconv's underscoreOK: underscores only between digits (or after a base prefix).
bool GoUnderscoreOk(std::string_view s) {
  char saw = '^';
  std::size_t i = 0;
  if (!s.empty() && (s[0] == '-' || s[0] == '+')) {
    s.remove_prefix(1);
  }
  bool hex = false;
  if (s.size() >= 2 && s[0] == '0' &&
      (LowerAscii(s[1]) == 'b' || LowerAscii(s[1]) == 'o' || LowerAscii(s[1]) == 'x')) {
    i = 2;
    saw = '0';
    hex = LowerAscii(s[1]) == 'x';
  }
  for (; i < s.size(); ++i) {
    const char c = s[i];
    if (IsDigit(c) || (hex && LowerAscii(c) >= 'a' && LowerAscii(c) <= 'f')) {
      saw = '0';
      continue;
    }
    if (c == '_') {
      if (saw != '0') {
        return false;
      }
      saw = '_';
      continue;
    }
    if (saw == '_') {
      return false;
    }
    saw = '!';
  }
  return saw != '_';
}

// strconv.ParseFloat(in, 64) for a scalar starting with '.' (go-yaml passes it unmodified, so
// Go's own underscore rule applies). Go's other float forms cannot start with '.'.
bool ParseDotFloat(std::string_view in, double* out) {
  if (!GoUnderscoreOk(in)) {
    return false;
  }
  std::string plain(in);
  std::erase(plain, '_');
  // ^\.[0-9]+([eE][-+]?[0-9]+)?$ is IsYamlStyleFloat restricted to a leading '.'.
  if (plain.empty() || plain[0] != '.' || !IsYamlStyleFloat(plain)) {
    return false;
  }
  return ParseDecimalFloat(plain, out);
}

// Go's time.Parse against go-yaml's allowedTimestampFormats:
//   2006-1-2T15:4:5.999999999Z07:00, the same with 't', "2006-1-2 15:4:5.999999999", 2006-1-2.
bool IsGoTimestamp(std::string_view s) {
  std::size_t i = 0;
  // getnum(value, false): one or two digits.
  const auto number = [&](int* value) {
    if (i >= s.size() || !IsDigit(s[i])) {
      return false;
    }
    *value = s[i++] - '0';
    if (i < s.size() && IsDigit(s[i])) {
      *value = *value * 10 + (s[i++] - '0');
    }
    return true;
  };
  const auto literal = [&](char c) {
    if (i < s.size() && s[i] == c) {
      ++i;
      return true;
    }
    return false;
  };
  if (s.size() < 5 || !IsDigit(s[0]) || !IsDigit(s[1]) || !IsDigit(s[2]) || !IsDigit(s[3])) {
    return false;
  }
  const int year = (s[0] - '0') * 1000 + (s[1] - '0') * 100 + (s[2] - '0') * 10 + (s[3] - '0');
  i = 4;
  int month = 0;
  int day = 0;
  if (!literal('-') || !number(&month) || month < 1 || month > 12 || !literal('-') ||
      !number(&day)) {
    return false;
  }
  static constexpr int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  const bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
  const int days_in_month = month == 2 && leap ? 29 : kDays[month - 1];
  if (day < 1 || day > days_in_month) {
    return false;
  }
  if (i == s.size()) {
    return true;
  }
  const char separator = s[i++];
  if (separator != 'T' && separator != 't' && separator != ' ') {
    return false;
  }
  int hour = 0;
  int minute = 0;
  int second = 0;
  if (!number(&hour) || hour >= 24 || !literal(':') || !number(&minute) || minute >= 60 ||
      !literal(':') || !number(&second) || second >= 60) {
    return false;
  }
  if (i + 1 < s.size() && (s[i] == '.' || s[i] == ',') && IsDigit(s[i + 1])) {
    ++i;
    while (i < s.size() && IsDigit(s[i])) {
      ++i;
    }
  }
  if (separator == ' ') {
    return i == s.size();
  }
  if (literal('Z')) {
    return i == s.size();
  }
  // +hh:mm or -hh:mm
  if (s.size() - i != 6 || (s[i] != '+' && s[i] != '-') || !IsDigit(s[i + 1]) ||
      !IsDigit(s[i + 2]) || s[i + 3] != ':' || !IsDigit(s[i + 4]) || !IsDigit(s[i + 5])) {
    return false;
  }
  const int zone_hour = (s[i + 1] - '0') * 10 + (s[i + 2] - '0');
  const int zone_minute = (s[i + 4] - '0') * 10 + (s[i + 5] - '0');
  return zone_hour <= 24 && zone_minute <= 60;
}

// The body of go-yaml's resolve() for a resolvable tag other than !!str: what the scalar is.
Scalar ResolveText(std::string_view tag, const std::string& in) {
  Scalar out;
  const char hint = Hint(in);
  if (hint == 0) {
    return StringScalar(in);
  }
  if (LookupWord(in, &out)) {
    return out;
  }
  if (hint == '.') {
    if (double d = 0; ParseDotFloat(in, &d)) {
      out.kind = Scalar::Kind::kFloat;
      out.d = d;
      out.tag = kFloatTag;
      return out;
    }
  } else if (hint == 'D' || hint == 'S') {
    // Timestamps stay strings (go-yaml keeps the text for interface{} targets).
    if ((tag.empty() || tag == kTimestampTag) && IsGoTimestamp(in)) {
      out = StringScalar(in);
      out.tag = kTimestampTag;
      return out;
    }
    std::string plain(in);
    std::erase(plain, '_');
    if (std::int64_t i = 0; ParseGoInt(plain, &i)) {
      out.kind = Scalar::Kind::kInt;
      out.i = i;
      out.tag = kIntTag;
      return out;
    }
    if (std::uint64_t u = 0; ParseGoUint(plain, &u)) {
      out.kind = Scalar::Kind::kUint;
      out.u = u;
      out.tag = kIntTag;
      return out;
    }
    if (double d = 0; IsYamlStyleFloat(plain) && ParseDecimalFloat(plain, &d)) {
      out.kind = Scalar::Kind::kFloat;
      out.d = d;
      out.tag = kFloatTag;
      return out;
    }
    // go-yaml's extra "0b"/"-0b" attempts are covered by ParseInt's base prefixes.
  }
  return StringScalar(in);
}

// Go's base64.StdEncoding.DecodeString: padding required, "\r" and "\n" ignored.
bool DecodeBase64(std::string_view in, std::string* out) {
  std::string text;
  text.reserve(in.size());
  for (const char c : in) {
    if (c != '\r' && c != '\n') {
      text.push_back(c);
    }
  }
  if (text.size() % 4 != 0) {
    return false;
  }
  const auto sextet = [](char c) -> int {
    if (c >= 'A' && c <= 'Z') {
      return c - 'A';
    }
    if (c >= 'a' && c <= 'z') {
      return c - 'a' + 26;
    }
    if (IsDigit(c)) {
      return c - '0' + 52;
    }
    if (c == '+') {
      return 62;
    }
    if (c == '/') {
      return 63;
    }
    return -1;
  };
  out->clear();
  for (std::size_t q = 0; q < text.size(); q += 4) {
    const bool last = q + 4 == text.size();
    std::size_t padding = 0;
    if (last && text[q + 3] == '=') {
      padding = text[q + 2] == '=' ? 2 : 1;
    }
    std::uint32_t bits = 0;
    for (std::size_t k = 0; k < 4; ++k) {
      int v = 0;
      if (k >= 4 - padding) {
        v = 0;
      } else {
        v = sextet(text[q + k]);
        if (v < 0) {
          return false;
        }
      }
      bits = (bits << 6) | static_cast<std::uint32_t>(v);
    }
    out->push_back(static_cast<char>((bits >> 16) & 0xFFU));
    if (padding < 2) {
      out->push_back(static_cast<char>((bits >> 8) & 0xFFU));
    }
    if (padding < 1) {
      out->push_back(static_cast<char>(bits & 0xFFU));
    }
  }
  return true;
}

// encoding/json replaces each invalid UTF-8 byte with U+FFFD.
std::string CoerceUtf8(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (std::size_t i = 0; i < s.size();) {
    char32_t rune = 0;
    const std::size_t len = ValidUtf8Length(s, i, &rune);
    if (len == 0) {
      out += "\xEF\xBF\xBD";
      ++i;
    } else {
      out.append(s.substr(i, len));
      i += len;
    }
  }
  return out;
}

bool IsResolvableTag(std::string_view tag) {
  return tag.empty() || tag == kStrTag || tag == kBoolTag || tag == kIntTag || tag == kFloatTag ||
         tag == kNullTag || tag == kTimestampTag;
}

// go-yaml's decoder.scalar + resolve(): the typed value of a scalar node.
Result<Scalar> Resolve(const RawNode& node) {
  const std::string& tag = node.tag;
  if (tag.empty() && !node.implicit) {
    return StringScalar(node.text);  // quoted, literal or folded
  }
  if (tag == kBinaryTag) {
    std::string bytes;
    if (!DecodeBase64(node.text, &bytes)) {
      return SyntaxError(node.line, "!!binary value contains invalid base64 data");
    }
    return StringScalar(CoerceUtf8(bytes));
  }
  if (!IsResolvableTag(tag) || tag == kStrTag) {
    return StringScalar(node.text);  // !!str, local tags (!foo, !), !!map/!!seq on a scalar
  }
  Scalar out = ResolveText(tag, node.text);
  if (tag.empty() || tag == out.tag) {
    return out;
  }
  if (tag == kFloatTag && out.kind == Scalar::Kind::kInt) {
    out.kind = Scalar::Kind::kFloat;
    out.d = static_cast<double>(out.i);
    out.tag = kFloatTag;
    return out;
  }
  return SyntaxError(node.line, "cannot decode " + ShortTag(out.tag) + " " + Quoted(node.text) +
                                    " as a " + ShortTag(tag));
}

// strconv.FormatFloat(d, 'g', -1, 32), with sigs.k8s.io/yaml's names for the special values.
std::string Float32KeyText(double d) {
  if (std::isnan(d)) {
    return ".nan";
  }
  // float32(d) rounds to +-Inf from FLT_MAX + half an ulp on (ties to even).
  constexpr double kOverflow = 0x1.ffffffp127;
  if (std::fabs(d) >= kOverflow) {
    return d > 0 ? ".inf" : "-.inf";
  }
  const float f = std::fabs(d) > static_cast<double>(std::numeric_limits<float>::max())
                      ? std::copysign(std::numeric_limits<float>::max(), static_cast<float>(d))
                      : static_cast<float>(d);
  char buf[64];
  const auto [end, ec] = std::to_chars(buf, buf + sizeof(buf), f, std::chars_format::scientific);
  if (ec != std::errc()) {
    return "0";  // cannot happen: the buffer fits any float
  }
  // buf is [-]d[.ddd]e(+|-)XX, the shortest digits that round-trip, as Go computes them.
  std::string_view text(buf, static_cast<std::size_t>(end - buf));
  const bool negative = text.front() == '-';
  const std::size_t e = text.find('e');
  std::string_view mantissa = text.substr(negative ? 1 : 0, e - (negative ? 1 : 0));
  std::string_view exponent_text = text.substr(e + 1);
  const bool negative_exponent = exponent_text.front() == '-';
  exponent_text.remove_prefix(1);
  int exponent = 0;
  for (const char c : exponent_text) {
    exponent = exponent * 10 + (c - '0');
  }
  if (negative_exponent) {
    exponent = -exponent;
  }
  std::string digits;
  for (const char c : mantissa) {
    if (c != '.') {
      digits.push_back(c);
    }
  }
  if (digits == "0") {
    digits.clear();  // Go's shortest form of zero has no digits and decimal point 0
    exponent = -1;
  }
  if (exponent < -4 || exponent >= 6) {
    return std::string(text);  // %e: same layout as Go, exponent with at least two digits
  }
  // %f with max(nd - dp, 0) decimals.
  const int nd = static_cast<int>(digits.size());
  const int dp = exponent + 1;
  const auto digit_at = [&](int k) {
    return k >= 0 && k < nd ? digits[static_cast<std::size_t>(k)] : '0';
  };
  std::string out = negative ? "-" : "";
  if (dp > 0) {
    for (int k = 0; k < dp; ++k) {
      out.push_back(digit_at(k));
    }
  } else {
    out.push_back('0');
  }
  const int decimals = std::max(nd - dp, 0);
  if (decimals > 0) {
    out.push_back('.');
    for (int k = 0; k < decimals; ++k) {
      out.push_back(digit_at(dp + k));
    }
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Step 2c/3: decode the node tree into a Value, with kubectl's JSON conversion.

// Object members in first-seen order; a repeated key replaces the value in place. Remembers which
// keys were written explicitly (rather than merged) to report duplicates. Most Kubernetes
// mappings are small, so lookups scan linearly until a mapping grows large.
class MemberList {
 public:
  // An explicit "key: value". Fails if key was already written explicitly in this mapping.
  Status SetExplicit(std::string key, Value value, int line) {
    const std::size_t i = Find(key);
    if (i != kNone) {
      if (explicit_lines_[i] != 0) {
        return SyntaxError(line, "mapping key " + Quoted(key) + " already defined at line " +
                                     std::to_string(explicit_lines_[i]));
      }
      members_[i].second = std::move(value);
      explicit_lines_[i] = line;
      return Status::Ok();
    }
    Append(std::move(key), std::move(value), line);
    return Status::Ok();
  }

  // A key brought in by "<<".
  void SetMerged(std::string key, Value value) {
    const std::size_t i = Find(key);
    if (i != kNone) {
      members_[i].second = std::move(value);
    } else {
      Append(std::move(key), std::move(value), 0);
    }
  }

  void Reserve(std::size_t n) {
    members_.reserve(n);
    explicit_lines_.reserve(n);
  }

  Value::Object Take() { return std::move(members_); }

 private:
  static constexpr std::size_t kNone = static_cast<std::size_t>(-1);
  static constexpr std::size_t kIndexFrom = 16;

  std::size_t Find(const std::string& key) const {
    if (members_.size() < kIndexFrom) {
      for (std::size_t i = 0; i < members_.size(); ++i) {
        if (members_[i].first == key) {
          return i;
        }
      }
      return kNone;
    }
    const auto it = index_.find(key);
    return it == index_.end() ? kNone : it->second;
  }

  void Append(std::string key, Value value, int line) {
    if (members_.size() + 1 == kIndexFrom) {
      for (std::size_t i = 0; i < members_.size(); ++i) {
        index_.emplace(members_[i].first, i);
      }
    }
    if (members_.size() + 1 >= kIndexFrom) {
      index_.emplace(key, members_.size());
    }
    members_.emplace_back(std::move(key), std::move(value));
    explicit_lines_.push_back(line);
  }

  Value::Object members_;
  std::vector<int> explicit_lines_;  // parallel to members_; 0 while a key is only merged
  std::unordered_map<std::string, std::size_t> index_;  // built from kIndexFrom members on
};

class Decoder {
 public:
  explicit Decoder(const RawDocument& doc) : nodes_(doc.nodes) {}

  // Recursion depth is bounded by max_depth: PartReader checked the expanded height.
  Result<Value> Decode(std::size_t index) {
    const RawNode& node = Deref(index);
    switch (node.kind) {
      case NodeKind::kMapping:
        return DecodeMapping(node);
      case NodeKind::kSequence: {
        Value::Array items;
        items.reserve(node.children.size());
        for (const std::size_t child : node.children) {
          Result<Value> item = Decode(child);
          if (!item) {
            return item.error();
          }
          items.push_back(std::move(*item));
        }
        return Value::MakeArray(std::move(items));
      }
      default:
        return ScalarValue(node);
    }
  }

 private:
  const RawNode& Deref(std::size_t index) const {
    const RawNode& node = nodes_[index];
    return node.kind == NodeKind::kAlias ? nodes_[node.target] : node;
  }

  static Result<Value> ScalarValue(const RawNode& node) {
    Result<Scalar> scalar = Resolve(node);
    if (!scalar) {
      return scalar.error();
    }
    switch (scalar->kind) {
      case Scalar::Kind::kNull:
        return Value::Null();
      case Scalar::Kind::kBool:
        return Value::Bool(scalar->b);
      case Scalar::Kind::kInt:
        return Value::Int(scalar->i);
      case Scalar::Kind::kUint:
        return Value::Uint(scalar->u);
      case Scalar::Kind::kFloat:
        if (!std::isfinite(scalar->d)) {
          // encoding/json: "unsupported value: +Inf".
          return SyntaxError(node.line, node.text + " cannot be represented in JSON");
        }
        return Value::Double(scalar->d);
      case Scalar::Kind::kString:
        break;
    }
    return Value::String(std::move(scalar->s));
  }

  // sigs.k8s.io/yaml's key conversion: strings, ints, floats and bools become strings.
  // line: where the key is written (an alias key resolves to a node elsewhere).
  static Result<std::string> KeyText(const RawNode& key, int line) {
    if (key.kind == NodeKind::kMapping || key.kind == NodeKind::kSequence) {
      return SyntaxError(line, std::string("invalid mapping key: a ") +
                                   (key.kind == NodeKind::kMapping ? "mapping" : "sequence") +
                                   " cannot be a key");
    }
    Result<Scalar> scalar = Resolve(key);
    if (!scalar) {
      return scalar.error();
    }
    switch (scalar->kind) {
      case Scalar::Kind::kString:
        return std::move(scalar->s);
      case Scalar::Kind::kBool:
        return std::string(scalar->b ? "true" : "false");
      case Scalar::Kind::kInt:
        return std::to_string(scalar->i);
      case Scalar::Kind::kFloat:
        return Float32KeyText(scalar->d);
      case Scalar::Kind::kUint:
        return SyntaxError(line, "unsupported mapping key " + Quoted(key.text) +
                                     ": an integer above int64 cannot be a key");
      case Scalar::Kind::kNull:
        break;
    }
    return SyntaxError(line,
                       "unsupported mapping key " + Quoted(key.text) + ": null cannot be a key");
  }

  static bool IsMergeKey(const RawNode& key) {
    return key.kind == NodeKind::kScalar && key.text == "<<" &&
           (key.implicit || key.tag == kMergeTag);
  }

  Result<Value> DecodeMapping(const RawNode& node) {
    MemberList members;
    members.Reserve(node.children.size() / 2);
    for (std::size_t k = 0; k + 1 < node.children.size(); k += 2) {
      const RawNode& key = nodes_[node.children[k]];
      const std::size_t value_index = node.children[k + 1];
      if (IsMergeKey(key)) {
        // go-yaml v2 merges in place, in document order: keys merged here replace keys written
        // earlier in this mapping, later keys replace merged ones.
        if (Status s = Merge(nodes_[value_index], key.line, members); !s) {
          return s.error();
        }
        continue;
      }
      Result<std::string> text = KeyText(Deref(node.children[k]), key.line);
      if (!text) {
        return text.error();
      }
      Result<Value> value = Decode(value_index);
      if (!value) {
        return value.error();
      }
      if (Status st = members.SetExplicit(std::move(*text), std::move(*value), key.line); !st) {
        return st.error();
      }
    }
    return Value::MakeObject(members.Take());
  }

  // go-yaml's decoder.merge: a mapping, an alias of one, or a sequence of those; earlier entries
  // of a sequence win over later ones.
  Status Merge(const RawNode& value, int line, MemberList& members) {
    const auto merge_one = [&](const RawNode& source) -> Status {
      const RawNode& mapping = source.kind == NodeKind::kAlias ? nodes_[source.target] : source;
      if (mapping.kind != NodeKind::kMapping) {
        return SyntaxError(line, "map merge requires map or sequence of maps as the value");
      }
      Result<Value> merged = DecodeMapping(mapping);
      if (!merged) {
        return merged.error();
      }
      for (auto& [k, v] : merged->members()) {
        members.SetMerged(std::move(k), std::move(v));
      }
      return Status::Ok();
    };
    if (value.kind != NodeKind::kSequence) {
      return merge_one(value);
    }
    for (std::size_t k = value.children.size(); k > 0; --k) {
      if (Status s = merge_one(nodes_[value.children[k - 1]]); !s) {
        return s;
      }
    }
    return Status::Ok();
  }

  const std::deque<RawNode>& nodes_;
};

}  // namespace

Result<std::vector<YamlDocument>> ParseYamlStream(std::string_view text, const YamlLimits& limits) {
  if (text.size() > limits.max_bytes) {
    return MakeError(ErrorCode::kLimitExceeded,
                     "YAML input is " + std::to_string(text.size()) + " bytes, more than " +
                         std::to_string(limits.max_bytes) + " (max_bytes limit)");
  }
  Result<std::vector<Part>> parts = SplitParts(text);
  if (!parts) {
    return parts.error();
  }
  std::vector<YamlDocument> documents;
  documents.reserve(parts->size());
  std::uint64_t total_nodes = 0;
  for (const Part& part : *parts) {
    Result<RawDocument> raw = PartReader(part, limits, total_nodes).Read();
    if (!raw) {
      return raw.error();
    }
    YamlDocument document;
    document.line = raw->line;
    if (!raw->nodes.empty()) {
      Result<Value> value = Decoder(*raw).Decode(0);
      if (!value) {
        return value.error();
      }
      document.value = std::move(*value);
    }
    documents.push_back(std::move(document));
  }
  return documents;
}

}  // namespace plumbline::render
