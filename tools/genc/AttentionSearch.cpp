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

#include <map>

using namespace genc::driver;

namespace {

/// One layer's rewrites: a window (0: none) and its KV heads.
struct LayerChoice {
  int64_t window = 0, kvHeads = 0;
  bool operator<(const LayerChoice &o) const {
    return std::tie(window, kvHeads) < std::tie(o.window, o.kvHeads);
  }
  bool operator==(const LayerChoice &o) const {
    return window == o.window && kvHeads == o.kvHeads;
  }
};

/// --attention's spec for per-layer choices; layers that share a choice
/// share an item (`window:64@layers=0+2`).
std::string specOf(const std::vector<LayerChoice> &choices,
                   const std::vector<AttentionLayer> &layers) {
  std::map<std::string, std::string> items; // rewrite -> layers
  for (size_t l = 0; l < choices.size(); ++l) {
    auto add = [&](const std::string &rewrite) {
      std::string &list = items[rewrite];
      list += (list.empty() ? "" : "+") + std::to_string(l);
    };
    if (choices[l].window)
      add("window:" + std::to_string(choices[l].window));
    if (choices[l].kvHeads != layers[l].kvHeads)
      add("gqa:" + std::to_string(choices[l].kvHeads) + ":calibrated");
  }
  std::string spec;
  for (const auto &[rewrite, list] : items)
    spec += (spec.empty() ? "" : ",") + rewrite + "@layers=" + list;
  return spec;
}

/// The next more aggressive choices of a layer: half the window (or half
/// the context, from none), or half the KV heads.
std::vector<LayerChoice> nextChoices(const LayerChoice &choice, int64_t context,
                                     bool groupedQuery) {
  std::vector<LayerChoice> next;
  int64_t window = choice.window ? choice.window / 2 : context / 2;
  if (window >= 16)
    next.push_back({window, choice.kvHeads});
  if (groupedQuery && choice.kvHeads % 2 == 0)
    next.push_back({choice.window, choice.kvHeads / 2});
  return next;
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
  std::string error;
  std::optional<std::vector<int64_t>> tokens = readTokenIds(options.evalIds, error);
  if (!tokens)
    return fail(error);
  if (tokens->size() < 2)
    return fail("--eval-ids " + options.evalIds + " holds fewer than two tokens");
  bool groupedQuery = !graph.calibrationIds.empty();

  // Perplexity of one spec: compiled for a session (the full-logits entry
  // point), scored in windows of the context.
  std::map<std::string, double> measured;
  auto perplexityOf = [&](const std::string &spec) -> std::optional<double> {
    if (auto it = measured.find(spec); it != measured.end())
      return it->second;
    GraphOptions candidate;
    candidate.forSession = true;
    candidate.requireKVCache = false;
    candidate.attentionRewrites = spec;
    candidate.calibrationIds = graph.calibrationIds;
    std::optional<std::string> artifact = compiledArtifact(input, candidate);
    if (!artifact)
      return std::nullopt;
    try {
      generator::LoadedSession loaded = generator::loadSession(*artifact, {options.context, 1, 0});
      double ppl = scorePerplexity(*loaded.session, nullptr, *tokens, options.context, 0)
                       .perplexity();
      return measured[spec] = ppl;
    } catch (const std::exception &e) {
      llvm::errs() << "error: " << input << ": scoring --attention=" << spec << ": " << e.what()
                   << "\n";
      return std::nullopt;
    }
  };
  auto bytesOf = [&](const std::vector<LayerChoice> &choices) {
    int64_t bytes = 0;
    for (size_t l = 0; l < layers.size(); ++l) {
      AttentionLayer layer = layers[l];
      layer.window = choices[l].window ? choices[l].window : -1;
      layer.kvHeads = choices[l].kvHeads;
      bytes += decodeCacheBytesRead(layer, options.context);
    }
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
    none.push_back({0, layer.kvHeads});
  std::vector<std::map<LayerChoice, double>> alone(layers.size());
  for (size_t l = 0; l < layers.size(); ++l) {
    alone[l][none[l]] = 0;
    for (std::vector<LayerChoice> frontier = {none[l]}; !frontier.empty();) {
      std::vector<LayerChoice> next;
      for (const LayerChoice &from : frontier)
        for (const LayerChoice &choice : nextChoices(from, options.context, groupedQuery)) {
          if (alone[l].count(choice) || (choice.window && choice.kvHeads != layers[l].kvHeads))
            continue; // combinations are predicted, not measured
          std::vector<LayerChoice> one = none;
          one[l] = choice;
          std::string spec = specOf(one, layers);
          std::optional<double> ppl = perplexityOf(spec);
          if (!ppl)
            return std::nullopt;
          alone[l][choice] = *ppl / *dense - 1;
          llvm::errs() << llvm::format("  alone: %-40s perplexity %.4f (%s)\n", spec.c_str(), *ppl,
                                       percent(*ppl / *dense).c_str());
          // A choice over budget alone stops its line.
          if (*ppl <= budget)
            next.push_back(choice);
        }
      frontier = next;
    }
  }
  // A layer's predicted increase: its window's and its grouping's, added.
  auto predicted = [&](size_t l, const LayerChoice &choice) -> std::optional<double> {
    auto window = alone[l].find({choice.window, layers[l].kvHeads});
    auto heads = alone[l].find({0, choice.kvHeads});
    if (window == alone[l].end() || heads == alone[l].end())
      return std::nullopt;
    return window->second + heads->second;
  };

  // Grow the plan.
  std::vector<LayerChoice> plan = none;
  std::vector<std::vector<LayerChoice>> history = {plan};
  double predictedTotal = 0;
  for (;;) {
    double bestValue = -1, bestTotal = 0;
    std::vector<LayerChoice> best;
    for (size_t l = 0; l < layers.size(); ++l)
      for (const LayerChoice &choice : nextChoices(plan[l], options.context, groupedQuery)) {
        std::optional<double> after = predicted(l, choice), before = predicted(l, plan[l]);
        if (!after || !before)
          continue;
        double total = predictedTotal - *before + *after;
        if (*dense * (1 + total) > budget)
          continue;
        std::vector<LayerChoice> candidate = plan;
        candidate[l] = choice;
        double saved = double(bytesOf(plan) - bytesOf(candidate));
        double value = saved / std::max(*after - *before, 1e-4);
        if (saved > 0 && value > bestValue)
          bestValue = value, bestTotal = total, best = candidate;
      }
    if (best.empty())
      break;
    plan = best;
    predictedTotal = bestTotal;
    history.push_back(plan);
  }

  // Measure it; drop the last moves until it fits.
  while (history.size() > 1) {
    std::string spec = specOf(history.back(), layers);
    std::optional<double> ppl = perplexityOf(spec);
    if (!ppl)
      return std::nullopt;
    llvm::errs() << llvm::format("  plan:  %-40s perplexity %.4f (%s)%s\n", spec.c_str(), *ppl,
                                 percent(*ppl / *dense).c_str(),
                                 *ppl <= budget ? "" : ", over budget: back one move");
    if (*ppl <= budget)
      break;
    history.pop_back();
  }
  std::string chosen = specOf(history.back(), layers);
  double ratio = double(bytesOf(history.back())) / double(bytesOf(none));
  llvm::errs() << "chose --attention=" << (chosen.empty() ? "(none)" : chosen)
               << llvm::format(": perplexity %s, KV cache read per decode step x%.3f\n",
                               percent(measured[chosen] / *dense).c_str(), ratio);
  return chosen;
}
