//===- Emission.cpp - LLVM IR, object files and the weights file ----------===//

#include "genc/Target/CPU/CPUTarget.h"
#include "genc/Target/CPU/Passes.h"
#include "genc/Target/CPU/WeightsFile.h"

#include "mlir/ExecutionEngine/OptUtils.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/DialectResourceBlobManager.h"
#include "mlir/Target/LLVMIR/Export.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/IR/IRBuilder.h"
#include "llvm/IR/LegacyPassManager.h"
#include "llvm/IR/Module.h"
#include "llvm/MC/MCSubtargetInfo.h"
#include "llvm/MC/TargetRegistry.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/TargetSelect.h"
#include "llvm/Support/raw_ostream.h"
#include "llvm/Target/TargetMachine.h"
#include "llvm/TargetParser/Host.h"
#include "llvm/TargetParser/SubtargetFeature.h"
#include "llvm/TargetParser/Triple.h"
#include "llvm/TargetParser/X86TargetParser.h"

using namespace mlir;

static std::unique_ptr<llvm::TargetMachine>
createTargetMachine(const genc::CPUTargetOptions &options, std::string &error) {
  llvm::InitializeNativeTarget();
  llvm::InitializeNativeTargetAsmPrinter();
  llvm::Triple triple(llvm::sys::getDefaultTargetTriple());
  const llvm::Target *target = llvm::TargetRegistry::lookupTarget(triple, error);
  if (!target)
    return nullptr;
  std::string cpu = options.cpu == "host" ? llvm::sys::getHostCPUName().str() : options.cpu;
  // LLVM only warns about an unknown CPU, then fails fatally when code
  // generation asks the CPU-less subtarget for 64-bit code: refuse it here.
  if (options.cpu != "host") {
    std::unique_ptr<llvm::MCSubtargetInfo> generic(
        target->createMCSubtargetInfo(triple, "", ""));
    if (generic && !generic->isCPUStringValid(cpu)) {
      error = "'" + cpu + "' is not a CPU of target " + triple.str() +
              " (--mcpu takes LLVM's CPU names, e.g. x86-64-v3, or host)";
      return nullptr;
    }
    // A 32-bit x86 CPU (pentium4, i686) fails as fatally.
    std::unique_ptr<llvm::MCSubtargetInfo> named(target->createMCSubtargetInfo(triple, cpu, ""));
    if (triple.getArch() == llvm::Triple::x86_64 && named && cpu != "generic" &&
        !named->checkFeatures("+64bit")) {
      error = "'" + cpu + "' is a 32-bit CPU, and genc compiles 64-bit code for " +
              triple.str() + " (name a 64-bit CPU, e.g. x86-64, x86-64-v3, or host)";
      return nullptr;
    }
  }
  llvm::SubtargetFeatures features;
  if (options.cpu == "host")
    for (auto &[name, enabled] : llvm::sys::getHostCPUFeatures())
      features.AddFeature(name, enabled);
  llvm::TargetOptions targetOptions;
  auto level = options.optLevel == 0   ? llvm::CodeGenOptLevel::None
               : options.optLevel == 1 ? llvm::CodeGenOptLevel::Less
               : options.optLevel == 2 ? llvm::CodeGenOptLevel::Default
                                       : llvm::CodeGenOptLevel::Aggressive;
  return std::unique_ptr<llvm::TargetMachine>(target->createTargetMachine(
      triple, cpu, features.getString(), targetOptions, llvm::Reloc::PIC_, std::nullopt,
      level));
}

/// `void genc_main(void **args)`: calls `_mlir_ciface_genc_model` with args[i]
/// as its i-th pointer parameter, so the runtime needs one signature; and
/// `genc_main_<name>` for each entry point the signature lists
/// (`entry <name>`, compiled as `genc_model_<name>`): the runtime binds the
/// signature's list, so the list is what makes the symbols.
static LogicalResult addPackedEntryPoints(llvm::Module &module, StringRef signature,
                                          Location loc) {
  SmallVector<std::string> suffixes = {""};
  SmallVector<StringRef> lines;
  signature.split(lines, '\n');
  for (StringRef line : lines)
    if (line.consume_front("entry "))
      suffixes.push_back(("_" + line).str());
  llvm::LLVMContext &ctx = module.getContext();
  auto *ptr = llvm::PointerType::getUnqual(ctx);
  auto *type = llvm::FunctionType::get(llvm::Type::getVoidTy(ctx), {ptr}, false);
  for (const std::string &suffix : suffixes) {
    std::string compiled = ("_mlir_ciface_" + genc::kCompiledModelName + suffix).str();
    llvm::Function *ciface = module.getFunction(compiled);
    if (!ciface || ciface->isDeclaration())
      return emitError(loc) << "internal error: the signature lists an entry point that "
                               "was not compiled ("
                            << compiled << ")";
    auto *packed = llvm::Function::Create(type, llvm::GlobalValue::ExternalLinkage,
                                          "genc_main" + suffix, module);
    llvm::IRBuilder<> b(llvm::BasicBlock::Create(ctx, "entry", packed));
    llvm::SmallVector<llvm::Value *> args;
    for (unsigned i = 0; i < ciface->arg_size(); ++i) {
      llvm::Value *slot = b.CreateConstGEP1_64(ptr, packed->getArg(0), i);
      args.push_back(b.CreateLoad(ptr, slot));
    }
    b.CreateCall(ciface, args);
    b.CreateRetVoid();
  }
  return success();
}

/// The CPU features `machine` compiles for, sorted: the host's (as CPUID
/// reports them) for --mcpu=host, else those LLVM knows the named CPU to
/// have, implied ones included (x86), else the target's feature string.
static std::string targetFeatures(const llvm::TargetMachine &machine, bool host) {
  SmallVector<std::string> names;
  if (host) {
    for (auto &[name, enabled] : llvm::sys::getHostCPUFeatures())
      if (enabled)
        names.push_back(name.str());
  } else if (machine.getTargetTriple().isX86()) {
    // A CPU's list names what it adds; what those imply (AVX-512 BW implies
    // AVX-512 F, AVX and SSE2) is added here, since the runtime checks the
    // running CPU against each name.
    SmallVector<StringRef> features;
    llvm::X86::getFeaturesForCPU(machine.getTargetCPU(), features);
    llvm::StringMap<bool> enabled;
    if (machine.getTargetTriple().isArch64Bit())
      features.push_back("sse2"); // the 64-bit triple's own; `generic`'s list lacks it
    for (StringRef name : features) {
      enabled[name] = true;
      llvm::X86::updateImpliedFeatures(name, true, enabled);
    }
    for (const auto &[name, on] : enabled)
      if (on)
        names.push_back(name.str());
  } else {
    SmallVector<StringRef> features;
    machine.getTargetFeatureString().split(features, ',', -1, false);
    for (StringRef feature : features)
      if (feature.consume_front("+"))
        names.push_back(feature.str());
  }
  llvm::sort(names);
  return llvm::join(names, ",");
}

/// LLVM dialect → optimised LLVM IR with the packed entry points and the
/// exported strings. Null on failure, with the reason (an unknown CPU, an
/// optimizer error) emitted as an error diagnostic.
static std::unique_ptr<llvm::Module> translateToLLVMIR(ModuleOp module, llvm::LLVMContext &ctx,
                                                       const genc::CPUTargetOptions &options) {
  std::string signature;
  if (auto s = module->getAttrOfType<StringAttr>(genc::kSignatureAttr))
    signature = s.str();
  std::string buildInfo;
  if (auto s = module->getAttrOfType<StringAttr>(genc::kBuildInfoAttr))
    buildInfo = s.str();
  std::unique_ptr<llvm::Module> llvmModule = mlir::translateModuleToLLVMIR(module, ctx);
  if (!llvmModule)
    return nullptr;
  if (failed(addPackedEntryPoints(*llvmModule, signature, module.getLoc())))
    return nullptr;
  // The caller only learns that translation failed: the reasons go out as
  // diagnostics at the module.
  std::string error;
  auto machine = createTargetMachine(options, error);
  if (!machine) {
    emitError(module.getLoc()) << "cannot make the LLVM target machine: " << error;
    return nullptr;
  }
  buildInfo += "cpu " + machine->getTargetCPU().str() + "\n";
  buildInfo += "features " + targetFeatures(*machine, options.cpu == "host") + "\n";
  // Exported strings the runtime (genc_signature) and `genc inspect`
  // (genc_build_info, also the signature) read without running any code.
  for (auto [name, text] : {std::pair<StringRef, StringRef>{"genc_signature", signature},
                            std::pair<StringRef, StringRef>{"genc_build_info", buildInfo}}) {
    auto *init = llvm::ConstantDataArray::getString(ctx, text);
    new llvm::GlobalVariable(*llvmModule, init->getType(), /*isConstant=*/true,
                             llvm::GlobalValue::ExternalLinkage, init, name);
  }
  llvmModule->setTargetTriple(machine->getTargetTriple());
  llvmModule->setDataLayout(machine->createDataLayout());
  // LLVM tunes many Intel CPUs with AVX-512 (Skylake-X to Granite Rapids)
  // to prefer 256-bit vectors, which halves the loop nests' vectors there;
  // genc's loops are long streams, where the full width pays (an AMD CPU
  // with AVX-512 gets it by default).
  if (machine->getMCSubtargetInfo()->checkFeatures("+avx512f"))
    for (llvm::Function &function : *llvmModule)
      if (!function.isDeclaration())
        function.addFnAttr("prefer-vector-width", "512");
  auto optimize = makeOptimizingTransformer(options.optLevel, /*sizeLevel=*/0, machine.get());
  if (auto err = optimize(llvmModule.get())) {
    emitError(module.getLoc()) << "the LLVM optimizer failed: " << llvm::toString(std::move(err));
    return nullptr;
  }
  return llvmModule;
}

static LogicalResult writeObjectFile(llvm::Module &module, llvm::raw_pwrite_stream &os,
                                     const genc::CPUTargetOptions &options, std::string &error) {
  auto machine = createTargetMachine(options, error);
  if (!machine)
    return failure();
  llvm::legacy::PassManager pm;
  if (machine->addPassesToEmitFile(pm, os, nullptr, llvm::CodeGenFileType::ObjectFile)) {
    error = "the target cannot emit object files";
    return failure();
  }
  pm.run(module);
  return success();
}

LogicalResult genc::CPUTarget::writeWeights(
    ModuleOp module, StringRef path, std::string &error,
    llvm::function_ref<void(uint64_t written, uint64_t total)> onProgress) const {
  auto table = module->getAttrOfType<ArrayAttr>("genc.weights");
  auto size = module->getAttrOfType<IntegerAttr>("genc.weights_size");
  std::error_code ec;
  llvm::raw_fd_ostream os(path, ec, llvm::sys::fs::OF_None);
  if (ec) {
    error = "cannot write '" + path.str() + "': " + ec.message();
    return failure();
  }
  // The header first: the payload starts page-aligned after it, and the
  // code's offsets count from there.
  FailureOr<genc::WeightsDigest> digest = genc::digestWeights(module, error);
  if (failed(digest))
    return failure();
  genc::writeWeightsHeader(*digest, os);
  uint64_t written = 0, total = size ? size.getInt() : 0;
  for (Attribute entry : table ? table.getValue() : ArrayRef<Attribute>()) {
    auto dict = cast<DictionaryAttr>(entry);
    uint64_t offset = cast<IntegerAttr>(dict.get("offset")).getInt();
    auto value = cast<ElementsAttr>(dict.get("value"));
    FailureOr<ArrayRef<char>> data = genc::getConstantBytes(value);
    if (failed(data)) {
      error = "weight '" +
              cast<DenseResourceElementsAttr>(value).getRawHandle().getKey().str() +
              "' has no data";
      return failure();
    }
    ArrayRef<char> bytes = *data;
    for (; written < offset; ++written)
      os << '\0';
    os.write(bytes.data(), bytes.size());
    written += bytes.size();
    if (onProgress)
      onProgress(std::min(written, total), total);
  }
  for (; written < total; ++written)
    os << '\0';
  if (onProgress)
    onProgress(total, total);
  // Written: the code reads them from the file, nothing from the module.
  // (After the loop: an entry may repeat a weight another function holds.)
  for (Attribute entry : table ? table.getValue() : ArrayRef<Attribute>())
    genc::releaseConstantData(cast<ElementsAttr>(cast<DictionaryAttr>(entry).get("value")));
  return success();
}

LogicalResult genc::CPUTarget::writeCode(ModuleOp module, llvm::raw_pwrite_stream &os,
                                         CodeForm form, std::string &error) const {
  llvm::LLVMContext context;
  std::unique_ptr<llvm::Module> llvmModule = translateToLLVMIR(module, context, options);
  if (!llvmModule) {
    error = "translation to LLVM IR failed";
    return failure();
  }
  if (form == CodeForm::TextualIR) {
    llvmModule->print(os, nullptr);
    return success();
  }
  return writeObjectFile(*llvmModule, os, options, error);
}
