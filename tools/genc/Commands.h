//===- Commands.h - the subcommands of the genc driver ----------*- C++ -*-===//

#ifndef GENC_TOOLS_GENC_COMMANDS_H
#define GENC_TOOLS_GENC_COMMANDS_H

namespace genc::driver {
/// `genc import MODEL [-o OUT] [--no-cleanup]`. argv[0] is "genc import".
int runImport(int argc, char **argv);
} // namespace genc::driver

#endif
