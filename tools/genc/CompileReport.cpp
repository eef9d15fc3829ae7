//===- CompileReport.cpp - what a compiled model costs, and where ----------===//

#include "CompileReport.h"

#include "genc/Dialect/GencOps.h"
#include "genc/Dialect/MatmulAttributes.h"
#include "genc/Target/CPU/Passes.h"
#include "genc/Transforms/AttentionRewrites.h"
#include "genc/Transforms/Passes.h"
#include "genc/genc.h"
#include "genc/kernels.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/Matchers.h"
#include "mlir/IR/OperationSupport.h"
#include "mlir/Pass/Pass.h"
#include "mlir/Pass/PassInstrumentation.h"

#include "llvm/ADT/DenseMap.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Format.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/JSON.h"
#include "llvm/Support/raw_ostream.h"

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <fstream>
#include <map>
#include <memory>
#include <mutex>
#include <numeric>
#include <set>
#include <thread>
#include <unistd.h>

#ifdef __x86_64__
#include <immintrin.h>
#endif
#ifdef __linux__
#include <sys/syscall.h>
#endif

using namespace mlir;

namespace genc::driver {

//===----------------------------------------------------------------------===//
// Reading the model
//===----------------------------------------------------------------------===//

std::vector<AttentionLayer> describeAttentionLayers(ModuleOp module) {
  std::vector<AttentionLayer> layers;
  for (Operation *op : mlir::genc::selfAttentionLayers(module)) {
    auto attention = cast<mlir::genc::AttentionOp>(op);
    auto shape = [](Value v) { return cast<RankedTensorType>(v.getType()); };
    auto key = shape(attention.getKey());
    AttentionLayer layer;
    layer.queryHeads = shape(attention.getQuery()).getDimSize(1);
    layer.kvHeads = key.getDimSize(1);
    layer.headSize = key.getDimSize(3);
    layer.valueSize = shape(attention.getValue()).getDimSize(3);
    layer.elementBytes = std::max<int64_t>(1, key.getElementTypeBitWidth() / 8);
    layer.window = attention.getWindow();
    layer.sinks = attention.getSinks();
    layer.globalTokens = attention.getGlobalTokens();
    layer.softcapped = attention.getSoftcap().convertToFloat() != 0.0f;
    layer.block = attention.getBlock();
    layer.randomBlocks = attention.getRandomBlocks();
    layer.featureMap = attention.getFeatureMap().value_or("").str();
    if (std::optional<DenseElementsAttr> omega = attention.getRandomFeatures())
      layer.randomFeatures = omega->getType().getDimSize(1);
    layer.lshBuckets = attention.getLshBuckets();
    layer.lshHashes = attention.getLshHashes();
    layer.lshChunk = attention.getLshChunk();
    // As genc-record-signature gives it a state slot.
    layer.sessionState =
        module->hasAttr(mlir::genc::kSessionAttr) && mlir::genc::keptStateSize(attention);
    layer.slidingCache = static_cast<bool>(mlir::genc::slidingCacheOf(attention));
    layers.push_back(layer);
  }
  return layers;
}

namespace {

/// A weight: a constant, maybe transposed or reshaped on the way.
bool isWeight(Value v) {
  while (Operation *def = v.getDefiningOp()) {
    if (matchPattern(def, m_Constant()))
      return true;
    if (!isa<mlir::genc::TransposeOp, mlir::genc::ReshapeOp, mlir::genc::CastOp>(def))
      return false;
    v = def->getOperand(0);
  }
  return false;
}

std::string elementTypeName(Value v) {
  std::string text;
  llvm::raw_string_ostream(text) << getElementTypeOrSelf(v.getType());
  return text;
}

/// Bytes of a [k, n] weight stored as int4 in 32-column panels: half a
/// byte a weight, a scale (and unless `symmetric`, an offset) per group and
/// column, each of `parameterBytes` (genc's own quantisation: f16; a
/// model's grid: f32).
int64_t int4Bytes(int64_t k, int64_t n, int64_t groupSize, int64_t parameterBytes, bool symmetric) {
  int64_t padded = llvm::alignTo(n, 32);
  return k * padded / 2 +
         llvm::divideCeil(k, groupSize) * padded * (symmetric ? 1 : 2) * parameterBytes;
}

/// Bytes of a [k, n] weight stored as int8 in 32-column panels of k pairs,
/// with an f32 scale per column unless the codes are the weights.
int64_t int8Bytes(int64_t k, int64_t n, bool scaled = true) {
  int64_t padded = llvm::alignTo(n, 32);
  return (k + 1) / 2 * 2 * padded + (scaled ? padded * 4 : 0);
}

} // namespace

std::optional<std::string> modelWeightGrid(Operation *matmul) {
  auto grid = matmul->getAttrOfType<DictionaryAttr>(mlir::genc::kWeightGridAttrName);
  if (grid && mlir::genc::weightGridBits(grid) == 8)
    return "int8";
  auto group = grid ? grid.getAs<IntegerAttr>("group") : IntegerAttr();
  if (!group || group.getInt() <= 0)
    return std::nullopt;
  return "int4:" + std::to_string(group.getInt()) +
         (mlir::genc::isSymmetricInt4Grid(grid) ? "" : ":asym");
}

bool storesInt8Integers(Operation *matmul) {
  ElementsAttr codes;
  return matmul->hasAttr(mlir::genc::kExactProductsAttrName) &&
         matchPattern(matmul->getOperand(1), m_Constant(&codes)) &&
         mlir::genc::holdsInt8Integers(codes);
}

bool convertedByWeightFormat(Operation *matmul) {
  if (modelWeightGrid(matmul) || matmul->hasAttr(mlir::genc::kExactProductsAttrName))
    return false;
  Value weight = matmul->getOperand(1);
  if (auto transpose = weight.getDefiningOp<mlir::genc::TransposeOp>())
    weight = transpose.getInput();
  auto type = dyn_cast<ShapedType>(weight.getType());
  return type && type.getElementType().isF32() && type.getRank() == 2 &&
         matchPattern(weight, m_Constant());
}

namespace {

/// Adds a weight matmul (`weight` its constant operand) to `group`.
void addMatmul(MatmulGroup &group, Operation *op, Value weight) {
  auto weightType = cast<ShapedType>(weight.getType());
  auto resultType = cast<ShapedType>(op->getResult(0).getType());
  int64_t columns = resultType.getShape().empty() ? 1 : resultType.getShape().back();
  if (!weightType.hasStaticShape() || ShapedType::isDynamic(columns) || columns == 0)
    return;
  int64_t elements = weightType.getNumElements();
  int64_t bytes = std::max<int64_t>(1, weightType.getElementTypeBitWidth() / 8);
  int64_t activationBytes = std::max<int64_t>(
      1, getElementTypeOrSelf(op->getOperand(0).getType()).getIntOrFloatBitWidth() / 8);
  ++group.count;
  group.flopsPerToken += 2 * elements;
  group.weightBytes += elements * bytes;
  group.activationBytesPerToken += (elements / columns + columns) * activationBytes;
  std::string a = elementTypeName(op->getOperand(0)), b = elementTypeName(op->getOperand(1)),
              c = elementTypeName(op->getResult(0));
  std::string precision = a == b && b == c ? a : a + " x " + b + " -> " + c;
  auto grid = op->getAttrOfType<DictionaryAttr>(mlir::genc::kWeightGridAttrName);
  auto gridGroup = grid ? grid.getAs<IntegerAttr>("group") : IntegerAttr();
  // Quantised in the model: stored on its grid whatever --weights says.
  if (grid && mlir::genc::weightGridBits(grid) == 8) {
    group.weightBytes += int8Bytes(elements / columns, columns) - elements * bytes;
    precision = "int16 x int8 (the model's, a scale per column) -> f32";
  } else if (gridGroup && gridGroup.getInt() > 0) {
    group.weightBytes += int4Bytes(elements / columns, columns, gridGroup.getInt(), 4,
                                   mlir::genc::isSymmetricInt4Grid(grid)) -
                         elements * bytes;
    precision =
        "int16 x int4 (the model's, groups of " + std::to_string(gridGroup.getInt()) + ") -> f32";
  } else if (storesInt8Integers(op)) {
    group.weightBytes +=
        int8Bytes(elements / columns, columns, /*scaled=*/false) - elements * bytes;
    precision = "int16 x int8 (integers, exact) -> f32";
  } else if (convertedByWeightFormat(op)) {
    group.f32Weights.push_back({elements / columns, columns});
  }
  if (!llvm::is_contained(group.precisions, precision))
    group.precisions.push_back(precision);
}

} // namespace

MatmulLayers describeMatmuls(ModuleOp module, size_t numLayers) {
  MatmulLayers result;
  result.layers.resize(numLayers);
  auto main = module.lookupSymbol<func::FuncOp>("main");
  if (!main)
    return result;
  llvm::DenseMap<Operation *, int64_t> layerOf;
  for (auto [i, op] : llvm::enumerate(mlir::genc::selfAttentionLayers(module)))
    layerOf[op] = static_cast<int64_t>(i);
  // Program order, and the layer whose attention each position follows.
  llvm::DenseMap<Operation *, int64_t> order;
  std::vector<int64_t> attentionAt; // order of each layer's attention
  main.walk<WalkOrder::PreOrder>([&](Operation *op) {
    order[op] = static_cast<int64_t>(order.size());
    if (layerOf.count(op))
      attentionAt.push_back(order[op]);
  });
  main.walk([&](Operation *op) {
    if (!isa<mlir::genc::MatMulOp, mlir::genc::GemmOp>(op) || !isWeight(op->getOperand(1)))
      return;
    // What the product reaches before another matmul: a layer's
    // attention, or an output.
    std::optional<int64_t> feeds;
    bool reachesOutput = false;
    SmallVector<Operation *> work = {op};
    llvm::SmallPtrSet<Operation *, 32> seen;
    while (!work.empty()) {
      Operation *at = work.pop_back_val();
      for (Operation *user : at->getUsers()) {
        if (!seen.insert(user).second)
          continue;
        if (auto it = layerOf.find(user); it != layerOf.end())
          feeds = std::min(feeds.value_or(it->second), it->second);
        else if (isa<func::ReturnOp>(user))
          reachesOutput = true;
        else if (!isa<mlir::genc::MatMulOp, mlir::genc::GemmOp, mlir::genc::AttentionOp,
                      mlir::genc::ShapeOp, tensor::DimOp>(user))
          work.push_back(user); // shape queries carry no data
      }
    }
    int64_t position = order.lookup(op);
    auto after = std::upper_bound(attentionAt.begin(), attentionAt.end(), position);
    MatmulGroup *group;
    if (feeds)
      group = &result.layers[*feeds];
    else if (after == attentionAt.end() && reachesOutput && !attentionAt.empty())
      group = &result.head;
    else if (after == attentionAt.begin())
      group = &result.beforeLayers;
    else
      group = &result.layers[after - attentionAt.begin() - 1];
    addMatmul(*group, op, op->getOperand(1));
  });
  return result;
}

void applyWeightFormat(MatmulLayers &matmuls, const mlir::genc::WeightFormat &format) {
  using Kind = mlir::genc::WeightFormat::Kind;
  if (format.kind == Kind::F32)
    return;
  auto apply = [&](MatmulGroup &group) {
    if (group.f32Weights.empty())
      return;
    std::string precision = format.kind == Kind::BF16 ? "bf16 x bf16 -> f32"
                            : format.kind == Kind::Int8PerChannel
                                ? "int16 x int8 (a scale per row and column) -> f32"
                                : "int16 x int4 (" + format.str() + ") -> f32";
    for (auto [k, n] : group.f32Weights) {
      int64_t padded = llvm::alignTo(n, 32); // panels of 32 columns
      int64_t stored = format.kind == Kind::BF16 ? (k + 1) / 2 * 2 * padded * 2
                       : format.kind == Kind::Int8PerChannel
                           ? int8Bytes(k, n)
                           : int4Bytes(k, n, format.group, 2, !format.asymmetric);
      group.weightBytes += stored - k * n * 4;
    }
    llvm::erase(group.precisions, "f32");
    if (!llvm::is_contained(group.precisions, precision))
      group.precisions.push_back(precision);
  };
  for (MatmulGroup &group : matmuls.layers)
    apply(group);
  apply(matmuls.beforeLayers);
  apply(matmuls.head);
}

//===----------------------------------------------------------------------===//
// Costs
//===----------------------------------------------------------------------===//

namespace {

/// Rows of queries the fused kernel takes per pass over the keys (its
/// FlashAttention blocks): a prefill reads each visible key once per block.
constexpr int64_t kQueryBlock = 32;

/// What one decode step of a layer costs at `context` positions, and the
/// cache it holds then (per row).
struct StepCost {
  int64_t visibleKeys, flops, cacheBytesPerPosition, cacheBytesRead;
  int64_t cachePositions = 0, cacheBytes = 0;
};

StepCost accessCost(const AttentionLayer &layer, int64_t context);

StepCost stepCost(const AttentionLayer &layer, int64_t context) {
  StepCost cost = accessCost(layer, context);
  cost.cachePositions = context;
  if (layer.slidingCache && !layer.featureMap.empty())
    cost.cachePositions = std::min<int64_t>(
        context, GENC_SUMS_CACHE_POSITIONS(GENC_SESSION_TOKENS_PER_CALL, context));
  else if (layer.slidingCache)
    cost.cachePositions = std::min<int64_t>(
        context, GENC_SLIDING_CACHE_POSITIONS(layer.window, std::max(layer.sinks, layer.globalTokens)));
  cost.cacheBytes = cost.cachePositions * cost.cacheBytesPerPosition;
  return cost;
}

/// stepCost's time and traffic.
StepCost accessCost(const AttentionLayer &layer, int64_t context) {
  // The last query position sees the window (or everything) and the keys
  // before the sinks and global positions.
  int64_t visible = context;
  if (layer.window > 0 && layer.window < context) {
    int64_t prefix = std::max(layer.sinks, layer.globalTokens);
    visible = layer.window + std::min(prefix, context - layer.window);
  }
  const int64_t position = context - 1, block = layer.block;
  if (block > 0 && position >= layer.globalTokens) {
    // The global blocks, the query's block and the one before it (up to
    // the query), and the random blocks drawn among the blocks between.
    int64_t queryBlock = position / block;
    int64_t neighbours = position + 1 - std::max((queryBlock - 1) * block, layer.globalTokens);
    int64_t candidates = std::max<int64_t>(queryBlock - 1 - layer.globalTokens / block, 0);
    visible = layer.globalTokens + neighbours +
              std::min(layer.randomBlocks, candidates) * block;
  }
  int64_t perPosition = layer.kvHeads * (layer.headSize + layer.valueSize) * layer.elementBytes;
  if (layer.sessionState && !layer.featureMap.empty()) {
    // The new key's features added to each KV head's sums, each query
    // head's read from them: F·(Dv + 1) multiply-adds each, and the
    // features' own cost (FAVOR+: D·M per key or query). The sums are
    // read, not the cache.
    bool performer = layer.featureMap == "performer";
    int64_t features = performer ? layer.randomFeatures : layer.headSize;
    int64_t rows = layer.kvHeads + layer.queryHeads;
    int64_t flops = 2 * rows * (features * (layer.valueSize + 1) +
                                (performer ? layer.headSize * features : 0));
    int64_t stateBytes =
        GENC_LINEAR_ATTENTION_STATE_FLOATS(layer.kvHeads, features, layer.valueSize) * 4;
    return {1, flops, perPosition, stateBytes};
  }
  if (layer.lshBuckets > 0) {
    // Per round: the keys hashed (D·B FLOPs per key and KV head, the
    // query heads of a group sharing them; in a session only the new key,
    // the others' buckets kept, otherwise every key again, as the chunks
    // depend on all of them) and the query, then two chunks and the
    // query's own key attended.
    int64_t seen = std::min(context, layer.lshHashes * (2 * layer.lshChunk + 1));
    int64_t hashed = layer.kvHeads * (layer.sessionState ? 1 : context) + layer.queryHeads;
    int64_t flops = layer.lshHashes * hashed * layer.headSize * layer.lshBuckets +
                    layer.queryHeads * 2 * (layer.headSize + layer.valueSize) * seen;
    if (!layer.sessionState)
      return {seen, flops, perPosition, perPosition * context};
    // Read: the keys and values each query head sees, and per KV head and
    // round the kept counts and the part of the kept order past the new
    // key's bucket, which moves by one place (about half of it; 4 bytes a
    // position).
    int64_t orderBytes = layer.kvHeads * layer.lshHashes * 4 * (context / 2 + layer.lshBuckets + 1);
    return {seen, flops, perPosition,
            perPosition / layer.kvHeads * layer.queryHeads * seen + orderBytes};
  }
  int64_t flops = 2 * layer.queryHeads * (layer.headSize + layer.valueSize) * visible;
  if (layer.featureMap == "performer") // each key's features, then F + Dv per key
    flops = 2 * layer.queryHeads *
            (layer.headSize * layer.randomFeatures + layer.randomFeatures + layer.valueSize) *
            visible;
  return {visible, flops, perPosition, perPosition * visible};
}

} // namespace

int64_t decodeCacheBytesRead(const AttentionLayer &layer, int64_t context) {
  return stepCost(layer, context).cacheBytesRead;
}

namespace {

/// Query and output bytes of one position.
int64_t queryBytes(const AttentionLayer &layer) {
  return layer.queryHeads * (layer.headSize + layer.valueSize) * layer.elementBytes;
}

/// Attention FLOPs of `tokens` new positions after `past` cached ones.
double attentionFlops(const AttentionLayer &layer, int64_t past, int64_t tokens) {
  double flops = 0;
  for (int64_t i = 0; i < tokens; ++i)
    flops += stepCost(layer, past + i + 1).flops;
  return flops;
}

} // namespace

std::string describeChange(const AttentionLayer &before, const AttentionLayer &after) {
  std::string text;
  auto add = [&](const std::string &item) { text += (text.empty() ? "" : ",") + item; };
  if (after.window != before.window && after.window > 0)
    add("window:" + std::to_string(after.window));
  if (after.sinks != before.sinks)
    add("sinks:" + std::to_string(after.sinks));
  if (after.block != before.block && after.block > 0)
    add("bigbird:" + std::to_string(after.block) + ":" + std::to_string(after.randomBlocks) +
        ":" + std::to_string(after.globalTokens / after.block));
  else if (after.globalTokens != before.globalTokens)
    add("global:" + std::to_string(after.globalTokens));
  if (after.lshBuckets > 0)
    add("lsh:" + std::to_string(after.lshBuckets) + ":" + std::to_string(after.lshHashes) + ":" +
        std::to_string(after.lshChunk));
  if (after.featureMap == "elu")
    add("linear");
  if (after.featureMap == "performer")
    add("performer:" + std::to_string(after.randomFeatures));
  if (after.kvHeads != before.kvHeads)
    add("gqa:" + std::to_string(after.kvHeads));
  return text.empty() ? "none" : text;
}

std::vector<LayerCost> layerCosts(const CompileReport &report) {
  std::vector<LayerCost> rows;
  int64_t context = report.context;
  auto addMatmuls = [&](LayerCost &row, const MatmulGroup &group) {
    row.matmulFlopsDecode = row.matmulFlopsPrefill = group.flopsPerToken;
    row.matmulBytesDecode = group.weightBytes + group.activationBytesPerToken;
    row.matmulBytesPrefill = double(group.weightBytes) / context + group.activationBytesPerToken;
  };
  if (report.matmuls.beforeLayers.count) {
    rows.push_back({"before layer 0"});
    addMatmuls(rows.back(), report.matmuls.beforeLayers);
  }
  for (size_t i = 0; i < report.after.size(); ++i) {
    LayerCost row;
    row.name = "layer " + std::to_string(i);
    if (i < report.matmuls.layers.size())
      addMatmuls(row, report.matmuls.layers[i]);
    const AttentionLayer &layer = report.after[i];
    StepCost step = stepCost(layer, context);
    row.hasAttention = true;
    row.kvBytesPerPosition = step.cacheBytesPerPosition;
    row.attentionFlopsDecode = step.flops;
    row.attentionBytesDecode = step.cacheBytesRead + queryBytes(layer);
    row.attentionFlopsPrefill = attentionFlops(layer, 0, context) / context;
    double keysRead = 0;
    for (int64_t end = kQueryBlock; end < context + kQueryBlock; end += kQueryBlock)
      keysRead += stepCost(layer, std::min(end, context)).visibleKeys;
    row.attentionBytesPrefill = keysRead * step.cacheBytesPerPosition / context +
                                step.cacheBytesPerPosition + queryBytes(layer);
    rows.push_back(row);
  }
  if (report.matmuls.head.count) {
    rows.push_back({"head"});
    addMatmuls(rows.back(), report.matmuls.head);
  }
  return rows;
}

RunWork profileRunWork(const CompileReport &report, const ProfileRun &run) {
  RunWork work;
  const MatmulLayers &m = report.matmuls;
  int64_t rows = run.tokens * run.batch;
  auto add = [&](const MatmulGroup &group) {
    work.matmulFlops += double(group.flopsPerToken) * rows;
    work.matmulBytes += group.weightBytes + double(group.activationBytesPerToken) * rows;
  };
  add(m.beforeLayers);
  add(m.head);
  for (const MatmulGroup &group : m.layers)
    add(group);
  for (const AttentionLayer &layer : report.after) {
    work.attentionFlops += attentionFlops(layer, run.past, run.tokens) * run.batch;
    StepCost last = stepCost(layer, run.past + run.tokens);
    double keysRead = 0;
    for (int64_t end = kQueryBlock; end < run.tokens + kQueryBlock; end += kQueryBlock)
      keysRead += stepCost(layer, run.past + std::min(end, run.tokens)).visibleKeys;
    work.attentionBytes +=
        run.batch * (keysRead * last.cacheBytesPerPosition +
                     run.tokens * (last.cacheBytesPerPosition + queryBytes(layer)));
  }
  return work;
}

std::string humanNumber(double x) {
  const char *units[] = {"", "K", "M", "G", "T", "P"};
  int unit = 0;
  while (x >= 1000 && unit < 5) {
    x /= 1000;
    ++unit;
  }
  std::string text;
  llvm::raw_string_ostream(text) << llvm::format("%.3g%s", x, units[unit]);
  return text;
}

//===----------------------------------------------------------------------===//
// The machine
//===----------------------------------------------------------------------===//

namespace {

/// Independent multiply-adds on `Accumulators` vectors: as many in flight
/// as the FMA units take.
template <typename Vector, int Accumulators>
[[gnu::always_inline]] inline double multiplyAdds(int64_t iterations) {
  Vector acc[Accumulators], scale, step;
  for (int j = 0; j < Accumulators; ++j)
    acc[j] = Vector{} + float(j);
  scale = Vector{} + 0.999999f;
  step = Vector{} + 1e-7f;
  for (int64_t i = 0; i < iterations; ++i)
    for (int j = 0; j < Accumulators; ++j)
      acc[j] = acc[j] * scale + step;
  float sink = 0;
  for (int j = 0; j < Accumulators; ++j)
    sink += acc[j][0];
  return sink;
}

/// Sums `n` floats as 4 streams of 2 vectors at once (a read-bandwidth
/// probe: several streams keep more loads in flight, as a matmul's
/// panels do, than one).
template <typename Vector>
[[gnu::always_inline]] inline double sumFloats(const float *data, int64_t n) {
  constexpr int kLanes = sizeof(Vector) / sizeof(float);
  constexpr int kStreams = 4, kPerStream = 2;
  int64_t quarter = n / kStreams / (kPerStream * kLanes) * (kPerStream * kLanes);
  Vector acc[kStreams * kPerStream] = {};
  for (int64_t i = 0; i < quarter; i += kPerStream * kLanes)
    for (int s = 0; s < kStreams; ++s)
      for (int j = 0; j < kPerStream; ++j) {
        Vector v;
        __builtin_memcpy(&v, data + s * quarter + i + j * kLanes, sizeof v);
        acc[s * kPerStream + j] += v;
      }
  double sum = 0;
  for (const Vector &a : acc)
    for (int l = 0; l < kLanes; ++l)
      sum += a[l];
  return sum;
}

using Float16 = float __attribute__((vector_size(64)));
using Float8 = float __attribute__((vector_size(32)));
using Float4 = float __attribute__((vector_size(16)));

constexpr int kAccumulators = 12;

[[gnu::target("avx512f")]] double multiplyAdds512(int64_t n) {
  return multiplyAdds<Float16, kAccumulators>(n);
}
[[gnu::target("avx2,fma")]] double multiplyAdds256(int64_t n) {
  return multiplyAdds<Float8, kAccumulators>(n);
}
double multiplyAdds128(int64_t n) { return multiplyAdds<Float4, kAccumulators>(n); }
[[gnu::target("avx512f")]] double sum512(const float *p, int64_t n) {
  return sumFloats<Float16>(p, n);
}
[[gnu::target("avx2")]] double sum256(const float *p, int64_t n) { return sumFloats<Float8>(p, n); }
double sum128(const float *p, int64_t n) { return sumFloats<Float4>(p, n); }

#ifdef __x86_64__
/// `steps` rounds of four tdpbf16ps (16 × 16 f32 sums, 32 k each) into
/// four sum tiles from two A and two B tiles, as the bf16 matmul kernel's
/// blocks do. The caller has AMX's state.
[[gnu::target("amx-tile,amx-bf16")]] void amxDotProducts(int64_t steps) {
  struct alignas(64) TileConfig {
    uint8_t palette = 1, startRow = 0, reserved[14] = {};
    uint16_t bytesPerRow[16] = {};
    uint8_t rows[16] = {};
  } config;
  for (int t = 0; t < 8; ++t)
    config.bytesPerRow[t] = 64, config.rows[t] = 16;
  alignas(64) static const uint16_t kZeros[16 * 32] = {}; // bf16 zeros
  alignas(64) float sums[16 * 16];
  _tile_loadconfig(&config);
  _tile_zero(0);
  _tile_zero(1);
  _tile_zero(2);
  _tile_zero(3);
  _tile_loadd(4, kZeros, 64);
  _tile_loadd(5, kZeros, 64);
  _tile_loadd(6, kZeros, 64);
  _tile_loadd(7, kZeros, 64);
  for (int64_t i = 0; i < steps; ++i) {
    _tile_dpbf16ps(0, 4, 6);
    _tile_dpbf16ps(1, 4, 7);
    _tile_dpbf16ps(2, 5, 6);
    _tile_dpbf16ps(3, 5, 7);
  }
  _tile_stored(0, sums, 64);
  _tile_release();
  volatile float keep = sums[0];
  (void)keep;
}

/// Whether this process may use AMX's bf16 tiles: the CPU has them and
/// Linux grants their state (as the kernels ask, runtime.md).
bool amxBF16Granted() {
  __builtin_cpu_init();
  if (!__builtin_cpu_supports("amx-tile") || !__builtin_cpu_supports("amx-bf16"))
    return false;
#ifdef __linux__
  constexpr long kRequestPermission = 0x1023, kTileData = 18;
  return syscall(SYS_arch_prctl, kRequestPermission, kTileData) == 0;
#else
  return false;
#endif
}
#endif

/// Every L3 of the machine (one per socket, or per core complex on AMD),
/// from Linux's sysfs: each set of CPUs sharing one counts it once. One L3's
/// size where sysfs says nothing; 0 where neither does.
int64_t totalL3Bytes() {
  auto read = [](const std::string &path) {
    std::ifstream file(path);
    std::string text;
    std::getline(file, text);
    return text;
  };
  std::set<std::string> sharers;
  int64_t total = 0;
  for (int cpu = 0;; ++cpu) {
    std::string cache = "/sys/devices/system/cpu/cpu" + std::to_string(cpu) + "/cache/";
    if (read(cache + "index0/level").empty())
      break;
    for (int index = 0; index < 8; ++index) {
      std::string dir = cache + "index" + std::to_string(index) + "/";
      if (read(dir + "level") != "3" || !sharers.insert(read(dir + "shared_cpu_list")).second)
        continue;
      std::string size = read(dir + "size"); // "491520K"
      int64_t bytes = std::atoll(size.c_str());
      total += size.find('M') != std::string::npos   ? bytes << 20
               : size.find('K') != std::string::npos ? bytes << 10
                                                     : bytes;
    }
  }
#ifdef _SC_LEVEL3_CACHE_SIZE
  if (total == 0)
    total = std::max<int64_t>(0, sysconf(_SC_LEVEL3_CACHE_SIZE));
#endif
  return total;
}

/// Runs `work(thread)` on `threads` threads at once; the seconds it took.
template <typename Work> double onThreads(unsigned threads, Work work) {
  auto start = std::chrono::steady_clock::now();
  std::vector<std::thread> pool;
  for (unsigned t = 1; t < threads; ++t)
    pool.emplace_back(work, t);
  work(0);
  for (std::thread &t : pool)
    t.join();
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

} // namespace

MachinePeak measureMachinePeak(unsigned threads) {
  MachinePeak peak;
  peak.threads = std::max(1u, threads);
  __builtin_cpu_init();
  int lanes = 4;
  double (*fma)(int64_t) = multiplyAdds128;
  double (*sum)(const float *, int64_t) = sum128;
  peak.vectorISA = "SSE";
  if (__builtin_cpu_supports("avx512f")) {
    lanes = 16, fma = multiplyAdds512, sum = sum512, peak.vectorISA = "AVX-512";
  } else if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) {
    lanes = 8, fma = multiplyAdds256, sum = sum256, peak.vectorISA = "AVX2";
  }
  std::vector<double> sinks(peak.threads);
  constexpr int64_t kIterations = 20'000'000;
  double best = 1e30;
  for (int round = 0; round < 3; ++round)
    best =
        std::min(best, onThreads(peak.threads, [&](unsigned t) { sinks[t] = fma(kIterations); }));
  peak.flopsPerSecond = 2.0 * kIterations * kAccumulators * lanes * peak.threads / best;

#ifdef __x86_64__
  if (amxBF16Granted()) {
    constexpr int64_t kSteps = 2'000'000;
    double amxBest = 1e30;
    for (int round = 0; round < 3; ++round)
      amxBest =
          std::min(amxBest, onThreads(peak.threads, [&](unsigned) { amxDotProducts(kSteps); }));
    peak.amxBF16FlopsPerSecond = 2.0 * 4 * 16 * 16 * 32 * kSteps * peak.threads / amxBest;
  }
#endif

  // Twice the machine's L3 and at least 256 MiB (at most 4 GiB), so that
  // the sums read memory rather than a cache (some Xeons have hundreds of
  // MB of L3); written first, so no page faults count. Cache-line aligned,
  // as the weights are: vector loads that straddle two lines read memory
  // markedly slower on some machines (an AMD EPYC: 50 against 64 GB/s).
  const int64_t kFloats = std::clamp<int64_t>(2 * totalL3Bytes() / int64_t(sizeof(float)),
                                              int64_t(64) << 20, int64_t(1) << 30);
  constexpr size_t kLine = 64;
  std::vector<float> buffer(kFloats + kLine / sizeof(float), 1.0f);
  void *start = buffer.data();
  size_t space = buffer.size() * sizeof(float);
  const float *data =
      static_cast<const float *>(std::align(kLine, kFloats * sizeof(float), start, space));
  // Whole lines a thread, so that every thread's share starts on one.
  const int64_t lineFloats = kLine / sizeof(float);
  int64_t share = kFloats / peak.threads / lineFloats * lineFloats;
  best = 1e30;
  for (int round = 0; round < 5; ++round)
    best = std::min(best, onThreads(peak.threads,
                                    [&](unsigned t) { sinks[t] += sum(data + t * share, share); }));
  peak.bytesPerSecond = double(share) * peak.threads * sizeof(float) / best;
  volatile double keep = std::accumulate(sinks.begin(), sinks.end(), 0.0);
  (void)keep;
  return peak;
}

//===----------------------------------------------------------------------===//
// The passes
//===----------------------------------------------------------------------===//

namespace {

/// Records which passes changed the IR (an operation fingerprint before
/// and after each run) and how long they took.
class PassRecorder : public PassInstrumentation {
public:
  explicit PassRecorder(CompileReport &report) : report(report) {}

  void runBeforePass(Pass *pass, Operation *op) override {
    if (isAdaptor(pass))
      return;
    std::lock_guard<std::mutex> lock(mutex);
    started.erase({pass, op});
    started.emplace(std::make_pair(pass, op),
                    std::make_pair(OperationFingerPrint(op), std::chrono::steady_clock::now()));
  }
  void runAfterPass(Pass *pass, Operation *op) override { finish(pass, op); }
  void runAfterPassFailed(Pass *pass, Operation *op) override { finish(pass, op); }

private:
  static bool isAdaptor(Pass *pass) { return pass->getArgument().empty(); }

  void finish(Pass *pass, Operation *op) {
    if (isAdaptor(pass))
      return;
    OperationFingerPrint after(op);
    std::lock_guard<std::mutex> lock(mutex);
    auto it = started.find({pass, op});
    if (it == started.end())
      return;
    double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - it->second.second).count();
    bool changed = it->second.first != after;
    started.erase(it);
    std::string name = pass->getArgument().str();
    auto record = llvm::find_if(report.passes, [&](const PassRecord &r) { return r.name == name; });
    if (record == report.passes.end()) {
      report.passes.push_back({name});
      record = std::prev(report.passes.end());
    }
    record->changed |= changed;
    ++record->runs;
    record->seconds += seconds;
  }

  CompileReport &report;
  std::mutex mutex;
  std::map<std::pair<Pass *, Operation *>,
           std::pair<OperationFingerPrint, std::chrono::steady_clock::time_point>>
      started;
};

} // namespace

void recordPasses(PassManager &pm, CompileReport &report) {
  pm.addInstrumentation(std::make_unique<PassRecorder>(report));
}

//===----------------------------------------------------------------------===//
// Writing
//===----------------------------------------------------------------------===//

namespace {

llvm::json::Object costObject(const AttentionLayer &layer, const StepCost &cost) {
  return llvm::json::Object{
      {"kv_heads", layer.kvHeads},
      {"window", layer.window > 0 ? llvm::json::Value(layer.window) : llvm::json::Value(nullptr)},
      {"sinks", layer.sinks},
      {"global_tokens", layer.globalTokens},
      {"bigbird_block", layer.block > 0 ? llvm::json::Value(layer.block) : llvm::json::Value(nullptr)},
      {"random_blocks", layer.randomBlocks},
      {"feature_map", layer.featureMap.empty() ? llvm::json::Value(nullptr)
                                               : llvm::json::Value(layer.featureMap)},
      {"visible_keys", cost.visibleKeys},
      {"attention_flops_per_token", cost.flops},
      {"kv_cache_bytes_per_position", cost.cacheBytesPerPosition},
      {"kv_cache_positions", cost.cachePositions},
      {"kv_cache_bytes", cost.cacheBytes},
      {"kv_cache_bytes_read_per_token", cost.cacheBytesRead}};
}

llvm::json::Object matmulObject(const MatmulGroup &group) {
  llvm::json::Array precisions;
  for (const std::string &p : group.precisions)
    precisions.push_back(p);
  return llvm::json::Object{{"count", group.count},
                            {"flops_per_token", group.flopsPerToken},
                            {"weight_bytes", group.weightBytes},
                            {"activation_bytes_per_token", group.activationBytesPerToken},
                            {"precision", std::move(precisions)}};
}

llvm::json::Object phaseObject(double matmulFlops, double matmulBytes, double attentionFlops,
                               double attentionBytes) {
  return llvm::json::Object{{"matmul_flops", matmulFlops},
                            {"matmul_bytes", matmulBytes},
                            {"attention_flops", attentionFlops},
                            {"attention_bytes", attentionBytes}};
}

/// A decode step's attention over all layers, before and after the
/// rewrites.
std::pair<StepCost, StepCost> totalSteps(const CompileReport &report) {
  StepCost before{0, 0, 0, 0}, after{0, 0, 0, 0};
  for (size_t i = 0; i < report.before.size() && i < report.after.size(); ++i)
    for (auto [total, layer] : {std::pair{&before, &report.before[i]},
                                std::pair{&after, &report.after[i]}}) {
      StepCost cost = stepCost(*layer, report.context);
      total->flops += cost.flops;
      total->cacheBytesPerPosition += cost.cacheBytesPerPosition;
      total->cacheBytes += cost.cacheBytes;
      total->cacheBytesRead += cost.cacheBytesRead;
    }
  return {before, after};
}

/// The attention rewrites per layer, on stderr.
void printSummary(const CompileReport &report) {
  if (report.before.empty())
    return;
  llvm::errs() << "attention report at context " << report.context
               << " (per decode step; KV cache held then, per row):\n";
  for (size_t i = 0; i < report.before.size() && i < report.after.size(); ++i) {
    StepCost was = stepCost(report.before[i], report.context),
             is = stepCost(report.after[i], report.context);
    llvm::errs() << llvm::formatv(
        "  layer {0,-3} {1,-28} FLOPs {2,6} -> {3,-6}  KV read {4,7} -> "
        "{5,-7}  KV cache {6} -> {7}\n",
        i, describeChange(report.before[i], report.after[i]), humanNumber(was.flops),
        humanNumber(is.flops), humanNumber(was.cacheBytesRead) + "B",
        humanNumber(is.cacheBytesRead) + "B", humanNumber(was.cacheBytes) + "B",
        humanNumber(is.cacheBytes) + "B");
  }
  auto [totalBefore, totalAfter] = totalSteps(report);
  auto ratio = [](int64_t a, int64_t b) { return double(a) / std::max<int64_t>(1, b); };
  llvm::errs() << llvm::formatv(
      "  all layers: FLOPs x{0:F3}, KV read x{1:F3}, KV cache x{2:F3}\n",
      ratio(totalAfter.flops, totalBefore.flops),
      ratio(totalAfter.cacheBytesRead, totalBefore.cacheBytesRead),
      ratio(totalAfter.cacheBytes, totalBefore.cacheBytes));
  if (const std::optional<RewriteQuality> &q = report.quality)
    llvm::errs() << llvm::format(
        "  quality on %s (%lld tokens, windows of %lld): perplexity "
        "%.4f -> %.4f (%+.2f%%), top-1 agreement %.3f\n",
        q->evalIds.c_str(), (long long)q->tokens, (long long)q->context, q->perplexityBefore,
        q->perplexityAfter, 100 * (q->perplexityAfter / q->perplexityBefore - 1), q->top1Agreement);
}

llvm::json::Value reportJSON(const CompileReport &report) {
  std::vector<LayerCost> costs = layerCosts(report);
  auto costOf = [&](const std::string &name) {
    return llvm::find_if(costs, [&](const LayerCost &c) { return c.name == name; });
  };
  llvm::json::Array layers;
  for (size_t i = 0; i < report.before.size() && i < report.after.size(); ++i) {
    StepCost was = stepCost(report.before[i], report.context),
             is = stepCost(report.after[i], report.context);
    llvm::json::Object layer{{"layer", static_cast<int64_t>(i)},
                             {"rewrites", describeChange(report.before[i], report.after[i])},
                             {"query_heads", report.before[i].queryHeads},
                             {"head_size", report.before[i].headSize},
                             {"before", costObject(report.before[i], was)},
                             {"after", costObject(report.after[i], is)}};
    if (i < report.matmuls.layers.size())
      layer["matmuls"] = matmulObject(report.matmuls.layers[i]);
    auto cost = costOf("layer " + std::to_string(i));
    layer["decode_step"] = phaseObject(cost->matmulFlopsDecode, cost->matmulBytesDecode,
                                       cost->attentionFlopsDecode, cost->attentionBytesDecode);
    layer["prefill_token"] = phaseObject(cost->matmulFlopsPrefill, cost->matmulBytesPrefill,
                                         cost->attentionFlopsPrefill, cost->attentionBytesPrefill);
    layers.push_back(std::move(layer));
  }
  auto [totalBefore, totalAfter] = totalSteps(report);
  auto totals = [](const StepCost &cost) {
    return llvm::json::Object{{"attention_flops_per_token", cost.flops},
                              {"kv_cache_bytes_per_position", cost.cacheBytesPerPosition},
                              {"kv_cache_bytes", cost.cacheBytes},
                              {"kv_cache_bytes_read_per_token", cost.cacheBytesRead}};
  };
  llvm::json::Array passes;
  for (const PassRecord &pass : report.passes)
    passes.push_back(llvm::json::Object{{"pass", pass.name},
                                        {"changed", pass.changed},
                                        {"runs", pass.runs},
                                        {"seconds", pass.seconds}});
  llvm::json::Object json{{"model", report.model},
                          {"attention", report.rewrites},
                          {"context", report.context},
                          {"layers", std::move(layers)},
                          {"matmuls_before_layers", matmulObject(report.matmuls.beforeLayers)},
                          {"head_matmuls", matmulObject(report.matmuls.head)},
                          {"before", totals(totalBefore)},
                          {"after", totals(totalAfter)},
                          {"passes", std::move(passes)}};
  if (const std::optional<RewriteQuality> &q = report.quality)
    json["quality"] =
        llvm::json::Object{{"eval_ids", q->evalIds},
                           {"tokens", q->tokens},
                           {"context", q->context},
                           {"perplexity_before", q->perplexityBefore},
                           {"perplexity_after", q->perplexityAfter},
                           {"perplexity_increase", q->perplexityAfter / q->perplexityBefore - 1},
                           {"top1_agreement", q->top1Agreement}};
  else if (report.evalIdsGiven)
    json["quality"] = "not measured: no attention rewrites to measure";
  else
    json["quality"] = "not measured: give --eval-ids (or run genc perplexity MODEL "
                      "--attention=SPEC --agreement-with MODEL)";
  if (report.machine)
    json["machine"] =
        llvm::json::Object{{"peak_flops_per_second", report.machine->flopsPerSecond},
                           {"bytes_per_second", report.machine->bytesPerSecond},
                           {"amx_bf16_flops_per_second", report.machine->amxBF16FlopsPerSecond},
                           {"threads", report.machine->threads},
                           {"vector_isa", report.machine->vectorISA}};
  llvm::json::Array profile;
  for (const ProfileRun &run : report.profile) {
    llvm::json::Object families;
    for (size_t f = 0; f < run.familySeconds.size(); ++f)
      families[genc_op_family_name(static_cast<int>(f))] = run.familySeconds[f];
    RunWork work = profileRunWork(report, run);
    profile.push_back(llvm::json::Object{{"inputs", run.label},
                                         {"batch", run.batch},
                                         {"tokens", run.tokens},
                                         {"past", run.past},
                                         {"repeats", run.repeats},
                                         {"wall_seconds", run.wallSeconds},
                                         {"seconds", std::move(families)},
                                         {"matmul_flops", work.matmulFlops},
                                         {"matmul_bytes", work.matmulBytes},
                                         {"attention_flops", work.attentionFlops},
                                         {"attention_bytes", work.attentionBytes}});
  }
  if (!profile.empty())
    json["profile"] = std::move(profile);
  return json;
}

} // namespace

bool writeCompileReport(const CompileReport &report) {
  printSummary(report);
  std::error_code ec;
  llvm::raw_fd_ostream os(report.path, ec, llvm::sys::fs::OF_Text);
  if (ec) {
    llvm::errs() << "error: cannot write the report " << report.path << ": " << ec.message()
                 << "\n";
    return false;
  }
  if (llvm::StringRef(report.path).ends_with(".html"))
    writeReportHTML(os, report);
  else
    os << llvm::formatv("{0:2}", reportJSON(report)) << "\n";
  return true;
}

} // namespace genc::driver
