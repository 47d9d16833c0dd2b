// A one-line progress bar for --batch runs on a terminal: done/total, rate and ETA, redrawn in
// place with '\r'. The caller decides whether the stream is a terminal.
#pragma once

#include <chrono>
#include <cstdint>
#include <ostream>
#include <string>

namespace sgl {

class ProgressBar {
 public:
  ProgressBar(std::ostream& out, int64_t total);
  void update(int64_t done, int64_t failed);
  void finish();  // ends the line
  // The line for given numbers (tested without a terminal).
  static std::string render(int64_t done, int64_t total, int64_t failed, double seconds);

 private:
  std::ostream& out_;
  int64_t total_;
  std::chrono::steady_clock::time_point start_;
};

}  // namespace sgl
