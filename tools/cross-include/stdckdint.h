/* C23 <stdckdint.h> for libclang 14, which lacks it (Ruby 3.4's headers
 * include it): bin/cross puts this folder on bindgen's include path only. */
#ifndef SOCKET_RS_STDCKDINT_H
#define SOCKET_RS_STDCKDINT_H
#define ckd_add(r, a, b) __builtin_add_overflow((a), (b), (r))
#define ckd_sub(r, a, b) __builtin_sub_overflow((a), (b), (r))
#define ckd_mul(r, a, b) __builtin_mul_overflow((a), (b), (r))
#endif
