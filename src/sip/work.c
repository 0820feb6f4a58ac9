/* work: the worker pool. The SIP thread must never stall: one argon2id
 * PIN check costs ~0.1 s of CPU and a database read may wait for a lock,
 * and either would hold up every call's 20 ms frames. So those run here,
 * and their results go back to the SIP thread through its mqueue. */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "sip/sipd_priv.h"

#define WORK_THREADS_MAX 8

struct work {
	struct sipd *s;
	pthread_mutex_t mtx;
	pthread_cond_t cond;
	struct sipd_job *head, *tail;
	bool stop;
	pthread_t threads[WORK_THREADS_MAX];
	int nthreads;
};

void sipd_job_free(struct sipd_job *job)
{
	if (!job)
		return;
	explicit_bzero(job->digits, sizeof(job->digits));
	free(job);
}

/* The number's languages (comma-separated tags) as the prompt sets of s
 * that speak them, in its order: those without prompts (saved before
 * this node had them, or taken away since) are skipped, and none at all
 * is the default language. Runs on a worker: s->prompts never changes
 * once the thread started. */
static void languages_pick(const struct sipd *s, const char *tags,
			   struct sipd_job *job)
{
	const char *p = tags;
	size_t len, i;

	job->nlangs = 0;
	while (*p && job->nlangs < ATT_LANGUAGES_MAX) {
		len = strcspn(p, ",");
		if (!prompt_lib_find(s->prompts, p, len, &i))
			job->langs[job->nlangs++] = (uint8_t)i;
		p += len + (p[len] == ',');
	}
	if (!job->nlangs)
		job->langs[job->nlangs++] = 0;
}

static void run(struct work *w, struct sipd_job *job)
{
	char langs[APP_NAME_SIZE] = "";
	struct app *a = w->s->app;
	struct app_dialin_call c = {
		job->source, job->caller, job->dialed, job->address,
	};

	switch (job->kind) {
	case SIPD_JOB_ADMIT:
		job->err = app_dialin_admit(a, job->user, job->source,
					    job->dialed, sizeof(job->dialed),
					    langs, sizeof(langs),
					    &job->refused);
		languages_pick(w->s, langs, job);
		break;
	case SIPD_JOB_RESOLVE:
		job->err = app_dialin_resolve(a, &c, job->digits, &job->target,
					      &job->blocked);
		break;
	case SIPD_JOB_PIN:
		job->err = app_dialin_pin(a, &c, &job->target, job->digits,
					  &job->pin, &job->blocked);
		break;
	case SIPD_JOB_RECHECK:
		job->err = app_dialin_recheck(a, &job->target, &job->valid);
		break;
	case SIPD_JOB_LIMITS:
		job->err = app_dialin_limits(a, &job->lim);
		break;
	case SIPD_JOB_PURGE:
		job->err = app_dialin_purge(a, NULL);
		break;
	}
	explicit_bzero(job->digits, sizeof(job->digits));
	if (mqueue_push(w->s->mq, SIPD_MQ_RESULT, job))
		sipd_job_free(job);
}

static void *worker_main(void *arg)
{
	struct work *w = arg;
	struct sipd_job *job;

	pthread_mutex_lock(&w->mtx);
	for (;;) {
		while (!w->head && !w->stop)
			pthread_cond_wait(&w->cond, &w->mtx);
		if (!w->head) /* stopping, and nothing left */
			break;
		job = w->head;
		w->head = job->next;
		if (!w->head)
			w->tail = NULL;
		pthread_mutex_unlock(&w->mtx);
		run(w, job);
		pthread_mutex_lock(&w->mtx);
	}
	pthread_mutex_unlock(&w->mtx);
	return NULL;
}

int work_start(struct work **wp, struct sipd *s, int nthreads)
{
	struct work *w;
	int err = 0;

	if (nthreads < 1 || nthreads > WORK_THREADS_MAX)
		return EINVAL;
	w = calloc(1, sizeof(*w));
	if (!w)
		return ENOMEM;
	w->s = s;
	pthread_mutex_init(&w->mtx, NULL);
	pthread_cond_init(&w->cond, NULL);
	for (; w->nthreads < nthreads && !err; w->nthreads++) {
		err = pthread_create(&w->threads[w->nthreads], NULL,
				     worker_main, w);
		if (err)
			break;
	}
	if (err) {
		work_stop(w);
		return err;
	}
	*wp = w;
	return 0;
}

int work_submit(struct work *w, struct sipd_job *job)
{
	if (!w)
		return EINVAL;
	job->next = NULL;
	pthread_mutex_lock(&w->mtx);
	if (w->tail)
		w->tail->next = job;
	else
		w->head = job;
	w->tail = job;
	pthread_cond_signal(&w->cond);
	pthread_mutex_unlock(&w->mtx);
	return 0;
}

/* Finish the queued jobs (their calls are about to be hung up, but a
 * wrong ID or PIN must still be counted) and join the threads. */
void work_stop(struct work *w)
{
	int i;

	if (!w)
		return;
	pthread_mutex_lock(&w->mtx);
	w->stop = true;
	pthread_cond_broadcast(&w->cond);
	pthread_mutex_unlock(&w->mtx);
	for (i = 0; i < w->nthreads; i++)
		pthread_join(w->threads[i], NULL);
	pthread_mutex_destroy(&w->mtx);
	pthread_cond_destroy(&w->cond);
	free(w);
}
