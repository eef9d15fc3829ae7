//===- GenerateCommand.cpp - `genc generate` -------------------------------===//
//
// The generation command line (runtime/src/generator, shared with the
// programs `genc compile --emit=exe` makes of a decoder) over models that
// genc compiles first when they are ONNX: with the KV cache in the session
// when the export has one.
//
//===----------------------------------------------------------------------===//

#include "Commands.h"
#include "Progress.h"

#include "generator/Generator.h"

#include "llvm/Support/CommandLine.h"
#include "llvm/Support/raw_ostream.h"

using namespace genc::generator;

int genc::driver::runGenerate(int argc, char **argv) {
  // --quiet, --attention, --calibration-ids and --add-kv-cache are the driver's (they
  // concern compiling an ONNX model), not the generation command line's,
  // which generator programs share.
  std::vector<char *> args;
  std::string attention, calibrationIds;
  bool addKVCache = false, attentionGiven = false;
  for (int i = 0; i < argc; ++i) {
    llvm::StringRef arg = argv[i];
    if (i > 0 && arg == "--quiet")
      Progress::get().setQuiet(true);
    else if (i > 0 && arg.consume_front("--attention="))
      attention = arg.str(), attentionGiven = true;
    else if (i > 0 && arg == "--attention" && i + 1 < argc)
      attention = argv[++i], attentionGiven = true;
    else if (i > 0 && arg == "--add-kv-cache")
      addKVCache = true;
    else if (i > 0 && arg.consume_front("--calibration-ids="))
      calibrationIds = arg.str();
    else if (i > 0 && arg == "--calibration-ids" && i + 1 < argc)
      calibrationIds = argv[++i];
    else
      args.push_back(argv[i]);
  }
  if (!checkAttentionRewrites(attention, attentionGiven))
    return 1;
  argc = static_cast<int>(args.size());
  argv = args.data();
  std::vector<std::string> positional;
  GeneratorOptions options;
  try {
    options = parseGeneratorOptions(argc, argv, 1, positional);
  } catch (const genc::runtime::Error &e) {
    llvm::errs() << "error: " << e.what() << "\n";
    return 1;
  }
  if (options.help) {
    llvm::outs() << "OVERVIEW: genc generate: decode with a model\n\nUSAGE: " << argv[0]
                 << " <model.onnx | artifact.so> [options]\n\nOPTIONS (decoding: Hugging "
                    "Face generate()'s, in kebab case):\n"
                 << generatorOptionsHelp()
                 << "\nCompiling an ONNX model:\n\n"
                    "  --add-kv-cache                  Give the model and its draft, where "
                    "exported without a KV cache, one (exact; genc compile --help)\n"
                    "  --attention=<spec>              Rewrite its attention layers (approximate): "
                    "window:W, sinks:S, global:N, gqa:G[:mean|:grouped|:calibrated], "
                    "bigbird:B[:R[:G]], lsh:B[:H[:C]], linear, performer:M (docs/cli.md)\n"
                    "  --calibration-ids=<file>        Token ids gqa:G:grouped and :calibrated fit on "
                    "(whitespace-separated)\n"
                 << "\nDiagnostics:\n\n"
                    "  --quiet                         Show no progress on stderr (shown only "
                    "when stderr is a terminal)\n"
                    "\nGeneric Options:\n\n"
                    "  --help                          Display available options\n";
    return 0;
  }
  if (positional.size() != 1) {
    llvm::errs() << "error: give one model (.onnx or a compiled .so); see --help\n";
    return 1;
  }
  // The compiler's pass-manager options keep their defaults.
  registerCompileDebugOptions();
  llvm::cl::ParseCommandLineOptions(1, argv);

  auto open = [&](const std::string &path,
                  const genc::runtime::SessionOptions &sessionOptions) -> LoadedSession {
    GraphOptions graph;
    graph.forSession = true;
    graph.requireKVCache = false;
    // The target and its draft, each where it has no cache of its own.
    if (addKVCache)
      graph.addKVCache = GraphOptions::AddKVCache::WhereMissing;
    if (path == positional[0]) {
      graph.encoder = options.encoder;
      graph.attentionRewrites = attention;
      graph.calibrationIds = calibrationIds;
    }
    std::optional<std::string> artifact = compiledArtifact(path, graph);
    if (!artifact)
      return {};
    LoadedSession loaded = loadSession(*artifact, sessionOptions);
    // An artifact is compiled already: --add-kv-cache cannot give it a cache.
    if (addKVCache && *artifact == path && loaded.session && !loaded.session->cached())
      throw genc::runtime::Error("--add-kv-cache applies as a model compiles, and " + path +
                                 " is compiled already without a KV cache; give the .onnx "
                                 "model, or compile it with genc compile --add-kv-cache");
    return loaded;
  };
  return runGenerator(options, positional[0], open);
}
