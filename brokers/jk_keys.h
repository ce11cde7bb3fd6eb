/*  jk_keys.h - the key store of a secure Jejak installation: the broker's
    CURVE key pair, office device certificates bound to an office and a
    domain, read-only reader certificates, listing and revocation (all
    zcert files in one directory), and the keyring the broker checks every
    submitted event against. Used by jejak-keys and the broker actor.

    Layout of a keys directory DIR:
      DIR/broker.key          the broker's secret certificate (0600)
      DIR/broker.pub          the broker's public certificate (for agents)
      DIR/offices/NAME.cert   every admitted public certificate (0644):
                              office devices and readers; the broker loads it
      DIR/issued/NAME.key     secret certificates to hand over (0600)
      DIR/revoked/NAME.cert   revoked public certificates
      DIR/log.key             the log's checkpoint signing key (0600,
                              signed-note "PRIVATE+KEY+..." form)
      DIR/log.vkey            its verifier key (0644, C2SP vkey: give it
                              to offices and auditors)
      DIR/witness.key         an office's witness key, to cosign
                              checkpoints (0600, "PRIVATE+KEY+..." with
                              type 04), in the office's own keys directory
      DIR/witness.vkey        its verifier key (0644: give it to the dinas
                              for jejak-hub --witnesses, and to auditors) */
#ifndef JK_KEYS_H
#define JK_KEYS_H

#include <czmq.h>
#include <stdbool.h>

#define JK_KEYS_BROKER_SECRET  "broker.key"
#define JK_KEYS_BROKER_PUBLIC  "broker.pub"
#define JK_KEYS_OFFICES        "offices"
#define JK_KEYS_ISSUED         "issued"
#define JK_KEYS_REVOKED        "revoked"
#define JK_KEYS_LOG_SECRET     "log.key"
#define JK_KEYS_LOG_PUBLIC     "log.vkey"
#define JK_KEYS_WITNESS_SECRET "witness.key"
#define JK_KEYS_WITNESS_PUBLIC "witness.vkey"
/* The checkpoints' origin line (and the log key's name) unless
   jejak-keys log-key --origin says otherwise. */
#define JK_KEYS_LOG_ORIGIN "jejak.cianjurkab.go.id/log"

typedef enum {
    JK_KEY_OFFICE = 1, /* submits events for its office and domain */
    JK_KEY_READER = 2, /* feed and query only */
    JK_KEY_LINK = 3    /* a hub's upstream link, bound to its area (office
                          holds the kabupaten or province code) */
} jk_key_role_t;

/* What a certificate says about its holder (its metadata), plus where it
   lies. Never holds the secret key. */
typedef struct {
    char public_key[41];  /* Z85 text of the public key */
    char fingerprint[17]; /* first 8 bytes of the public key in hex */
    jk_key_role_t role;   /* office device or reader */
    char office[16];      /* kecamatan code or DINAS; "" for a reader */
    char domain[16];      /* registration, attendance, scoring, all, read */
    unsigned domains;     /* jk_domain_t bits it may submit; 0: none */
    char device[48];      /* device name, or the reader's name */
    char created[32];     /* enrolment time, UTC, ISO 8601 */
    bool revoked;         /* lies in revoked/ */
    char file[256];       /* file name inside offices/ or revoked/ */
} jk_key_t;

/* Creates DIR (0700) and its sub-directories if missing, and the
   broker's key pair: DIR/broker.key (secret, 0600) and DIR/broker.pub.
   Refuses an existing pair unless force (rotation: every agent then needs
   the new broker.pub). Returns JK_OK, JK_CONFLICT (exists) or JK_IO, with
   a message in err. */
int jk_keys_init (const char *dir, bool force, char *err, size_t err_size);

/* Creates DIR if missing and the log's Ed25519 checkpoint signing key
   named origin (NULL: JK_KEYS_LOG_ORIGIN; 1-127 bytes, no space, '+' or
   control byte): DIR/log.key (0600) and DIR/log.vkey (0644). Refuses an
   existing key unless force (every verifier then needs the new vkey).
   Fills vkey (at least 256 bytes). JK_OK, JK_INVALID (origin), JK_CONFLICT
   or JK_IO, with a message in err. */
int jk_keys_log (const char *dir, const char *origin, bool force, char *vkey,
                 size_t vkey_size, char *err, size_t err_size);
/* The verifier key of DIR/log.key into vkey. JK_OK, JK_NOT_FOUND (no log
   key), JK_INVALID or JK_IO with err. */
int jk_keys_log_vkey (const char *dir, char *vkey, size_t vkey_size, char *err,
                      size_t err_size);
/* A witness's Ed25519 cosigning key named name (same rules as an
   origin): DIR/witness.key (0600, type 04) and DIR/witness.vkey (0644).
   Refuses an existing key unless force. JK_OK, JK_INVALID (name),
   JK_CONFLICT or JK_IO with err. */
int jk_keys_witness (const char *dir, const char *name, bool force, char *vkey,
                     size_t vkey_size, char *err, size_t err_size);
/* The verifier key of DIR/witness.key into vkey (as jk_keys_log_vkey). */
int jk_keys_witness_vkey (const char *dir, char *vkey, size_t vkey_size,
                          char *err, size_t err_size);

/* Enrols an office device: office is a kecamatan code of the reference
   data or DINAS; domain is registration, attendance, scoring, or all
   (DINAS only); device is 1..32 of [A-Za-z0-9._-]. Writes the secret
   certificate to DIR/issued/OFFICE_DEVICE.key (0600) and the public one
   to DIR/offices/OFFICE_DEVICE.cert. Fills *out (may be NULL) and the
   secret path (may be NULL). Returns JK_OK; JK_INVALID naming the field
   and rule; JK_CONFLICT when that device is enrolled already (revoke it
   first to rotate); JK_IO. */
int jk_keys_enrol (const char *dir, const char *office, const char *domain,
                   const char *device, jk_key_t *out, char *secret_path,
                   size_t secret_size, char *err, size_t err_size);

/* Makes a read-only key for a status board or an auditor: as
   jk_keys_enrol, files reader_NAME.key / reader_NAME.cert. */
int jk_keys_reader (const char *dir, const char *name, jk_key_t *out,
                    char *secret_path, size_t secret_size, char *err,
                    size_t err_size);

/* Makes the key of a hub's upstream link (docs/FEDERATION.md) in the
   keys directory of the hub above: area is the forwarding hub's kabupaten
   code (NN.NN, e.g. 32.03) or, for a province forwarding to the national
   hub, its province code (NN). Files link_AREA.key / link_AREA.cert, as
   jk_keys_enrol; the certificate's office is the area, its domain "link".
   Returns JK_OK, JK_INVALID naming the rule, JK_CONFLICT or JK_IO. */
int jk_keys_link (const char *dir, const char *area, jk_key_t *out,
                  char *secret_path, size_t secret_size, char *err,
                  size_t err_size);

/* The rule the hub above applies to every forwarded record: a link key
   may forward records of origin regency origin when origin is its area or
   lies inside it (a province key: any kabupaten of the province). Returns
   JK_OK, or JK_INVALID with a message naming the rule in why. */
int jk_key_permits_origin (const jk_key_t *key, const char *origin, char *why,
                           size_t why_size);

/* Every certificate of DIR: enrolled (offices/) then revoked (revoked/),
   each sorted by file name. Returns a list of jk_key_t the caller
   destroys (items are freed with it); empty when DIR holds none. */
zlistx_t *jk_keys_list (const char *dir);

/* Revokes one enrolled key, named by its fingerprint (8 or more leading
   hex digits), its Z85 public key, OFFICE/DEVICE, its device or reader
   name (when only one key has it) or its file name. Moves the public
   certificate to DIR/revoked/; a running broker refuses the key from then
   on without a restart. Fills *out (may be NULL). Returns JK_OK,
   JK_NOT_FOUND, JK_CONFLICT (the name matches several keys: err lists
   them) or JK_IO. */
int jk_keys_revoke (const char *dir, const char *what, jk_key_t *out, char *err,
                    size_t err_size);

/* Reads the metadata of a loaded certificate into *out. Returns JK_OK,
   or JK_INVALID when the metadata is missing, not Jejak's or longer than
   its field (role and domains then 0: such a key may submit nothing). */
int jk_key_from_cert (zcert_t *cert, jk_key_t *out);

/* The rule the broker applies to every submitted event: an office key
   may submit events whose source office is its own (DINAS: any) and whose
   type is of its domain (all: any); a reader key may submit nothing.
   Types unknown to the vocabulary pass (the store rejects them). Returns
   JK_OK, or JK_INVALID with a message naming the rule in why. */
int jk_key_permits (const jk_key_t *key, const char *source, const char *type,
                    char *why, size_t why_size);

/* ---- keyring ---------------------------------------------------------------
   The enrolled certificates of a directory, indexed by public key, as the
   broker sees them. Reloaded when the directory changes. */
typedef struct jk_keyring_s jk_keyring_t;

/* Loads every certificate of dir (missing dir: empty). */
jk_keyring_t *jk_keyring_new (const char *dir);
void jk_keyring_destroy (jk_keyring_t **self_p);

/* Reloads when the directory's modification time (nanoseconds) changed
   since the last load (or always, with force). Returns true when it
   reloaded. */
bool jk_keyring_refresh (jk_keyring_t *self, bool force);

/* The key with this Z85 public key, or NULL (unknown or revoked). The
   pointer stays valid until the next reload. */
const jk_key_t *jk_keyring_lookup (jk_keyring_t *self, const char *public_key);

/* Number of keys loaded. */
size_t jk_keyring_size (jk_keyring_t *self);

#endif
