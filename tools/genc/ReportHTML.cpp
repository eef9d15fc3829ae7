//===- ReportHTML.cpp - the compile report as one self-contained page ------===//
//
// Tables and two inline SVG plots: a roofline (this machine's measured peak
// FLOP/s and bandwidth, each layer's matmuls and attention at their
// arithmetic intensity, and what the profiled runs achieved) and the time
// per op family of each profiled run. No script, nothing fetched: the page
// declares a content security policy that would refuse anything else.
//
//===----------------------------------------------------------------------===//

#include "CompileReport.h"

#include "genc/genc.h"
#include "genc/kernels.h"

#include "llvm/Support/Format.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/raw_ostream.h"

#include <algorithm>
#include <cmath>

using namespace genc::driver;

namespace {

std::string escape(llvm::StringRef text) {
  std::string out;
  for (char c : text) {
    switch (c) {
    case '<':
      out += "&lt;";
      break;
    case '>':
      out += "&gt;";
      break;
    case '&':
      out += "&amp;";
      break;
    case '"':
      out += "&quot;";
      break;
    default:
      out += c;
    }
  }
  return out;
}

/// One colour per op family, in kernels.h's order.
constexpr const char *kFamilyColours[GENC_OP_FAMILIES] = {
    "#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b", "#7f7f7f"};

/// A logarithmic axis from `lo` to `hi` (values) onto [from, to] (pixels).
struct LogAxis {
  double lo, hi, from, to;
  double operator()(double v) const {
    double t = (std::log10(std::max(v, lo)) - std::log10(lo)) / (std::log10(hi) - std::log10(lo));
    return from + t * (to - from);
  }
};

/// Powers of ten covering [lo, hi].
LogAxis decadeAxis(double lo, double hi, double from, double to) {
  return {std::pow(10.0, std::floor(std::log10(lo))), std::pow(10.0, std::ceil(std::log10(hi))),
          from, to};
}

/// A roofline point: what kind of work, at which intensity and rate.
struct Point {
  double intensity, flopsPerSecond;
  const char *colour;
  bool measured;
  std::string title;
};

void writeRoofline(llvm::raw_ostream &os, const CompileReport &report,
                   const std::vector<LayerCost> &costs) {
  const MachinePeak &peak = *report.machine;
  auto attainable = [&](double intensity) {
    return std::min(peak.flopsPerSecond, intensity * peak.bytesPerSecond);
  };
  std::vector<Point> points;
  auto add = [&](double flops, double bytes, const char *colour, bool measured, double rate,
                 std::string title) {
    if (flops <= 0 || bytes <= 0)
      return;
    double intensity = flops / bytes;
    points.push_back(
        {intensity, measured ? rate : attainable(intensity), colour, measured, std::move(title)});
  };
  for (const LayerCost &c : costs) {
    add(c.matmulFlopsDecode, c.matmulBytesDecode, "#1f77b4", false, 0,
        c.name + ": matmuls, decode step");
    add(c.matmulFlopsPrefill, c.matmulBytesPrefill, "#17becf", false, 0,
        c.name + ": matmuls, prefill token");
    add(c.attentionFlopsDecode, c.attentionBytesDecode, "#d62728", false, 0,
        c.name + ": attention, decode step");
    add(c.attentionFlopsPrefill, c.attentionBytesPrefill, "#ff9896", false, 0,
        c.name + ": attention, prefill token");
  }
  for (const ProfileRun &run : report.profile) {
    RunWork work = profileRunWork(report, run);
    double matmulSeconds = run.familySeconds[GENC_FAMILY_MATMUL];
    double attentionSeconds = run.familySeconds[GENC_FAMILY_ATTENTION];
    if (matmulSeconds > 0)
      add(work.matmulFlops, work.matmulBytes, "#1f77b4", true, work.matmulFlops / matmulSeconds,
          "measured: matmuls, " + run.label);
    if (attentionSeconds > 0)
      add(work.attentionFlops, work.attentionBytes, "#d62728", true,
          work.attentionFlops / attentionSeconds, "measured: attention, " + run.label);
  }
  double minI = peak.flopsPerSecond / peak.bytesPerSecond / 64, maxI = minI * 4096;
  double minF = peak.flopsPerSecond / 1e3;
  for (const Point &p : points) {
    minI = std::min(minI, p.intensity / 2);
    maxI = std::max(maxI, p.intensity * 2);
    minF = std::min(minF, p.flopsPerSecond / 2);
  }
  const double left = 80, right = 700, top = 20, bottom = 380;
  LogAxis x = decadeAxis(minI, maxI, left, right);
  LogAxis y = decadeAxis(minF, peak.flopsPerSecond * 2, bottom, top);
  os << "<svg id=\"roofline\" width=\"760\" height=\"430\" viewBox=\"0 0 760 430\" "
        "xmlns=\"http://www.w3.org/2000/svg\" font-size=\"12\">\n";
  os << llvm::formatv("<rect x=\"{0}\" y=\"{1}\" width=\"{2}\" height=\"{3}\" fill=\"#fafafa\" "
                      "stroke=\"#999\"/>\n",
                      left, top, right - left, bottom - top);
  for (double v = x.lo; v <= x.hi * 1.001; v *= 10)
    os << llvm::formatv("<line x1=\"{0:F1}\" y1=\"{1}\" x2=\"{0:F1}\" y2=\"{2}\" stroke=\"#ddd\"/>"
                        "<text x=\"{0:F1}\" y=\"{3}\" text-anchor=\"middle\">{4}</text>\n",
                        x(v), top, bottom, bottom + 16, humanNumber(v));
  for (double v = y.lo; v <= y.hi * 1.001; v *= 10)
    os << llvm::formatv("<line x1=\"{0}\" y1=\"{1:F1}\" x2=\"{2}\" y2=\"{1:F1}\" stroke=\"#ddd\"/>"
                        "<text x=\"{3}\" y=\"{4:F1}\" text-anchor=\"end\">{5}</text>\n",
                        left, y(v), right, left - 6, y(v) + 4, humanNumber(v));
  os << llvm::formatv("<text x=\"{0}\" y=\"{1}\" text-anchor=\"middle\">arithmetic intensity "
                      "(FLOP/byte)</text>\n",
                      (left + right) / 2, bottom + 36);
  os << llvm::formatv("<text x=\"16\" y=\"{0}\" transform=\"rotate(-90 16 {0})\" "
                      "text-anchor=\"middle\">FLOP/s</text>\n",
                      (top + bottom) / 2);
  // The roof: bandwidth-bound, then compute-bound from the ridge on.
  double ridge = peak.flopsPerSecond / peak.bytesPerSecond;
  os << llvm::formatv("<polyline id=\"roof\" fill=\"none\" stroke=\"#000\" stroke-width=\"2\" "
                      "points=\"{0:F1},{1:F1} {2:F1},{3:F1} {4:F1},{3:F1}\"/>\n",
                      x(x.lo), y(attainable(x.lo)), x(ridge), y(peak.flopsPerSecond), x(x.hi));
  os << llvm::formatv("<text x=\"{0:F1}\" y=\"{1:F1}\">peak {2}FLOP/s, {3}B/s ({4} threads, "
                      "{5})</text>\n",
                      x(ridge) + 6, y(peak.flopsPerSecond) - 6, humanNumber(peak.flopsPerSecond),
                      humanNumber(peak.bytesPerSecond), peak.threads, peak.vectorISA);
  for (const Point &p : points) {
    double px = x(p.intensity), py = y(p.flopsPerSecond);
    if (p.measured)
      os << llvm::formatv("<path class=\"measured\" d=\"M{0:F1},{1:F1} l7,7 l-7,7 l-7,-7 z\" "
                          "fill=\"{2}\" stroke=\"#000\"><title>{3}</title></path>\n",
                          px, py - 7, p.colour, escape(p.title));
    else
      os << llvm::formatv("<circle class=\"bound\" cx=\"{0:F1}\" cy=\"{1:F1}\" r=\"5\" "
                          "fill=\"none\" stroke=\"{2}\" stroke-width=\"2\"><title>{3}</title>"
                          "</circle>\n",
                          px, py, p.colour, escape(p.title));
  }
  // Legend.
  const std::pair<const char *, const char *> legend[] = {{"#1f77b4", "matmuls, decode step"},
                                                          {"#17becf", "matmuls, prefill token"},
                                                          {"#d62728", "attention, decode step"},
                                                          {"#ff9896", "attention, prefill token"}};
  double ly = top + 14;
  for (auto [colour, text] : legend) {
    os << llvm::formatv("<circle cx=\"{0}\" cy=\"{1}\" r=\"5\" fill=\"none\" stroke=\"{2}\" "
                        "stroke-width=\"2\"/><text x=\"{3}\" y=\"{4}\">{5}</text>\n",
                        left + 14, ly, colour, left + 24, ly + 4, text);
    ly += 16;
  }
  os << llvm::formatv("<path d=\"M{0},{1} l6,6 l-6,6 l-6,-6 z\" fill=\"#888\" stroke=\"#000\"/>"
                      "<text x=\"{2}\" y=\"{3}\">measured (--profile-input)</text>\n",
                      left + 14, ly - 6, left + 24, ly + 4);
  os << "</svg>\n";
}

void writeFamilyBars(llvm::raw_ostream &os, const CompileReport &report) {
  double most = 0;
  for (const ProfileRun &run : report.profile) {
    double total = 0;
    for (double s : run.familySeconds)
      total += s;
    most = std::max(most, total);
  }
  most = std::max(most, 1e-9) * 1e3; // ms
  // A round top for the axis: 1, 2 or 5 times a power of ten.
  double step = std::pow(10.0, std::floor(std::log10(most / 4)));
  for (double m : {1.0, 2.0, 5.0, 10.0})
    if (most / (step * m) <= 5) {
      step *= m;
      break;
    }
  double topValue = std::ceil(most / step) * step;
  const double left = 70, top = 20, bottom = 320, barWidth = 70, gap = 50;
  double width = left + report.profile.size() * (barWidth + gap) + 220;
  auto yOf = [&](double ms) { return bottom - ms / topValue * (bottom - top); };
  os << llvm::formatv("<svg id=\"families\" width=\"{0}\" height=\"380\" viewBox=\"0 0 {0} 380\" "
                      "xmlns=\"http://www.w3.org/2000/svg\" font-size=\"12\">\n",
                      width);
  for (double v = 0; v <= topValue * 1.0001; v += step)
    os << llvm::formatv("<line x1=\"{0}\" y1=\"{1:F1}\" x2=\"{2}\" y2=\"{1:F1}\" stroke=\"#ddd\"/>"
                        "<text x=\"{3}\" y=\"{4:F1}\" text-anchor=\"end\">{5}</text>\n",
                        left, yOf(v), width - 220, left - 6, yOf(v) + 4, llvm::formatv("{0:G}", v));
  os << llvm::formatv("<text x=\"16\" y=\"{0}\" transform=\"rotate(-90 16 {0})\" "
                      "text-anchor=\"middle\">ms per run</text>\n",
                      (top + bottom) / 2);
  for (auto [i, run] : llvm::enumerate(report.profile)) {
    double x = left + gap / 2 + i * (barWidth + gap), base = 0;
    for (size_t f = 0; f < run.familySeconds.size(); ++f) {
      double ms = run.familySeconds[f] * 1e3;
      if (ms <= 0)
        continue;
      os << llvm::formatv("<rect class=\"family\" x=\"{0:F1}\" y=\"{1:F1}\" width=\"{2}\" "
                          "height=\"{3:F1}\" fill=\"{4}\"><title>{5}: {6:F3} ms</title></rect>\n",
                          x, yOf(base + ms), barWidth, yOf(base) - yOf(base + ms),
                          kFamilyColours[f], genc_op_family_name(static_cast<int>(f)), ms);
      base += ms;
    }
    int64_t tokens = run.tokens * run.batch;
    os << llvm::formatv("<text x=\"{0:F1}\" y=\"{1}\" text-anchor=\"middle\">run {2}</text>"
                        "<text x=\"{0:F1}\" y=\"{3}\" text-anchor=\"middle\">{4} token{5}"
                        "</text>\n",
                        x + barWidth / 2, bottom + 16, i + 1, bottom + 30, tokens,
                        tokens == 1 ? "" : "s");
  }
  double lx = width - 200, ly = top + 10;
  for (int f = GENC_OP_FAMILIES - 1; f >= 0; --f, ly += 18)
    os << llvm::formatv("<rect x=\"{0}\" y=\"{1}\" width=\"12\" height=\"12\" fill=\"{2}\"/>"
                        "<text x=\"{3}\" y=\"{4}\">{5}</text>\n",
                        lx, ly, kFamilyColours[f], lx + 18, ly + 10, genc_op_family_name(f));
  os << "</svg>\n";
}

std::string bytes(double b) { return humanNumber(b) + "B"; }

} // namespace

void genc::driver::writeReportHTML(llvm::raw_ostream &os, const CompileReport &report) {
  std::vector<LayerCost> costs = layerCosts(report);
  os << "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n"
        "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
        "style-src 'unsafe-inline'\">\n"
        "<title>genc compile report: "
     << escape(report.model) << "</title>\n<style>\n"
     << "body{font-family:sans-serif;margin:24px;color:#222;max-width:1100px}\n"
        "table{border-collapse:collapse;margin:8px 0 20px;font-size:13px}\n"
        "td,th{border:1px solid #ccc;padding:3px 8px;text-align:right}\n"
        "th{background:#eee}td:first-child,th:first-child{text-align:left}\n"
        ".note{color:#555}\n</style></head><body>\n";
  os << "<h1>genc compile report</h1>\n<table>\n";
  auto row = [&](llvm::StringRef key, const std::string &value) {
    os << "<tr><td>" << key << "</td><td>" << escape(value) << "</td></tr>\n";
  };
  row("model", report.model);
  row("attention rewrites", report.rewrites.empty() ? "none" : report.rewrites);
  row("context (decode step; prefill length)", std::to_string(report.context));
  double weights = 0, kv = 0, decodeFlops = 0;
  for (const LayerCost &c : costs) {
    weights += c.matmulBytesDecode;
    kv += c.kvBytesPerPosition;
    decodeFlops += c.matmulFlopsDecode + c.attentionFlopsDecode;
  }
  row("matmul bytes per decode step", bytes(weights));
  row("KV cache per position", bytes(kv));
  row("FLOPs per decode step", humanNumber(decodeFlops));
  if (report.machine)
    row("this machine, measured", humanNumber(report.machine->flopsPerSecond) + "FLOP/s peak, " +
                                      bytes(report.machine->bytesPerSecond) + "/s read, " +
                                      std::to_string(report.machine->threads) + " threads, " +
                                      report.machine->vectorISA +
                                      (report.machine->amxBF16FlopsPerSecond > 0
                                           ? ", AMX bf16 " +
                                                 humanNumber(
                                                     report.machine->amxBF16FlopsPerSecond) +
                                                 "FLOP/s"
                                           : std::string()));
  os << "</table>\n";

  os << "<h2>Roofline</h2>\n<p class=\"note\">Hollow: where each layer's work would run if it "
        "reached this machine's roof at its arithmetic intensity (decode step at the context "
        "above; a prefill of that many tokens, per token). Filled: what the profiled runs "
        "achieved, matmuls and attention over all layers.</p>\n";
  if (report.machine)
    writeRoofline(os, report, costs);

  os << "<h2>Time per op family</h2>\n";
  if (report.profile.empty()) {
    os << "<p class=\"note\">Not measured: compile with --profile-input NAME=FILE,... to run the "
          "model and time each op family.</p>\n";
  } else {
    os << "<p class=\"note\">Mean of " << report.profile.front().repeats
       << " runs of the compiled model after one warm-up, on " << report.profile.front().threads
       << " threads.</p>\n";
    writeFamilyBars(os, report);
    os << "<table><tr><th>run</th><th>inputs</th><th>tokens</th><th>past</th><th>wall ms</th>";
    for (int f = 0; f < GENC_OP_FAMILIES; ++f)
      os << "<th>" << genc_op_family_name(f) << " ms</th>";
    os << "<th>matmul FLOP/s</th><th>attention FLOP/s</th></tr>\n";
    for (auto [i, run] : llvm::enumerate(report.profile)) {
      RunWork work = profileRunWork(report, run);
      os << "<tr><td>" << i + 1 << "</td><td>" << escape(run.label) << "</td><td>"
         << run.tokens * run.batch << "</td><td>" << run.past << "</td><td>"
         << llvm::format("%.3f", run.wallSeconds * 1e3) << "</td>";
      for (double s : run.familySeconds)
        os << "<td>" << llvm::format("%.3f", s * 1e3) << "</td>";
      auto rate = [](double flops, double s) { return s > 0 ? humanNumber(flops / s) : "-"; };
      os << "<td>" << rate(work.matmulFlops, run.familySeconds[GENC_FAMILY_MATMUL]) << "</td><td>"
         << rate(work.attentionFlops, run.familySeconds[GENC_FAMILY_ATTENTION]) << "</td></tr>\n";
    }
    os << "</table>\n";
  }

  os << "<h2>Layers</h2>\n<table><tr><th>layer</th><th>matmuls</th><th>precision</th>"
        "<th>weights</th><th>attention</th><th>KV cache / position</th>"
        "<th>decode FLOPs</th><th>decode bytes</th><th>prefill FLOPs / token</th>"
        "<th>prefill bytes / token</th></tr>\n";
  auto groupOf = [&](size_t index, const LayerCost &c) -> const MatmulGroup * {
    if (c.name == "head")
      return &report.matmuls.head;
    if (c.name == "before layer 0")
      return &report.matmuls.beforeLayers;
    return index < report.matmuls.layers.size() ? &report.matmuls.layers[index] : nullptr;
  };
  size_t layerIndex = 0;
  for (const LayerCost &c : costs) {
    const MatmulGroup *group = groupOf(layerIndex, c);
    std::string attention = "-";
    if (c.hasAttention) {
      const AttentionLayer &a = report.after[layerIndex], &b = report.before[layerIndex];
      attention = std::to_string(a.queryHeads) + "/" + std::to_string(a.kvHeads) + " heads";
      if (a.kvHeads != b.kvHeads)
        attention += " (was /" + std::to_string(b.kvHeads) + ")";
      if (a.window > 0)
        attention += ", window " + std::to_string(a.window);
      if (a.sinks)
        attention += ", sinks " + std::to_string(a.sinks);
      if (a.globalTokens)
        attention += ", global " + std::to_string(a.globalTokens);
      ++layerIndex;
    }
    std::string precision;
    for (const std::string &p : group ? group->precisions : std::vector<std::string>())
      precision += (precision.empty() ? "" : ", ") + p;
    os << "<tr><td>" << escape(c.name) << "</td><td>" << (group ? group->count : 0) << "</td><td>"
       << escape(precision.empty() ? "-" : precision) << "</td><td>"
       << bytes(group ? group->weightBytes : 0) << "</td><td>" << escape(attention) << "</td><td>"
       << bytes(c.kvBytesPerPosition) << "</td><td>"
       << humanNumber(c.matmulFlopsDecode + c.attentionFlopsDecode) << "</td><td>"
       << bytes(c.matmulBytesDecode + c.attentionBytesDecode) << "</td><td>"
       << humanNumber(c.matmulFlopsPrefill + c.attentionFlopsPrefill) << "</td><td>"
       << bytes(c.matmulBytesPrefill + c.attentionBytesPrefill) << "</td></tr>\n";
  }
  os << "</table>\n";

  os << "<h2>Passes</h2>\n<p class=\"note\">Every pass the compile ran, in order, and whether "
        "it changed the model (its IR's fingerprint) in any of its runs.</p>\n"
        "<table><tr><th>pass</th><th>changed the model</th><th>runs</th><th>ms</th></tr>\n";
  for (const PassRecord &pass : report.passes)
    os << "<tr><td>" << escape(pass.name) << "</td><td>" << (pass.changed ? "yes" : "no")
       << "</td><td>" << pass.runs << "</td><td>" << llvm::format("%.1f", pass.seconds * 1e3)
       << "</td></tr>\n";
  os << "</table>\n<p class=\"note\">Quality of approximate rewrites is measured by running "
        "the model: genc perplexity MODEL --attention=SPEC --agreement-with MODEL.</p>\n"
        "</body></html>\n";
}
