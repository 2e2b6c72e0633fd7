#include "scenarios/redis/store.h"

#include <algorithm>

namespace versus::redis {
namespace {

constexpr size_t kEntryOverhead = 64;  // node, hash bucket, slot: roughly

bool expired(int64_t expire_at_ms, int64_t now_ms) { return expire_at_ms != 0 && expire_at_ms <= now_ms; }

// Whether `c` matches the single-character pattern at `p[i]` (a literal, ?, \x or a [class]);
// `next` gets the index after it.
bool match_one(std::string_view p, size_t i, char c, size_t& next) {
  if (p[i] == '?') {
    next = i + 1;
    return true;
  }
  if (p[i] == '\\' && i + 1 < p.size()) {
    next = i + 2;
    return p[i + 1] == c;
  }
  if (p[i] != '[') {
    next = i + 1;
    return p[i] == c;
  }
  size_t j = i + 1;
  const bool negate = j < p.size() && p[j] == '^';
  if (negate) ++j;
  bool hit = false;
  while (j < p.size() && p[j] != ']') {
    if (p[j] == '\\' && j + 1 < p.size()) {
      hit |= p[j + 1] == c;
      j += 2;
    } else if (j + 2 < p.size() && p[j + 1] == '-' && p[j + 2] != ']') {
      char lo = p[j], hi = p[j + 2];
      if (lo > hi) std::swap(lo, hi);
      hit |= c >= lo && c <= hi;
      j += 3;
    } else {
      hit |= p[j] == c;
      ++j;
    }
  }
  next = j < p.size() ? j + 1 : j;  // an unclosed class ends with the pattern, as in Redis
  return hit != negate;
}

}  // namespace

bool glob_match(std::string_view p, std::string_view s) {
  // One backtracking point, the latest '*', is enough: an earlier star can never need more.
  size_t pi = 0, si = 0;
  size_t star = std::string_view::npos, star_si = 0;
  while (si < s.size()) {
    if (pi < p.size() && p[pi] == '*') {
      star = ++pi;
      star_si = si;
      continue;
    }
    size_t next = 0;
    if (pi < p.size() && match_one(p, pi, s[si], next)) {
      pi = next;
      ++si;
    } else if (star != std::string_view::npos) {
      pi = star;
      si = ++star_si;
    } else {
      return false;
    }
  }
  while (pi < p.size() && p[pi] == '*') ++pi;
  return pi == p.size();
}

Store::Map::iterator Store::find_live(std::string_view key, int64_t now_ms) {
  auto it = map_.find(key);
  if (it != map_.end() && expired(it->second.expire_at_ms, now_ms)) {
    erase(it);
    return map_.end();
  }
  return it;
}

void Store::erase(Map::iterator it) {
  const uint32_t slot = it->second.slot;
  if (it->second.expire_at_ms) --volatile_;
  bytes_ -= it->first.size() + it->second.value.size() + kEntryOverhead;
  map_.erase(it);
  slots_[slot] = nullptr;
  free_slots_.push_back(slot);
  if (map_.empty()) {
    slots_.clear();
    free_slots_.clear();
  }
}

void Store::sweep(int64_t now_ms) {
  if (volatile_ == 0) return;
  for (auto it = map_.begin(); it != map_.end();) {
    auto here = it++;
    if (expired(here->second.expire_at_ms, now_ms)) erase(here);
  }
}

const std::string* Store::get(std::string_view key, int64_t now_ms) {
  auto it = find_live(key, now_ms);
  return it == map_.end() ? nullptr : &it->second.value;
}

void Store::set(std::string_view key, std::string_view value, int64_t expire_at_ms) {
  auto it = map_.find(key);
  if (it == map_.end()) {
    it = map_.try_emplace(std::string(key)).first;
    if (free_slots_.empty()) {
      it->second.slot = uint32_t(slots_.size());
      slots_.push_back(&*it);
    } else {
      it->second.slot = free_slots_.back();
      free_slots_.pop_back();
      slots_[it->second.slot] = &*it;
    }
    bytes_ += key.size() + kEntryOverhead;
  }
  Entry& e = it->second;
  bytes_ = bytes_ - e.value.size() + value.size();
  e.value.assign(value);
  volatile_ += size_t(expire_at_ms != 0) - size_t(e.expire_at_ms != 0);
  e.expire_at_ms = expire_at_ms;
}

bool Store::del(std::string_view key, int64_t now_ms) {
  auto it = find_live(key, now_ms);
  if (it == map_.end()) return false;
  erase(it);
  return true;
}

bool Store::expire_at(std::string_view key, int64_t at_ms, int64_t now_ms) {
  auto it = find_live(key, now_ms);
  if (it == map_.end()) return false;
  if (at_ms <= now_ms) {
    erase(it);
    return true;
  }
  if (!it->second.expire_at_ms) ++volatile_;
  it->second.expire_at_ms = at_ms;
  return true;
}

int64_t Store::ttl_ms(std::string_view key, int64_t now_ms) {
  auto it = find_live(key, now_ms);
  if (it == map_.end()) return -2;
  if (!it->second.expire_at_ms) return -1;
  return it->second.expire_at_ms - now_ms;
}

size_t Store::size(int64_t now_ms) {
  sweep(now_ms);
  return map_.size();
}

size_t Store::volatile_size(int64_t now_ms) {
  sweep(now_ms);
  return volatile_;
}

uint64_t Store::scan(uint64_t cursor, size_t count, std::string_view pattern, int64_t now_ms,
                     std::vector<std::string_view>& keys) {
  const bool all = pattern.empty() || pattern == "*";
  count = std::clamp<size_t>(count, 1, size_t{1} << 32);
  // Free slots cost a little too: a table left sparse by deletions still returns promptly.
  size_t examined = 0, empty = 0;
  size_t i = cursor;
  while (i < slots_.size() && examined < count && empty < 10 * count) {
    Map::value_type* kv = slots_[i++];
    if (!kv) {
      ++empty;
    } else if (expired(kv->second.expire_at_ms, now_ms)) {
      erase(map_.find(kv->first));
      ++empty;
    } else {
      ++examined;
      if (all || glob_match(pattern, kv->first)) keys.push_back(kv->first);
    }
  }
  return i >= slots_.size() ? 0 : i;
}

void Store::clear() {
  map_.clear();
  slots_.clear();
  free_slots_.clear();
  volatile_ = 0;
  bytes_ = 0;
}

}  // namespace versus::redis
