//===- AttentionSearch.cpp - rewrites within a perplexity budget -----------===//

#include "AttentionSearch.h"

#include "Commands.h"
#include "CompileReport.h"
#include "Inputs.h"
#include "Scoring.h"

#include "Error.h"
#include "generator/Generator.h"

#include "llvm/Support/Format.h"
#include "llvm/Support/raw_ostream.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>

using namespace genc::driver;

namespace {

/// BigBird's random and global blocks in the search's candidates: the
/// rewrite's defaults, spelled out so that the cost model sees the same.
constexpr int64_t kBigBirdRandomBlocks = 3, kBigBirdGlobalBlocks = 2;

/// FAVOR+'s random features per head dim in the search's candidates.
constexpr int64_t kPerformerFeaturesPerHeadDim = 4;

/// LSH's rounds in the search's candidates (the rewrite's default).
constexpr int64_t kLSHHashes = 2;

/// One layer's rewrites: how it attends (densely, in a window, in BigBird
/// blocks, in LSH chunks or linearly: elu+1 or FAVOR+) and its KV heads. A
/// window, a block or a chunk halves; a linear layer cannot go further, and
/// neither BigBird, LSH nor linear layers are combined with fewer KV heads.
struct LayerChoice {
  int64_t window = 0; // window:W (0: none)
  int64_t block = 0;  // bigbird:B (0: none)
  bool linear = false;
  int64_t performer = 0; // performer:M (0: none)
  int64_t lshChunk = 0;  // lsh:B:2:C (0: none), B from C and the context
  int64_t kvHeads = 0;

  bool attendsLinearly() const { return linear || performer; }
  bool attendsDensely() const { return !window && !block && !lshChunk && !attendsLinearly(); }
  /// Whether it attends to a subset of the keys by a pattern of its own
  /// (BigBird blocks, LSH chunks) or through features: no fewer KV heads.
  bool keepsOwnHeads() const { return block || lshChunk || attendsLinearly(); }
  /// How it attends, with the layer's own KV heads.
  LayerChoice pattern(int64_t ownKVHeads) const {
    LayerChoice c = *this;
    c.kvHeads = ownKVHeads;
    return c;
  }
  auto key() const { return std::tie(window, block, linear, performer, lshChunk, kvHeads); }
  bool operator<(const LayerChoice &o) const { return key() < o.key(); }
  bool operator==(const LayerChoice &o) const { return key() == o.key(); }
};

/// LSH's buckets for chunks of `chunk` keys: as many as chunks in the
/// context (even, at least 2), so a bucket holds about a chunk.
int64_t lshBucketsFor(int64_t chunk, int64_t context) {
  return std::max<int64_t>(2, context / chunk / 2 * 2);
}

/// `layer` as `choice` makes it, for the cost model.
AttentionLayer rewritten(AttentionLayer layer, const LayerChoice &choice, int64_t context) {
  if (choice.window)
    layer.window = choice.window;
  if (choice.block) {
    layer.block = choice.block;
    layer.randomBlocks = kBigBirdRandomBlocks;
    layer.globalTokens = kBigBirdGlobalBlocks * choice.block;
  }
  if (choice.attendsLinearly()) {
    layer.featureMap = choice.linear ? "elu" : "performer";
    layer.randomFeatures = choice.performer;
    layer.sessionState = true; // proposed for session artifacts only
  }
  if (choice.lshChunk) {
    layer.lshBuckets = lshBucketsFor(choice.lshChunk, context);
    layer.lshHashes = kLSHHashes;
    layer.lshChunk = choice.lshChunk;
    layer.sessionState = true; // proposed for session artifacts only
  }
  layer.kvHeads = choice.kvHeads;
  return layer;
}

/// --attention's spec for per-layer choices (GQA calibrated); layers that
/// share a choice share an item (`window:64@layers=0+2`).
std::string specOf(const std::vector<LayerChoice> &choices,
                   const std::vector<AttentionLayer> &layers, int64_t context) {
  std::map<std::string, std::string> items; // rewrite -> layers
  for (size_t l = 0; l < choices.size(); ++l) {
    std::string change = describeChange(layers[l], rewritten(layers[l], choices[l], context));
    if (change == "none")
      continue;
    llvm::SmallVector<llvm::StringRef> parts;
    llvm::StringRef(change).split(parts, ',');
    for (llvm::StringRef item : parts) {
      std::string rewrite = item.str() + (item.starts_with("gqa:") ? ":calibrated" : "");
      std::string &list = items[rewrite];
      list += (list.empty() ? "" : "+") + std::to_string(l);
    }
  }
  std::string spec;
  for (const auto &[rewrite, list] : items)
    spec += (spec.empty() ? "" : ",") + rewrite + "@layers=" + list;
  return spec;
}

/// What the search may propose.
struct Candidates {
  int64_t context = 0;
  bool groupedQuery = false; // calibrated GQA (calibration text given)
  /// A session artifact: linear layers keep their sums, LSH layers their
  /// keys' buckets (without, neither saves a read of the cache).
  bool session = false;
};

/// Whether `layer` attends plainly (no window, blocks, sinks, feature map,
/// LSH or soft-capping of its own), as BigBird and linear attention need.
bool attendsPlainly(const AttentionLayer &layer) {
  return layer.window <= 0 && !layer.sinks && !layer.globalTokens && !layer.block &&
         layer.featureMap.empty() && !layer.lshBuckets && !layer.softcapped;
}

/// The next more aggressive choices of `layer`: half the window (or half
/// the context, from none), half the BigBird block (or a sixteenth of the
/// context), half the LSH chunk (or a quarter of the context), linear
/// attention (elu+1, or FAVOR+ with 4 features per head dim), or half the
/// KV heads.
std::vector<LayerChoice> nextChoices(const LayerChoice &choice, const AttentionLayer &layer,
                                     const Candidates &candidates) {
  std::vector<LayerChoice> next;
  int64_t context = candidates.context;
  bool ownHeads = choice.kvHeads == layer.kvHeads, plain = attendsPlainly(layer);
  if (!choice.block && !choice.lshChunk && !choice.attendsLinearly()) {
    int64_t window = choice.window ? choice.window / 2 : context / 2;
    if (window >= 16)
      next.push_back({.window = window, .kvHeads = choice.kvHeads});
  }
  if (plain && ownHeads && !choice.window && !choice.lshChunk && !choice.attendsLinearly()) {
    int64_t block = choice.block ? choice.block / 2 : context / 16;
    if (block >= 8)
      next.push_back({.block = block, .kvHeads = choice.kvHeads});
  }
  if (plain && candidates.session && ownHeads && !choice.window && !choice.block &&
      !choice.attendsLinearly()) {
    int64_t chunk = choice.lshChunk ? choice.lshChunk / 2 : context / 4;
    if (chunk >= 8)
      next.push_back({.lshChunk = chunk, .kvHeads = choice.kvHeads});
  }
  if (plain && candidates.session && ownHeads && choice.attendsDensely()) {
    next.push_back({.linear = true, .kvHeads = choice.kvHeads});
    // The rewrite takes 1 to 4096 features; a head size not known at
    // compile time gives no candidate.
    if (layer.headSize > 0 && layer.headSize <= 1024)
      next.push_back(
          {.performer = kPerformerFeaturesPerHeadDim * layer.headSize, .kvHeads = choice.kvHeads});
  }
  if (candidates.groupedQuery && !choice.keepsOwnHeads() && choice.kvHeads % 2 == 0)
    next.push_back({.window = choice.window, .kvHeads = choice.kvHeads / 2});
  return next;
}

/// `input` compiled with the attention rewrites `spec` for a session (the
/// full-logits entry point), open for windows of `options.context`; null
/// after an error (printed).
std::optional<genc::generator::LoadedSession> loadRewritten(llvm::StringRef input,
                                                            const GraphOptions &graph,
                                                            const std::string &spec,
                                                            const AttentionSearchOptions &options) {
  GraphOptions candidate;
  candidate.forSession = true;
  candidate.requireKVCache = false;
  candidate.attentionRewrites = spec;
  candidate.calibrationIds = graph.calibrationIds;
  std::optional<std::string> artifact = compiledArtifact(input, candidate);
  if (!artifact)
    return std::nullopt;
  try {
    return genc::generator::loadSession(*artifact, {options.context, 1, 0});
  } catch (const genc::runtime::TooManyPositions &e) {
    llvm::errs() << "error: --eval-context " << options.context
                 << (options.contextGiven ? "" : " (the default)") << ": " << e.embeds(input.str())
                 << "; give --eval-context " << e.limit << " or less\n";
  } catch (const std::exception &e) {
    llvm::errs() << "error: " << input << ": loading it compiled with --attention=" << spec << ": "
                 << e.what() << "\n";
  }
  return std::nullopt;
}

/// `session`'s perplexity of `tokens` in windows of the context (and its
/// top-1 agreement with `reference`, when given); null after an error
/// (printed).
std::optional<PerplexityScore> scoreOrReport(llvm::StringRef input, const std::string &spec,
                                             genc::runtime::Session &session,
                                             genc::runtime::Session *reference,
                                             const std::vector<int64_t> &tokens, int64_t context) {
  try {
    return scorePerplexity(session, reference, tokens, context, 0);
  } catch (const std::exception &e) {
    llvm::errs() << "error: " << input << ": scoring --attention=" << spec << ": " << e.what()
                 << "\n";
    return std::nullopt;
  }
}

/// The token ids of `options.evalIds`, at least one window of the context;
/// null after an error (printed).
std::optional<std::vector<int64_t>> evalTokens(llvm::StringRef input,
                                               const AttentionSearchOptions &options) {
  auto fail = [&](const llvm::Twine &message) -> std::optional<std::vector<int64_t>> {
    llvm::errs() << "error: " << input << ": " << message << "\n";
    return std::nullopt;
  };
  std::string error;
  std::optional<std::vector<int64_t>> tokens = readTokenIds(options.evalIds, error);
  if (!tokens)
    return fail(error);
  if (tokens->size() < 2)
    return fail("--eval-ids " + options.evalIds + " holds fewer than two tokens");
  if (static_cast<int64_t>(tokens->size()) < options.context)
    return fail("--eval-ids " + options.evalIds + " holds " + std::to_string(tokens->size()) +
                " tokens, fewer than one window of --eval-context " +
                std::to_string(options.context) +
                ": give more text (perplexities of a few tokens decide nothing), or a shorter "
                "--eval-context");
  return tokens;
}

std::string percent(double ratio) {
  std::string text;
  llvm::raw_string_ostream(text) << llvm::format("%+.2f%%", 100 * (ratio - 1));
  return text;
}

} // namespace

std::optional<std::string>
genc::driver::searchAttentionRewrites(mlir::ModuleOp module, llvm::StringRef input,
                                      const GraphOptions &graph,
                                      const AttentionSearchOptions &options) {
  auto fail = [&](const llvm::Twine &message) -> std::optional<std::string> {
    llvm::errs() << "error: " << input << ": " << message << "\n";
    return std::nullopt;
  };
  std::vector<AttentionLayer> layers = describeAttentionLayers(module);
  if (layers.empty())
    return fail("--max-ppl-increase rewrites attention layers, and genc recognised none in "
                "this model");
  std::optional<std::vector<int64_t>> tokens = evalTokens(input, options);
  if (!tokens)
    return std::nullopt;
  Candidates candidates{options.context, !graph.calibrationIds.empty(), graph.forSession};

  // Perplexity of one spec: compiled for a session (the full-logits entry
  // point), scored in windows of the context.
  std::map<std::string, double> measured;
  auto perplexityOf = [&](const std::string &spec) -> std::optional<double> {
    if (auto it = measured.find(spec); it != measured.end())
      return it->second;
    std::optional<generator::LoadedSession> loaded = loadRewritten(input, graph, spec, options);
    std::optional<PerplexityScore> score =
        loaded ? scoreOrReport(input, spec, *loaded->session, nullptr, *tokens, options.context)
               : std::nullopt;
    if (!score)
      return std::nullopt;
    return measured[spec] = score->perplexity();
  };
  auto bytesOf = [&](const std::vector<LayerChoice> &choices) {
    int64_t bytes = 0;
    for (size_t l = 0; l < layers.size(); ++l)
      bytes +=
          decodeCacheBytesRead(rewritten(layers[l], choices[l], options.context), options.context);
    return bytes;
  };

  std::optional<double> dense = perplexityOf("");
  if (!dense)
    return std::nullopt;
  double budget = *dense * (1 + options.maxIncreasePercent / 100);
  llvm::errs() << llvm::format("--max-ppl-increase %g%%: perplexity %.4f without rewrites, "
                               "budget %.4f (%zu tokens, context %lld)\n",
                               options.maxIncreasePercent, *dense, budget, tokens->size(),
                               (long long)options.context);

  // What each choice costs alone on its layer.
  std::vector<LayerChoice> none;
  for (const AttentionLayer &layer : layers)
    none.push_back({.kvHeads = layer.kvHeads});
  std::vector<std::map<LayerChoice, double>> alone(layers.size());
  // The fewest bytes a measured plan within budget reads: one layer's
  // choice alone, until a whole plan is measured.
  std::vector<LayerChoice> fallback = none;
  for (size_t l = 0; l < layers.size(); ++l) {
    alone[l][none[l]] = 0;
    for (std::vector<LayerChoice> frontier = {none[l]}; !frontier.empty();) {
      std::vector<LayerChoice> next;
      for (const LayerChoice &from : frontier)
        for (const LayerChoice &choice : nextChoices(from, layers[l], candidates)) {
          if (alone[l].count(choice) ||
              (!choice.attendsDensely() && choice.kvHeads != layers[l].kvHeads))
            continue; // combinations are predicted, not measured
          std::vector<LayerChoice> one = none;
          one[l] = choice;
          std::string spec = specOf(one, layers, options.context);
          std::optional<double> ppl = perplexityOf(spec);
          if (!ppl)
            return std::nullopt;
          alone[l][choice] = *ppl / *dense - 1;
          llvm::errs() << llvm::format("  alone: %-40s perplexity %.4f (%s)\n", spec.c_str(), *ppl,
                                       percent(*ppl / *dense).c_str());
          // A choice over budget alone stops its line.
          if (*ppl > budget)
            continue;
          next.push_back(choice);
          if (bytesOf(one) < bytesOf(fallback))
            fallback = one;
        }
      frontier = next;
    }
  }
  // Every combination measured alone parts of, per layer, with its
  // predicted increase: its pattern's and its grouping's, added.
  struct Option {
    LayerChoice choice;
    double increase;
    int64_t bytes;
  };
  std::vector<std::vector<Option>> combinations(layers.size());
  for (size_t l = 0; l < layers.size(); ++l)
    for (const auto &[pattern, patternIncrease] : alone[l]) {
      if (pattern.kvHeads != layers[l].kvHeads)
        continue; // a grouping alone: the other half of a combination
      for (const auto &[heads, headsIncrease] : alone[l]) {
        bool grouped = heads.kvHeads != layers[l].kvHeads;
        if (!heads.attendsDensely() || (grouped && pattern.keepsOwnHeads()))
          continue;
        LayerChoice choice = pattern;
        choice.kvHeads = heads.kvHeads;
        combinations[l].push_back(
            {choice, patternIncrease + headsIncrease,
             decodeCacheBytesRead(rewritten(layers[l], choice, options.context), options.context)});
      }
    }

  // The plan reading the fewest bytes whose predicted increase is within
  // `allowed`: a multiple-choice knapsack over the layers, the increase
  // counted in steps of 1/1000 of `allowed` (a negative one as none).
  auto cheapestPlan = [&](double allowed) {
    constexpr int64_t kSteps = 1000;
    // Past the budget (or not a number: a candidate that diverged): more
    // steps than there are.
    auto steps = [&](double increase) -> int64_t {
      double scaled = std::max(increase, 0.0) / allowed * kSteps;
      return std::isfinite(scaled) && scaled <= kSteps ? static_cast<int64_t>(std::ceil(scaled))
                                                       : kSteps + 1;
    };
    // best[l][u]: the fewest bytes layers [0, l) read within u steps, and
    // of the plans reading that, the fewest steps (equal reads are common:
    // half the KV heads or half the window).
    constexpr std::pair<int64_t, int64_t> kNone{std::numeric_limits<int64_t>::max(), 0};
    std::vector<std::vector<std::pair<int64_t, int64_t>>> best(
        layers.size() + 1, std::vector<std::pair<int64_t, int64_t>>(kSteps + 1, kNone));
    std::vector<std::vector<int>> picked(layers.size(), std::vector<int>(kSteps + 1, -1));
    std::fill(best[0].begin(), best[0].end(), std::make_pair<int64_t, int64_t>(0, 0));
    for (size_t l = 0; l < layers.size(); ++l)
      for (int64_t u = 0; u <= kSteps; ++u)
        for (size_t o = 0; o < combinations[l].size(); ++o) {
          int64_t cost = steps(combinations[l][o].increase);
          if (cost > u || best[l][u - cost] == kNone)
            continue;
          std::pair<int64_t, int64_t> total = {best[l][u - cost].first + combinations[l][o].bytes,
                                               best[l][u - cost].second + cost};
          if (total < best[l + 1][u])
            best[l + 1][u] = total, picked[l][u] = static_cast<int>(o);
        }
    std::vector<LayerChoice> plan = none;
    double increase = 0;
    for (int64_t l = static_cast<int64_t>(layers.size()) - 1, u = kSteps; l >= 0; --l) {
      const Option &option = combinations[l][picked[l][u]];
      plan[l] = option.choice;
      increase += option.increase;
      u -= steps(option.increase);
    }
    return std::make_pair(plan, increase);
  };

  // Measure the cheapest plan; while it is over budget, ask for one whose
  // prediction is smaller by the factor the last one missed by. None
  // fitting, the fallback stands.
  const double budgetIncrease = budget / *dense - 1;
  double allowed = budgetIncrease;
  std::vector<LayerChoice> chosenPlan = fallback, tried;
  for (int attempt = 0; attempt < 4 && allowed > 0; ++attempt) {
    auto [plan, predictedIncrease] = cheapestPlan(allowed);
    if (plan == none || plan == tried)
      break;
    tried = plan;
    std::string spec = specOf(plan, layers, options.context);
    std::optional<double> ppl = perplexityOf(spec); // measured already when one layer changes
    if (!ppl)
      return std::nullopt;
    bool fits = *ppl <= budget;
    llvm::errs() << llvm::format("  plan:  %-40s perplexity %.4f (%s, predicted %s)%s\n",
                                 spec.c_str(), *ppl, percent(*ppl / *dense).c_str(),
                                 percent(1 + predictedIncrease).c_str(),
                                 fits ? "" : ", over budget: asking for less");
    if (fits) {
      if (bytesOf(plan) <= bytesOf(chosenPlan))
        chosenPlan = plan;
      break;
    }
    allowed = std::min(allowed * 0.9, budgetIncrease * std::max(predictedIncrease, 0.0) /
                                          (*ppl / *dense - 1) * 0.9);
  }
  std::string chosen = specOf(chosenPlan, layers, options.context);
  double ratio = double(bytesOf(chosenPlan)) / double(bytesOf(none));
  llvm::errs() << "chose --attention=" << (chosen.empty() ? "(none)" : chosen)
               << llvm::format(": perplexity %s, KV cache read per decode step x%.3f\n",
                               percent(measured[chosen] / *dense).c_str(), ratio);
  return chosen;
}

bool genc::driver::measureRewriteQuality(llvm::StringRef input, const GraphOptions &graph,
                                         const std::string &spec,
                                         const AttentionSearchOptions &options,
                                         RewriteQuality &quality) {
  std::optional<std::vector<int64_t>> tokens = evalTokens(input, options);
  if (!tokens)
    return false;
  std::optional<generator::LoadedSession> dense = loadRewritten(input, graph, "", options);
  std::optional<generator::LoadedSession> rewritten =
      dense ? loadRewritten(input, graph, spec, options) : std::nullopt;
  if (!rewritten)
    return false;
  std::optional<PerplexityScore> before =
      scoreOrReport(input, "", *dense->session, nullptr, *tokens, options.context);
  std::optional<PerplexityScore> after =
      before ? scoreOrReport(input, spec, *rewritten->session, dense->session.get(), *tokens,
                             options.context)
             : std::nullopt;
  if (!after)
    return false;
  quality = {options.evalIds,      after->scored,       options.context,
             before->perplexity(), after->perplexity(), after->agreement()};
  return true;
}
