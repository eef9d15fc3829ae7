/* The smallest use of the genc runtime's C API: load an artifact that
 * `genc compile` made, run it on inputs, print its outputs.
 *
 *   run_model ARTIFACT.so INPUT... [--output-dir DIR]
 *
 * An INPUT is NAME=FILE.npy (inputs by name, in any order), or DIMxDIM...:
 * a float32 tensor of that shape, filled with a pattern, for the next input
 * in signature order. Each output is printed as its name, dtype, shape and
 * first values, and with --output-dir saved as DIR/NAME.npy.
 */
#include <genc/genc.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { MAX_RANK = 8, VALUES_SHOWN = 6 };

/* A float32 tensor of shape "2x3x4", filled with -3..3. */
static genc_status make_patterned(char *spec, genc_tensor **tensor) {
  int64_t dims[MAX_RANK];
  size_t rank = 0;
  for (char *tok = strtok(spec, "x"); tok && rank < MAX_RANK; tok = strtok(NULL, "x"))
    dims[rank++] = strtoll(tok, NULL, 10);
  genc_status status = genc_tensor_create(GENC_F32, dims, rank, tensor);
  if (status != GENC_OK)
    return status;
  float *data = genc_tensor_data(*tensor);
  for (size_t k = 0; k < genc_tensor_size_bytes(*tensor) / sizeof(float); ++k)
    data[k] = (float)(k % 7) - 3.0f;
  return GENC_OK;
}

/* Prints element k of a tensor whose dtype printf knows; 0 for others. */
static int print_element(genc_dtype dtype, const void *data, size_t k) {
  switch (dtype) {
  case GENC_F32:
    printf(" %g", (double)((const float *)data)[k]);
    return 1;
  case GENC_F64:
    printf(" %g", ((const double *)data)[k]);
    return 1;
  case GENC_I64:
    printf(" %lld", (long long)((const int64_t *)data)[k]);
    return 1;
  case GENC_I32:
    printf(" %d", (int)((const int32_t *)data)[k]);
    return 1;
  default:
    return 0;
  }
}

static void print_output(const char *name, genc_tensor *tensor) {
  genc_dtype dtype = genc_tensor_dtype(tensor);
  printf("%s: %s ", name, genc_dtype_name(dtype));
  for (size_t d = 0; d < genc_tensor_rank(tensor); ++d)
    printf(d ? "x%lld" : "%lld", (long long)genc_tensor_dims(tensor)[d]);
  printf(":");
  size_t count = genc_tensor_size_bytes(tensor) / genc_dtype_size(dtype);
  size_t shown = 0;
  while (shown < count && shown < VALUES_SHOWN &&
         print_element(dtype, genc_tensor_data(tensor), shown))
    ++shown;
  printf(shown < count ? " ...\n" : "\n");
}

int main(int argc, char **argv) {
  const char *output_dir = NULL;
  if (argc >= 4 && strcmp(argv[argc - 2], "--output-dir") == 0) {
    output_dir = argv[argc - 1];
    argc -= 2;
  }
  if (argc < 2) {
    fprintf(stderr, "usage: %s ARTIFACT.so (NAME=FILE.npy | DIMxDIM...)... [--output-dir DIR]\n",
            argv[0]);
    return 2;
  }
  genc_model *model = NULL;
  if (genc_model_load(argv[1], &model) != GENC_OK) {
    fprintf(stderr, "error: %s\n", genc_status_message());
    return 1;
  }
  size_t num_inputs = genc_model_num_inputs(model), num_outputs = genc_model_num_outputs(model);
  size_t given = (size_t)(argc - 2);
  const char **names = calloc(given + 1, sizeof *names);
  genc_tensor **tensors = calloc(given + 1, sizeof *tensors);
  const genc_tensor **ordered = calloc(num_inputs + 1, sizeof *ordered);
  genc_tensor **outputs = calloc(num_outputs + 1, sizeof *outputs);
  int failed = 0;

  /* Every input gets a name, so that genc_model_order_inputs puts them in
   * signature order and says which one is missing, unknown or repeated. */
  for (size_t i = 0, positional = 0; i < given && !failed; ++i) {
    char *arg = argv[2 + i], *equals = strchr(arg, '=');
    genc_status status;
    if (equals) {
      *equals = '\0';
      names[i] = arg;
      status = genc_tensor_load_npy(equals + 1, &tensors[i]);
    } else if (positional < num_inputs) {
      names[i] = genc_model_input_name(model, positional++);
      status = make_patterned(arg, &tensors[i]);
    } else {
      fprintf(stderr, "error: the model takes %zu inputs\n", num_inputs);
      failed = 1;
      break;
    }
    if (status != GENC_OK) {
      fprintf(stderr, "error: %s\n", genc_status_message());
      failed = 1;
    }
  }
  if (!failed && (genc_model_order_inputs(model, names, (const genc_tensor *const *)tensors, given,
                                          ordered) != GENC_OK ||
                  genc_model_run(model, ordered, num_inputs, outputs) != GENC_OK)) {
    fprintf(stderr, "error: %s\n", genc_status_message());
    failed = 1;
  }
  for (size_t k = 0; k < num_outputs && !failed; ++k) {
    const char *name = genc_model_output_name(model, k);
    print_output(name, outputs[k]);
    if (output_dir) {
      char path[4096];
      snprintf(path, sizeof path, "%s/%s.npy", output_dir, name);
      if (genc_tensor_save_npy(outputs[k], path) != GENC_OK) {
        fprintf(stderr, "error: %s\n", genc_status_message());
        failed = 1;
      }
    }
  }

  for (size_t i = 0; i < given; ++i)
    genc_tensor_free(tensors[i]);
  for (size_t k = 0; k < num_outputs; ++k)
    genc_tensor_free(outputs[k]);
  free(names);
  free(tensors);
  free(ordered);
  free(outputs);
  genc_model_free(model);
  return failed;
}
