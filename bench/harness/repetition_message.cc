// The messages between the harness and a repetition's process: the cell, for one that is exec'd,
// and the row it sends back. JSON keeps every bit of a double, where the CSV keeps 9 digits.
#include <map>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include <nlohmann/json.hpp>

#include "bench/api/record_fields.h"
#include "bench/harness/repetition.h"

namespace versus {

namespace {

// A member in the repetition's message and back. Only an empty optional is left out; everything
// else is always written and so required when read.
template <typename T>
void put(nlohmann::json& j, const char* key, const T& v) {
  j[key] = v;
}
void put(nlohmann::json& j, const char* key, Status v) { j[key] = status_name(v); }
template <typename T>
void put(nlohmann::json& j, const char* key, const std::optional<T>& v) {
  if (v) j[key] = *v;
}

template <typename T>
void get(const nlohmann::json& j, const char* key, T& v) {
  v = j.at(key).get<T>();
}
void get(const nlohmann::json& j, const char* key, Status& v) {
  v = parse_status(j.at(key).get<std::string>()).value();
}
template <typename T>
void get(const nlohmann::json& j, const char* key, std::optional<T>& v) {
  if (j.contains(key) && !j[key].is_null()) v = j[key].get<T>();
}

}  // namespace

std::string encode_record(const Record& r) {
  nlohmann::json j;
  for (const auto& f : kRecordFields) std::visit([&](auto m) { put(j, f.name, r.*m); }, f.member);
  if (!r.histogram_text.empty()) j["histogram_text"] = r.histogram_text;
  return j.dump();
}

Record decode_record(const std::string& text) {
  const nlohmann::json j = nlohmann::json::parse(text);
  Record r;
  for (const auto& f : kRecordFields) std::visit([&](auto m) { get(j, f.name, r.*m); }, f.member);
  if (j.contains("histogram_text")) r.histogram_text = j.at("histogram_text").get<std::string>();
  return r;
}

// The cell's every field, in one list for both ways (a field added to Cell goes here too).
void to_json(nlohmann::json& j, const Params& p) { j = p.values(); }
void from_json(const nlohmann::json& j, Params& p) { p = Params(j.get<std::map<std::string, std::string>>()); }
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(Cell, scenario, runner, workers, params, repetitions, warmup, timeout_s,
                                   interference_limit, retries, sized_param, min_time_s, repetition, unit_cpus,
                                   peak_ops_per_s)

std::string encode_cell(const Cell& c) { return nlohmann::json(c).dump(); }

Cell decode_cell(const std::string& text) { return nlohmann::json::parse(text).get<Cell>(); }

}  // namespace versus
