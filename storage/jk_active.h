/*  jk_active.h - the rule that says whether a cooperative is "active" as
    of a date (docs/PROJECTIONS.md, "As-of rules"). A setting, not a
    constant: which book years count, the RAT deadline and its grace
    period, and whether a RAT without a quorum counts. Every figure that
    depends on it is printed with the rule (jk_active_rule_describe). */
#ifndef JK_ACTIVE_H
#define JK_ACTIVE_H

#include <sqlite3.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The RAT deadline in months after 31 December of the book year: the
   range of the active rule's deadline-months and of the store's
   rat_deadline_months (--rat-deadline-months), which must be able to
   agree. */
#define JK_RAT_DEADLINE_MONTHS_MAX 24

/* Reads a --rat-deadline-months value (a flag, a variable, a STATS
   value): 0 with the months in *months, or -1 when text is not a whole
   number from 1 to JK_RAT_DEADLINE_MONTHS_MAX. */
int jk_rat_deadline_months_parse (const char *text, int *months);

/* Bytes of a rule's text (--active-rule, SNAPSHOT's rule frame). */
#define JK_ACTIVE_RULE_SPEC_MAX 200

typedef struct {
    int years;            /* book years counted back from the last one
                             whose RAT is overdue; 1..10, default 1 */
    int deadline_months;  /* a book year's RAT is due by the last day of
                             the month this many months after 31 December;
                             1..24, default 6 (30 June) */
    int grace_days;       /* days after the deadline before a book year
                             counts as overdue; 0..366, default 0 */
    bool quorum_required; /* a RAT without quorum does not count;
                             default false (it counts) */
} jk_active_rule_t;

/* The book years that count as of a day: from_year .. to_year. due_year
   is the last book year whose deadline plus grace lies before the day;
   from_year = due_year - years + 1; to_year = year(day) - 1 (a RAT held
   early for the year just ended counts too). */
typedef struct {
    int from_year, to_year, due_year;
} jk_active_years_t;

/* The default rule: years=1, deadline-months=6, grace-days=0,
   quorum=any. */
void jk_active_rule_default (jk_active_rule_t *rule);

/* Parses "years=N,deadline-months=N,grace-days=N,quorum=any|required"
   (any subset, any order; missing keys keep the default) into rule.
   Returns 0, or -1 with a message naming the key and the rule in err. */
int jk_active_rule_parse (const char *text, jk_active_rule_t *rule, char *err,
                          size_t err_size);

/* The rule in the form jk_active_rule_parse reads, all four keys. */
void jk_active_rule_spec (const jk_active_rule_t *rule, char *out, size_t size);

/* The last day (days since epoch) for the RAT of a book year. */
int32_t jk_active_deadline (const jk_active_rule_t *rule, int book_year);

/* The book years counted as of a day. */
jk_active_years_t jk_active_years (const jk_active_rule_t *rule,
                                   int32_t as_of_day);

/* The rule as one Indonesian sentence for a person, as of a day, e.g.
   "aktif = RAT tahun buku 2021-2022 diadakan s.d. 31/12/2022 (batas RAT
   30/06 tahun berikutnya + 0 hari tenggang; RAT tanpa kuorum dihitung),
   status bukan TIDAK_AKTIF/DIBEKUKAN/DIBUBARKAN". */
void jk_active_rule_describe (const jk_active_rule_t *rule, int32_t as_of_day,
                              char *out, size_t size);

/* Counts the cooperatives active as of a day under rule (NULL: the
   default), in one kecamatan or (NULL) all. Returns -1 on SQLite failure
   (logged). */
int64_t jk_projections_active_rule (sqlite3 *db, int32_t as_of_day,
                                    const jk_active_rule_t *rule,
                                    const char *kecamatan_code);

/* The snapshot of jk_projections_snapshot under rule (NULL: the
   default). */
uint8_t *jk_projections_snapshot_rule (sqlite3 *db, int32_t as_of_day,
                                       const jk_active_rule_t *rule,
                                       size_t *size);

/* SQL pieces for the active rule, for callers that build their own
   queries (reports): a condition on cooperative alias c, with named
   parameters :day (YYYY-MM-DD), :from, :to and :quorum, which
   jk_active_bind binds on any statement that names them. */
#define JK_ACTIVE_WHERE                                                        \
    " EXISTS (SELECT 1 FROM rat_meetings r"                                    \
    " WHERE r.legal_number_norm = c.legal_number_norm"                         \
    " AND r.book_year BETWEEN :from AND :to AND r.held_on <= :day"             \
    " AND (:quorum = 0 OR r.quorum_met = 1))"                                  \
    " AND coalesce ((SELECT s.status FROM cooperative_statuses s"              \
    " WHERE s.legal_number_norm = c.legal_number_norm AND s.on_date <= :day"   \
    " ORDER BY s.on_date DESC, s.pos DESC LIMIT 1), 'AKTIF')"                  \
    " NOT IN ('TIDAK_AKTIF', 'DIBEKUKAN', 'DIBUBARKAN')"

/* Binds :day, :from, :to, :quorum and :book_year (= to_year, the book
   year whose RAT season is current) where st names them. date is the
   caller's buffer for :day and must outlive the statement's use. */
void jk_active_bind (sqlite3_stmt *st, int32_t as_of_day,
                     const jk_active_rule_t *rule, char date[11]);

#endif
