/* One loaded model run from several threads at once gives what sequential
 * runs give. Runs ARTIFACT.so (one f32 input [rows, width], one output) on
 * THREADS different inputs one after another, then from THREADS threads at
 * once, ROUNDS times each, and compares every concurrent output with its
 * sequential one bit for bit.
 *
 *   genc-concurrent-check ARTIFACT.so WIDTH THREADS ROUNDS
 */
#include <genc/genc.h>

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { kRows = 64, kMaxThreads = 16 };

static genc_model *model;
static int64_t width;
static int rounds;
static genc_tensor *inputs[kMaxThreads], *expected[kMaxThreads];
static int mismatches[kMaxThreads], failures[kMaxThreads];

static genc_tensor *run(genc_tensor *input) {
  genc_tensor *output = NULL;
  const genc_tensor *args[] = {input};
  if (genc_model_run(model, args, 1, &output) != GENC_OK) {
    fprintf(stderr, "error: %s\n", genc_status_message());
    return NULL;
  }
  return output;
}

static void *worker(void *arg) {
  int t = (int)(intptr_t)arg;
  for (int r = 0; r < rounds; ++r) {
    genc_tensor *output = run(inputs[t]);
    if (!output) {
      ++failures[t];
      continue;
    }
    if (genc_tensor_size_bytes(output) != genc_tensor_size_bytes(expected[t]) ||
        memcmp(genc_tensor_data(output), genc_tensor_data(expected[t]),
               genc_tensor_size_bytes(output)) != 0)
      ++mismatches[t];
    genc_tensor_free(output);
  }
  return NULL;
}

int main(int argc, char **argv) {
  if (argc != 5) {
    fprintf(stderr, "usage: %s ARTIFACT.so WIDTH THREADS ROUNDS\n", argv[0]);
    return 2;
  }
  width = strtoll(argv[2], NULL, 10);
  int threads = atoi(argv[3]);
  rounds = atoi(argv[4]);
  if (threads < 1 || threads > kMaxThreads || genc_model_load(argv[1], &model) != GENC_OK) {
    fprintf(stderr, "error: %s\n", genc_status_message());
    return 1;
  }
  /* The model's own pool has workers, so that its parallel loops are shared. */
  genc_model_set_threads(model, 4);
  int64_t dims[] = {kRows, width};
  for (int t = 0; t < threads; ++t) {
    genc_tensor_create(GENC_F32, dims, 2, &inputs[t]);
    float *data = genc_tensor_data(inputs[t]);
    for (int64_t i = 0; i < kRows * width; ++i)
      data[i] = (float)((i * 7 + t * 13) % 23) / 23.0f - 0.5f;
    if (!(expected[t] = run(inputs[t])))
      return 1;
  }
  pthread_t ids[kMaxThreads];
  for (int t = 0; t < threads; ++t)
    pthread_create(&ids[t], NULL, worker, (void *)(intptr_t)t);
  int bad = 0, failed = 0;
  for (int t = 0; t < threads; ++t) {
    pthread_join(ids[t], NULL);
    bad += mismatches[t];
    failed += failures[t];
  }
  printf("%d threads x %d runs: %d differ from sequential runs, %d failed\n", threads, rounds,
         bad, failed);
  for (int t = 0; t < threads; ++t) {
    genc_tensor_free(inputs[t]);
    genc_tensor_free(expected[t]);
  }
  genc_model_free(model);
  return bad || failed;
}
