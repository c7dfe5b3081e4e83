#pragma once
// The project's one exception type. Its message names the file (or the thing) and the reason in
// plain words, because it is shown to a person as it is.
#include <stdexcept>
#include <string>

namespace pgpp {

class Error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Raised when a long operation stops because its caller asked it to.
class Cancelled : public Error {
 public:
  Cancelled() : Error("cancelled") {}
};

}  // namespace pgpp
