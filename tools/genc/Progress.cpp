//===- Progress.cpp - progress of long work on a terminal -----------------===//

#include "Progress.h"

#include "Help.h"

#include "llvm/Support/CommandLine.h"
#include "llvm/Support/Format.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/Process.h"
#include "llvm/Support/raw_ostream.h"

namespace cl = llvm::cl;

namespace genc::driver {

Progress &Progress::get() {
  static Progress progress;
  return progress;
}

void Progress::registerQuietOption() {
  static cl::opt<bool> quiet(
      "quiet", cl::desc("Show no progress on stderr (shown only when stderr is a terminal)"),
      cl::cat(diagnosticsCategory()),
      cl::callback([](const bool &value) { Progress::get().setQuiet(value); }));
}

bool Progress::isShown() const {
  // Checked at each report: cheap, and right if stderr is redirected late.
  return !quiet && llvm::sys::Process::StandardErrIsDisplayed();
}

static std::string seconds(std::chrono::steady_clock::duration d) {
  double s = std::chrono::duration<double>(d).count();
  std::string text;
  llvm::raw_string_ostream os(text);
  if (s < 60)
    os << llvm::format("%.2f s", s);
  else
    os << llvm::format("%d min %02d s", int(s) / 60, int(s) % 60);
  return text;
}

void Progress::draw(const std::string &line, bool force) {
  Clock::time_point now = Clock::now();
  if (!force && lineOpen && now - lastDraw < std::chrono::milliseconds(100))
    return;
  lastDraw = now;
  // Back to the line's start and clear it: the line is redrawn in place.
  llvm::errs() << "\r\x1b[K" << line;
  llvm::errs().flush();
  lineOpen = true;
}

void Progress::breakLine() {
  if (!lineOpen)
    return;
  llvm::errs() << "\n";
  lineOpen = false;
}

void Progress::beginTask(llvm::StringRef description) {
  taskStart = Clock::now();
  phase.clear();
  if (!isShown())
    return;
  breakLine();
  llvm::errs() << "genc: " << description << "\n";
}

void Progress::endPhase() {
  if (phase.empty())
    return;
  if (isShown()) {
    draw(llvm::formatv("  {0,-22}{1}", phase, seconds(Clock::now() - phaseStart)).str(), true);
    breakLine();
  }
  phase.clear();
}

void Progress::beginPhase(llvm::StringRef name) {
  endPhase();
  phase = name.str();
  phaseStart = Clock::now();
  if (isShown())
    draw(llvm::formatv("  {0,-22}...", phase).str(), true);
}

void Progress::reportBytes(uint64_t done, uint64_t total) {
  if (!isShown() || phase.empty() || total == 0)
    return;
  constexpr int kWidth = 30;
  int filled = int(kWidth * done / total);
  std::string bar(filled, '=');
  bar.resize(kWidth, ' ');
  draw(llvm::formatv("  {0,-22}[{1}] {2,3}%  {3} / {4} MB", phase, bar, 100 * done / total,
                     done >> 20, total >> 20)
           .str(),
       done == total);
}

void Progress::endTask(llvm::StringRef done) {
  endPhase();
  if (!isShown())
    return;
  llvm::errs() << "genc: " << done << " in " << seconds(Clock::now() - taskStart) << "\n";
}

void Progress::reportCount(llvm::StringRef what, uint64_t done, uint64_t total) {
  if (done == 0 || done < countDone)
    countStart = Clock::now();
  countDone = done;
  if (!isShown())
    return;
  Clock::duration elapsed = Clock::now() - countStart;
  std::string line = llvm::formatv("genc: {0} {1}/{2}", what, done, total).str();
  if (done == total) {
    draw(line + " in " + seconds(elapsed), true);
    breakLine();
    return;
  }
  if (done > 0)
    line += ", about " + seconds(elapsed * (total - done) / done) + " left";
  draw(line, done == 0);
}

} // namespace genc::driver
