// Runs a command with the AMX tiles' state refused by Linux, as an older
// kernel or a sandbox's policy may: a seccomp filter makes arch_prctl's
// ARCH_REQ_XCOMP_PERM fail with EPERM for this process and what it runs.
// Compiled code that asked for the tiles and used them anyway would die of
// SIGILL; genc's kernels must take their AVX-512 paths instead. Run by
// test/E2E/weight-formats.test.
// Usage: genc-deny-amx COMMAND [ARGS...]
#include <errno.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include <stdio.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

enum { kRequestPermission = 0x1023, kTileData = 18 }; // ARCH_REQ_XCOMP_PERM, XTILEDATA

int main(int argc, char **argv) {
  if (argc < 2) {
    fprintf(stderr, "usage: genc-deny-amx COMMAND [ARGS...]\n");
    return 2;
  }
  struct sock_filter filter[] = {
      BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch)),
      BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_X86_64, 1, 0),
      BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
      BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
      BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_arch_prctl, 0, 3),
      BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, args[0])),
      BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, kRequestPermission, 0, 1),
      BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | EPERM),
      BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
  };
  struct sock_fprog program = {sizeof filter / sizeof filter[0], filter};
  if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0 ||
      prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &program) != 0) {
    perror("genc-deny-amx: cannot install the seccomp filter");
    return 2;
  }
  // The filter must hold before the command relies on it.
  if (syscall(SYS_arch_prctl, kRequestPermission, kTileData) == 0 || errno != EPERM) {
    fprintf(stderr, "genc-deny-amx: the AMX request was not refused\n");
    return 2;
  }
  execvp(argv[1], argv + 1);
  perror("genc-deny-amx: cannot run the command");
  return 127;
}
