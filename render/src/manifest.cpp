#include "plumbline/render/manifest.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iterator>

#include "plumbline/hashing/json.h"
#include "plumbline/render/yaml_reader.h"

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

}  // namespace

Result<std::vector<Manifest>> ReadManifestText(std::string_view text, const std::string& label) {
  std::vector<Manifest> out;
  if (text.find('\0') != std::string_view::npos) {
    return At(label, 0, "binary data, not YAML or JSON");
  }
  if (LooksLikeJson(text)) {
    auto docs = hashing::ParseJsonStream(text);
    if (!docs) {
      return At(label, 0, docs.error().message);
    }
    for (Value& doc : *docs) {
      PLUMBLINE_RETURN_IF_ERROR(AddDocument(std::move(doc), label, 0, out, 0));
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
  std::vector<Manifest> out;
  for (const auto& file : files) {
    auto docs = ReadManifestFile(file, file);
    if (!docs) {
      return docs.error();
    }
    for (auto& m : *docs) {
      out.push_back(std::move(m));
    }
  }
  return out;
}

}  // namespace plumbline::render
