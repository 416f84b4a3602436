/* SPDX-License-Identifier: BSD-2-Clause */
/* Fuzz replay: feed every file of a corpus to LLVMFuzzerTestOneInput, without libFuzzer. */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/*
 * Each input gets a heap buffer of exactly its size, so that a sanitizer
 * build catches reads past the end as libFuzzer would.
 */
static int
replay_file(const char *path)
{
	FILE *f = fopen(path, "rb");
	uint8_t *buf;
	long size;

	if (f == NULL || fseek(f, 0, SEEK_END) != 0 || (size = ftell(f)) < 0 ||
	    fseek(f, 0, SEEK_SET) != 0) {
		fprintf(stderr, "replay: cannot read '%s' (%s)\n", path, strerror(errno));
		if (f != NULL)
			fclose(f);
		return -1;
	}
	buf = malloc(size > 0 ? (size_t)size : 1);
	if (buf == NULL || fread(buf, 1, (size_t)size, f) != (size_t)size) {
		fprintf(stderr, "replay: cannot read '%s'\n", path);
		free(buf);
		fclose(f);
		return -1;
	}
	fclose(f);
	LLVMFuzzerTestOneInput(buf, (size_t)size);
	free(buf);
	return 0;
}

static int
skip_entry(const struct dirent *e)
{
	return e->d_name[0] != '.';
}

/* Replay a directory's regular files in name order. @return files replayed, or -1. */
static int
replay_dir(const char *dir)
{
	struct dirent **names;
	int n = scandir(dir, &names, skip_entry, alphasort), done = 0;

	if (n < 0) {
		fprintf(stderr, "replay: cannot list '%s' (%s)\n", dir, strerror(errno));
		return -1;
	}
	for (int i = 0; i < n; i++) {
		char path[4096];
		struct stat st;

		snprintf(path, sizeof(path), "%s/%s", dir, names[i]->d_name);
		if (stat(path, &st) == 0 && S_ISREG(st.st_mode)) {
			if (replay_file(path) < 0)
				done = -1;
			else if (done >= 0)
				done++;
		}
		free(names[i]);
	}
	free(names);
	return done;
}

int
main(int argc, char **argv)
{
#ifdef FUZZ_CORPUS
	static char *def[] = { NULL, (char *)FUZZ_CORPUS, NULL };
#else
	static char *def[] = { NULL, NULL };
#endif
	int total = 0;

	if (argc < 2) {
		argv = def;
		argc = (int)(sizeof(def) / sizeof(def[0])) - 1;
	}
	if (argc < 2) {
		fprintf(stderr, "usage: %s CORPUS_DIR|FILE...\n", argv[0] ? argv[0] : "replay");
		return 2;
	}
	for (int i = 1; i < argc; i++) {
		struct stat st;
		int n;

		if (stat(argv[i], &st) != 0) {
			fprintf(stderr, "replay: '%s' (%s)\n", argv[i], strerror(errno));
			return 1;
		}
		n = S_ISDIR(st.st_mode) ? replay_dir(argv[i]) : replay_file(argv[i]) == 0;
		if (n < 0)
			return 1;
		total += n;
	}
	printf("replayed %d inputs\n", total);
	/* An empty corpus means a wrong path, not a pass. */
	return total > 0 ? 0 : 1;
}
