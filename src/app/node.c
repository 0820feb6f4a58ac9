/* node: this node's name among the nodes of one database (serve --node),
 * which call records, the live calls list and conference homes carry.
 * Set once at start, read by any thread. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "app/app_priv.h"

bool app_node_valid(const char *name)
{
	size_t n = strlen(name);

	return n > 0 && n < APP_NODE_SIZE &&
	       strspn(name, "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
			    "abcdefghijklmnopqrstuvwxyz0123456789._:-") == n;
}

int app_node_set(struct app *a, const char *name)
{
	if (!app_node_valid(name))
		return EINVAL;
	snprintf(a->node, sizeof(a->node), "%s", name);
	return 0;
}

const char *app_node(const struct app *a)
{
	return a->node;
}
