/* Force-included (-include) when c/f32.c and c/f64.c are compiled for the
 * native tests: each build variant gets its own symbol names, so the SIMD
 * (-DLSM_SIMDE) and scalar objects link into one binary and can be compared
 * call by call.  Every export's symbol goes through LSM_SYMBOL (exports.h,
 * by way of NAME), so prefixing here renames them all: NAME(lsm_softmax)
 * becomes simd_lsm_softmax_f32 or scalar_lsm_softmax_f32.  The pasting goes
 * through a second macro so that the name is expanded first. */
#ifdef LSM_SIMDE
#define LSM_SYMBOL(name) LSM_PASTE(simd_, name)
#else
#define LSM_SYMBOL(name) LSM_PASTE(scalar_, name)
#endif
#define LSM_PASTE(a, b) LSM_PASTE_(a, b)
#define LSM_PASTE_(a, b) a##b
