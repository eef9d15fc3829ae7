# lit configuration for genc's tests.
import os
import sys

import lit.formats
from lit.llvm import llvm_config

config.name = "genc"
config.test_format = lit.formats.ShTest(not llvm_config.use_lit_shell)
config.suffixes = [".mlir", ".onnxtext", ".test"]
config.test_source_root = os.path.dirname(__file__)
config.test_exec_root = os.path.join(config.genc_obj_root, "test")
config.excludes = ["Inputs", "CMakeLists.txt", "lit.cfg.py", "lit.site.cfg.py"]

# The Python the tests run (it needs numpy and onnx) and the ONNX node tests
# come from CMake (GENC_TEST_PYTHON, GENC_ONNX_NODE_TESTS); environment
# variables of the same names override them. Without either, the Python
# that runs lit.
python = (os.environ.get("GENC_TEST_PYTHON") or config.python_executable or sys.executable)
onnx_node_tests = os.environ.get("GENC_ONNX_NODE_TESTS") or config.onnx_node_tests
config.substitutions.append(("%python", python))
config.substitutions.append(("%onnx_node_tests", onnx_node_tests))
config.environment["GENC_TEST_PYTHON"] = python
config.substitutions.append(("%models", os.path.join(config.genc_src_root, "models")))
config.environment["GENC_SRC_ROOT"] = config.genc_src_root
config.environment["GENC"] = os.path.join(config.genc_tools_dir, "genc", "genc")

llvm_config.with_system_environment(["HOME", "TMPDIR", "PATH"])
llvm_config.use_default_substitutions()
tool_dirs = [
    os.path.join(config.genc_tools_dir, "genc"),
    os.path.join(config.genc_tools_dir, "genc-opt"),
    config.llvm_tools_dir,
]
llvm_config.add_tool_substitutions(["genc", "genc-opt", "FileCheck", "not", "count", "llvm-nm"], tool_dirs)
config.substitutions.append(("%genc_build_dir", config.genc_obj_root))
config.substitutions.append(("%genc_runtime_tests",
                             os.path.join(config.genc_obj_root, "test", "genc-runtime-tests")))
config.substitutions.append(("%genc_session_check",
                             os.path.join(config.genc_obj_root, "test", "genc-session-check")))
config.substitutions.append(("%genc_session_replay",
                             os.path.join(config.genc_obj_root, "test", "genc-session-replay")))
config.substitutions.append(("%genc_lifetime_check",
                             os.path.join(config.genc_obj_root, "test", "genc-lifetime-check")))
config.substitutions.append(("%genc_concurrent_check",
                             os.path.join(config.genc_obj_root, "test", "genc-concurrent-check")))
config.substitutions.append(("%genc_deny_amx",
                             os.path.join(config.genc_obj_root, "test", "genc-deny-amx")))
config.substitutions.append(("%genc_tokenize",
                             os.path.join(config.genc_obj_root, "test", "genc-tokenize")))
config.substitutions.append(("%genc_run_model_example",
                             os.path.join(config.genc_obj_root, "runtime", "genc_run_model_example")))

