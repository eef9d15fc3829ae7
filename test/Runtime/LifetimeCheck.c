/* Output tensors outlive their model: runs ARTIFACT.so once on inputs of
 * the dims given, frees the model, then reads and frees the outputs. Prints
 * each output's element count and the sum of its first float elements.
 *
 *   genc-lifetime-check ARTIFACT.so DIM[xDIM...] ...
 */
#include <genc/genc.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static size_t parse_dims(char *spec, int64_t *dims) {
  size_t rank = 0;
  for (char *tok = strtok(spec, "x"); tok && rank < 8; tok = strtok(NULL, "x"))
    dims[rank++] = strtoll(tok, NULL, 10);
  return rank;
}

int main(int argc, char **argv) {
  genc_model *model = NULL;
  if (argc < 2 || genc_model_load(argv[1], &model) != GENC_OK) {
    fprintf(stderr, "error: %s\n", argc < 2 ? "usage: ARTIFACT.so DIMS..." : genc_status_message());
    return 1;
  }
  size_t n = genc_model_num_inputs(model), m = genc_model_num_outputs(model);
  if ((size_t)(argc - 2) != n) {
    fprintf(stderr, "error: the model takes %zu inputs\n", n);
    return 1;
  }
  genc_tensor **inputs = calloc(n, sizeof *inputs), **outputs = calloc(m, sizeof *outputs);
  for (size_t i = 0; i < n; ++i) {
    int64_t dims[8];
    size_t rank = parse_dims(argv[2 + i], dims);
    if (genc_tensor_create(GENC_F32, dims, rank, &inputs[i]) != GENC_OK)
      return 1;
    float *data = genc_tensor_data(inputs[i]);
    for (size_t k = 0; k < genc_tensor_size_bytes(inputs[i]) / sizeof(float); ++k)
      data[k] = (float)(k % 7) - 3.0f;
  }
  if (genc_model_run(model, (const genc_tensor *const *)inputs, n, outputs) != GENC_OK) {
    fprintf(stderr, "error: %s\n", genc_status_message());
    return 1;
  }
  /* The model goes first: its code is unloaded, its outputs stay. */
  genc_model_free(model);
  for (size_t i = 0; i < n; ++i)
    genc_tensor_free(inputs[i]);
  for (size_t k = 0; k < m; ++k) {
    size_t count = genc_tensor_size_bytes(outputs[k]) / sizeof(float);
    const float *data = genc_tensor_data(outputs[k]);
    double sum = 0;
    for (size_t i = 0; i < count; ++i)
      sum += data[i];
    printf("output %zu: %zu elements, sum %g\n", k, count, sum);
    genc_tensor_free(outputs[k]);
  }
  printf("freed the outputs after the model\n");
  free(inputs);
  free(outputs);
  return 0;
}
