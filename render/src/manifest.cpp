#include "plumbline/render/manifest.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <optional>

#include "plumbline/hashing/json.h"
#include "plumbline/render/yaml_reader.h"

#include "parallel.h"

namespace plumbline::render {
namespace fs = std::filesystem;
using hashing::Value;

namespace {

Error At(const std::string& label, int line, const std::string& message) {
  std::string where = label;
  if (line > 0) {
    where += ":" + std::to_string(line);
  }
  return MakeError(ErrorCode::kInvalidArgument, where + ": " + message);
}

bool LooksLikeJson(std::string_view text) {
  for (char c : text) {
    if (c == ' ' || c == '\n' || c == '\r' || c == '\t') {
      continue;
    }
    return c == '{' || c == '[';
  }
  return false;
}

// A YAML stream whose documents are all JSON ("---" lines between JSON texts, as generators
// and `kubectl get -o json` pipelines write them): the chunks between the markers and the line
// each starts on; nullopt when any chunk is not JSON (comments, YAML block style, "--- {..}").
std::optional<std::vector<std::pair<std::string_view, int>>> SplitJsonDocuments(
    std::string_view text) {
  std::vector<std::pair<std::string_view, int>> chunks;
  std::size_t chunk_start = 0;
  int chunk_line = 1;
  int line = 1;
  std::size_t pos = 0;
  bool saw_marker = false;
  auto close_chunk = [&](std::size_t end) {
    const std::string_view chunk = text.substr(chunk_start, end - chunk_start);
    if (chunk.find_first_not_of(" \t\r\n") == std::string_view::npos) {
      return true;  // an empty document (a leading "---")
    }
    if (!LooksLikeJson(chunk)) {
      return false;
    }
    chunks.emplace_back(chunk, chunk_line);
    return true;
  };
  while (pos <= text.size()) {
    const std::size_t eol = std::min(text.find('\n', pos), text.size());
    std::string_view content = text.substr(pos, eol - pos);
    while (!content.empty() && (content.back() == ' ' || content.back() == '\r')) {
      content.remove_suffix(1);
    }
    if (content == "---") {
      saw_marker = true;
      if (!close_chunk(pos)) {
        return std::nullopt;
      }
      chunk_start = std::min(eol + 1, text.size());
      chunk_line = line + 1;
    }
    if (eol == text.size()) {
      break;
    }
    pos = eol + 1;
    ++line;
  }
  if (!saw_marker || !close_chunk(text.size())) {
    return std::nullopt;
  }
  return chunks;
}

bool IsListKind(const Value& doc) {
  const std::string_view kind = doc.GetString("kind");
  const Value* items = doc.Find("items");
  return (kind == "List" || (kind.size() > 4 && kind.substr(kind.size() - 4) == "List")) &&
         (items == nullptr || items->is_array() || items->is_null());
}

Status AddDocument(Value doc, const std::string& label, int line, std::vector<Manifest>& out,
                   int depth) {
  if (doc.is_null()) {
    return Status::Ok();  // empty document
  }
  if (!doc.is_object()) {
    return At(label, line, "document is not a mapping");
  }
  if (!doc.Find("apiVersion") || !doc.Find("apiVersion")->is_string() ||
      doc.GetString("apiVersion").empty()) {
    return At(label, line, "document has no apiVersion");
  }
  if (!doc.Find("kind") || !doc.Find("kind")->is_string() || doc.GetString("kind").empty()) {
    return At(label, line, "document has no kind");
  }
  if (IsListKind(doc) && depth == 0) {
    if (Value* items = doc.Find("items"); items != nullptr && items->is_array()) {
      for (Value& item : items->items()) {
        PLUMBLINE_RETURN_IF_ERROR(AddDocument(std::move(item), label, line, out, depth + 1));
      }
    }
    return Status::Ok();
  }
  const std::size_t size = hashing::ToJson(doc).size();
  if (size > kMaxObjectBytes) {
    return At(label, line,
              std::string(doc.GetString("kind")) + " is " + std::to_string(size) +
                  " bytes, over the API server's limit of " + std::to_string(kMaxObjectBytes));
  }
  out.push_back(Manifest{std::move(doc), label, line});
  return Status::Ok();
}

// Offset of the first JSON syntax error (simdjson reports none); text.size() when it finds
// none. Used only to name the line in an error message.
class JsonScanner {
 public:
  explicit JsonScanner(std::string_view text) : text_(text) {}
  std::size_t FirstError() {
    for (;;) {
      Space();
      if (pos_ >= text_.size()) {
        return text_.size();
      }
      if (!ParseValue(0)) {
        return pos_;
      }
    }
  }

 private:
  void Space() {
    while (pos_ < text_.size() && (text_[pos_] == ' ' || text_[pos_] == '\n' ||
                                   text_[pos_] == '\r' || text_[pos_] == '\t')) {
      ++pos_;
    }
  }
  bool Eat(char c) {
    Space();
    if (pos_ < text_.size() && text_[pos_] == c) {
      ++pos_;
      return true;
    }
    return false;
  }
  bool ParseString() {
    if (!Eat('"')) {
      return false;
    }
    while (pos_ < text_.size() && text_[pos_] != '"') {
      if (text_[pos_] == '\\') {
        ++pos_;
      }
      ++pos_;
    }
    return Eat('"');
  }
  bool ParseValue(int depth) {
    if (depth > 1000) {
      return false;
    }
    Space();
    if (pos_ >= text_.size()) {
      return false;
    }
    const char c = text_[pos_];
    if (c == '{') {
      ++pos_;
      if (Eat('}')) {
        return true;
      }
      do {
        if (!ParseString() || !Eat(':') || !ParseValue(depth + 1)) {
          return false;
        }
      } while (Eat(','));
      return Eat('}');
    }
    if (c == '[') {
      ++pos_;
      if (Eat(']')) {
        return true;
      }
      do {
        if (!ParseValue(depth + 1)) {
          return false;
        }
      } while (Eat(','));
      return Eat(']');
    }
    if (c == '"') {
      return ParseString();
    }
    const std::size_t start = pos_;
    while (pos_ < text_.size() &&
           std::string_view("{}[],: \n\r\t\"").find(text_[pos_]) == std::string_view::npos) {
      ++pos_;
    }
    return pos_ > start;
  }
  std::string_view text_;
  std::size_t pos_ = 0;
};

int LineOf(std::string_view text, std::size_t offset) {
  return 1 + static_cast<int>(std::count(
                 text.begin(),
                 text.begin() + static_cast<std::ptrdiff_t>(std::min(offset, text.size())), '\n'));
}

}  // namespace

bool IsHookResource(const hashing::Value& object) {
  const Value* meta = object.Find("metadata");
  const Value* annotations = meta != nullptr ? meta->Find("annotations") : nullptr;
  return annotations != nullptr && (annotations->Find("helm.sh/hook") != nullptr ||
                                    annotations->Find("argocd.argoproj.io/hook") != nullptr);
}

Result<std::vector<Manifest>> ReadManifestText(std::string_view text, const std::string& label) {
  std::vector<Manifest> out;
  if (text.find('\0') != std::string_view::npos) {
    return At(label, 0, "binary data, not YAML or JSON");
  }
  if (LooksLikeJson(text)) {
    auto docs = hashing::ParseJsonStream(text);
    if (!docs) {
      const std::size_t offset = JsonScanner(text).FirstError();
      return At(label, offset < text.size() ? LineOf(text, offset) : 0, docs.error().message);
    }
    for (Value& doc : *docs) {
      PLUMBLINE_RETURN_IF_ERROR(AddDocument(std::move(doc), label, 0, out, 0));
    }
    return out;
  }
  if (auto chunks = SplitJsonDocuments(text)) {
    for (const auto& [chunk, first_line] : *chunks) {
      auto docs = hashing::ParseJsonStream(chunk);
      if (!docs) {
        const std::size_t offset = JsonScanner(chunk).FirstError();
        return At(label, first_line - 1 + (offset < chunk.size() ? LineOf(chunk, offset) : 1),
                  docs.error().message);
      }
      for (Value& doc : *docs) {
        PLUMBLINE_RETURN_IF_ERROR(AddDocument(std::move(doc), label, first_line, out, 0));
      }
    }
    return out;
  }
  auto docs = ParseYamlStream(text);
  if (!docs) {
    // The reader's messages start with "line N: "; turn that into "label:N: ".
    const std::string& msg = docs.error().message;
    if (msg.rfind("line ", 0) == 0) {
      auto colon = msg.find(": ");
      if (colon != std::string::npos) {
        return MakeError(docs.error().code,
                         label + ":" + msg.substr(5, colon - 5) + ": " + msg.substr(colon + 2));
      }
    }
    return MakeError(docs.error().code, label + ": " + msg);
  }
  for (auto& doc : *docs) {
    PLUMBLINE_RETURN_IF_ERROR(AddDocument(std::move(doc.value), label, doc.line, out, 0));
  }
  return out;
}

Result<std::vector<Manifest>> ReadManifestFile(const std::string& path, const std::string& label) {
  std::error_code ec;
  if (!fs::is_regular_file(path, ec)) {
    return MakeError(ErrorCode::kIo, label + ": cannot read: not a regular file");
  }
  const auto size = fs::file_size(path, ec);
  if (ec) {
    return MakeError(ErrorCode::kIo, label + ": cannot read: " + ec.message());
  }
  if (size > kMaxFileBytes) {
    return MakeError(ErrorCode::kLimitExceeded,
                     label + ": file is larger than " + std::to_string(kMaxFileBytes) + " bytes");
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return MakeError(ErrorCode::kIo, label + ": cannot open for reading");
  }
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (in.bad()) {
    return MakeError(ErrorCode::kIo, label + ": read error");
  }
  return ReadManifestText(text, label);
}

Result<std::vector<Manifest>> ReadManifestPath(const std::string& path) {
  std::error_code ec;
  const auto status = fs::status(path, ec);
  if (ec || !fs::exists(status)) {
    return MakeError(ErrorCode::kIo, path + ": no such file or folder");
  }
  if (!fs::is_directory(status)) {
    return ReadManifestFile(path, path);
  }
  std::vector<std::string> files;
  for (const auto& entry : fs::directory_iterator(path, ec)) {
    if (!entry.is_regular_file()) {
      continue;
    }
    const std::string ext = entry.path().extension().string();
    if (ext == ".yaml" || ext == ".yml" || ext == ".json") {
      files.push_back(entry.path().string());
    }
  }
  if (ec) {
    return MakeError(ErrorCode::kIo, path + ": cannot list folder: " + ec.message());
  }
  std::sort(files.begin(), files.end());
  // Files parse independently; the results are joined in file order, and the first failing
  // file (in that order) is the error, as if read one by one.
  std::vector<std::optional<Result<std::vector<Manifest>>>> parsed(files.size());
  ParallelFor(
      files.size(), [&](std::size_t i) { parsed[i].emplace(ReadManifestFile(files[i], files[i])); },
      /*min_per_thread=*/2);
  std::vector<Manifest> out;
  for (auto& docs : parsed) {
    if (!*docs) {
      return docs->error();
    }
    for (auto& m : **docs) {
      out.push_back(std::move(m));
    }
  }
  return out;
}

}  // namespace plumbline::render
