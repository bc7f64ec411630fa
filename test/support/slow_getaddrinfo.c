/* LD_PRELOAD shim for tests: getaddrinfo("slow.test") sleeps 3 s before
 * answering as 127.0.0.1, so a test can hold a lookup in flight. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <netdb.h>
#include <string.h>
#include <unistd.h>
int getaddrinfo(const char *node, const char *service, const struct addrinfo *hints, struct addrinfo **res) {
  static int (*real)(const char *, const char *, const struct addrinfo *, struct addrinfo **);
  if (!real) real = dlsym(RTLD_NEXT, "getaddrinfo");
  if (node && strcmp(node, "slow.test") == 0) { sleep(3); return real("127.0.0.1", service, hints, res); }
  return real(node, service, hints, res);
}
