"""Runs `genc import` or `genc run` on each input in regressions/, inputs
that once crashed a fuzzer, and checks that each fails cleanly: exit status
1 and an `error:` line that names the file, no signal, no sanitizer report.

Usage: check_regressions.py GENC CLANG MODEL WORKDIR
(MODEL: a small .onnxtext to compile for the tensor inputs; CLANG links the
artifacts that carry a regression signature.)
"""
import os
import subprocess
import sys

genc, clang, model, work = sys.argv[1:5]
here = os.path.join(os.path.dirname(os.path.abspath(__file__)), "regressions")
os.makedirs(work, exist_ok=True)
artifact = os.path.join(work, "model.so")


def signature_artifact(path):
    """A library whose genc_signature is the file up to its first NUL; the
    rest is its weights file."""
    data = open(path, "rb").read()
    text, _, weights = data.partition(b"\0")
    name = os.path.join(work, os.path.basename(path))
    with open(name + ".c", "w") as c:
        c.write("const char genc_signature[] = {%s0};\n" % "".join("%d," % b for b in text))
        c.write("void genc_main(void **args) {}\n")
    subprocess.run([clang, "-shared", "-fPIC", "-o", name + ".so", name + ".c"], check=True)
    with open(name + ".so.weights", "wb") as w:
        w.write(weights)
    return name + ".so"


def command(path):
    ext = os.path.splitext(path)[1]
    if ext in (".onnx", ".onnxtext"):
        return [genc, "import", path, "-o", os.devnull]
    if ext in (".npy", ".pb"):
        if not os.path.exists(artifact):
            subprocess.run([genc, "compile", model, "-o", artifact], check=True)
        return [genc, "run", artifact, "--input", "x=" + path]
    if ext == ".sig":
        return [genc, "run", signature_artifact(path)]
    raise SystemExit("unknown regression input: " + path)


failures = 0
for name in sorted(os.listdir(here)):
    path = os.path.join(here, name)
    run = subprocess.run(command(path), capture_output=True, text=True, errors="replace")
    errors = [l for l in run.stderr.splitlines() if l.startswith("error:")]
    clean = (run.returncode == 1 and any(os.path.splitext(name)[0] in l for l in errors)
             and "Sanitizer" not in run.stderr and "Stack dump" not in run.stderr)
    print(("ok " if clean else "FAIL ") + name + ": " + (errors[0] if errors else run.stderr[-2000:]))
    failures += not clean
print("%d passed, %d failed" % (len(os.listdir(here)) - failures, failures))
sys.exit(1 if failures else 0)
