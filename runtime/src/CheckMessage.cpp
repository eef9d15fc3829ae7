//===- CheckMessage.cpp - what the runtime says when a call fails a check -===//

#include "CheckMessage.h"

#include <sstream>
#include <utility>

std::string genc::runtime::failedCheckMessage(const char *table, const genc_context &context) {
  const std::string index = std::to_string(context.failed_index);
  const std::string bound = std::to_string(context.failed_bound);
  const std::string reason = context.failed_reason ? context.failed_reason : "";
  std::string message;
  const std::string prefix = std::to_string(context.failed_check) + " ";
  std::stringstream lines(table ? table : "");
  for (std::string line; std::getline(lines, line);)
    if (line.rfind(prefix, 0) == 0) {
      message = line.substr(prefix.size());
      break;
    }
  if (message.empty())
    message = context.failed_reason ? reason
              : context.failed_check == context.out_of_memory
                  ? "compiled code could not allocate {index} bytes"
                  : "an index ({index}) is out of range for a dimension of size {bound} (check " +
                        std::to_string(context.failed_check) + ")";
  // In this order: a kernel's reason may hold {index} and {bound}.
  for (const auto &[placeholder, value] : {std::pair<std::string, std::string>{"{reason}", reason},
                                           {"{index}", index},
                                           {"{bound}", bound}})
    for (size_t at = 0; (at = message.find(placeholder, at)) != std::string::npos;
         at += value.size())
      message.replace(at, placeholder.size(), value);
  return message;
}
