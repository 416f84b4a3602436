/* SPDX-License-Identifier: BSD-2-Clause */
/* libthinice: error codes shared by every module. */
#ifndef TI_ERR_H
#define TI_ERR_H

/*
 * Functions return 0 on success, -errno (-EINVAL, -ENOMEM, ...) on system
 * failures, and one of the codes below (all <= -1000) on project failures.
 */
enum {
	TI_EPARSE = -1000,   /**< malformed input (config line, URI, number) */
	TI_ERANGE = -1001,   /**< value outside its allowed range */
	TI_EUNKNOWN = -1002, /**< unknown directive, option or name */
	TI_ESCHEME = -1003,  /**< URI scheme not supported (yet) */
	TI_EDB = -1004,	     /**< database error */
	TI_ECOAP = -1005,    /**< libcoap refused an operation */
	TI_EDUP = -1006,     /**< directive given twice where only once is allowed */
	TI_EMISSING = -1007, /**< required value missing */
	TI_ETOOBIG = -1008,  /**< input larger than its limit */
};

/**
 * Describe an error code.
 *
 * @param[in] err  0, a negative errno value or a TI_E* code.
 * @return a static string, never NULL.
 */
const char *ti_strerror(int err);

#endif /* TI_ERR_H */
