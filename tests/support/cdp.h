/*  cdp.h - a small Chrome DevTools Protocol client for browser tests: Debian's
    chromium started headless with --remote-debugging-pipe (commands on fd 3,
    answers on fd 4, each JSON message ended by a NUL byte), one page target
    attached in flat mode. Enough to navigate, run JavaScript, press keys,
    size the viewport and take screenshots. */
#ifndef JK_CDP_H
#define JK_CDP_H

#include <stdbool.h>
#include <stddef.h>

#define JK_CDP_CHROMIUM "/usr/bin/chromium"

typedef struct jk_cdp_s jk_cdp_t;

/* Whether the browser part of test (its name, for the message) runs.
   True when Debian's chromium is installed. When it is not, the test
   fails, naming the path: scripts/setup installs it, so a machine
   without it is a broken setup, not a pass. A machine where Debian has
   no chromium at all says so with JEJAK_TEST_NO_BROWSER=1: then false,
   and "SKIPPED" with the reason is printed for the test to skip. */
bool jk_test_browser (const char *test);

/* Starts chromium with a fresh profile under dir and a page of width x
   height CSS pixels. NULL (with the reason on stderr) when chromium is
   missing or does not answer. */
jk_cdp_t *jk_cdp_start (const char *dir, int width, int height);
/* Kills the browser (its whole process group). */
void jk_cdp_stop (jk_cdp_t **self_p);

/* Sends method with params (a JSON object text, or NULL) to the page and
   returns the answer's text (heap), or NULL on an error answer or after
   timeout_ms. */
char *jk_cdp_call (jk_cdp_t *self, const char *method, const char *params,
                   int timeout_ms);
/* Evaluates a JavaScript expression in the page (promises awaited) and
   returns its value as text (heap): strings as they are, numbers and
   booleans as JSON; NULL when it threw. */
char *jk_cdp_eval (jk_cdp_t *self, const char *js);
/* Evaluates until the expression is true or timeout_ms passes. */
bool jk_cdp_wait (jk_cdp_t *self, const char *js, int timeout_ms);
/* Loads url and waits until the document is complete. */
bool jk_cdp_navigate (jk_cdp_t *self, const char *url);
/* Presses one key ("Tab", "Enter") in the page. */
void jk_cdp_key (jk_cdp_t *self, const char *key, bool shift);
/* Sets the page's size; mobile emulates a phone (touch, meta viewport). */
void jk_cdp_viewport (jk_cdp_t *self, int width, int height, bool mobile);
/* Saves a PNG of the whole page at path; its size in bytes, or 0. */
size_t jk_cdp_screenshot (jk_cdp_t *self, const char *path);

#endif
