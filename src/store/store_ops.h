/* store_ops: the storage operations, listed once (DESIGN: every list of
 * names written once). From this list the preprocessor makes the slot of
 * each operation in struct store_backend and its public prototype
 * store_NAME() (store.h), the front end's wrapper (store.c), and each
 * backend's declaration and vtable entry (sqlite_priv.h and sqlite.c,
 * pg_priv.h and pg.c). Adding an operation is one line here plus its two
 * implementations, sqlstore_NAME() and pgstore_NAME().
 *
 * STORE_OPS(OP, OP0) calls, for each operation:
 *   OP(name, (params), (args), valid)   one taking parameters after the
 *                                       connection
 *   OP0(name)                           one taking the connection only
 * params are the parameters as declared, args the arguments handed on to
 * the backend, valid the condition without which store_NAME() returns
 * EINVAL before reaching a backend (it may use the helpers of store.c;
 * write it without a top-level comma). */
#ifndef DIALCONF_STORE_STORE_OPS_H
#define DIALCONF_STORE_STORE_OPS_H

/* The inside of a parenthesized list: STORE_PARAMS (int a, int b). */
#define STORE_PARAMS(...) __VA_ARGS__

#define STORE_OPS(OP, OP0)						\
	/* BEGIN IMMEDIATE (SQLite) / BEGIN (PostgreSQL); commit;	\
	 * rollback. begin_relaxed: a transaction whose commit need not	\
	 * wait for the disk (SQLite synchronous=NORMAL in WAL mode,	\
	 * PostgreSQL synchronous_commit off): a crash of our process	\
	 * loses nothing, a power cut or a database server crash may	\
	 * lose it whole, never half. Only for records whose loss costs	\
	 * a repeat (an email marked sent: at worst sent again). */	\
	OP0(begin)							\
	OP0(begin_relaxed)						\
	OP0(commit)							\
	OP0(rollback)							\
	/* Several reads that need no write: read_begin ... read_end.	\
	 * SQLite: one read transaction (BEGIN DEFERRED), so they take	\
	 * its locks once, not once a statement, and see one snapshot;	\
	 * PostgreSQL: nothing (each read stays one round trip). No	\
	 * write may run on the connection in between. */		\
	OP0(read_begin)							\
	OP0(read_end)							\
	/* What the database is at now, as far as telling whether	\
	 * anyone (any connection, process or node) has committed since: \
	 * two equal stamps, no commit in between. It reads no table	\
	 * and takes no lock, so it may be asked of a connection another \
	 * thread is using. SQLite: the WAL index header (the page	\
	 * readers check first); ENOTSUP where there is none		\
	 * (PostgreSQL; SQLite without WAL). */				\
	OP(stamp, (struct store_stamp *stamp), (stamp), stamp)		\
									\
	/* Users. user_insert sets u->id and honours u->created_at.	\
	 * user_update writes display_name, audio_enabled and the two	\
	 * numbers. user_list returns users with id > after_id, by id,	\
	 * whose email or display name contains search		\
	 * (case-insensitive; NULL or "" for all), at most limit of them \
	 * (limit <= 0: no limit). */					\
	OP(user_insert, (struct store_user *u), (u), u)			\
	OP(user_get, (int64_t id, struct store_user *u), (id, u), u)	\
	OP(user_get_by_email, (const char *email, struct store_user *u), \
	   (email, u), email && u)					\
	OP(user_update, (const struct store_user *u), (u), u)		\
	OP(user_delete, (int64_t id), (id), 1)				\
	OP(user_list, (const char *search, int64_t after_id, int limit,	\
		       store_user_h *h, void *arg),			\
	   (search, after_id, limit, h, arg), h)			\
	OP(user_count, (int64_t *n), (n), n)				\
	/* The user's PIN hash; hash NULL or "" clears it. pin_get:	\
	 * ENOENT when there is no such user or no PIN. */		\
	OP(pin_set, (int64_t user_id, const char *hash), (user_id, hash), 1) \
	OP(pin_get, (int64_t user_id, char *hash, size_t size),		\
	   (user_id, hash, size), hash && size)				\
									\
	/* Conference IDs. confid_insert issues c->value (live), setting \
	 * c->row; EEXIST if it is live or quarantined already, or the	\
	 * user has a live personal ID already. confid_revoke revokes	\
	 * the live row of value; ENOENT if there is none, which inside	\
	 * a transaction a backend may report from a later call of that	\
	 * transaction or its commit (PostgreSQL sends the revocation	\
	 * with the next statement), so any error there means roll back. \
	 * confid_lookup gives the latest row ever issued for value	\
	 * (ENOENT if never). confid_personal gives the user's live	\
	 * personal ID. scan_unavailable: rows live, or revoked with	\
	 * quarantine_until > now. scan_since: rows with row > after_row, \
	 * by row. scan_expired: revoked rows with from <		\
	 * quarantine_until <= to and no live row of the same value.	\
	 * oldest_quarantined / end_quarantine: reuse under low free	\
	 * space. */							\
	OP(confid_insert, (struct store_confid *c), (c), c)		\
	OP(confid_revoke, (uint32_t value, int64_t at,			\
			   int64_t quarantine_until),			\
	   (value, at, quarantine_until), 1)				\
	OP(confid_lookup, (uint32_t value, struct store_confid *c),	\
	   (value, c), c)						\
	OP(confid_personal, (int64_t user_id, struct store_confid *c),	\
	   (user_id, c), c)						\
	OP(confid_scan_unavailable, (int64_t now, store_confid_h *h,	\
				     void *arg), (now, h, arg), h)	\
	OP(confid_scan_since, (int64_t after_row, store_confid_h *h,	\
			       void *arg), (after_row, h, arg), h)	\
	OP(confid_scan_expired, (int64_t from, int64_t to,		\
				 store_confid_h *h, void *arg),		\
	   (from, to, h, arg), h)					\
	OP(confid_oldest_quarantined, (int64_t now,			\
				       struct store_confid *c),		\
	   (now, c), c)							\
	OP(confid_end_quarantine, (uint32_t value, int64_t now),	\
	   (value, now), 1)						\
									\
	/* Dial-in numbers. number_set_default makes number the default	\
	 * of its type and clears the flag on the others of that type. */ \
	OP(number_insert, (const struct store_number *n), (n), n)	\
	OP(number_get, (const char *number, struct store_number *n),	\
	   (number, n), number && n)					\
	OP(number_delete, (const char *number), (number), number)	\
	OP(number_set_default, (const char *number), (number), number)	\
	OP(number_list, (store_number_h *h, void *arg), (h, arg), h)	\
									\
	/* Settings stored by name in canonical text; ENOENT if never	\
	 * set. */							\
	OP(setting_get, (const char *name, char *value, size_t size),	\
	   (name, value, size), name && value && size)			\
	OP(setting_set, (const char *name, const char *value),		\
	   (name, value), name && value)				\
	OP(setting_list, (store_setting_h *h, void *arg), (h, arg), h)	\
									\
	/* Audit log: insert sets a->id (an empty detail is stored as	\
	 * "{}"); list gives the newest first, limit <= 0 for all. The	\
	 * log is append-only. */					\
	OP(audit_insert, (struct store_audit *a), (a), a)		\
	OP(audit_list, (int limit, store_audit_h *h, void *arg),	\
	   (limit, h, arg), h)						\
									\
	/* API tokens. insert sets t->id (digest, name and the three	\
	 * times as given); EEXIST for a digest in use. find: the token \
	 * of digest, ENOENT when none (expired ones too: the caller	\
	 * judges). list: every token, by id. delete: ENOENT when none. \
	 * touch sets last_used_at to at (ENOENT when the token is	\
	 * gone). */							\
	OP(token_insert, (struct store_token *t), (t), t)		\
	OP(token_find, (const char *digest, struct store_token *t),	\
	   (digest, t), digest && t)					\
	OP(token_list, (store_token_h *h, void *arg), (h, arg), h)	\
	OP(token_delete, (int64_t id), (id), 1)				\
	OP(token_touch, (int64_t id, int64_t at), (id, at), 1)		\
									\
	/* Admin accounts (the admin center signs in with these).	\
	 * admin_update writes password_hash, failed_logins and		\
	 * locked_until of the admin a->id. */				\
	OP(admin_insert, (struct store_admin *a), (a), a)		\
	OP(admin_get, (const char *username, struct store_admin *a),	\
	   (username, a), username && a)				\
	OP(admin_count, (int64_t *n), (n), n)				\
	OP(admin_update, (const struct store_admin *a), (a), a)		\
									\
	/* Admin center sessions, by the digest of their id. get fills	\
	 * username from the admin; touch moves last_seen_at forward	\
	 * (never back: ENOENT when at is older or the session is gone); \
	 * delete_admin removes every session of one admin; purge	\
	 * removes those past expires_at (<= now) or last seen before	\
	 * idle_before. */						\
	OP(session_insert, (const struct store_session *s), (s), s)	\
	OP(session_get, (const char *digest, struct store_session *s),	\
	   (digest, s), digest && s)					\
	OP(session_touch, (const char *digest, int64_t at),		\
	   (digest, at), digest)					\
	OP(session_delete, (const char *digest), (digest), digest)	\
	OP(session_delete_admin, (int64_t admin_id), (admin_id), 1)	\
	OP(session_purge, (int64_t now, int64_t idle_before),		\
	   (now, idle_before), 1)					\
									\
	/* Outbox (SPEC §5). insert sets m->id (the row starts as	\
	 * given: normally pending, due at m->next_attempt_at); EEXIST	\
	 * for a token in use. update writes everything but id,		\
	 * created_at, kind, the addresses and token, and clears the	\
	 * claim. claim leases up to max (1-256) pending rows that are	\
	 * due (next_attempt_at <= now) and not leased (lease_until NULL \
	 * or <= now) until lease_until under the claim token claim, in	\
	 * one statement, then calls h for each claimed row: a second	\
	 * worker running the same claim gets other rows or none.	\
	 * renew moves the lease of every pending row still held under	\
	 * claim to lease_until; ESTALE unless row id is one of them (it \
	 * was claimed again by another worker, or settled). settle	\
	 * writes a verdict as update does, but only while row m->id is	\
	 * pending and held under claim: ESTALE otherwise. list gives	\
	 * rows in state (an enum mailstate,				\
	 * or -1 for all), newest first, at most limit (<= 0: all).	\
	 * next_due: the earliest time a pending row can be claimed	\
	 * (ENOENT when there is none). release_leases clears every	\
	 * lease: for a single node at start-up, when no other worker	\
	 * can hold one. */						\
	OP(outbox_insert, (struct store_mail *m), (m), m)		\
	OP(outbox_get, (int64_t id, struct store_mail *m), (id, m), m)	\
	OP(outbox_update, (const struct store_mail *m), (m), m)		\
	OP(outbox_claim, (int64_t now, int64_t lease_until,		\
			  const char *claim, int max,			\
			  store_mail_h *h, void *arg),			\
	   (now, lease_until, claim, max, h, arg),			\
	   h && claim && claim[0] && max >= 1 && max <= 256)		\
	OP(outbox_renew, (const char *claim, int64_t id,		\
			  int64_t lease_until),				\
	   (claim, id, lease_until), claim && claim[0])			\
	OP(outbox_settle, (const struct store_mail *m, const char *claim), \
	   (m, claim), m && claim && claim[0])				\
	OP(outbox_list, (int state, int limit, store_mail_h *h,		\
			 void *arg), (state, limit, h, arg),		\
	   h && state >= -1 && state < MAILSTATE_COUNT)		\
	OP(outbox_next_due, (int64_t *at), (at), at)			\
	OP0(outbox_release_leases)					\
									\
	/* Webhook events (struct store_webhook), a queue like the	\
	 * outbox. insert sets w->id (EEXIST for an event_id in use).	\
	 * claim leases up to max (1-256) pending rows that are due and	\
	 * not leased until lease_until under claim, oldest (by id)	\
	 * first, in one statement, then calls h for each. settle writes \
	 * state, attempts, next_attempt_at, delivered_at, last_status and \
	 * last_error of row w->id and ends its claim, only while it is	\
	 * pending and held under claim: ESTALE otherwise. list: newest	\
	 * first, state (enum store_webhook_state, -1 all), at most	\
	 * limit (<= 0: all). next_due: the earliest time a pending row	\
	 * can be claimed (ENOENT: none). purge deletes the rows no	\
	 * longer pending created before before; *n counts them.	\
	 * release_leases: as outbox_release_leases. */			\
	OP(webhook_insert, (struct store_webhook *w), (w),		\
	   w && w->event_id[0] && w->type[0])				\
	OP(webhook_claim, (int64_t now, int64_t lease_until,		\
			   const char *claim, int max,			\
			   store_webhook_h *h, void *arg),		\
	   (now, lease_until, claim, max, h, arg),			\
	   h && claim && claim[0] && max >= 1 && max <= 256)		\
	OP(webhook_settle, (const struct store_webhook *w,		\
			    const char *claim), (w, claim),		\
	   w && claim && claim[0])					\
	OP(webhook_list, (int state, int limit, store_webhook_h *h,	\
			  void *arg), (state, limit, h, arg),		\
	   h && state >= -1 && state < STORE_WEBHOOK_STATE_COUNT)	\
	OP(webhook_next_due, (int64_t *at), (at), at)			\
	OP(webhook_purge, (int64_t before, int *n),			\
	   (before, n ? n : &(int){ 0 }), 1)				\
	OP0(webhook_release_leases)					\
									\
	/* Meetings. insert sets m->id (state, sequence and created_at	\
	 * as given); EEXIST for a uid in use. update writes sequence	\
	 * and state only: the rest of a meeting is fixed once		\
	 * scheduled. list gives the meetings of organizer_id (0:	\
	 * everyone's) whose end_at > end_after, by start_at then id, at \
	 * most limit (<= 0: all). scan_live_ended: meetings whose ID is \
	 * still live and whose end_at <= ended_by (end of life, SPEC	\
	 * §2). Attendees are unique per meeting whatever their case:	\
	 * add ignores a repeat. */					\
	OP(meeting_insert, (struct store_meeting *m), (m), m)		\
	OP(meeting_get, (int64_t id, struct store_meeting *m), (id, m), m) \
	OP(meeting_update, (const struct store_meeting *m), (m), m)	\
	OP(meeting_list, (int64_t organizer_id, int64_t end_after,	\
			  int limit, store_meeting_h *h, void *arg),	\
	   (organizer_id, end_after, limit, h, arg), h)			\
	OP(meeting_scan_live_ended, (int64_t ended_by,			\
				     store_meeting_h *h, void *arg),	\
	   (ended_by, h, arg), h)					\
	OP(attendee_add, (int64_t meeting_id, const char *email),	\
	   (meeting_id, email), email)					\
	OP(attendee_list, (int64_t meeting_id, store_attendee_h *h,	\
			   void *arg), (meeting_id, h, arg), h)		\
									\
	/* The abuse guard's counters, shared by every node (SPEC §6); a \
	 * use case runs get, guard_fail() and put in one transaction. A \
	 * key is 1 to STORE_GUARD_KEY_SIZE - 1 bytes, else EINVAL.	\
	 * guard_get reads the counter of key; ENOENT when it has none.	\
	 * Inside a transaction on PostgreSQL it locks the row (SELECT	\
	 * ... FOR UPDATE, and a lock on the key for a row not there	\
	 * yet) so that two nodes counting the same key at once do not	\
	 * lose a failure. guard_put inserts or replaces g (upsert on	\
	 * key), inside a transaction. guard_purge deletes the counters	\
	 * not updated since before (updated_at < before) and not	\
	 * blocked after it (blocked_until <= before); *n (n may be	\
	 * NULL) counts them. A purged key starts again with no		\
	 * offences, so before should lie further back than the guard	\
	 * remembers them (core/guard.h). */				\
	OP(guard_get, (const char *key, struct store_guard *g), (key, g), \
	   store_guard_key_ok(key) && g)				\
	OP(guard_put, (const struct store_guard *g), (g),		\
	   g && store_guard_key_ok(g->key))				\
	OP(guard_purge, (int64_t before, int *n),			\
	   (before, n ? n : &(int){ 0 }), 1)				\
									\
	/* Jitsi Meet rooms (struct store_jitsi_room). insert: EEXIST	\
	 * for a conference mapped already or a confid_row in use;	\
	 * get by conference, by_value by the room's live ID value	\
	 * (ENOENT when none); touch moves last_used_at forward (never	\
	 * back; ENOENT when the room is gone); delete forgets the	\
	 * mapping (its ID is revoked by the caller); list gives the	\
	 * rooms last used before used_before, by conference; count	\
	 * counts them all. */						\
	OP(jitsi_room_insert, (const struct store_jitsi_room *r), (r),	\
	   r && r->conference[0])					\
	OP(jitsi_room_get, (const char *conference,			\
			    struct store_jitsi_room *r),		\
	   (conference, r), conference && r)				\
	OP(jitsi_room_by_value, (uint32_t value,			\
				 struct store_jitsi_room *r),		\
	   (value, r), r)						\
	OP(jitsi_room_touch, (const char *conference, int64_t at),	\
	   (conference, at), conference)				\
	OP(jitsi_room_delete, (const char *conference), (conference),	\
	   conference)							\
	OP(jitsi_room_list, (int64_t used_before,			\
			     store_jitsi_room_h *h, void *arg),		\
	   (used_before, h, arg), h)					\
	OP(jitsi_room_count, (int64_t *n), (n), n)			\
									\
	/* Call records (struct store_call_record) and node heartbeats	\
	 * (struct store_node). call_record_put inserts r, or replaces	\
	 * the row of (r->node, r->call_id) with it (upsert): a writer	\
	 * sends the latest state of a call whole. list: see struct	\
	 * store_call_record_query. live: the records still live	\
	 * (ended_at NULL) of the nodes other than except_node whose	\
	 * heartbeat is at or after seen_since, by started_at. crash	\
	 * marks the live records of node 'crashed', ended at at (not	\
	 * before their start), with their seconds in the conference up \
	 * to then; *n (may be NULL) counts them. purge deletes at most	\
	 * max (1-10000) ended records started before before; *n counts \
	 * them. node_beat upserts n. node_get: ENOENT when never seen. \
	 * node_list: every node, by name. */				\
	OP(call_record_put, (const struct store_call_record *r), (r),	\
	   r && r->node[0] && r->outcome[0])				\
	OP(call_record_list, (const struct store_call_record_query *q,	\
			      store_call_record_h *h, void *arg),	\
	   (q, h, arg), q && h && q->limit >= 1 && q->limit <= 1000)	\
	OP(call_record_live, (const char *except_node, int64_t seen_since, \
			      store_call_record_h *h, void *arg),	\
	   (except_node, seen_since, h, arg), except_node && h)		\
	OP(call_record_crash, (const char *node, int64_t at, int *n),	\
	   (node, at, n ? n : &(int){ 0 }), node && node[0])		\
	OP(call_record_purge, (int64_t before, int max, int *n),	\
	   (before, max, n ? n : &(int){ 0 }), max >= 1 && max <= 10000) \
	OP(node_beat, (const struct store_node *n), (n), n && n->name[0]) \
	OP(node_get, (const char *name, struct store_node *n), (name, n), \
	   name && n)							\
	OP(node_list, (store_node_h *h, void *arg), (h, arg), h)	\
	/* Live control commands (struct store_command). insert sets	\
	 * c->id. list_new: the unclaimed ones with id > after_id	\
	 * created at or after since, by id. claim: 0, or EBUSY when	\
	 * claimed already (ENOENT: no such row). done: the result.	\
	 * purge: rows created before before go. */			\
	OP(command_insert, (struct store_command *c), (c), c)		\
	OP(command_get, (int64_t id, struct store_command *c), (id, c), c) \
	OP(command_list_new, (int64_t after_id, int64_t since,		\
			      store_command_h *h, void *arg),		\
	   (after_id, since, h, arg), h)				\
	OP(command_claim, (int64_t id, const char *node), (id, node), node) \
	OP(command_done, (int64_t id, int64_t done_at, const char *result), \
	   (id, done_at, result), result)				\
	OP(command_purge, (int64_t before), (before), 1)		\
	/* Conference homes (issue 13). home_claim makes h's node the	\
	 * home of h's conference, with h's sip_uri and lease_until, when \
	 * there is no home, the home is h->node already (a renewal), or \
	 * the lease has run out by now; EEXIST when another node holds \
	 * a live lease. home_get: ENOENT when none. home_release drops	\
	 * the row if node holds it (ENOENT otherwise). cluster_secret_init \
	 * stores fresh unless a secret exists (first one wins);	\
	 * cluster_secret_get reads it (ENOENT before init). */		\
	OP(home_claim, (const struct store_home *h, int64_t now), (h, now), \
	   h && h->node[0])						\
	OP(home_get, (bool personal, int64_t conf, struct store_home *h), \
	   (personal, conf, h), h)					\
	OP(home_release, (bool personal, int64_t conf, const char *node), \
	   (personal, conf, node), node)				\
	OP(cluster_secret_init, (const char *fresh), (fresh), fresh && fresh[0]) \
	OP(cluster_secret_get, (char *out, size_t size), (out, size),	\
	   out && size)							\
									\
	/* Users, live conference IDs and outbox rows by state		\
	 * (struct store_stats). */					\
	OP(stats, (struct store_stats *s), (s), s)			\
									\
	/* Usage of the calls that started in [from, to) (unix ms), by	\
	 * group (struct store_usage_row, one call each to h): seconds	\
	 * in the mix, calls, distinct caller_key, and the most calls of \
	 * the group in progress at once (a live call lasts until now; \
	 * for STORE_USAGE_DAY every call counts, whatever its day, so	\
	 * a call from before midnight still counts after it). Days by	\
	 * date, the other groups by seconds then calls, most first;	\
	 * STORE_USAGE_TOTAL gives one row, key "", for all of them.	\
	 * Aggregated in the database, one statement. */		\
	OP(usage_report, (int64_t from, int64_t to, int64_t now,	\
			  enum store_usage_group by, store_usage_h *h,	\
			  void *arg), (from, to, now, by, h, arg),	\
	   h && from < to && by >= 0 && by < STORE_USAGE_COUNT_)	\
									\
	/* Backups. backup writes a consistent copy of the whole	\
	 * database to the file path (replaced atomically, mode 0600)	\
	 * while other connections go on writing. restore replaces the	\
	 * whole database, in one transaction, by the copy in path and	\
	 * migrates it: EBUSY when another connection (a running serve)	\
	 * has the database open, ENOENT when path is missing, EINVAL	\
	 * when it is not a dialconf database, ERANGE when a newer	\
	 * dialconf wrote it; both ELOOP when path is the database	\
	 * itself. PostgreSQL answers ENOTSUP to both:		\
	 * pg_dump and pg_restore do it there (docs/operations.md). */	\
	OP(backup, (const char *path), (path), path && path[0])		\
	OP(restore, (const char *path), (path), path && path[0])

#endif
