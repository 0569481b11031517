#include "plumbline/sim/protobuf.h"

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "plumbline/hashing/value.h"

namespace plumbline::sim {
namespace {

using hashing::Value;

// ---------------------------------------------------------------------------------------------
// Wire format.

enum WireType : std::uint32_t { kVarint = 0, kFixed64 = 1, kLengthDelimited = 2, kFixed32 = 5 };

class Reader {
 public:
  explicit Reader(std::string_view data) : data_(data) {}

  bool done() const { return pos_ >= data_.size(); }

  bool ReadVarint(std::uint64_t* out) {
    std::uint64_t value = 0;
    for (int shift = 0; shift < 70; shift += 7) {
      if (pos_ >= data_.size()) {
        return false;
      }
      const auto byte = static_cast<unsigned char>(data_[pos_++]);
      if (shift == 63 && byte > 1) {
        return false;  // more than 64 bits
      }
      value |= static_cast<std::uint64_t>(byte & 0x7f) << shift;
      if ((byte & 0x80) == 0) {
        *out = value;
        return true;
      }
    }
    return false;
  }

  bool ReadBytes(std::string_view* out) {
    std::uint64_t length = 0;
    if (!ReadVarint(&length) || length > data_.size() - pos_) {
      return false;
    }
    *out = data_.substr(pos_, static_cast<std::size_t>(length));
    pos_ += static_cast<std::size_t>(length);
    return true;
  }

  bool Skip(std::uint32_t wire_type) {
    switch (wire_type) {
      case kVarint: {
        std::uint64_t ignored = 0;
        return ReadVarint(&ignored);
      }
      case kFixed64:
        return Advance(8);
      case kLengthDelimited: {
        std::string_view ignored;
        return ReadBytes(&ignored);
      }
      case kFixed32:
        return Advance(4);
      default:
        return false;  // groups (3, 4) and the unused 6, 7
    }
  }

 private:
  bool Advance(std::size_t n) {
    if (n > data_.size() - pos_) {
      return false;
    }
    pos_ += n;
    return true;
  }

  std::string_view data_;
  std::size_t pos_ = 0;
};

Error Malformed(std::string_view what) {
  return MakeError(ErrorCode::kInvalidArgument, "malformed protobuf body: " + std::string(what));
}

// Go's encoding/json writes each invalid UTF-8 byte as U+FFFD.
std::string SanitizeUtf8(std::string_view in) {
  std::string out;
  out.reserve(in.size());
  std::size_t i = 0;
  while (i < in.size()) {
    const auto c = static_cast<unsigned char>(in[i]);
    std::size_t length = 0;
    std::uint32_t min = 0;
    std::uint32_t cp = 0;
    if (c < 0x80) {
      out.push_back(static_cast<char>(c));
      ++i;
      continue;
    }
    if ((c & 0xe0) == 0xc0) {
      length = 2;
      min = 0x80;
      cp = c & 0x1fU;
    } else if ((c & 0xf0) == 0xe0) {
      length = 3;
      min = 0x800;
      cp = c & 0x0fU;
    } else if ((c & 0xf8) == 0xf0) {
      length = 4;
      min = 0x10000;
      cp = c & 0x07U;
    }
    bool valid = length != 0 && i + length <= in.size();
    for (std::size_t k = 1; valid && k < length; ++k) {
      const auto cc = static_cast<unsigned char>(in[i + k]);
      valid = (cc & 0xc0) == 0x80;
      cp = (cp << 6) | (cc & 0x3fU);
    }
    valid = valid && cp >= min && cp <= 0x10ffff && !(cp >= 0xd800 && cp <= 0xdfff);
    if (valid) {
      out.append(in.substr(i, length));
      i += length;
    } else {
      out.append("\xef\xbf\xbd");
      ++i;
    }
  }
  return out;
}

std::string Base64Encode(std::string_view in) {
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  out.reserve((in.size() + 2) / 3 * 4);
  std::size_t i = 0;
  for (; i + 2 < in.size(); i += 3) {
    const auto n = static_cast<std::uint32_t>(static_cast<unsigned char>(in[i]) << 16 |
                                              static_cast<unsigned char>(in[i + 1]) << 8 |
                                              static_cast<unsigned char>(in[i + 2]));
    out.push_back(kAlphabet[(n >> 18) & 63]);
    out.push_back(kAlphabet[(n >> 12) & 63]);
    out.push_back(kAlphabet[(n >> 6) & 63]);
    out.push_back(kAlphabet[n & 63]);
  }
  if (i < in.size()) {
    auto n = static_cast<std::uint32_t>(static_cast<unsigned char>(in[i]) << 16);
    if (i + 1 < in.size()) {
      n |= static_cast<std::uint32_t>(static_cast<unsigned char>(in[i + 1]) << 8);
    }
    out.push_back(kAlphabet[(n >> 18) & 63]);
    out.push_back(kAlphabet[(n >> 12) & 63]);
    out.push_back(i + 1 < in.size() ? kAlphabet[(n >> 6) & 63] : '=');
    out.push_back('=');
  }
  return out;
}

// RFC 3339 in UTC at second precision, as metav1.Time marshals; false outside years 0-9999.
bool FormatTime(std::int64_t seconds, std::string* out) {
  constexpr std::int64_t kMin = -62167219200;  // 0000-01-01T00:00:00Z
  constexpr std::int64_t kMax = 253402300799;  // 9999-12-31T23:59:59Z
  if (seconds < kMin || seconds > kMax) {
    return false;
  }
  std::int64_t days = seconds / 86400;
  std::int64_t rem = seconds % 86400;
  if (rem < 0) {
    rem += 86400;
    --days;
  }
  // civil_from_days (H. Hinnant).
  const std::int64_t z = days + 719468;
  const std::int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const std::int64_t doe = z - era * 146097;
  const std::int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const std::int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const std::int64_t mp = (5 * doy + 2) / 153;
  const std::int64_t day = doy - (153 * mp + 2) / 5 + 1;
  const std::int64_t month = mp < 10 ? mp + 3 : mp - 9;
  const std::int64_t year = yoe + era * 400 + (month <= 2 ? 1 : 0);
  auto two = [](std::int64_t v) {
    return std::string(1, static_cast<char>('0' + v / 10)) + static_cast<char>('0' + v % 10);
  };
  std::string y = std::to_string(year);
  y.insert(0, 4 - y.size(), '0');
  *out = y + "-" + two(month) + "-" + two(day) + "T" + two(rem / 3600) + ":" + two(rem / 60 % 60) +
         ":" + two(rem % 60) + "Z";
  return true;
}

// ---------------------------------------------------------------------------------------------
// Schema: the generated.proto field numbers of the messages kubectl's create commands send.

enum class Type : std::uint8_t {
  kString,     // emitted when non-empty
  kOptString,  // pointer: emitted when present
  kInt32,      // emitted when non-zero
  kOptInt32,   // pointer: emitted when present
  kInt64,
  kOptInt64,
  kBool,            // emitted when true
  kOptBool,         // pointer: emitted when present
  kMessage,         // struct: emitted when it has members
  kOptMessage,      // pointer to struct: emitted when present, {} included
  kStringList,      // repeated string
  kMessageList,     // repeated message, every item emitted
  kStringMap,       // map<string, string>
  kBytesMap,        // map<string, bytes>, values base64
  kQuantityMap,     // map<string, resource.Quantity>
  kIntOrString,     // intstr.IntOrString struct: emitted when non-zero
  kOptIntOrString,  // *intstr.IntOrString: emitted when present
  kTime,            // metav1.Time: emitted when non-zero
};

struct Message;
using MessageRef = const Message& (*)();

struct Field {
  std::uint32_t number;
  std::string_view name;
  Type type;
  MessageRef message = nullptr;  // kMessage, kOptMessage, kMessageList
};

struct Message {
  std::string_view name;
  std::vector<Field> fields;

  const Field* Find(std::uint32_t number) const {
    for (const Field& f : fields) {
      if (f.number == number) {
        return &f;
      }
    }
    return nullptr;
  }
};

const Message& TypeMetaMsg() {
  static const Message m{"TypeMeta",
                         {{1, "apiVersion", Type::kString}, {2, "kind", Type::kString}}};
  return m;
}

const Message& OwnerReferenceMsg() {
  static const Message m{"OwnerReference",
                         {{1, "kind", Type::kString},
                          {3, "name", Type::kString},
                          {4, "uid", Type::kString},
                          {5, "apiVersion", Type::kString},
                          {6, "controller", Type::kOptBool},
                          {7, "blockOwnerDeletion", Type::kOptBool}}};
  return m;
}

const Message& ObjectMetaMsg() {
  static const Message m{"ObjectMeta",
                         {{1, "name", Type::kString},
                          {2, "generateName", Type::kString},
                          {3, "namespace", Type::kString},
                          {4, "selfLink", Type::kString},
                          {5, "uid", Type::kString},
                          {6, "resourceVersion", Type::kString},
                          {7, "generation", Type::kInt64},
                          {8, "creationTimestamp", Type::kTime},
                          {9, "deletionTimestamp", Type::kTime},
                          {10, "deletionGracePeriodSeconds", Type::kOptInt64},
                          {11, "labels", Type::kStringMap},
                          {12, "annotations", Type::kStringMap},
                          {13, "ownerReferences", Type::kMessageList, OwnerReferenceMsg},
                          {14, "finalizers", Type::kStringList}}};
  return m;
}

const Message& LocalObjectReferenceMsg() {
  static const Message m{"LocalObjectReference", {{1, "name", Type::kString}}};
  return m;
}

const Message& ObjectReferenceMsg() {
  static const Message m{"ObjectReference",
                         {{1, "kind", Type::kString},
                          {2, "namespace", Type::kString},
                          {3, "name", Type::kString},
                          {4, "uid", Type::kString},
                          {5, "apiVersion", Type::kString},
                          {6, "resourceVersion", Type::kString},
                          {7, "fieldPath", Type::kString}}};
  return m;
}

const Message& NamespaceSpecMsg() {
  static const Message m{"NamespaceSpec", {{1, "finalizers", Type::kStringList}}};
  return m;
}

const Message& NamespaceStatusMsg() {
  static const Message m{"NamespaceStatus", {{1, "phase", Type::kString}}};
  return m;
}

const Message& NamespaceMsg() {
  static const Message m{"Namespace",
                         {{1, "metadata", Type::kMessage, ObjectMetaMsg},
                          {2, "spec", Type::kMessage, NamespaceSpecMsg},
                          {3, "status", Type::kMessage, NamespaceStatusMsg}}};
  return m;
}

const Message& ConfigMapMsg() {
  static const Message m{"ConfigMap",
                         {{1, "metadata", Type::kMessage, ObjectMetaMsg},
                          {2, "data", Type::kStringMap},
                          {3, "binaryData", Type::kBytesMap},
                          {4, "immutable", Type::kOptBool}}};
  return m;
}

const Message& SecretMsg() {
  static const Message m{"Secret",
                         {{1, "metadata", Type::kMessage, ObjectMetaMsg},
                          {2, "data", Type::kBytesMap},
                          {3, "type", Type::kString},
                          {4, "stringData", Type::kStringMap},
                          {5, "immutable", Type::kOptBool}}};
  return m;
}

const Message& ServiceAccountMsg() {
  static const Message m{"ServiceAccount",
                         {{1, "metadata", Type::kMessage, ObjectMetaMsg},
                          {2, "secrets", Type::kMessageList, ObjectReferenceMsg},
                          {3, "imagePullSecrets", Type::kMessageList, LocalObjectReferenceMsg},
                          {4, "automountServiceAccountToken", Type::kOptBool}}};
  return m;
}

const Message& LabelSelectorRequirementMsg() {
  static const Message m{"LabelSelectorRequirement",
                         {{1, "key", Type::kString},
                          {2, "operator", Type::kString},
                          {3, "values", Type::kStringList}}};
  return m;
}

const Message& LabelSelectorMsg() {
  static const Message m{
      "LabelSelector",
      {{1, "matchLabels", Type::kStringMap},
       {2, "matchExpressions", Type::kMessageList, LabelSelectorRequirementMsg}}};
  return m;
}

const Message& ContainerPortMsg() {
  static const Message m{"ContainerPort",
                         {{1, "name", Type::kString},
                          {2, "hostPort", Type::kInt32},
                          {3, "containerPort", Type::kInt32},
                          {4, "protocol", Type::kString},
                          {5, "hostIP", Type::kString}}};
  return m;
}

const Message& EnvVarMsg() {
  static const Message m{"EnvVar", {{1, "name", Type::kString}, {2, "value", Type::kString}}};
  return m;
}

const Message& ResourceRequirementsMsg() {
  static const Message m{"ResourceRequirements",
                         {{1, "limits", Type::kQuantityMap}, {2, "requests", Type::kQuantityMap}}};
  return m;
}

const Message& VolumeMountMsg() {
  static const Message m{"VolumeMount",
                         {{1, "name", Type::kString},
                          {2, "readOnly", Type::kBool},
                          {3, "mountPath", Type::kString},
                          {4, "subPath", Type::kString},
                          {5, "mountPropagation", Type::kOptString},
                          {6, "subPathExpr", Type::kString}}};
  return m;
}

const Message& ContainerMsg() {
  static const Message m{"Container",
                         {{1, "name", Type::kString},
                          {2, "image", Type::kString},
                          {3, "command", Type::kStringList},
                          {4, "args", Type::kStringList},
                          {5, "workingDir", Type::kString},
                          {6, "ports", Type::kMessageList, ContainerPortMsg},
                          {7, "env", Type::kMessageList, EnvVarMsg},
                          {8, "resources", Type::kMessage, ResourceRequirementsMsg},
                          {9, "volumeMounts", Type::kMessageList, VolumeMountMsg},
                          {13, "terminationMessagePath", Type::kString},
                          {14, "imagePullPolicy", Type::kString},
                          {16, "stdin", Type::kBool},
                          {17, "stdinOnce", Type::kBool},
                          {18, "tty", Type::kBool},
                          {20, "terminationMessagePolicy", Type::kString},
                          {24, "restartPolicy", Type::kOptString}}};
  return m;
}

const Message& TolerationMsg() {
  static const Message m{"Toleration",
                         {{1, "key", Type::kString},
                          {2, "operator", Type::kString},
                          {3, "value", Type::kString},
                          {4, "effect", Type::kString},
                          {5, "tolerationSeconds", Type::kOptInt64}}};
  return m;
}

const Message& PodSpecMsg() {
  static const Message m{"PodSpec",
                         {{2, "containers", Type::kMessageList, ContainerMsg},
                          {3, "restartPolicy", Type::kString},
                          {4, "terminationGracePeriodSeconds", Type::kOptInt64},
                          {5, "activeDeadlineSeconds", Type::kOptInt64},
                          {6, "dnsPolicy", Type::kString},
                          {7, "nodeSelector", Type::kStringMap},
                          {8, "serviceAccountName", Type::kString},
                          {9, "serviceAccount", Type::kString},
                          {10, "nodeName", Type::kString},
                          {11, "hostNetwork", Type::kBool},
                          {12, "hostPID", Type::kBool},
                          {13, "hostIPC", Type::kBool},
                          {15, "imagePullSecrets", Type::kMessageList, LocalObjectReferenceMsg},
                          {16, "hostname", Type::kString},
                          {17, "subdomain", Type::kString},
                          {19, "schedulerName", Type::kString},
                          {20, "initContainers", Type::kMessageList, ContainerMsg},
                          {21, "automountServiceAccountToken", Type::kOptBool},
                          {22, "tolerations", Type::kMessageList, TolerationMsg},
                          {24, "priorityClassName", Type::kString},
                          {25, "priority", Type::kOptInt32},
                          {29, "runtimeClassName", Type::kOptString},
                          {30, "enableServiceLinks", Type::kOptBool}}};
  return m;
}

const Message& PodTemplateSpecMsg() {
  static const Message m{
      "PodTemplateSpec",
      {{1, "metadata", Type::kMessage, ObjectMetaMsg}, {2, "spec", Type::kMessage, PodSpecMsg}}};
  return m;
}

const Message& RollingUpdateDeploymentMsg() {
  static const Message m{
      "RollingUpdateDeployment",
      {{1, "maxUnavailable", Type::kOptIntOrString}, {2, "maxSurge", Type::kOptIntOrString}}};
  return m;
}

const Message& DeploymentStrategyMsg() {
  static const Message m{"DeploymentStrategy",
                         {{1, "type", Type::kString},
                          {2, "rollingUpdate", Type::kOptMessage, RollingUpdateDeploymentMsg}}};
  return m;
}

const Message& DeploymentSpecMsg() {
  static const Message m{"DeploymentSpec",
                         {{1, "replicas", Type::kOptInt32},
                          {2, "selector", Type::kOptMessage, LabelSelectorMsg},
                          {3, "template", Type::kMessage, PodTemplateSpecMsg},
                          {4, "strategy", Type::kMessage, DeploymentStrategyMsg},
                          {5, "minReadySeconds", Type::kInt32},
                          {6, "revisionHistoryLimit", Type::kOptInt32},
                          {7, "paused", Type::kBool},
                          {9, "progressDeadlineSeconds", Type::kOptInt32}}};
  return m;
}

// Status (field 3) is not decoded: a create discards it and kubectl sends it empty.
const Message& DeploymentMsg() {
  static const Message m{"Deployment",
                         {{1, "metadata", Type::kMessage, ObjectMetaMsg},
                          {2, "spec", Type::kMessage, DeploymentSpecMsg}}};
  return m;
}

const Message& ServicePortMsg() {
  static const Message m{"ServicePort",
                         {{1, "name", Type::kString},
                          {2, "protocol", Type::kString},
                          {3, "port", Type::kInt32},
                          {4, "targetPort", Type::kIntOrString},
                          {5, "nodePort", Type::kInt32},
                          {6, "appProtocol", Type::kOptString}}};
  return m;
}

const Message& ClientIpConfigMsg() {
  static const Message m{"ClientIPConfig", {{1, "timeoutSeconds", Type::kOptInt32}}};
  return m;
}

const Message& SessionAffinityConfigMsg() {
  static const Message m{"SessionAffinityConfig",
                         {{1, "clientIP", Type::kOptMessage, ClientIpConfigMsg}}};
  return m;
}

const Message& ServiceSpecMsg() {
  static const Message m{
      "ServiceSpec",
      {{1, "ports", Type::kMessageList, ServicePortMsg},
       {2, "selector", Type::kStringMap},
       {3, "clusterIP", Type::kString},
       {4, "type", Type::kString},
       {5, "externalIPs", Type::kStringList},
       {7, "sessionAffinity", Type::kString},
       {8, "loadBalancerIP", Type::kString},
       {9, "loadBalancerSourceRanges", Type::kStringList},
       {10, "externalName", Type::kString},
       {11, "externalTrafficPolicy", Type::kString},
       {12, "healthCheckNodePort", Type::kInt32},
       {13, "publishNotReadyAddresses", Type::kBool},
       {14, "sessionAffinityConfig", Type::kOptMessage, SessionAffinityConfigMsg},
       {17, "ipFamilyPolicy", Type::kOptString},
       {18, "clusterIPs", Type::kStringList},
       {19, "ipFamilies", Type::kStringList},
       {20, "allocateLoadBalancerNodePorts", Type::kOptBool},
       {21, "loadBalancerClass", Type::kOptString},
       {22, "internalTrafficPolicy", Type::kOptString}}};
  return m;
}

const Message& ServiceMsg() {
  static const Message m{"Service",
                         {{1, "metadata", Type::kMessage, ObjectMetaMsg},
                          {2, "spec", Type::kMessage, ServiceSpecMsg}}};
  return m;
}

// ---------------------------------------------------------------------------------------------
// Decoding.

constexpr int kMaxDepth = 16;  // the schema is acyclic and shallower; a guard, not a limit

bool ExpectWire(std::uint32_t wire, Type type) {
  switch (type) {
    case Type::kInt32:
    case Type::kOptInt32:
    case Type::kInt64:
    case Type::kOptInt64:
    case Type::kBool:
    case Type::kOptBool:
      return wire == kVarint;
    default:
      return wire == kLengthDelimited;
  }
}

Status DecodeMessage(std::string_view bytes, const Message& msg, Value& out, int depth);

// map entry {1: key, 2: value}; value is a string, bytes or Quantity{1: string}.
Status DecodeMapEntry(std::string_view bytes, Type type, std::string_view map_name,
                      std::string* key, std::string* value) {
  Reader r(bytes);
  while (!r.done()) {
    std::uint64_t tag = 0;
    if (!r.ReadVarint(&tag)) {
      return Malformed("bad tag in " + std::string(map_name));
    }
    const auto number = static_cast<std::uint32_t>(tag >> 3);
    const auto wire = static_cast<std::uint32_t>(tag & 7);
    if ((number == 1 || number == 2) && wire == kLengthDelimited) {
      std::string_view field;
      if (!r.ReadBytes(&field)) {
        return Malformed("truncated entry in " + std::string(map_name));
      }
      if (number == 1) {
        *key = std::string(field);
      } else if (type != Type::kQuantityMap) {
        *value = std::string(field);
      } else {
        // resource.Quantity {1: string}
        Reader q(field);
        value->clear();
        while (!q.done()) {
          std::uint64_t qtag = 0;
          if (!q.ReadVarint(&qtag)) {
            return Malformed("bad quantity in " + std::string(map_name));
          }
          if ((qtag >> 3) == 1 && (qtag & 7) == kLengthDelimited) {
            std::string_view text;
            if (!q.ReadBytes(&text)) {
              return Malformed("bad quantity in " + std::string(map_name));
            }
            *value = std::string(text);
          } else if (!q.Skip(static_cast<std::uint32_t>(qtag & 7))) {
            return Malformed("bad quantity in " + std::string(map_name));
          }
        }
      }
    } else if (number == 1 || number == 2) {
      return Malformed("wrong wire type in " + std::string(map_name));
    } else if (!r.Skip(wire)) {
      return Malformed("bad field in " + std::string(map_name));
    }
  }
  return Status::Ok();
}

// intstr.IntOrString {1: type (0 int, 1 string), 2: intVal, 3: strVal}. `present` tells whether
// a zero value is emitted (pointer fields).
Result<Value> DecodeIntOrString(std::string_view bytes, bool pointer) {
  Reader r(bytes);
  std::uint64_t kind = 0;
  std::int32_t int_value = 0;
  std::string str_value;
  while (!r.done()) {
    std::uint64_t tag = 0;
    if (!r.ReadVarint(&tag)) {
      return Malformed("bad tag in IntOrString");
    }
    const auto number = tag >> 3;
    const auto wire = static_cast<std::uint32_t>(tag & 7);
    if ((number == 1 || number == 2) && wire == kVarint) {
      std::uint64_t v = 0;
      if (!r.ReadVarint(&v)) {
        return Malformed("truncated IntOrString");
      }
      if (number == 1) {
        kind = v;
      } else {
        int_value = static_cast<std::int32_t>(static_cast<std::uint32_t>(v));
      }
    } else if (number == 3 && wire == kLengthDelimited) {
      std::string_view s;
      if (!r.ReadBytes(&s)) {
        return Malformed("truncated IntOrString");
      }
      str_value = SanitizeUtf8(s);
    } else if (number >= 1 && number <= 3) {
      return Malformed("wrong wire type in IntOrString");
    } else if (!r.Skip(wire)) {
      return Malformed("bad field in IntOrString");
    }
  }
  if (kind == 1) {
    if (str_value.empty() && !pointer) {
      return Value();
    }
    return Value::String(std::move(str_value));
  }
  if (int_value == 0 && !pointer) {
    return Value();
  }
  return Value::Int(int_value);
}

Result<Value> DecodeTime(std::string_view bytes) {
  Reader r(bytes);
  std::int64_t seconds = 0;
  while (!r.done()) {
    std::uint64_t tag = 0;
    if (!r.ReadVarint(&tag)) {
      return Malformed("bad tag in Time");
    }
    const auto wire = static_cast<std::uint32_t>(tag & 7);
    if ((tag >> 3) == 1 && wire == kVarint) {
      std::uint64_t v = 0;
      if (!r.ReadVarint(&v)) {
        return Malformed("truncated Time");
      }
      seconds = static_cast<std::int64_t>(v);
    } else if (!r.Skip(wire)) {  // nanos (2) are below metav1.Time's JSON precision
      return Malformed("bad field in Time");
    }
  }
  if (seconds == 0) {
    return Value();
  }
  std::string text;
  if (!FormatTime(seconds, &text)) {
    return Malformed("timestamp out of range");
  }
  return Value::String(std::move(text));
}

Status DecodeField(Reader& r, const Field& field, std::uint32_t wire, Value& out, int depth) {
  const std::string where = std::string(field.name);
  if (!ExpectWire(wire, field.type)) {
    return Malformed("wrong wire type for " + where);
  }
  if (wire == kVarint) {
    std::uint64_t v = 0;
    if (!r.ReadVarint(&v)) {
      return Malformed("truncated varint in " + where);
    }
    Value value;
    bool zero = v == 0;
    switch (field.type) {
      case Type::kInt32:
      case Type::kOptInt32: {
        const auto i = static_cast<std::int32_t>(static_cast<std::uint32_t>(v));
        zero = i == 0;
        value = Value::Int(i);
        break;
      }
      case Type::kInt64:
      case Type::kOptInt64:
        value = Value::Int(static_cast<std::int64_t>(v));
        break;
      default:  // bools: any non-zero varint is true, as in Go
        value = Value::Bool(v != 0);
        break;
    }
    const bool pointer = field.type == Type::kOptInt32 || field.type == Type::kOptInt64 ||
                         field.type == Type::kOptBool;
    if (zero && !pointer) {
      out.Erase(field.name);  // the last occurrence wins, as in proto
    } else {
      out.Set(field.name, std::move(value));
    }
    return Status::Ok();
  }

  std::string_view bytes;
  if (!r.ReadBytes(&bytes)) {
    return Malformed("length past the end in " + where);
  }
  switch (field.type) {
    case Type::kString:
      if (bytes.empty()) {
        out.Erase(field.name);
      } else {
        out.Set(field.name, Value::String(SanitizeUtf8(bytes)));
      }
      return Status::Ok();
    case Type::kOptString:
      out.Set(field.name, Value::String(SanitizeUtf8(bytes)));
      return Status::Ok();
    case Type::kStringList: {
      Value* list = out.Find(field.name);
      if (list == nullptr || !list->is_array()) {
        list = &out.Set(field.name, Value::MakeArray());
      }
      list->items().push_back(Value::String(SanitizeUtf8(bytes)));
      return Status::Ok();
    }
    case Type::kStringMap:
    case Type::kBytesMap:
    case Type::kQuantityMap: {
      std::string key;
      std::string value;
      PLUMBLINE_RETURN_IF_ERROR(DecodeMapEntry(bytes, field.type, field.name, &key, &value));
      Value* map = out.Find(field.name);
      if (map == nullptr || !map->is_object()) {
        map = &out.Set(field.name, Value::MakeObject());
      }
      map->Set(
          SanitizeUtf8(key),
          Value::String(field.type == Type::kBytesMap ? Base64Encode(value) : SanitizeUtf8(value)));
      return Status::Ok();
    }
    case Type::kIntOrString:
    case Type::kOptIntOrString: {
      auto value = DecodeIntOrString(bytes, field.type == Type::kOptIntOrString);
      if (!value) {
        return value.error();
      }
      if (value->is_null()) {
        out.Erase(field.name);
      } else {
        out.Set(field.name, std::move(*value));
      }
      return Status::Ok();
    }
    case Type::kTime: {
      auto value = DecodeTime(bytes);
      if (!value) {
        return value.error();
      }
      if (value->is_null()) {
        out.Erase(field.name);
      } else {
        out.Set(field.name, std::move(*value));
      }
      return Status::Ok();
    }
    case Type::kMessage:
    case Type::kOptMessage: {
      // Repeated occurrences of a message field merge, as in proto.
      Value child = Value::MakeObject();
      if (Value* existing = out.Find(field.name); existing != nullptr && existing->is_object()) {
        child = std::move(*existing);
      }
      PLUMBLINE_RETURN_IF_ERROR(DecodeMessage(bytes, field.message(), child, depth + 1));
      if (child.members().empty() && field.type == Type::kMessage) {
        out.Erase(field.name);
      } else {
        out.Set(field.name, std::move(child));
      }
      return Status::Ok();
    }
    case Type::kMessageList: {
      Value item = Value::MakeObject();
      PLUMBLINE_RETURN_IF_ERROR(DecodeMessage(bytes, field.message(), item, depth + 1));
      Value* list = out.Find(field.name);
      if (list == nullptr || !list->is_array()) {
        list = &out.Set(field.name, Value::MakeArray());
      }
      list->items().push_back(std::move(item));
      return Status::Ok();
    }
    default:
      return Malformed("wrong wire type for " + where);
  }
}

Status DecodeMessage(std::string_view bytes, const Message& msg, Value& out, int depth) {
  if (depth > kMaxDepth) {
    return Malformed("nesting too deep");
  }
  Reader r(bytes);
  while (!r.done()) {
    std::uint64_t tag = 0;
    if (!r.ReadVarint(&tag)) {
      return Malformed("bad tag in " + std::string(msg.name));
    }
    const std::uint64_t number = tag >> 3;
    const auto wire = static_cast<std::uint32_t>(tag & 7);
    if (number == 0 || number > 0x1fffffff) {
      return Malformed("invalid field number in " + std::string(msg.name));
    }
    const Field* field = msg.Find(static_cast<std::uint32_t>(number));
    if (field == nullptr) {
      if (!r.Skip(wire)) {
        return Malformed("bad unknown field in " + std::string(msg.name));
      }
      continue;
    }
    PLUMBLINE_RETURN_IF_ERROR(DecodeField(r, *field, wire, out, depth));
  }
  return Status::Ok();
}

struct KindEntry {
  std::string_view api_version;
  std::string_view kind;
  MessageRef message;
};

constexpr KindEntry kKinds[] = {
    {"v1", "Namespace", NamespaceMsg},
    {"v1", "ConfigMap", ConfigMapMsg},
    {"v1", "Secret", SecretMsg},
    {"v1", "Service", ServiceMsg},
    {"v1", "ServiceAccount", ServiceAccountMsg},
    {"apps/v1", "Deployment", DeploymentMsg},
};

}  // namespace

Result<hashing::Value> DecodeProtobufObject(std::string_view body) {
  constexpr std::string_view kMagic("k8s\0", 4);
  if (body.substr(0, kMagic.size()) != kMagic) {
    return MakeError(ErrorCode::kInvalidArgument,
                     R"(malformed protobuf body: missing the "k8s\0" prefix)");
  }
  // runtime.Unknown {1: TypeMeta, 2: raw, 3: contentEncoding, 4: contentType}.
  Value type_meta = Value::MakeObject();
  std::string_view raw;
  std::string content_encoding;
  Reader r(body.substr(kMagic.size()));
  while (!r.done()) {
    std::uint64_t tag = 0;
    if (!r.ReadVarint(&tag)) {
      return Malformed("bad tag in the envelope");
    }
    const std::uint64_t number = tag >> 3;
    const auto wire = static_cast<std::uint32_t>(tag & 7);
    if (number >= 1 && number <= 4) {
      std::string_view bytes;
      if (wire != kLengthDelimited) {
        return Malformed("wrong wire type in the envelope");
      }
      if (!r.ReadBytes(&bytes)) {
        return Malformed("length past the end of the envelope");
      }
      if (number == 1) {
        PLUMBLINE_RETURN_IF_ERROR(DecodeMessage(bytes, TypeMetaMsg(), type_meta, 0));
      } else if (number == 2) {
        raw = bytes;
      } else if (number == 3) {
        content_encoding = std::string(bytes);
      }
    } else if (number == 0 || !r.Skip(wire)) {
      return Malformed("bad field in the envelope");
    }
  }
  const std::string api_version(type_meta.GetString("apiVersion"));
  const std::string kind(type_meta.GetString("kind"));
  if (!content_encoding.empty()) {
    return MakeError(
        ErrorCode::kUnsupportedMediaType,
        "protobuf content encoding \"" + SanitizeUtf8(content_encoding) + "\" is not supported");
  }
  const KindEntry* entry = nullptr;
  for (const KindEntry& e : kKinds) {
    if (e.api_version == api_version && e.kind == kind) {
      entry = &e;
      break;
    }
  }
  if (entry == nullptr) {
    return MakeError(ErrorCode::kUnsupportedMediaType,
                     "kube-sim decodes protobuf only for v1 Namespace, ConfigMap, Secret, "
                     "Service, ServiceAccount and apps/v1 Deployment, not " +
                         SanitizeUtf8(api_version) + ", Kind=" + SanitizeUtf8(kind) +
                         "; send application/json");
  }
  Value object = Value::MakeObject();
  object.Set("apiVersion", Value::String(api_version));
  object.Set("kind", Value::String(kind));
  PLUMBLINE_RETURN_IF_ERROR(DecodeMessage(raw, entry->message(), object, 0));
  return object;
}

}  // namespace plumbline::sim
