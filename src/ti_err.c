/* SPDX-License-Identifier: BSD-2-Clause */
/* libthinice: error code descriptions. */
#include "config.h"

#include <string.h>

#include "ti_err.h"

const char *
ti_strerror(int err)
{
	switch (err) {
	case 0:
		return "success";
	case TI_EPARSE:
		return "parse error";
	case TI_ERANGE:
		return "value out of range";
	case TI_EUNKNOWN:
		return "unknown name";
	case TI_ESCHEME:
		return "unsupported URI scheme";
	case TI_EDB:
		return "database error";
	case TI_ECOAP:
		return "CoAP library error";
	case TI_EDUP:
		return "duplicate value";
	case TI_EMISSING:
		return "missing value";
	case TI_ETOOBIG:
		return "too big";
	default:
		break;
	}
	/* strerrordesc_np(), unlike strerror(), returns static text that stays valid. */
	if (err < 0 && err > -1000 && strerrordesc_np(-err) != NULL)
		return strerrordesc_np(-err);
	return "unknown error";
}
