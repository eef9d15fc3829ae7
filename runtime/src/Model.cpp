//===- Model.cpp - loading an artifact and calling its entry point ---------===//
//
// An artifact is OUT.so (code, `genc_main`, `genc_signature`) and
// OUT.so.weights (mapped read-only). The compiled function takes memref
// descriptors {allocated, aligned, offset, sizes[r], strides[r]}: the
// weights buffer first, then the inputs; results come back through a
// buffer of descriptors. A contiguous result buffer becomes the output
// tensor as it is (freed through the artifact); others are copied out.
//
//===----------------------------------------------------------------------===//

#include "Model.h"

#include "CPUFeatures.h"
#include "CheckMessage.h"
#include "Error.h"
#include "WeightsPath.h"

#include "genc/weights_file.h"

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <dlfcn.h>
#include <elf.h>
#include <fstream>
#include <fcntl.h>
#include <map>
#include <memory>
#include <set>
#include <sstream>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

using genc::runtime::fail;
using genc::runtime::InputSpec;
using genc::runtime::OutputSpec;

namespace {
std::vector<std::string> split(const std::string &s, char sep) {
  std::vector<std::string> parts;
  std::stringstream in(s);
  std::string item;
  while (std::getline(in, item, sep))
    parts.push_back(item);
  return parts;
}

/// `text` as an unsigned number in `base`, all of it (stoull would take a
/// prefix and ignore the rest).
bool parseUnsigned(const std::string &text, int base, uint64_t &value) {
  if (text.empty() || text.size() > 20)
    return false;
  for (char c : text)
    if (!(base == 16 ? std::isxdigit(static_cast<unsigned char>(c))
                     : std::isdigit(static_cast<unsigned char>(c))))
      return false;
  errno = 0;
  char *end = nullptr;
  value = std::strtoull(text.c_str(), &end, base);
  return errno == 0 && *end == '\0';
}

/// A comma-separated list of dims, "?" for a dynamic one, into `dims`.
bool parseDims(const std::string &text, std::vector<int64_t> &dims) {
  for (const std::string &d : split(text, ',')) {
    uint64_t value;
    if (d == "?")
      dims.push_back(-1);
    else if (parseUnsigned(d, 10, value) && value <= INT64_MAX)
      dims.push_back(static_cast<int64_t>(value));
    else
      return false;
  }
  return true;
}

std::string hex(uint64_t value) {
  char text[17];
  std::snprintf(text, sizeof text, "%016llx", static_cast<unsigned long long>(value));
  return text;
}
} // namespace

genc_model::~genc_model() {
  if (mapping)
    munmap(mapping, mappingSize);
  // The library closes when libraryHandle's last holder goes, which may be
  // an output tensor that outlives this model.
}

genc_status genc_model::parseSignature(const char *text, const std::string &path) {
  std::stringstream in(text);
  std::string line;
  auto bad = [&](const std::string &why) {
    return fail(GENC_ERROR_INVALID_ARTIFACT, path + ": bad signature: " + why);
  };
  if (!std::getline(in, line) || line.rfind("genc-signature ", 0) != 0)
    return bad("unknown version line '" + line + "'");
  if (line != GENC_SIGNATURE_VERSION_LINE)
    return fail(GENC_ERROR_INVALID_ARTIFACT,
                path + ": compiled by another version of genc (" + line + "; this runtime reads " +
                    GENC_SIGNATURE_VERSION_LINE + "): compile the model again");
  entryPoints.assign(1, {});
  bool sawWeights = false;
  while (std::getline(in, line)) {
    std::vector<std::string> f = split(line, ' ');
    if (f.empty())
      return bad("an empty line");
    genc::runtime::EntryPoint &entry = entryPoints.back();
    if (f[0] == "weights") {
      // weights <payload bytes> <layout version> <sample hash> <payload hash>
      uint64_t layout;
      if (sawWeights || f.size() != 5 || !parseUnsigned(f[1], 10, expectedWeightsSize) ||
          !parseUnsigned(f[2], 10, layout) || layout > UINT32_MAX || f[3].size() != 16 ||
          !parseUnsigned(f[3], 16, expectedSampleHash) || f[4].size() != 16 ||
          !parseUnsigned(f[4], 16, expectedPayloadHash))
        return bad("'" + line + "'");
      expectedLayoutVersion = static_cast<uint32_t>(layout);
      sawWeights = true;
      continue;
    }
    if (f.size() == 2 && f[0] == "genc-version") {
      if (!compilerVersion.empty() || f[1].empty() ||
          f[1].size() >= sizeof(genc_weights_header::genc_version))
        return bad("'" + line + "'");
      compilerVersion = f[1];
      continue;
    }
    if (f.size() == 1 && f[0] == "whole-calls") {
      wholeCalls = true;
      continue;
    }
    if (f.size() == 1 && f[0] == "positions-from-mask") {
      positionsFromMask = true;
      continue;
    }
    if (f.size() >= 3 && f[0] == "keys-by-index") {
      if (!keysByIndex.empty() || (f[1] != "sinks" && f[1] != "global" && f[1] != "bigbird"))
        return bad("'" + line + "'");
      keysByIndex = f[1];
      keysByIndexNode = line.substr(f[0].size() + f[1].size() + 2);
      continue;
    }
    if (f.size() == 1 && f[0] == "session") {
      forSession = true;
      continue;
    }
    if (f.size() >= 3 && (f[0] == "positions" || f[0] == "source-positions")) {
      std::optional<PositionLimit> &limit = f[0] == "positions" ? positions : sourcePositions;
      uint64_t count;
      if (limit || !parseUnsigned(f[1], 10, count) || count > (uint64_t(1) << 40))
        return bad("'" + line + "'");
      // The node's name is the rest of the line (it may hold spaces).
      limit = PositionLimit{static_cast<int64_t>(count),
                            line.substr(f[0].size() + 1 + f[1].size() + 1)};
      continue;
    }
    if (f.size() == 2 && f[0] == "profile" && f[1] == "op-families")
      continue; // genc_model_run_profiled reads its marks; genc_model_run ignores them

    if (f.size() == 2 && f[0] == "entry") {
      if (f[1].empty() || this->entryPoint(f[1]))
        return bad("'" + line + "' names no new entry point");
      entryPoints.push_back({f[1], nullptr, {}, {}});
      continue;
    }
    if ((f.size() == 4 || f.size() == 5) && f[0] == "state") {
      // The session allocates max_rows rows of this: keep it sane (1 GiB,
      // or 1 GiB per position).
      uint64_t fixed = 0, perPosition = 0;
      if (f[1] != std::to_string(keptStates.size()) || !parseUnsigned(f[2], 10, fixed) ||
          !parseUnsigned(f[3], 10, perPosition) || fixed + perPosition == 0 ||
          fixed > uint64_t(GENC_ATTENTION_STATE_MOST_FLOATS) ||
          perPosition > uint64_t(GENC_ATTENTION_STATE_MOST_FLOATS))
        return bad("'" + line + "' is not the next state slot with its values per row");
      keptStates.push_back({static_cast<int64_t>(fixed), static_cast<int64_t>(perPosition),
                            f.size() == 5 ? f[4] : std::string()});
      continue;
    }
    if ((f.size() == 2 || f.size() == 5) && f[0] == "cache") {
      auto it = std::find_if(entry.inputs.begin(), entry.inputs.end(),
                             [&](const InputSpec &input) { return input.name == f[1]; });
      if (it == entry.inputs.end() || it->dims.size() != 4)
        return bad("'" + line + "' names no rank-4 input");
      it->isCache = true;
      if (f.size() == 5) {
        uint64_t window = 0, sinks = 0;
        auto shift = std::find_if(entry.inputs.begin(), entry.inputs.end(),
                                  [&](const InputSpec &input) { return input.name == f[2]; });
        if (shift == entry.inputs.end() || shift->dtype != GENC_I64 || !shift->dims.empty() ||
            !parseUnsigned(f[3], 10, window) || !parseUnsigned(f[4], 10, sinks) ||
            (window == 0 && sinks != 0) || window > (uint64_t(1) << 40) ||
            sinks > (uint64_t(1) << 40))
          return bad("'" + line + "' is not a sliding cache's shift input, window and sinks");
        it->shiftInput = f[2];
        it->window = static_cast<int64_t>(window);
        it->sinks = static_cast<int64_t>(sinks);
      }
      continue;
    }
    genc_dtype dtype;
    if (f.size() < 4 || !genc::runtime::parseDType(f[2], dtype))
      return bad("'" + line + "'");
    if (f[0] == "input" && f.size() == 5) {
      InputSpec spec{f[1], dtype, {}, {}};
      if (f[3] != "-" && !parseDims(f[3], spec.dims))
        return bad("'" + line + "'");
      if (f[4] != "-")
        for (const std::string &n : split(f[4], ','))
          spec.dimNames.push_back(n == "-" ? "" : n);
      spec.dimNames.resize(spec.dims.size());
      entry.inputs.push_back(spec);
    } else if (f[0] == "output" && f.size() == 5) {
      uint64_t rank;
      if (!parseUnsigned(f[3], 10, rank))
        return bad("'" + line + "'");
      OutputSpec spec{f[1], dtype, static_cast<size_t>(rank), {}};
      if ((f[4] != "-" && !parseDims(f[4], spec.dims)) || spec.dims.size() != spec.rank)
        return bad("'" + line + "'");
      entry.outputs.push_back(spec);
    } else {
      return bad("'" + line + "'");
    }
  }
  if (!sawWeights || compilerVersion.empty())
    return bad("no 'weights' and 'genc-version' lines");
  return GENC_OK;
}

const genc::runtime::EntryPoint *genc_model::entryPoint(const std::string &name) const {
  for (const genc::runtime::EntryPoint &entry : entryPoints)
    if (entry.name == name)
      return &entry;
  return nullptr;
}

/// dlopen of a truncated ELF file faults inside the loader: check that the
/// headers and every loadable segment lie within the file first.
static bool isCompleteElf(const std::string &path, std::string &why) {
  std::ifstream in(path, std::ios::binary | std::ios::ate);
  auto size = static_cast<uint64_t>(in.tellg());
  in.seekg(0);
  Elf64_Ehdr header;
  if (size < sizeof header || !in.read(reinterpret_cast<char *>(&header), sizeof header) ||
      std::memcmp(header.e_ident, ELFMAG, SELFMAG) != 0 || header.e_ident[EI_CLASS] != ELFCLASS64) {
    why = "not a 64-bit ELF shared library";
    return false;
  }
  uint64_t phEnd = header.e_phoff + uint64_t(header.e_phnum) * header.e_phentsize;
  uint64_t shEnd = header.e_shoff + uint64_t(header.e_shnum) * header.e_shentsize;
  if (header.e_phentsize != sizeof(Elf64_Phdr) || phEnd > size || shEnd > size) {
    why = "the ELF headers point past the end of the file (truncated?)";
    return false;
  }
  for (unsigned i = 0; i < header.e_phnum; ++i) {
    Elf64_Phdr ph;
    in.seekg(header.e_phoff + uint64_t(i) * sizeof ph);
    if (!in.read(reinterpret_cast<char *>(&ph), sizeof ph) ||
        (ph.p_type == PT_LOAD && ph.p_offset + ph.p_filesz > size)) {
      why = "a segment lies past the end of the file (truncated?)";
      return false;
    }
    if (ph.p_type == PT_INTERP) {
      why = "a program, as genc compile --emit=exe makes them: run it directly, or compile "
            "the model with --emit=so to load it";
      return false;
    }
  }
  return true;
}

namespace {
/// Maps model.weightsPath after checking its header against the signature
/// and its sampled blocks against their hash: a truncated, damaged or
/// swapped weights file (another model's, even of the same size) is
/// refused before any code reads it.
genc_status mapWeights(genc_model &model) {
  const std::string file = "'" + model.weightsPath + "'";
  const std::string artifact = "'" + model.artifactName + "'";
  int fd = open(model.weightsPath.c_str(), O_RDONLY);
  if (fd < 0)
    return fail(GENC_ERROR_IO,
                "cannot open the weights " + file + " beside the model: " + std::strerror(errno));
  auto refuse = [&](const std::string &why) {
    close(fd);
    return fail(GENC_ERROR_INVALID_ARTIFACT, file + " cannot be the weights of " + artifact + ": " + why);
  };
  struct stat st;
  if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode))
    return refuse("not a regular file");
  uint64_t fileSize = static_cast<uint64_t>(st.st_size);
  genc_weights_header header;
  if (fileSize < GENC_WEIGHTS_HEADER_SIZE ||
      pread(fd, &header, sizeof header, 0) != static_cast<ssize_t>(sizeof header))
    return refuse("it has " + std::to_string(fileSize) + " bytes, less than the " +
                  std::to_string(GENC_WEIGHTS_HEADER_SIZE) + "-byte header (truncated?)");
  if (std::memcmp(header.magic, GENC_WEIGHTS_MAGIC, sizeof header.magic) != 0)
    return refuse("it has no genc weights header (written by an older genc, or not weights at "
                  "all); compile the model again");
  if (header.header_hash != genc_hash64(&header, offsetof(genc_weights_header, header_hash)))
    return refuse("its header is damaged (the header checksum does not match)");
  if (header.layout_version != model.expectedLayoutVersion ||
      header.header_size != GENC_WEIGHTS_HEADER_SIZE)
    return refuse("its layout version is " + std::to_string(header.layout_version) +
                  " but the model's is " + std::to_string(model.expectedLayoutVersion) +
                  "; compile the model again");
  std::string version(header.genc_version,
                      strnlen(header.genc_version, sizeof header.genc_version));
  if (version != model.compilerVersion)
    return refuse("it was written by genc " + version + " but the model was compiled by genc " +
                  model.compilerVersion + "; they belong to different builds");
  if (header.payload_size != model.expectedWeightsSize)
    return refuse("it holds " + std::to_string(header.payload_size) +
                  " bytes of weights but the model expects " +
                  std::to_string(model.expectedWeightsSize) + "; it belongs to another model");
  if (header.payload_hash != model.expectedPayloadHash ||
      header.sample_hash != model.expectedSampleHash)
    return refuse("it holds other weights than the model was compiled with (weights hash " +
                  hex(header.payload_hash) + ", expected " + hex(model.expectedPayloadHash) +
                  "); it belongs to another model or another build of it");
  if (fileSize != GENC_WEIGHTS_HEADER_SIZE + header.payload_size)
    return refuse("it has " + std::to_string(fileSize) + " bytes but its header promises " +
                  std::to_string(GENC_WEIGHTS_HEADER_SIZE) + " + " +
                  std::to_string(header.payload_size) +
                  (fileSize < GENC_WEIGHTS_HEADER_SIZE + header.payload_size
                       ? "; it is truncated or damaged"
                       : "; it is extended or damaged"));
  model.mappingSize = static_cast<size_t>(fileSize);
  model.mapping = mmap(nullptr, model.mappingSize, PROT_READ, MAP_PRIVATE, fd, 0);
  close(fd);
  if (model.mapping == MAP_FAILED) {
    model.mapping = nullptr;
    return fail(GENC_ERROR_IO, "cannot map " + file + ": " + std::strerror(errno));
  }
  // The header's size is a multiple of the page size: the payload keeps
  // the 64-byte alignment the compiled offsets assume.
  model.weightsSize = static_cast<size_t>(header.payload_size);
  model.weights =
      model.weightsSize ? static_cast<unsigned char *>(model.mapping) + GENC_WEIGHTS_HEADER_SIZE
                        : nullptr;
  if (genc_weights_sample_hash(model.weights, model.weightsSize) != header.sample_hash)
    return fail(GENC_ERROR_INVALID_ARTIFACT,
                file + " is damaged: its sampled blocks do not match the checksum that " +
                    artifact + " was compiled with (the file changed after compilation)");
  return GENC_OK;
}

/// The kernels skip what GENC_DISABLE_CPU_FEATURES names and ignore any
/// other word in it; a misspelt name would leave its feature on unseen, so
/// loading stops here instead.
genc_status checkDisabledCPUFeatures(const std::string &what) {
  const char *list = std::getenv(GENC_DISABLE_CPU_FEATURES);
  if (!list)
    return GENC_OK;
  const std::string known = "," GENC_CPU_FEATURE_NAMES ",";
  std::stringstream items(list);
  for (std::string item; std::getline(items, item, ',');)
    if (!item.empty() && known.find("," + item + ",") == std::string::npos)
      return fail(GENC_ERROR_INVALID_ARGUMENT,
                  what + ": " GENC_DISABLE_CPU_FEATURES " names '" + item +
                      "', which is none of the instruction sets the kernels use (" +
                      GENC_CPU_FEATURE_NAMES "); correct it or unset it");
  return GENC_OK;
}

/// Everything after opening the code: its symbols, the signature, the pool
/// and the mapped weights. `what` names the artifact in messages.
genc_status bindArtifact(genc_model &model, const std::string &what,
                         const std::string &weightsPath) {
  if (genc_status s = checkDisabledCPUFeatures(what))
    return s;
  auto *signature = static_cast<const char *>(dlsym(model.library, "genc_signature"));
  if (!signature || !dlsym(model.library, "genc_main"))
    return fail(GENC_ERROR_INVALID_ARTIFACT,
                what + ": not a genc artifact (no genc_signature/genc_main); compile it with "
                       "`genc compile`");
  // Code for instructions this CPU lacks would stop at the first of them
  // (SIGILL), somewhere in a call: say so at load instead.
  if (auto *buildInfo = static_cast<const char *>(dlsym(model.library, "genc_build_info")))
    if (std::string missing = genc::runtime::missingCPUFeatures(buildInfo); !missing.empty())
      return fail(GENC_ERROR_INVALID_ARTIFACT,
                  what + ": compiled for instruction sets this CPU lacks (" + missing +
                      "); compile the model again for this CPU (--mcpu=host, the default, on "
                      "this machine) or for a level both CPUs have, such as --mcpu=x86-64-v3 "
                      "(AVX2)");
  // Numbers in a corrupt signature must not throw through the C API.
  try {
    if (genc_status s = model.parseSignature(signature, what))
      return s;
  } catch (const std::exception &) {
    return fail(GENC_ERROR_INVALID_ARTIFACT, what + ": bad signature: a number is malformed");
  }
  for (genc::runtime::EntryPoint &entry : model.entryPoints) {
    std::string symbol = entry.name.empty() ? "genc_main" : "genc_main_" + entry.name;
    entry.call = reinterpret_cast<void (*)(void **)>(dlsym(model.library, symbol.c_str()));
    if (!entry.call)
      return fail(GENC_ERROR_INVALID_ARTIFACT,
                  what + ": the signature lists the entry point '" + entry.name +
                      "' but the code has no " + symbol + "; compile the model again");
  }
  if (auto *artifactFree =
          reinterpret_cast<void (*)(void *)>(dlsym(model.library, "genc_artifact_free")))
    model.freeResult = artifactFree;
  try {
    model.pool =
        std::make_unique<genc::runtime::ThreadPool>(genc::runtime::ThreadPool::availableThreads());
  } catch (const genc::runtime::Error &e) {
    return fail(GENC_ERROR_INVALID_ARGUMENT, what + ": " + e.what());
  } catch (const std::bad_alloc &) {
    return fail(GENC_ERROR_OUT_OF_MEMORY, what + ": no memory for its thread pool");
  }
  model.poolThreads = model.pool->threads();

  model.artifactName = what;
  model.weightsPath = weightsPath;
  return mapWeights(model);
}
} // namespace

extern "C" genc_status genc_model_load(const char *path, genc_model **out) {
  auto model = std::make_unique<genc_model>();
  std::string p = path;
  if (access(path, R_OK) != 0)
    return fail(GENC_ERROR_IO, "cannot read '" + p + "': " + std::strerror(errno));
  std::string why;
  if (!isCompleteElf(p, why))
    return fail(GENC_ERROR_INVALID_ARTIFACT, p + ": not a loadable genc artifact (" + why + ")");
  // Without a slash dlopen would search the library path, not this folder.
  std::string loadPath = p.find('/') == std::string::npos ? "./" + p : p;
  model->library = dlopen(loadPath.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (!model->library)
    return fail(GENC_ERROR_INVALID_ARTIFACT,
                p + ": not a loadable genc artifact (" + dlerror() + ")");
  model->libraryHandle.reset(model->library, [](void *handle) { dlclose(handle); });
  if (genc_status s = bindArtifact(*model, p, genc::runtime::weightsPathOf(p)))
    return s;
  *out = model.release();
  return GENC_OK;
}

extern "C" genc_status genc_model_load_linked(const char *weightsPath, genc_model **out) {
  auto model = std::make_unique<genc_model>();
  model->library = dlopen(nullptr, RTLD_NOW);
  model->libraryHandle.reset(model->library, [](void *handle) { dlclose(handle); });
  if (genc_status s = bindArtifact(*model, "this program", weightsPath))
    return s;
  *out = model.release();
  return GENC_OK;
}

extern "C" void genc_model_free(genc_model *model) { delete model; }

extern "C" genc_status genc_model_verify(const genc_model *model) {
  static const char kNothing[1] = {};
  uint64_t hash = genc_hash64(model->weights ? model->weights : kNothing, model->weightsSize);
  if (hash != model->expectedPayloadHash)
    return fail(GENC_ERROR_INVALID_ARTIFACT,
                "'" + model->weightsPath + "' is damaged: the hash of its " +
                    std::to_string(model->weightsSize) + " bytes of weights is " + hex(hash) +
                    " but '" + model->artifactName + "' was compiled with weights hashing to " +
                    hex(model->expectedPayloadHash));
  return GENC_OK;
}

extern "C" genc_status genc_model_set_threads(genc_model *model, unsigned threads) {
  if (threads == 0)
    threads = genc::runtime::ThreadPool::availableThreads();
  std::unique_ptr<genc::runtime::ThreadPool> pool;
  try {
    pool = std::make_unique<genc::runtime::ThreadPool>(threads);
  } catch (const genc::runtime::Error &e) {
    return fail(GENC_ERROR_INVALID_ARGUMENT, e.what());
  } catch (const std::bad_alloc &) {
    return fail(GENC_ERROR_OUT_OF_MEMORY,
                "no memory for a thread pool of " + std::to_string(threads) + " threads");
  }
  std::lock_guard<std::mutex> lock(model->poolInUse); // not while a run uses it
  model->pool = std::move(pool);
  model->poolThreads = threads;
  return GENC_OK;
}
extern "C" unsigned genc_model_threads(const genc_model *model) { return model->poolThreads; }
extern "C" int genc_model_is_for_session(const genc_model *model) { return model->forSession; }

extern "C" int64_t genc_model_max_positions(const genc_model *model) {
  return model->positions ? model->positions->count : 0;
}
extern "C" size_t genc_model_num_inputs(const genc_model *m) { return m->main().inputs.size(); }
extern "C" size_t genc_model_num_outputs(const genc_model *m) {
  return m->main().outputs.size();
}
extern "C" const char *genc_model_input_name(const genc_model *m, size_t i) {
  const auto &inputs = m->main().inputs;
  return i < inputs.size() ? inputs[i].name.c_str() : nullptr;
}
extern "C" const char *genc_model_output_name(const genc_model *m, size_t i) {
  const auto &outputs = m->main().outputs;
  return i < outputs.size() ? outputs[i].name.c_str() : nullptr;
}

extern "C" genc_status genc_model_order_inputs(const genc_model *m, const char *const *names,
                                               const genc_tensor *const *tensors, size_t count,
                                               const genc_tensor **ordered) {
  const std::vector<InputSpec> &specs = m->main().inputs;
  std::string known; // for messages
  for (const auto &input : specs)
    known += (known.empty() ? "" : ", ") + input.name;
  std::vector<const genc_tensor *> slots(specs.size(), nullptr);
  for (size_t k = 0; k < count; ++k) {
    auto it = std::find_if(specs.begin(), specs.end(),
                           [&](const auto &input) { return input.name == names[k]; });
    if (it == specs.end())
      return fail(GENC_ERROR_INVALID_ARGUMENT, std::string("the model has no input named '") +
                                                   names[k] + "' (its inputs: " + known + ")");
    const genc_tensor *&slot = slots[it - specs.begin()];
    if (slot)
      return fail(GENC_ERROR_INVALID_ARGUMENT,
                  std::string("input '") + names[k] + "' is given twice");
    slot = tensors[k];
  }
  for (size_t i = 0; i < slots.size(); ++i)
    if (!slots[i])
      return fail(GENC_ERROR_INVALID_ARGUMENT,
                  "missing input '" + specs[i].name + "' (the model's inputs: " + known + ")");
  std::copy(slots.begin(), slots.end(), ordered);
  return GENC_OK;
}

namespace {
/// What an output tensor adopted from the artifact owns: the result buffer,
/// the artifact's free function and a hold on the artifact's code, so that
/// the tensor may be freed after its model (which would otherwise unload
/// the code the free function lives in). The hold costs one allocation
/// and one atomic increment per adopted result; copying the result
/// instead would cost a pass over every output's bytes.
struct AdoptedResult {
  void *buffer;
  void (*free)(void *);
  std::shared_ptr<void> library;
};

void releaseAdoptedResult(void *owner) {
  auto *adopted = static_cast<AdoptedResult *>(owner);
  adopted->free(adopted->buffer);
  delete adopted; // may unload the artifact: after the free above
}

/// A memref descriptor of a contiguous buffer, as int64 words.
void appendDescriptor(std::vector<int64_t> &words, const void *data,
                      const std::vector<int64_t> &dims) {
  auto ptr = reinterpret_cast<int64_t>(data);
  words.push_back(ptr);
  words.push_back(ptr);
  words.push_back(0);
  for (int64_t d : dims)
    words.push_back(d);
  int64_t stride = 1;
  std::vector<int64_t> strides(dims.size());
  for (size_t i = dims.size(); i-- > 0;) {
    strides[i] = stride;
    stride *= dims[i];
  }
  words.insert(words.end(), strides.begin(), strides.end());
}

bool isRowMajor(const std::vector<int64_t> &dims, const std::vector<int64_t> &strides) {
  int64_t expected = 1;
  for (size_t d = dims.size(); d-- > 0;) {
    if (dims[d] != 1 && strides[d] != expected)
      return false;
    expected *= dims[d];
  }
  return true;
}

/// Copies a strided array into a C-order one, a row at a time where rows
/// are contiguous.
void copyStrided(unsigned char *out, const unsigned char *in, const std::vector<int64_t> &dims,
                 const std::vector<int64_t> &strides, size_t element) {
  size_t n = 1;
  for (int64_t d : dims)
    n *= static_cast<size_t>(d);
  if (n == 0)
    return;
  if (isRowMajor(dims, strides)) {
    std::memcpy(out, in, n * element);
    return;
  }
  size_t rank = dims.size();
  bool unitInner = rank > 0 && strides[rank - 1] == 1;
  size_t run = unitInner ? static_cast<size_t>(dims[rank - 1]) : 1;
  size_t outer = rank > 0 && unitInner ? rank - 1 : rank;
  std::vector<int64_t> index(rank, 0);
  for (size_t linear = 0; linear < n; linear += run) {
    int64_t offset = 0;
    for (size_t d = 0; d < outer; ++d)
      offset += index[d] * strides[d];
    std::memcpy(out + linear * element, in + offset * element, run * element);
    for (size_t d = outer; d-- > 0 && ++index[d] == dims[d];)
      index[d] = 0;
  }
}

genc_status checkInputs(const genc::runtime::EntryPoint &entry, const genc_tensor *const *inputs,
                        size_t n) {
  if (n != entry.inputs.size())
    return fail(GENC_ERROR_INVALID_ARGUMENT, "the model takes " +
                                                 std::to_string(entry.inputs.size()) +
                                                 " inputs, got " + std::to_string(n));
  std::map<std::string, std::pair<int64_t, std::string>> symbols;
  for (size_t i = 0; i < n; ++i) {
    const InputSpec &spec = entry.inputs[i];
    const genc_tensor *t = inputs[i];
    if (!t)
      return fail(GENC_ERROR_INVALID_ARGUMENT, "input '" + spec.name + "' is missing");
    if (t->dtype != spec.dtype)
      return fail(GENC_ERROR_INVALID_ARGUMENT,
                  "input '" + spec.name + "' must be " + genc_dtype_name(spec.dtype) + ", got " +
                      genc_dtype_name(t->dtype));
    if (t->dims.size() != spec.dims.size())
      return fail(GENC_ERROR_INVALID_ARGUMENT,
                  "input '" + spec.name + "' must have rank " + std::to_string(spec.dims.size()) +
                      ", got " + std::to_string(t->dims.size()));
    for (size_t d = 0; d < spec.dims.size(); ++d) {
      if (spec.dims[d] >= 0 && t->dims[d] != spec.dims[d])
        return fail(GENC_ERROR_INVALID_ARGUMENT,
                    "input '" + spec.name + "' dim " + std::to_string(d) + " must be " +
                        std::to_string(spec.dims[d]) + ", got " + std::to_string(t->dims[d]));
      const std::string &name = spec.dimNames[d];
      if (spec.dims[d] >= 0 || name.empty())
        continue;
      auto [it, inserted] = symbols.emplace(name, std::make_pair(t->dims[d], spec.name));
      if (!inserted && it->second.first != t->dims[d])
        return fail(GENC_ERROR_INVALID_ARGUMENT,
                    "input '" + spec.name + "' has " + name + " = " + std::to_string(t->dims[d]) +
                        " but input '" + it->second.second + "' has " + name + " = " +
                        std::to_string(it->second.first));
    }
  }
  return GENC_OK;
}
} // namespace

/// genc_model_run, timing op families into `profile` when there is one.
static genc_status runMain(genc_model *m, const genc_tensor *const *inputs, size_t numInputs,
                           genc_tensor **outputs, genc_profile *profile) {
  for (const InputSpec &in : m->main().inputs)
    if (in.isCache)
      return fail(GENC_ERROR_INVALID_ARGUMENT,
                  "the model keeps its KV cache in a session (input '" + in.name +
                      "' is written in place): run it through a genc_session, or compile it "
                      "with --kv-cache=io");
  // A pool runs one parallel loop at a time: two callers' loops on it would
  // mix their tasks. The first caller takes the model's pool; one that finds
  // it busy runs its kernels on its own thread alone, so concurrent calls
  // neither wait nor interfere (each gets the results a lone call gets).
  std::unique_lock<std::mutex> lock(m->poolInUse, std::try_to_lock);
  if (lock.owns_lock())
    return genc::runtime::runModel(*m, m->main(), *m->pool, inputs, numInputs, outputs,
                                     profile);
  genc::runtime::ThreadPool callerOnly(1); // no workers: nothing to start
  return genc::runtime::runModel(*m, m->main(), callerOnly, inputs, numInputs, outputs, profile);
}

extern "C" genc_status genc_model_run(genc_model *m, const genc_tensor *const *inputs,
                                      size_t numInputs, genc_tensor **outputs) {
  return runMain(m, inputs, numInputs, outputs, nullptr);
}

extern "C" genc_status genc_model_run_profiled(genc_model *m, const genc_tensor *const *inputs,
                                               size_t numInputs, genc_tensor **outputs,
                                               double *seconds, size_t numSeconds) {
  genc_profile profile{{}, /*family=*/-1, /*since=*/0};
  genc_status status = runMain(m, inputs, numInputs, outputs, &profile);
  if (status == GENC_OK && seconds)
    for (size_t f = 0; f < numSeconds && f < GENC_OP_FAMILIES; ++f)
      seconds[f] += profile.nanoseconds[f] * 1e-9;
  return status;
}

extern "C" const char *genc_op_family_name(int family) {
  static const char *const kNames[GENC_OP_FAMILIES] = {GENC_OP_FAMILY_NAMES};
  return family >= 0 && family < GENC_OP_FAMILIES ? kNames[family] : nullptr;
}

genc_status genc::runtime::runModel(genc_model &model, const EntryPoint &entry, ThreadPool &pool,
                                    const genc_tensor *const *inputs, size_t numInputs,
                                    genc_tensor **outputs, genc_profile *profile,
                                    std::span<genc_attention_state> states) {
  genc_model *m = &model;
  if (genc_status s = checkInputs(entry, inputs, numInputs))
    return s;
  // Descriptors: results first (one block), then weights, then inputs.
  size_t resultWords = 0;
  for (const OutputSpec &o : entry.outputs)
    resultWords += 3 + 2 * o.rank;
  std::vector<int64_t> results(resultWords, 0);
  std::vector<std::vector<int64_t>> descriptors(1 + numInputs);
  static const char kEmpty[64] = {};
  appendDescriptor(descriptors[0], m->weights ? m->weights : static_cast<const void *>(kEmpty),
                   {static_cast<int64_t>(m->weightsSize)});
  for (size_t i = 0; i < numInputs; ++i) {
    const genc_tensor *t = inputs[i];
    appendDescriptor(descriptors[1 + i], t->sizeBytes ? static_cast<const void *>(t->data) : kEmpty,
                     t->dims);
  }
  // The call runs on the caller's pool (the model's, or a session's): the
  // artifact keeps no threads of its own, so two sessions can run it at once.
  genc_context context = {};
  context.parallel_for = genc::runtime::ThreadPool::run;
  context.pool = &pool;
  context.threads = pool.threads();
  context.profile = profile;
  context.attention_states = states.data();
  context.attention_state_count = static_cast<int64_t>(states.size());
  std::vector<void *> args;
  if (!entry.outputs.empty())
    args.push_back(results.data());
  args.push_back(&context);
  for (auto &d : descriptors)
    args.push_back(d.data());
  entry.call(args.data());
  std::unique_ptr<void *, void (*)(void *)> blocks(context.blocks, m->freeResult);
  // A result that is a contiguous buffer of its own becomes its output's
  // storage; the others (views, strided, aliases of inputs or weights) are
  // copied out. Buffers nobody adopted are freed once, after every copy.
  struct Result {
    std::vector<int64_t> dims, strides;
    unsigned char *allocated, *data;
    bool adopted = false;
  };
  auto *weights = static_cast<unsigned char *>(m->weights);
  auto ownedByArtifact = [&](const unsigned char *p) {
    if (!p || p == reinterpret_cast<const unsigned char *>(kEmpty) ||
        (weights && p >= weights && p < weights + m->weightsSize))
      return false;
    for (size_t i = 0; i < numInputs; ++i)
      if (p == inputs[i]->data)
        return false;
    return true;
  };
  std::vector<Result> rs;
  std::set<const unsigned char *> claimed;
  for (size_t k = 0, at = 0; k < entry.outputs.size(); ++k) {
    size_t rank = entry.outputs[k].rank, element = genc_dtype_size(entry.outputs[k].dtype);
    const int64_t *w = results.data() + at;
    at += 3 + 2 * rank;
    Result r{{w + 3, w + 3 + rank}, {w + 3 + rank, w + 3 + 2 * rank},
             reinterpret_cast<unsigned char *>(w[0]),
             reinterpret_cast<unsigned char *>(w[1]) + w[2] * element};
    r.adopted = isRowMajor(r.dims, r.strides) && ownedByArtifact(r.allocated) &&
                claimed.insert(r.allocated).second;
    rs.push_back(std::move(r));
  }
  // A check failed: what the call computed is nobody's to use. Compiled
  // code stops at its first allocation after a failed check, or at one it
  // could not get, and returns null results; the blocks it held then are
  // counted in the context. (An artifact that does not count them frees
  // its intermediates itself, and only its results are left.)
  if (context.failed_check != 0) {
    std::set<const unsigned char *> freed;
    for (int64_t i = 0; i < context.block_count; ++i)
      if (freed.insert(static_cast<unsigned char *>(context.blocks[i])).second)
        m->freeResult(context.blocks[i]);
    for (const Result &r : rs)
      if (ownedByArtifact(r.allocated) && freed.insert(r.allocated).second)
        m->freeResult(r.allocated);
    for (size_t k = 0; k < entry.outputs.size(); ++k)
      outputs[k] = nullptr;
    // A kernel's failure other than memory is the artifact's fault: it
    // called the kernel with operands no model input can produce.
    bool outOfMemory = context.out_of_memory != 0 && context.out_of_memory == context.failed_check;
    return fail(outOfMemory             ? GENC_ERROR_OUT_OF_MEMORY
                : context.failed_reason ? GENC_ERROR_INVALID_ARTIFACT
                                        : GENC_ERROR_INVALID_ARGUMENT,
                genc::runtime::failedCheckMessage(
                    static_cast<const char *>(dlsym(model.library, "genc_checks")), context));
  }
  genc_status status = GENC_OK;
  for (size_t k = 0; k < rs.size(); ++k) {
    const OutputSpec &spec = entry.outputs[k];
    Result &r = rs[k];
    genc_tensor *t = nullptr;
    if (r.adopted) {
      t = new genc_tensor(spec.dtype, r.dims);
      t->data = r.data;
      t->sizeBytes = t->numElements() * genc_dtype_size(spec.dtype);
      t->owner = new AdoptedResult{r.allocated, m->freeResult, m->libraryHandle};
      t->release = releaseAdoptedResult;
    } else if (status == GENC_OK) {
      status = genc::runtime::createTensor(spec.dtype, r.dims.data(), r.dims.size(),
                                           /*zero=*/false, &t);
      if (t)
        copyStrided(t->data, r.data, r.dims, r.strides, genc_dtype_size(spec.dtype));
    }
    outputs[k] = t;
  }
  std::set<const unsigned char *> freed;
  for (const Result &r : rs)
    if (!claimed.count(r.allocated) && ownedByArtifact(r.allocated) &&
        freed.insert(r.allocated).second)
      m->freeResult(r.allocated);
  return status;
}
