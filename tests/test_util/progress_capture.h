#ifndef RECD_TESTS_TEST_UTIL_PROGRESS_CAPTURE_H_
#define RECD_TESTS_TEST_UTIL_PROGRESS_CAPTURE_H_

#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "util/progress_reporter.h"

namespace recd::testing_util {

// A ProgressFactory that records each step's label and total, and gives
// each reporter plain output with no interval lines, so output() holds
// exactly one summary line per finished step. The steps must be started from one
// thread (reporters themselves may be shared by many).
class ProgressCapture {
 public:
  struct Step {
    std::string label;
    int64_t total = 0;
  };

  ProgressFactory Factory() {
    return [this](std::string label, int64_t total) {
      steps_.push_back({label, total});
      ProgressReporter::Options o;
      o.label = std::move(label);
      o.total = total;
      o.out = &out_;
      o.plain_interval = absl::InfiniteDuration();
      return std::make_unique<ProgressReporter>(std::move(o));
    };
  }
  const std::vector<Step>& steps() const { return steps_; }
  std::string output() const { return out_.str(); }

 private:
  std::vector<Step> steps_;
  std::ostringstream out_;
};

}  // namespace recd::testing_util

#endif  // RECD_TESTS_TEST_UTIL_PROGRESS_CAPTURE_H_
