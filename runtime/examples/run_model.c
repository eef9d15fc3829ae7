/* The smallest use of the genc runtime: load an artifact, feed one float
 * tensor per input (shapes from the command line), print output shapes.
 *
 *   run_model ARTIFACT.so DIM[xDIM...] ...
 */
#include <genc/genc.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int parse_dims(char *spec, int64_t *dims, size_t *rank) {
  *rank = 0;
  for (char *tok = strtok(spec, "x"); tok && *rank < 8; tok = strtok(NULL, "x"))
    dims[(*rank)++] = strtoll(tok, NULL, 10);
  return *rank > 0;
}

int main(int argc, char **argv) {
  if (argc < 2) {
    fprintf(stderr, "usage: %s ARTIFACT.so DIMS...\n", argv[0]);
    return 2;
  }
  genc_model *model = NULL;
  if (genc_model_load(argv[1], &model) != GENC_OK) {
    fprintf(stderr, "error: %s\n", genc_status_message());
    return 1;
  }
  size_t n = genc_model_num_inputs(model), m = genc_model_num_outputs(model);
  if ((size_t)(argc - 2) != n) {
    fprintf(stderr, "error: the model takes %zu inputs\n", n);
    genc_model_free(model);
    return 1;
  }
  genc_tensor **inputs = calloc(n, sizeof *inputs), **outputs = calloc(m, sizeof *outputs);
  int status = 0;
  for (size_t i = 0; i < n && !status; ++i) {
    int64_t dims[8];
    size_t rank;
    if (!parse_dims(argv[2 + i], dims, &rank) ||
        genc_tensor_create(GENC_F32, dims, rank, &inputs[i]) != GENC_OK) {
      fprintf(stderr, "error: bad dims for input %zu\n", i);
      status = 1;
      break;
    }
    float *data = genc_tensor_data(inputs[i]);
    for (size_t k = 0; k < genc_tensor_size_bytes(inputs[i]) / sizeof(float); ++k)
      data[k] = (float)(k % 7) - 3.0f;
  }
  if (!status && genc_model_run(model, (const genc_tensor *const *)inputs, n, outputs) != GENC_OK) {
    fprintf(stderr, "error: %s\n", genc_status_message());
    status = 1;
  }
  for (size_t k = 0; k < m && !status; ++k) {
    printf("%s:", genc_model_output_name(model, k));
    for (size_t d = 0; d < genc_tensor_rank(outputs[k]); ++d)
      printf(" %lld", (long long)genc_tensor_dims(outputs[k])[d]);
    printf(" first=%g\n", (double)((float *)genc_tensor_data(outputs[k]))[0]);
  }
  for (size_t i = 0; i < n; ++i)
    genc_tensor_free(inputs[i]);
  for (size_t k = 0; k < m; ++k)
    genc_tensor_free(outputs[k]);
  free(inputs);
  free(outputs);
  genc_model_free(model);
  return status;
}
