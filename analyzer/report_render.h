// report.json as a policy maker reads it: aligned tables for the terminal, and a
// self-contained HTML page (inline SVG: before/after means with 95% CIs, the linkage funnel,
// a forest plot of IRRs for both regressions; no scripts, nothing fetched). Aggregates only.
// Pure, thread-safe.
#ifndef PPRL_ANALYZER_REPORT_RENDER_H_
#define PPRL_ANALYZER_REPORT_RENDER_H_

#include <nlohmann/json.hpp>
#include <string>

namespace pprl {

std::string RenderReportText(const nlohmann::json& report);
std::string RenderReportHtml(const nlohmann::json& report);

}  // namespace pprl

#endif  // PPRL_ANALYZER_REPORT_RENDER_H_
