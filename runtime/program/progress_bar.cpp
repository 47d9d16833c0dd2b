// Drawing the --batch progress bar (see progress_bar.h).
#include "progress_bar.h"

#include <cmath>
#include <cstdio>

namespace sgl {

ProgressBar::ProgressBar(std::ostream& out, int64_t total)
    : out_(out), total_(total), start_(std::chrono::steady_clock::now()) {}

std::string ProgressBar::render(int64_t done, int64_t total, int64_t failed, double seconds) {
  const int width = 24;
  int filled = total > 0 ? static_cast<int>(width * done / total) : width;
  std::string bar(static_cast<size_t>(filled), '#');
  bar += std::string(static_cast<size_t>(width - filled), '-');
  char buf[160];
  double rate = seconds > 0 ? done / seconds : 0;
  std::string eta = "?";
  if (rate > 0) {
    long s = std::lround((total - done) / rate);
    char e[32];
    std::snprintf(e, sizeof e, "%ld:%02ld", s / 60, s % 60);
    eta = e;
  }
  std::snprintf(buf, sizeof buf, "[%s] %lld/%lld  %.1f/s  ETA %s", bar.c_str(), static_cast<long long>(done),
                static_cast<long long>(total), rate, eta.c_str());
  std::string line = buf;
  if (failed) line += "  " + std::to_string(failed) + " failed";
  return line;
}

void ProgressBar::update(int64_t done, int64_t failed) {
  double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  out_ << '\r' << render(done, total_, failed, s) << "\x1b[K" << std::flush;
}

void ProgressBar::finish() { out_ << '\n' << std::flush; }

}  // namespace sgl
