#ifndef RECD_DATA_LINE_ERROR_H_
#define RECD_DATA_LINE_ERROR_H_

#include <string>

namespace recd {

// Why an input line is bad: `reason` keys the LoadReport's counts, `detail`
// is added to strict mode's error message.
struct LineError {
  std::string reason;
  std::string detail;
};

}  // namespace recd

#endif  // RECD_DATA_LINE_ERROR_H_
