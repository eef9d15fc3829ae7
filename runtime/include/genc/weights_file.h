/*===- weights_file.h - the weights file's header and checksums ------------===*
 *
 * `genc compile` writes OUT.weights as a 4 KiB header followed by the
 * payload, the buffer compiled code reads its weights from (offsets in the
 * code are relative to the payload's start, which the header's size keeps
 * page-aligned). The artifact's signature records what the header records:
 * the payload's size, the layout version, genc's version and both hashes,
 * so that a weights file of another model or another build is refused
 * even when its size matches.
 *
 * Two hashes of the payload, with genc_hash64 below: `sample_hash` covers
 * up to GENC_WEIGHTS_SAMPLE_BLOCKS blocks of 4 KiB (the first, the last and
 * evenly strided ones between), cheap enough to check at every load;
 * `payload_hash` covers every byte, checked on request (genc_model_verify,
 * `genc run --verify`). This header is shared by the compiler and the
 * runtime; both compute the hashes with the functions here.
 *
 *===----------------------------------------------------------------------===*/
#ifndef GENC_WEIGHTS_FILE_H
#define GENC_WEIGHTS_FILE_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#ifdef __cplusplus
extern "C" {
#endif

#define GENC_WEIGHTS_MAGIC "GENCWTS\n"
#define GENC_WEIGHTS_LAYOUT_VERSION 1
#define GENC_WEIGHTS_HEADER_SIZE 4096
#define GENC_WEIGHTS_SAMPLE_BLOCK_SIZE 4096
#define GENC_WEIGHTS_SAMPLE_BLOCKS 64

/* The first bytes of the header; the rest of its 4 KiB are zero. */
typedef struct genc_weights_header {
  char magic[8];           /* GENC_WEIGHTS_MAGIC */
  uint32_t layout_version; /* GENC_WEIGHTS_LAYOUT_VERSION */
  uint32_t header_size;    /* GENC_WEIGHTS_HEADER_SIZE: where the payload starts */
  char genc_version[32];   /* of the compiler that wrote it, NUL-padded */
  uint64_t payload_size;
  uint64_t sample_hash;
  uint64_t payload_hash;
  uint64_t header_hash; /* genc_hash64 of the bytes before this field */
} genc_weights_header;

/* A 64-bit non-cryptographic hash (four independent multiply-rotate lanes
 * over 32-byte stripes, so about as fast as memory): it detects damaged
 * and mismatched files, not deliberate forgeries. Streaming: init, update
 * any number of times, digest. */
typedef struct genc_hash64_state {
  uint64_t lanes[4];
  uint64_t length;
  unsigned char pending[32];
  size_t pendingBytes;
} genc_hash64_state;

static const uint64_t genc_hash64_prime1 = 0x9E3779B185EBCA87ULL;
static const uint64_t genc_hash64_prime2 = 0xC2B2AE3D27D4EB4FULL;
static const uint64_t genc_hash64_prime3 = 0x165667B19E3779F9ULL;
static const uint64_t genc_hash64_prime4 = 0x85EBCA77C2B2AE63ULL;

static inline uint64_t genc_hash64_rotl(uint64_t x, int r) { return (x << r) | (x >> (64 - r)); }

static inline uint64_t genc_hash64_read(const unsigned char *p) {
  uint64_t v; /* little-endian hosts only, as the weights themselves */
  memcpy(&v, p, 8);
  return v;
}

static inline uint64_t genc_hash64_round(uint64_t lane, uint64_t input) {
  lane += input * genc_hash64_prime2;
  return genc_hash64_rotl(lane, 31) * genc_hash64_prime1;
}

static inline void genc_hash64_init(genc_hash64_state *s) {
  s->lanes[0] = genc_hash64_prime1 + genc_hash64_prime2;
  s->lanes[1] = genc_hash64_prime2;
  s->lanes[2] = 0;
  s->lanes[3] = 0 - genc_hash64_prime1;
  s->length = 0;
  s->pendingBytes = 0;
}

static inline void genc_hash64_stripe(genc_hash64_state *s, const unsigned char *p) {
  for (int i = 0; i < 4; ++i)
    s->lanes[i] = genc_hash64_round(s->lanes[i], genc_hash64_read(p + 8 * i));
}

static inline void genc_hash64_update(genc_hash64_state *s, const void *data, size_t size) {
  const unsigned char *p = (const unsigned char *)data;
  s->length += size;
  if (s->pendingBytes) {
    size_t take = 32 - s->pendingBytes < size ? 32 - s->pendingBytes : size;
    memcpy(s->pending + s->pendingBytes, p, take);
    s->pendingBytes += take;
    p += take;
    size -= take;
    if (s->pendingBytes < 32)
      return;
    genc_hash64_stripe(s, s->pending);
    s->pendingBytes = 0;
  }
  for (; size >= 32; p += 32, size -= 32)
    genc_hash64_stripe(s, p);
  memcpy(s->pending, p, size);
  s->pendingBytes = size;
}

static inline uint64_t genc_hash64_digest(const genc_hash64_state *s) {
  uint64_t h = genc_hash64_rotl(s->lanes[0], 1) + genc_hash64_rotl(s->lanes[1], 7) +
               genc_hash64_rotl(s->lanes[2], 12) + genc_hash64_rotl(s->lanes[3], 18);
  for (int i = 0; i < 4; ++i)
    h = (h ^ genc_hash64_round(0, s->lanes[i])) * genc_hash64_prime1 + genc_hash64_prime4;
  h += s->length;
  size_t i = 0;
  for (; i + 8 <= s->pendingBytes; i += 8)
    h = genc_hash64_rotl(h ^ genc_hash64_round(0, genc_hash64_read(s->pending + i)), 27) *
            genc_hash64_prime1 +
        genc_hash64_prime4;
  for (; i < s->pendingBytes; ++i)
    h = genc_hash64_rotl(h ^ (s->pending[i] * genc_hash64_prime3), 11) * genc_hash64_prime1;
  h ^= h >> 33;
  h *= genc_hash64_prime2;
  h ^= h >> 29;
  h *= genc_hash64_prime3;
  return h ^ (h >> 32);
}

static inline uint64_t genc_hash64(const void *data, size_t size) {
  genc_hash64_state s;
  genc_hash64_init(&s);
  genc_hash64_update(&s, data, size);
  return genc_hash64_digest(&s);
}

/* How many 4 KiB blocks the sample of a payload of `size` bytes has. */
static inline uint64_t genc_weights_sample_count(uint64_t size) {
  uint64_t blocks = (size + GENC_WEIGHTS_SAMPLE_BLOCK_SIZE - 1) / GENC_WEIGHTS_SAMPLE_BLOCK_SIZE;
  return blocks < GENC_WEIGHTS_SAMPLE_BLOCKS ? blocks : GENC_WEIGHTS_SAMPLE_BLOCKS;
}

/* The byte offset of sample block k (< genc_weights_sample_count(size)):
 * every block of a small payload; of a larger one the first, the last and
 * evenly spaced blocks between. A block is 4 KiB or what is left. */
static inline uint64_t genc_weights_sample_offset(uint64_t size, uint64_t k) {
  uint64_t blocks = (size + GENC_WEIGHTS_SAMPLE_BLOCK_SIZE - 1) / GENC_WEIGHTS_SAMPLE_BLOCK_SIZE;
  uint64_t count = genc_weights_sample_count(size);
  uint64_t block = count < 2 ? 0 : k * (blocks - 1) / (count - 1);
  return block * GENC_WEIGHTS_SAMPLE_BLOCK_SIZE;
}

/* The sample hash of a payload in memory. */
static inline uint64_t genc_weights_sample_hash(const void *payload, uint64_t size) {
  genc_hash64_state s;
  genc_hash64_init(&s);
  genc_hash64_update(&s, &size, sizeof size);
  for (uint64_t k = 0, count = genc_weights_sample_count(size); k < count; ++k) {
    uint64_t offset = genc_weights_sample_offset(size, k);
    uint64_t length = size - offset < GENC_WEIGHTS_SAMPLE_BLOCK_SIZE
                          ? size - offset
                          : GENC_WEIGHTS_SAMPLE_BLOCK_SIZE;
    genc_hash64_update(&s, (const unsigned char *)payload + offset, (size_t)length);
  }
  return genc_hash64_digest(&s);
}

#ifdef __cplusplus
}
#endif

#endif /* GENC_WEIGHTS_FILE_H */
