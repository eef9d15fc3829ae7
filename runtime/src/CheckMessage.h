//===- CheckMessage.h - what the runtime says when a call fails a check -*- C++ -*-===//

#ifndef GENC_RUNTIME_CHECKMESSAGE_H
#define GENC_RUNTIME_CHECKMESSAGE_H

#include "genc/kernels.h"

#include <string>

namespace genc::runtime {

/// The message of the check `context` records as failed: its line of the
/// artifact's `genc_checks` text (`table`, "<check> <message>" lines; may
/// be null), with the failing kernel's {reason}, then {index} and {bound},
/// filled in. Without a line, what the context alone says.
std::string failedCheckMessage(const char *table, const genc_context &context);

} // namespace genc::runtime

#endif // GENC_RUNTIME_CHECKMESSAGE_H
