/* LD_PRELOAD shim for the fuzz children: resolution never leaves the host.
 * getaddrinfo answers only numeric hosts, "localhost" (from /etc/hosts) and
 * NULL; any other name fails as the resolver would for an unknown name
 * (EAI_NONAME) without a DNS query. getnameinfo is always numeric, so no
 * reverse lookup is sent either. Both implementations run under it, so the
 * differential comparison stays fair. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <netdb.h>
#include <string.h>
int getaddrinfo(const char *node, const char *service, const struct addrinfo *hints, struct addrinfo **res) {
  static int (*real)(const char *, const char *, const struct addrinfo *, struct addrinfo **);
  if (!real) real = dlsym(RTLD_NEXT, "getaddrinfo");
  if (!node || strcmp(node, "localhost") == 0) return real(node, service, hints, res);
  struct addrinfo h;
  if (hints) h = *hints; else { memset(&h, 0, sizeof h); h.ai_family = AF_UNSPEC; }
  h.ai_flags |= AI_NUMERICHOST;
  return real(node, service, &h, res);
}
int getnameinfo(const struct sockaddr *sa, socklen_t salen, char *host, socklen_t hostlen, char *serv,
                socklen_t servlen, int flags) {
  static int (*real)(const struct sockaddr *, socklen_t, char *, socklen_t, char *, socklen_t, int);
  if (!real) real = dlsym(RTLD_NEXT, "getnameinfo");
  return real(sa, salen, host, hostlen, serv, servlen, flags | NI_NUMERICHOST);
}
