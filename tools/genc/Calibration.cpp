//===- Calibration.cpp - fitting gqa:G:calibrated's shared heads -----------===//
//
// For a group of R adjacent KV heads of size D, stack each position's keys
// into x = [k_0, ..., k_{R-1}] (R·D values). The D leading eigenvectors of
// their covariance, as the columns of V (R·D × D), give the shared key
// k = Σ_r k_r · V_r (V_r: rows r·D to r·D + D − 1 of V), from which each
// member is reconstructed as k_r ≈ mean_r + k · V_rᵀ, the best rank-D
// reconstruction in the least-squares sense. genc-rewrite-attention then
// multiplies each query head by V_r of the KV head it read (its scores
// against the reconstruction; the mean adds the same to every score of a
// query, which softmax ignores) and, for values, each output by V_rᵀ plus
// mean_r (softmax weights sum to one).
//
//===----------------------------------------------------------------------===//

#include "Calibration.h"

#include "Commands.h"
#include "CompileReport.h"
#include "Inputs.h"
#include "Model.h"

#include "genc/Transforms/AttentionRewrites.h"
#include "genc/genc.h"

#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/BuiltinTypes.h"

#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/raw_ostream.h"

#include <algorithm>
#include <cmath>
#include <functional>
#include <memory>
#include <numeric>

using namespace mlir;

namespace genc::driver {

void symmetricEigen(std::vector<double> a, int64_t n, std::vector<double> &values,
                    std::vector<double> &vectors) {
  std::vector<double> v(n * n, 0.0);
  for (int64_t i = 0; i < n; ++i)
    v[i * n + i] = 1.0;
  for (int sweep = 0; sweep < 100; ++sweep) {
    double off = 0, total = 0;
    for (int64_t i = 0; i < n; ++i)
      for (int64_t j = 0; j < n; ++j)
        (i == j ? total : off) += a[i * n + j] * a[i * n + j];
    if (off <= 1e-22 * (total + off))
      break;
    for (int64_t p = 0; p < n; ++p)
      for (int64_t q = p + 1; q < n; ++q) {
        double apq = a[p * n + q];
        if (std::abs(apq) < 1e-300)
          continue;
        // The rotation in the (p, q) plane that zeroes a[p][q].
        double theta = (a[q * n + q] - a[p * n + p]) / (2 * apq);
        double t = (theta >= 0 ? 1 : -1) / (std::abs(theta) + std::sqrt(theta * theta + 1));
        double c = 1 / std::sqrt(t * t + 1), s = t * c;
        for (int64_t k = 0; k < n; ++k) {
          double akp = a[k * n + p], akq = a[k * n + q];
          a[k * n + p] = c * akp - s * akq;
          a[k * n + q] = s * akp + c * akq;
        }
        for (int64_t k = 0; k < n; ++k) {
          double apk = a[p * n + k], aqk = a[q * n + k];
          a[p * n + k] = c * apk - s * aqk;
          a[q * n + k] = s * apk + c * aqk;
        }
        for (int64_t k = 0; k < n; ++k) {
          double vkp = v[k * n + p], vkq = v[k * n + q];
          v[k * n + p] = c * vkp - s * vkq;
          v[k * n + q] = s * vkp + c * vkq;
        }
      }
  }
  std::vector<int64_t> order(n);
  std::iota(order.begin(), order.end(), 0);
  std::sort(order.begin(), order.end(),
            [&](int64_t x, int64_t y) { return a[x * n + x] > a[y * n + y]; });
  values.assign(n, 0.0);
  vectors.assign(n * n, 0.0);
  for (int64_t k = 0; k < n; ++k) {
    values[k] = a[order[k] * n + order[k]];
    for (int64_t i = 0; i < n; ++i)
      vectors[i * n + k] = v[i * n + order[k]];
  }
}

namespace {

/// First and second moments of the stacked heads of every group of one
/// layer's keys (or values).
struct GroupMoments {
  int64_t groups = 0, perGroup = 0, size = 0, count = 0;
  std::vector<double> sum, products; // per group: R·D, (R·D)²

  void init(int64_t g, int64_t r, int64_t d) {
    groups = g, perGroup = r, size = d;
    int64_t width = r * d;
    sum.assign(g * width, 0.0);
    products.assign(g * width * width, 0.0);
  }

  /// Adds the positions of a [1, H, T, D] present tensor.
  void add(const float *data, int64_t positions) {
    int64_t width = perGroup * size;
    std::vector<double> x(width);
    for (int64_t t = 0; t < positions; ++t)
      for (int64_t g = 0; g < groups; ++g) {
        for (int64_t r = 0; r < perGroup; ++r)
          for (int64_t d = 0; d < size; ++d)
            x[r * size + d] = data[((g * perGroup + r) * positions + t) * size + d];
        double *s = &sum[g * width], *p = &products[g * width * width];
        for (int64_t i = 0; i < width; ++i) {
          s[i] += x[i];
          for (int64_t j = 0; j < width; ++j)
            p[i * width + j] += x[i] * x[j];
        }
      }
    count += positions;
  }

  /// [G, R, D, D] maps (the D leading principal directions, split by
  /// member) and [G, R, D] means.
  void fit(std::vector<float> &maps, std::vector<float> &means) const {
    int64_t width = perGroup * size;
    maps.assign(groups * width * size, 0.0f);
    means.assign(groups * width, 0.0f);
    for (int64_t g = 0; g < groups; ++g) {
      std::vector<double> covariance(width * width);
      const double *s = &sum[g * width], *p = &products[g * width * width];
      for (int64_t i = 0; i < width; ++i)
        for (int64_t j = 0; j < width; ++j)
          covariance[i * width + j] = p[i * width + j] / count - s[i] / count * s[j] / count;
      std::vector<double> values, vectors;
      symmetricEigen(std::move(covariance), width, values, vectors);
      for (int64_t row = 0; row < width; ++row) { // row = r · D + i
        means[g * width + row] = static_cast<float>(s[row] / count);
        for (int64_t j = 0; j < size; ++j)
          maps[(g * width + row) * size + j] = static_cast<float>(vectors[row * width + j]);
      }
    }
  }
};

/// Per-head sums and the heads' inner products (summed over positions and
/// the head's elements) of one layer's keys (or values): what choosing
/// groups of heads to average needs.
struct HeadMoments {
  int64_t heads = 0, size = 0, count = 0;
  std::vector<double> sum, gram; // H·D, H²

  void init(int64_t h, int64_t d) {
    heads = h, size = d;
    sum.assign(h * d, 0.0);
    gram.assign(h * h, 0.0);
  }

  void add(const float *data, int64_t positions) {
    for (int64_t t = 0; t < positions; ++t)
      for (int64_t a = 0; a < heads; ++a) {
        const float *x = data + (a * positions + t) * size;
        for (int64_t d = 0; d < size; ++d)
          sum[a * size + d] += x[d];
        for (int64_t b = a; b < heads; ++b) {
          const float *y = data + (b * positions + t) * size;
          double dot = 0;
          for (int64_t d = 0; d < size; ++d)
            dot += double(x[d]) * y[d];
          gram[a * heads + b] += dot;
        }
      }
    count += positions;
  }

  /// The heads' mean inner products, H × H; `centred`: of their
  /// deviations from their means (a key's mean shifts every score of a
  /// query alike, which softmax ignores; a value's reaches the output).
  std::vector<double> innerProducts(bool centred) const {
    std::vector<double> c(heads * heads);
    for (int64_t a = 0; a < heads; ++a)
      for (int64_t b = a; b < heads; ++b) {
        double means = 0;
        for (int64_t d = 0; centred && d < size; ++d)
          means += sum[a * size + d] / count * (sum[b * size + d] / count);
        c[a * heads + b] = c[b * heads + a] = gram[a * heads + b] / count - means;
      }
    return c;
  }
};

/// The partition of `heads` heads into groups of `perGroup` whose means
/// lose the least, the loss of a group being the mean squared distance of
/// its heads from their mean (Σ C_hh − Σ C_ab / R, C the heads' mean inner
/// products: of keys centred, of values as they are), keys and values each
/// divided by their total. Every partition is tried when there
/// are at most a million; else each group takes the lowest unassigned
/// head and the heads that add least to its loss.
std::vector<int64_t> chooseGroups(const std::vector<double> &keys,
                                  const std::vector<double> &values, int64_t heads,
                                  int64_t perGroup) {
  double keyTotal = 0, valueTotal = 0;
  for (int64_t h = 0; h < heads; ++h)
    keyTotal += keys[h * heads + h], valueTotal += values[h * heads + h];
  std::vector<double> c(heads * heads);
  for (int64_t i = 0; i < heads * heads; ++i)
    c[i] = keys[i] / std::max(keyTotal, 1e-30) + values[i] / std::max(valueTotal, 1e-30);
  auto loss = [&](const std::vector<int64_t> &group) {
    double diagonal = 0, all = 0;
    for (int64_t a : group) {
      diagonal += c[a * heads + a];
      for (int64_t b : group)
        all += c[a * heads + b];
    }
    return diagonal - all / group.size();
  };
  double partitions = 1; // heads! / (perGroup!^G G!)
  for (int64_t left = heads; left > 0; left -= perGroup)
    for (int64_t k = 1; k < perGroup; ++k)
      partitions *= double(left - k) / k;
  std::vector<int64_t> best, current;
  std::vector<bool> used(heads, false);
  double bestLoss = 1e300;
  if (partitions <= 1e6) {
    // The next group starts at the lowest unassigned head (each partition
    // once) and takes members above it in increasing order.
    std::function<void(double)> search = [&](double sofar) {
      int64_t first = std::find(used.begin(), used.end(), false) - used.begin();
      if (first == heads) {
        if (sofar < bestLoss)
          bestLoss = sofar, best = current;
        return;
      }
      std::vector<int64_t> group = {first};
      std::function<void(int64_t)> extend = [&](int64_t from) {
        if (static_cast<int64_t>(group.size()) == perGroup) {
          for (int64_t h : group)
            used[h] = true, current.push_back(h);
          search(sofar + loss(group));
          for (int64_t h : group)
            used[h] = false, current.pop_back();
          return;
        }
        for (int64_t h = from; h < heads; ++h)
          if (!used[h]) {
            group.push_back(h);
            extend(h + 1);
            group.pop_back();
          }
      };
      used[first] = true;
      extend(first + 1);
      used[first] = false;
    };
    search(0);
    return best;
  }
  for (int64_t first = 0; first < heads; ++first) {
    if (used[first])
      continue;
    std::vector<int64_t> group = {first};
    used[first] = true;
    while (static_cast<int64_t>(group.size()) < perGroup) {
      int64_t pick = -1;
      double pickLoss = 1e300;
      for (int64_t h = 0; h < heads; ++h) {
        if (used[h])
          continue;
        group.push_back(h);
        if (double l = loss(group); l < pickLoss)
          pickLoss = l, pick = h;
        group.pop_back();
      }
      group.push_back(pick);
      used[pick] = true;
    }
    best.insert(best.end(), group.begin(), group.end());
  }
  return best;
}

/// The export's inputs for one window of `ids` from an empty cache.
std::optional<std::vector<TensorPtr>> windowInputs(const ::genc::runtime::EntryPoint &entry,
                                                   llvm::ArrayRef<int64_t> ids,
                                                   std::string &error) {
  std::vector<TensorPtr> tensors;
  int64_t length = static_cast<int64_t>(ids.size());
  for (const ::genc::runtime::InputSpec &spec : entry.inputs) {
    std::vector<int64_t> dims;
    llvm::StringRef name = spec.name;
    bool tokens = name == "input_ids" || name == "attention_mask" || name == "position_ids";
    if (tokens && spec.dims.size() == 2)
      dims = {1, length};
    else if (spec.dims.size() == 4 && name.contains("past") && spec.dims[1] > 0 &&
             spec.dims[3] > 0)
      dims = {1, spec.dims[1], 0, spec.dims[3]};
    if (dims.empty() || (tokens && spec.dtype != GENC_I64)) {
      error = "calibration runs the model on token ids from an empty cache and cannot fill "
              "its input '" +
              spec.name +
              "'; calibrate a decoder export whose inputs are input_ids, attention_mask, "
              "position_ids (int64) and past_key_values.*";
      return std::nullopt;
    }
    genc_tensor *t = nullptr;
    if (genc_tensor_create(spec.dtype, dims.data(), dims.size(), &t) != GENC_OK) {
      error = genc_status_message();
      return std::nullopt;
    }
    tensors.emplace_back(t);
    auto *data = static_cast<int64_t *>(genc_tensor_data(t));
    for (int64_t i = 0; tokens && i < length; ++i)
      data[i] = name == "input_ids" ? ids[i] : name == "attention_mask" ? 1 : i;
  }
  return tensors;
}

} // namespace

std::optional<CalibrationRun> prepareCalibrationRun(llvm::StringRef input,
                                                    const GraphOptions &graph,
                                                    llvm::StringRef idsPath) {
  auto fail = [&](const llvm::Twine &message) -> std::optional<CalibrationRun> {
    llvm::errs() << "error: " << input << ": " << message << "\n";
    return std::nullopt;
  };
  std::string error;
  CalibrationRun run;
  std::optional<std::vector<int64_t>> ids = readTokenIds(idsPath.str(), error);
  if (!ids)
    return fail(error);
  if (ids->size() < 2)
    return fail("--calibration-ids " + idsPath + " holds fewer than two tokens");
  run.ids = std::move(*ids);
  std::optional<std::string> artifact = compiledArtifact(input, graph);
  if (!artifact)
    return std::nullopt;
  genc_model *loaded = nullptr;
  if (genc_model_load(artifact->c_str(), &loaded) != GENC_OK)
    return fail(genc_status_message());
  run.model.reset(loaded);
  return run;
}

LogicalResult runCalibrationWindows(
    llvm::StringRef input, genc_model *model, llvm::ArrayRef<int64_t> ids,
    llvm::function_ref<LogicalResult(llvm::ArrayRef<TensorPtr>, int64_t)> use) {
  const ::genc::runtime::EntryPoint &entry = model->main();
  size_t numOutputs = genc_model_num_outputs(model);
  std::string error;
  // Windows no longer than the positions the model embeds.
  size_t window = kCalibrationWindow;
  if (int64_t limit = genc_model_max_positions(model); limit > 1)
    window = std::min<size_t>(window, limit);
  for (size_t start = 0; start + 1 < ids.size(); start += window) {
    size_t end = std::min(ids.size(), start + window);
    auto tensors = windowInputs(entry, ids.slice(start, end - start), error);
    if (!tensors) {
      llvm::errs() << "error: " << input << ": " << error << "\n";
      return failure();
    }
    std::vector<const genc_tensor *> inputs;
    for (const TensorPtr &t : *tensors)
      inputs.push_back(t.get());
    std::vector<genc_tensor *> raw(numOutputs, nullptr);
    genc_status status = genc_model_run(model, inputs.data(), inputs.size(), raw.data());
    std::vector<TensorPtr> outputs;
    for (genc_tensor *t : raw)
      outputs.emplace_back(t);
    if (status != GENC_OK) {
      llvm::errs() << "error: " << input << ": calibration run on ids " << start << " to " << end << ": "
                   << genc_status_message() << "\n";
      return failure();
    }
    if (failed(use(outputs, static_cast<int64_t>(end - start))))
      return failure();
  }
  return success();
}

LogicalResult calibrateGroupedQuery(ModuleOp module, llvm::StringRef input,
                                    const GraphOptions &graph) {
  auto fail = [&](const llvm::Twine &message) {
    llvm::errs() << "error: " << input << ": " << message << "\n";
    return failure();
  };
  if (llvm::StringRef(graph.attentionRewrites).trim().empty())
    return success();
  std::string error;
  auto rewrites = mlir::genc::parseAttentionRewrites(graph.attentionRewrites, error);
  if (!rewrites)
    return fail(error);
  std::vector<AttentionLayer> layers = describeAttentionLayers(module);
  using Method = mlir::genc::AttentionRewrite::GroupMethod;
  std::vector<int64_t> groupsOf(layers.size(), 0);
  std::vector<Method> methodOf(layers.size(), Method::Mean);
  std::string asked;
  for (const mlir::genc::AttentionRewrite &rewrite : *rewrites) {
    if (rewrite.kind != mlir::genc::AttentionRewrite::Kind::GroupedQuery ||
        rewrite.method == Method::Mean)
      continue;
    asked = rewrite.text;
    for (size_t layer = 0; layer < layers.size(); ++layer) {
      int64_t heads = layers[layer].kvHeads;
      // Layers the pass will refuse keep no calibration: it says why.
      if (rewrite.appliesTo(layer) && rewrite.size < heads && heads % rewrite.size == 0) {
        groupsOf[layer] = rewrite.size;
        methodOf[layer] = rewrite.method;
      }
    }
  }
  if (asked.empty() || llvm::all_of(groupsOf, [](int64_t g) { return g == 0; }))
    return success();
  if (graph.calibrationIds.empty())
    return fail("--attention=" + asked +
                " fits its groups' shared heads on calibration text: give its token ids as "
                "--calibration-ids FILE (whitespace-separated)");
  // The model as exported: its present.* outputs are every layer's keys
  // and values.
  std::optional<CalibrationRun> run =
      prepareCalibrationRun(input, GraphOptions(), graph.calibrationIds);
  if (!run)
    return failure();
  genc_model *loaded = run->model.get();
  size_t numOutputs = genc_model_num_outputs(loaded);
  auto outputIndex = [&](const std::string &name) -> std::optional<size_t> {
    for (size_t k = 0; k < numOutputs; ++k)
      if (name == genc_model_output_name(loaded, k))
        return k;
    return std::nullopt;
  };
  struct LayerFit {
    size_t keyOutput, valueOutput;
    GroupMoments keys, values;      // gqa:G:calibrated
    HeadMoments keyHeads, valueHeads; // gqa:G:grouped
  };
  std::vector<std::optional<LayerFit>> fits(layers.size());
  for (size_t layer = 0; layer < layers.size(); ++layer) {
    if (!groupsOf[layer])
      continue;
    std::string prefix = "present." + std::to_string(layer);
    auto key = outputIndex(prefix + ".key"), value = outputIndex(prefix + ".value");
    if (!key || !value)
      return fail("--attention=" + asked + " reads layer " + std::to_string(layer) +
                  "'s keys and values from the model's outputs " + prefix + ".key and " +
                  prefix + ".value, and it has none: give the export with a KV cache");
    const AttentionLayer &shape = layers[layer];
    int64_t groups = groupsOf[layer], perGroup = shape.kvHeads / groups;
    fits[layer].emplace();
    fits[layer]->keyOutput = *key;
    fits[layer]->valueOutput = *value;
    if (methodOf[layer] == Method::Calibrated) {
      fits[layer]->keys.init(groups, perGroup, shape.headSize);
      fits[layer]->values.init(groups, perGroup, shape.valueSize);
    } else {
      fits[layer]->keyHeads.init(shape.kvHeads, shape.headSize);
      fits[layer]->valueHeads.init(shape.kvHeads, shape.valueSize);
    }
  }

  LogicalResult ran = runCalibrationWindows(
      input, loaded, run->ids, [&](llvm::ArrayRef<TensorPtr> outputs, int64_t positions) -> LogicalResult {
        for (size_t layer = 0; layer < layers.size(); ++layer) {
          if (!fits[layer])
            continue;
          const AttentionLayer &shape = layers[layer];
          for (bool isKey : {true, false}) {
            size_t index = isKey ? fits[layer]->keyOutput : fits[layer]->valueOutput;
            int64_t size = isKey ? shape.headSize : shape.valueSize;
            genc_tensor *t = outputs[index].get();
            const int64_t *dims = genc_tensor_dims(t);
            if (genc_tensor_dtype(t) != GENC_F32 || genc_tensor_rank(t) != 4 || dims[0] != 1 ||
                dims[1] != shape.kvHeads || dims[2] != positions || dims[3] != size)
              return fail(std::string("the output ") + genc_model_output_name(loaded, index) +
                          " is not the f32 [1, heads, positions, head size] of layer " +
                          std::to_string(layer) + "'s attention; calibration cannot read it");
            auto *data = static_cast<const float *>(genc_tensor_data(t));
            if (methodOf[layer] == Method::Calibrated)
              (isKey ? fits[layer]->keys : fits[layer]->values).add(data, positions);
            else
              (isKey ? fits[layer]->keyHeads : fits[layer]->valueHeads).add(data, positions);
          }
        }
        return success();
      });
  if (failed(ran))
    return failure();

  MLIRContext *ctx = module.getContext();
  Type f32 = Float32Type::get(ctx);
  SmallVector<Attribute> entries;
  for (size_t layer = 0; layer < layers.size(); ++layer) {
    if (!fits[layer]) {
      entries.push_back(UnitAttr::get(ctx));
      continue;
    }
    auto dense = [&](ArrayRef<int64_t> shape, const std::vector<float> &values) {
      return DenseElementsAttr::get(RankedTensorType::get(shape, f32), ArrayRef<float>(values));
    };
    if (methodOf[layer] == Method::Grouped) {
      int64_t heads = layers[layer].kvHeads, groups = groupsOf[layer];
      std::vector<int64_t> chosen =
          chooseGroups(fits[layer]->keyHeads.innerProducts(/*centred=*/true),
                       fits[layer]->valueHeads.innerProducts(/*centred=*/false), heads,
                       heads / groups);
      auto type = RankedTensorType::get({groups, heads / groups}, IntegerType::get(ctx, 64));
      NamedAttribute field(StringAttr::get(ctx, "groups"),
                           DenseIntElementsAttr::get(type, ArrayRef<int64_t>(chosen)));
      entries.push_back(DictionaryAttr::get(ctx, {field}));
      continue;
    }
    const GroupMoments &k = fits[layer]->keys, &v = fits[layer]->values;
    std::vector<float> keyMaps, keyMeans, valueMaps, valueMeans;
    k.fit(keyMaps, keyMeans);
    v.fit(valueMaps, valueMeans);
    NamedAttribute fields[] = {
        {StringAttr::get(ctx, "key_maps"),
         dense({k.groups, k.perGroup, k.size, k.size}, keyMaps)},
        {StringAttr::get(ctx, "value_maps"),
         dense({v.groups, v.perGroup, v.size, v.size}, valueMaps)},
        {StringAttr::get(ctx, "value_means"), dense({v.groups, v.perGroup, v.size}, valueMeans)}};
    entries.push_back(DictionaryAttr::get(ctx, fields));
  }
  module->setAttr(mlir::genc::kCalibrationAttrName, ArrayAttr::get(ctx, entries));
  return success();
}

} // namespace genc::driver
