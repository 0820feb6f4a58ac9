/* maildir: delivery into a Maildir folder, the default transport. The
 * Maildir way (maildir(5), D. J. Bernstein's maildir.html): write the
 * message under tmp/ with a name no other delivery can have, fsync it,
 * then rename it into new/, so a reader never sees half a message and a
 * crash leaves at worst a stray file in tmp/. The folder is fsynced after
 * the rename: the row is marked sent only once the name is durable. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "mail/mail_priv.h"

struct maildir {
	struct mail_transport t; /* first: the transport is the maildir */
	char dir[PATH_MAX];
	char host[64];
	unsigned long seq;
};

static int mkdir_one(const char *path)
{
	if (mkdir(path, 0700) && errno != EEXIST)
		return errno;
	return 0;
}

static int dirs_make(const char *dir)
{
	static const char *const sub[] = { "tmp", "new", "cur" };
	char p[PATH_MAX];
	size_t i;
	int e;

	e = mkdir_one(dir);
	for (i = 0; i < 3 && !e; i++) {
		if ((size_t)snprintf(p, sizeof(p), "%s/%s", dir, sub[i]) >=
		    sizeof(p))
			return ENAMETOOLONG;
		e = mkdir_one(p);
	}
	return e;
}

static int write_all(int fd, const char *p, size_t len)
{
	ssize_t n;

	while (len) {
		n = write(fd, p, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return errno;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

static int dir_sync(const char *path)
{
	int fd = open(path, O_RDONLY | O_DIRECTORY);
	int e = 0;

	if (fd < 0)
		return errno;
	if (fsync(fd))
		e = errno;
	close(fd);
	return e;
}

/* tmp/NAME written and synced, then new/NAME. */
static int deliver(struct maildir *md, const char *msg, size_t len)
{
	char name[128], tmp[PATH_MAX], dst[PATH_MAX];
	struct timespec ts;
	int fd, e;

	clock_gettime(CLOCK_REALTIME, &ts);
	/* time.M<usec>P<pid>Q<seq>.host: unique per process and moment. */
	snprintf(name, sizeof(name), "%lld.M%ldP%ldQ%lu.%s",
		 (long long)ts.tv_sec, ts.tv_nsec / 1000, (long)getpid(),
		 ++md->seq, md->host);
	if ((size_t)snprintf(tmp, sizeof(tmp), "%s/tmp/%s", md->dir, name) >=
	    sizeof(tmp) ||
	    (size_t)snprintf(dst, sizeof(dst), "%s/new/%s", md->dir, name) >=
	    sizeof(dst))
		return ENAMETOOLONG;

	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0)
		return errno;
	e = write_all(fd, msg, len);
	if (!e && fsync(fd))
		e = errno;
	if (close(fd) && !e)
		e = errno;
	if (!e && rename(tmp, dst))
		e = errno;
	if (e) {
		unlink(tmp);
		return e;
	}
	if ((size_t)snprintf(tmp, sizeof(tmp), "%s/new", md->dir) >=
	    sizeof(tmp))
		return ENAMETOOLONG;
	return dir_sync(tmp);
}

/* A local folder that cannot be written now (disk full, permissions) may
 * work later: temporary, retried with backoff. */
static enum app_mail_result md_send(struct mail_transport *t,
				    const struct app_mail *m,
				    const char *msg, size_t len,
				    char *reason, size_t size)
{
	struct maildir *md = (struct maildir *)t;
	int e;

	(void)m;
	e = dirs_make(md->dir);
	if (!e)
		e = deliver(md, msg, len);
	if (!e)
		return APP_MAIL_DELIVERED;
	snprintf(reason, size, "maildir %s: %s", md->dir, strerror(e));
	return APP_MAIL_TEMPORARY;
}

static void md_close(struct mail_transport *t)
{
	free(t);
}

int mail_maildir_open(struct mail_transport **tp, const char *dir)
{
	struct maildir *md;
	size_t i;
	int e;

	if (!dir || !dir[0] ||
	    strnlen(dir, PATH_MAX) >= PATH_MAX - 128)
		return EINVAL;
	md = calloc(1, sizeof(*md));
	if (!md)
		return ENOMEM;
	md->t.send = md_send;
	md->t.close = md_close;
	snprintf(md->dir, sizeof(md->dir), "%s", dir);
	if (gethostname(md->host, sizeof(md->host)) || !md->host[0])
		snprintf(md->host, sizeof(md->host), "localhost");
	md->host[sizeof(md->host) - 1] = '\0';
	/* '/' and ':' have a meaning in Maildir names. */
	for (i = 0; md->host[i]; i++) {
		if (md->host[i] == '/' || md->host[i] == ':')
			md->host[i] = '_';
	}
	e = dirs_make(md->dir);
	if (e) {
		free(md);
		return e;
	}
	*tp = &md->t;
	return 0;
}
