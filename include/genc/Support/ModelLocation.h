//===- ModelLocation.h - the ONNX node and file an op came from -*- C++ -*-===//
//
// The importer locates every op at NameLoc(<ONNX node name>, <model file>);
// passes fuse and wrap locations. Messages that name the node read it back
// from here.
//
//===----------------------------------------------------------------------===//

#ifndef GENC_SUPPORT_MODELLOCATION_H
#define GENC_SUPPORT_MODELLOCATION_H

#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/Location.h"

#include <string>

namespace mlir::genc {

struct ModelLocation {
  std::string node; ///< the ONNX node's name, "" when unknown or unnamed
  std::string file; ///< the model file, "" when unknown
};

/// The first node name and file found in `loc`.
inline ModelLocation modelLocationOf(Location loc) {
  ModelLocation where;
  loc->walk([&](Location inner) {
    if (auto name = dyn_cast<NameLoc>(inner); name && where.node.empty())
      where.node = name.getName().str();
    if (auto at = dyn_cast<FileLineColLoc>(inner); at && where.file.empty())
      where.file = at.getFilename().str();
    return WalkResult::advance();
  });
  return where;
}

/// How messages name the node at `loc`: "Gather node 'NAME' of model.onnx"
/// for `kind` "Gather", "node 'NAME' of model.onnx" without one, and
/// "compiled code of model.onnx" when neither names a node.
inline std::string describeNode(Location loc, StringRef kind = {}) {
  ModelLocation where = modelLocationOf(loc);
  std::string text;
  if (!kind.empty())
    text = (kind + " node").str();
  else
    text = where.node.empty() ? "compiled code" : "node";
  if (!where.node.empty())
    text += " '" + where.node + "'";
  if (!where.file.empty())
    text += " of " + where.file;
  return text;
}

} // namespace mlir::genc

#endif // GENC_SUPPORT_MODELLOCATION_H
