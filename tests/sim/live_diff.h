// Field-by-field comparison of an object kube-sim produced with a live object a real API
// server returned (../shared/testdata/gitops-engine/*-live.*): shared by the defaulting tests
// and the kubectl apply tests. Test-only, single-threaded.
#pragma once

#include <string>
#include <vector>

#include "plumbline/hashing/json.h"
#include "plumbline/hashing/value.h"

namespace plumbline::testing::live_diff {

using hashing::ToJson;
using hashing::Value;

// Compares the defaulted Git object with the live one field by field. List items are matched by
// mountPath, name, containerPort/protocol or position. Random allocations (cluster IPs, node
// ports) only need to be present on both sides.
inline std::string ItemKey(const Value& item) {
  if (!item.is_object()) {
    return "";
  }
  if (const Value* p = item.Find("mountPath"); p != nullptr && p->is_string()) {
    return "mountPath=" + p->text();
  }
  if (const Value* n = item.Find("name"); n != nullptr && n->is_string()) {
    return "name=" + n->text();
  }
  if (const Value* p = item.Find("containerPort")) {
    return "containerPort=" + p->text() + "/" + std::string(item.GetString("protocol"));
  }
  return "";
}

inline bool IsAllocated(const std::string& path) {
  return path == ".spec.clusterIP" || path == ".spec.clusterIPs" ||
         path == ".spec.healthCheckNodePort" ||
         (path.rfind(".spec.ports[", 0) == 0 && path.size() > 9 &&
          path.compare(path.size() - 9, 9, ".nodePort") == 0);
}

inline void DiffValues(const Value& produced, const Value& live, const std::string& path,
                       std::vector<std::string>& out) {
  if (IsAllocated(path)) {
    return;
  }
  if (produced.is_object() && live.is_object()) {
    for (const auto& [key, value] : live.members()) {
      if (const Value* p = produced.Find(key)) {
        DiffValues(*p, value, path + "." + key, out);
      } else {
        out.push_back("missing " + path + "." + key);
      }
    }
    for (const auto& [key, value] : produced.members()) {
      if (live.Find(key) == nullptr) {
        out.push_back("extra " + path + "." + key);
      }
    }
    return;
  }
  if (produced.is_array() && live.is_array()) {
    bool keyed = true;
    for (const auto* list : {&produced, &live}) {
      for (const Value& item : list->items()) {
        keyed = keyed && !ItemKey(item).empty();
      }
    }
    if (keyed) {
      for (const Value& l : live.items()) {
        const Value* match = nullptr;
        for (const Value& p : produced.items()) {
          match = ItemKey(p) == ItemKey(l) ? &p : match;
        }
        if (match == nullptr) {
          out.push_back("missing " + path + "[" + ItemKey(l) + "]");
        } else {
          DiffValues(*match, l, path + "[" + ItemKey(l) + "]", out);
        }
      }
      for (const Value& p : produced.items()) {
        bool found = false;
        for (const Value& l : live.items()) {
          found = found || ItemKey(p) == ItemKey(l);
        }
        if (!found) {
          out.push_back("extra " + path + "[" + ItemKey(p) + "]");
        }
      }
      return;
    }
    if (produced.items().size() == live.items().size()) {
      for (std::size_t i = 0; i < live.items().size(); ++i) {
        DiffValues(produced.items()[i], live.items()[i], path + "[" + std::to_string(i) + "]", out);
      }
      return;
    }
  }
  if (!(produced == live)) {
    out.push_back("differs " + path + ": " + ToJson(produced) + " vs live " + ToJson(live));
  }
}

// Drops what the comparison excludes: status, server-written metadata, controller annotations.
inline Value Comparable(Value v) {
  v.Erase("status");
  if (Value* meta = v.Find("metadata")) {
    for (const char* key : {"uid", "resourceVersion", "creationTimestamp", "generation", "selfLink",
                            "managedFields", "namespace"}) {
      meta->Erase(key);
    }
    if (Value* annotations = meta->Find("annotations")) {
      annotations->Erase("kubectl.kubernetes.io/last-applied-configuration");
      annotations->Erase("deployment.kubernetes.io/revision");
      if (annotations->members().empty()) {
        meta->Erase("annotations");
      }
    }
  }
  return v;
}

}  // namespace plumbline::testing::live_diff
