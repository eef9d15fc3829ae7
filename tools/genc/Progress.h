//===- Progress.h - progress of long work on a terminal ---------*- C++ -*-===//
//
// Compiling a large model and scoring a long text take minutes. When
// stderr is a terminal, genc shows what it is doing there: the phases of a
// compile with their times, the weights file as it is written, the windows
// a perplexity run has scored with an estimate of the time left. --quiet
// silences it; when stderr is not a terminal (a log, a pipe, a test) it
// prints nothing, so that stderr holds only what the command reports.
//
//===----------------------------------------------------------------------===//

#ifndef GENC_TOOLS_GENC_PROGRESS_H
#define GENC_TOOLS_GENC_PROGRESS_H

#include "llvm/ADT/StringRef.h"

#include <chrono>
#include <cstdint>
#include <string>

namespace genc::driver {

class Progress {
public:
  /// The one reporter of this process: a command and the compile it may
  /// run share it.
  static Progress &get();

  /// Registers --quiet (in the diagnostics category) for the command
  /// being parsed; parse the command line before the first report.
  static void registerQuietOption();
  /// Silences every report (--quiet, or a caller that does its own).
  void setQuiet(bool quiet) { this->quiet = quiet; }

  /// Whether reports go out: stderr is a terminal and --quiet is not set.
  bool isShown() const;

  /// Starts a task made of phases ("compiling model.onnx").
  void beginTask(llvm::StringRef description);
  /// Ends the current phase, printing its time, and starts `name`.
  void beginPhase(llvm::StringRef name);
  /// How far the current phase is, in bytes: drawn as a bar.
  void reportBytes(uint64_t done, uint64_t total);
  /// Ends the last phase and the task: "<done> in T s".
  void endTask(llvm::StringRef done);

  /// `done` of `total` units of work (windows, say) done: drawn in place
  /// with the estimated time left; the last call ends the line.
  void reportCount(llvm::StringRef what, uint64_t done, uint64_t total);

  /// Ends a line drawn in place, so that an error message starts its own.
  void breakLine();

private:
  using Clock = std::chrono::steady_clock;
  void endPhase();
  /// Redraws the current line, at most every 100 ms unless `force`.
  void draw(const std::string &line, bool force);

  bool quiet = false;
  bool lineOpen = false;
  std::string phase;
  Clock::time_point taskStart, phaseStart, countStart, lastDraw;
  uint64_t countDone = 0;
};

} // namespace genc::driver

#endif // GENC_TOOLS_GENC_PROGRESS_H
