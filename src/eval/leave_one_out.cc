#include "recd/leave_one_out.h"

namespace recd {

std::vector<Event> LeaveOneOutSplit::TestHistory(int32_t user) const {
  std::vector<Event> history = train[static_cast<size_t>(user)];
  if (valid[static_cast<size_t>(user)].item >= 0) history.push_back(valid[static_cast<size_t>(user)]);
  return history;
}

LeaveOneOutSplit SplitLeaveOneOut(const Dataset& data) {
  LeaveOneOutSplit split;
  const size_t n = data.histories.size();
  split.train.resize(n);
  split.valid.assign(n, Event{});
  split.test.assign(n, Event{});
  for (size_t u = 0; u < n; ++u) {
    const auto& h = data.histories[u];
    if (h.size() < 3) {
      split.train[u] = h;
      continue;
    }
    split.train[u].assign(h.begin(), h.end() - 2);
    split.valid[u] = h[h.size() - 2];
    split.test[u] = h.back();
  }
  return split;
}

Dataset TrainingView(const Dataset& data, const LeaveOneOutSplit& split) {
  Dataset view;
  view.users = data.users;
  view.items = data.items;
  view.item_info = data.item_info;
  view.histories = split.train;
  return view;
}

}  // namespace recd
