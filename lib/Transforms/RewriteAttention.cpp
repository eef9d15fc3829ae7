//===- RewriteAttention.cpp - sparse and grouped attention, on request -----===//
//
// Rewrites the self-attention layers of @main (the genc.attention ops whose
// keys do not come from an encoder, numbered 0, 1, ... in program order) as
// `--attention=SPEC` asks (AttentionRewrites.h):
//
//   window:W   each query sees its last W positions (Longformer, Mistral)
//   sinks:S    ... and the first S positions (StreamingLLM's sinks)
//   global:N   ... and the first N positions see, and are seen by, all
//   bigbird:B:R:G  blocks of B positions; a query block sees G global
//              blocks, its neighbours and R random blocks (BigBird)
//   linear     linear attention, φ(x) = elu(x) + 1 (Katharopoulos et al.)
//   performer:M  linear attention through M positive orthogonal random
//              features (FAVOR+), drawn once per layer
//   lsh:B:H:C  Reformer's LSH attention: B buckets, H hashing rounds,
//              chunks of C
//   gqa:G      the layer's KV heads, averaged in groups of adjacent heads
//              down to G (the GQA paper's mean-pool conversion)
//   gqa:G:calibrated  ... combined through maps fitted on calibration text
//              (kCalibrationAttrName), queries and outputs mapped to match
//
// None of these is exact for a model trained without it: the point is to
// measure what each costs. Mean-pooling K and V after projection is the
// same as mean-pooling the projection weights and biases (a linear map of
// the same input; rotary embedding rotates every head alike).
//
//===----------------------------------------------------------------------===//

#include "genc/Dialect/GencOps.h"
#include "genc/Support/ModelLocation.h"
#include "genc/Transforms/AttentionRewrites.h"
#include "genc/Transforms/Passes.h"

#include "mlir/Analysis/SliceAnalysis.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"

#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/SetVector.h"
#include "llvm/ADT/StringExtras.h"

#include <cmath>
#include <vector>

namespace mlir::genc {
#define GEN_PASS_DEF_REWRITEATTENTION
#include "genc/Transforms/Passes.h.inc"
} // namespace mlir::genc

using namespace mlir;
using namespace mlir::genc;

//===----------------------------------------------------------------------===//
// Parsing
//===----------------------------------------------------------------------===//

bool AttentionRewrite::appliesTo(int64_t layer) const {
  return layers.empty() || llvm::any_of(layers, [&](auto range) {
           return range.first <= layer && layer <= range.second;
         });
}

namespace {

/// Rewrites the literature names that genc does not implement.
constexpr llvm::StringLiteral kKnown =
    "window:W, sinks:S, global:N, bigbird:B[:R[:G]], linear, performer:M, lsh:B[:H[:C]], "
    "gqa:G[:mean|:grouped|:calibrated]";

std::optional<int64_t> parsePositive(StringRef text) {
  int64_t value;
  if (text.getAsInteger(10, value) || value <= 0)
    return std::nullopt;
  return value;
}

std::optional<int64_t> parseIndex(StringRef text) {
  int64_t value;
  if (text.getAsInteger(10, value) || value < 0)
    return std::nullopt;
  return value;
}

} // namespace

std::optional<SmallVector<AttentionRewrite>>
mlir::genc::parseAttentionRewrites(StringRef spec, std::string &error) {
  SmallVector<AttentionRewrite> rewrites;
  SmallVector<StringRef> items;
  spec.split(items, ',');
  for (StringRef item : items) {
    item = item.trim();
    auto fail = [&](const Twine &why) {
      error = ("--attention=" + item + ": " + why).str();
      return std::nullopt;
    };
    if (item.empty()) {
      error =
          "--attention=" + spec.str() + ": an empty rewrite; separate rewrites by single commas";
      return std::nullopt;
    }
    AttentionRewrite rewrite;
    rewrite.text = item.str();
    auto [body, where] = item.split('@');
    if (item.contains('@')) {
      if (!where.consume_front("layers="))
        return fail("what follows '@' must be layers=RANGES (for example @layers=0-3+6)");
      SmallVector<StringRef> ranges;
      where.split(ranges, '+');
      for (StringRef range : ranges) {
        auto [low, high] = range.split('-');
        std::optional<int64_t> first = parseIndex(low);
        std::optional<int64_t> last = range.contains('-') ? parseIndex(high) : first;
        if (!first || !last || *last < *first)
          return fail("'" + range + "' is not a layer or an increasing range L-M of layers");
        for (auto [from, to] : rewrite.layers)
          if (*first <= to && from <= *last)
            return fail("layer " + Twine(std::max(from, *first)) + " is named twice");
        rewrite.layers.push_back({*first, *last});
      }
    }
    auto [name, argument] = body.split(':');
    if (name == "window" || name == "sinks" || name == "global") {
      std::optional<int64_t> size = parsePositive(argument);
      if (!size)
        return fail("'" + name + "' takes a positive number of positions, as " + name + ":64");
      rewrite.kind = name == "window"  ? AttentionRewrite::Kind::Window
                     : name == "sinks" ? AttentionRewrite::Kind::Sinks
                                       : AttentionRewrite::Kind::Global;
      rewrite.size = *size;
    } else if (name == "bigbird") {
      SmallVector<StringRef> parts;
      argument.split(parts, ':');
      std::optional<int64_t> block = parsePositive(parts[0]);
      std::optional<int64_t> random = parts.size() > 1 ? parseIndex(parts[1]) : 3;
      std::optional<int64_t> global = parts.size() > 2 ? parseIndex(parts[2]) : 2;
      constexpr int64_t kMaxRandomBlocks = 64; // the fused kernel's limit
      constexpr int64_t kMaxPositions = int64_t(1) << 30;
      if (!block || !random || !global || parts.size() > 3 || *random > kMaxRandomBlocks ||
          *block > kMaxPositions || *global > kMaxPositions / *block)
        return fail("'bigbird' takes a block size, then optionally random blocks per query "
                    "block (0 to 64, default 3) and global blocks (default 2), as "
                    "bigbird:64:3:2");
      rewrite.kind = AttentionRewrite::Kind::BigBird;
      rewrite.size = *block;
      rewrite.randomBlocks = *random;
      rewrite.globalBlocks = *global;
    } else if (name == "lsh") {
      SmallVector<StringRef> parts;
      argument.split(parts, ':');
      std::optional<int64_t> buckets = parsePositive(parts[0]);
      std::optional<int64_t> hashes = parts.size() > 1 ? parsePositive(parts[1]) : 2;
      std::optional<int64_t> chunk = parts.size() > 2 ? parsePositive(parts[2]) : 64;
      constexpr int64_t kMax = int64_t(1) << 20;
      if (!buckets || !hashes || !chunk || parts.size() > 3 || *buckets % 2 || *buckets > kMax ||
          *hashes > 64 || *chunk > kMax)
        return fail("'lsh' takes an even number of buckets, then optionally hashing rounds (1 to "
                    "64, default 2) and the chunk size (default 64), as lsh:16:2:64");
      rewrite.kind = AttentionRewrite::Kind::LSH;
      rewrite.size = *buckets;
      rewrite.hashes = *hashes;
      rewrite.chunk = *chunk;
    } else if (name == "linear") {
      if (body.contains(':'))
        return fail("'linear' takes no argument");
      rewrite.kind = AttentionRewrite::Kind::Linear;
      rewrite.size = 0;
    } else if (name == "performer") {
      constexpr int64_t kMaxFeatures = 4096;
      std::optional<int64_t> features = parsePositive(argument);
      if (!features || *features > kMaxFeatures)
        return fail("'performer' takes the number of random features, 1 to 4096, as performer:256");
      rewrite.kind = AttentionRewrite::Kind::Performer;
      rewrite.size = *features;
    } else if (name == "gqa") {
      auto [groups, method] = argument.split(':');
      std::optional<int64_t> size = parsePositive(groups);
      if (!size)
        return fail("'gqa' takes the number of key/value heads to keep, as gqa:2 (gqa:1 is MQA)");
      if (argument.contains(':') && method != "mean" && method != "grouped" &&
          method != "calibrated")
        return fail("'" + method +
                    "' is not a GQA conversion; use gqa:G (gqa:G:mean), gqa:G:grouped or "
                    "gqa:G:calibrated");
      rewrite.kind = AttentionRewrite::Kind::GroupedQuery;
      if (method == "grouped")
        rewrite.method = AttentionRewrite::GroupMethod::Grouped;
      if (method == "calibrated")
        rewrite.method = AttentionRewrite::GroupMethod::Calibrated;
      rewrite.size = *size;
    } else {
      return fail("'" + name + "' is not an attention rewrite; genc knows " + kKnown);
    }
    rewrites.push_back(std::move(rewrite));
  }
  return rewrites;
}

//===----------------------------------------------------------------------===//
// The pass
//===----------------------------------------------------------------------===//

namespace {

/// What the rewrites ask of one layer.
struct LayerPlan {
  const AttentionRewrite *window = nullptr, *sinks = nullptr, *global = nullptr,
                         *bigBird = nullptr, *featureMap = nullptr, *lsh = nullptr,
                         *groupedQuery = nullptr;
};

/// Whether `key` is computed from an encoder's output and no decoder
/// token: the cross-attention of an encoder-decoder, which the rewrites
/// leave alone. (A later layer's self-attention keys read the source too,
/// through the residual stream, and the tokens.)
bool isFromSource(Value key, func::FuncOp fn) {
  SetVector<Operation *> slice;
  BackwardSliceOptions options;
  options.omitBlockArguments = false;
  // What the key's values depend on, not its shape (a batch size read off
  // input_ids, say).
  options.filter = [](Operation *op) { return !isa<tensor::DimOp, ShapeOp>(op); };
  (void)getBackwardSlice(key, &slice, options);
  auto argumentName = [&](Value v) -> std::optional<StringRef> {
    auto arg = dyn_cast<BlockArgument>(v);
    if (!arg || arg.getOwner() != &fn.getBody().front())
      return std::nullopt;
    if (fn.getArgAttr(arg.getArgNumber(), kSourceAttr))
      return StringRef("genc.source");
    auto name = fn.getArgAttrOfType<StringAttr>(arg.getArgNumber(), "genc.name");
    return name ? name.getValue() : StringRef();
  };
  bool source = false, tokens = false;
  auto note = [&](Value v) {
    std::optional<StringRef> name = argumentName(v);
    source |= name && (*name == "encoder_hidden_states" || name->starts_with("genc.source"));
    tokens |= name && *name == "input_ids";
  };
  note(key);
  for (Operation *op : slice)
    llvm::for_each(op->getOperands(), note);
  return source && !tokens;
}

/// How a layer's KV heads become `groups` shared heads: the mean of each
/// group of adjacent heads, or (calibrated) a fitted linear combination.
struct HeadGrouping {
  int64_t groups = 0;
  /// [G, R, D, D] maps and [G, R, D] means (kCalibrationAttrName); null
  /// for the mean, and means null for keys.
  DenseElementsAttr maps, means;
  /// The heads each group averages (gqa:G:grouped); empty: adjacent ones.
  SmallVector<SmallVector<int64_t>> members;
};

/// A [1, G, rows, cols] constant of `elementType` (a float type) whose
/// [0, g, i, j] entry is `entry(g, i, j)`, rounded to it.
Value perHeadConstant(OpBuilder &b, Location loc, Type elementType, int64_t count, int64_t rows,
                      int64_t cols, llvm::function_ref<float(int64_t, int64_t, int64_t)> entry) {
  const llvm::fltSemantics &semantics = cast<FloatType>(elementType).getFloatSemantics();
  SmallVector<APFloat> values;
  values.reserve(count * rows * cols);
  for (int64_t g = 0; g < count; ++g)
    for (int64_t i = 0; i < rows; ++i)
      for (int64_t j = 0; j < cols; ++j) {
        APFloat value(entry(g, i, j));
        bool losesInfo;
        (void)value.convert(semantics, APFloat::rmNearestTiesToEven, &losesInfo);
        values.push_back(value);
      }
  auto type = RankedTensorType::get({1, count, rows, cols}, elementType);
  return arith::ConstantOp::create(b, loc, DenseElementsAttr::get(type, values));
}

/// Standard normal numbers from a seed, the same on every platform
/// (splitmix64 and Box-Muller; std's distributions are not portable).
class NormalSource {
public:
  explicit NormalSource(uint64_t seed) : state(seed) {}
  double next() {
    double u = uniform(), v = uniform();
    return std::sqrt(-2 * std::log(u)) * std::cos(2 * M_PI * v);
  }

private:
  /// Uniform in (0, 1].
  double uniform() {
    uint64_t x = state += 0x9E3779B97F4A7C15ull;
    x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
    x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
    x ^= x >> 31;
    return (static_cast<double>(x >> 11) + 1) * 0x1.0p-53;
  }
  uint64_t state;
};

/// FAVOR+'s ω for head size `d` and `m` features, as a [d, m] f32
/// attribute (column f is ω_f): blocks of d Gaussian vectors made
/// orthogonal (Gram-Schmidt), each rescaled to the length of an
/// independent Gaussian vector so that its length is distributed as an
/// unconstrained one's. Seeded by the layer.
DenseElementsAttr orthogonalRandomFeatures(Builder &b, int64_t d, int64_t m, int64_t layer) {
  NormalSource normal(0x5EEDull * 1000003 + static_cast<uint64_t>(layer));
  std::vector<std::vector<double>> rows;
  while (static_cast<int64_t>(rows.size()) < m) {
    std::vector<std::vector<double>> block;
    for (int64_t r = 0; r < d; ++r) {
      std::vector<double> w(d);
      for (double &x : w)
        x = normal.next();
      for (const std::vector<double> &previous : block) {
        double dot = 0;
        for (int64_t i = 0; i < d; ++i)
          dot += w[i] * previous[i];
        for (int64_t i = 0; i < d; ++i)
          w[i] -= dot * previous[i];
      }
      double norm = 0;
      for (double x : w)
        norm += x * x;
      for (double &x : w)
        x /= std::sqrt(norm);
      block.push_back(std::move(w));
    }
    for (std::vector<double> &w : block) {
      double length = 0;
      for (int64_t i = 0; i < d; ++i) {
        double x = normal.next();
        length += x * x;
      }
      for (double &x : w)
        x *= std::sqrt(length);
      if (static_cast<int64_t>(rows.size()) < m)
        rows.push_back(std::move(w));
    }
  }
  SmallVector<float> values(d * m);
  for (int64_t f = 0; f < m; ++f)
    for (int64_t i = 0; i < d; ++i)
      values[i * m + f] = static_cast<float>(rows[f][i]);
  return DenseElementsAttr::get(RankedTensorType::get({d, m}, b.getF32Type()),
                                ArrayRef<float>(values));
}

/// The sizes of `value` [B, H, S, D] with `heads` heads, dynamic ones read.
SmallVector<OpFoldResult> sizesWithHeads(OpBuilder &b, Location loc, Value value, int64_t heads) {
  auto type = cast<RankedTensorType>(value.getType());
  SmallVector<OpFoldResult> sizes;
  for (int64_t i = 0; i < 4; ++i)
    sizes.push_back(i == 1 ? b.getIndexAttr(heads)
                    : type.isDynamicDim(i)
                        ? OpFoldResult(tensor::DimOp::create(b, loc, value, i).getResult())
                        : b.getIndexAttr(type.getDimSize(i)));
  return sizes;
}

/// [B, H, S, D] → [B, G, S, D]: group g the mean of the heads `members[g]`.
Value averageChosenHeads(OpBuilder &b, Location loc, Value heads,
                         ArrayRef<SmallVector<int64_t>> members) {
  auto type = cast<RankedTensorType>(heads.getType());
  SmallVector<int64_t> shape(type.getShape());
  shape[1] = 1;
  auto oneType = type.clone(shape);
  SmallVector<OpFoldResult> sizes = sizesWithHeads(b, loc, heads, 1);
  SmallVector<OpFoldResult> unit(4, b.getIndexAttr(1));
  SmallVector<Value> groups;
  for (ArrayRef<int64_t> group : members) {
    Value sum;
    for (int64_t head : group) {
      SmallVector<OpFoldResult> offsets = {b.getIndexAttr(0), b.getIndexAttr(head),
                                           b.getIndexAttr(0), b.getIndexAttr(0)};
      Value slice = tensor::ExtractSliceOp::create(b, loc, oneType, heads, offsets, sizes, unit);
      sum = sum ? AddOp::create(b, loc, oneType, sum, slice).getResult() : slice;
    }
    auto scalarType = RankedTensorType::get({}, type.getElementType());
    Value inverse = arith::ConstantOp::create(
        b, loc,
        DenseElementsAttr::get(scalarType,
                               b.getFloatAttr(type.getElementType(), 1.0 / group.size())));
    groups.push_back(MulOp::create(b, loc, oneType, sum, inverse));
  }
  shape[1] = static_cast<int64_t>(members.size());
  return ConcatOp::create(b, loc, type.clone(shape), groups, /*axis=*/1);
}

/// `value` [B, H, ...] with its heads taken in the order `heads`.
Value gatherHeads(OpBuilder &b, Location loc, Value value, ArrayRef<int64_t> heads) {
  auto indexType = RankedTensorType::get({static_cast<int64_t>(heads.size())}, b.getI64Type());
  Value indices = arith::ConstantOp::create(b, loc, DenseIntElementsAttr::get(indexType, heads));
  return GatherOp::create(b, loc, value.getType(), value, indices, b.getI64IntegerAttr(1));
}

/// [B, H, S, D] → [B, groups, S, D]: each group of H / groups adjacent
/// heads combined as `grouping` says, from strided slices (member r of
/// every group).
Value combineHeads(OpBuilder &b, Location loc, Value heads, const HeadGrouping &grouping) {
  if (!grouping.members.empty())
    return averageChosenHeads(b, loc, heads, grouping.members);
  auto type = cast<RankedTensorType>(heads.getType());
  int64_t groups = grouping.groups, perGroup = type.getDimSize(1) / groups;
  int64_t size = type.getDimSize(3);
  SmallVector<int64_t> shape(type.getShape());
  shape[1] = groups;
  auto pooledType = type.clone(shape);
  SmallVector<OpFoldResult> sizes = sizesWithHeads(b, loc, heads, groups);
  SmallVector<OpFoldResult> strides = {b.getIndexAttr(1), b.getIndexAttr(perGroup),
                                       b.getIndexAttr(1), b.getIndexAttr(1)};
  Type element = type.getElementType();
  auto maps = grouping.maps ? llvm::to_vector(grouping.maps.getValues<float>())
                            : SmallVector<float>();
  Value sum;
  for (int64_t member = 0; member < perGroup; ++member) {
    SmallVector<OpFoldResult> offsets = {b.getIndexAttr(0), b.getIndexAttr(member),
                                         b.getIndexAttr(0), b.getIndexAttr(0)};
    Value slice =
        tensor::ExtractSliceOp::create(b, loc, pooledType, heads, offsets, sizes, strides);
    if (grouping.maps) {
      Value map = perHeadConstant(b, loc, element, groups, size, size,
                                  [&](int64_t g, int64_t i, int64_t j) {
                                    return maps[((g * perGroup + member) * size + i) * size + j];
                                  });
      slice = MatMulOp::create(b, loc, pooledType, slice, map);
    }
    sum = sum ? AddOp::create(b, loc, pooledType, sum, slice).getResult() : slice;
  }
  if (!grouping.maps) {
    auto scalarType = RankedTensorType::get({}, element);
    Value inverse = arith::ConstantOp::create(
        b, loc, DenseElementsAttr::get(scalarType, b.getFloatAttr(element, 1.0 / perGroup)));
    return MulOp::create(b, loc, pooledType, sum, inverse);
  }
  if (!grouping.means)
    return sum; // a shift of every key changes no softmax
  // Centred values: subtract Σ_r mean_r · M_r once.
  auto means = llvm::to_vector(grouping.means.getValues<float>());
  Value shift = perHeadConstant(b, loc, element, groups, 1, size, [&](int64_t g, int64_t, int64_t j) {
    float total = 0;
    for (int64_t r = 0; r < perGroup; ++r)
      for (int64_t i = 0; i < size; ++i)
        total += means[(g * perGroup + r) * size + i] *
                 maps[((g * perGroup + r) * size + i) * size + j];
    return total;
  });
  return SubOp::create(b, loc, pooledType, sum, shift);
}

RankedTensorType withHeads(Type type, int64_t heads) {
  auto tensor = cast<RankedTensorType>(type);
  SmallVector<int64_t> shape(tensor.getShape());
  shape[1] = heads;
  return tensor.clone(shape);
}

/// Whether every use of `arg` but `user` reads a dim other than the heads.
bool onlyLengthsReadBesides(BlockArgument arg, Operation *user) {
  return llvm::all_of(arg.getUsers(), [&](Operation *other) {
    if (other == user)
      return true;
    auto dim = dyn_cast<tensor::DimOp>(other);
    std::optional<int64_t> index = dim ? dim.getConstantIndex() : std::nullopt;
    return index && *index != 1;
  });
}

/// The pooled form of attention's `keys` (or values) [B, H, S, D]. Where
/// they come from a KV cache, the cache itself holds the pooled heads, so
/// that it shrinks by H / groups: a session's cache buffer (`new` inserted
/// into a genc.kv_cache argument, whose prefix attention reads) or an
/// exported past (Concat(past, new) along the sequence, also returned as
/// the present). Elsewhere attention reads the pooled heads.
Value poolKeysOrValues(Value keys, const HeadGrouping &grouping, func::FuncOp fn) {
  int64_t groups = grouping.groups;
  Block &entry = fn.getBody().front();
  auto isCacheOf = [&](Value v, StringRef attr) -> BlockArgument {
    auto arg = dyn_cast<BlockArgument>(v);
    if (!arg || arg.getOwner() != &entry ||
        (!attr.empty() && !fn.getArgAttr(arg.getArgNumber(), attr)))
      return {};
    return arg;
  };
  if (auto extract = keys.getDefiningOp<tensor::ExtractSliceOp>()) {
    auto insert = extract.getSource().getDefiningOp<tensor::InsertSliceOp>();
    BlockArgument cache = insert ? isCacheOf(insert.getDest(), kKVCacheAttr) : BlockArgument();
    if (cache && insert->hasOneUse() && extract->hasOneUse() &&
        onlyLengthsReadBesides(cache, insert)) {
      OpBuilder b(insert);
      Location loc = insert.getLoc();
      Value pooled = combineHeads(b, loc, insert.getSource(), grouping);
      cache.setType(withHeads(cache.getType(), groups));
      SmallVector<OpFoldResult> sizes = insert.getMixedSizes();
      sizes[1] = b.getIndexAttr(groups);
      Value written = tensor::InsertSliceOp::create(b, loc, pooled, cache, insert.getMixedOffsets(),
                                                    sizes, insert.getMixedStrides());
      b.setInsertionPoint(extract);
      sizes = extract.getMixedSizes();
      sizes[1] = b.getIndexAttr(groups);
      Value read = tensor::ExtractSliceOp::create(
          b, extract.getLoc(), withHeads(extract.getType(), groups), written,
          extract.getMixedOffsets(), sizes, extract.getMixedStrides());
      extract->replaceAllUsesWith(ValueRange{read});
      extract.erase();
      insert.erase();
      return read;
    }
  }
  if (auto concat = keys.getDefiningOp<ConcatOp>();
      concat && concat.getAxis() == 2 && concat.getInputs().size() == 2) {
    BlockArgument past = isCacheOf(concat.getInputs()[0], "");
    bool usersKnown = llvm::all_of(concat->getUsers(), [](Operation *user) {
      return isa<AttentionOp, func::ReturnOp, tensor::DimOp>(user);
    });
    if (past && usersKnown && onlyLengthsReadBesides(past, concat)) {
      OpBuilder b(concat);
      Value pooled = combineHeads(b, concat.getLoc(), concat.getInputs()[1], grouping);
      past.setType(withHeads(past.getType(), groups));
      Value joined = ConcatOp::create(b, concat.getLoc(), withHeads(concat.getType(), groups),
                                      ValueRange{past, pooled}, concat.getAxis());
      concat->replaceAllUsesWith(ValueRange{joined});
      concat.erase();
      return joined;
    }
  }
  OpBuilder b(keys.getContext());
  b.setInsertionPointAfterValue(keys);
  return combineHeads(b, keys.getLoc(), keys, grouping);
}

} // namespace

SmallVector<Operation *> mlir::genc::selfAttentionLayers(Operation *module) {
  SmallVector<Operation *> layers;
  auto main = cast<ModuleOp>(module).lookupSymbol<func::FuncOp>("main");
  if (main)
    main.walk([&](AttentionOp op) {
      if (!isFromSource(op.getKey(), main))
        layers.push_back(op);
    });
  return layers;
}

namespace {

struct RewriteAttention : genc::impl::RewriteAttentionBase<RewriteAttention> {
  using RewriteAttentionBase::RewriteAttentionBase;

  /// A spec given in a pipeline's text is parsed with it, so its syntax
  /// errors come before any module is read (and without the module); what
  /// depends on the model (its layers, heads, context) is checked when the
  /// pass runs, as is a spec given in C++.
  LogicalResult
  initializeOptions(StringRef options,
                    function_ref<LogicalResult(const Twine &)> errorHandler) override {
    if (failed(RewriteAttentionBase::initializeOptions(options, errorHandler)))
      return failure();
    std::string error;
    if (!StringRef(spec).trim().empty() && !parseAttentionRewrites(spec, error))
      return errorHandler(error);
    return success();
  }

  void runOnOperation() override {
    ModuleOp module = getOperation();
    if (StringRef(spec).trim().empty())
      return;
    std::string error;
    std::optional<SmallVector<AttentionRewrite>> rewrites = parseAttentionRewrites(spec, error);
    if (!rewrites) {
      module.emitError(error);
      return signalPassFailure();
    }
    auto main = module.lookupSymbol<func::FuncOp>("main");
    SmallVector<AttentionOp> layers = llvm::map_to_vector(
        selfAttentionLayers(module), [](Operation *op) { return cast<AttentionOp>(op); });
    if (layers.empty()) {
      module.emitError("--attention needs attention layers that genc recognised, and this "
                       "model has none (genc-raise-attention found no attention pattern in "
                       "@main); compile it without --attention");
      return signalPassFailure();
    }
    FailureOr<SmallVector<LayerPlan>> plans = planLayers(module, *rewrites, layers.size());
    if (failed(plans))
      return signalPassFailure();
    calibration = module->getAttrOfType<ArrayAttr>(kCalibrationAttrName);
    module->removeAttr(kCalibrationAttrName);
    for (auto [layer, op] : llvm::enumerate(layers))
      if (failed(rewriteLayer(op, layer, (*plans)[layer])))
        return signalPassFailure();
    // Pooled caches changed argument and result types.
    auto results = main.getBody().front().getTerminator()->getOperandTypes();
    main.setType(FunctionType::get(&getContext(), main.getBody().front().getArgumentTypes(),
                                   llvm::to_vector(results)));
  }

  /// Which rewrite each layer gets; errors for layers that do not exist and
  /// for layers asked two things of one kind.
  FailureOr<SmallVector<LayerPlan>> planLayers(ModuleOp module, ArrayRef<AttentionRewrite> rewrites,
                                               int64_t count) {
    SmallVector<LayerPlan> plans(count);
    for (const AttentionRewrite &rewrite : rewrites) {
      for (auto [first, last] : rewrite.layers)
        if (last >= count)
          return module.emitError() << "--attention=" << rewrite.text << ": layer " << last
                                    << " does not exist; the model has " << count
                                    << " attention layers, 0 to " << count - 1;
      for (int64_t layer = 0; layer < count; ++layer) {
        if (!rewrite.appliesTo(layer))
          continue;
        LayerPlan &plan = plans[layer];
        using Kind = AttentionRewrite::Kind;
        const AttentionRewrite *&slot = rewrite.kind == Kind::Window    ? plan.window
                                        : rewrite.kind == Kind::Sinks   ? plan.sinks
                                        : rewrite.kind == Kind::Global  ? plan.global
                                        : rewrite.kind == Kind::BigBird ? plan.bigBird
                                        : rewrite.kind == Kind::LSH     ? plan.lsh
                                        : rewrite.kind == Kind::Linear ||
                                                rewrite.kind == Kind::Performer
                                            ? plan.featureMap
                                            : plan.groupedQuery;
        if (slot)
          return module.emitError()
                 << "--attention: layer " << layer << " gets both " << slot->text << " and "
                 << rewrite.text << "; give each layer one of each kind";
        slot = &rewrite;
      }
    }
    for (auto [layer, plan] : llvm::enumerate(plans)) {
      if (plan.lsh)
        for (const AttentionRewrite *other :
             {plan.window, plan.sinks, plan.global, plan.bigBird, plan.featureMap})
          if (other)
            return module.emitError()
                   << "--attention: layer " << layer << " gets both " << plan.lsh->text << " and "
                   << other->text << "; LSH attention chooses its keys by their buckets alone";
      if (plan.featureMap)
        for (const AttentionRewrite *other : {plan.window, plan.sinks, plan.global, plan.bigBird})
          if (other)
            return module.emitError()
                   << "--attention: layer " << layer << " gets both " << plan.featureMap->text
                   << " and " << other->text
                   << "; linear attention sees every earlier position through its sums, and "
                      "takes no sparsity pattern";
      if (plan.bigBird)
        for (const AttentionRewrite *other : {plan.window, plan.sinks, plan.global})
          if (other)
            return module.emitError()
                   << "--attention: layer " << layer << " gets both " << plan.bigBird->text
                   << " and " << other->text
                   << "; BigBird has its own window (the neighbouring blocks) and global "
                      "blocks (bigbird:B:R:G)";
      for (const AttentionRewrite *extra : {plan.sinks, plan.global})
        if (extra && !plan.window)
          return module.emitError()
                 << "--attention=" << extra->text << ": layer " << layer
                 << " has no window, and without one every position is visible already; "
                    "add window:W for the same layers";
    }
    return plans;
  }

  LogicalResult rewriteLayer(AttentionOp op, int64_t layer, const LayerPlan &plan) {
    Builder b(op.getContext());
    if (const AttentionRewrite *window = plan.window) {
      int64_t keys = cast<RankedTensorType>(op.getKey().getType()).getDimSize(2);
      if (!ShapedType::isDynamic(keys) && window->size >= keys)
        return op.emitError() << "--attention=" << window->text << ": layer " << layer
                              << " attends over " << keys << " positions, so a window of "
                              << window->size << " changes nothing; choose a window under " << keys;
      // A context of any length: no longer than the positions it embeds.
      if (auto limit = positionLimit(op->getParentOfType<func::FuncOp>());
          limit && window->size >= limit->first) {
        std::string node = modelLocationOf(limit->second->getLoc()).node;
        return op.emitError() << "--attention=" << window->text << ": the model embeds "
                              << limit->first << " positions"
                              << (node.empty() ? ""
                                               : " (node '" + node + "' reads them from a table)")
                              << ", so a window of " << window->size
                              << " changes nothing; choose a window under " << limit->first;
      }
      if (op.getWindow() > 0 && op.getWindow() <= window->size)
        return op.emitError() << "--attention=" << window->text << ": layer " << layer
                              << " already has a window of " << op.getWindow()
                              << " positions; choose a smaller one";
      op.setWindowAttr(b.getI64IntegerAttr(window->size));
    }
    if (const AttentionRewrite *bigBird = plan.bigBird) {
      int64_t keys = cast<RankedTensorType>(op.getKey().getType()).getDimSize(2);
      int64_t block = bigBird->size, alwaysSeen = block * (bigBird->globalBlocks + 2);
      if (!ShapedType::isDynamic(keys) && alwaysSeen >= keys)
        return op.emitError() << "--attention=" << bigBird->text << ": layer " << layer
                              << " attends over " << keys << " positions, and " << alwaysSeen
                              << " of them (the global and neighbouring blocks) are seen "
                                 "anyway, so BigBird changes nothing; choose smaller blocks";
      if (op.getWindow() > 0 || op.getSinks() > 0 || op.getGlobalTokens() > 0)
        return op.emitError() << "--attention=" << bigBird->text << ": layer " << layer
                              << " already has a window, sinks or global tokens; BigBird "
                                 "replaces dense attention only";
      op.setBlockAttr(b.getI64IntegerAttr(block));
      op.setRandomBlocksAttr(b.getI64IntegerAttr(bigBird->randomBlocks));
      op.setGlobalTokensAttr(b.getI64IntegerAttr(block * bigBird->globalBlocks));
      // Each layer draws its own random blocks, the same at every compile.
      op.setSeedAttr(b.getI64IntegerAttr(layer));
    }
    if (const AttentionRewrite *featureMap = plan.featureMap) {
      if (op.getWindow() > 0 || op.getSinks() > 0 || op.getGlobalTokens() > 0 ||
          op.getSoftcap().convertToFloat() > 0)
        return op.emitError() << "--attention=" << featureMap->text << ": layer " << layer
                              << " has a window, sinks, global tokens or a soft-cap, which "
                                 "linear attention cannot keep";
      int64_t headSize = cast<RankedTensorType>(op.getQuery().getType()).getDimSize(3);
      if (featureMap->kind == AttentionRewrite::Kind::Performer) {
        if (ShapedType::isDynamic(headSize))
          return op.emitError() << "--attention=" << featureMap->text << ": layer " << layer
                                << " has a dynamic head size; FAVOR+ draws its features for a "
                                   "static one";
        op.setRandomFeaturesAttr(orthogonalRandomFeatures(b, headSize, featureMap->size, layer));
      }
      op.setFeatureMapAttr(b.getStringAttr(
          featureMap->kind == AttentionRewrite::Kind::Performer ? "performer" : "elu"));
    }
    if (const AttentionRewrite *lsh = plan.lsh) {
      if (op.getWindow() > 0 || op.getSinks() > 0 || op.getGlobalTokens() > 0 ||
          op.getSoftcap().convertToFloat() > 0)
        return op.emitError() << "--attention=" << lsh->text << ": layer " << layer
                              << " has a window, sinks, global tokens or a soft-cap, which LSH "
                                 "attention cannot keep";
      op.setLshBucketsAttr(b.getI64IntegerAttr(lsh->size));
      op.setLshHashesAttr(b.getI64IntegerAttr(lsh->hashes));
      op.setLshChunkAttr(b.getI64IntegerAttr(lsh->chunk));
      // Each layer hashes with its own rotations, the same at every compile.
      op.setSeedAttr(b.getI64IntegerAttr(layer));
    }
    if (plan.sinks)
      op.setSinksAttr(b.getI64IntegerAttr(plan.sinks->size));
    if (plan.global)
      op.setGlobalTokensAttr(b.getI64IntegerAttr(plan.global->size));
    if (const AttentionRewrite *groupedQuery = plan.groupedQuery) {
      auto keyType = cast<RankedTensorType>(op.getKey().getType());
      int64_t heads = keyType.getDimSize(1), groups = groupedQuery->size;
      if (ShapedType::isDynamic(heads))
        return op.emitError() << "--attention=" << groupedQuery->text << ": layer " << layer
                              << " has a dynamic number of key/value heads";
      if (groups >= heads || heads % groups) {
        std::string divisors;
        for (int64_t g = 1; g < heads; ++g)
          if (heads % g == 0)
            divisors += (divisors.empty() ? "" : ", ") + std::to_string(g);
        return op.emitError() << "--attention=" << groupedQuery->text << ": layer " << layer
                              << " has " << heads << " key/value heads, "
                              << (groups >= heads ? "not more than " : "which ") << groups
                              << (groups >= heads ? ": G must be fewer" : " does not divide")
                              << "; choose G among " << divisors;
      }
      auto fn = op->getParentOfType<func::FuncOp>();
      auto queryType = cast<RankedTensorType>(op.getQuery().getType());
      if (groupedQuery->method != AttentionRewrite::GroupMethod::Mean &&
          (queryType.isDynamicDim(1) || queryType.isDynamicDim(3) ||
           cast<RankedTensorType>(op.getType()).isDynamicDim(3) ||
           !isa<FloatType>(queryType.getElementType())))
        return op.emitError() << "--attention=" << groupedQuery->text << ": layer " << layer
                              << " needs float queries with a static number of heads and "
                                 "static head sizes";
      HeadGrouping keys{groups, {}, {}, {}}, values{groups, {}, {}, {}};
      if (groupedQuery->method == AttentionRewrite::GroupMethod::Grouped) {
        DictionaryAttr fitted = calibrationOf(layer);
        auto chosen = fitted ? fitted.getAs<DenseIntElementsAttr>("groups") : nullptr;
        if (!chosen)
          return op.emitError() << "--attention=" << groupedQuery->text << ": layer " << layer
                                << " has no calibration; genc compile chooses the groups on "
                                   "the token ids of --calibration-ids";
        SmallVector<int64_t> flat = llvm::to_vector(chosen.getValues<int64_t>());
        SmallVector<int64_t> sorted = flat;
        llvm::sort(sorted);
        if (chosen.getType().getShape() != ArrayRef<int64_t>{groups, heads / groups} ||
            llvm::any_of(llvm::enumerate(sorted),
                         [](auto entry) { return entry.value() != int64_t(entry.index()); }))
          return op.emitError() << "--attention=" << groupedQuery->text << ": the groups "
                                << "chosen for layer " << layer << " are not " << groups
                                << " groups of the layer's " << heads << " key/value heads";
        for (int64_t g = 0; g < groups; ++g)
          keys.members.push_back(SmallVector<int64_t>(
              flat.begin() + g * (heads / groups), flat.begin() + (g + 1) * (heads / groups)));
        values.members = keys.members;
        regroupQueries(op, keys.members);
      }
      if (groupedQuery->method == AttentionRewrite::GroupMethod::Calibrated) {
        DictionaryAttr fitted = calibrationOf(layer);
        if (!fitted)
          return op.emitError() << "--attention=" << groupedQuery->text << ": layer " << layer
                                << " has no calibration; genc compile fits one on the token "
                                   "ids of --calibration-ids";
        keys.maps = fitted.getAs<DenseElementsAttr>("key_maps");
        values.maps = fitted.getAs<DenseElementsAttr>("value_maps");
        values.means = fitted.getAs<DenseElementsAttr>("value_means");
        int64_t perGroup = heads / groups, keySize = keyType.getDimSize(3),
                valueSize = cast<RankedTensorType>(op.getValue().getType()).getDimSize(3);
        auto fits = [&](DenseElementsAttr attr, ArrayRef<int64_t> shape) {
          return attr && attr.getType().getShape() == shape &&
                 attr.getElementType().isF32();
        };
        if (!fits(keys.maps, {groups, perGroup, keySize, keySize}) ||
            !fits(values.maps, {groups, perGroup, valueSize, valueSize}) ||
            !fits(values.means, {groups, perGroup, valueSize}))
          return op.emitError() << "--attention=" << groupedQuery->text << ": the calibration "
                                << "of layer " << layer << " does not fit its " << heads
                                << " key/value heads of " << keySize << " and " << valueSize;
        mapQueriesAndOutputs(op, keys, values);
      }
      op.getKeyMutable().assign(poolKeysOrValues(op.getKey(), keys, fn));
      op.getValueMutable().assign(poolKeysOrValues(op.getValue(), values, fn));
    }
    return success();
  }

  /// The calibration entry of `layer`, if there is one.
  DictionaryAttr calibrationOf(int64_t layer) const {
    if (!calibration || layer >= static_cast<int64_t>(calibration.size()))
      return {};
    return dyn_cast<DictionaryAttr>(calibration[layer]);
  }

  /// Calibrated grouping reconstructs KV head k of a group as k_shared · Mᵀ
  /// (+ its mean, for values), M its map: a query head that read k scores
  /// q · M · k_sharedᵀ and gets out_shared · Mᵀ + mean. So queries are
  /// multiplied by M and outputs by Mᵀ, each head by the map of the KV head
  /// it read before the rewrite.
  void mapQueriesAndOutputs(AttentionOp op, const HeadGrouping &keys,
                            const HeadGrouping &values) {
    auto queryType = cast<RankedTensorType>(op.getQuery().getType());
    auto outType = cast<RankedTensorType>(op.getType());
    int64_t queryHeads = queryType.getDimSize(1),
            kvHeads = cast<RankedTensorType>(op.getKey().getType()).getDimSize(1);
    int64_t perKV = queryHeads / kvHeads;
    int64_t keySize = queryType.getDimSize(3), valueSize = outType.getDimSize(3);
    // The KV head a query head reads: its maps' flat [g, r] index, g * R + r.
    auto memberOf = [&](int64_t head) { return head / perKV; };
    auto keyMaps = llvm::to_vector(keys.maps.getValues<float>());
    auto valueMaps = llvm::to_vector(values.maps.getValues<float>());
    auto valueMeans = llvm::to_vector(values.means.getValues<float>());
    Type element = queryType.getElementType();
    Location loc = op.getLoc();
    OpBuilder b(op);
    Value queryMaps = perHeadConstant(b, loc, element, queryHeads, keySize, keySize,
                                      [&](int64_t h, int64_t i, int64_t j) {
                                        return keyMaps[(memberOf(h) * keySize + i) * keySize + j];
                                      });
    op.getQueryMutable().assign(
        MatMulOp::create(b, loc, queryType, op.getQuery(), queryMaps).getResult());
    b.setInsertionPointAfter(op);
    Value outputMaps = perHeadConstant(
        b, loc, element, queryHeads, valueSize, valueSize, [&](int64_t h, int64_t i, int64_t j) {
          return valueMaps[(memberOf(h) * valueSize + j) * valueSize + i]; // transposed
        });
    Value means = perHeadConstant(b, loc, element, queryHeads, 1, valueSize,
                                  [&](int64_t h, int64_t, int64_t j) {
                                    return valueMeans[memberOf(h) * valueSize + j];
                                  });
    auto rebuilt = MatMulOp::create(b, loc, outType, op.getResult(), outputMaps);
    auto shifted = AddOp::create(b, loc, outType, rebuilt, means);
    op.getResult().replaceAllUsesExcept(shifted, rebuilt);
  }

  /// With chosen groups, query heads move next to the others of their
  /// group (the op maps query head p to KV head p / (Hq / G)) and outputs
  /// move back: a permutation of heads either side of the attention.
  void regroupQueries(AttentionOp op, ArrayRef<SmallVector<int64_t>> members) {
    auto queryType = cast<RankedTensorType>(op.getQuery().getType());
    int64_t queryHeads = queryType.getDimSize(1),
            kvHeads = cast<RankedTensorType>(op.getKey().getType()).getDimSize(1);
    int64_t perKV = queryHeads / kvHeads;
    SmallVector<int64_t> order, inverse(queryHeads);
    for (ArrayRef<int64_t> group : members)
      for (int64_t kv : group)
        for (int64_t j = 0; j < perKV; ++j)
          order.push_back(kv * perKV + j);
    for (auto [position, head] : llvm::enumerate(order))
      inverse[head] = static_cast<int64_t>(position);
    OpBuilder b(op);
    op.getQueryMutable().assign(gatherHeads(b, op.getLoc(), op.getQuery(), order));
    b.setInsertionPointAfter(op);
    Value restored = gatherHeads(b, op.getLoc(), op.getResult(), inverse);
    op.getResult().replaceAllUsesExcept(restored, restored.getDefiningOp());
  }

  ArrayAttr calibration;
};

} // namespace
