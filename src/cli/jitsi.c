/* jitsi: "dialconf jitsi rooms", the Jitsi Meet rooms mapped to conference
 * IDs (GET /api/v1/jitsi/rooms): which ID each room has and when it was
 * last used, the clock of its expiry (jitsiRoomIdleDays). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli_priv.h"

#define ROOMS_COLS 4

static void room_row(const json_t *e, const char **cells, char *buf,
		     size_t size)
{
	(void)buf;
	(void)size;
	cells[0] = api_str(e, "conferenceId");
	cells[1] = api_str(e, "conference");
	cells[2] = api_str(e, "createdAt");
	cells[3] = api_str(e, "lastUsedAt");
}

int do_jitsi_rooms(struct cli *c, int argc, char **argv)
{
	static const char *const hdr[ROOMS_COLS] = {
		"CONFERENCE ID", "ROOM", "CREATED", "LAST USED",
	};
	static const struct out_listing l = {
		"rooms", "unexpected answer: no \"rooms\" list",
		"No Jitsi rooms mapped.", ROOMS_COLS, hdr, 0, room_row,
	};
	bool json = false;
	struct cli_list pos;
	struct api_url u;
	int err;

	err = cli_parse_json(c, argc, argv, &json, &pos, 0, 0);
	if (err)
		return cli_parse_exit(err);
	api_url_path(&u, "/jitsi/rooms", NULL, NULL);
	return cli_get_list(c, &u, json, &l);
}
