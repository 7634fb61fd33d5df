#ifndef RECD_TESTS_TEST_UTIL_BEAUTY_DATA_H_
#define RECD_TESTS_TEST_UTIL_BEAUTY_DATA_H_

#include <cstdlib>
#include <string>

namespace recd {

// Directory of the Amazon Beauty benchmark files: $RECD_BEAUTY_DIR if set,
// else ../shared/data/amazon-beauty beside the repository. Tests using it
// skip, saying so, when Beauty.txt is not there.
inline std::string BeautyDir() {
  const char* dir = std::getenv("RECD_BEAUTY_DIR");
  return dir != nullptr ? dir : std::string(RECD_SOURCE_DIR) + "/../shared/data/amazon-beauty";
}

}  // namespace recd

#endif  // RECD_TESTS_TEST_UTIL_BEAUTY_DATA_H_
