// The embedded server's keyspace: string keys holding string values, each with an optional
// expiry time. Expiry is lazy, as in Redis: a key whose time has come is deleted by whatever call
// meets it first (every lookup, SCAN, and the counts), so no periodic sweep is needed.
//
// SCAN's cursor is an index into a table of slots: every key holds one slot from its creation to
// its deletion and freed slots are reused, so a full scan returns every key that exists for its
// whole duration exactly once, whatever the writes meanwhile.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace versus::redis {

// Times are the server loop's monotonic clock in milliseconds. An expiry time of 0 means none.
class Store {
 public:
  // nullptr when the key does not exist. Valid until the store is next changed.
  const std::string* get(std::string_view key, int64_t now_ms);
  // Replaces the value and the expiry time.
  void set(std::string_view key, std::string_view value, int64_t expire_at_ms);
  bool exists(std::string_view key, int64_t now_ms) { return get(key, now_ms) != nullptr; }
  bool del(std::string_view key, int64_t now_ms);
  // False when the key does not exist. A time not after now deletes the key.
  bool expire_at(std::string_view key, int64_t at_ms, int64_t now_ms);
  // -2: no such key; -1: no expiry; otherwise milliseconds left (> 0).
  int64_t ttl_ms(std::string_view key, int64_t now_ms);

  // Live keys, and those of them with an expiry time (both sweep the expired ones first).
  size_t size(int64_t now_ms);
  size_t volatile_size(int64_t now_ms);

  // Examines `count` keys from `cursor` on, adds those matching the glob `pattern` ("" or "*":
  // all) to `keys` (views valid until the store next changes), and returns the cursor to go on
  // from: 0 when the table is done.
  uint64_t scan(uint64_t cursor, size_t count, std::string_view pattern, int64_t now_ms,
                std::vector<std::string_view>& keys);

  void clear();
  // Keys, values and a fixed overhead per key: an estimate of what the data costs.
  size_t used_bytes() const { return bytes_; }

 private:
  struct Entry {
    std::string value;
    int64_t expire_at_ms = 0;
    uint32_t slot = 0;
  };
  struct Hash {
    using is_transparent = void;
    size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };
  using Map = std::unordered_map<std::string, Entry, Hash, std::equal_to<>>;

  Map::iterator find_live(std::string_view key, int64_t now_ms);
  void erase(Map::iterator it);
  void sweep(int64_t now_ms);

  Map map_;
  std::vector<Map::value_type*> slots_;  // map nodes never move, so pointers to them stay valid
  std::vector<uint32_t> free_slots_;
  size_t volatile_ = 0;  // keys with an expiry time, expired or not
  size_t bytes_ = 0;
};

// Redis's glob patterns: * ? [abc] [^a-z] and \ to escape.
bool glob_match(std::string_view pattern, std::string_view s);

}  // namespace versus::redis
