// Every problem of one command line or preset, reported together: a user who mistyped a
// scenario and forgot --workers learns both at once. Unknown names come first, as a mistyped
// name often explains what follows from it; each problem names what is accepted.
#pragma once

#include "bench/harness/layer.h"

#include <string>
#include <utility>
#include <vector>

#include "bench/api/params.h"

namespace versus {

class UsageProblems {
 public:
  enum class Kind { kUnknownName, kOther };

  void add(std::string problem, Kind kind = Kind::kOther);
  // Runs `check`; a UsageError it throws becomes a problem (each of them, when it carries several).
  template <typename F>
  void check(F&& check);
  bool empty() const { return problems_.empty(); }
  // Throws a UsageError naming every problem, unknown names first; returns when there is none.
  void throw_if_any() const;

 private:
  void keep(const UsageError& e);
  std::vector<std::pair<Kind, std::string>> problems_;
};

// The UsageError of several problems, so that a caller gathering more can keep them apart.
class UsageErrors : public UsageError {
 public:
  UsageErrors(const std::string& what, std::vector<std::pair<UsageProblems::Kind, std::string>> problems)
      : UsageError(what), problems(std::move(problems)) {}
  std::vector<std::pair<UsageProblems::Kind, std::string>> problems;
};

// An unknown scenario, runner or parameter: reported before the rest.
class UnknownName : public UsageError {
 public:
  using UsageError::UsageError;
};

template <typename F>
void UsageProblems::check(F&& check) {
  try {
    check();
  } catch (const UsageError& e) {
    keep(e);
  }
}

}  // namespace versus
