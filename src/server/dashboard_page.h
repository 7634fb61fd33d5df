#ifndef RECD_SERVER_DASHBOARD_PAGE_H_
#define RECD_SERVER_DASHBOARD_PAGE_H_

#include <string_view>

namespace recd {

// The ops dashboard served at / of the ops listener: one static HTML page
// with its CSS and plain JavaScript inline (no build step, nothing fetched
// from elsewhere). It polls /api/status every 2 s and computes, from the
// difference of two polls, live QPS, p50/p99 (from the latency buckets),
// per-model latency and failure rates, degraded and cache hit rates; it
// shows the serving bundle and config with each model's validation
// metrics; its "try it" panel calls /api/recommend and draws each item's
// per-model contributions as a stacked bar with the reason text.
std::string_view DashboardHtml();

}  // namespace recd

#endif  // RECD_SERVER_DASHBOARD_PAGE_H_
