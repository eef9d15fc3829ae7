//===- InspectCommand.cpp - `genc inspect` ---------------------------------===//
//
// What a compiled artifact (a shared library or a program) is: the genc
// that compiled it and with which options, the CPU and features its code
// needs, its entry points and their signatures, its weights file. It reads
// the ELF file's symbol table and sections — the strings genc_signature
// (what the runtime reads) and genc_build_info (how it was compiled) — and
// never loads or runs the artifact's code.
//
//===----------------------------------------------------------------------===//

#include "Commands.h"
#include "Help.h"
#include "WeightsPath.h"

#include "genc/weights_file.h"

#include "llvm/ADT/StringExtras.h"
#include "llvm/Object/ELFObjectFile.h"
#include "llvm/Object/ObjectFile.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/JSON.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/SHA256.h"
#include "llvm/Support/raw_ostream.h"

#include <cstddef>
#include <cstring>
#include <map>

namespace cl = llvm::cl;
namespace json = llvm::json;
using llvm::StringRef;

namespace {

/// One input or output of an entry point, from the signature.
struct Tensor {
  std::string name, dtype;
  /// Static sizes; -1 where dynamic.
  std::vector<int64_t> dims;
  /// The symbolic name of each dim ("" when it has none; inputs only).
  std::vector<std::string> dimNames;
  bool isCache = false;
  /// Whether the cache slides, and its window (0: linear attention's, the
  /// positions its sums have not folded).
  bool sliding = false;
  int64_t window = 0, sinks = 0;
};

struct EntryPoint {
  std::string name; ///< "main" for the default one
  std::vector<Tensor> inputs, outputs;
};

struct Signature {
  std::string version;
  /// The genc that compiled the artifact (`genc-version`, signature 4).
  std::string gencVersion;
  std::vector<EntryPoint> entryPoints;
  bool forSession = false;
  /// `whole-calls`: what a call computes depends on the tokens it is given
  /// together, so a session runs a prompt in one call where it can.
  bool wholeCalls = false;
  /// `positions-from-mask`: no position_ids, and no position read but what
  /// attention_mask counts, so a session may left-pad rows.
  bool positionsFromMask = false;
  /// `keys-by-index REWRITE NODE`: a layer picks keys by their index in the
  /// row, so a session pads no rows.
  std::string keysByIndex, keysByIndexNode;
  /// What a session keeps per row for each attention layer with a state
  /// (`state SLOT FIXED PER_POSITION`): floats, fixed and per
  /// position of the row's context.
  struct KeptState {
    int64_t fixed, perPosition;
  };
  std::vector<KeptState> keptStates;
  /// `positions COUNT NODE`: the most positions @main embeds, and the node
  /// that reads them from its table.
  std::optional<int64_t> positions;
  std::string positionsNode;
  /// `source-positions COUNT NODE`: the same for the encoder entry point.
  std::optional<int64_t> sourcePositions;
  std::string sourcePositionsNode;
  /// The weights payload's bytes, and (signature 4) the weights file's
  /// layout version and payload hash, as the runtime checks them.
  std::optional<uint64_t> weightsBytes;
  std::string weightsLayout, weightsPayloadHash;
};

/// One matmul of the graph, as recorded at compile time.
struct Matmul {
  std::string entry, lhs, rhs, result, name;
};

/// genc_build_info: `key value` lines, matmuls apart.
struct BuildInfo {
  std::map<std::string, std::string> facts;
  std::vector<Matmul> matmuls;
  std::string fact(StringRef key) const {
    auto it = facts.find(key.str());
    return it == facts.end() ? "" : it->second;
  }
};

std::vector<int64_t> parseDims(StringRef text) {
  std::vector<int64_t> dims;
  if (text == "-")
    return dims;
  llvm::SmallVector<StringRef> parts;
  text.split(parts, ',');
  for (StringRef part : parts) {
    int64_t size = -1;
    if (part != "?" && part.getAsInteger(10, size))
      size = -1;
    dims.push_back(size);
  }
  return dims;
}

/// Parses the signature text (lib/Target/CPU/EntryPoints.cpp writes it):
/// `genc-signature N`, then `input NAME TYPE DIMS DIMNAMES`, `output NAME
/// TYPE RANK DIMS`, `cache NAME`, `entry NAME` (starting another entry
/// point), `session`, `positions COUNT NODE`, `state SLOT FLOATS`, `weights BYTES [LAYOUT
/// SAMPLEHASH PAYLOADHASH]`, `genc-version V`. Lines it does not know are skipped: inspect reports
/// what it can read, the runtime is the one that must refuse.
std::optional<Signature> parseSignature(StringRef text, std::string &error) {
  Signature signature;
  llvm::SmallVector<StringRef> lines;
  text.split(lines, '\n', -1, false);
  if (lines.empty() || !lines[0].starts_with("genc-signature ")) {
    error = "its genc_signature does not start with a version line";
    return std::nullopt;
  }
  signature.version = lines[0].drop_front(strlen("genc-signature ")).str();
  signature.entryPoints.push_back({"main", {}, {}});
  for (StringRef line : llvm::ArrayRef(lines).drop_front()) {
    llvm::SmallVector<StringRef> f;
    line.split(f, ' ');
    EntryPoint &entry = signature.entryPoints.back();
    if (f[0] == "session" && f.size() == 1) {
      signature.forSession = true;
    } else if (f[0] == "whole-calls" && f.size() == 1) {
      signature.wholeCalls = true;
    } else if (f[0] == "positions-from-mask" && f.size() == 1) {
      signature.positionsFromMask = true;
    } else if (f[0] == "keys-by-index" && f.size() >= 3) {
      signature.keysByIndex = f[1].str();
      signature.keysByIndexNode = line.drop_front(f[0].size() + f[1].size() + 2).str();
    } else if ((f[0] == "positions" || f[0] == "source-positions") && f.size() >= 3) {
      int64_t count;
      bool source = f[0] == "source-positions";
      if (!f[1].getAsInteger(10, count)) {
        (source ? signature.sourcePositions : signature.positions) = count;
        (source ? signature.sourcePositionsNode : signature.positionsNode) =
            line.drop_front(f[0].size() + f[1].size() + 2).str();
      }
    } else if (f[0] == "state" && (f.size() == 4 || f.size() == 5)) {
      Signature::KeptState state;
      if (!f[2].getAsInteger(10, state.fixed) && !f[3].getAsInteger(10, state.perPosition))
        signature.keptStates.push_back(state);
    } else if (f[0] == "weights" && f.size() >= 2) {
      uint64_t bytes;
      if (!f[1].getAsInteger(10, bytes))
        signature.weightsBytes = bytes;
      if (f.size() == 5) {
        signature.weightsLayout = f[2].str();
        signature.weightsPayloadHash = f[4].str();
      }
    } else if (f[0] == "genc-version" && f.size() == 2) {
      signature.gencVersion = f[1].str();
    } else if (f[0] == "entry" && f.size() == 2) {
      signature.entryPoints.push_back({f[1].str(), {}, {}});
    } else if (f[0] == "cache" && (f.size() == 2 || f.size() == 5)) {
      for (Tensor &input : entry.inputs) {
        if (input.name != f[1])
          continue;
        input.isCache = true;
        input.sliding = f.size() == 5 && !f[3].getAsInteger(10, input.window) &&
                        !f[4].getAsInteger(10, input.sinks);
      }
    } else if (f[0] == "input" && f.size() == 5) {
      Tensor input{f[1].str(), f[2].str(), parseDims(f[3]), {}, false};
      llvm::SmallVector<StringRef> names;
      if (f[4] != "-")
        f[4].split(names, ',');
      for (StringRef name : names)
        input.dimNames.push_back(name == "-" ? "" : name.str());
      input.dimNames.resize(input.dims.size());
      entry.inputs.push_back(std::move(input));
    } else if (f[0] == "output" && f.size() == 5) {
      entry.outputs.push_back({f[1].str(), f[2].str(), parseDims(f[4]), {}, false});
      entry.outputs.back().dimNames.resize(entry.outputs.back().dims.size());
    }
  }
  return signature;
}

BuildInfo parseBuildInfo(StringRef text) {
  BuildInfo info;
  llvm::SmallVector<StringRef> lines;
  text.split(lines, '\n', -1, false);
  for (StringRef line : lines) {
    auto [key, value] = line.split(' ');
    if (key == "matmul") {
      // matmul ENTRY LHS RHS RESULT NAME (the name last: it may hold spaces)
      llvm::SmallVector<StringRef> f;
      value.split(f, ' ', 4);
      if (f.size() == 5)
        info.matmuls.push_back({f[0].str(), f[1].str(), f[2].str(), f[3].str(), f[4].str()});
      continue;
    }
    info.facts[key.str()] = value.str();
  }
  return info;
}

/// The NUL-terminated string the symbol `name` points at, from the file's
/// symbol table or, for a stripped file, its dynamic one.
std::optional<std::string> readStringSymbol(const llvm::object::ObjectFile &file, StringRef name) {
  auto read = [&](const llvm::object::SymbolRef &symbol) -> std::optional<std::string> {
    llvm::Expected<StringRef> symbolName = symbol.getName();
    if (!symbolName || *symbolName != name) {
      llvm::consumeError(symbolName.takeError());
      return std::nullopt;
    }
    llvm::Expected<uint64_t> address = symbol.getAddress();
    llvm::Expected<llvm::object::section_iterator> section = symbol.getSection();
    if (!address || !section || *section == file.section_end()) {
      llvm::consumeError(address.takeError());
      llvm::consumeError(section.takeError());
      return std::nullopt;
    }
    llvm::Expected<StringRef> contents = (*section)->getContents();
    if (!contents) {
      llvm::consumeError(contents.takeError());
      return std::nullopt;
    }
    uint64_t offset = *address - (*section)->getAddress();
    if (offset >= contents->size())
      return std::nullopt;
    StringRef rest = contents->drop_front(offset);
    return rest.take_until([](char c) { return c == '\0'; }).str();
  };
  for (const llvm::object::SymbolRef &symbol : file.symbols())
    if (auto text = read(symbol))
      return text;
  if (auto *elf = llvm::dyn_cast<llvm::object::ELFObjectFileBase>(&file))
    for (const llvm::object::SymbolRef &symbol : elf->getDynamicSymbolIterators())
      if (auto text = read(symbol))
        return text;
  return std::nullopt;
}

/// A program has an interpreter to load it; a shared library has none.
bool isProgram(const llvm::object::ObjectFile &file) {
  for (const llvm::object::SectionRef &section : file.sections())
    if (llvm::Expected<StringRef> name = section.getName(); name && *name == ".interp")
      return true;
  return false;
}

/// The artifact's weights file: its size, SHA-256 and the genc hash of
/// its payload (what the artifact records of the weights it was compiled
/// with; none for a file shorter than the header).
struct WeightsFile {
  std::string path;
  bool exists = false;
  uint64_t bytes = 0;
  std::string sha256;
  std::optional<std::string> payloadHash;
  std::string problem; // what is wrong with its header or size, if anything
};

WeightsFile readWeights(const std::string &path) {
  WeightsFile weights{path, false, 0, "", std::nullopt, ""};
  auto buffer = llvm::MemoryBuffer::getFile(path, /*IsText=*/false,
                                            /*RequiresNullTerminator=*/false);
  if (!buffer)
    return weights;
  weights.exists = true;
  StringRef data = (*buffer)->getBuffer();
  weights.bytes = data.size();
  llvm::SHA256 hash;
  hash.update(data);
  weights.sha256 = llvm::toHex(hash.final(), /*LowerCase=*/true);
  // The header as loading checks it; then the payload's hash.
  if (data.size() < GENC_WEIGHTS_HEADER_SIZE) {
    weights.problem = "shorter than its header (truncated?)";
    return weights;
  }
  genc_weights_header header;
  std::memcpy(&header, data.data(), sizeof header);
  if (std::memcmp(header.magic, GENC_WEIGHTS_MAGIC, sizeof header.magic) != 0)
    weights.problem = "no genc weights header";
  else if (header.header_hash != genc_hash64(&header, offsetof(genc_weights_header, header_hash)))
    weights.problem = "its header is damaged";
  else if (header.header_size != GENC_WEIGHTS_HEADER_SIZE ||
           data.size() != GENC_WEIGHTS_HEADER_SIZE + header.payload_size)
    weights.problem = "its size is not its header's and payload's (truncated or extended?)";
  StringRef payload = data.drop_front(GENC_WEIGHTS_HEADER_SIZE);
  weights.payloadHash =
      llvm::formatv("{0:x-16}", genc_hash64(payload.data(), payload.size())).str();
  return weights;
}

/// "batch", "4", "?" for each dim.
std::vector<std::string> dimTexts(const Tensor &t) {
  std::vector<std::string> texts;
  for (size_t d = 0; d < t.dims.size(); ++d)
    texts.push_back(t.dims[d] >= 0           ? std::to_string(t.dims[d])
                    : !t.dimNames[d].empty() ? t.dimNames[d]
                                             : "?");
  return texts;
}

json::Value dimsJson(const Tensor &t) {
  json::Array dims;
  for (size_t d = 0; d < t.dims.size(); ++d) {
    if (t.dims[d] >= 0)
      dims.push_back(t.dims[d]);
    else if (!t.dimNames[d].empty())
      dims.push_back(t.dimNames[d]);
    else
      dims.push_back(nullptr);
  }
  return dims;
}

std::string entrySymbol(const EntryPoint &entry) {
  return entry.name == "main" ? "genc_main" : "genc_main_" + entry.name;
}

/// "f32 x f32 -> f32".
std::string precisionOf(const Matmul &m) { return m.lhs + " x " + m.rhs + " -> " + m.result; }

/// The options `genc compile` was given, as it would be given them.
std::string compileOptions(const BuildInfo &info) {
  std::string text;
  auto add = [&](StringRef key, StringRef option) {
    std::string value = info.fact(key);
    if (!value.empty())
      text += (text.empty() ? "" : " ") + option.str() + value;
  };
  add("emit", "--emit=");
  add("opt", "-O");
  add("mcpu", "--mcpu=");
  add("kv-cache", "--kv-cache=");
  if (info.fact("add-kv-cache") == "yes")
    text += " --add-kv-cache";
  add("encoder", "--encoder ");
  if (info.fact("weights") != "f32")
    add("weights", "--weights=");
  return text;
}

void printText(llvm::raw_ostream &os, StringRef path, bool program, const Signature &signature,
               const std::optional<BuildInfo> &info, const WeightsFile &weights) {
  auto row = [&](StringRef label, const llvm::Twine &value) {
    os << llvm::formatv("{0,-20}", (label + ":").str()) << value << "\n";
  };
  row("artifact", path + (program ? " (program)" : " (shared library)"));
  if (info) {
    row("compiled by",
        "genc " + (signature.gencVersion.empty() ? info->fact("version") : signature.gencVersion));
    row("model", info->fact("model"));
    if (!info->fact("encoder").empty())
      row("encoder", info->fact("encoder"));
    row("options", compileOptions(*info));
    row("target CPU", info->fact("cpu"));
    llvm::SmallVector<StringRef> features;
    StringRef(info->facts.count("features") ? info->facts.at("features") : "")
        .split(features, ',', -1, false);
    row("CPU features",
        llvm::formatv("{0} ({1})", features.size(),
                      info->fact("features").empty() ? "none recorded" : info->fact("features")));
  } else {
    row("compiled by",
        (signature.gencVersion.empty() ? "an older genc" : "genc " + signature.gencVersion) +
            " (no genc_build_info: options, target and matmuls unknown)");
  }
  row("signature", "genc-signature " + signature.version +
                       (signature.forSession ? ", for a runtime session (KV cache in the "
                                               "session's buffers)"
                                             : ", tensors in and out"));
  auto positions = [&](std::optional<int64_t> count, const std::string &node) {
    return std::to_string(*count) + " at most" +
           (node == "-" ? std::string() : " (node '" + node + "' reads them from a table)");
  };
  if (signature.wholeCalls)
    row("prompts", "run in one call by a session (what a call computes depends on the tokens "
                   "it is given together)");
  if (!signature.keysByIndex.empty())
    row("left padding", "refused: node '" + signature.keysByIndexNode + "' has --attention=" +
                            signature.keysByIndex + ", whose keys are the row's first ones");
  else if (signature.positionsFromMask)
    row("left padding", "allowed without position_ids: positions are counted from "
                        "attention_mask");
  if (signature.positions)
    row("positions", positions(signature.positions, signature.positionsNode));
  if (signature.sourcePositions)
    row("source positions", positions(signature.sourcePositions, signature.sourcePositionsNode));
  if (!signature.keptStates.empty()) {
    // Linear layers keep sums (a fixed size); LSH layers keep per position
    // each key's bucket and the keys' order, and their counts per bucket.
    int64_t sums = 0, sumBytes = 0, lsh = 0, lshBytes = 0, lshBytesPerPosition = 0;
    for (const Signature::KeptState &state : signature.keptStates) {
      bool perPosition = state.perPosition > 0;
      sums += !perPosition;
      sumBytes += perPosition ? 0 : state.fixed * 4;
      lsh += perPosition;
      lshBytes += perPosition ? state.fixed * 4 : 0;
      lshBytesPerPosition += state.perPosition * 4;
    }
    std::vector<std::string> parts;
    if (sums)
      parts.push_back(std::to_string(sums) + " linear attention layers' sums, " +
                      std::to_string(sumBytes) + " bytes per row");
    if (lsh)
      parts.push_back(std::to_string(lsh) + " LSH attention layers' key buckets and order, " +
                      std::to_string(lshBytesPerPosition) +
                      " bytes per position of a row's context and " + std::to_string(lshBytes) +
                      " per row");
    row("attention state", llvm::join(parts, "; ") + "; kept by the session between steps");
  }
  os << "entry points:\n";
  for (const EntryPoint &entry : signature.entryPoints) {
    os << "  " << entry.name << " (" << entrySymbol(entry) << ")\n";
    auto tensors = [&](StringRef heading, const std::vector<Tensor> &list) {
      os << "    " << heading << ":\n";
      for (const Tensor &t : list) {
        std::string cache =
            !t.isCache   ? ""
            : !t.sliding ? "  KV cache"
            : t.window > 0
                ? llvm::formatv("  KV cache, sliding (window {0}, sinks {1})", t.window, t.sinks)
                      .str()
                : "  KV cache, sliding (what linear attention's sums have not "
                  "folded)";
        os << llvm::formatv("      {0,-28} {1,-5} [{2}]{3}\n", t.name, t.dtype,
                            llvm::join(dimTexts(t), ", "), cache);
      }
    };
    tensors("inputs", entry.inputs);
    tensors("outputs", entry.outputs);
  }
  if (!weights.exists) {
    row("weights", weights.path + ": missing");
  } else {
    std::string payload;
    if (signature.weightsBytes)
      payload =
          " (" + std::to_string(*signature.weightsBytes) + " bytes of weights" +
          (signature.weightsLayout.empty() ? ""
                                           : ", layout " + signature.weightsLayout +
                                                 ", genc hash " + signature.weightsPayloadHash) +
          ")";
    row("weights", llvm::formatv("{0}, {1} bytes{2}", weights.path, weights.bytes, payload));
    row("weights SHA-256", weights.sha256);
    if (!weights.problem.empty())
      row("weights check", weights.problem + "; loading refuses it");
    else if (!signature.weightsPayloadHash.empty() &&
             weights.payloadHash != signature.weightsPayloadHash)
      row("weights check", "not the weights this artifact was compiled with (their genc hash is " +
                               *weights.payloadHash +
                               "): another model's, another build's, or damaged");
  }
  if (info) {
    // Grouped by precision: a model's matmuls usually share one.
    std::map<std::string, unsigned> counts;
    for (const Matmul &m : info->matmuls)
      ++counts[precisionOf(m)];
    std::string text;
    for (auto &[precision, count] : counts)
      text += (text.empty() ? "" : "; ") + precision + ": " + std::to_string(count);
    if (counts.size() == 1)
      text = "all " + std::to_string(info->matmuls.size()) + " " + counts.begin()->first;
    row("matmul precision", info->matmuls.empty() ? "no matmuls" : text);
    row("attention rewrites",
        info->fact("attention-rewrites").empty() ? "none" : info->fact("attention-rewrites"));
    if (info->fact("profile") == "op-families")
      row("profiling", "time per op family (genc_model_run_profiled)");
  }
}

json::Value toJson(StringRef path, bool program, const Signature &signature,
                   const std::optional<BuildInfo> &info, const WeightsFile &weights) {
  json::Array states;
  for (const Signature::KeptState &state : signature.keptStates)
    states.push_back(json::Object{{"fixed_bytes_per_row", state.fixed * 4},
                                  {"bytes_per_position", state.perPosition * 4}});
  json::Array entries;
  for (const EntryPoint &entry : signature.entryPoints) {
    auto tensors = [&](const std::vector<Tensor> &list, bool inputs) {
      json::Array array;
      for (const Tensor &t : list) {
        json::Object o{{"name", t.name}, {"dtype", t.dtype}, {"dims", dimsJson(t)}};
        if (inputs)
          o["kv_cache"] = t.isCache;
        if (t.sliding)
          o["kv_cache_window"] = json::Object{{"window", t.window}, {"sinks", t.sinks}};
        array.push_back(std::move(o));
      }
      return array;
    };
    entries.push_back(json::Object{{"name", entry.name},
                                   {"symbol", entrySymbol(entry)},
                                   {"inputs", tensors(entry.inputs, true)},
                                   {"outputs", tensors(entry.outputs, false)}});
  }
  json::Object weightsJson{{"file", weights.path}, {"exists", weights.exists}};
  if (weights.exists) {
    weightsJson["bytes"] = weights.bytes;
    weightsJson["sha256"] = weights.sha256;
  }
  if (signature.weightsBytes)
    weightsJson["payload_bytes"] = *signature.weightsBytes;
  if (!signature.weightsLayout.empty()) {
    weightsJson["layout"] = signature.weightsLayout;
    weightsJson["genc_hash"] = signature.weightsPayloadHash;
    if (weights.exists)
      weightsJson["matches"] =
          weights.problem.empty() && weights.payloadHash == signature.weightsPayloadHash;
  }
  json::Object root{
      {"artifact", path},
      {"kind", program ? "program" : "shared library"},
      {"signature_version", signature.version},
      {"genc_version", signature.gencVersion.empty()
                           ? (info ? json::Value(info->fact("version")) : json::Value(nullptr))
                           : json::Value(signature.gencVersion)},
      {"session", signature.forSession},
      {"whole_calls", signature.wholeCalls},
      {"positions_from_mask", signature.positionsFromMask},
      {"keys_by_index", signature.keysByIndex.empty()
                            ? json::Value(nullptr)
                            : json::Value(json::Object{{"rewrite", signature.keysByIndex},
                                                       {"node", signature.keysByIndexNode}})},
      {"max_positions",
       signature.positions ? json::Value(*signature.positions) : json::Value(nullptr)},
      {"max_source_positions",
       signature.sourcePositions ? json::Value(*signature.sourcePositions) : json::Value(nullptr)},
      {"attention_states", std::move(states)},
      {"entry_points", std::move(entries)},
      {"weights", std::move(weightsJson)}};
  if (!info) {
    root["build"] = nullptr;
    return root;
  }
  auto optional = [&](StringRef key) -> json::Value {
    std::string value = info->fact(key);
    return value.empty() ? json::Value(nullptr) : json::Value(value);
  };
  int64_t optLevel = -1;
  StringRef(info->fact("opt")).getAsInteger(10, optLevel);
  root["build"] = json::Object{{"genc_version", optional("version")},
                               {"model", optional("model")},
                               {"encoder", optional("encoder")},
                               {"emit", optional("emit")},
                               {"opt_level", optLevel},
                               {"mcpu", optional("mcpu")},
                               {"kv_cache", optional("kv-cache")},
                               {"kv_cache_added", info->fact("add-kv-cache") == "yes"}};
  llvm::SmallVector<StringRef> features;
  StringRef(info->facts.count("features") ? info->facts.at("features") : "")
      .split(features, ',', -1, false);
  json::Array featureArray;
  for (StringRef feature : features)
    featureArray.push_back(feature);
  root["target"] = json::Object{{"cpu", optional("cpu")}, {"features", std::move(featureArray)}};
  json::Array matmuls;
  for (const Matmul &m : info->matmuls)
    matmuls.push_back(json::Object{{"entry", m.entry},
                                   {"name", m.name},
                                   {"lhs", m.lhs},
                                   {"rhs", m.rhs},
                                   {"result", m.result}});
  root["matmuls"] = std::move(matmuls);
  json::Array rewrites;
  if (std::string applied = info->fact("attention-rewrites"); !applied.empty() && applied != "none")
    rewrites.push_back(applied);
  root["attention_rewrites"] = std::move(rewrites);
  root["op_family_profiling"] = info->fact("profile") == "op-families";
  return root;
}

int failWith(const llvm::Twine &message) {
  llvm::errs() << "error: " << message << "\n";
  return 1;
}

} // namespace

int genc::driver::runInspect(int argc, char **argv) {
  cl::OptionCategory &io = inputOutputCategory();
  cl::opt<std::string> artifactPath(cl::Positional, cl::desc("<artifact.so | program>"),
                                    cl::Required, cl::cat(io));
  enum class Format { Text, Json };
  cl::opt<Format, false, NamedValues<Format>> format(
      "output-format", cl::desc("What stdout gets"), cl::init(Format::Text),
      cl::values(clEnumValN(Format::Text, "text", "lines for people"),
                 clEnumValN(Format::Json, "json", "one JSON object")),
      cl::cat(io));
  hideOtherOptions();
  parseCommandLine(argc, argv, "genc inspect: what a compiled artifact is (without running it)\n");

  const std::string &path = artifactPath;
  auto buffer = llvm::MemoryBuffer::getFile(path, /*IsText=*/false,
                                            /*RequiresNullTerminator=*/false);
  if (!buffer)
    return failWith("cannot read '" + path + "': " + buffer.getError().message());
  auto file = llvm::object::ObjectFile::createObjectFile((*buffer)->getMemBufferRef());
  if (!file) {
    std::string why = llvm::toString(file.takeError());
    // An ELF file LLVM cannot read is damaged, most often cut short.
    bool elf = (*buffer)->getBuffer().starts_with("\x7f"
                                                  "ELF");
    return failWith(path + ": not a genc artifact (" +
                    (elf ? "a damaged ELF file: " + why + "; truncated?"
                         : std::string("not an ELF shared library or program")) +
                    ")");
  }
  if (!llvm::isa<llvm::object::ELFObjectFileBase>(**file))
    return failWith(path + ": not a genc artifact (not an ELF shared library or program)");
  std::optional<std::string> signatureText = readStringSymbol(**file, "genc_signature");
  if (!signatureText)
    return failWith(path + ": not a genc artifact (it has no genc_signature; `genc compile` "
                           "makes artifacts)");
  std::string error;
  std::optional<Signature> signature = parseSignature(*signatureText, error);
  if (!signature)
    return failWith(path + ": " + error);
  std::optional<BuildInfo> info;
  if (std::optional<std::string> text = readStringSymbol(**file, "genc_build_info"))
    info = parseBuildInfo(*text);
  bool program = isProgram(**file);
  WeightsFile weights = readWeights(program ? genc::runtime::programWeightsPathOf(path)
                                            : genc::runtime::weightsPathOf(path));

  if (format == Format::Json)
    llvm::outs() << llvm::formatv("{0:2}", toJson(path, program, *signature, info, weights))
                 << "\n";
  else
    printText(llvm::outs(), path, program, *signature, info, weights);
  return 0;
}
