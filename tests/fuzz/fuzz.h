/* SPDX-License-Identifier: BSD-2-Clause */
/* Fuzz targets: the libFuzzer entry point and an assert that survives NDEBUG. */
#ifndef TI_FUZZ_H
#define TI_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_ASSERT(cond)                                                                         \
	do {                                                                                      \
		if (!(cond)) {                                                                    \
			fprintf(stderr, "%s:%d: %s\n", __FILE__, __LINE__, #cond);                \
			abort();                                                                  \
		}                                                                                 \
	} while (0)

#endif /* TI_FUZZ_H */
