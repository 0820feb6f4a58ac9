/* static: the admin center's files (web/), embedded into the binary at
 * build time by scripts/embed_web.sh, so nothing is read from disk at run
 * time and a running service cannot be made to serve anything else. */
#include <string.h>

#include "http/http_priv.h"

const struct http_asset *http_asset_find(const char *path)
{
	size_t i;

	if (!path || path[0] != '/')
		return NULL;
	path++;
	if (!path[0])
		path = "index.html";

	for (i = 0; i < http_asset_count; i++) {
		if (!strcmp(http_assets[i].path, path))
			return &http_assets[i];
	}
	return NULL;
}
